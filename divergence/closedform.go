package divergence

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// A closed form gives a divergence between two members of one family
// exactly, from their parameter vectors. Parameter vectors follow the
// families' order:
//
//	normal       mean, variance
//	exponential  rate
//	gamma        shape, rate
//	beta         alpha, beta
//	laplace      loc, scale
//	lognormal    mu, sigma
//	mvnormal     the mean (d numbers) then the covariance, either its d*d
//	             entries row by row or its upper triangle row by row
//	             (d(d+1)/2 numbers); d is read from the length
//	categorical  the masses (normalized here)
type closedForm func(p, q []float64) (float64, error)

type closedKey struct{ div, family string }

var closedForms = map[closedKey]closedForm{}

func registerClosed(div, family string, f closedForm) { closedForms[closedKey{div, family}] = f }

func init() {
	for fam, f := range map[string]closedForm{
		"normal":      klNormal,
		"exponential": klExponential,
		"gamma":       klGamma,
		"beta":        klBeta,
		"laplace":     klLaplace,
		"lognormal":   klLognormal,
		"mvnormal":    klMVNormal,
		"categorical": klCategorical,
	} {
		f := f
		registerClosed("kl", fam, f)
		registerClosed("reverse_kl", fam, func(p, q []float64) (float64, error) { return f(q, p) })
	}
	registerClosed("hellinger", "normal", hellingerNormal)
}

// ErrOverflow is the error of a closed form whose value is finite but
// above the largest float64 (1.8e308): the value returned is +Inf.
var ErrOverflow = errors.New("the divergence is finite but above the largest float64 (1.8e308)")

// ClosedForm returns D(P, Q) between the members p and q (parameter
// vectors) of the named family, and ok = false when no closed form is
// known for that divergence and family. Divergences with options (renyi,
// alpha) have a closed form for normal-normal.
//
// The value is accurate to a few ulps of the terms it is summed from, all
// >= 0 (in the tests, to 1e-14 relative against mpmath, scale ratios from
// 1e-300 to 1e300 included). An infinite divergence is +Inf with a
// *SupportError saying why; a finite one above the largest float64 is
// +Inf with ErrOverflow.
func ClosedForm(d Divergence, family string, p, q []float64) (v float64, ok bool, err error) {
	switch dd := d.(type) {
	case Renyi:
		if family != "normal" {
			return 0, false, nil
		}
		v, err = renyiNormal(dd.Alpha, p, q)
	case Alpha:
		if family != "normal" {
			return 0, false, nil
		}
		v, err = alphaNormal(dd.Alpha, p, q)
	default:
		f, ok := closedForms[closedKey{d.Name(), family}]
		if !ok {
			return 0, false, nil
		}
		v, err = f(p, q)
	}
	if err == nil {
		switch {
		case math.IsNaN(v):
			err = fmt.Errorf("%s between %s members %v and %v: the closed form is NaN (a parameter outside its range?)", d.Name(), family, p, q)
		case math.IsInf(v, 1):
			err = ErrOverflow
		}
	}
	return v, true, err
}

// alphaNormal is Amari's alpha-divergence of order a between normals:
// (1 - S)/(a(1-a)) with S = exp((a-1) D_a) from the Renyi divergence of
// order a, as an exponential alone where S is above 1e304 and the 1
// does not count.
func alphaNormal(a float64, p, q []float64) (float64, error) {
	r, err := renyiNormal(a, p, q)
	if err != nil {
		return math.Inf(1), err
	}
	x := (a - 1) * r
	den := a * (1 - a)
	if x > 700 {
		return math.Exp(x - logPos(-den)), nil
	}
	return -math.Expm1(x) / den, nil
}

// ClosedForms lists the divergence/family pairs with a closed form, as
// "kl: normal".
func ClosedForms() []string {
	var out []string
	for k := range closedForms {
		out = append(out, k.div+": "+k.family)
	}
	out = append(out, "renyi: normal", "alpha: normal")
	sort.Strings(out)
	return out
}

