// Package divergence computes divergences between a target and a model on a
// grid, with the derivative a gradient method needs.
//
// On a grid, the target is a vector of non-negative masses P (a probability
// vector, or the raw density values of the notebook's "density" weights) and
// the model a probability vector Q = exp(logQ). A divergence supplies its
// value and h_i = dD/dlogQ_i = Q_i dD/dQ_i; the fit engine turns h into a
// gradient with respect to the model's parameters by the chain rule
//
//	dD/dtheta = sum_i h_i (s_i - sbar),  sbar = sum_j Q_j s_j,
//
// where s_i is the model's score at point i. Divergences know nothing of
// families and families nothing of divergences.
package divergence

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/klfit/klfit/internal/suggest"
)

// Divergence is a discrepancy D(P, Q) >= 0 between a target P and a model Q
// on a grid.
type Divergence interface {
	// Name is the divergence's name in specs, e.g. "kl".
	Name() string
	// Symbol is the short notation for figures, e.g. "KL(P||Q)".
	Symbol() string
	// Direction says in plain words which way the divergence measures,
	// e.g. "forward KL(P||Q) = sum P log(P/Q): mass-covering".
	Direction() string
	// Eval returns D(P, Q) for target masses p (with logp = log p, -Inf
	// where p is 0) and model masses q (with logq = log q). When h is not
	// nil it fills h[i] = dD/dlogq_i. A value of +Inf comes with a
	// *SupportError saying where the supports disagree.
	Eval(p, logp, q, logq, h []float64) (float64, error)
}

// Additive is implemented by divergences that are a sum over grid points of
// a term of P_i and Q_i alone, such as forward KL: Eval on any part of the
// grid then returns that part's share of the value and of h, with indices
// relative to the part. The fit engine evaluates them chunk by chunk, in
// parallel, in the same pass as the gradient.
type Additive interface {
	Divergence
	// Additive marks the divergence as a sum of pointwise terms.
	Additive()
}

// LogSum is implemented by divergences that are a function of one sum over
// the grid, D = F(log S) with S = sum_i exp(u_i) and u_i a function of P_i
// and Q_i alone, such as the Renyi divergence. Then
// h_i = F'(log S) exp(u_i - log S), and the fit engine evaluates them in
// two parallel passes with one exp per point: the u_i and each chunk's
// part of S, then h and the gradient terms.
type LogSum interface {
	Divergence
	// Terms stores u_i in u, -Inf where a point adds nothing to S, on any
	// part of the grid (a *SupportError's index is relative to the part).
	Terms(p, logp, q, logq, u []float64) error
	// Finish returns D and F'(log S) from log S (finite).
	Finish(logS float64) (value, slope float64)
}

// Bounded is implemented by divergences that have a finite largest value
// on probability vectors, taken where P and Q have no mass in common (the
// Jensen-Shannon divergence's log 2, the squared Hellinger distance's 1).
// There h_i is the same multiple of Q_i at every point, so the gradient
// with respect to any parameter of the model vanishes, and near there it
// is next to nothing: the divergence cannot pull a model toward a target
// it does not overlap, and a vanished gradient or a loss that no longer
// changes says nothing of a minimum. (Forward and reverse KL and the
// Renyi divergences are unbounded; their gradient pulls from anywhere.)
type Bounded interface {
	Divergence
	// Sup returns the largest value, and false when the divergence has
	// none with its options (an alpha-divergence of order outside (0, 1)).
	Sup() (float64, bool)
}

// SupportError reports an infinite divergence: the target has mass at grid
// point Index where the model has none (or the reverse).
type SupportError struct {
	Index int
	// Reason says which side lacks the mass.
	Reason string
}

// Error implements error.
func (e *SupportError) Error() string { return e.Reason }

var registry = map[string]Divergence{}

// Register adds d to the divergences Lookup knows. It panics on a duplicate
// name.
func Register(d Divergence) {
	if _, dup := registry[d.Name()]; dup {
		panic("divergence: " + d.Name() + " registered twice")
	}
	registry[d.Name()] = d
}

// Lookup returns the registered divergence of the given name; the error
// lists the known ones.
func Lookup(name string) (Divergence, error) {
	if d, ok := registry[name]; ok {
		return d, nil
	}
	return nil, fmt.Errorf("unknown divergence %q%s (known: %s)", name, suggest.Hint(name, Names()), strings.Join(Names(), ", "))
}

// Names returns the registered divergences' names, sorted.
func Names() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ForwardKL is KL(P||Q) = sum_{P_i>0} P_i log(P_i/Q_i), the notebook's
// objective. Grid points where P_i = 0 contribute nothing (0 log 0 = 0).
// Minimizing it over Q is maximum likelihood: Q must cover all of P's mass
// (mass-covering, moment matching for exponential families).
//
// With P the raw density values p_i (the notebook's "density" weights,
// c = sum p_i), the same sum equals c KL(P/c||Q) + c log c.
//
// h_i = -P_i. Special cases: +Inf with a *SupportError when P_i > 0 and
// Q_i = 0 at some point.
type ForwardKL struct{}

func init() { Register(ForwardKL{}) }

// Name returns "kl".
func (ForwardKL) Name() string { return "kl" }

// Additive marks forward KL as a sum of pointwise terms.
func (ForwardKL) Additive() {}

// Symbol returns "KL(P||Q)".
func (ForwardKL) Symbol() string { return "KL(P||Q)" }

// Direction describes the direction of the divergence.
func (ForwardKL) Direction() string {
	return "forward KL(P||Q) = sum P log(P/Q), P the target, Q the model: mass-covering"
}

// Eval implements Divergence.
func (ForwardKL) Eval(p, logp, q, logq, h []float64) (float64, error) {
	var sum float64
	for i, pi := range p {
		if pi > 0 {
			sum += pi * (logp[i] - logq[i])
		}
	}
	if h != nil {
		for i, pi := range p {
			h[i] = -pi
		}
	}
	if math.IsInf(sum, 1) {
		for i, pi := range p {
			if pi > 0 && math.IsInf(logq[i], -1) {
				return sum, &SupportError{Index: i, Reason: "the target has mass where the model has none"}
			}
		}
	}
	return sum, nil
}
