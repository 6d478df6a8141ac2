package fit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
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
	task     task
	opts     Options
	opt      Optimizer
	stateful Stateful
	scaler   LearningRateScaler
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
	closed        bool
	// ckptAt and ckptTook are when the last checkpoint was written and
	// how long it took (see checkpointDue).
	ckptAt   time.Time
	ckptTook time.Duration
	// stepErr is the last error that refused a point during the current
	// step (a model off the grid, a loss, gradient or parameter that is
	// not finite; not a parameter out of its domain, which a line search
	// backs away from), for an optimizer that stops against it (L-BFGS's
	// line search): a search that can go no further after such a refusal
	// is a divergence. stepTheta holds that point's parameters.
	stepErr   error
	stepTheta []float64
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
	l := &Loop{opts: opts}
	l.setOptimizer()
	if b, ok := l.opt.(Binder); ok {
		if err := b.Bind(prob); err != nil {
			return nil, err
		}
	}
	obj := NewObjectiveWith(prob, opts.Engine)
	h := NewHistoryFor(prob, opts.Report)
	l.task = &gridTask{prob: prob, obj: obj, report: newReporter(prob, opts.Engine, opts.Report, h), sup: supOf(prob)}
	return l.start(h)
}

// StartEvaluable is Start for an objective without a grid (a Monte Carlo
// objective, such as vi.ReverseKL): the history records its loss as
// lossName and, when e reports its standard error (StdErrer), that error
// in a report column "loss_stderr". Options.Report and optimizers that
// need a grid problem (Binder) are refused.
func StartEvaluable(e Evaluable, lossName string, opts Options) (*Loop, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	if len(opts.Report) > 0 {
		return nil, errors.New("reported divergences need a grid; this objective has none")
	}
	l := &Loop{opts: opts}
	l.setOptimizer()
	if _, ok := l.opt.(Binder); ok {
		return nil, fmt.Errorf("the %s optimizer needs a grid problem (its Fisher information); this objective has none", l.opt.Name())
	}
	h := NewHistory(lossName, e.Names())
	t := &evalTask{e: e, h: h, thetaBuf: make([]float64, len(h.Names))}
	if se, ok := e.(StdErrer); ok {
		t.stdErr = se
		h.Report = []string{"loss_stderr"}
	}
	t.starter, _ = e.(EpochStarter)
	l.task = t
	return l.start(h)
}

// RunEvaluable is Run for an objective without a grid: StartEvaluable,
// then Loop.Run, then Loop.Close.
func RunEvaluable(ctx context.Context, e Evaluable, lossName string, opts Options) (*Result, error) {
	l, err := StartEvaluable(e, lossName, opts)
	if err != nil {
		return nil, err
	}
	defer l.Close()
	return l.Run(ctx), nil
}

// setOptimizer makes the run's own optimizer.
func (l *Loop) setOptimizer() {
	if l.opts.Optimizer == nil {
		l.opt = &GD{LearningRate: 0.01}
	} else {
		l.opt = l.opts.Optimizer.Fresh()
	}
}

// start is the part of Start common to every task.
func (l *Loop) start(h *History) (*Loop, error) {
	opts := l.opts
	l.started, l.first = time.Now(), 1
	l.stateful, _ = l.opt.(Stateful)
	l.scaler, _ = l.opt.(LearningRateScaler)
	l.backtrack = opts.OnDivergence == Backtrack
	if l.backtrack && l.scaler == nil {
		l.Close()
		return nil, fmt.Errorf("on_divergence backtrack halves the learning rate, and the %s optimizer has none", l.opt.Name())
	}
	l.maxBacktracks = opts.MaxBacktracks
	if l.maxBacktracks == 0 {
		l.maxBacktracks = DefaultMaxBacktracks
	}
	l.evalFn = l.eval
	l.names = h.Names
	k := len(l.names)
	h.Reserve(opts.Epochs + 1) // a short fit's history holds no more rows than it needs
	l.s = State{U: make([]float64, k), Grad: make([]float64, k)}
	l.res = &Result{History: h}
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
		// The saved state was evaluated in its epoch: an objective whose
		// draws change with the epoch makes that epoch's again, so the
		// state evaluates to the saved numbers and the next step sees
		// what an uninterrupted fit's would.
		l.task.startEpoch(cp.Epoch)
		if err := resume(cp, l.opt, l.stateful, l.scaler, &l.s, l.evalFn, l.res); err != nil {
			return err
		}
		l.prior = cp.Elapsed
		l.first = cp.Epoch + 1
		return nil
	}
	l.task.init(l.s.U)
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
	if l.task != nil && !l.closed {
		l.task.close()
		l.closed = true
	}
}

