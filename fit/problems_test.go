package fit_test

import (
	"testing"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/divergence"
	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/grid"
	"github.com/klfit/klfit/target"
)

// normalFit is the tests' most common problem: a normal target N(0,
// variance) as masses w on the grid start:stop:step, fitted by a normal
// from init under d in the parameterization tr.
func normalFit(tb testing.TB, start, stop, step, variance float64, w target.Weights, d divergence.Divergence, tr dist.Transform, init []float64) *fit.Problem {
	tb.Helper()
	a, err := grid.Arange(start, stop, step)
	if err != nil {
		tb.Fatal(err)
	}
	g := grid.New1D(a)
	p, err := target.Masses(target.Family{Family: dist.Normal{}, Theta: []float64{0, variance}}, g, w)
	if err != nil {
		tb.Fatal(err)
	}
	return &fit.Problem{Grid: g, P: p, Family: dist.Normal{}, Divergence: d, Transform: tr, Init: init}
}
