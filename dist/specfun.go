package dist

import (
	"math"

	"github.com/klfit/klfit/internal/fmath"
)

// Special functions the families need and neither the standard library nor
// gonum provides. Each is checked against values computed independently
// (see testdata/README.md).

const (
	logSqrt2Pi = 0.91893853320467274178032973640561764 // log(sqrt(2 pi))
	log2Pi     = 1.83787706640934548356065947281123527 // log(2 pi)
)

// logPhi returns log Phi(t), the logarithm of the standard normal
// distribution function, accurate to a few ulps for every t: through erfc
// where Phi neither underflows nor rounds to 1, by log1p near 1, and by the
// asymptotic series of Mills' ratio below t = -35, where erfc underflows.
func logPhi(t float64) float64 {
	switch {
	case t > 0:
		return math.Log1p(-0.5 * math.Erfc(t/math.Sqrt2))
	case t > -35:
		return math.Log(0.5 * math.Erfc(-t/math.Sqrt2))
	}
	return -0.5*t*t - math.Log(-t) - logSqrt2Pi + math.Log(millsSeries(t))
}

// millsSeries returns 1 - 1/t^2 + 3/t^4 - 15/t^6 + ..., the asymptotic
// series of Phi(t) phi(t)^-1 (-t) for t <= -35, where eight terms leave a
// relative error below 15!!/35^16 = 4e-19.
func millsSeries(t float64) float64 {
	r := 1 / (t * t)
	sum, term := 1.0, 1.0
	for k := 1; k <= 8; k++ {
		term *= -float64(2*k-1) * r
		sum += term
	}
	return sum
}

// normHazard returns phi(t)/Phi(t), the inverse Mills ratio, without
// overflow or underflow for any finite t.
func normHazard(t float64) float64 {
	if t <= -35 {
		return -t / millsSeries(t)
	}
	return math.Exp(-0.5*t*t - logSqrt2Pi - logPhi(t))
}

// logPhiHazard returns log Phi(t) and phi(t)/Phi(t) together. Below
// t = -35 both come from the asymptotic series. Where |t| >= 1.25 sqrt 2
// they come from the scaled complement erfc(x) exp(x^2) = exp(R(x))/x,
// x = |t|/sqrt 2 (erfcScaled: math.Erfc's own approximation, without
// the exp of -x^2 that math.Erfc multiplies in with two exps): on the
// left Phi(t) = erfc(x)/2, so that log Phi = -t^2/2 + R - log(2x) and
// phi/Phi = sqrt(2/pi) x exp(-R), one exp and one log where math.Erfc
// (two exps there), phi's exp and a log took three exps and a log; on the
// right Phi = 1 - erfc(x)/2 with erfc(x) = sqrt(2 pi) phi(t) exp(R)/x, two
// exps and a log1p where there were three. Between, math.Erfc (no exp
// there), phi's exp and a log. The exps are the table exp
// fmath.Exp (within 0.55 ulp, half math.Exp's cost).
func logPhiHazard(t float64) (logP, hazard float64) {
	const cut = 1.25 * math.Sqrt2
	switch {
	case t >= 28*math.Sqrt2: // erfc(x) underflows: Phi is 1, phi 0
		return 0, 0
	case t >= cut:
		// phi(t), and from it erfc(x) = sqrt(2 pi) phi(t) exp(R)/x: the
		// rounding of -t^2/2 makes erfc off by up to 1.6e-13 relative
		// (t^2/2 = 729 eps at x = 27), log Phi as much.
		x := t * (1 / math.Sqrt2)
		phi := fmath.Exp(-0.5*t*t - logSqrt2Pi)
		e := phi * math.Sqrt(2*math.Pi) * fmath.Exp(erfcScaledLog(x)) / x
		return math.Log1p(-0.5 * e), phi / (1 - 0.5*e)
	case t > -cut:
		if t > 0 {
			e := math.Erfc(t / math.Sqrt2)
			return math.Log1p(-0.5 * e), fmath.Exp(-0.5*t*t-logSqrt2Pi) / (1 - 0.5*e)
		}
		p := 0.5 * math.Erfc(-t/math.Sqrt2)
		return math.Log(p), fmath.Exp(-0.5*t*t-logSqrt2Pi) / p
	case t > -35:
		x := t * (-1 / math.Sqrt2)
		r := erfcScaledLog(x)
		return -0.5*t*t + r - math.Log(2*x), math.Sqrt(2/math.Pi) * x * fmath.Exp(-r)
	}
	ms := millsSeries(t)
	return -0.5*t*t - math.Log(-t) - logSqrt2Pi + math.Log(ms), -t / ms
}

