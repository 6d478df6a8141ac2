package dist

import "math"

// Transform maps the vector u an optimizer moves to a family's parameters
// theta = T(u), and pulls gradients back: grad_u = J_T(u)^T grad_theta.
type Transform interface {
	// Theta sets theta = T(u).
	Theta(theta, u []float64)
	// U sets u = T^-1(theta).
	U(u, theta []float64)
	// PullBack sets gradU = J_T(u)^T gradTheta, given u and theta = T(u).
	PullBack(gradU, u, theta, gradTheta []float64)
}

// Cloner is implemented by transforms that keep scratch buffers, and so
// are not safe for concurrent use: Clone returns an equal transform with
// buffers of its own. fit.Run clones the transform of the problem it is
// given, so that fits sharing a problem may run at once.
type Cloner interface {
	// Clone returns an equal transform with buffers of its own.
	Clone() Transform
}

// Identity is the raw parameterization: the optimizer moves theta itself,
// as the notebook did. A step may then leave the family's domain (a
// negative variance), which a fit reports as a divergence.
type Identity struct{}

// Theta copies u.
func (Identity) Theta(theta, u []float64) { copyFew(theta, u) }

// U copies theta.
func (Identity) U(u, theta []float64) { copy(u, theta) }

// PullBack copies gradTheta.
func (Identity) PullBack(gradU, _, _, gradTheta []float64) { copyFew(gradU, gradTheta) }

// copyFew copies src into dst as copy does, by a loop: for the few
// parameters of a family it costs less than copy's call to memmove, and
// a fit copies them a few times an epoch.
func copyFew(dst, src []float64) {
	for i, v := range src[:min(len(src), len(dst))] {
		dst[i] = v
	}
}

// Unconstrainer is implemented by families whose parameters need more than
// an elementwise transform (simplex weights, covariance factors).
type Unconstrainer interface {
	// Unconstrained returns the family's transform from R^k.
	Unconstrained() Transform
}

// Unconstrained returns the transform that maps all of R^k onto f's
// domain: the family's own if it implements Unconstrainer, else
// theta_k = exp(u_k) for positive parameters and theta_k = u_k for real
// ones.
func Unconstrained(f Family) Transform {
	if u, ok := f.(Unconstrainer); ok {
		return u.Unconstrained()
	}
	ps := f.Params()
	cs := make(elementwise, len(ps))
	for i, p := range ps {
		cs[i] = p.Constraint
	}
	return cs
}

// elementwise applies a transform per parameter, chosen by its constraint.
type elementwise []Constraint

func (e elementwise) Theta(theta, u []float64) {
	for k, c := range e {
		if c == Positive {
			theta[k] = math.Exp(u[k])
		} else {
			theta[k] = u[k]
		}
	}
}

func (e elementwise) U(u, theta []float64) {
	for k, c := range e {
		if c == Positive {
			u[k] = math.Log(theta[k])
		} else {
			u[k] = theta[k]
		}
	}
}

func (e elementwise) PullBack(gradU, _, theta, gradTheta []float64) {
	for k, c := range e {
		if c == Positive {
			gradU[k] = gradTheta[k] * theta[k]
		} else {
			gradU[k] = gradTheta[k]
		}
	}
}
