package fit

import (
	"math"
	"testing"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/divergence"
	"github.com/klfit/klfit/grid"
	"github.com/klfit/klfit/target"
	"gonum.org/v1/gonum/stat/distuv"
)

// TestGridMass checks the model's mass on the grid that every pass
// computes (the exp-free normal passes, the mixture pass, the general
// one) against the normal's CDF over the grid's cells (for a mixture, the
// weighted sum of its components'), for models half off the grid, under
// every divergence that can be minimized. The sum is the midpoint rule
// over the cells [a, b]: by Euler-Maclaurin it is the integral minus
// h^2/24 (f'(b) - f'(a)), up to 7h^4/5760 times the third derivatives,
// below 1e-8 here; 1e-7 bounds the difference.
func TestGridMass(t *testing.T) {
	a, _ := grid.Arange(-10, 10, 0.05)
	g := grid.New1D(a)
	p, err := target.Masses(target.Family{Family: dist.Normal{}, Theta: []float64{0, 4}}, g, target.Normalized)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range divergence.Names() {
		d, _ := divergence.Lookup(name)
		if _, ok := d.(divergence.ReportOnly); ok {
			continue
		}
		for _, theta := range [][]float64{{9.5, 1}, {0, 1}, {-12, 4}} {
			for _, plain := range []bool{false, true} {
				prob := &Problem{Grid: g, P: p, Family: dist.Normal{}, Divergence: d, Transform: dist.Identity{}, Init: theta}
				obj := NewObjectiveWith(prob, Engine{Plain: plain})
				if _, err := obj.Eval(theta, make([]float64, 2)); err != nil {
					t.Fatalf("%s %v: %v", name, theta, err)
				}
				n := distuv.Normal{Mu: theta[0], Sigma: math.Sqrt(theta[1])}
				lo, hi := a.At(0)-a.Delta/2, a.At(a.N-1)+a.Delta/2
				deriv := func(x float64) float64 { return -(x - theta[0]) / theta[1] * n.Prob(x) }
				want := n.CDF(hi) - n.CDF(lo) - a.Delta*a.Delta/24*(deriv(hi)-deriv(lo))
				got := math.Exp(obj.gridLog()) * g.Weight
				if math.Abs(got-want) > 1e-7 {
					t.Errorf("%s %v plain=%v: mass on the grid %v, want %v", name, theta, plain, got, want)
				}
				obj.Close()
			}
		}
		mix, err := dist.NewMixture(dist.Normal{}, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, comps := range [][][]float64{{{9.5, 1}, {0, 1}}, {{-12, 4}, {10, 0.5}}, {{3, 2}, {-11, 0.5}}} {
			w := []float64{0.3, 0.7}
			theta := mix.Theta(w, comps)
			for _, plain := range []bool{false, true} {
				prob := &Problem{Grid: g, P: p, Family: mix, Divergence: d, Transform: dist.Identity{}, Init: theta}
				obj := NewObjectiveWith(prob, Engine{Plain: plain})
				if !plain && obj.mix == nil && obj.kl == nil {
					t.Fatalf("%s: a mixture of normals does not take the mixture pass", name)
				}
				if _, err := obj.Eval(theta, make([]float64, len(theta))); err != nil {
					t.Fatalf("%s %v: %v", name, comps, err)
				}
				var want float64
				for c, ct := range comps {
					n := distuv.Normal{Mu: ct[0], Sigma: math.Sqrt(ct[1])}
					lo, hi := a.At(0)-a.Delta/2, a.At(a.N-1)+a.Delta/2
					deriv := func(x float64) float64 { return -(x - ct[0]) / ct[1] * n.Prob(x) }
					want += w[c] * (n.CDF(hi) - n.CDF(lo) - a.Delta*a.Delta/24*(deriv(hi)-deriv(lo)))
				}
				got := math.Exp(obj.gridLog()) * g.Weight
				if math.Abs(got-want) > 1e-7 {
					t.Errorf("%s mixture %v plain=%v: mass on the grid %v, want %v", name, comps, plain, got, want)
				}
				obj.Close()
			}
		}
	}
}