func checkLen(family string, p, q []float64, n int) error {
	if len(p) != n || len(q) != n {
		return fmt.Errorf("%s: %d parameters expected, got %d and %d", family, n, len(p), len(q))
	}
	return nil
}

// klNormal is KL(N(m1, v1) || N(m2, v2)) = (log(v2/v1) + (v1 + (m1-m2)^2)/v2 - 1)/2,
// computed as (r - 1 - log r)/2 + z^2/2 with r = v1/v2 and z = (m1-m2)/sqrt(v2):
// two terms >= 0, each to a few ulps for any r (see gap), nearly equal
// normals and variances 1e600 times apart included.
func klNormal(p, q []float64) (float64, error) {
	if err := checkLen("normal", p, q, 2); err != nil {
		return 0, err
	}
	z := overScale(p[0], q[0], math.Sqrt(q[1]))
	return halfGapRatio(p[1], q[1]) + 0.5*z*z, nil
}

// klExponential is log(r1/r2) + r2/r1 - 1 = g(r2/r1), g(r) = r - 1 - log r.
func klExponential(p, q []float64) (float64, error) {
	if err := checkLen("exponential", p, q, 1); err != nil {
		return 0, err
	}
	return gapRatio(q[0], p[0]), nil
}

// klGamma is, for shape a and rate b,
// (a1-a2) psi(a1) - lgamma(a1) + lgamma(a2) + a2 log(b1/b2) + a1 (b2-b1)/b1.
// With lgamma written through Stirling's formula and Binet's function mu
// (see binet), the terms of size a log a cancel in the algebra and it is
//
//	a2 g(m1/m2) + g(a2/a1)/2 + R(a1, a2-a1),
//
// g(r) = r - 1 - log r, m = a/b the means, and R mu's Taylor remainder
// (see binetRemainder): three terms >= 0, accurate for any shapes and
// rates, where the textbook formula loses log10(a) digits to lgamma.
func klGamma(p, q []float64) (float64, error) {
	if err := checkLen("gamma", p, q, 2); err != nil {
		return 0, err
	}
	a1, b1, a2, b2 := p[0], p[1], q[0], q[1]
	n, k := diffProd(a1, b2, a2, b1) // m1/m2 - 1 = (a1 b2 - a2 b1)/(a2 b1)
	return productGap(a1, b2, a2, b1, n, k) + halfGapRatio(a2, a1) + binetRemainder(a1, a2, a2-a1), nil
}

// klBeta is log B(a2,b2) - log B(a1,b1) + (a1-a2) psi(a1) + (b1-b2) psi(b1)
// + (a2-a1+b2-b1) psi(a1+b1). With lgamma written as in klGamma, and
// s = a + b, it is
//
//	a2 g(m1/m2) + b2 g((1-m1)/(1-m2)) + (g(a2/a1) + g(b2/b1) - g(s2/s1))/2
//	+ R(a1, a2-a1) + R(b1, b2-b1) - R(s1, s2-s1),
//
// m = a/s the means: the terms of size a log a cancel in the algebra.
// Where P's shapes are within a factor 2 of each other, what is
// subtracted is at most a few times what it is subtracted from. Where
// one is far below the other (a1 < b1/2, after swapping the shapes of
// both members if need be), s1 is near b1 and the b and s terms, of size
// b2/b1 and b2 log b2, cancel down to a1 times that: the g's are summed
// as one Bregman divergence of -log a - log b + log s (see betaLogGap)
// and the R's of b and s as differences of mu and mu' at nearby points
// (see betaBinetGap), so that nothing of size 1/a1 cancels.
func klBeta(p, q []float64) (float64, error) {
	if err := checkLen("beta", p, q, 2); err != nil {
		return 0, err
	}
	a1, b1, a2, b2 := p[0], p[1], q[0], q[1]
	if b1 < a1 {
		a1, b1, a2, b2 = b1, a1, b2, a2
	}
	s1, s2 := a1+b1, a2+b2
	ea, eb := a2-a1, b2-b1
	es := ea + eb // s2 - s1 without the rounding of the sums
	// m1/m2 - 1 = (a1 b2 - a2 b1)/(a2 s1), (1-m1)/(1-m2) - 1 = (b1 a2 - b2 a1)/(b2 s1).
	na, ka := diffProd(a1, b2, a2, b1)
	nb, kb := diffProd(b1, a2, b2, a1)
	means := productGap(a1, s2, a2, s1, na, ka) + productGap(b1, s2, b2, s1, nb, kb)
	if a1 < 0.5*b1 {
		if lg, ok := betaLogGap(a1, b1, a2, b2, ea, eb, nb, kb); ok {
			return means + 0.5*lg + binetRemainder(a1, a2, ea) + betaBinetGap(a1, b1, a2, b2, ea, eb, es), nil
		}
	}
	pos := means + halfGapRatio(a2, a1) + halfGapRatio(b2, b1) + binetRemainder(a1, a2, ea) + binetRemainder(b1, b2, eb)
	neg := gap(0.5*es/s1, logRatioDiff(s2, s1, es), 0.5) + binetRemainder(s1, s2, es)
	return pos - neg, nil
}

