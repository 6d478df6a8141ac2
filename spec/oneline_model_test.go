package spec_test

import (
	"context"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/spec"
)

// TestParseModel checks that a model in the one-line syntax is the model
// its spec mapping describes: the same Model, a spec that builds the same
// problem, and the same fit (identical histories); and that the spec it
// prints (YAML, as --print-spec) reads back and builds it too.
func TestParseModel(t *testing.T) {
	const head = "grid: {start: -10, stop: 10, step: 0.05}\n" +
		"target: \"0.3*normal(mean=-3, variance=1) + 0.7*normal(mean=2, variance=0.5)\"\n" +
		"optimizer: {name: gd, learning_rate: 0.5}\nepochs: 40\n"
	for _, c := range []struct{ line, mapping string }{
		{"normal", "{family: normal}"},
		{" normal(mean=1, variance=2) ", "{family: normal, init: {mean: 1, variance: 2}}"},
		{"normal(mean=1, variance=2, parameterization=raw)", "{family: normal, init: {mean: 1, variance: 2}, parameterization: raw}"},
		{"normal()", "{family: normal}"},
		{"mixture(components=2, component=normal)", "{family: mixture, components: 2, component: normal}"},
		{"mixture(component='normal', components=3)", "{family: mixture, components: 3, component: normal}"},
		{"mixture(component=normal, weights=[0.4, 0.6], mean=[-1, 1], variance=[1, 1])",
			"{family: mixture, components: 2, component: normal, init: {weights: [0.4, 0.6], mean: [-1, 1], variance: [1, 1]}}"},
		{"0.4*normal(mean=-1, variance=1) + 0.6*normal(variance=2, mean=1)",
			"{family: mixture, components: 2, component: normal, init: {weights: [0.4, 0.6], mean: [-1, 1], variance: [1, 2]}}"},
		{"0.2*laplace(loc=-2, scale=1) + 0.3*laplace(loc=0, scale=1) + 0.5*laplace(loc=2, scale=0.5)",
			"{family: mixture, components: 3, component: laplace, init: {weights: [0.2, 0.3, 0.5], loc: [-2, 0, 2], scale: [1, 1, 0.5]}}"},
		{"1*normal(mean=0, variance=1)", "{family: mixture, components: 1, component: normal, init: {weights: [1], mean: [0], variance: [1]}}"},
	} {
		t.Run(c.line, func(t *testing.T) {
			m, err := spec.ParseModel(c.line)
			if err != nil {
				t.Fatal(err)
			}
			want, err := spec.Parse([]byte(head + "model: " + c.mapping + "\n"))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(m, want.Model) {
				t.Fatalf("%q parses to %+v; the spec's model: %s is %+v", c.line, m, c.mapping, want.Model)
			}
			if back, err := spec.ParseModel(m.OneLine()); err != nil || !reflect.DeepEqual(back, m) {
				t.Errorf("printed as %q, reads back as %+v (%v)", m.OneLine(), back, err)
			}
			// A spec's model: may be the same line, quoted.
			quoted, err := spec.Parse([]byte(head + "model: " + strconv.Quote(c.line) + "\n"))
			if err != nil || !reflect.DeepEqual(quoted.Model, m) {
				t.Errorf("model: %q in a spec gives %+v (%v), the flag %+v", c.line, quoted.Model, err, m)
			}
			got, err := spec.Parse([]byte(head + "model: {family: normal}\n"))
			if err != nil {
				t.Fatal(err)
			}
			got.Model = m
			printed, err := spec.Parse(got.YAML())
			if err != nil {
				t.Fatalf("the printed spec does not parse: %v\n%s", err, got.YAML())
			}
			ctx := context.Background()
			bWant, err := want.Build(ctx, spec.Env{})
			if err != nil {
				t.Fatal(err)
			}
			for name, s := range map[string]*spec.Spec{"one-line": got, "printed": printed} {
				b, err := s.Build(ctx, spec.Env{})
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if !sameProblem(b.Problem, bWant.Problem) {
					t.Errorf("%s: builds another problem than the spec's mapping", name)
				}
				if h, hWant := historyOf(t, b.Problem, b.Options()), historyOf(t, bWant.Problem, bWant.Options()); h != hWant {
					t.Errorf("%s: the history differs from the spec mapping's", name)
				}
			}
		})
	}
}

// sameProblem reports whether two built problems are alike: deep-equal but
// for their families and transforms (a mixture's holds a sync.Pool, whose
// New func no two values share), which must be of the same type, with the
// same description and parameters.
func sameProblem(a, b *fit.Problem) bool {
	fa, fb := a.Family, b.Family
	ta, tb := a.Transform, b.Transform
	ca, cb := *a, *b
	ca.Family, cb.Family, ca.Transform, cb.Transform = nil, nil, nil, nil
	return reflect.DeepEqual(ca, cb) &&
		reflect.TypeOf(fa) == reflect.TypeOf(fb) && fa.Description() == fb.Description() &&
		reflect.DeepEqual(fa.Params(), fb.Params()) && reflect.DeepEqual(dist.Blocks(fa), dist.Blocks(fb)) &&
		reflect.TypeOf(ta) == reflect.TypeOf(tb)
}

