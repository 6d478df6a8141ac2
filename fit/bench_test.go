package fit_test

import (
	"fmt"
	"io"
	"math"
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
	return normalFit(tb, -10, 10, 0.1, 7, target.Density, divergence.ForwardKL{}, dist.Identity{}, []float64{5, 1})
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

// BenchmarkDemoFit measures the notebook's whole fit, 1000 epochs from
// the start, and reports it per epoch: the epoch as the demo runs it,
// its share of the fit's setup and of its history included. (Over b.N
// epochs of one fit, BenchmarkDemoEpoch also measures a history of
// millions of rows, growing into memory the process has not touched.)
func BenchmarkDemoFit(b *testing.B) {
	prob := notebookProblem(b)
	b.ReportAllocs()
	for b.Loop() {
		res, err := fit.Run(b.Context(), prob, fit.Options{Optimizer: &fit.GD{LearningRate: 0.01}, Epochs: 1000})
		if err != nil || res.Status != fit.MaxEpochs {
			b.Fatal(err, res.Status)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "ns/epoch")
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

// largeProblem is a normal target N(0, 1) on n points spanning [-8, 8], a
// normal model started at mean 1, variance 2.
func largeProblem(tb testing.TB, n int) *fit.Problem {
	tb.Helper()
	return normalFit(tb, -8, 8, 16/float64(n), 1, target.Normalized, divergence.ForwardKL{}, dist.Unconstrained(dist.Normal{}), []float64{1, 2})
}

// BenchmarkLargeGrid measures one loss-and-gradient evaluation on 10^6
// points with 1 and 2 threads, by the specialized and the plain pass.
func BenchmarkLargeGrid(b *testing.B) {
	prob := largeProblem(b, 1_000_000)
	for _, eng := range []struct {
		name string
		e    fit.Engine
	}{{"fast/threads=1", fit.Engine{Threads: 1}}, {"fast/threads=2", fit.Engine{Threads: 2}},
		{"plain/threads=1", fit.Engine{Threads: 1, Plain: true}}} {
		b.Run(eng.name, func(b *testing.B) {
			obj := fit.NewObjectiveWith(prob, eng.e)
			defer obj.Close()
			u := []float64{1, 0.5}
			grad := make([]float64, 2)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := obj.Eval(u, grad); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(prob.Grid.Len()), "ns/point")
		})
	}
}

// BenchmarkGrid2D measures one evaluation for a bivariate normal model on
// a 1000 x 1000 grid, by the row-by-row pass on 1 and 2 threads.
func BenchmarkGrid2D(b *testing.B) {
	ax, _ := grid.Arange(-5, 5, 0.01)
	ay, _ := grid.Arange(-5, 5, 0.01)
	g, err := grid.New2D(ax, ay)
	if err != nil {
		b.Fatal(err)
	}
	p, err := target.Masses(target.Family{Family: normal2{}, Theta: []float64{0, 0, 1, 0.3, 2}}, g, target.Normalized)
	if err != nil {
		b.Fatal(err)
	}
	theta := []float64{0.5, -0.5, 1.5, 0.2, 1}
	prob := &fit.Problem{Grid: g, P: p, Family: normal2{}, Divergence: divergence.ForwardKL{}, Transform: dist.Identity{}, Init: theta}
	for _, eng := range []fit.Engine{{Threads: 1}, {Threads: 2}, {Threads: 2, Plain: true}} {
		b.Run(fmt.Sprintf("threads=%d/plain=%v", eng.Threads, eng.Plain), func(b *testing.B) {
			obj := fit.NewObjectiveWith(prob, eng)
			defer obj.Close()
			grad := make([]float64, 5)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := obj.Eval(theta, grad); err != nil {
					b.Fatal(err)
				}
			}
		})
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
		}, fit.Stop{Patience: math.MaxInt32, MaxTime: time.Hour}},
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