// betaLogGap returns g(a2/a1) + g(b2/b1) - g(s2/s1), g(r) = r - 1 - log r,
// the Bregman divergence of h(a, b) = -log a - log b + log(a+b), as
//
//	g(v) + log1p(X),  v = w ra + (1-w) rb,  X = (a2 b1 - a1 b2)^2/(s1^2 a2 b2),
//
// with ra = a2/a1, rb = b2/b1 and w = b1/s1: two terms >= 0 (the algebra
// uses v (w rb + (1-w) ra) = ra rb (1 + X)). n 2^k is b1 a2 - b2 a1 (see
// diffProd). ok is false where v overflows.
func betaLogGap(a1, b1, a2, b2, ea, eb, n float64, k int) (float64, bool) {
	s1 := a1 + b1
	// v - 1 = (b1 ea/a1 + a1 eb/b1)/s1.
	vm1 := (b1/s1)*(ea/a1) + (a1/s1)*(eb/b1)
	if math.IsInf(vm1, 0) || math.IsNaN(vm1) {
		return 0, false
	}
	var l float64
	switch {
	case math.Abs(vm1) < 0.5:
		l = math.Log1p(vm1)
	case vm1 < 0:
		// v small: from its two positive terms, not from 1 + vm1.
		l = logPos((b1/s1)*(a2/a1) + (a1/s1)*(b2/b1))
	default:
		l = math.Log(1 + vm1)
	}
	// X from the fractions and exponents of its factors: n 2^k may be
	// far below the smallest float64 where X is not.
	fs, js := math.Frexp(s1)
	fa, ja := math.Frexp(a2)
	fb, jb := math.Frexp(b2)
	e := 2*k - 2*js - ja - jb
	var lx float64
	if e > 900 {
		lx = 2*logPos(math.Abs(n)/fs) - logPos(fa*fb) + float64(e)*math.Ln2
	} else {
		lx = math.Log1p(math.Ldexp(n*n/(fs*fs*fa*fb), e))
	}
	return gap(vm1, l, 1) + lx, true
}

