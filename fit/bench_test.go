package fit_test

import (
	"io"
	"testing"
	"time"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/divergence"
	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/grid"
	"github.com/klfit/klfit/target"
)

// notebookProblem is the notebook's experiment, built without the spec
// package.
func notebookProblem(tb testing.TB) *fit.Problem {
	tb.Helper()
	a, err := grid.Arange(-10, 10, 0.1)
	if err != nil {
		tb.Fatal(err)
	}
	g := grid.New1D(a)
	p, err := target.Masses(target.Family{Family: dist.Normal{}, Theta: []float64{0, 7}}, g, target.Density)
	if err != nil {
		tb.Fatal(err)
	}
	return &fit.Problem{Grid: g, P: p, Family: dist.Normal{}, Divergence: divergence.ForwardKL{},
		Transform: dist.Identity{}, Init: []float64{5, 1}}
}

// BenchmarkDemoEpoch measures one epoch of the notebook's fit: a gradient
// step, the loss and gradient at the new state, and its history row.
func BenchmarkDemoEpoch(b *testing.B) {
	prob := notebookProblem(b)
	b.ReportAllocs()
	res, err := fit.Run(b.Context(), prob, fit.Options{Optimizer: &fit.GD{LearningRate: 0.01}, Epochs: b.N})
	if err != nil || res.Status != fit.MaxEpochs {
		b.Fatal(err, res.Status)
	}
}

// BenchmarkObjectiveEval measures one loss-and-gradient evaluation of the
// notebook problem.
func BenchmarkObjectiveEval(b *testing.B) {
	prob := notebookProblem(b)
	obj := fit.NewObjective(prob)
	u := []float64{1, 6}
	grad := make([]float64, 2)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := obj.Eval(u, grad); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoopOverhead measures what the loop adds to each epoch: the
// step, the history row, the stop rules and the observers (a CSV streamer
// writing to io.Discard and an empty observer function), on a problem of
// 4 grid points whose evaluation costs little. Allocations are reported:
// once the history's slices have grown, an epoch allocates nothing, so
// allocs/op rounds to 0 (growth by doubling is amortized).
func BenchmarkLoopOverhead(b *testing.B) {
	a, err := grid.Arange(-1, 1, 0.5)
	if err != nil {
		b.Fatal(err)
	}
	g := grid.New1D(a)
	p, err := target.Masses(target.Family{Family: dist.Normal{}, Theta: []float64{0, 1}}, g, target.Normalized)
	if err != nil {
		b.Fatal(err)
	}
	prob := &fit.Problem{Grid: g, P: p, Family: dist.Normal{}, Divergence: divergence.ForwardKL{},
		Transform: dist.Unconstrained(dist.Normal{}), Init: []float64{0.5, 2}}
	for _, bc := range []struct {
		name      string
		observers func() ([]fit.Observer, func())
		stop      fit.Stop
	}{
		{"bare", func() ([]fit.Observer, func()) { return nil, func() {} }, fit.Stop{}},
		{"observers+stop", func() ([]fit.Observer, func()) {
			st := fit.NewCSVStreamer(io.Discard, []string{"epoch", "kl", "mean", "variance"}, 0)
			return []fit.Observer{st, fit.ObserverFunc(func(*fit.Event) {})}, func() { st.Close() }
		}, fit.Stop{Patience: 1 << 40, MaxTime: time.Hour}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			obs, done := bc.observers()
			defer done()
			b.ReportAllocs()
			b.ResetTimer()
			res, err := fit.Run(b.Context(), prob, fit.Options{Optimizer: &fit.GD{LearningRate: 1e-9}, Epochs: b.N, Observers: obs, Stop: bc.stop})
			if err != nil || res.Status != fit.MaxEpochs {
				b.Fatal(err, res.Status)
			}
		})
	}
}
