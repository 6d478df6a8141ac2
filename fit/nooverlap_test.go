package fit_test

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/divergence"
	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/target"
)

// apartProblem is N(0, 1) as normalized masses on [-20, 20] in steps of
// 0.02, fitted by a normal 0.1 wide at the given mean, under d: from a
// mean of 15 the two have no mass in common in float64 (the target's
// density there is 1e-49 of its peak, the model's at the target 1e-490),
// from 8 next to none.
func apartProblem(tb testing.TB, d divergence.Divergence, mean float64) *fit.Problem {
	tb.Helper()
	return normalFit(tb, -20, 20, 0.02, 1, target.Normalized, d, dist.Unconstrained(dist.Normal{}), []float64{mean, 0.1})
}

// boundedDivergences returns the registered divergences (with their
// default options) that declare a largest value and can be minimized.
func boundedDivergences(t *testing.T) []divergence.Divergence {
	var out []divergence.Divergence
	for _, name := range divergence.Names() {
		d, err := divergence.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, reportOnly := d.(divergence.ReportOnly); reportOnly {
			continue
		}
		if b, ok := d.(divergence.Bounded); ok {
			if _, ok := b.Sup(); ok {
				out = append(out, d)
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("no bounded divergence registered")
	}
	return out
}

// TestNoOverlapIsRefused starts every registered optimizer on every
// registered bounded divergence where the model and the target have no
// mass in common: the divergence is at its largest value, its gradient
// 1e-16 of rounding. L-BFGS said converged at epoch 0 (gradient_threshold),
// Adam took its steps along the rounding and ended max_epochs at log 2.
// The fit must refuse to start: status diverged at epoch 0, the failure a
// *NoOverlapError.
func TestNoOverlapIsRefused(t *testing.T) {
	for _, d := range boundedDivergences(t) {
		for name, opt := range registered(t) {
			res, err := fit.Run(context.Background(), apartProblem(t, d, 15), fit.Options{Optimizer: opt, Epochs: 100})
			if err != nil {
				t.Fatal(err)
			}
			var no *fit.NoOverlapError
			if res.Status != fit.Diverged || res.Epochs != 0 || res.Failure == nil || !errors.As(res.Failure, &no) {
				t.Errorf("%s, %s: %s (%s %v) after %d epochs, loss %v, failure %v; want refused at epoch 0", d.Name(), name,
					res.Status, res.StopRule, res.StopValue, res.Epochs, res.Loss(), res.Failure)
			}
		}
	}
}

// TestStopNearMaximumIsNoOverlap runs fits that a stopping rule ends next
// to a bounded divergence's largest value (JS 3.3e-9 below log 2, the
// gradient 1e-8): none may say converged; each must end with status
// no_overlap, the rule that fired kept and the reason given.
func TestStopNearMaximumIsNoOverlap(t *testing.T) {
	for _, tc := range []struct {
		name string
		opt  fit.Optimizer
		stop fit.Stop
		rule string
	}{
		{"gd gradient_tolerance", &fit.GD{LearningRate: 0.01}, fit.Stop{GradientTolerance: 1e-6}, "gradient_tolerance"},
		{"gd tolerance", &fit.GD{LearningRate: 0.01}, fit.Stop{Tolerance: 1e-9}, "tolerance"},
		{"lbfgs gradient_threshold", &fit.LBFGS{GradientThreshold: 1e-6}, fit.Stop{}, "gradient_threshold"},
	} {
		res, err := fit.Run(context.Background(), apartProblem(t, divergence.JS{}, 8), fit.Options{Optimizer: tc.opt, Epochs: 100, Stop: tc.stop})
		if err != nil {
			t.Fatal(err)
		}
		var no *fit.NoOverlapError
		if res.Status != fit.NoOverlap || res.StopRule != tc.rule || !errors.As(res.Reason, &no) || no.Rule != tc.rule || no.Sup != math.Ln2 {
			t.Errorf("%s: %s (%s %v) after %d epochs, loss %v, reason %v", tc.name, res.Status, res.StopRule, res.StopValue, res.Epochs, res.Loss(), res.Reason)
		}
	}
	// From there, L-BFGS with its own threshold finds the target.
	res, err := fit.Run(context.Background(), apartProblem(t, divergence.JS{}, 8), fit.Options{Optimizer: &fit.LBFGS{}, Epochs: 100})
	if err != nil {
		t.Fatal(err)
	}
	if th := res.Theta(); res.Status != fit.Converged || math.Abs(th[0]) > 1e-6 || math.Abs(th[1]-1) > 1e-6 {
		t.Errorf("lbfgs: %s (%s) at %v", res.Status, res.StopRule, th)
	}
}

// TestEndNearMaximumSaysSo runs fits that end next to a bounded
// divergence's largest value without a stopping rule: at max_epochs (GD
// from JS 3.3e-9 below log 2 moves the mean by 1e-7 in 100 epochs), and
// interrupted. Each keeps its status, and gives the reason no_overlap
// would (they ended without a word, as a fit that got somewhere does); a
// fit that ends max_epochs away from the maximum gives none.
func TestEndNearMaximumSaysSo(t *testing.T) {
	res, err := fit.Run(context.Background(), apartProblem(t, divergence.JS{}, 8), fit.Options{Optimizer: &fit.GD{LearningRate: 0.1}, Epochs: 100})
	if err != nil {
		t.Fatal(err)
	}
	var no *fit.NoOverlapError
	if res.Status != fit.MaxEpochs || !errors.As(res.Reason, &no) || no.Rule != "max_epochs" || no.Sup != math.Ln2 {
		t.Errorf("max_epochs: %s (%s) after %d epochs, loss %v, reason %v", res.Status, res.StopRule, res.Epochs, res.Loss(), res.Reason)
	}
	ctx, cancel := context.WithCancel(context.Background())
	obs := fit.ObserverFunc(func(ev *fit.Event) {
		if ev.Epoch == 10 {
			cancel()
		}
	})
	res, err = fit.Run(ctx, apartProblem(t, divergence.JS{}, 8), fit.Options{Optimizer: &fit.GD{LearningRate: 0.1}, Epochs: 100, Observers: []fit.Observer{obs}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != fit.Interrupted || !errors.As(res.Reason, &no) || no.Rule != "interrupted" {
		t.Errorf("interrupted: %s (%s) after %d epochs, reason %v", res.Status, res.StopRule, res.Epochs, res.Reason)
	}
	// From a mean of 2 the model overlaps the target: no reason.
	res, err = fit.Run(context.Background(), normalFit(t, -20, 20, 0.02, 1, target.Normalized, divergence.JS{}, dist.Unconstrained(dist.Normal{}), []float64{2, 0.5}),
		fit.Options{Optimizer: &fit.GD{LearningRate: 0.1}, Epochs: 100})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != fit.MaxEpochs || res.Reason != nil {
		t.Errorf("overlapping: %s, reason %v", res.Status, res.Reason)
	}
}

// jumper is an optimizer whose first step lands the model at a mean of
// 15, where it has no mass in common with apartProblem's target.
type jumper struct{}

func (jumper) Name() string         { return "jumper" }
func (jumper) Fresh() fit.Optimizer { return jumper{} }
func (jumper) Step(s *fit.State, eval fit.Evaluator) error {
	s.U[0] = 15
	var err error
	s.Loss, err = eval(s.U, s.Grad)
	return err
}

// TestStepToNoOverlapDiverges checks that a step landing where the model
// and the target have no mass in common is a divergence, the last good
// state kept.
func TestStepToNoOverlapDiverges(t *testing.T) {
	res, err := fit.Run(context.Background(), apartProblem(t, divergence.Hellinger{}, 1), fit.Options{Optimizer: jumper{}, Epochs: 10})
	if err != nil {
		t.Fatal(err)
	}
	var no *fit.NoOverlapError
	if res.Status != fit.Diverged || res.Failure == nil || res.Failure.Epoch != 1 || !errors.As(res.Failure, &no) || res.History.Len() != 1 {
		t.Errorf("%s after %d epochs, failure %v", res.Status, res.Epochs, res.Failure)
	}
}
