package spec_test

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/klfit/klfit/divergence"
	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/spec"
	"github.com/klfit/klfit/target"
)

func TestParseTarget(t *testing.T) {
	for _, c := range []struct {
		in   string
		want spec.Target
	}{
		{"normal(mean=0, variance=7)", spec.Target{Family: "normal", Params: spec.Scalars([]string{"mean", "variance"}, []float64{0, 7})}},
		{" normal( mean = -1.5e-1 ,variance=2 ) ", spec.Target{Family: "normal", Params: spec.Scalars([]string{"mean", "variance"}, []float64{-0.15, 2})}},
		{"0.3*normal(mean=-2, variance=1) + 0.7*laplace(loc=3, scale=0.5)", spec.Target{Mixture: []spec.Component{
			{Weight: 0.3, Family: "normal", Params: spec.Scalars([]string{"mean", "variance"}, []float64{-2, 1})},
			{Weight: 0.7, Family: "laplace", Params: spec.Scalars([]string{"loc", "scale"}, []float64{3, 0.5})},
		}}},
		{`expr("exp(-abs(x))")`, spec.Target{Expression: "exp(-abs(x))"}},
		{`expr('exp(-x^2/2) * (1 + sin(3*x)^2)')`, spec.Target{Expression: "exp(-x^2/2) * (1 + sin(3*x)^2)"}},
		{"table(file.csv)", spec.Target{Table: "file.csv"}},
		{"table(../data/2024.csv)", spec.Target{Table: "../data/2024.csv"}},
		{`table("my file.csv")`, spec.Target{Table: "my file.csv"}},
		{"samples(file.csv)", spec.Target{Samples: "file.csv"}},
		{"samples(/tmp/d.csv, column=x, estimator=kde, bandwidth=0.3, skip_invalid=true)", spec.Target{Samples: "/tmp/d.csv", Column: "x", Estimator: "kde", Bandwidth: "0.3", SkipInvalid: true}},
		{"histogram(bins.csv)", spec.Target{Histogram: "bins.csv"}},
		{`sql("SELECT x FROM 'e.parquet' WHERE x > 0")`, spec.Target{SQL: "SELECT x FROM 'e.parquet' WHERE x > 0"}},
		{"mvnormal(mean=[0, 1], covariance=[[1, 0.5], [0.5, 2]])", spec.Target{Family: "mvnormal", Params: spec.Params{
			{Name: "mean", Shape: []int{2}, Value: []float64{0, 1}},
			{Name: "covariance", Shape: []int{2, 2}, Value: []float64{1, 0.5, 0.5, 2}},
		}}},
	} {
		got, err := spec.ParseTarget(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: %+v, want %+v", c.in, got, c.want)
		}
		back, err := spec.ParseTarget(got.OneLine())
		if err != nil || !reflect.DeepEqual(back, got) {
			t.Errorf("%q: OneLine %q reads back as %+v, %v", c.in, got.OneLine(), back, err)
		}
	}
}

func TestParseTargetErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", "column 1: expected a target"},
		{"normal", `column 7: expected "(" after normal`},
		{"normal(mean=0, variance=1", `column 26: expected "," or ")", got the end`},
		{"normal(mean=0 variance=1)", `column 15: expected "," or ")", got 'v'`},
		{"normal(0, 1)", "column 8: parameters are name=value"},
		{"normal(mean=0, mean=1)", "column 16: parameter mean given twice"},
		{"normal(mean=x)", "column 13: a parameter must be a number or a list of numbers, got a name"},
		{"normal(mean=1e999)", `column 13: "1e999" is not a finite number`},
		{"0.5*normal(mean=0, variance=1) + normal(mean=1, variance=1)", "column 34: every mixture component needs a weight"},
		{"0.5*normal(mean=0, variance=1) + 0.5*expr('x')", "column 38: only families can be mixture components"},
		{"0.5 normal(mean=0)", `column 5: expected '*' after a mixture weight`},
		{"normal(mean=0) normal(mean=1)", `column 16: expected "+" between mixture components`},
		{"expr(exp(-x))", "column 6: exp(...) cannot be an argument: write formulas in quotes"},
		{"expr(x)", "write the formula in quotes"},
		{`expr("x)`, "column 6: unterminated string"},
		{"table()", "table(...) needs a file name as its first argument"},
		{"table(a.csv, b.csv)", "column 14: table(...) takes one argument"},
		{"samples(a.csv, colum=x)", "column 16: unknown setting colum for samples"},
		{"samples(a.csv, skip_invalid=yes)", "skip_invalid must be true or false"},
		{"mvnormal(covariance=[[1, 0], [0]])", "must be a list of 2 numbers, like the first row"},
		{"normal(mean=[1, 'a'])", "lists hold numbers"},
		{"+", "column 1"},
	} {
		_, err := spec.ParseTarget(c.in)
		var se *spec.SyntaxError
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.in, err, c.want)
		} else if !errorsAs(err, &se) {
			t.Errorf("%q: %T is not a *SyntaxError", c.in, err)
		}
	}
}

