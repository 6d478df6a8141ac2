package fit

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/optimize"
)

// LBFGS is the limited-memory BFGS method of gonum.org/v1/gonum/optimize
// with its default line search (a bisection to the strong Wolfe
// conditions), driven one iteration at a time: each Step is one major
// iteration of gonum's optimize.LinesearchMethod, so each history row is
// an accepted iterate and a fit's epochs count iterations. A Step
// evaluates the loss as often as the line search needs (Result.Evaluations
// counts them).
//
// Convergence is gonum's own test: when the infinity norm of the gradient
// at the current iterate is below GradientThreshold, Step returns a
// *StopError with status Converged and rule "gradient_threshold". A loss
// of order 1 or more (the notebook's is 23) can stop changing in float64
// before its gradient reaches 1e-12; gonum's line search then fails to
// find a lower point. When the search along the quasi-Newton direction
// fails and the decrease it predicted to first order (|grad . dir| *
// step) is below 1e-12 * max(|loss|, 1), one evaluation along the
// steepest descent checks the prediction (see flatAlongGradient): no
// lower there, the fit has converged (rule "no_decrease", the predicted
// decrease as value). Otherwise the curvature memory is forgotten, as
// L-BFGS-B does, since it may be scaled by steps far from here (a first
// step down from a loss of 5e21 predicts no decrease at a loss of 12,
// where the gradient is (15, -18)), and the search is made again along
// the steepest descent. When that search fails too, the fit has
// converged (rule "no_decrease") if a unit step along the gradient, or
// the memory's prediction that the one evaluation could not check,
// decreases the loss by less than the same floor; otherwise it ends with
// status Stalled and rule "line_search".
//
// A trial point of the line search whose loss cannot be evaluated (its
// parameters leave the family's domain, its loss is not finite) is given
// the loss +Inf, so the line search steps back from it: only accepted
// iterates are states of the fit.
//
// The curvature memory is the optimizer's state (see Stateful): it is
// saved as the last Store+1 points at which a direction was computed, and
// restored by feeding them to a fresh gonum LBFGS, which rebuilds the same
// memory; a resumed fit takes exactly the steps of an uninterrupted one.
type LBFGS struct {
	// Store is the number of curvature pairs kept; 0 means gonum's
	// default, 15.
	Store int
	// GradientThreshold ends the fit as converged when the infinity norm
	// of the gradient falls below it; 0 means gonum's default, 1e-12.
	GradientThreshold float64

	k       int
	lbfgs   *optimize.LBFGS
	dir     *resumableDirectioner
	ls      *optimize.LinesearchMethod
	loc     optimize.Location
	started bool
	// lastX is the point of the last successful evaluation, whose loss
	// and gradient are in loc.
	lastX    []float64
	haveLast bool
	// past holds the last store+1 points (u then gradient, 2k numbers
	// each) at which a direction was computed, oldest first.
	past  []float64
	npast int
	// probeX and probeG are flatAlongGradient's point and gradient.
	probeX, probeG []float64
}

// Name returns "lbfgs", the optimizer's name in specs.
func (*LBFGS) Name() string { return "lbfgs" }

// DefaultLBFGSStore and DefaultLBFGSGradientThreshold are gonum's
// defaults.
const (
	DefaultLBFGSStore             = 15
	DefaultLBFGSGradientThreshold = 1e-12
)

func (o *LBFGS) store() int {
	if o.Store > 0 {
		return o.Store
	}
	return DefaultLBFGSStore
}

// reset prepares a fresh gonum method for a problem of k parameters.
func (o *LBFGS) reset(k int) {
	o.k = k
	o.lbfgs = &optimize.LBFGS{Store: o.store()}
	o.dir = &resumableDirectioner{l: o.lbfgs}
	o.ls = &optimize.LinesearchMethod{NextDirectioner: o.dir, Linesearcher: &optimize.Bisection{}}
	o.loc = optimize.Location{X: make([]float64, k), Gradient: make([]float64, k)}
	o.lastX = make([]float64, k)
	o.haveLast = false
	o.started = false
	o.past = make([]float64, 0, (o.store()+1)*2*k)
	o.npast = 0
}