// eval evaluates the objective at u and checks that the state is usable:
// a finite loss and gradient, and a model whose mass lies on the grid.
func (l *Loop) eval(u, grad []float64) (float64, error) {
	l.res.Evaluations++
	loss, err := l.task.eval(u, grad)
	if err == nil && (math.IsNaN(loss) || math.IsInf(loss, 0)) {
		err = &NonFiniteError{What: "loss", Value: []float64{loss}}
	}
	if err == nil {
		for _, g := range grad {
			if math.IsNaN(g) || math.IsInf(g, 0) {
				err = &NonFiniteError{What: "gradient", Value: slices.Clone(grad)}
				break
			}
		}
	}
	if err == nil {
		err = l.task.check(loss)
	}
	// A refusal a line search may stop against, and the point it refused
	// (the failure names that one, not the last trial).
	if err != nil && refusal(err) {
		l.stepErr = err
		l.stepTheta = append(l.stepTheta[:0], l.task.lastTheta()...)
	}
	return loss, err
}

// refusal reports whether err refuses a point a line search may stop
// against: a model off the grid, a value that is not finite.
func refusal(err error) bool {
	var g *GridError
	var nf *NonFiniteError
	return errors.As(err, &g) || errors.As(err, &nf)
}

// fail ends the run as diverged at epoch, for err.
func (l *Loop) fail(epoch int, err error) {
	f := &Failure{Epoch: epoch, Err: err, Names: l.names, Loss: math.NaN()}
	var nf *NonFiniteError
	if errors.As(err, &nf) && nf.What == "loss" {
		f.Loss = nf.Value[0]
	}
	f.Theta = slices.Clone(l.task.lastTheta())
	if l.stepErr != nil && errors.Is(err, l.stepErr) {
		f.Theta = slices.Clone(l.stepTheta) // the refused trial, not the last one
	}
	if r := l.res.History.Len(); r > 0 {
		f.LastGood = slices.Clone(l.res.History.Row(r - 1))
	}
	l.res.Status, l.res.Failure = Diverged, f
	l.res.StopRule, l.res.StopValue = string(Diverged), math.NaN()
}

// append records the current state as epoch's history row.
func (l *Loop) append(epoch int) {
	l.task.theta(l.theta, l.s.U)
	l.res.History.Append(l.s.Loss, l.theta)
	l.ev.Report = l.task.record(l.s.U)
	l.res.Epochs = epoch
}

// notify tells the observers of the state last recorded.
func (l *Loop) notify(observers []Observer) {
	if len(observers) == 0 {
		return
	}
	l.ev.Epoch, l.ev.Loss = l.res.Epochs, l.s.Loss
	for i, g := range l.s.Grad { // observers get copies: they cannot change the fit (a loop: copy calls memmove)
		l.ev.Grad[i] = g
	}
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
		OptimizerState: l.goodOpt, Backtracks: l.res.Backtracks, Evaluations: l.res.Evaluations, Elapsed: l.elapsed(), History: l.res.History}
	if final {
		cp.Status = l.res.Status
	}
	start := time.Now()
	if err := l.opts.Checkpoint(cp); err != nil && l.res.CheckpointErr == nil {
		l.res.CheckpointErr = err
	}
	l.ckptAt, l.ckptTook = time.Now(), time.Since(start)
}

