package fmath

import "math"

// The error function by W. J. Cody's rational Chebyshev approximations
// ("Rational Chebyshev approximations for the error function", Math. Comp.
// 23 (1969) 631-638; the coefficients of his CALERF in netlib's specfun,
// near-minimax to about 18 digits): erf on [0, 0.46875] as x P(x^2)/Q(x^2),
// and the scaled complement erfcx(x) = exp(x^2) erfc(x) above it as a
// rational function of x up to 4 and of 1/x^2 beyond. None takes an exp:
// the scaled complement is what a caller that has exp(-x^2) by other means
// (a recurrence) needs for erfc, and its own logarithm or reciprocal for
// log Phi and the normal hazard in the tail. Each is within a few units of
// 2^-52 relative (TestErfcx, against mpmath: at worst 1.8 for ErfSmall,
// 2.6 for ErfcxMid, 1.9 for ErfcxLarge).

// ErfSmallMax is the largest |x| ErfSmall takes, and the smallest x
// ErfcxMid does.
const ErfSmallMax = 0.46875

// ErfcxMidMax is the largest x ErfcxMid takes, and the smallest x
// ErfcxLarge does.
const ErfcxMidMax = 4

// ErfSmall returns erf(x) for |x| <= ErfSmallMax (Cody's interval for
// it).
func ErfSmall(x float64) float64 {
	num, den := ErfSmallRatio(x)
	return num / den
}

// ErfSmallRatio returns num and den with erf(x) = num/den for |x| <=
// ErfSmallMax, den between 2844 and 3034, for callers that fold the
// division into another.
func ErfSmallRatio(x float64) (num, den float64) {
	s := x * x
	num = x * ((((0.185777706184603153*s+3.16112374387056560)*s+113.864154151050156)*s+377.485237685302021)*s + 3209.37758913846947)
	den = (((s+23.6012909523441209)*s+244.024637934444173)*s+1282.61652607737228)*s + 2844.23683343917062
	return num, den
}

// ErfcxMid returns exp(x^2) erfc(x) for ErfSmallMax <= x <= ErfcxMidMax
// (Cody's interval for it).
func ErfcxMid(x float64) float64 {
	v := [1]float64{x}
	ErfcxMids(v[:], v[:])
	return v[0]
}

// ErfcxMids stores exp(x^2) erfc(x) in dst[i] for each x = x[i] in
// [ErfSmallMax, ErfcxMidMax]. It works on a slice so that the loop's body,
// too large for the compiler to inline, is not a call per point.
func ErfcxMids(dst, x []float64) {
	dst = dst[:len(x)]
	for i, x := range x {
		// Estrin's scheme: half the dependent steps of Horner's, for
		// loops bound by latency; every term is still positive.
		x2 := x * x
		x4 := x2 * x2
		num := ((1230.33935479799725 + 2051.07837782607147*x) + (1712.04761263407058+881.952221241769090*x)*x2) +
			((298.635138197400131+66.1191906371416295*x)+(8.88314979438837594+0.564188496988670089*x)*x2)*x4 +
			2.15311535474403846e-8*(x4*x4)
		den := ((1230.33935480374942 + 3439.36767414372164*x) + (4362.61909014324716+3290.79923573345963*x)*x2) +
			((1621.38957456669019+537.181101862009858*x)+(117.693950891312499+15.7449261107098347*x)*x2)*x4 +
			x4*x4
		dst[i] = num / den
	}
}

// ErfcxLarge returns exp(x^2) erfc(x) for x >= ErfcxMidMax.
func ErfcxLarge(x float64) float64 {
	num, den := ErfcxLargeRatio(x)
	return num / den
}

// ErfcxLargeRatio returns num and den with exp(x^2) erfc(x) = num/den for
// x >= ErfcxMidMax: num = 1/sqrt(pi) - s P(s)/Q(s) times Q(s), s = 1/x^2
// (between 0.0013 and 0.0018), den = x Q(s) (Q between 0.0023 and 0.0031).
// Once s underflows (x above 1e154) they are 1/sqrt(pi) q and x q, q the
// constant term.
func ErfcxLargeRatio(x float64) (num, den float64) {
	s := 1 / (x * x)
	p := ((((0.0163153871373020978*s+0.305326634961232344)*s+0.360344899949804439)*s+0.125781726111229246)*s+
		0.0160837851487422766)*s + 6.58749161529837803e-4
	q := ((((s+2.56852019228982242)*s+1.87295284992346047)*s+0.527905102951428412)*s+
		0.0605183413124413191)*s + 0.00233520497626869185
	return invSqrtPi*q - s*p, x * q
}

// invSqrtPi is 1/sqrt(pi).
const invSqrtPi = 0.564189583547756286948079451560772586

// Erfcx returns the scaled complementary error function exp(x^2) erfc(x):
// for x >= 0 by ErfSmall (times exp(x^2)), ErfcxMid or ErfcxLarge; below
// 0 as 2 exp(x^2) - erfcx(-x), which overflows below about -26.6.
func Erfcx(x float64) float64 {
	switch {
	case math.IsNaN(x):
		return x
	case x < 0:
		return 2*math.Exp(x*x) - Erfcx(-x)
	case x <= ErfSmallMax:
		return math.Exp(x*x) * (1 - ErfSmall(x))
	case x <= ErfcxMidMax:
		return ErfcxMid(x)
	}
	return ErfcxLarge(x)
}
