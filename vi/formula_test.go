package vi_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/expr-lang/expr"

	"github.com/klfit/klfit/target"
	"github.com/klfit/klfit/vi"
)

// formulaCases cover every operator and construct; formulaFuncCases (from
// the registry) cover every function.
var formulaCases = []string{
	"-x1^2/2 - (x2 - x1^2)^2 + 0*x3",
	"exp(x1*x2) + x3",
	"log(1 + x1^2 + x2^2) * x3",
	"sqrt(1 + x1^2 + x2^4) - x3**3",
	"abs(x1 - x2) * x3",
	"sin(x1)*cos(x2) + tan(x3/3)",
	"atan(x1*x2) + sinh(x3/2) - cosh(x1/2) + tanh(x2*x3)",
	"floor(x1)*x2 + ceil(x3)*x1",
	"erf(x1 - x2*x3)",
	"pow(1 + x1^2, x2/3) + x3^3 - x1**2 + 2^x2",
	"min(x1, x2) + max(x2*x3, x1)",
	"mod(x1*5, 1 + x2^2) + (x3*7) % 2 + 7 % x3",
	"log(normal_pdf(x1, x2, 1 + x3^2))",
	"log(laplace_pdf(x1, x2, 1 + x3^2))",
	"x1 > 0 ? -x1^2/2 : -abs(x1) + x2*x3",
	"x1 / (1 + x2^2) - x3 / (2 + x1)",
	"(x1 > 0 && x2 < 1) || !(x3 > 0) ? x1*x2 : x3",
	"(x1 >= 0 and x2 <= 0) or not (x3 == 1) or x1 != x2 ? -x1*x1 : x2",
	"-(x1 - pi)^2 / e + +x2 - -x3",
}

// formulaFuncCases returns one formula for each function of the formula
// registry, each argument depending on a coordinate (later arguments kept
// positive, as scales and variances are).
func formulaFuncCases() []string {
	var out []string
	args := []string{"(0.3 + x1^2)", "(0.5 + x2^2)", "(0.7 + x3^2)"}
	for _, f := range target.FormulaFuncs() {
		out = append(out, "x3*"+f.Name+"("+strings.Join(args[:f.Args], ", ")+")")
	}
	return out
}

// TestDerivativesCoverFormulaFunctions checks that every function of the
// formula registry compiles into a log-density formula (which needs its
// derivative).
func TestDerivativesCoverFormulaFunctions(t *testing.T) {
	for _, src := range formulaFuncCases() {
		if _, err := vi.NewFormula(src, 3); err != nil {
			t.Errorf("%s: %v", src, err)
		}
	}
}

// TestFormulaValues compares the formula's values with expr's own
// evaluation of the same formula.
func TestFormulaValues(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, src := range append(formulaCases, formulaFuncCases()...) {
		f, err := vi.NewFormula(src, 3)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		for range 20 {
			x := []float64{rng.Float64()*3 - 1.5, rng.Float64()*3 - 1.5, rng.Float64()*3 - 1.5}
			want, err := exprValue(src, x)
			if err != nil {
				t.Fatalf("%s: expr: %v", src, err)
			}
			got := f.LogDensity(x, nil)
			if !close(got, want, 1e-14) {
				t.Errorf("%s at %v: %v, expr says %v", src, x, got, want)
			}
		}
	}
}

// exprValue evaluates src at x with expr's virtual machine.
func exprValue(src string, x []float64) (float64, error) {
	env := map[string]any{"pi": math.Pi, "e": math.E}
	for i, v := range x {
		env["x"+strconv.Itoa(i+1)] = v
	}
	prog, err := target.CompileFormula(src, target.FormulaOptions(env))
	if err != nil {
		return 0, err
	}
	out, err := expr.Run(prog, env)
	if err != nil {
		return 0, err
	}
	switch v := out.(type) {
	case float64:
		return v, nil
	case int:
		return float64(v), nil
	}
	return math.NaN(), nil
}