func errorsAs(err error, se **spec.SyntaxError) bool {
	e, ok := err.(*spec.SyntaxError)
	*se = e
	return ok
}

func TestParseDivergence(t *testing.T) {
	d, err := spec.ParseDivergence("renyi(alpha=0.5)")
	if err != nil || d.Name != "renyi" || len(d.Options) != 1 || d.Options[0] != (spec.Option{Name: "alpha", Value: 0.5}) || d.OneLine() != "renyi(alpha=0.5)" {
		t.Errorf("%+v, %v", d, err)
	}
	for _, bad := range []string{"", "renyi(alpha=x)", "renyi(0.5)", "kl js", "(alpha=1)"} {
		if _, err := spec.ParseDivergence(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestParseOptimizer reads optimizers in the one-line syntax: numbers,
// true and false for the settings that are booleans, as a spec's mapping
// has them; what is not an optimizer is an error naming the optimizer, at
// its column.
func TestParseOptimizer(t *testing.T) {
	o, err := spec.ParseOptimizer(" momentum( learning_rate=0.05, nesterov=true, dampening=0 ) ")
	want := spec.Optimizer{Name: "momentum", Settings: spec.Options{{Name: "learning_rate", Value: 0.05},
		{Name: "nesterov", Value: 1, Bool: true}, {Name: "dampening", Value: 0}}}
	if err != nil || !reflect.DeepEqual(o, want) || o.OneLine() != "momentum(learning_rate=0.05, nesterov=true, dampening=0)" {
		t.Errorf("%+v, %v", o, err)
	}
	if o, err := spec.ParseOptimizer("momentum(nesterov=false)"); err != nil || o.Settings[0] != (spec.Option{Name: "nesterov", Bool: true}) {
		t.Errorf("%+v, %v", o, err)
	}
	if o, err := spec.ParseOptimizer("lbfgs"); err != nil || o.Name != "lbfgs" || o.Settings != nil {
		t.Errorf("%+v, %v", o, err)
	}
	// The same optimizer as the spec's mapping, once built.
	line, err := spec.ParseOptimizer("momentum(learning_rate=0.05, nesterov=true)")
	if err != nil {
		t.Fatal(err)
	}
	fromLine := &spec.Spec{Target: spec.Target{Family: "normal", Params: spec.Scalars([]string{"mean", "variance"}, []float64{0, 1})},
		Model: spec.Model{Family: "normal"}, Optimizer: line}
	a, err := fromLine.Build(context.Background(), spec.Env{})
	if err != nil {
		t.Fatal(err)
	}
	b := build(t, "target: {family: normal, params: {mean: 0, variance: 1}}\nmodel: {family: normal}\noptimizer: {name: momentum, learning_rate: 0.05, nesterov: true}\n")
	if !reflect.DeepEqual(a.Spec.Optimizer, b.Spec.Optimizer) || !reflect.DeepEqual(a.Optimizer, b.Optimizer) {
		t.Errorf("one-line %+v, spec %+v", a.Spec.Optimizer, b.Spec.Optimizer)
	}
	// A spec's optimizer may be written in the one-line syntax too, as
	// its divergence may.
	c := build(t, "target: {family: normal, params: {mean: 0, variance: 1}}\nmodel: {family: normal}\noptimizer: \"momentum(learning_rate=0.05, nesterov=true)\"\n")
	if !reflect.DeepEqual(c.Spec.Optimizer, b.Spec.Optimizer) || !reflect.DeepEqual(c.Optimizer, b.Optimizer) {
		t.Errorf("a spec's one-line optimizer %+v, its mapping %+v", c.Spec.Optimizer, b.Spec.Optimizer)
	}
	for _, c := range []struct{ src, want string }{
		{"optimizer: \"adam(learning_rate=0.1\"\n", `line 3: optimizer: "adam(learning_rate=0.1": column 23: expected "," or ")"`},
		{"optimizer: adam(lr=0.1)\n", "line 3: optimizer.lr: unknown setting for adam"},
	} {
		sp, err := spec.Parse([]byte("target: {family: normal, params: {mean: 0, variance: 1}}\nmodel: {family: normal}\n" + c.src))
		if err == nil {
			_, err = sp.Build(context.Background(), spec.Env{})
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.src, err, c.want)
		}
	}
	for _, c := range []struct{ in, want string }{
		{"", "column 1: expected an optimizer name such as adam"},
		{"momentum(nesterov=maybe)", "column 10: optimizer settings are name=number or name=true|false"},
		{"adam(0.1)", "column 6: optimizer settings are"},
		{"adam(learning_rate='0.1')", "column 6: optimizer settings are"},
		{"adam(learning_rate=0.1, learning_rate=0.2)", "column 25: learning_rate is given twice"},
		{"adam adam", "unexpected \"adam\" after the optimizer"},
	} {
		if _, err := spec.ParseOptimizer(c.in); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.in, err, c.want)
		}
	}
	// A divergence has no boolean option: true is not a number there.
	if _, err := spec.ParseDivergence("renyi(alpha=true)"); err == nil || !strings.Contains(err.Error(), "divergence options are name=number") {
		t.Errorf("renyi(alpha=true): %v", err)
	}
}

