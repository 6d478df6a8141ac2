package divergence

import (
	"math"

	"gonum.org/v1/gonum/integrate/quad"
)

// Binet's function mu(x) = lgamma(x) - (x - 1/2) log x + x - log(2 pi)/2
// is what is left of lgamma once Stirling's formula has been taken out.
// The gamma and beta closed forms are written with it so that the large
// terms of lgamma, which cancel between the two members (lgamma(1e10) is
// 2e11 where the divergence may be 0.05), cancel in the algebra instead.
// mu is positive, decreasing and convex; below binetBig it is carried up
// by mu(x) = mu(x+1) + delta(x) (delta >= 0), above by its asymptotic
// series, whose 10 terms are exact to rounding there.

const binetBig = 20

// bernoulli are B_2, B_4, ..., B_20.
var bernoulli = [...]float64{1.0 / 6, -1.0 / 30, 1.0 / 42, -1.0 / 30, 5.0 / 66,
	-691.0 / 2730, 7.0 / 6, -3617.0 / 510, 43867.0 / 798, -174611.0 / 330}

// binet returns mu(x) > 0 for x > 0.
func binet(x float64) float64 {
	var s float64
	for ; x < binetBig; x++ {
		s += binetStep(x)
	}
	// sum B_2k / (2k (2k-1) x^(2k-1))
	p, y := 1/x, 1/(x*x)
	var a float64
	for k, b := range bernoulli {
		a += b / float64((2*k+2)*(2*k+1)) * p
		p *= y
	}
	return a + s
}

// binetStep returns mu(x) - mu(x+1) = (x + 1/2) log(1 + 1/x) - 1 >= 0.
func binetStep(x float64) float64 {
	if x < 0.25 {
		// Cancels at most 6 times.
		return (x+0.5)*(math.Log1p(x)-logPos(x)) - 1
	}
	// sum_{k>=1} y^(2k)/(2k+1), y = 1/(2x+1) <= 2/3: no cancellation.
	y := 1 / (2*x + 1)
	y2 := y * y
	var s float64
	p := y2
	for k := 1; k < 100; k++ {
		t := p / float64(2*k+1)
		s += t
		if t <= 1e-17*s {
			break
		}
		p *= y2
	}
	return s
}

// binetDerivScaled returns x mu'(x) < 0 for x > 0 (mu' itself
// overflows below 1e-308).
func binetDerivScaled(x float64) float64 {
	var s float64
	z := x
	for ; z < binetBig; z++ {
		s += binetStepDeriv(x, z)
	}
	// -(x/z) sum B_2k / (2k z^(2k-1))
	p, y := 1/z, 1/(z*z)
	var a float64
	for k, b := range bernoulli {
		a -= b / float64(2*k+2) * p
		p *= y
	}
	return x/z*a + s
}

// binetStepDeriv returns x (mu'(z) - mu'(z+1)) = x (log(1 + 1/z) - (z + 1/2)/(z (z+1))) <= 0.
func binetStepDeriv(x, z float64) float64 {
	if z < 0.25 {
		// Cancels at most 3 times.
		return x*(math.Log1p(z)-logPos(z)) - x/z*(z+0.5)/(z+1)
	}
	// -sum_{k>=1} 4k/(2k+1) y^(2k+1), y = 1/(2z+1).
	y := 1 / (2*z + 1)
	y2 := y * y
	var s float64
	p := y * y2
	for k := 1; k < 100; k++ {
		t := float64(4*k) / float64(2*k+1) * p
		s += t
		if t <= 1e-17*s {
			break
		}
		p *= y2
	}
	return -x * s
}

// binetDeriv2Scaled returns x^2 mu”(x) > 0 for x > 0 (mu” itself
// overflows below 1e-154). mu”(x) = mu”(x+1) + 1/(2 x^2 (x+1)^2): a
// sum of positive terms.
func binetDeriv2Scaled(x float64) float64 {
	var s float64
	z := x
	for ; z < binetBig; z++ {
		u := x / z
		s += 0.5 * u * u / ((z + 1) * (z + 1))
	}
	// (x/z)^2 sum B_2k / z^(2k-1)
	p, y := 1/z, 1/(z*z)
	var a float64
	for _, b := range bernoulli {
		a += b * p
		p *= y
	}
	u := x / z
	return u*u*a + s
}

// binetRemainder returns mu(b) - mu(a) - e mu'(a) >= 0 with e = b - a
// (given, so that it need not be the rounded difference of rounded
// values), the remainder of mu's first-order Taylor expansion at a > 0
// (b > 0). Between a/2
// and 2a it is the integral over [0, 1] of (1-s) e^2 mu”(a + s e) ds,
// positive, by 20-point Gauss-Legendre: mu”s nearest pole, at 0, lies
// at least the interval's length away from it, where the rule is exact
// to 1e-30. Farther out, the three terms cancel at most a few times.
func binetRemainder(a, b, e float64) float64 {
	if b >= 0.5*a && b <= 2*a {
		var s float64
		for i, u := range gl20Nodes {
			x := a + u*e
			r := e / x
			s += gl20Weights[i] * (1 - u) * r * r * binetDeriv2Scaled(x)
		}
		return s
	}
	return binetBoundedDiff(a, b) - e/a*binetDerivScaled(a)
}

// binetBoundedDiff returns mu(b) - mu(a) for a, b > 0 as a difference of
// binetBounded: below 1, mu(x) is -log(x)/2 plus a bounded part, and the
// logs' difference is taken as one log, so that mu(3e-310) - mu(1e-310)
// does not lose the 355 that both carry.
func binetBoundedDiff(a, b float64) float64 {
	var lg float64
	switch {
	case a < 1 && b < 1:
		lg = -0.5 * logRatio(b, a)
	case b < 1:
		lg = -0.5 * logPos(b)
	case a < 1:
		lg = 0.5 * logPos(a)
	}
	return binetBounded(b) - binetBounded(a) + lg
}

// binetBounded returns mu(x) + log(x)/2 for x < 1, mu(x) above: bounded
// by 1 near 0, where mu itself grows like -log(x)/2.
func binetBounded(x float64) float64 {
	switch {
	case x >= 1:
		return binet(x)
	case x >= 0.25:
		return binet(x) + 0.5*math.Log(x)
	}
	// mu(x) = mu(x+1) + (x + 1/2) (log1p(x) - log x) - 1.
	return binet(x+1) + (x+0.5)*math.Log1p(x) - x*logPos(x) - 1
}

// gl20Nodes and gl20Weights are the 20-point Gauss-Legendre rule on [0, 1].
var gl20Nodes, gl20Weights = func() ([]float64, []float64) {
	x, w := make([]float64, 20), make([]float64, 20)
	quad.Legendre{}.FixedLocations(x, w, 0, 1)
	return x, w
}()
