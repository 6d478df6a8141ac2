package fit

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/divergence"
)

// Status says why a fit ended.
type Status string

// The statuses a fit can end with.
const (
	// MaxEpochs: the fit took every step it was asked for.
	MaxEpochs Status = "max_epochs"
	// Converged: a stopping rule found the fit done.
	Converged Status = "converged"
	// Diverged: a state was not usable (non-finite loss or gradient,
	// parameters outside their domain); the fit stopped before it.
	Diverged Status = "diverged"
	// Interrupted: the context was cancelled between two epochs.
	Interrupted Status = "interrupted"
	// MaxTime: the fit ran for its stop.max_time.
	MaxTime Status = "max_time"
	// Stalled: the optimizer could make no further progress from the last
	// state (L-BFGS's line search found no lower point).
	Stalled Status = "stalled"
	// NoOverlap: a stopping rule (or L-BFGS's stall) ended the fit where
	// the model and the target have next to no mass in common on the
	// grid, next to the largest value of a bounded divergence, where its
	// gradient vanishes: not a minimum (Result.Reason says so).
	NoOverlap Status = "no_overlap"
)

// Options controls a fit's loop.
type Options struct {
	// Optimizer moves the parameters; nil means GD with learning rate 0.01.
	Optimizer Optimizer
	// Epochs is the number of steps to take.
	Epochs int
	// Observers are told of every accepted state, in order, after it is
	// recorded in the history. A resumed fit tells them of the states it
	// adds, not of those in the checkpoint.
	Observers []Observer
	// Stop holds the stopping rules other than Epochs; zero fields are
	// off.
	Stop Stop
	// OnDivergence says what an unusable state does: stop the fit (the
	// zero value) or backtrack.
	OnDivergence DivergenceAction
	// MaxBacktracks bounds the backtracks of a fit; 0 means
	// DefaultMaxBacktracks.
	MaxBacktracks int
	// Checkpoint, when not nil, is given the fit's state every
	// CheckpointEvery epochs (never, when that is 0; see also
	// CheckpointShare) and once more when the fit ends (the last good
	// state, after a divergence). The
	// checkpoint is valid only during the call. An error does not stop
	// the fit; the first one is kept in Result.CheckpointErr.
	Checkpoint      func(cp *Checkpoint) error
	CheckpointEvery int
	// CheckpointShare, when above 0, bounds the share of the fit's time
	// spent in Checkpoint: a periodic checkpoint waits until the fit has
	// run (1/CheckpointShare - 1) times as long as the last one took. A
	// checkpoint holds the whole history, so without a bound a long fit's
	// checkpoints cost the square of its epochs; with one, a fixed share.
	// 0 writes one every CheckpointEvery epochs, whatever it costs.
	CheckpointShare float64
	// Resume, when not nil, continues the fit that saved it: the history,
	// the optimizer's state and the backtracks come from it, and the fit
	// goes on from the epoch after its last.
	Resume *Checkpoint
	// Engine tunes the evaluation of the objective.
	Engine Engine
	// Report lists divergences evaluated at every accepted state besides
	// the one minimized, recorded as extra history columns (see
	// History.Report). They cost one more pass over the grid per state,
	// plus one cheap pass per divergence.
	Report []divergence.Divergence
}

// DivergenceAction is what a fit does with an unusable state.
type DivergenceAction int

// The divergence actions.
const (
	// StopOnDivergence ends the fit with status Diverged.
	StopOnDivergence DivergenceAction = iota
	// Backtrack restores the last good state (parameters and optimizer
	// state), halves the learning rate and takes the epoch again, at most
	// MaxBacktracks times in a fit.
	Backtrack
)

// DefaultMaxBacktracks is the number of backtracks a fit may take when
// Options.MaxBacktracks is 0.
const DefaultMaxBacktracks = 10

// Event is an accepted state, as told to observers. Its slices are valid
// only during the Observe call.
type Event struct {
	Epoch int
	Loss  float64
	// Theta holds the parameters.
	Theta []float64
	// Grad holds the gradient with respect to the optimizer's vector.
	Grad []float64
	// Report holds the reported divergences (Options.Report) of the
	// state, in order; nil when none are reported.
	Report []float64
}

// Observer watches a fit's progress: a progress bar, a streaming CSV
// writer, a web page. Observers cannot change the fit's numbers.
type Observer interface {
	// Observe is told of one accepted state; ev is valid during the call.
	Observe(ev *Event)
}

// ObserverFunc adapts a function to an Observer.
type ObserverFunc func(ev *Event)

// Observe calls f(ev).
func (f ObserverFunc) Observe(ev *Event) { f(ev) }

