package fit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/divergence"
)

// Run minimizes prob's divergence from prob.Init (or from the state
// opts.Resume saved), recording every accepted state and telling
// observers of each. It stops after opts.Epochs steps, when a rule of
// opts.Stop or the optimizer's own convergence test says so, at the first
// unusable state (status Diverged, with the failure described and every
// earlier state kept, unless opts.OnDivergence is Backtrack and backtracks
// remain) or when ctx is cancelled (status Interrupted, at an epoch
// boundary). A state whose model has left the grid (see GridError) is an
// unusable state. Result.StopRule and Result.StopValue say which rule
// ended the fit and the value that triggered it. The error is non-nil only
// when the fit cannot start: an invalid problem, options, initial
// parameters or checkpoint.
//
// Run changes neither prob nor opts (opts.Optimizer is stepped through a
// Fresh copy), so the same problem and options can be run any number of
// times, concurrently too, with identical results. Run is Start, then
// Loop.Run, then Loop.Close.
func Run(ctx context.Context, prob *Problem, opts Options) (*Result, error) {
	l, err := Start(prob, opts)
	if err != nil {
		return nil, err
	}
	defer l.Close()
	return l.Run(ctx), nil
}

// NewHistoryFor returns the empty history a fit of prob records, with the
// columns of the divergences it reports: the one description of the
// history's layout (CSV header and rows) that every writer uses.
func NewHistoryFor(prob *Problem, report []divergence.Divergence) *History {
	h := NewHistory(prob.Divergence.Name(), dist.ParamNames(prob.Family))
	for _, d := range report {
		h.Report = append(h.Report, ReportColumn(d))
	}
	return h
}

// Loop is one run of a fit. Start checks everything that can refuse the
// fit (the problem, the options, a checkpoint to resume) and evaluates the
// first state, before a caller writes anything; Run then takes the steps.
// A Loop holds the run's state (the optimizer's fresh copy, buffers, the
// history) and runs once.
type Loop struct {
	prob     *Problem
	opts     Options
	opt      Optimizer
	stateful Stateful
	scaler   LearningRateScaler
	obj      *Objective
	report   *reporter
	names    []string

	s      State
	evalFn Evaluator // l.eval, made once: a method value allocates
	res    *Result
	theta  []float64
	ev     *Event

	// first is the first epoch Run takes; the states before it are in
	// the history already.
	first int
	// notifyFirst is set when the initial state (epoch 0) was recorded by
	// Start and observers have still to be told of it.
	notifyFirst bool
	prior       time.Duration
	started     time.Time

	backtrack     bool
	maxBacktracks int
	keepGood      bool
	good          State
	goodOpt       []float64
	ran           bool
}