// FuzzParseOptimizer checks that no input panics the one-line optimizer
// and divergence parsers, that their errors are one line, and that
// whatever they accept prints back (OneLine) to text that parses to the
// same value.
func FuzzParseOptimizer(f *testing.F) {
	for _, s := range []string{
		"gd", "adam(learning_rate=0.001)", "momentum(learning_rate=0.05, nesterov=true)", "momentum(nesterov=false, dampening=0.1)",
		"momentum(nesterov=maybe)", "momentum(nesterov='true')", "gd(learning_rate=1e-3", "adam(0.1)", "adam(a=1, a=2)",
		"renyi(alpha=0.5)", "kl", "(alpha=1)", "kl js", "gd(x=[1, 2])", "gd(x=-.5e+3)", "gd()", "gd(x=true,)", "\xff(x=1)",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		oneLineError := func(err error) {
			if strings.Contains(err.Error(), "\n") && !strings.Contains(s, "\n") {
				t.Fatalf("error on several lines: %q", err)
			}
		}
		if o, err := spec.ParseOptimizer(s); err != nil {
			oneLineError(err)
		} else if back, err := spec.ParseOptimizer(o.OneLine()); err != nil || !reflect.DeepEqual(back, o) {
			t.Fatalf("%q printed as %q reads back as %+v (%v), not %+v", s, o.OneLine(), back, err, o)
		}
		if d, err := spec.ParseDivergence(s); err != nil {
			oneLineError(err)
		} else if back, err := spec.ParseDivergence(d.OneLine()); err != nil || !reflect.DeepEqual(back, d) {
			t.Fatalf("%q printed as %q reads back as %+v (%v), not %+v", s, d.OneLine(), back, err, d)
		}
	})
}

