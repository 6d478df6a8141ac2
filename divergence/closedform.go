package divergence

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/integrate/quad"

	"github.com/klfit/klfit/dist"
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

// ClosedForm returns D(P, Q) between the members p and q (parameter
// vectors) of the named family, and ok = false when no closed form is
// known for that divergence and family. Divergences with options (renyi,
// alpha) have a closed form for normal-normal.
func ClosedForm(d Divergence, family string, p, q []float64) (v float64, ok bool, err error) {
	switch dd := d.(type) {
	case Renyi:
		if family == "normal" {
			v, err := renyiNormal(dd.Alpha, p, q)
			return v, true, err
		}
		return 0, false, nil
	case Alpha:
		if family == "normal" {
			// Amari's alpha-divergence of order a is (1 - S)/(a(1-a)) with
			// S = exp((a-1) D_a) from the Renyi divergence of order a.
			r, err := renyiNormal(dd.Alpha, p, q)
			if err != nil {
				return math.Inf(1), true, err
			}
			a := dd.Alpha
			return -math.Expm1((a-1)*r) / (a * (1 - a)), true, nil
		}
		return 0, false, nil
	}
	f, ok := closedForms[closedKey{d.Name(), family}]
	if !ok {
		return 0, false, nil
	}
	v, err = f(p, q)
	return v, true, err
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
// computed as (t - log1p(t) + (m1-m2)^2/v2)/2 with t = (v1-v2)/v2, which
// keeps every digit between nearly equal normals.
func klNormal(p, q []float64) (float64, error) {
	if err := checkLen("normal", p, q, 2); err != nil {
		return 0, err
	}
	d := p[0] - q[0]
	return 0.5 * (xMinusLog1p((p[1]-q[1])/q[1]) + d*d/q[1]), nil
}

// klExponential is log(r1/r2) + r2/r1 - 1 = t - log1p(t), t = (r2-r1)/r1.
func klExponential(p, q []float64) (float64, error) {
	if err := checkLen("exponential", p, q, 1); err != nil {
		return 0, err
	}
	return xMinusLog1p((q[0] - p[0]) / p[0]), nil
}

// klGamma is, for shape a and rate b,
// (a1-a2) psi(a1) - lgamma(a1) + lgamma(a2) + a2 (log b1 - log b2) + a1 (b2-b1)/b1,
// computed as R(a1, a2-a1) + a1 (t - log1p(t)) - (a2-a1) log1p(t) with
// t = (b2-b1)/b1 and R the Taylor remainder of lgamma (see lgammaRemainder).
func klGamma(p, q []float64) (float64, error) {
	if err := checkLen("gamma", p, q, 2); err != nil {
		return 0, err
	}
	a1, b1, a2, b2 := p[0], p[1], q[0], q[1]
	t := (b2 - b1) / b1
	return lgammaRemainder(a1, a2-a1) + a1*xMinusLog1p(t) - (a2-a1)*math.Log1p(t), nil
}

// klBeta is log B(a2,b2) - log B(a1,b1) + (a1-a2) psi(a1) + (b1-b2) psi(b1)
// + (a2-a1+b2-b1) psi(a1+b1), computed as
// R(a1, a2-a1) + R(b1, b2-b1) - R(a1+b1, a2+b2-a1-b1) with R the Taylor
// remainder of lgamma (see lgammaRemainder).
func klBeta(p, q []float64) (float64, error) {
	if err := checkLen("beta", p, q, 2); err != nil {
		return 0, err
	}
	a1, b1, a2, b2 := p[0], p[1], q[0], q[1]
	return lgammaRemainder(a1, a2-a1) + lgammaRemainder(b1, b2-b1) - lgammaRemainder(a1+b1, (a2-a1)+(b2-b1)), nil
}

// klLaplace is log(s2/s1) + |m1-m2|/s2 + (s1/s2) exp(-|m1-m2|/s1) - 1,
// computed as t - log1p(t) + r (exp(-e) - 1 + e) with r = s1/s2,
// t = r - 1 and e = |m1-m2|/s1: two terms >= 0, without cancellation.
func klLaplace(p, q []float64) (float64, error) {
	if err := checkLen("laplace", p, q, 2); err != nil {
		return 0, err
	}
	r := p[1] / q[1]
	e := math.Abs(p[0]-q[0]) / p[1]
	return xMinusLog1p((p[1]-q[1])/q[1]) + r*expm1PlusX(e), nil
}

// klLognormal is the normal KL of the logarithms:
// log(s2/s1) + (s1^2 + (m1-m2)^2)/(2 s2^2) - 1/2.
func klLognormal(p, q []float64) (float64, error) {
	if err := checkLen("lognormal", p, q, 2); err != nil {
		return 0, err
	}
	// t = (s1^2 - s2^2)/s2^2 from the difference of the sigmas, exact
	// for nearly equal ones.
	d := p[0] - q[0]
	v2 := q[1] * q[1]
	return 0.5 * (xMinusLog1p((p[1]-q[1])*(p[1]+q[1])/v2) + d*d/v2), nil
}

// klCategorical is sum p log(p/q) over the normalized masses, with
// 0 log 0 = 0 and +Inf where q is 0 and p is not.
func klCategorical(p, q []float64) (float64, error) {
	if len(p) != len(q) || len(p) == 0 {
		return 0, fmt.Errorf("categorical: %d and %d masses", len(p), len(q))
	}
	var sp, sq float64
	for i := range p {
		if p[i] < 0 || q[i] < 0 {
			return 0, fmt.Errorf("categorical: negative mass")
		}
		sp += p[i]
		sq += q[i]
	}
	var kl float64
	for i := range p {
		if p[i] == 0 {
			continue
		}
		if q[i] == 0 {
			return math.Inf(1), &SupportError{Index: i, Reason: reasonTargetMass}
		}
		a, b := p[i]/sp, q[i]/sq
		kl += a * math.Log(a/b)
	}
	return kl, nil
}

// mvParams splits a mvnormal parameter vector into its mean and full
// covariance (row-major).
func mvParams(theta []float64) (mean, cov []float64, d int, err error) {
	for d = 1; d <= 8; d++ {
		full, tri := d+d*d, d+d*(d+1)/2
		switch len(theta) {
		case full:
			return theta[:d], theta[d:], d, nil
		case tri:
			cov = make([]float64, d*d)
			k := d
			for i := 0; i < d; i++ {
				for j := i; j < d; j++ {
					cov[i*d+j], cov[j*d+i] = theta[k], theta[k]
					k++
				}
			}
			return theta[:d], cov, d, nil
		}
	}
	return nil, nil, 0, fmt.Errorf("mvnormal: %d parameters is not a mean and a covariance", len(theta))
}

// klMVNormal is (tr(S2^-1 S1) + (m2-m1)' S2^-1 (m2-m1) - d + log(det S2/det S1))/2,
// through Cholesky factors.
func klMVNormal(p, q []float64) (float64, error) {
	m1, s1, d, err := mvParams(p)
	if err != nil {
		return 0, err
	}
	m2, s2, d2, err := mvParams(q)
	if err != nil {
		return 0, err
	}
	if d != d2 {
		return 0, fmt.Errorf("mvnormal: dimensions %d and %d", d, d2)
	}
	l1, ok1 := cholesky(s1, d)
	l2, ok2 := cholesky(s2, d)
	if !ok1 || !ok2 {
		return 0, fmt.Errorf("mvnormal: a covariance is not symmetric positive definite")
	}
	// tr(S2^-1 S1) = ||L2^-1 L1||_F^2, quad = ||L2^-1 (m2-m1)||^2.
	var tr float64
	col := make([]float64, d)
	for j := 0; j < d; j++ {
		for i := 0; i < d; i++ {
			col[i] = l1[i*d+j]
		}
		solveLower(l2, d, col)
		for _, v := range col {
			tr += v * v
		}
	}
	for i := range col {
		col[i] = m2[i] - m1[i]
	}
	solveLower(l2, d, col)
	var quad, logdet float64
	for i, v := range col {
		quad += v * v
		logdet += 2 * (math.Log(l2[i*d+i]) - math.Log(l1[i*d+i]))
	}
	return 0.5 * (tr + quad - float64(d) + logdet), nil
}

// cholesky returns the lower factor L of a symmetric positive definite
// d x d matrix (row-major), or ok = false.
func cholesky(a []float64, d int) ([]float64, bool) {
	l := make([]float64, d*d)
	for i := 0; i < d; i++ {
		for j := 0; j <= i; j++ {
			if a[i*d+j] != a[j*d+i] {
				return nil, false
			}
			s := a[i*d+j]
			for k := 0; k < j; k++ {
				s -= l[i*d+k] * l[j*d+k]
			}
			if i == j {
				if !(s > 0) {
					return nil, false
				}
				l[i*d+i] = math.Sqrt(s)
			} else {
				l[i*d+j] = s / l[j*d+j]
			}
		}
	}
	return l, true
}

func solveLower(l []float64, d int, b []float64) {
	for i := 0; i < d; i++ {
		s := b[i]
		for k := 0; k < i; k++ {
			s -= l[i*d+k] * b[k]
		}
		b[i] = s / l[i*d+i]
	}
}

// hellingerNormal is 1 - sqrt(2 s1 s2/(v1+v2)) exp(-(m1-m2)^2/(4 (v1+v2))).
func hellingerNormal(p, q []float64) (float64, error) {
	if err := checkLen("normal", p, q, 2); err != nil {
		return 0, err
	}
	// 2 s1 s2/(v1+v2) = 1 - (s1-s2)^2/(v1+v2), s1 - s2 = (v1-v2)/(s1+s2).
	d := p[0] - q[0]
	s := p[1] + q[1]
	ds := (p[1] - q[1]) / (math.Sqrt(p[1]) + math.Sqrt(q[1]))
	return -math.Expm1(0.5*math.Log1p(-ds*ds/s) - d*d/(4*s)), nil
}

// renyiNormal is the Renyi divergence of order a between normals:
// a (m1-m2)^2/(2 va) - log(va / (v1^(1-a) v2^a))/(2(a-1)), va = a v2 + (1-a) v1,
// +Inf when va <= 0 (possible for a > 1).
func renyiNormal(a float64, p, q []float64) (float64, error) {
	if err := checkLen("normal", p, q, 2); err != nil {
		return 0, err
	}
	// va = v2 (1 + c t) with c = 1 - a and t = (v1-v2)/v2; the log term
	// is log1p(c t) - c log1p(t), summed as a series when small.
	c, t := 1-a, (p[1]-q[1])/q[1]
	va := q[1] + c*(p[1]-q[1])
	if !(va > 0) || !(c*t > -1) {
		// a > 1: v_p >= a v_q/(a-1) > v_q, P's tails are the heavier;
		// a < 0: v_q >= (1-a) v_p/(-a) > v_p, Q's are.
		heavy, light := "the target", "the model"
		if a < 0 {
			heavy, light = light, heavy
		}
		return math.Inf(1), &SupportError{Reason: fmt.Sprintf("the Renyi divergence of order %v is infinite: %s's tails are too heavy for %s (alpha v_q + (1-alpha) v_p <= 0)", a, heavy, light)}
	}
	d := p[0] - q[0]
	return a*d*d/(2*va) + log1pDiff(c, t)/(2*c), nil
}

// xMinusLog1p returns t - log1p(t) >= 0 for t > -1, by its series for
// small |t|, where the difference would cancel.
func xMinusLog1p(t float64) float64 {
	if math.Abs(t) >= 0.1 {
		return t - math.Log1p(t)
	}
	// sum_{k>=2} (-t)^k / k
	var s float64
	pow := t * t
	for k := 2; k < 40; k++ {
		term := pow / float64(k)
		s += term
		if math.Abs(term) <= 1e-17*math.Abs(s) {
			break
		}
		pow *= -t
	}
	return s
}

// expm1PlusX returns exp(-e) - 1 + e >= 0, by its series for small e.
func expm1PlusX(e float64) float64 {
	if math.Abs(e) >= 0.1 {
		return math.Expm1(-e) + e
	}
	// sum_{k>=2} (-e)^k / k!
	var s float64
	term := e * e / 2
	for k := 3; k < 40; k++ {
		s += term
		if math.Abs(term) <= 1e-17*math.Abs(s) {
			break
		}
		term *= -e / float64(k)
	}
	return s
}

// log1pDiff returns log1p(c t) - c log1p(t), by its series
// sum_{k>=2} (-1)^(k+1) (c^k - c) t^k / k when |t| and |c t| are small.
func log1pDiff(c, t float64) float64 {
	if math.Abs(t) >= 0.1 || math.Abs(c*t) >= 0.1 {
		return math.Log1p(c*t) - c*math.Log1p(t)
	}
	var s float64
	ck, tk := c*c, t*t
	for k := 2; k < 60; k++ {
		term := (ck - c) * tk / float64(k)
		if k%2 == 0 {
			term = -term
		}
		s += term
		// Stop on a bound of the term, not the term: c^k - c vanishes
		// for every odd k when c = -1.
		if (math.Abs(ck)+math.Abs(c))*math.Abs(tk) <= 1e-17*math.Abs(s) {
			break
		}
		ck *= c
		tk *= t
	}
	return s
}

// lgammaRemainder returns lgamma(a+e) - lgamma(a) - e psi(a), the
// remainder of lgamma's first-order Taylor expansion at a > 0 (a+e > 0).
// For |e| <= a/5 it is e^2 times the integral over [0, 1] of
// (1-s) psi'(a + s e) ds, by 10-point Gauss-Legendre (psi' is analytic
// far around the interval: exact to rounding), so nearly equal shapes
// lose no digits to cancellation.
func lgammaRemainder(a, e float64) float64 {
	if math.Abs(e) > 0.2*a {
		l1, _ := math.Lgamma(a + e)
		l0, _ := math.Lgamma(a)
		return l1 - l0 - e*dist.Digamma(a)
	}
	var s float64
	for i, u := range glNodes {
		s += glWeights[i] * (1 - u) * dist.Trigamma(a+u*e)
	}
	return e * e * s
}

// glNodes and glWeights are the 10-point Gauss-Legendre rule on [0, 1].
var glNodes, glWeights = func() ([]float64, []float64) {
	x, w := make([]float64, 10), make([]float64, 10)
	quad.Legendre{}.FixedLocations(x, w, 0, 1)
	return x, w
}()