// Start prepares a run of prob under opts: it checks the problem and the
// options, makes the run's own optimizer (opts.Optimizer.Fresh()) and
// buffers, and evaluates the initial state (or restores opts.Resume, which
// must be a checkpoint of this very problem). The error is non-nil when
// the fit cannot start; an initial state that is not usable is not an
// error but a result: Result().Status is then Diverged at epoch 0, and Run
// returns it at once.
func Start(prob *Problem, opts Options) (*Loop, error) {
	if err := prob.check(); err != nil {
		return nil, err
	}
	if err := opts.check(); err != nil {
		return nil, err
	}
	if c, ok := prob.Transform.(dist.Cloner); ok { // its buffers are this run's alone
		cp := *prob
		cp.Transform = c.Clone()
		prob = &cp
	}
	l := &Loop{prob: prob, opts: opts, started: time.Now(), first: 1}
	if opts.Optimizer == nil {
		l.opt = &GD{LearningRate: 0.01}
	} else {
		l.opt = opts.Optimizer.Fresh()
	}
	if b, ok := l.opt.(Binder); ok {
		if err := b.Bind(prob); err != nil {
			return nil, err
		}
	}
	l.stateful, _ = l.opt.(Stateful)
	l.scaler, _ = l.opt.(LearningRateScaler)
	l.backtrack = opts.OnDivergence == Backtrack
	if l.backtrack && l.scaler == nil {
		return nil, fmt.Errorf("on_divergence backtrack halves the learning rate, and the %s optimizer has none", l.opt.Name())
	}
	l.maxBacktracks = opts.MaxBacktracks
	if l.maxBacktracks == 0 {
		l.maxBacktracks = DefaultMaxBacktracks
	}
	l.evalFn = l.eval
	l.obj = NewObjectiveWith(prob, opts.Engine)
	l.names = dist.ParamNames(prob.Family)
	k := len(l.names)
	l.s = State{U: make([]float64, k), Grad: make([]float64, k)}
	l.res = &Result{History: NewHistoryFor(prob, opts.Report)}
	l.report = newReporter(prob, opts.Engine, opts.Report, l.res.History)
	l.theta = make([]float64, k)
	l.ev = &Event{Theta: l.theta, Grad: make([]float64, k)}
	if err := l.initial(); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// initial evaluates the first state, or restores the checkpoint's.
func (l *Loop) initial() error {
	if cp := l.opts.Resume; cp != nil {
		if err := resume(cp, l.opt, l.stateful, l.scaler, &l.s, l.evalFn, l.res); err != nil {
			return err
		}
		l.prior = cp.Elapsed
		l.first = cp.Epoch + 1
		return nil
	}
	l.prob.Transform.U(l.s.U, l.prob.Init)
	var err error
	if l.s.Loss, err = l.evalFn(l.s.U, l.s.Grad); err != nil {
		l.fail(0, err)
		return nil
	}
	l.append(0)
	l.notifyFirst = true
	return nil
}

// Result returns the run's result so far: after Start, the initial state
// (or the resumed history) and, when the initial state was not usable,
// status Diverged.
func (l *Loop) Result() *Result { return l.res }

// History returns the history the run records into.
func (l *Loop) History() *History { return l.res.History }

// Close releases the run's workers. The result stays valid.
func (l *Loop) Close() {
	if l.obj != nil {
		l.obj.Close()
		l.obj = nil
	}
	if l.report != nil {
		l.report.close()
		l.report = nil
	}
}

// eval evaluates the objective at u and checks that the state is usable:
// a finite loss and gradient, and a model whose mass lies on the grid.
func (l *Loop) eval(u, grad []float64) (float64, error) {
	l.res.Evaluations++
	loss, err := l.obj.Eval(u, grad)
	if err != nil {
		return loss, err
	}
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return loss, &NonFiniteError{What: "loss", Value: []float64{loss}}
	}
	for _, g := range grad {
		if math.IsNaN(g) || math.IsInf(g, 0) {
			return loss, &NonFiniteError{What: "gradient", Value: slices.Clone(grad)}
		}
	}
	return loss, l.obj.checkGridMass()
}

// fail ends the run as diverged at epoch, for err.
func (l *Loop) fail(epoch int, err error) {
	f := &Failure{Epoch: epoch, Err: err, Names: l.names, Loss: math.NaN()}
	var nf *NonFiniteError
	if errors.As(err, &nf) && nf.What == "loss" {
		f.Loss = nf.Value[0]
	}
	f.Theta = slices.Clone(l.obj.Theta())
	if r := l.res.History.Len(); r > 0 {
		f.LastGood = slices.Clone(l.res.History.Row(r - 1))
	}
	l.res.Status, l.res.Failure = Diverged, f
	l.res.StopRule, l.res.StopValue = string(Diverged), math.NaN()
}

// append records the current state as epoch's history row.
func (l *Loop) append(epoch int) {
	l.prob.Transform.Theta(l.theta, l.s.U)
	l.res.History.Append(l.s.Loss, l.theta)
	l.ev.Report = l.report.record(l.s.U)
	l.res.Epochs = epoch
}

// notify tells the observers of the state last recorded.
func (l *Loop) notify(observers []Observer) {
	l.ev.Epoch, l.ev.Loss = l.res.Epochs, l.s.Loss
	copy(l.ev.Grad, l.s.Grad) // observers get copies: they cannot change the fit
	for _, o := range observers {
		o.Observe(l.ev)
	}
}

// saveGood keeps the current state as the last good one, for backtracking
// and for the checkpoint written after a divergence.
func (l *Loop) saveGood() {
	l.good.U = append(l.good.U[:0], l.s.U...)
	l.good.Grad = append(l.good.Grad[:0], l.s.Grad...)
	l.good.Loss = l.s.Loss
	if l.stateful != nil {
		l.goodOpt = l.stateful.AppendState(l.goodOpt[:0])
	}
}

// elapsed is the fit's wall time, the checkpoint's included.
func (l *Loop) elapsed() time.Duration { return l.prior + time.Since(l.started) }