func close(a, b, rel float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	if a == b {
		return true
	}
	return math.Abs(a-b) <= rel*math.Max(math.Abs(a), math.Abs(b))
}

// TestFormulaGradient checks the reverse-mode gradient against central
// finite differences at random points. With step h = 1e-5 (1 + |x|) the
// difference's truncation error is about h^2 |f3| / 6 ~ 1e-10 (f3 the
// third derivative) and its rounding error about 1e-16 |f| / h ~ 1e-11
// for these formulas of order 1 to 10, so 1e-6 (1 + |g|) separates a right gradient from a wrong one
// (off by O(1)) with a wide margin. A point within 4h of a kink (abs,
// floor, min, mod, a condition) is skipped: there the difference
// straddles two branches.
func TestFormulaGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	checked := 0
	for _, src := range append(formulaCases, formulaFuncCases()...) {
		f, err := vi.NewFormula(src, 3)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		for range 30 {
			x := []float64{rng.Float64()*3 - 1.5, rng.Float64()*3 - 1.5, rng.Float64()*3 - 1.5}
			g := make([]float64, 3)
			v := f.LogDensity(x, g)
			if v != f.LogDensity(x, nil) {
				t.Fatalf("%s: the value depends on whether the gradient is asked", src)
			}
			for i := range x {
				h := 1e-5 * (1 + math.Abs(x[i]))
				fd1, ok1 := central(f, x, i, h)
				fd2, ok2 := central(f, x, i, 4*h)
				if !ok1 || !ok2 || math.Abs(fd1-fd2) > 1e-4*(1+math.Abs(fd1)) {
					continue // a kink or a discontinuity nearby
				}
				checked++
				if math.Abs(g[i]-fd1) > 1e-6*(1+math.Abs(g[i])) {
					t.Errorf("%s at %v: d/dx%d = %v, finite difference %v", src, x, i+1, g[i], fd1)
				}
			}
		}
	}
	if total := (len(formulaCases) + len(formulaFuncCases())) * 30 * 3; checked < total*9/10 {
		t.Errorf("only %d of %d derivatives were checked", checked, total)
	}
}

func central(f *vi.Formula, x []float64, i int, h float64) (float64, bool) {
	xp := append([]float64(nil), x...)
	xp[i] = x[i] + h
	fp := f.LogDensity(xp, nil)
	xp[i] = x[i] - h
	fm := f.LogDensity(xp, nil)
	d := (fp - fm) / (2 * h)
	return d, !math.IsNaN(d) && !math.IsInf(d, 0)
}

// TestFormulaErrors checks that bad formulas get one line naming the
// problem and its place.
func TestFormulaErrors(t *testing.T) {
	for _, c := range []struct {
		src  string
		dims int
		want string
	}{
		{"-x1^2/2 - x3^2", 2, "formula error at line 1, column 11: x3 is not a coordinate of a 2-D target: the coordinates are x1 and x2"},
		{"exp(x0)", 1, "formula error at line 1, column 5: unknown name x0: a log-density formula uses the coordinates x1 and the constants pi and e"},
		{"-y^2", 3, "formula error at line 1, column 2: unknown name y: a log-density formula uses the coordinates x1 ... x3 and the constants pi and e"},
		{"x1 % (x9 + 1)", 2, "formula error at line 1, column 7: x9 is not a coordinate"},
		{"x1 +", 1, "formula error at line 1"},
		{"  ", 1, "formula error: the log-density formula is empty"},
		{"x1", 0, "log-density formula: dims is 0, must be between 1 and 100000"},
		{"foo(x1)", 1, "formula error"},
		{"'a'", 1, "formula error"},
		{"x1 > 0", 1, "formula error"},
		{strings.Repeat("-x1^2/2", vi.MaxFormulaNodes/5), 1, "formula error at line 1, column "},
	} {
		_, err := vi.NewFormula(c.src, c.dims)
		if len(c.src) > 1000 && (err == nil || !strings.Contains(err.Error(), "the formula has more than 200000 nodes")) {
			t.Errorf("a formula of %d bytes: error %v, want one naming the bound", len(c.src), err)
		}
		if err == nil {
			t.Errorf("%q dims %d: no error", c.src, c.dims)
			continue
		}
		if !strings.HasPrefix(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q dims %d: error %q, want a line starting %q", c.src, c.dims, err, c.want)
		}
		var ee *target.ExprError
		if c.dims > 0 && !errors.As(err, &ee) {
			t.Errorf("%q: error %T, want *target.ExprError", c.src, err)
		}
	}
}

