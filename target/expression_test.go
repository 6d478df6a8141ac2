package target_test

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/grid"
	"github.com/klfit/klfit/target"
)

// TestExpression evaluates formulas on a grid against the same formulas
// written in Go.
func TestExpression(t *testing.T) {
	g := grid1(t, -3, 3, 0.25)
	for _, c := range []struct {
		src string
		f   func(x float64) float64
	}{
		{"exp(-x^2/2) * (1 + sin(3*x)^2)", func(x float64) float64 { return math.Exp(-x*x/2) * (1 + math.Pow(math.Sin(3*x), 2)) }},
		{"exp(-abs(x))", func(x float64) float64 { return math.Exp(-math.Abs(x)) }},
		{"x**2 + 1", func(x float64) float64 { return x*x + 1 }},
		{"pow(cos(x), 2) + sqrt(abs(x))", func(x float64) float64 { return math.Pow(math.Cos(x), 2) + math.Sqrt(math.Abs(x)) }},
		{"0.3*normal_pdf(x, -1, 0.5) + 0.7*laplace_pdf(x, 1, 2)", func(x float64) float64 {
			return 0.3*distuv.Normal{Mu: -1, Sigma: math.Sqrt(0.5)}.Prob(x) + 0.7*distuv.Laplace{Mu: 1, Scale: 2}.Prob(x)
		}},
		{"x > 0 ? exp(-x) : 0", func(x float64) float64 {
			if x > 0 {
				return math.Exp(-x)
			}
			return 0
		}},
		{"exp(-pi*x*x/e) * (1 + tanh(x))", func(x float64) float64 { return math.Exp(-math.Pi*x*x/math.E) * (1 + math.Tanh(x)) }},
		// % on real numbers, and on whole ones as before.
		{"x % 2 + 2", func(x float64) float64 { return math.Mod(x, 2) + 2 }},
		{"x % 1.5 + 2", func(x float64) float64 { return math.Mod(x, 1.5) + 2 }},
		{"7 % 3 + mod(x, 0.5) + 1", func(x float64) float64 { return 1 + math.Mod(x, 0.5) + 1 }},
	} {
		e, err := target.NewExpression(c.src)
		if err != nil {
			t.Errorf("%s: %v", c.src, err)
			continue
		}
		d := density(t, e, g)
		for i, x := range g.X {
			// The same operations in the same order, up to the VM's
			// evaluation of powers: a few ulps.
			if want := c.f(x); math.Abs(d[i]-want) > 1e-14*max(1, want) {
				t.Errorf("%s at x=%v: %v, want %v", c.src, x, d[i], want)
			}
		}
		if e.Dim() != 1 {
			t.Errorf("%s: dim %d", c.src, e.Dim())
		}
	}
	e, err := target.NewExpression("exp(-(x^2 + x*y + y^2))")
	if err != nil || e.Dim() != 2 {
		t.Fatalf("2-D formula: %v, %v", e, err)
	}
	ax, _ := grid.Arange(-1, 1, 0.5)
	g2, _ := grid.New2D(ax, ax)
	d := density(t, e, g2)
	for i := range d {
		x, y := g2.X[i], g2.Y[i]
		if want := math.Exp(-(x*x + x*y + y*y)); math.Abs(d[i]-want) > 1e-15 {
			t.Errorf("at %v,%v: %v, want %v", x, y, d[i], want)
		}
	}
}

func TestExpressionErrors(t *testing.T) {
	g := grid1(t, -2, 2, 0.5)
	for _, c := range []struct{ src, want string }{
		{"exp(-x^2", "formula error at line 1, column"},
		{"x +* 2", "formula error at line 1, column"},
		{"foo(x)", "unknown name foo"},
		{"exp(z)", "unknown name z"},
		{"", "the formula is empty"},
		{"x == 1", "expected float64"},
		{`"abc"`, "expected float64"},
		{"exp(1, 2)", "formula error"},
	} {
		_, err := target.NewExpression(c.src)
		var ee *target.ExprError
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.As(err, &ee) {
			t.Errorf("%q: error %v, want %q", c.src, err, c.want)
		}
	}
	for _, c := range []struct{ src, want string }{
		{"x", "the formula is -2 at x=-2: a density must be finite and >= 0"},
		{"log(x + 1)", "the formula is NaN at x=-2"},
		{"1/(x - 1)", "the formula is -0.3333333333333333 at x=-2"},
		{"1/(x*x - 1)", "the formula is +Inf at x=-1"},
		{"0*x", "zero at every grid point"},
	} {
		e, err := target.NewExpression(c.src)
		if err != nil {
			t.Fatal(err)
		}
		_, err = target.Masses(e, g, target.Normalized)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.src, err, c.want)
		}
	}
}

