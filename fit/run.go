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
)

// Options controls a fit's loop.
type Options struct {
	// Optimizer moves the parameters; nil means GD with learning rate 0.01.
	Optimizer Optimizer
	// Epochs is the number of steps to take.
	Epochs int
	// Observers are told of every accepted state, in order, after it is
	// recorded in the history.
	Observers []Observer
	// Engine tunes the evaluation of the objective.
	Engine Engine
	// Report lists divergences evaluated at every accepted state besides
	// the one minimized, recorded as extra history columns (see
	// History.Report). They cost one more pass over the grid per state,
	// plus one cheap pass per divergence.
	Report []divergence.Divergence
}

// Event is an accepted state, as told to observers. Its slices are valid
// only during the Observe call.
type Event struct {
	Epoch int
	Loss  float64
	// Theta holds the parameters.
	Theta []float64
	// Grad holds the gradient with respect to the optimizer's vector.
	Grad []float64
}

// Observer watches a fit's progress: a progress bar, a streaming CSV
// writer, a web page. Observers cannot change the fit's numbers.
type Observer interface {
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
	Elapsed time.Duration
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

func formatParams(names []string, theta []float64) string {
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s=%v", n, theta[i])
	}
	return strings.Join(parts, ", ")
}

// NonFiniteError reports a loss or gradient that is NaN or infinite.
type NonFiniteError struct {
	// What is "loss" or "gradient".
	What  string
	Value []float64
}

func (e *NonFiniteError) Error() string {
	if len(e.Value) == 1 {
		return fmt.Sprintf("the %s is %v", e.What, e.Value[0])
	}
	return fmt.Sprintf("the %s is %v", e.What, e.Value)
}

// Run minimizes prob's divergence from prob.Init, recording every accepted
// state. It stops after opts.Epochs steps, at the first unusable state
// (status Diverged, with the failure described and every earlier state
// kept) or when ctx is cancelled (status Interrupted, at an epoch
// boundary). The error is non-nil only when the fit cannot start: an
// invalid problem or initial parameters.
func Run(ctx context.Context, prob *Problem, opts Options) (*Result, error) {
	if err := prob.check(); err != nil {
		return nil, err
	}
	if opts.Epochs < 0 {
		return nil, fmt.Errorf("epochs must be >= 0, got %d", opts.Epochs)
	}
	opt := opts.Optimizer
	if opt == nil {
		opt = &GD{LearningRate: 0.01}
	}
	start := time.Now()
	obj := NewObjectiveWith(prob, opts.Engine)
	defer obj.Close()
	names := dist.ParamNames(prob.Family)
	k := len(names)
	s := State{U: make([]float64, k), Grad: make([]float64, k)}
	prob.Transform.U(s.U, prob.Init)
	eval := func(u, grad []float64) (float64, error) {
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

	res := &Result{History: NewHistory(prob.Divergence.Name(), names)}
	report := newReporter(prob, opts.Engine, opts.Report, res.History)
	defer report.close()
	theta := make([]float64, k)
	ev := &Event{Theta: theta, Grad: s.Grad}
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
	}
	record := func(epoch int) {
		prob.Transform.Theta(theta, s.U)
		res.History.Append(s.Loss, theta)
		report.record(s.U)
		res.Epochs = epoch
		ev.Epoch, ev.Loss = epoch, s.Loss
		for _, o := range opts.Observers {
			o.Observe(ev)
		}
	}

	var err error
	if s.Loss, err = eval(s.U, s.Grad); err != nil {
		fail(0, err)
		res.Elapsed = time.Since(start)
		return res, nil
	}
	record(0)
	res.Status = MaxEpochs
	done := ctx.Done()
	for epoch := 1; epoch <= opts.Epochs; epoch++ {
		select {
		case <-done:
			res.Status = Interrupted
			res.Elapsed = time.Since(start)
			return res, nil
		default:
		}
		if err := opt.Step(&s, eval); err != nil {
			fail(epoch, err)
			break
		}
		record(epoch)
	}
	res.Elapsed = time.Since(start)
	return res, nil
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
