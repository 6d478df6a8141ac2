package fit_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"sync"
	"testing"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/divergence"
	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/grid"
	"github.com/klfit/klfit/target"
	"gonum.org/v1/gonum/stat/distuv"
)

// defaultOptimizer builds the registered optimizer name with its default
// settings.
func defaultOptimizer(t *testing.T, name string) fit.Optimizer {
	t.Helper()
	info, err := fit.LookupOptimizer(name)
	if err != nil {
		t.Fatal(err)
	}
	s := map[string]float64{}
	for _, st := range info.Settings {
		s[st.Name] = st.Default
	}
	return info.New(s)
}

func historyCSV(t *testing.T, res *fit.Result) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := res.History.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestRunReusesProblemAndOptions runs the same problem and options twice
// in a row and twice at once, for every registered optimizer, with
// backtracking on where the optimizer has a learning rate (backtracking
// changes the run's learning rate): every history is byte-identical, so a
// run changes nothing that the next one reads.
func TestRunReusesProblemAndOptions(t *testing.T) {
	prob := notebookProblem(t)
	prob.Transform = dist.Unconstrained(dist.Normal{})
	for _, name := range fit.OptimizerNames() {
		t.Run(name, func(t *testing.T) {
			opt := defaultOptimizer(t, name)
			opts := fit.Options{Optimizer: opt, Epochs: 60, Report: nil}
			if _, ok := opt.Fresh().(fit.LearningRateScaler); ok {
				opts.OnDivergence = fit.Backtrack
			}
			first, err := fit.Run(context.Background(), prob, opts)
			if err != nil {
				t.Fatal(err)
			}
			want := historyCSV(t, first)
			second, err := fit.Run(context.Background(), prob, opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := historyCSV(t, second); !bytes.Equal(got, want) {
				t.Fatalf("the second run differs from the first")
			}
			var wg sync.WaitGroup
			got := make([][]byte, 2)
			errs := make([]error, 2)
			for i := range got {
				wg.Go(func() {
					res, err := fit.Run(context.Background(), prob, opts)
					if errs[i] = err; err == nil {
						var b bytes.Buffer
						errs[i] = res.History.WriteCSV(&b)
						got[i] = b.Bytes()
					}
				})
			}
			wg.Wait()
			for i := range got {
				if errs[i] != nil {
					t.Fatal(errs[i])
				}
				if !bytes.Equal(got[i], want) {
					t.Errorf("concurrent run %d differs from the first", i)
				}
			}
		})
	}
}

// TestFreshDefaults checks that a zero learning rate means the
// registered default, for every optimizer that has one, and that Fresh
// keeps the optimizer's name.
func TestFreshDefaults(t *testing.T) {
	for _, name := range fit.OptimizerNames() {
		info, _ := fit.LookupOptimizer(name)
		fresh := defaultOptimizer(t, name).Fresh()
		if fresh.Name() != name {
			t.Errorf("%s: Fresh().Name() = %q", name, fresh.Name())
		}
		for _, st := range info.Settings {
			if st.Name != "learning_rate" {
				continue
			}
			s := map[string]float64{}
			for _, st := range info.Settings {
				s[st.Name] = st.Default
			}
			s["learning_rate"] = 0
			o := info.New(s).Fresh()
			sc, ok := o.(fit.LearningRateScaler)
			if !ok {
				t.Fatalf("%s has a learning rate but no LearningRateScaler", name)
			}
			if got := sc.ScaleLearningRate(1); got != st.Default {
				t.Errorf("%s: a zero learning rate gave %v, want the default %v", name, got, st.Default)
			}
		}
	}
}

// TestModelLeavesGrid runs the notebook's raw parameters at learning rate
// 1000, whose first step throws the model far off the [-10, 10] grid: the
// fit must stop as diverged with a *GridError, not run on to max_epochs.
// With backtracking it must recover and end at a model on the grid.
func TestModelLeavesGrid(t *testing.T) {
	prob := notebookProblem(t)
	res, err := fit.Run(context.Background(), prob, fit.Options{Optimizer: &fit.GD{LearningRate: 1000}, Epochs: 50})
	if err != nil {
		t.Fatal(err)
	}
	var ge *fit.GridError
	if res.Status != fit.Diverged || !errors.As(res.Failure, &ge) {
		t.Fatalf("status %s (%v), want diverged with a GridError", res.Status, res.Failure)
	}
	if ge.Mass >= fit.MinGridMass {
		t.Errorf("reported mass %v is not below %v", ge.Mass, fit.MinGridMass)
	}
	res, err = fit.Run(context.Background(), prob, fit.Options{Optimizer: &fit.GD{LearningRate: 100}, Epochs: 200,
		OnDivergence: fit.Backtrack, MaxBacktracks: 20, Stop: fit.Stop{Tolerance: 1e-10}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status == fit.Diverged {
		t.Fatalf("backtracking did not recover: %v", res.Failure)
	}
	theta := res.Theta()
	n := distuv.Normal{Mu: theta[0], Sigma: math.Sqrt(theta[1])}
	if mass := n.CDF(9.9) - n.CDF(-10); !(mass >= fit.MinGridMass) {
		t.Errorf("ended %s at %v, with %v of its mass on the grid", res.Status, theta, mass)
	}
}

// TestLRFindNeverSuggestsLeavingTheGrid sweeps GD's learning rate on the
// notebook's raw parameters up to 10, where one step throws the model off
// the grid: those rates are not stable, and the suggestion is below them.
func TestLRFindNeverSuggestsLeavingTheGrid(t *testing.T) {
	prob := notebookProblem(t)
	rates := []float64{0.01, 0.05, 1, 10}
	pts, suggest, err := fit.LRFind(context.Background(), rates, func(r float64) fit.Trial {
		return fit.Trial{Problem: prob, Options: fit.Options{Optimizer: &fit.GD{LearningRate: r}, Epochs: 50}}
	})
	if err != nil {
		t.Fatal(err)
	}
	last := pts[len(pts)-1]
	if last.Stable || last.Status != fit.Diverged {
		t.Errorf("learning rate 10: %s, stable %v; want diverged (off the grid)", last.Status, last.Stable)
	}
	if suggest < 0 || pts[suggest].Rate >= 10 {
		t.Errorf("suggested index %d of %v", suggest, rates)
	}
}

// TestLBFGSAgainstTheGridEdge fits a normal to an exponential target on
// [0.05, 30]: the loss keeps falling as the model slides off to the left,
// so L-BFGS's line search ends against the grid-mass check. That is a
// divergence naming the grid, not a "stalled" fit with exit 0.
func TestLBFGSAgainstTheGridEdge(t *testing.T) {
	a, err := grid.Arange(0.05, 30, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	g := grid.New1D(a)
	p, err := target.Masses(target.Family{Family: dist.Exponential{}, Theta: []float64{1}}, g, target.Normalized)
	if err != nil {
		t.Fatal(err)
	}
	prob := &fit.Problem{Grid: g, P: p, Family: dist.Normal{}, Divergence: divergence.ForwardKL{},
		Transform: dist.Unconstrained(dist.Normal{}), Init: []float64{1, 1}}
	res, err := fit.Run(context.Background(), prob, fit.Options{Optimizer: &fit.LBFGS{}, Epochs: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var ge *fit.GridError
	if res.Status != fit.Diverged || !errors.As(res.Failure, &ge) {
		t.Fatalf("status %s (%v), want diverged with a GridError", res.Status, res.Failure)
	}
}

// TestCheckpointShare writes a checkpoint (a JSON copy of the history,
// done 20 times: far slower than an epoch) after every epoch of a
// 2000-epoch fit, bounded to a tenth of the fit's time: each one then
// waits for nine times its own cost of epochs, so only a few are written
// (the margin to 200 is two orders of magnitude), the final one always.
// Without the bound every epoch gets its checkpoint (200 epochs there).
func TestCheckpointShare(t *testing.T) {
	prob := notebookProblem(t)
	for _, c := range []struct {
		share            float64
		epochs, min, max int
	}{{0.1, 2000, 2, 200}, {0, 200, 201, 201}} {
		n := 0
		save := func(cp *fit.Checkpoint) error {
			n++
			for range 20 {
				if _, err := cp.MarshalJSON(); err != nil {
					return err
				}
			}
			return nil
		}
		res, err := fit.Run(context.Background(), prob, fit.Options{Optimizer: &fit.GD{LearningRate: 0.01}, Epochs: c.epochs,
			Checkpoint: save, CheckpointEvery: 1, CheckpointShare: c.share})
		if err != nil || res.CheckpointErr != nil {
			t.Fatal(err, res.CheckpointErr)
		}
		if n < c.min || n > c.max {
			t.Errorf("share %v: %d checkpoints, want %d to %d", c.share, n, c.min, c.max)
		}
	}
}
