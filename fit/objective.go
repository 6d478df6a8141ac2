package fit

import (
	"errors"
	"fmt"
	"math"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/divergence"
	"github.com/klfit/klfit/grid"
	"github.com/klfit/klfit/target"
)

// Problem is what a fit minimizes: the divergence from the target masses P
// to the model family on the grid, over the unconstrained vector u with
// theta = Transform.Theta(u).
type Problem struct {
	Grid *grid.Grid
	// P holds the target masses, one per grid point (see target.Masses).
	P          []float64
	Family     dist.Family
	Divergence divergence.Divergence
	// Transform maps the optimizer's vector to the family's parameters:
	// dist.Identity{} for raw parameters, dist.Unconstrained(Family) for
	// unconstrained ones.
	Transform dist.Transform
	// Init holds the initial parameters theta.
	Init []float64
}

// Objective evaluates a Problem's loss and gradient. It owns the buffers a
// fit needs, so that an evaluation allocates nothing. An Objective is not
// safe for concurrent use.
type Objective struct {
	prob  *Problem
	logp  []float64
	logq  []float64
	q     []float64
	h     []float64
	score [][]float64
	theta []float64
	gradT []float64
}

// NewObjective returns an Objective for prob, with its buffers allocated.
func NewObjective(prob *Problem) *Objective {
	n, k := prob.Grid.Len(), len(prob.Family.Params())
	o := &Objective{
		prob:  prob,
		logp:  make([]float64, n),
		logq:  make([]float64, n),
		q:     make([]float64, n),
		h:     make([]float64, n),
		score: make([][]float64, k),
		theta: make([]float64, k),
		gradT: make([]float64, k),
	}
	for i, p := range prob.P {
		o.logp[i] = math.Log(p) // -Inf where p is 0: never read by 0 log 0 terms
	}
	for j := range o.score {
		o.score[j] = make([]float64, n)
	}
	return o
}

// Theta returns the parameters of the last evaluation. The slice is owned
// by the Objective and overwritten by the next evaluation.
func (o *Objective) Theta() []float64 { return o.theta }

// Eval returns the divergence at u and, when grad is not nil, stores its
// gradient with respect to u in grad.
//
// Special cases: a u whose parameters leave the family's domain returns a
// *DomainError; a model with no mass on the grid, or an infinite density,
// returns an error; an infinite divergence (the target has mass where the
// model has none) returns +Inf and a *SupportError naming the point.
func (o *Objective) Eval(u, grad []float64) (float64, error) {
	pr := o.prob
	pr.Transform.Theta(o.theta, u)
	if err := dist.Validate(pr.Family, o.theta); err != nil {
		return math.NaN(), &DomainError{Err: err}
	}
	var score [][]float64
	if grad != nil {
		score = o.score
	}
	g := pr.Grid
	pr.Family.Eval(o.theta, g.X, g.Y, o.logq, score)

	// Normalize in log space: log Q_i = l_i - logsumexp(l). The uniform
	// grid weight cancels.
	m := math.Inf(-1)
	for _, l := range o.logq {
		if l > m {
			m = l
		}
	}
	if math.IsInf(m, -1) {
		return math.NaN(), errors.New("the model has no mass on the grid")
	}
	if math.IsInf(m, 1) || math.IsNaN(m) {
		i := firstNotFinite(o.logq)
		return math.NaN(), fmt.Errorf("the model's log-density is %v at %s", o.logq[i], target.PointString(g, i))
	}
	var z float64
	for i, l := range o.logq {
		e := math.Exp(l - m)
		o.q[i] = e
		z += e
	}
	lz := m + math.Log(z)
	invz := 1 / z
	for i := range o.logq {
		o.logq[i] -= lz
		o.q[i] *= invz
	}

	var h []float64
	if grad != nil {
		h = o.h
	}
	val, err := pr.Divergence.Eval(pr.P, o.logp, o.q, o.logq, h)
	if err != nil {
		var se *divergence.SupportError
		if errors.As(err, &se) {
			return val, &SupportError{Point: target.PointString(g, se.Index), Reason: se.Reason}
		}
		return val, err
	}
	if grad == nil {
		return val, nil
	}
	// dD/dtheta_k = sum_i h_i (s_ki - sbar_k) = sum_i (h_i - H q_i) s_ki,
	// with H = sum_i h_i and sbar_k = sum_i q_i s_ki.
	var hsum float64
	for _, v := range h {
		hsum += v
	}
	for k, s := range o.score {
		var acc float64
		for i, v := range h {
			acc += (v - hsum*o.q[i]) * s[i]
		}
		o.gradT[k] = acc
	}
	pr.Transform.PullBack(grad, u, o.theta, o.gradT)
	return val, nil
}

func firstNotFinite(v []float64) int {
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return i
		}
	}
	return 0
}

// DomainError reports parameters outside the family's domain, as happens
// when a raw-parameter step takes a variance below zero.
type DomainError struct {
	Err error
}

func (e *DomainError) Error() string { return "parameters left their domain: " + e.Err.Error() }

// Unwrap returns the underlying *dist.ParamError.
func (e *DomainError) Unwrap() error { return e.Err }

// SupportError reports an infinite divergence caused by disjoint supports.
type SupportError struct {
	// Point names the first grid point where the supports disagree.
	Point  string
	Reason string
}

func (e *SupportError) Error() string {
	return "the divergence is +Inf: " + e.Reason + " (at " + e.Point + ")"
}
