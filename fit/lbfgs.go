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
// find a lower point. When the decrease the step predicted to first order
// (|grad . dir| * step) is below 1e-12 * max(|loss|, 1), that is
// convergence too: Step returns status Converged with rule "no_decrease"
// and the predicted decrease as value. Any other line search failure ends
// the fit with status Stalled and rule "line_search".
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
	copy(o.loc.X, s.U)
	copy(o.loc.Gradient, s.Grad)
	o.loc.F = s.Loss
	copy(o.lastX, s.U) // loc holds the loss and gradient at s.U
	o.haveLast = true
	o.remember(s.U, s.Grad)

	var op optimize.Operation
	var err error
	if !o.started {
		op, err = o.ls.Init(&o.loc)
		o.started = true
	} else {
		op, err = o.ls.Iterate(&o.loc)
	}
	for {
		if err != nil {
			o.started = false // gonum's line search must be initialized again
			if pred := o.dir.predicted; pred <= noDecreaseFloor*math.Max(math.Abs(s.Loss), 1) {
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
