package dist_test

import (
	"math"
	"testing"

	"github.com/klfit/klfit/dist"
)

// TestFisherClosedForms checks every closed-form Fisher information against
// E[s s^T] computed by quadrature of the family's own scores: the midpoint
// rule on 2e5 cells in a variable t that makes the integrand smooth
// (x = t on the line, x = e^t on (0, inf), x = 1/(1+e^-t) on (0, 1), so
// that densities infinite at 0 are integrated too), whose error (the
// truncated tails and the rule's h^2 term) is below 1e-6 relative here.
func TestFisherClosedForms(t *testing.T) {
	line := func(t float64) (float64, float64) { return t, 1 }
	half := func(t float64) (float64, float64) { x := math.Exp(t); return x, x }
	unit := func(t float64) (float64, float64) { x := 1 / (1 + math.Exp(-t)); return x, x * (1 - x) }
	for _, tc := range []struct {
		name   string
		theta  []float64
		lo, hi float64 // in t
		x      func(t float64) (x, dxdt float64)
	}{
		{"normal", []float64{1, 2}, -15, 17, line},
		{"exponential", []float64{1.5}, -60, 4, half},
		{"gamma", []float64{3, 2}, -30, 4, half},
		{"gamma", []float64{0.7, 1.5}, -120, 4, half},
		{"beta", []float64{2, 5}, -40, 40, unit},
		{"beta", []float64{0.8, 1.4}, -120, 80, unit},
		{"lognormal", []float64{0.5, 0.6}, -6, 7, half},
	} {
		f, err := dist.Lookup(tc.name)
		if err != nil {
			t.Fatal(err)
		}
		fi, ok := f.(dist.FisherInformer)
		if !ok {
			t.Fatalf("%s has no closed-form Fisher information", tc.name)
		}
		k := len(f.Params())
		want := make([]float64, k*k)
		fi.Fisher(want, tc.theta)
		n := 200_000
		h := (tc.hi - tc.lo) / float64(n)
		x, w := make([]float64, n), make([]float64, n)
		for i := range x {
			x[i], w[i] = tc.x(tc.lo + (float64(i)+0.5)*h)
		}
		lp := make([]float64, n)
		score := make([][]float64, k)
		for j := range score {
			score[j] = make([]float64, n)
		}
		f.Eval(tc.theta, x, nil, lp, score)
		for a := range k {
			for b := range k {
				var s float64
				for i := range x {
					s += w[i] * math.Exp(lp[i]) * score[a][i] * score[b][i]
				}
				s *= h
				if w := want[a*k+b]; math.Abs(s-w) > 1e-6*math.Max(1, math.Abs(w)) {
					t.Errorf("%s %v: I[%d][%d] = %.10g, quadrature %.10g", tc.name, tc.theta, a, b, w, s)
				}
			}
		}
	}
}