// betaBinetGap returns R(b1, eb) - R(s1, es), R(x, e) = mu(x+e) - mu(x) - e mu'(x)
// (see binetRemainder), for a1 < b1/2, s = a + b, e = the difference of
// Q's shape from P's, as
//
//	(mu(b2) - mu(s2)) + (mu(s1) - mu(b1)) + eb (mu'(s1) - mu'(b1)) + ea mu'(s1),
//
// each a difference of mu or mu' over an interval of length a1 or a2,
// taken as an integral of the derivative where the interval is short:
// the terms of size eb mu'(b1), which cancel, are not formed.
func betaBinetGap(a1, b1, a2, b2, ea, eb, es float64) float64 {
	s1, s2 := a1+b1, a2+b2
	// mu'(s1) - mu'(b1) = a1 * integral over [0,1] of mu''(b1 + u a1).
	var d2 float64
	for i, u := range gl20Nodes {
		x := b1 + u*a1
		r := b1 / x
		d2 += gl20Weights[i] * r * r * binetDeriv2Scaled(x)
	}
	// eb a1 d2 / b1^2, in an order that overflows only where it does.
	t := eb * (a1 / b1) / b1 * d2
	terms := [...]float64{binetDiff(s2, -a2), binetDiff(b1, a1), t, ea / s1 * binetDerivScaled(s1)}
	// Near Q = P both ways are small, and the textbook one, of size
	// e^2 mu'', cancels less than these terms, of size a mu': the one
	// whose terms are the smaller is taken.
	rb, rs := binetRemainder(b1, b2, eb), binetRemainder(s1, s2, es)
	var sum, size float64
	for _, x := range terms {
		sum += x
		size += math.Abs(x)
	}
	if rb+rs < size {
		return rb - rs
	}
	return sum
}

// binetDiff returns mu(x+h) - mu(x) for x > 0, x + h > 0: an integral of
// mu' by Gauss-Legendre where |h| <= x/2, binetBoundedDiff beyond.
func binetDiff(x, h float64) float64 {
	if h == 0 {
		return 0
	}
	if math.Abs(h) <= 0.5*x {
		var s float64
		for i, u := range gl20Nodes {
			z := x + u*h
			s += gl20Weights[i] * (h / z) * binetDerivScaled(z)
		}
		return s
	}
	return binetBoundedDiff(x, x+h)
}

// klLaplace is log(s2/s1) + |m1-m2|/s2 + (s1/s2) exp(-|m1-m2|/s1) - 1,
// computed as g(r) + r (e^-e - 1 + e) with r = s1/s2, g(r) = r - 1 - log r
// and e = |m1-m2|/s1: two terms >= 0, the second as |m1-m2|/s2 - r (1 - e^-e)
// when e > 1, so that neither overflows where the value does not.
func klLaplace(p, q []float64) (float64, error) {
	if err := checkLen("laplace", p, q, 2); err != nil {
		return 0, err
	}
	g := gapRatio(p[1], q[1])
	if math.IsInf(g, 1) {
		return g, nil // r overflows, and so does the value
	}
	r := p[1] / q[1]
	e := math.Abs(overScale(p[0], q[0], p[1]))
	if e <= 1 {
		return g + r*expm1MinusX(-e), nil
	}
	return g + (math.Abs(overScale(p[0], q[0], q[1])) + r*math.Expm1(-e)), nil
}

// klLognormal is the normal KL of the logarithms:
// log(s2/s1) + (s1^2 + (m1-m2)^2)/(2 s2^2) - 1/2 = g(r)/2 + z^2/2 with
// r = (s1/s2)^2, g(r) = r - 1 - log r and z = (m1-m2)/s2. r - 1 is
// d (2 + d), d = (s1-s2)/s2, exact for nearly equal sigmas, and log r is
// 2 log(s1/s2): neither squares a sigma, which would under- or overflow.
func klLognormal(p, q []float64) (float64, error) {
	if err := checkLen("lognormal", p, q, 2); err != nil {
		return 0, err
	}
	d := (p[1] - q[1]) / q[1]
	z := overScale(p[0], q[0], q[1])
	return gap(d*(1+0.5*d), 2*logRatio(p[1], q[1]), 0.5) + 0.5*z*z, nil
}