// TestParseModelErrors checks that what ParseModel refuses gets a one-line
// error naming the column.
func TestParseModelErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", "column 1: expected a model such as normal(mean=0, variance=1), got the end"},
		{"normal(", `column 8: expected a value, got the end`},
		{"mixture(components=2, component=normal", `column 39: expected "," or ")", got the end`},
		{"mixture(components=2.5, component=normal)", "column 20: components must be a whole number of components, at least 1"},
		{"mixture(components=0, component=normal)", "column 20: components must be a whole number"},
		{"mixture(components=2, component=1)", "column 33: component must be a family name"},
		{"mixture(components=2, component=a.b)", "column 33: component must be a family name"},
		{"normal(parameterization=[1])", "column 25: parameterization must be unconstrained or raw"},
		{"normal(1)", "column 8: write name=value"},
		{"normal(mean=1, mean=2)", "column 16: mean is given twice"},
		{"normal(mean=a)", "column 13: a parameter must be a number or a list of numbers, got a name"},
		{`expr("x")`, "column 1: expr(...) is a target, not a model"},
		{`0.5*normal(mean=0, variance=1) + 0.5*table(t.csv)`, "column 38: table(...) is a target, not a model"},
		{"0.5*normal(mean=0, variance=1) + normal(mean=1, variance=1)", "column 34: every member of a mixture needs a weight"},
		{"0.5*normal(mean=0, variance=1) + 0.5*laplace(loc=1, scale=1)", "column 38: the members of a mixture model are of one family: normal, not laplace"},
		{"0.5*normal() + 0.5*normal()", "column 5: give every member's parameters"},
		{"0.5*normal(mean=0, variance=1) + 0.5*normal(mean=1)", "column 38: normal(...) has no variance, which the first member gives"},
		{"0.5*normal(mean=0) + 0.5*normal(mean=1, variance=1)", "column 41: the first member has no variance"},
		{"0.5*normal(mean=0, mean=1) + 0.5*normal(mean=1)", "column 20: parameter mean given twice"},
		{"0.5*normal(mean=0) + 0.5*normal(mean=[1, 2])", "column 38: mean must be a number, like the first member's"},
		{"0.5*normal(mean=0, components=2) + 0.5*normal(mean=1)", "column 20: the members of a mixture take their parameters only"},
		{"0.5*normal(mean=0, weights=1) + 0.5*normal(mean=1)", "column 20: the members of a mixture take their parameters only"},
		{"0.5*normal(0) + 0.5*normal(mean=1)", "column 12: parameters are name=value"},
		{"normal + normal", `column 8: expected "(" after normal`},
		{"0.5*", "column 5: expected a family name, got the end"},
		{"0.5*(mean=1)", `column 5: expected a family name, got "(mean=1)"`},
		{"mvnormal(covariance=[[[1]], 2])", "column 29: a list of matrices holds only matrices"},
		{"mvnormal(covariance=[[[1]], [2]])", "column 29: must be a 1x1 matrix, like the first"},
		{"mvnormal(covariance=[[[1, 0], [0, 1]], [[1]]])", "column 40: must be a 2x2 matrix, like the first"},
		{"mvnormal(covariance=[[[[1]]]])", "column 22: lists nest three deep at most"},
	} {
		_, err := spec.ParseModel(c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: %v, want %q", c.in, err, c.want)
		}
		// In a spec the same error names the line and the key.
		_, err = spec.Parse([]byte("target: normal(mean=0, variance=1)\nmodel: " + strconv.Quote(c.in) + "\n"))
		if want := "line 2: model: "; err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("model: %q in a spec: %v, want %q and %q", c.in, err, want, c.want)
		}
	}
}

// ExampleParseModel shows a mixture model written as a sum of weighted
// members, and the spec's model it stands for.
func ExampleParseModel() {
	m, err := spec.ParseModel("0.3*normal(mean=-2, variance=1) + 0.7*normal(mean=3, variance=0.5)")
	if err != nil {
		panic(err)
	}
	fmt.Println(m.Family, m.Components, m.Component)
	for _, p := range m.Init {
		fmt.Println(p.Name, p.Value)
	}
	fmt.Println(m.OneLine())
	// Output:
	// mixture 2 normal
	// weights [0.3 0.7]
	// mean [-2 3]
	// variance [1 0.5]
	// mixture(components=2, component=normal, weights=[0.3, 0.7], mean=[-2, 3], variance=[1, 0.5])
}