// FuzzFormula compiles arbitrary formulas: none may panic, and an
// accepted one evaluates, with its gradient, to the value expr computes.
func FuzzFormula(f *testing.F) {
	for _, s := range append(formulaCases, "x1 +", "'a'", "[1,2]", "{a: 1}", "x1 in [1]", "let a = 1; a",
		"max(x1)", "0x1p-2", "1e400", "x1 ? 1 : 2", "x1.y", "x1[0]", "#", "$env", "x2 ?? 1", "1..3",
		"x1 matches 'a'", "x1 |> exp()", "if x1 > 0 { x1 } else { x2 }", "2 % 0", "9223372036854775807 + 1") {
		f.Add(s)
	}
	x := []float64{0.7, -1.3}
	f.Fuzz(func(t *testing.T, src string) {
		fm, err := vi.NewFormula(src, 2)
		if err != nil {
			if err.Error() == "" || strings.Contains(err.Error(), "\n") && !strings.Contains(src, "\n") {
				t.Fatalf("%q: error %q is not one line", src, err)
			}
			return
		}
		g := make([]float64, 2)
		v := fm.LogDensity(x, g)
		want, err := exprValue(src, x)
		if err != nil || math.Abs(want) > 1e15 {
			return // expr fails (an integer division by zero) or integers overflow
		}
		if !close(v, want, 1e-12) {
			t.Errorf("%q: %v, expr says %v", src, v, want)
		}
	})
}

// TestFormulaOverEveryCoordinate compiles log-densities with a term for
// each coordinate, at the full-rank model's largest dimension (2000) and
// the mean-field model's (10,000), terms of 9 nodes each as a target's
// often are, and checks the value and gradient against a direct sum. The
// compiler's default bound (10,000 nodes) refused them at 1500
// dimensions.
func TestFormulaOverEveryCoordinate(t *testing.T) {
	for _, d := range []int{vi.MaxFullRankDims, vi.MaxMeanFieldDims} {
		var b strings.Builder
		for i := 1; i <= d; i++ {
			// -(xi - m)^2 / (2 * s), m = i/1000, s = 1 + i%3.
			fmt.Fprintf(&b, " - (x%d - %g)^2 / (2 * %d)", i, float64(i)/1000, 1+i%3)
		}
		f, err := vi.NewFormula(b.String(), d)
		if err != nil {
			t.Fatalf("d = %d: %v", d, err)
		}
		x := make([]float64, d)
		for i := range x {
			x[i] = math.Sin(float64(i))
		}
		grad := make([]float64, d)
		got := f.LogDensity(x, grad)
		var want float64
		for i := 1; i <= d; i++ {
			m, s := float64(i)/1000, float64(1+i%3)
			want -= (x[i-1] - m) * (x[i-1] - m) / (2 * s)
			if g := -(x[i-1] - m) / s; math.Abs(grad[i-1]-g) > 1e-15*(1+math.Abs(g)) {
				t.Fatalf("d = %d: gradient[%d] = %v, want %v", d, i-1, grad[i-1], g)
			}
		}
		// Summed in the same order, term by term: the same roundings up to
		// the few a compiler's constant folding may change.
		if math.Abs(got-want) > 1e-12*math.Abs(want) {
			t.Errorf("d = %d: %v, want %v", d, got, want)
		}
	}
}