// erfcScaledLog returns R = log(x erfc(x) exp(x^2)) for 1.25 <= x < 28 by
// the rational approximation math.Erfc uses there (FreeBSD's s_erf.c, as
// in Go's math/erf.go, whose coefficients these are): erfc(x) =
// exp(-x^2 - 0.5625 + P(s)/Q(s))/x with s = 1/x^2, within an ulp or so.
func erfcScaledLog(x float64) float64 {
	s := 1 / (x * x)
	var r, q float64
	if x < 1/0.35 {
		r = -9.86494403484714822705e-03 + s*(-6.93858572707181764372e-01+s*(-1.05586262253232909814e+01+s*(-6.23753324503260060396e+01+
			s*(-1.62396669462573470355e+02+s*(-1.84605092906711035994e+02+s*(-8.12874355063065934246e+01+s*-9.81432934416914548592e+00))))))
		q = 1 + s*(1.96512716674392571292e+01+s*(1.37657754143519042600e+02+s*(4.34565877475229228821e+02+s*(6.45387271733267880336e+02+
			s*(4.29008140027567833386e+02+s*(1.08635005541779435134e+02+s*(6.57024977031928170135e+00+s*-6.04244152148580987438e-02)))))))
	} else {
		r = -9.86494292470009928597e-03 + s*(-7.99283237680523006574e-01+s*(-1.77579549177547519889e+01+s*(-1.60636384855821916062e+02+
			s*(-6.37566443368389627722e+02+s*(-1.02509513161107724954e+03+s*-4.83519191608651397019e+02)))))
		q = 1 + s*(3.03380607434824582924e+01+s*(3.25792512996573918826e+02+s*(1.53672958608443695994e+03+s*(3.19985821950859553908e+03+
			s*(2.55305040643316442583e+03+s*(4.74528541206955367215e+02+s*-2.24409524465858183362e+01))))))
	}
	return -0.5625 + r/q
}

// besselI01e returns e^-k I0(k) and e^-k I1(k), the exponentially scaled
// modified Bessel functions of the first kind of orders 0 and 1, for
// k >= 0: by their power series up to k = 15 (positive terms, so no
// cancellation) and by their asymptotic expansions above, whose smallest
// term there is far below 1e-17.
func besselI01e(k float64) (i0e, i1e float64) {
	if k <= 15 {
		q := 0.25 * k * k
		t0, t1 := 1.0, 0.5*k // the j = 0 terms of I0 and I1
		s0, s1 := t0, t1
		for j := 1; j < 200; j++ {
			fj := float64(j)
			t0 *= q / (fj * fj)
			t1 *= q / (fj * (fj + 1))
			s0 += t0
			s1 += t1
			if t0 < 1e-17*s0 && t1 < 1e-17*s1 {
				break
			}
		}
		e := math.Exp(-k)
		return s0 * e, s1 * e
	}
	// I_nu(k) ~ e^k / sqrt(2 pi k) sum_j (-1)^j a_j(nu) / k^j with
	// a_j(nu) = prod_{i=1..j} (4 nu^2 - (2i-1)^2) / (j! 8^j).
	s0, s1 := 1.0, 1.0
	t0, t1 := 1.0, 1.0
	for j := 1; j < 60; j++ {
		odd := float64(2*j-1) * float64(2*j-1)
		n0 := t0 * odd / (float64(j) * 8 * k)
		n1 := -t1 * (4 - odd) / (float64(j) * 8 * k)
		if math.Abs(n0) > math.Abs(t0) { // the series started to diverge
			break
		}
		t0, t1 = n0, n1
		s0 += t0
		s1 += t1
		if math.Abs(t0) < 1e-17*s0 && math.Abs(t1) < 1e-17*s1 {
			break
		}
	}
	c := 1 / math.Sqrt(2*math.Pi*k)
	return c * s0, c * s1
}

// logBesselI0 returns log I0(k) and the ratio A(k) = I1(k)/I0(k) for k >= 0.
func logBesselI0(k float64) (logI0, ratio float64) {
	i0e, i1e := besselI01e(k)
	return k + math.Log(i0e), i1e / i0e
}