// checkpointDue reports whether a periodic checkpoint may be written now
// (see Options.CheckpointShare).
func (l *Loop) checkpointDue() bool {
	share := l.opts.CheckpointShare
	if share <= 0 || l.ckptAt.IsZero() {
		return true
	}
	return float64(time.Since(l.ckptAt)) >= (1/share-1)*float64(l.ckptTook)
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
	l.task.startEpoch(epoch)
	l.stepErr = nil
	err := l.opt.Step(&l.s, l.evalFn)
	if err == nil {
		return false, false
	}
	var se *StopError
	if errors.As(err, &se) {
		if se.Status == Stalled && l.stepErr != nil {
			// The line search stopped against a state the loop refused:
			// the loss keeps falling off the grid. That is a divergence,
			// not an end.
			why := "the loss keeps falling towards models off the grid"
			var nf *NonFiniteError
			switch {
			case errors.As(l.stepErr, &nf) && strings.HasPrefix(nf.What, "parameter"):
				why = "the loss keeps falling towards parameters that are not finite"
			case nf != nil:
				why = "its trial states had a " + nf.What + " that is not finite"
			}
			err = fmt.Errorf("%w (the line search could go no further: %s)", l.stepErr, why)
		} else {
			l.res.Status, l.res.StopRule, l.res.StopValue = se.Status, se.Rule, se.Value
			return true, false
		}
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
	for epoch := l.first; !ended && epoch <= l.opts.Epochs; epoch++ {
		// Err, not a select on Done: an atomic load where a select costs
		// a few per cent of a short epoch.
		if ctx.Err() != nil {
			res.Status, res.StopRule, res.StopValue = Interrupted, string(Interrupted), math.NaN()
			ended = true
			continue
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
		if l.opts.Checkpoint != nil && l.opts.CheckpointEvery > 0 && epoch%l.opts.CheckpointEvery == 0 && !ended && l.checkpointDue() {
			l.checkpoint(false)
		}
	}
	if res.Status == MaxEpochs {
		res.StopRule, res.StopValue = string(MaxEpochs), float64(res.Epochs)
	}
	switch res.Status {
	case Converged, Stalled, MaxEpochs, MaxTime, Interrupted:
		if sup := l.task.supValue(); !math.IsInf(sup, 1) && l.s.Loss >= sup-nearSup*sup {
			// A stopping rule's verdict is not believed there (status
			// NoOverlap); a fit that ran out of epochs or time, or was
			// interrupted, keeps its status and says why its result is
			// no fit.
			if res.Status == Converged || res.Status == Stalled {
				res.Status = NoOverlap
			}
			res.Reason = &NoOverlapError{Divergence: l.task.symbol(), Loss: l.s.Loss, Sup: sup, Rule: res.StopRule}
		}
	}
	if l.scaler != nil {
		res.LearningRate = l.scaler.ScaleLearningRate(1)
	}
	res.Elapsed = l.elapsed()
	res.TeamShare = l.task.teamShare()
	if l.opts.Checkpoint != nil {
		l.checkpoint(true)
	}
	return res
}

// Evaluable is an objective the loop runs without a grid: a Monte Carlo
// estimate of a divergence in any dimension (vi.ReverseKL, vi.ForwardKL).
type Evaluable interface {
	// Names names the parameters: the history's columns.
	Names() []string
	// Init stores the initial unconstrained vector in u.
	Init(u []float64)
	// Theta stores the parameters at the unconstrained vector u in theta.
	Theta(theta, u []float64)
	// Eval returns the loss at u and stores its gradient in grad.
	Eval(u, grad []float64) (float64, error)
}

// StdErrer is implemented by evaluables whose loss is an estimate: StdErr
// is the standard error of the last loss returned.
type StdErrer interface {
	StdErr() float64
}

// EpochStarter is implemented by evaluables whose objective changes from
// epoch to epoch (draws made afresh): the loop calls StartEpoch(n) before
// epoch n's step, and StartEpoch(e) before it evaluates again the state of
// a checkpoint of epoch e it resumes. The objective of epoch n must depend
// on n alone (draws derived from a seed and n), not on the epochs before
// it, so that a resumed fit goes on exactly.
type EpochStarter interface {
	StartEpoch(n int)
}

// task is what a loop minimizes: a grid problem or an Evaluable.
type task interface {
	init(u []float64)
	eval(u, grad []float64) (float64, error)
	// check says whether the state just evaluated, of the given loss, is
	// usable beyond a finite loss and gradient.
	check(loss float64) error
	// supValue is the loss's largest value (+Inf when it has none) and
	// symbol its name (see NoOverlapError).
	supValue() float64
	symbol() string
	theta(dst, u []float64)
	// lastTheta returns the parameters of the last evaluation.
	lastTheta() []float64
	// record appends the state's report columns to the history and
	// returns them.
	record(u []float64) []float64
	startEpoch(n int)
	// teamShare is the share of the evaluations run on more than one
	// goroutine.
	teamShare() float64
	close()
}

// gridTask is a problem on a grid.
type gridTask struct {
	prob   *Problem
	obj    *Objective
	report *reporter
	// sup is the divergence's largest value, +Inf when it has none (see
	// supOf).
	sup float64
}

func (t *gridTask) init(u []float64) { t.prob.Transform.U(u, t.prob.Init) }
func (t *gridTask) eval(u, grad []float64) (float64, error) {
	return t.obj.Eval(u, grad)
}
func (t *gridTask) check(loss float64) error {
	if err := t.obj.checkGridMass(); err != nil {
		return err
	}
	return checkSup(loss, t.sup, t.prob.Divergence)
}
func (t *gridTask) supValue() float64            { return t.sup }
func (t *gridTask) symbol() string               { return t.prob.Divergence.Symbol() }
func (t *gridTask) theta(dst, u []float64)       { t.prob.Transform.Theta(dst, u) }
func (t *gridTask) lastTheta() []float64         { return t.obj.Theta() }
func (t *gridTask) record(u []float64) []float64 { return t.report.record(u) }
func (t *gridTask) startEpoch(int)               {}
func (t *gridTask) teamShare() float64           { return t.obj.TeamShare() }
func (t *gridTask) close() {
	t.obj.Close()
	t.report.close()
}

// evalTask is an Evaluable.
type evalTask struct {
	e        Evaluable
	h        *History
	stdErr   StdErrer
	starter  EpochStarter
	lastU    []float64 // the point of the last evaluation
	thetaBuf []float64 // its parameters, for check (as many as Names, sized once)
	checked  bool      // thetaBuf holds lastU's parameters
	se       [1]float64
}

func (t *evalTask) init(u []float64) { t.e.Init(u) }
func (t *evalTask) eval(u, grad []float64) (float64, error) {
	t.lastU = append(t.lastU[:0], u...) // its parameters are derived by check
	t.checked = false
	return t.e.Eval(u, grad)
}

// check refuses a state whose parameters are not all finite: a finite
// point u can map to an infinite variance (an exp that overflows), where
// the estimate of the loss may still be finite, as when the target has no
// normalizable density along some direction and the fit runs off along it.
func (t *evalTask) check(float64) error {
	t.e.Theta(t.thetaBuf, t.lastU)
	t.checked = true
	for i, v := range t.thetaBuf {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return &NonFiniteError{What: "parameter " + t.h.Names[i], Value: []float64{v}}
		}
	}
	return nil
}

// theta stores the parameters at u in dst: check's, when u is the point it
// checked (the state just accepted, as a rule), rather than derived again.
func (t *evalTask) theta(dst, u []float64) {
	if t.checked && slices.Equal(u, t.lastU) {
		copy(dst, t.thetaBuf)
		return
	}
	t.e.Theta(dst, u)
}
func (t *evalTask) lastTheta() []float64 {
	theta := make([]float64, len(t.thetaBuf)) // not Names(), which may make every name anew
	t.e.Theta(theta, t.lastU)
	return theta
}
func (t *evalTask) record([]float64) []float64 {
	if t.stdErr == nil {
		return nil
	}
	t.se[0] = t.stdErr.StdErr()
	t.h.appendReportRow(t.se[:])
	return t.se[:]
}
func (t *evalTask) startEpoch(n int) {
	if t.starter != nil {
		t.starter.StartEpoch(n)
	}
}
func (t *evalTask) close()             {}
func (t *evalTask) supValue() float64  { return math.Inf(1) }
func (t *evalTask) symbol() string     { return t.h.LossName }
func (t *evalTask) teamShare() float64 { return 0 }
