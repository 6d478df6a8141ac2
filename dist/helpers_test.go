package dist_test

import (
	"testing"

	"github.com/klfit/klfit/dist"
)

// eval returns f's log-density and scores at the points (x, y).
func eval(f dist.Family, theta, x, y []float64) (logp []float64, score [][]float64) {
	logp = make([]float64, len(x))
	score = make([][]float64, len(f.Params()))
	for k := range score {
		score[k] = make([]float64, len(x))
	}
	f.Eval(theta, x, y, logp, score)
	return logp, score
}

// logpOnly returns f's log-density at the points (x, y), without scores.
func logpOnly(f dist.Family, theta, x, y []float64) []float64 {
	logp := make([]float64, len(x))
	f.Eval(theta, x, y, logp, nil)
	return logp
}

// mustMixture returns the mixture of k members of comp.
func mustMixture(t testing.TB, comp dist.Family, k int) *dist.Mixture {
	t.Helper()
	mx, err := dist.NewMixture(comp, k)
	if err != nil {
		t.Fatal(err)
	}
	return mx
}

// linspace returns n points from lo to hi inclusive.
func linspace(lo, hi float64, n int) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = lo + (hi-lo)*float64(i)/float64(n-1)
	}
	return xs
}
