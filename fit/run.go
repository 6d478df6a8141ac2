package fit

import (
	"context"
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
	// CheckpointEvery epochs (never, when that is 0) and once more when
	// the fit ends (the last good state, after a divergence). The
	// checkpoint is valid only during the call. An error does not stop
	// the fit; the first one is kept in Result.CheckpointErr.
	Checkpoint      func(cp *Checkpoint) error
	CheckpointEvery int
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
	// What is "loss" or "gradient".
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

// Run minimizes prob's divergence from prob.Init (or from the state
// opts.Resume saved), recording every accepted state and telling
// observers of each. It stops after opts.Epochs steps, when a rule of
// opts.Stop or the optimizer's own convergence test says so, at the first
// unusable state (status Diverged, with the failure described and every
// earlier state kept, unless opts.OnDivergence is Backtrack and backtracks
// remain) or when ctx is cancelled (status Interrupted, at an epoch
// boundary). Result.StopRule and Result.StopValue say which rule ended the
// fit and the value that triggered it. The error is non-nil only when the
// fit cannot start: an invalid problem, options, initial parameters or
// checkpoint.
func Run(ctx context.Context, prob *Problem, opts Options) (*Result, error) {
	if err := prob.check(); err != nil {
		return nil, err
	}
	if err := opts.check(); err != nil {
		return nil, err
	}
	if c, ok := prob.Transform.(dist.Cloner); ok { // its buffers are this fit's alone
		cp := *prob
		cp.Transform = c.Clone()
		prob = &cp
	}
	opt := opts.Optimizer
	if opt == nil {
		opt = &GD{LearningRate: 0.01}
	}
	if b, ok := opt.(Binder); ok {
		if err := b.Bind(prob); err != nil {
			return nil, err
		}
	}
	stateful, _ := opt.(Stateful)
	scaler, _ := opt.(LearningRateScaler)
	backtrack := opts.OnDivergence == Backtrack
	if backtrack && scaler == nil {
		return nil, fmt.Errorf("on_divergence backtrack halves the learning rate, and the %s optimizer has none", optimizerName(opt))
	}
	maxBacktracks := opts.MaxBacktracks
	if maxBacktracks == 0 {
		maxBacktracks = DefaultMaxBacktracks
	}
	start := time.Now()
	obj := NewObjectiveWith(prob, opts.Engine)
	defer obj.Close()
	names := dist.ParamNames(prob.Family)
	k := len(names)
	s := State{U: make([]float64, k), Grad: make([]float64, k)}
	res := &Result{History: NewHistory(prob.Divergence.Name(), names)}
	report := newReporter(prob, opts.Engine, opts.Report, res.History)
	defer report.close()
	eval := func(u, grad []float64) (float64, error) {
		res.Evaluations++
		loss, err := obj.Eval(u, grad)
		if err != nil {
			return loss, err
		}
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return loss, &NonFiniteError{What: "loss", Value: []float64{loss}}
		}
		for _, g := range grad {
			if math.IsNaN(g) || math.IsInf(g, 0) {
				return loss, &NonFiniteError{What: "gradient", Value: append([]float64(nil), grad...)}
			}
		}
		return loss, nil
	}

	theta := make([]float64, k)
	ev := &Event{Theta: theta, Grad: make([]float64, k)}
	fail := func(epoch int, err error) {
		f := &Failure{Epoch: epoch, Err: err, Names: names, Loss: math.NaN()}
		var nf *NonFiniteError
		if errors.As(err, &nf) && nf.What == "loss" {
			f.Loss = nf.Value[0]
		}
		f.Theta = append([]float64(nil), obj.Theta()...)
		if r := res.History.Len(); r > 0 {
			f.LastGood = append([]float64(nil), res.History.Row(r-1)...)
		}
		res.Status, res.Failure = Diverged, f
		res.StopRule, res.StopValue = string(Diverged), math.NaN()
	}
	record := func(epoch int) {
		prob.Transform.Theta(theta, s.U)
		res.History.Append(s.Loss, theta)
		ev.Report = report.record(s.U)
		res.Epochs = epoch
		ev.Epoch, ev.Loss = epoch, s.Loss
		copy(ev.Grad, s.Grad) // observers get copies: they cannot change the fit
		for _, o := range opts.Observers {
			o.Observe(ev)
		}
	}

	var prior time.Duration
	first := 1
	if cp := opts.Resume; cp != nil {
		if err := resume(cp, opt, stateful, scaler, &s, eval, res); err != nil {
			return nil, err
		}
		prior = cp.Elapsed
		first = cp.Epoch + 1
	} else {
		prob.Transform.U(s.U, prob.Init)
		var err error
		if s.Loss, err = eval(s.U, s.Grad); err != nil {
			fail(0, err)
			res.Elapsed = time.Since(start)
			return res, nil
		}
		record(0)
	}
	elapsed := func() time.Duration { return prior + time.Since(start) }

	// The last good state, for backtracking and for a checkpoint written
	// after a divergence.
	keepGood := backtrack || opts.Checkpoint != nil
	var good State
	var goodOpt []float64
	saveGood := func() {
		good.U, good.Grad = append(good.U[:0], s.U...), append(good.Grad[:0], s.Grad...)
		good.Loss = s.Loss
		if stateful != nil {
			goodOpt = stateful.AppendState(goodOpt[:0])
		}
	}
	if keepGood {
		saveGood()
	}
	checkpoint := func(final bool) {
		cp := &Checkpoint{Optimizer: optimizerName(opt), Epoch: res.Epochs, U: good.U, Loss: good.Loss, Grad: good.Grad,
			OptimizerState: goodOpt, Backtracks: res.Backtracks, Elapsed: elapsed(), History: res.History}
		if final {
			cp.Status = res.Status
		}
		if err := opts.Checkpoint(cp); err != nil && res.CheckpointErr == nil {
			res.CheckpointErr = err
		}
	}

	res.Status = MaxEpochs
	stop := newStopTracker(opts.Stop, res.History)
	stopped := false
	if first == 1 {
		stopped = stop.initial(s.Grad, res)
	}
	done := ctx.Done()
	for epoch := first; !stopped && epoch <= opts.Epochs; epoch++ {
		select {
		case <-done:
			res.Status, res.StopRule, res.StopValue = Interrupted, string(Interrupted), math.NaN()
			stopped = true
			continue
		default:
		}
		if err := opt.Step(&s, eval); err != nil {
			var se *StopError
			if errors.As(err, &se) {
				res.Status, res.StopRule, res.StopValue = se.Status, se.Rule, se.Value
				stopped = true
				continue
			}
			if backtrack && res.Backtracks < maxBacktracks {
				copy(s.U, good.U)
				copy(s.Grad, good.Grad)
				s.Loss = good.Loss
				if stateful != nil {
					if serr := stateful.SetState(goodOpt, k); serr != nil {
						fail(epoch, serr)
						break
					}
				}
				res.LearningRate = scaler.ScaleLearningRate(0.5)
				res.Backtracks++
				epoch-- // take this epoch again
				continue
			}
			if backtrack {
				err = fmt.Errorf("%w (after %d backtracks, learning rate %v)", err, res.Backtracks, scaler.ScaleLearningRate(1))
			}
			fail(epoch, err)
			break
		}
		record(epoch)
		if keepGood {
			saveGood()
		}
		stopped = stop.after(epoch, s.Loss, s.Grad, elapsed, res)
		if opts.Checkpoint != nil && opts.CheckpointEvery > 0 && epoch%opts.CheckpointEvery == 0 && !stopped {
			checkpoint(false)
		}
	}
	if res.Status == MaxEpochs {
		res.StopRule, res.StopValue = string(MaxEpochs), float64(res.Epochs)
	}
	if scaler != nil {
		res.LearningRate = scaler.ScaleLearningRate(1)
	}
	res.Elapsed = elapsed()
	if opts.Checkpoint != nil {
		checkpoint(true)
	}
	return res, nil
}

// optimizerName names an optimizer as checkpoints record it: its name in
// specs, or its Go type for one that is not registered.
func optimizerName(opt Optimizer) string {
	if n, ok := opt.(interface{ Name() string }); ok {
		return n.Name()
	}
	return fmt.Sprintf("%T", opt)
}

func (o *Options) check() error {
	switch {
	case o.Epochs < 0:
		return fmt.Errorf("epochs must be >= 0, got %d", o.Epochs)
	case o.MaxBacktracks < 0:
		return fmt.Errorf("max_backtracks must be >= 0, got %d", o.MaxBacktracks)
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
