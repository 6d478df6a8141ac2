package fit

import (
	"fmt"
	"math"
	"time"
)

// Stop holds a fit's stopping rules besides the number of epochs
// (Options.Epochs, spec key max_epochs or epochs). A zero field is off.
// After each epoch the rules are checked in this order, and the first
// that holds ends the fit:
//
//   - GradientTolerance: the infinity norm of the gradient (with respect
//     to the optimizer's vector) is <= GradientTolerance; status
//     Converged. Also checked at the initial state.
//   - Tolerance: the loss changed by at most Tolerance relative to its
//     size, |f_k - f_(k-1)| <= Tolerance * max(|f_k|, |f_(k-1)|, 1)
//     (SciPy's ftol); status Converged.
//   - Patience: Patience epochs have passed since the loss last went
//     below its best value; status Converged.
//   - MaxTime: the fit has run for MaxTime of wall time; status MaxTime.
type Stop struct {
	Tolerance         float64
	GradientTolerance float64
	Patience          int
	MaxTime           time.Duration
}

func (s Stop) check() error {
	switch {
	case !(s.Tolerance >= 0) || math.IsInf(s.Tolerance, 0):
		return fmt.Errorf("stop.tolerance must be a finite number >= 0, got %v", s.Tolerance)
	case !(s.GradientTolerance >= 0) || math.IsInf(s.GradientTolerance, 0):
		return fmt.Errorf("stop.gradient_tolerance must be a finite number >= 0, got %v", s.GradientTolerance)
	case s.Patience < 0:
		return fmt.Errorf("stop.patience must be >= 0, got %d", s.Patience)
	case s.MaxTime < 0:
		return fmt.Errorf("stop.max_time must be >= 0, got %v", s.MaxTime)
	}
	return nil
}

// stopTracker applies the stopping rules. Its state (the previous and best
// losses) is derived from the history, so a resumed fit stops where an
// uninterrupted one would.
type stopTracker struct {
	Stop
	prev      float64
	best      float64
	bestEpoch int
}

func newStopTracker(rules Stop, h *History) *stopTracker {
	t := &stopTracker{Stop: rules, prev: math.NaN(), best: math.Inf(1)}
	for r, l := range h.Losses() {
		if l < t.best {
			t.best, t.bestEpoch = l, r
		}
		t.prev = l
	}
	return t
}

func gradNorm(grad []float64) float64 {
	var m float64
	for _, g := range grad {
		m = math.Max(m, math.Abs(g))
	}
	return m
}

// initial checks the initial state (only the gradient rule applies) and
// reports whether the fit is done.
func (t *stopTracker) initial(grad []float64, res *Result) bool {
	if t.GradientTolerance > 0 {
		if n := gradNorm(grad); n <= t.GradientTolerance {
			res.Status, res.StopRule, res.StopValue = Converged, "gradient_tolerance", n
			return true
		}
	}
	return false
}

// after checks the rules after an epoch and reports whether the fit is
// done.
func (t *stopTracker) after(epoch int, loss float64, grad []float64, elapsed func() time.Duration, res *Result) bool {
	prev := t.prev
	t.prev = loss
	if loss < t.best {
		t.best, t.bestEpoch = loss, epoch
	}
	if t.GradientTolerance > 0 {
		if n := gradNorm(grad); n <= t.GradientTolerance {
			res.Status, res.StopRule, res.StopValue = Converged, "gradient_tolerance", n
			return true
		}
	}
	if t.Tolerance > 0 {
		rel := math.Abs(loss-prev) / math.Max(math.Max(math.Abs(loss), math.Abs(prev)), 1)
		if rel <= t.Tolerance {
			res.Status, res.StopRule, res.StopValue = Converged, "tolerance", rel
			return true
		}
	}
	if t.Patience > 0 {
		if since := epoch - t.bestEpoch; since >= t.Patience {
			res.Status, res.StopRule, res.StopValue = Converged, "patience", float64(since)
			return true
		}
	}
	if t.MaxTime > 0 {
		if e := elapsed(); e >= t.MaxTime {
			res.Status, res.StopRule, res.StopValue = MaxTime, "max_time", e.Seconds()
			return true
		}
	}
	return false
}