// FuzzParseTarget checks that no input panics the one-line parsers of
// targets and models, that their errors are one line, and that whatever
// they accept prints back (OneLine) to text that parses to the same target
// or model.
func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{
		"normal(mean=0, variance=7)", "0.3*normal(mean=-2, variance=1) + 0.7*laplace(loc=3, scale=0.5)",
		`expr("exp(-abs(x))")`, "expr('x')", "table(file.csv)", "samples(file.csv, column=x, estimator=kde)",
		"histogram(b.csv)", `sql("SELECT 1")`, "mvnormal(mean=[0, 0], covariance=[[1, 0], [0, 1]])",
		"normal(", "0.5*", "+", "table(2024.csv)", `table("a\"b")`, "samples(x, bandwidth=1e-3)", "n(a=[[]])",
		"n(a=[1,[2]])", "n(a=-.5e+3)", "table(\xff)", "samples('')",
		`postgres("SELECT 1", dsn="host=db password=x", statement_timeout=5)`, `postgres('SELECT 1', dsn='postgres://u:p@h/d')`,
		`logdensity("-x1^2/2 - (x2 - x1^2)^2", dims=2)`, `logdensity('x1', dims=1e0)`, `logdensity("x1")`, `logdensity(x1, dims=2)`,
		`samples(d.csv, columns=[a, "b c", 1x, 'd'])`, `samples(d.csv, columns=[])`, `samples(d.csv, columns=[[1]])`, "normal(mean=[a])",
		"samples(d.csv, column=x, skip_invalid=true)", "samples(d.csv, skip_invalid=1)", "samples(d.csv, skip_invalid='true')", "normal(mean=true)",
		// models
		"normal", " normal ", "mixture", "mixture(components=2, component=normal)", "mixture(component='normal', components=3)",
		"mixture(component=normal, weights=[0.4, 0.6], mean=[-1, 1], variance=[1, 1])", "mixture(components=2.5)", "mixture(components=1e9)",
		"mixture(components=2, component=a.b)", "mixture(components=2, component=\"\")", "normal(mean=1, parameterization=raw)", "normal()",
		"0.3*normal(mean=-2, variance=1) + 0.7*normal(variance=0.5, mean=3)", "0.5*normal(mean=0) + 0.5*laplace(loc=1)",
		"0.5*normal() + 0.5*normal()", "0.5*normal(mean=0, weights=1) + 0.5*normal(mean=1, weights=1)", "0.5*normal(mean=0) + normal(mean=1)",
		"0.5*mvnormal(mean=[0, 0], covariance=[[1, 0], [0, 1]]) + 0.5*mvnormal(mean=[1, 1], covariance=[[2, 0], [0, 1]])",
		"mvnormal(covariance=[[[1]], [2]])", "mvnormal(covariance=[[[1, 0], [0, 1]], [[1]]])", "n(a=[[[[1]]]])", "1*normal(mean=0)", "0*0(0=0)",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if m, err := spec.ParseModel(s); err != nil {
			if strings.Contains(err.Error(), "\n") && !strings.Contains(s, "\n") {
				t.Fatalf("model: error on several lines: %q", err)
			}
		} else if back, err := spec.ParseModel(m.OneLine()); err != nil || !reflect.DeepEqual(back, m) {
			t.Fatalf("model %q printed as %q reads back as %+v (%v), not %+v", s, m.OneLine(), back, err, m)
		}
		tg, err := spec.ParseTarget(s)
		if err != nil {
			if strings.Contains(err.Error(), "\n") && !strings.Contains(s, "\n") {
				t.Fatalf("error on several lines: %q", err)
			}
			return
		}
		line := tg.OneLine()
		back, err := spec.ParseTarget(line)
		if err != nil {
			t.Fatalf("%q printed as %q, which does not parse: %v", s, line, err)
		}
		want := tg
		want.DSN = target.RedactDSN(want.DSN) // a password is never printed
		if !reflect.DeepEqual(back, want) {
			t.Fatalf("%q printed as %q reads back as %+v, not %+v", s, line, back, want)
		}
	})
}

