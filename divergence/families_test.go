package divergence_test

import (
	"context"
	"math"
	"testing"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/divergence"
	"github.com/klfit/klfit/target"
)

// TestClosedFormsWithFamilies checks every closed form against grid
// quadrature of the registered families themselves, so that each closed
// form reads the parameter vector in the family's own order. Both
// directions of KL are checked. The grid estimate stops when two grids
// agree within 1e-8 relative: the closed form must agree with it to 1e-6
// relative (the window's truncation and the refinement's error, with room).
func TestClosedFormsWithFamilies(t *testing.T) {
	for _, tc := range []struct {
		family string
		p, q   []float64
	}{
		{"normal", []float64{0, 1}, []float64{1, 2}},
		{"exponential", []float64{1}, []float64{2.5}},
		{"gamma", []float64{3, 2}, []float64{2, 1}},
		{"beta", []float64{2, 3}, []float64{3, 3}},
		{"laplace", []float64{0, 1}, []float64{0.5, 2}},
		{"lognormal", []float64{0, 0.5}, []float64{0.3, 0.7}},
		{"mvnormal", []float64{0, 0, 1, 0.3, 2}, []float64{0.5, -0.5, 1.5, -0.2, 1}},
	} {
		f, err := dist.Lookup(tc.family)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"kl", "reverse_kl"} {
			d, _ := divergence.Lookup(name)
			p, err := divergence.FromTarget(target.Family{Family: f, Theta: tc.p})
			if err != nil {
				t.Fatal(err)
			}
			q, _ := divergence.FromTarget(target.Family{Family: f, Theta: tc.q})
			closed, err := divergence.EstimateDivergence(context.Background(), d, p, q, divergence.Options{Method: divergence.MethodClosedForm})
			if err != nil {
				t.Fatalf("%s %s: %v", name, tc.family, err)
			}
			grid, err := divergence.EstimateDivergence(context.Background(), d, p, q, divergence.Options{Method: divergence.MethodGrid, Tolerance: 1e-8})
			if err != nil {
				t.Fatalf("%s %s: %v", name, tc.family, err)
			}
			if math.Abs(closed.Value-grid.Value) > 1e-6*math.Max(1, closed.Value) {
				t.Errorf("%s %s: closed form %.12g, grid %.12g (error %.2g, converged %v)", name, tc.family, closed.Value, grid.Value, grid.Error, grid.Converged)
			}
		}
	}
}