// digamma returns psi(x) = d/dx log Gamma(x) for x > 0, to a few ulps: by
// the recurrence psi(x) = psi(x+1) - 1/x up to x >= 12, then the
// asymptotic series
//
//	psi(x) = log x - 1/(2x) - sum_n B_2n / (2n x^2n)
//
// to the x^-12 term (the first omitted one, B_14/(14 x^14), is below
// 1e-15 there). gonum's mathext.Digamma is good to only about 5e-11,
// which would show in the scores of the gamma, beta and Student t
// families.
func digamma(x float64) float64 {
	var r float64
	for x < 12 {
		r -= 1 / x
		x++
	}
	f := 1 / (x * x)
	return r + math.Log(x) - 0.5/x -
		f*(1.0/12-f*(1.0/120-f*(1.0/252-f*(1.0/240-f*(1.0/132-f*691.0/32760)))))
}

// digammaHalfStep returns psi((nu+1)/2) - psi(nu/2), the difference that
// makes a Student t's score with respect to its degrees of freedom. For
// large nu the two digammas nearly cancel, so there it is summed from
// their asymptotic expansions instead (terms up to x^-10; the next one is
// below 1e-17 for nu >= 40).
func digammaHalfStep(nu float64) float64 {
	if nu < 40 {
		return digamma((nu+1)/2) - digamma(nu/2)
	}
	a, b := nu/2, (nu+1)/2
	tail := func(x float64) float64 { // psi(x) - log(x)
		r := 1 / (x * x)
		return -0.5/x - r*(1.0/12-r*(1.0/120-r*(1.0/252-r*(1.0/240-r*5.0/660))))
	}
	return math.Log1p(1/nu) + tail(b) - tail(a) // log(b/a) = log1p(1/nu)
}

// lgammaHalfStep returns lgamma((nu+1)/2) - lgamma(nu/2). For large nu
// the two log-gammas are large and nearly equal, so there the difference
// is taken from Stirling's series instead: with a = nu/2,
//
//	a log1p(1/(2a)) - 1/2 + log(a)/2 + S(a+1/2) - S(a),
//	S(x) = 1/(12x) - 1/(360x^3) + 1/(1260x^5) - 1/(1680x^7),
//
// whose first omitted term is below 1e-18 for nu >= 100.
func lgammaHalfStep(nu float64) float64 {
	if nu < 100 {
		l1, _ := math.Lgamma((nu + 1) / 2)
		l2, _ := math.Lgamma(nu / 2)
		return l1 - l2
	}
	a := nu / 2
	st := func(x float64) float64 {
		r := 1 / (x * x)
		return (1.0/12 - r*(1.0/360-r*(1.0/1260-r/1680))) / x
	}
	return a*math.Log1p(1/nu) - 0.5 + 0.5*math.Log(a) + st(a+0.5) - st(a)
}

// a1inv returns an approximate inverse of A(k) = I1(k)/I0(k) (Best and
// Fisher, 1981): the von Mises concentration whose mean resultant length
// is r. It is used for starting points only.
func a1inv(r float64) float64 {
	switch {
	case r < 0.53:
		return 2*r + r*r*r + 5*math.Pow(r, 5)/6
	case r < 0.85:
		return -0.4 + 1.39*r + 0.43/(1-r)
	case r < 1:
		return 1 / (r*r*r - 4*r*r + 3*r)
	}
	return 1e6
}

// trigamma returns psi'(x), the derivative of digamma, for x > 0: by the
// recurrence psi'(x) = psi'(x+1) + 1/x^2 up to x >= 12, then the
// asymptotic series
//
//	psi'(x) = 1/x + 1/(2x^2) + sum_n B_2n / x^(2n+1)
//
// to the x^-13 term (the first omitted one, 7/(6 x^15), is below 1e-16
// relative there).
func trigamma(x float64) float64 {
	var r float64
	for x < 12 {
		r += 1 / (x * x)
		x++
	}
	f := 1 / (x * x)
	return r + 1/x + 0.5*f +
		f/x*(1.0/6-f*(1.0/30-f*(1.0/42-f*(1.0/30-f*(5.0/66-f*691.0/2730)))))
}

// Digamma returns psi(x) = d/dx log Gamma(x) for x > 0, to a few ulps
// (gonum's mathext.Digamma is good to only about 5e-11).
func Digamma(x float64) float64 { return digamma(x) }

// Trigamma returns psi'(x) for x > 0, to a few ulps.
func Trigamma(x float64) float64 { return trigamma(x) }
