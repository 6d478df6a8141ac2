package spec_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klfit/klfit/fit"
)

// TestDensityMeaning checks what a loss on raw density values is said to
// be: for forward KL, the KL it amounts to, loss/c - log c, with its
// bound, and 0 within the bound where the KL is below it; nothing for
// normalized weights.
func TestDensityMeaning(t *testing.T) {
	const head = "grid: {start: -10, stop: 10, step: 0.1}\ntarget: {family: normal, params: {mean: 0, variance: 7}}\nmodel: {family: normal}\n"
	b := build(t, head+"target_weights: density\n")
	var c float64
	for _, p := range b.Problem.P {
		c += p
	}
	for _, tc := range []struct {
		loss float64
		want string
	}{
		{c*math.Log(c) + 0.5*c, "so KL(P||Q) = 0.5 (± "},
		{c * math.Log(c), "so KL(P||Q) = 0 within "},
		{c*math.Log(c) - 1e-14, "so KL(P||Q) = 0 within "},
		{c*math.Log(c) - 1e-3*c, "so KL(P||Q) = -0.001 (± "},
	} {
		if got := b.DensityMeaning(tc.loss, false); !strings.Contains(got, tc.want) || !strings.Contains(got, "not KL(P||Q)") {
			t.Errorf("loss %v: %q, want %q", tc.loss, got, tc.want)
		}
	}
	if got := build(t, head).DensityMeaning(1, false); got != "" {
		t.Errorf("normalized weights: %q", got)
	}
}

// TestDensityKLBound checks the stated bound on fits that end where the
// KL is known: 0, for a normal model fitted to a normal target on grids
// whose c = sum p is about 1 (step 1, where the bound's relative part
// vanishes) and about 10 (the notebook's); the KL stated must be 0
// within the bound. And the bound printed is the bound compared against:
// never rounded down.
func TestDensityKLBound(t *testing.T) {
	for _, step := range []string{"1", "0.1"} {
		b := build(t, "grid: {start: -10, stop: 10, step: "+step+"}\ntarget: {family: normal, params: {mean: 0, variance: 7}}\n"+
			"target_weights: density\nmodel: {family: normal, init: {mean: 1, variance: 3}}\noptimizer: lbfgs\n")
		res, err := fit.Run(context.Background(), b.Problem, b.Options())
		if err != nil {
			t.Fatal(err)
		}
		_, kl, bound, _ := b.DensityKL(res.Loss())
		if m := b.DensityMeaning(res.Loss(), false); math.Abs(kl) > bound || !strings.Contains(m, "so KL(P||Q) = 0 within ") {
			t.Errorf("step %s: KL %v, bound %v: %q", step, kl, bound, m)
		}
		var printed float64
		fmt.Sscanf(fmt.Sprintf("%.1g", bound), "%g", &printed)
		if printed < bound {
			t.Errorf("step %s: the bound %v prints as %v", step, bound, printed)
		}
	}
}

// TestDataRangeGridWarns checks that a grid chosen as binned counts' own
// range says that the model is fitted as if cut there, and that a grid
// given does not.
func TestDataRangeGridWarns(t *testing.T) {
	p := filepath.Join(t.TempDir(), "h.csv")
	if err := os.WriteFile(p, []byte("0,1,5\n1,3,10\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	const want = "the grid was chosen as the data's own range, [0, 3], with no margin"
	src := "target: {histogram: " + p + "}\nmodel: {family: normal}\n"
	if w := strings.Join(build(t, src).Warnings, "\n"); !strings.Contains(w, want) {
		t.Errorf("warnings %q, want %q", w, want)
	}
	if w := strings.Join(build(t, "grid: {start: -5, stop: 8, step: 0.01}\n"+src).Warnings, "\n"); strings.Contains(w, "data's own range") {
		t.Errorf("a grid given: warnings %q", w)
	}
}

// TestCutFormulaGridWarns checks that a formula's automatic grid, its
// mass's own range with no margin, warns when the target's mass has not
// fallen off at an end (a uniform: a normal model's variance then grows
// without end, and the fit converged at 1335 where the uniform's is 1/3),
// and does not for a formula whose mass falls off (a normal's), or for a
// grid given.
func TestCutFormulaGridWarns(t *testing.T) {
	const want = "the grid was chosen as the formula's own range, [-1, "
	src := "target: 'expr(\"x^2 < 1 ? 1 : 0\")'\nmodel: {family: normal}\n"
	if w := strings.Join(build(t, src).Warnings, "\n"); !strings.Contains(w, want) || !strings.Contains(w, "its mass is 100% of the largest point's") {
		t.Errorf("uniform on [-1, 1]: warnings %q, want %q", w, want)
	}
	for _, other := range []string{
		"target: 'expr(\"exp(-x^2/2)\")'\nmodel: {family: normal}\n",
		"grid: {start: -3, stop: 3, step: 0.001}\n" + src,
	} {
		if w := strings.Join(build(t, other).Warnings, "\n"); strings.Contains(w, "formula's own range") {
			t.Errorf("%q: warnings %q", other, w)
		}
	}
}