func writeFile(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestTargetKinds builds a spec of every kind of target, checks that it
// prints as YAML that parses back to the same spec, and that it fits.
func TestTargetKinds(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "table.csv", "x,density\n-4,0\n0,1\n4,0\n")
	writeFile(t, dir, "bins.csv", "lo,hi,count\n0,1,30\n-1,0,30\n1,3,10\n-3,-1,10\n")
	var samples strings.Builder
	samples.WriteString("id,x\n")
	for i := 0; i < 400; i++ {
		samples.WriteString("1," + ftoa(math.Sin(float64(i))*2) + "\n")
	}
	writeFile(t, dir, "samples.csv", samples.String())
	for _, tg := range []string{
		"target: {family: normal, params: {mean: 0, variance: 2}}",
		"target:\n  mixture:\n  - {weight: 0.4, family: normal, params: {mean: -2, variance: 1}}\n  - {weight: 0.6, family: normal, params: {mean: 2, variance: 1}}",
		`target: {expression: "exp(-x^2/2) * (1 + sin(3*x)^2)"}`,
		"target: {table: table.csv}",
		"target: {histogram: bins.csv}",
		"target: {samples: samples.csv, column: x}",
		"target: {samples: samples.csv, column: x, estimator: kde, bandwidth: silverman}",
		"target: {samples: samples.csv, column: x, estimator: kde, bandwidth: 0.5, skip_invalid: true}",
		`target: "0.5*normal(mean=-1, variance=1) + 0.5*normal(mean=1, variance=0.5)"`,
		`target: "samples(samples.csv, column=x)"`,
	} {
		text := "grid: {start: -6, stop: 6, step: 0.05}\n" + tg + "\nmodel: {family: normal, init: {mean: 0.5, variance: 1}}\noptimizer: {name: gd, learning_rate: 0.5}\nepochs: 200\n"
		s, err := spec.Parse([]byte(text))
		if err != nil {
			t.Errorf("%s: %v", tg, err)
			continue
		}
		y := s.YAML()
		back, err := spec.Parse(y)
		if err != nil || !bytes.Equal(back.YAML(), y) {
			t.Errorf("%s: YAML round trip: %v\n%s", tg, err, y)
		}
		b, err := s.Build(context.Background(), spec.Env{Dir: dir})
		if err != nil {
			t.Errorf("%s: %v", tg, err)
			continue
		}
		res, err := fit.Run(context.Background(), b.Problem, b.Options())
		if err != nil || res.Status != fit.MaxEpochs || !(res.Loss() < res.History.Loss(0)) {
			t.Errorf("%s: %v %v, loss %v -> %v", tg, res.Status, err, res.History.Loss(0), res.Loss())
		}
	}
}

func ftoa(v float64) string { return strconv.FormatFloat(v, 'f', 6, 64) }

// TestTargetErrors checks the one-line errors, with keys and lines, for
// bad targets, divergences and reports.
func TestTargetErrors(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "bad.csv", "x\n1\n2\nfoo\n")
	head := "grid: {start: -6, stop: 6, step: 0.1}\n"
	tail := "model: {family: normal, init: {mean: 0, variance: 1}}\n"
	for _, c := range []struct{ body, want string }{
		{"target: {expression: 'x^2', table: t.csv}\n", "spec line 2: target.table: a target is one of family, mixture, expression, log_density, table, samples, histogram, sql, postgres; this one already has expression"},
		{"target: {expression: 'x^2', params: {a: 1}}\n", "spec line 2: target.params: params is not a setting of a expression target"},
		{"target: {table: t.csv, column: x}\n", "spec line 2: target.column: column is not a setting of a table target"},
		{"target: {}\n", "spec line 2: target: say what to fit"},
		{"target: {expression: 'exp(-x^2'}\n", "spec line 2: target.expression: formula error at line 1, column"},
		{"target: {expression: 'x'}\n", "spec line 2: target.expression: the formula is -6 at x=-6: a density must be finite and >= 0"},
		{"target: {expression: '0*x'}\n", "target.expression: target density is zero at every grid point"},
		{"target:\n  mixture:\n  - {weight: 0.5, family: normal, params: {mean: 0, variance: 1}}\n  - {weight: 0.4, family: normal, params: {mean: 1, variance: 1}}\n", "spec line 3: target.mixture: weights sum to 0.9, -0.1 away from 1 (they must sum to 1 within 1e-09)"},
		{"target:\n  mixture:\n  - {weight: 1.5, family: normal, params: {mean: 0, variance: 1}}\n  - {weight: -0.5, family: normal, params: {mean: 1, variance: 1}}\n", "spec line 5: target.mixture[1].weight: weight must be finite and >= 0, got -0.5"},
		{"target:\n  mixture:\n  - {weight: 1, family: gauss, params: {mean: 0, variance: 1}}\n", "spec line 4: target.mixture[0].family: unknown family \"gauss\""},
		{"target:\n  mixture:\n  - {weight: 1, family: normal, params: {mean: 0, variance: -1}}\n", "spec line 4: target.mixture[0].params.variance: must be > 0, got -1"},
		{"target: {samples: bad.csv}\n", "spec line 2: target.samples: " + filepath.Join(dir, "bad.csv") + " line 4: \"foo\" is not a number (skip_invalid: true skips such lines)"},
		{"target: {samples: bad.csv, estimator: kde, bandwidth: -1}\n", "spec line 2: target.bandwidth: must be scott, silverman or a number > 0, got \"-1\""},
		{"target: {samples: bad.csv, skip_invalid: 1}\n", "spec line 2: target.skip_invalid: must be true or false, got 1"},
		{"target: {table: missing.csv}\n", "target.table: " + filepath.Join(dir, "missing.csv") + ": cannot open: no such file or directory"},
		{"target: 'normal(mean=0, variance=1'\n", "spec line 2: target: \"normal(mean=0, variance=1\": column 26"},
		{"target: 'normal(mean=0, variance=1)'\ndivergence: {name: renyi, alpha: 1}\n", "spec line 3: divergence.alpha: must not be 1"},
		{"target: 'normal(mean=0, variance=1)'\ndivergence: {name: renyi, beta: 1}\n", "spec line 3: divergence.beta: unknown option for renyi (known: alpha)"},
		{"target: 'normal(mean=0, variance=1)'\ndivergence: tv\n", "spec line 3: divergence: total variation has no useful gradient"},
		{"target: 'normal(mean=0, variance=1)'\ntarget_weights: density\ndivergence: js\n", "spec line 3: target_weights: density weights"},
		{"target: 'normal(mean=0, variance=1)'\nreport: [js, js]\n", "spec line 3: report[1]: js is reported twice"},
		{"target: 'normal(mean=0, variance=1)'\nreport: js\n", "spec line 3: report: must be a list of divergences"},
		{"target: 'normal(mean=0, variance=1)'\nreport: [renyi(alpha=-1)]\n", "spec line 3: report[0].alpha: must be > 0, got -1"},
	} {
		s, err := spec.Parse([]byte(head + c.body + tail))
		if err == nil {
			_, err = s.Build(context.Background(), spec.Env{Dir: dir})
		}
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v\nwant %q", c.body, err, c.want)
		}
	}
}