// FuzzExpression compiles and evaluates arbitrary formulas: none may
// panic, and an accepted one yields a number or an error at every point.
func FuzzExpression(f *testing.F) {
	for _, s := range []string{
		"exp(-x^2/2) * (1 + sin(3*x)^2)", "exp(-abs(x))", "x > 0 ? x : -x", "normal_pdf(x, 0, 1)",
		"pow(x, 0.5)", "1/0", "x ** y", "exp(-x*x-y*y)", "((((x))))", "x +", "'a'", "[1,2]", "{a: 1}",
		"x in [1]", "let a = 1; a", "max(x)", "0x1p-2", "1e400", "-x", "x ? 1 : 2", "x.y", "x[0]", "#", "$env",
	} {
		f.Add(s)
	}
	g := grid.New1D(grid.Axis{Start: -1, Stop: 1, Step: 0.5, N: 4, Delta: 0.5})
	g.Y = []float64{0, 0.5, 1, 1.5}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := target.NewExpression(src)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		d := make([]float64, 4)
		_ = e.DensityAt(d, g.X, g.Y)
	})
}

// TestMixture compares a mixture's density with gonum's densities and
// checks the weight rules.
func TestMixture(t *testing.T) {
	n := dist.Normal{}
	m, err := target.NewMixture([]target.Component{
		{Weight: 0.3, Family: target.Family{Family: n, Theta: []float64{-2, 1}}},
		{Weight: 0.7, Family: target.Family{Family: n, Theta: []float64{3, 0.25}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	g := grid1(t, -6, 6, 0.5)
	d := density(t, m, g)
	for i, x := range g.X {
		want := 0.3*distuv.Normal{Mu: -2, Sigma: 1}.Prob(x) + 0.7*distuv.Normal{Mu: 3, Sigma: 0.5}.Prob(x)
		if math.Abs(d[i]-want) > 1e-15 {
			t.Errorf("at %v: %v, want %v", x, d[i], want)
		}
	}
	// Far in both tails the log-density stays finite (log-sum-exp).
	lp := make([]float64, 1)
	m.LogDensity(lp, []float64{60}, nil)
	// Both components underflow there (exp(-1922) and exp(-6498)); the
	// first dominates by exp(-4576), below float64's resolution.
	want := math.Log(0.3) + distuv.Normal{Mu: -2, Sigma: 1}.LogProb(60)
	if math.Abs(lp[0]-want) > 1e-12*math.Abs(want) {
		t.Errorf("log-density at 60: %v, want %v", lp[0], want)
	}
	if got := m.String(); got != "0.3*normal(mean=-2, variance=1) + 0.7*normal(mean=3, variance=0.25)" {
		t.Errorf("String() = %q", got)
	}
	comp := func(w float64) target.Component {
		return target.Component{Weight: w, Family: target.Family{Family: n, Theta: []float64{0, 1}}}
	}
	for _, c := range []struct {
		ws   []float64
		want string
	}{
		{[]float64{0.5, 0.4}, "weights sum to 0.9, -0.1 away from 1 (they must sum to 1 within 1e-09)"},
		{[]float64{1.2, -0.2}, "weight must be finite and >= 0, got -0.2"},
		{[]float64{math.NaN(), 1}, "weight must be finite and >= 0, got NaN"},
		{[]float64{0.5, 0.5 + 2e-9}, "2e-09 away from 1"},
		{nil, "at least one component"},
	} {
		var cs []target.Component
		for _, w := range c.ws {
			cs = append(cs, comp(w))
		}
		_, err := target.NewMixture(cs)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("weights %v: %v, want %q", c.ws, err, c.want)
		}
	}
	if _, err := target.NewMixture([]target.Component{comp(0.5), comp(0.5 + 5e-10)}); err != nil {
		t.Errorf("weights within 1e-9 of summing to 1: %v", err)
	}
}

func ExampleNewExpression() {
	e, err := target.NewExpression("exp(-abs(x))")
	if err != nil {
		panic(err)
	}
	a, _ := grid.Arange(-1, 1.5, 0.5)
	d := make([]float64, a.N)
	e.Density(d, grid.New1D(a))
	fmt.Printf("%s on %v: %.4f\n", e, a.Points(), d)
	_, err = target.NewExpression("exp(-abs(x)")
	fmt.Println(err)
	// Output:
	// expr("exp(-abs(x))") on [-1 -0.5 0 0.5 1]: [0.3679 0.6065 1.0000 0.6065 0.3679]
	// formula error at line 1, column 11: unexpected token EOF
}