// Result is what a fit did: its history and why it stopped.
type Result struct {
	Status Status
	// Epochs is the number of steps taken: the history has Epochs+1 rows
	// unless the initial state itself failed.
	Epochs  int
	History *History
	// Failure is set when Status is Diverged.
	Failure *Failure
	// Reason is set when Status is NoOverlap, or MaxEpochs, MaxTime or
	// Interrupted next to a bounded divergence's largest value (where
	// NoOverlap would be): a *NoOverlapError naming the rule that ended
	// the fit and how near the divergence's largest value it did.
	Reason error
	// Elapsed is the wall time of the fit, including the time before a
	// checkpoint it was resumed from.
	Elapsed time.Duration
	// StopRule names what ended the fit: "max_epochs", "tolerance",
	// "gradient_tolerance", "patience", "max_time", an optimizer's own
	// rule ("gradient_threshold", "line_search"), "diverged" or
	// "interrupted".
	StopRule string
	// StopValue is the value that triggered StopRule (the epochs run, the
	// relative loss change, the gradient norm, the epochs without
	// improvement, the seconds); NaN for "diverged" and "interrupted".
	StopValue float64
	// Backtracks counts the backtracks taken (Options.OnDivergence).
	Backtracks int
	// LearningRate is the optimizer's learning rate at the end, after any
	// backtracks; 0 for an optimizer without one.
	LearningRate float64
	// Evaluations counts the loss-and-gradient evaluations, line searches'
	// included.
	Evaluations int
	// TeamShare is the share of the evaluations that ran on more than one
	// goroutine, where Options.Engine allowed more than one and the grid
	// is split (0 otherwise): on a machine where another process holds a
	// core the engine runs the evaluations on one goroutine while that is
	// faster (see Objective.TeamShare).
	TeamShare float64
	// CheckpointErr is the first error returned by Options.Checkpoint.
	CheckpointErr error
}

// Loss returns the loss of the last history row (NaN if there is none).
func (r *Result) Loss() float64 {
	if n := r.History.Len(); n > 0 {
		return r.History.Loss(n - 1)
	}
	return math.NaN()
}

// Theta returns the parameters of the last history row (nil if there is
// none).
func (r *Result) Theta() []float64 {
	if n := r.History.Len(); n > 0 {
		return r.History.Row(n - 1)
	}
	return nil
}

// Failure describes the state that stopped a diverged fit. That state is
// not in the history.
type Failure struct {
	// Epoch is the epoch whose state was not usable.
	Epoch int
	// Err says what was wrong with it.
	Err error
	// Names names the parameters.
	Names []string
	// Theta holds the offending parameters, when they could be computed.
	Theta []float64
	// Loss is the offending loss (NaN when it was not computed).
	Loss float64
	// LastGood holds the parameters of the last history row (nil when the
	// initial state failed).
	LastGood []float64
}

// Error returns a one-line message naming the epoch, the problem, the
// offending values and the last good parameters.
func (f *Failure) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "epoch %d: %v", f.Epoch, f.Err)
	if f.Theta != nil {
		fmt.Fprintf(&b, "; offending parameters %s", formatParams(f.Names, f.Theta))
	}
	if f.LastGood != nil {
		fmt.Fprintf(&b, "; last good parameters %s", formatParams(f.Names, f.LastGood))
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (f *Failure) Unwrap() error { return f.Err }

// formatParams writes named parameters for a one-line message: the first
// maxShown of them, and how many more there are (a categorical model has
// one per grid point).
func formatParams(names []string, theta []float64) string {
	const maxShown = 12
	parts := make([]string, 0, min(len(names), maxShown)+1)
	for i, n := range names {
		if i == maxShown {
			parts = append(parts, fmt.Sprintf("... (%d more)", len(names)-maxShown))
			break
		}
		parts = append(parts, fmt.Sprintf("%s=%v", n, theta[i]))
	}
	return strings.Join(parts, ", ")
}

// NonFiniteError reports a loss or gradient that is NaN or infinite.
type NonFiniteError struct {
	// What is "loss", "gradient" or "parameter NAME".
	What  string
	Value []float64
}

// Error implements error.
func (e *NonFiniteError) Error() string {
	if len(e.Value) == 1 {
		return fmt.Sprintf("the %s is %v", e.What, e.Value[0])
	}
	return fmt.Sprintf("the %s is %v", e.What, e.Value)
}

func (o *Options) check() error {
	switch {
	case o.Epochs < 0:
		return fmt.Errorf("epochs must be >= 0, got %d", o.Epochs)
	case o.MaxBacktracks < 0:
		return fmt.Errorf("max_backtracks must be >= 0, got %d", o.MaxBacktracks)
	case o.CheckpointShare < 0 || o.CheckpointShare > 1:
		return fmt.Errorf("the share of time for checkpoints must be from 0 to 1, got %v", o.CheckpointShare)
	case o.CheckpointEvery < 0:
		return fmt.Errorf("the checkpoint interval must be >= 0 epochs, got %d", o.CheckpointEvery)
	case o.OnDivergence != StopOnDivergence && o.OnDivergence != Backtrack:
		return fmt.Errorf("unknown divergence action %d", o.OnDivergence)
	}
	return o.Stop.check()
}

func (p *Problem) check() error {
	switch {
	case p.Grid == nil || p.Grid.Len() == 0:
		return errors.New("fit: the problem has no grid")
	case len(p.P) != p.Grid.Len():
		return fmt.Errorf("fit: %d target masses for %d grid points", len(p.P), p.Grid.Len())
	case p.Family == nil:
		return errors.New("fit: the problem has no model family")
	case p.Family.Dim() != p.Grid.Dim():
		return fmt.Errorf("fit: the %s family is %d-D but the grid is %d-D", p.Family.Name(), p.Family.Dim(), p.Grid.Dim())
	case p.Divergence == nil:
		return errors.New("fit: the problem has no divergence")
	case p.Transform == nil:
		return errors.New("fit: the problem has no parameterization")
	}
	if err := dist.Validate(p.Family, p.Init); err != nil {
		return fmt.Errorf("initial parameters: %w", err)
	}
	return nil
}