// TestReport checks that report: adds history columns holding each
// divergence at each state, computed here independently from the
// recorded parameters, and that the summary repeats the last values.
func TestReport(t *testing.T) {
	b, res := runSpec(t, `grid: {start: -8, stop: 8, step: 0.1}
target: "0.5*normal(mean=-2, variance=1) + 0.5*normal(mean=2, variance=1)"
divergence: kl
report: [js, hellinger, {name: renyi, alpha: 2}, tv]
model: {family: normal, init: {mean: 1, variance: 1}}
optimizer: {name: gd, learning_rate: 0.5}
epochs: 20
`)
	h := res.History
	if want := []string{"js", "hellinger", "renyi_2", "tv"}; !reflect.DeepEqual(h.Report, want) {
		t.Fatalf("report columns %v", h.Report)
	}
	var csv bytes.Buffer
	if err := h.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(csv.String()), "\n")
	if lines[0] != "epoch,kl,mean,variance,js,hellinger,renyi_2,tv" || len(lines) != 22 || strings.Count(lines[5], ",") != 7 {
		t.Errorf("CSV header %q, %d lines", lines[0], len(lines))
	}
	p := b.Problem.P
	g := b.Problem.Grid
	divs := []divergence.Divergence{divergence.JS{}, divergence.Hellinger{}, divergence.Renyi{Alpha: 2}, divergence.TV{}}
	for r := 0; r < h.Len(); r += 7 {
		theta := h.Row(r)
		q := make([]float64, g.Len())
		var z float64
		for i, x := range g.X {
			q[i] = math.Exp(-(x - theta[0]) * (x - theta[0]) / (2 * theta[1]))
			z += q[i]
		}
		for i := range q {
			q[i] /= z
		}
		for k, d := range divs {
			want, _ := d.Eval(p, logsOf(p), q, logsOf(q), nil)
			// The engine normalizes in log space, this in linear space:
			// a few ulps of each mass, summed over 160 points.
			if got := h.ReportRow(r)[k]; math.Abs(got-want) > 1e-12 {
				t.Errorf("row %d %s = %v, want %v", r, d.Name(), got, want)
			}
		}
	}
	sum := spec.NewSummary(b, res)
	j := string(sum.JSON())
	if !strings.Contains(j, `"report": {`) || !strings.Contains(j, `"renyi_2": "Renyi D_alpha(P||Q)`) {
		t.Errorf("summary:\n%s", j)
	}
}

func logsOf(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = math.Log(x)
	}
	return out
}
