package dist

import (
	"fmt"
	"math"
)

// TailKind is how fast a density falls toward one end of its support.
type TailKind int

// The tail kinds, from the heaviest to the lightest. With t the distance
// from the mode (|x| for large |x|):
const (
	// TailUnknown is the zero Tail: nothing is known.
	TailUnknown TailKind = iota
	// TailPower is a power law: p(x) ~ C t^-(Index+1). Moments of order
	// below Index are finite, those of order Index and above infinite
	// (Cauchy: Index 1; Student t: Index df).
	TailPower
	// TailLogSquare falls like exp(-Rate (log t)^2): every moment is
	// finite, every exponential moment infinite (the lognormal's right
	// tail).
	TailLogSquare
	// TailExp falls like exp(-Rate t^Power): Power 1 is an exponential
	// tail (Laplace, logistic, gamma), Power 2 a Gaussian one (Rate
	// 1/(2 variance)), other powers stretched or compressed exponentials
	// (Weibull).
	TailExp
	// TailDoubleExp falls like exp(-exp(Rate t)) (the Gumbel's left tail).
	TailDoubleExp
	// TailBound is a support that ends at a finite point b, near which
	// p(x) ~ C |x-b|^Power: Power 0 for a density that jumps to 0 there,
	// negative for one that grows without bound (integrable: Power > -1),
	// positive for one that falls to 0, +Inf for one that falls faster
	// than any power (the lognormal at 0).
	TailBound
)

// Tail describes one end of a density's support: its kind and the numbers
// that go with it (see the kinds).
type Tail struct {
	Kind TailKind
	// Index is a power law's tail index.
	Index float64
	// Rate and Power are an exponential tail's rate and power, and a
	// TailLogSquare's or TailDoubleExp's rate; Power is also the exponent
	// at a bound.
	Rate, Power float64
}

// GaussianTail is the tail of a normal of the given variance.
func GaussianTail(variance float64) Tail {
	return Tail{Kind: TailExp, Rate: 1 / (2 * variance), Power: 2}
}

// ExponentialTail falls like exp(-rate t).
func ExponentialTail(rate float64) Tail { return Tail{Kind: TailExp, Rate: rate, Power: 1} }

// PowerTail falls like t^-(index+1).
func PowerTail(index float64) Tail { return Tail{Kind: TailPower, Index: index} }

// BoundTail is a support's end near which the density behaves like
// |x-b|^power.
func BoundTail(power float64) Tail { return Tail{Kind: TailBound, Power: power} }

// String describes the tail in words, e.g. "a power-law tail of index 1".
func (t Tail) String() string {
	switch t.Kind {
	case TailPower:
		return fmt.Sprintf("a power-law tail of index %.6g (moments of order %.6g and above infinite)", t.Index, t.Index)
	case TailLogSquare:
		return fmt.Sprintf("a lognormal tail exp(-%.6g log^2 x)", t.Rate)
	case TailExp:
		switch t.Power {
		case 1:
			return fmt.Sprintf("an exponential tail exp(-%.6g |x|)", t.Rate)
		case 2:
			return fmt.Sprintf("a Gaussian tail exp(-%.6g x^2)", t.Rate)
		}
		return fmt.Sprintf("a tail exp(-%.6g |x|^%.6g)", t.Rate, t.Power)
	case TailDoubleExp:
		return fmt.Sprintf("a doubly exponential tail exp(-exp(%.6g |x|))", t.Rate)
	case TailBound:
		if math.IsInf(t.Power, 1) {
			return "a bound where the density vanishes faster than any power"
		}
		return fmt.Sprintf("a bound where the density behaves like |x-b|^%.6g", t.Power)
	}
	return "an unknown tail"
}

// Heavier reports whether tail a falls more slowly than tail b to leading
// order (a bound is the lightest of all, and of two bounds the one with
// the lower exponent is heavier; ties are not heavier; an unknown tail is
// heavier than any known one).
func Heavier(a, b Tail) bool {
	if a.Kind != b.Kind {
		return a.Kind < b.Kind
	}
	switch a.Kind {
	case TailPower:
		return a.Index < b.Index
	case TailLogSquare, TailDoubleExp:
		return a.Rate < b.Rate
	case TailBound:
		return a.Power < b.Power
	case TailExp:
		if a.Power != b.Power {
			return a.Power < b.Power
		}
		return a.Rate < b.Rate
	}
	return false
}

// Tailer is implemented by families that know the class of their tails:
// Tails returns the lower and upper ends of the density of the member
// theta. A 2-D family describes its tails along every direction.
type Tailer interface {
	Tails(theta []float64) (lower, upper Tail)
}

// Tails implements Tailer: Gaussian on both sides.
func (Normal) Tails(theta []float64) (lower, upper Tail) {
	return GaussianTail(theta[1]), GaussianTail(theta[1])
}