// checkpoint hands the last good state to opts.Checkpoint.
func (l *Loop) checkpoint(final bool) {
	cp := &Checkpoint{Optimizer: l.opt.Name(), Epoch: l.res.Epochs, U: l.good.U, Loss: l.good.Loss, Grad: l.good.Grad,
		OptimizerState: l.goodOpt, Backtracks: l.res.Backtracks, Elapsed: l.elapsed(), History: l.res.History}
	if final {
		cp.Status = l.res.Status
	}
	if err := l.opts.Checkpoint(cp); err != nil && l.res.CheckpointErr == nil {
		l.res.CheckpointErr = err
	}
}

// restoreGood goes back to the last good state and halves the learning
// rate; it reports whether a backtrack was left to take.
func (l *Loop) restoreGood(epoch int) bool {
	if !l.backtrack || l.res.Backtracks >= l.maxBacktracks {
		return false
	}
	copy(l.s.U, l.good.U)
	copy(l.s.Grad, l.good.Grad)
	l.s.Loss = l.good.Loss
	if l.stateful != nil {
		if err := l.stateful.SetState(l.goodOpt, len(l.names)); err != nil {
			l.fail(epoch, err)
			return true
		}
	}
	l.res.LearningRate = l.scaler.ScaleLearningRate(0.5)
	l.res.Backtracks++
	return true
}

// step takes epoch's step and reports whether the fit has ended. A step
// that backtracked reports retry: the epoch is to be taken again.
func (l *Loop) step(epoch int) (ended, retry bool) {
	err := l.opt.Step(&l.s, l.evalFn)
	if err == nil {
		return false, false
	}
	var se *StopError
	if errors.As(err, &se) {
		l.res.Status, l.res.StopRule, l.res.StopValue = se.Status, se.Rule, se.Value
		return true, false
	}
	if l.restoreGood(epoch) {
		return l.res.Status == Diverged, l.res.Status != Diverged
	}
	if l.backtrack {
		err = fmt.Errorf("%w (after %d backtracks, learning rate %v)", err, l.res.Backtracks, l.scaler.ScaleLearningRate(1))
	}
	l.fail(epoch, err)
	return true, false
}

// Run takes the fit's steps from the state Start prepared, telling
// opts.Observers and observers of every accepted state (the initial one
// first), and returns the result. A Loop runs once; a second call returns
// the same result.
func (l *Loop) Run(ctx context.Context, observers ...Observer) *Result {
	if l.ran {
		return l.res
	}
	l.ran = true
	obs := append(slices.Clip(l.opts.Observers), observers...)
	if l.res.Status == Diverged { // the initial state was not usable
		l.res.Elapsed = l.elapsed()
		return l.res
	}
	if l.notifyFirst {
		l.notify(obs)
	}
	l.keepGood = l.backtrack || l.opts.Checkpoint != nil
	if l.keepGood {
		l.saveGood()
	}
	res := l.res
	res.Status = MaxEpochs
	stop := newStopTracker(l.opts.Stop, res.History)
	ended := false
	if l.first == 1 {
		ended = stop.initial(l.s.Grad, res)
	}
	done := ctx.Done()
	for epoch := l.first; !ended && epoch <= l.opts.Epochs; epoch++ {
		select {
		case <-done:
			res.Status, res.StopRule, res.StopValue = Interrupted, string(Interrupted), math.NaN()
			ended = true
			continue
		default:
		}
		var retry bool
		if ended, retry = l.step(epoch); ended || retry {
			if retry {
				epoch-- // take this epoch again
			}
			continue
		}
		l.append(epoch)
		l.notify(obs)
		if l.keepGood {
			l.saveGood()
		}
		ended = stop.after(epoch, l.s.Loss, l.s.Grad, l.elapsed, res)
		if l.opts.Checkpoint != nil && l.opts.CheckpointEvery > 0 && epoch%l.opts.CheckpointEvery == 0 && !ended {
			l.checkpoint(false)
		}
	}
	if res.Status == MaxEpochs {
		res.StopRule, res.StopValue = string(MaxEpochs), float64(res.Epochs)
	}
	if l.scaler != nil {
		res.LearningRate = l.scaler.ScaleLearningRate(1)
	}
	res.Elapsed = l.elapsed()
	if l.opts.Checkpoint != nil {
		l.checkpoint(true)
	}
	return res
}