// Step implements Optimizer.
func (o *LBFGS) Step(s *State, eval Evaluator) error {
	k := len(s.U)
	if o.lbfgs == nil || o.k != k {
		o.reset(k)
	}
	thresh := o.GradientThreshold
	if thresh == 0 {
		thresh = DefaultLBFGSGradientThreshold
	}
	if norm := floats.Norm(s.Grad, math.Inf(1)); norm < thresh {
		return &StopError{Status: Converged, Rule: "gradient_threshold", Value: norm}
	}
	o.at(s)
	o.remember(s.U, s.Grad)

	var op optimize.Operation
	var err error
	if !o.started {
		op, err = o.ls.Init(&o.loc)
		o.started = true
	} else {
		op, err = o.ls.Iterate(&o.loc)
	}
	floor := noDecreaseFloor * math.Max(math.Abs(s.Loss), 1)
	restarted := false
	// memoryPred is the decrease the curvature memory predicted before a
	// restart, when it was below floor and one evaluation along the
	// steepest descent could not tell whether it was right.
	memoryPred := math.Inf(1)
	for {
		if err != nil {
			if o.npast > 1 && !restarted {
				// The direction came from the curvature memory. Its
				// prediction of no decrease is believed only when the
				// steepest descent does not contradict it: the memory
				// may be scaled by steps far from here (one step down
				// from a loss of 1e21 predicts no decrease at a loss of
				// 12). Otherwise the memory is forgotten and the search
				// made again along the steepest descent from this
				// iterate, as L-BFGS-B does.
				if pred := o.dir.predicted; pred <= floor {
					switch o.flatAlongGradient(s, floor, eval) {
					case flat:
						o.started = false
						return &StopError{Status: Converged, Rule: "no_decrease", Value: pred}
					case unknown:
						memoryPred = pred
					}
				}
				restarted = true
				o.restart(s)
				op, err = o.ls.Init(&o.loc)
				continue
			}
			// A search along the steepest descent failed: the loss
			// falls by less than floor for a unit step along the
			// gradient, or the memory predicted no decrease and this
			// search found none.
			o.started = false // gonum's line search must be initialized again
			if pred := math.Min(o.dir.predicted, memoryPred); pred <= floor {
				return &StopError{Status: Converged, Rule: "no_decrease", Value: pred}
			}
			return &StopError{Status: Stalled, Rule: "line_search", Value: o.dir.predicted, Err: err}
		}
		switch {
		case op == optimize.MajorIteration:
			copy(s.U, o.loc.X)
			copy(s.Grad, o.loc.Gradient)
			s.Loss = o.loc.F
			return nil
		case op&(optimize.FuncEvaluation|optimize.GradEvaluation) != 0:
			if !(o.haveLast && floats.Equal(o.lastX, o.loc.X)) {
				f, eerr := eval(o.loc.X, o.loc.Gradient)
				if eerr != nil {
					f = math.Inf(1) // rejected: the line search steps back
				}
				o.loc.F = f
				copy(o.lastX, o.loc.X)
				o.haveLast = eerr == nil
			}
		default:
			return fmt.Errorf("lbfgs: unexpected operation %v from gonum's line search", op)
		}
		op, err = o.ls.Iterate(&o.loc)
	}
}

// at points the line search's location at the accepted iterate s.
func (o *LBFGS) at(s *State) {
	copy(o.loc.X, s.U)
	copy(o.loc.Gradient, s.Grad)
	o.loc.F = s.Loss
	copy(o.lastX, s.U) // loc holds the loss and gradient at s.U
	o.haveLast = true
}

// restart forgets the curvature memory: the next search, from the
// accepted iterate s, is along its steepest descent, and s is the first
// point of a new memory (so a fit resumed after it rebuilds the same).
func (o *LBFGS) restart(s *State) {
	o.at(s)
	o.past = o.past[:0]
	o.npast = 0
	o.remember(s.U, s.Grad)
	o.dir.resumed = false
}

// What one evaluation along the steepest descent says of a prediction
// of no decrease.
const (
	unknown = iota // the step did not move, or its loss is not usable
	flat           // no decrease beyond the floor is to be had
	lower          // the loss fell: the prediction was wrong
)