// Tails implements Tailer: power laws of index 1.
func (Cauchy) Tails([]float64) (lower, upper Tail) { return PowerTail(1), PowerTail(1) }

// Tails implements Tailer: power laws of index df.
func (StudentT) Tails(theta []float64) (lower, upper Tail) {
	return PowerTail(theta[0]), PowerTail(theta[0])
}

// Tails implements Tailer: a jump at 0, an exponential tail of the rate.
func (Exponential) Tails(theta []float64) (lower, upper Tail) {
	return BoundTail(0), ExponentialTail(theta[0])
}

// Tails implements Tailer: x^(shape-1) at 0, an exponential tail of the
// rate.
func (Gamma) Tails(theta []float64) (lower, upper Tail) {
	return BoundTail(theta[0] - 1), ExponentialTail(theta[1])
}

// Tails implements Tailer: x^(alpha-1) at 0 and (1-x)^(beta-1) at 1.
func (Beta) Tails(theta []float64) (lower, upper Tail) {
	return BoundTail(theta[0] - 1), BoundTail(theta[1] - 1)
}

// Tails implements Tailer: doubly exponential on the left, exponential on
// the right.
func (Gumbel) Tails(theta []float64) (lower, upper Tail) {
	return Tail{Kind: TailDoubleExp, Rate: 1 / theta[1]}, ExponentialTail(1 / theta[1])
}

// Tails implements Tailer: exponential on both sides.
func (Laplace) Tails(theta []float64) (lower, upper Tail) {
	return ExponentialTail(1 / theta[1]), ExponentialTail(1 / theta[1])
}

// Tails implements Tailer: exponential on both sides.
func (Logistic) Tails(theta []float64) (lower, upper Tail) {
	return ExponentialTail(1 / theta[1]), ExponentialTail(1 / theta[1])
}

// Tails implements Tailer: faster than any power at 0, a lognormal tail
// exp(-log^2 x/(2 sigma^2)) on the right.
func (LogNormal) Tails(theta []float64) (lower, upper Tail) {
	return BoundTail(math.Inf(1)), Tail{Kind: TailLogSquare, Rate: 1 / (2 * theta[1] * theta[1])}
}

// Tails implements Tailer: Gaussian on both sides, of variance scale^2 on
// the side alpha leans toward and scale^2/(1+alpha^2) on the other.
func (SkewNormal) Tails(theta []float64) (lower, upper Tail) {
	v := theta[1] * theta[1]
	short := GaussianTail(v / (1 + theta[2]*theta[2]))
	switch {
	case theta[2] > 0:
		return short, GaussianTail(v)
	case theta[2] < 0:
		return GaussianTail(v), short
	}
	return GaussianTail(v), GaussianTail(v)
}

// Tails implements Tailer: the support is [-pi, pi), where the density
// stays positive.
func (VonMises) Tails([]float64) (lower, upper Tail) { return BoundTail(0), BoundTail(0) }

// Tails implements Tailer: x^(shape-1) at 0, exp(-(x/scale)^shape) on the
// right.
func (Weibull) Tails(theta []float64) (lower, upper Tail) {
	k, lam := theta[0], theta[1]
	return BoundTail(k - 1), Tail{Kind: TailExp, Rate: math.Pow(lam, -k), Power: k}
}

// Tails implements Tailer: Gaussian along every direction, with the rate
// of the covariance's largest eigenvalue.
func (MVNormal) Tails(theta []float64) (lower, upper Tail) {
	a, b, c := theta[2], theta[3], theta[4]
	mid, rad := (a+c)/2, math.Hypot((a-c)/2, b)
	t := GaussianTail(mid + rad)
	return t, t
}

// Tails implements Tailer: the grid's ends.
func (c *Categorical) Tails([]float64) (lower, upper Tail) { return BoundTail(0), BoundTail(0) }

// Tails implements Tailer: the heaviest of the components' tails on each
// side (components of weight 0 count too: a fit may revive them), or
// unknown tails when the component family does not know its own.
func (mx *Mixture) Tails(theta []float64) (lower, upper Tail) {
	tl, ok := mx.comp.(Tailer)
	if !ok {
		return Tail{}, Tail{} // unknown
	}
	ct := make([]float64, mx.m)
	for c := 0; c < mx.k; c++ {
		lo, hi := tl.Tails(mx.ComponentTheta(ct, theta, c))
		if c == 0 || Heavier(lo, lower) {
			lower = lo
		}
		if c == 0 || Heavier(hi, upper) {
			upper = hi
		}
	}
	return lower, upper
}

// Kinker is implemented by families whose density has points where it is
// continuous but not smooth (a kink, such as the Laplace's at its
// location): quadrature puts a cell edge there.
type Kinker interface {
	Kinks(theta []float64) []float64
}

// Kinks implements Kinker: the location.
func (Laplace) Kinks(theta []float64) []float64 { return []float64{theta[0]} }