// klCategorical is sum a log(a/b) over the normalized masses a = p/sum(p)
// and b = q/sum(q), with 0 log 0 = 0 and +Inf where b is 0 and a is not.
// It is summed as sum a g(b/a) + sum_{a=0} b, g(r) = r - 1 - log r (the
// added b - a sum to 0): terms >= 0, without the cancellation between
// positive and negative logs. b/a - 1 is (q sum(p) - p sum(q))/(p sum(q)),
// with the sums carried to twice float64's precision and the numerator
// exact (see diffProd): nearly equal masses keep the digits that
// normalizing each, or rounding the sums, would lose.
func klCategorical(p, q []float64) (float64, error) {
	if len(p) != len(q) || len(p) == 0 {
		return 0, fmt.Errorf("categorical: %d and %d masses", len(p), len(q))
	}
	for i := range p {
		if !(p[i] >= 0 && q[i] >= 0) || math.IsInf(p[i], 0) || math.IsInf(q[i], 0) {
			return 0, fmt.Errorf("categorical: mass %d is %v and %v: masses must be finite and >= 0", i, p[i], q[i])
		}
	}
	ps, sp, spLo, ep := scaleMasses(p)
	qs, sq, sqLo, eq := scaleMasses(q)
	if sp == 0 || sq == 0 {
		return 0, fmt.Errorf("categorical: the masses sum to 0")
	}
	var kl float64
	for i := range p {
		a, b := ps[i], qs[i]
		switch {
		case p[i] == 0:
			kl += b / sq
		case q[i] == 0:
			return math.Inf(1), &SupportError{Index: i, Reason: reasonTargetMass}
		case a == 0 || b == 0:
			// A mass below 2^-1074 of its sum: from the logs of the
			// masses and sums, a log(a/b) - a + b.
			la := logPos(p[i]) - math.Log(sp) - float64(ep)*math.Ln2
			lb := logPos(q[i]) - math.Log(sq) - float64(eq)*math.Ln2
			kl += math.Exp(lb) - math.Exp(la)*(1+lb-la)
		default:
			// b/a - 1 = (b sp - a sq)/(a sq), sums as hi + lo.
			n, k := diffProd(b, sp, a, sq)
			n += math.Ldexp(b*spLo-a*sqLo, -k)
			kl += productGap(b, sp, a, sq, n, k) / sp
		}
	}
	return kl, nil
}

// scaleMasses returns the masses times 2^-e, and their sum hi + lo
// (hi = hi + lo rounded, lo its rounding error: the sum to twice
// float64's precision), e such that hi is in [1/2, n). The scaling is
// exact but for masses that fall below 2^-1022 of the sum.
func scaleMasses(p []float64) (scaled []float64, hi, lo float64, e int) {
	var top float64
	for _, v := range p {
		top = math.Max(top, v)
	}
	scaled = make([]float64, len(p))
	if top == 0 {
		return scaled, 0, 0, 0
	}
	_, e = math.Frexp(top)
	for i, v := range p {
		scaled[i] = math.Ldexp(v, -e)
		var err float64
		hi, err = twoSum(hi, scaled[i])
		lo += err
	}
	hi, lo = twoSum(hi, lo)
	return scaled, hi, lo, e
}

// twoSum returns a + b rounded and its rounding error, exactly.
func twoSum(a, b float64) (s, err float64) {
	s = a + b
	bb := s - a
	return s, (a - (s - bb)) + (b - bb)
}

// hellingerNormal is 1 - sqrt(2 s1 s2/(v1+v2)) exp(-(m1-m2)^2/(4 (v1+v2))),
// computed as -expm1(log(1 - x)/2 - z^2/4), x = (s1-s2)^2/(v1+v2) and
// z = (m1-m2)/sqrt(v1+v2): s1 - s2 as (v1-v2)/(s1+s2), exact for nearly
// equal variances; log(1 - x) as log1p(-x) for x < 1/2 and from the
// ratio of the deviations beyond, where 1 - x is small; sqrt(v1+v2) as
// hypot(s1, s2), which does not overflow.
func hellingerNormal(p, q []float64) (float64, error) {
	if err := checkLen("normal", p, q, 2); err != nil {
		return 0, err
	}
	s1, s2 := math.Sqrt(p[1]), math.Sqrt(q[1])
	h := math.Hypot(s1, s2)
	x := (p[1] - q[1]) / (s1 + s2) / h
	x *= x
	var l float64
	if x < 0.5 {
		l = math.Log1p(-x)
	} else {
		lo, hi := math.Min(s1, s2), math.Max(s1, s2)
		rho := lo / hi
		l = math.Ln2 + logRatio(lo, hi) - math.Log1p(rho*rho)
	}
	w := 0.5 * overScale(p[0], q[0], h)
	return -math.Expm1(0.5*l - w*w), nil
}