// flatAlongGradient tells whether the loss has a decrease larger than
// floor to offer along the steepest descent from s, as far as one
// evaluation can: along u - t*grad, with a = |grad|^2 and the loss
// quadratic, f(t) = f - a*t + b*t^2/2 falls by at most a^2/(2b), which
// is at most a*t/4 when f(t) >= f. So the loss is evaluated at the step
// t where the first-order decrease a*t is 4*floor, far above the loss's
// rounding: not lower than s's, no decrease beyond floor is to be had.
func (o *LBFGS) flatAlongGradient(s *State, floor float64, eval Evaluator) int {
	a := floats.Dot(s.Grad, s.Grad)
	t := 4 * floor / a
	if !(a > 0) || math.IsInf(t, 0) {
		return unknown
	}
	o.probeX = append(o.probeX[:0], s.U...)
	floats.AddScaled(o.probeX, -t, s.Grad)
	if floats.Equal(o.probeX, s.U) {
		return unknown
	}
	o.probeG = append(o.probeG[:0], s.Grad...)
	f, err := eval(o.probeX, o.probeG)
	o.haveLast = false // the last evaluation is the probe's
	switch {
	case err != nil:
		return unknown
	case f >= s.Loss:
		return flat
	}
	return lower
}

// remember records a point at which a direction is computed.
func (o *LBFGS) remember(u, grad []float64) {
	w := 2 * o.k
	if o.npast == o.store()+1 {
		copy(o.past, o.past[w:])
		o.past = o.past[:len(o.past)-w]
		o.npast--
	}
	o.past = append(append(o.past, u...), grad...)
	o.npast++
}

// AppendState implements Stateful: the number of remembered points, then
// each point's u and gradient.
func (o *LBFGS) AppendState(dst []float64) []float64 {
	return append(append(dst, float64(o.npast)), o.past...)
}

// SetState implements Stateful. It replays the remembered points through a
// fresh gonum LBFGS, which rebuilds the same curvature memory.
func (o *LBFGS) SetState(state []float64, k int) error {
	if len(state) == 0 {
		return stateLen("lbfgs", state, 1)
	}
	n := int(state[0])
	if n < 0 || n > o.store()+1 {
		return fmt.Errorf("lbfgs: the saved state holds %d points, more than store+1 = %d", n, o.store()+1)
	}
	if err := stateLen("lbfgs", state, 1+n*2*k); err != nil {
		return err
	}
	o.reset(k)
	dir := make([]float64, k)
	for i := range n {
		p := state[1+i*2*k : 1+(i+1)*2*k]
		o.remember(p[:k], p[k:])
		loc := &optimize.Location{X: p[:k], Gradient: p[k:]}
		if i == 0 {
			o.lbfgs.InitDirection(loc, dir)
		} else {
			o.lbfgs.NextDirection(loc, dir)
		}
	}
	o.dir.resumed = n > 0
	return nil
}

// noDecreaseFloor is the decrease of the loss, relative to max(|loss|, 1),
// below which a failed line search means convergence: about 5000 times
// float64's epsilon, the rounding error of a loss summed over a grid.
const noDecreaseFloor = 1e-12

// resumableDirectioner is gonum's LBFGS as the line search's direction
// source, except that after a restore the first direction continues the
// rebuilt memory instead of starting a new one. It records the decrease of
// the loss that the first trial step predicts to first order,
// |grad . dir| * step.
type resumableDirectioner struct {
	l         *optimize.LBFGS
	resumed   bool
	predicted float64
}

func (d *resumableDirectioner) InitDirection(loc *optimize.Location, dir []float64) float64 {
	var step float64
	if d.resumed {
		d.resumed = false
		step = d.l.NextDirection(loc, dir)
	} else {
		step = d.l.InitDirection(loc, dir)
	}
	d.predicted = math.Abs(floats.Dot(loc.Gradient, dir)) * step
	return step
}

func (d *resumableDirectioner) NextDirection(loc *optimize.Location, dir []float64) float64 {
	step := d.l.NextDirection(loc, dir)
	d.predicted = math.Abs(floats.Dot(loc.Gradient, dir)) * step
	return step
}

func init() {
	RegisterOptimizer(OptimizerInfo{
		Name:        "lbfgs",
		Description: "gonum's L-BFGS with its line search; converges without tuning (the default)",
		Settings: []Setting{
			{Name: "store", Default: DefaultLBFGSStore, Description: "curvature pairs kept", Check: wholePositive},
			{Name: "gradient_threshold", Default: DefaultLBFGSGradientThreshold, Description: "converged when the gradient's infinity norm is below this", Check: positive},
		},
		New: func(s map[string]float64) Optimizer {
			return &LBFGS{Store: int(s["store"]), GradientThreshold: s["gradient_threshold"]}
		},
	})
}

func wholePositive(v float64) error {
	if v < 1 || v != math.Trunc(v) || v > 1e6 {
		return fmt.Errorf("must be a whole number from 1 to 1000000, got %v", v)
	}
	return nil
}