// renyiNormal is the Renyi divergence of order a between normals:
// a (m1-m2)^2/(2 va) - log(va / (v1^(1-a) v2^a))/(2(a-1)), va = a v2 + (1-a) v1,
// +Inf when va <= 0 (possible for a > 1 and a < 0). With c = 1 - a,
// r = v1/v2 and l = log r, the log term is F/(2c),
// F = log(a + c r) - c l, a Jensen gap, computed without cancellation:
//
//	0 < a < 1: F = log1p(a E(-c l) + c E(a l)), E(x) = e^x - 1 - x >= 0;
//	a > 1:     F/(2c) = (g(r) + g(1 + c (r-1))/(-c))/2, g(r) = r - 1 - log r;
//	a < 0:     the same with the roles of the members swapped.
func renyiNormal(a float64, p, q []float64) (float64, error) {
	if err := checkLen("normal", p, q, 2); err != nil {
		return 0, err
	}
	v1, v2 := p[1], q[1]
	c := 1 - a
	var logPart, va float64
	switch {
	case a > 0 && a < 1:
		logPart = jensenLog(a, c, logRatio(v1, v2)) / (2 * c)
		va = a*v2 + c*v1
	case a > 1:
		// va = v2 (1 + x), x = c (r - 1).
		t := (v1 - v2) / v2
		x := c * t
		if !(x > -1) {
			return renyiInfinite(a)
		}
		logPart = 0.5 * (gap(t, logRatio(v1, v2), 1) + gap(x, math.Log1p(x), 1)/(-c))
		va = v2 * (1 + x)
	case a < 0:
		// va = v1 (1 + y), y = a (1/r - 1).
		s := (v2 - v1) / v1
		y := a * s
		if !(y > -1) {
			return renyiInfinite(a)
		}
		logPart = -0.5 * (-a*gap(s, logRatio(v2, v1), 1) + gap(y, math.Log1p(y), 1)) / c
		va = v1 * (1 + y)
	default:
		return math.NaN(), fmt.Errorf("renyi: order %v: must be neither 0 nor 1", a)
	}
	if p[0] == q[0] {
		return logPart, nil
	}
	z := overScale(p[0], q[0], math.Sqrt(va))
	return 0.5*a*z*z + logPart, nil
}

// renyiInfinite is the +Inf of a Renyi divergence of order a between
// normals whose va <= 0.
func renyiInfinite(a float64) (float64, error) {
	// a > 1: v_p >= a v_q/(a-1) > v_q, P's tails are the heavier;
	// a < 0: v_q >= (1-a) v_p/(-a) > v_p, Q's are.
	heavy, light := "the target", "the model"
	if a < 0 {
		heavy, light = light, heavy
	}
	return math.Inf(1), &SupportError{Reason: fmt.Sprintf("the Renyi divergence of order %v is infinite: %s's tails are too heavy for %s (alpha v_q + (1-alpha) v_p <= 0)", a, heavy, light)}
}

// jensenLog returns log(a + c e^l) - c l >= 0 for 0 < a < 1, c = 1 - a:
// log(a e^(-c l) + c e^(a l)), which is log1p(a E(-c l) + c E(a l)) with
// E(x) = e^x - 1 - x >= 0 (the first-order terms cancel exactly in the
// algebra), and a log-sum-exp where an exponential would overflow.
func jensenLog(a, c, l float64) float64 {
	x1, x2 := -c*l, a*l
	if math.Max(x1, x2) < 700 {
		return math.Log1p(a*expm1MinusX(x1) + c*expm1MinusX(x2))
	}
	return logAddExp(logPos(a)+x1, logPos(c)+x2)
}
