package divergence

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/mathext"
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

// klNormal is KL(N(m1, v1) || N(m2, v2)) = (log(v2/v1) + (v1 + (m1-m2)^2)/v2 - 1)/2.
func klNormal(p, q []float64) (float64, error) {
	if err := checkLen("normal", p, q, 2); err != nil {
		return 0, err
	}
	d := p[0] - q[0]
	r := p[1] / q[1]
	return 0.5 * (-math.Log(r) + r + d*d/q[1] - 1), nil
}

// klExponential is log(r1/r2) + r2/r1 - 1.
func klExponential(p, q []float64) (float64, error) {
	if err := checkLen("exponential", p, q, 1); err != nil {
		return 0, err
	}
	r := q[0] / p[0]
	return -math.Log(r) + r - 1, nil
}

// klGamma is, for shape a and rate b,
// (a1-a2) psi(a1) - lgamma(a1) + lgamma(a2) + a2 (log b1 - log b2) + a1 (b2-b1)/b1.
func klGamma(p, q []float64) (float64, error) {
	if err := checkLen("gamma", p, q, 2); err != nil {
		return 0, err
	}
	a1, b1, a2, b2 := p[0], p[1], q[0], q[1]
	lg1, _ := math.Lgamma(a1)
	lg2, _ := math.Lgamma(a2)
	return (a1-a2)*mathext.Digamma(a1) - lg1 + lg2 + a2*(math.Log(b1)-math.Log(b2)) + a1*(b2-b1)/b1, nil
}

// klBeta is log B(a2,b2) - log B(a1,b1) + (a1-a2) psi(a1) + (b1-b2) psi(b1)
// + (a2-a1+b2-b1) psi(a1+b1).
func klBeta(p, q []float64) (float64, error) {
	if err := checkLen("beta", p, q, 2); err != nil {
		return 0, err
	}
	a1, b1, a2, b2 := p[0], p[1], q[0], q[1]
	return mathext.Lbeta(a2, b2) - mathext.Lbeta(a1, b1) + (a1-a2)*mathext.Digamma(a1) + (b1-b2)*mathext.Digamma(b1) +
		(a2-a1+b2-b1)*mathext.Digamma(a1+b1), nil
}

// klLaplace is log(s2/s1) + |m1-m2|/s2 + (s1/s2) exp(-|m1-m2|/s1) - 1.
func klLaplace(p, q []float64) (float64, error) {
	if err := checkLen("laplace", p, q, 2); err != nil {
		return 0, err
	}
	d := math.Abs(p[0] - q[0])
	return math.Log(q[1]/p[1]) + d/q[1] + p[1]/q[1]*math.Exp(-d/p[1]) - 1, nil
}

// klLognormal is the normal KL of the logarithms:
// log(s2/s1) + (s1^2 + (m1-m2)^2)/(2 s2^2) - 1/2.
func klLognormal(p, q []float64) (float64, error) {
	if err := checkLen("lognormal", p, q, 2); err != nil {
		return 0, err
	}
	return klNormal([]float64{p[0], p[1] * p[1]}, []float64{q[0], q[1] * q[1]})
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
	d := p[0] - q[0]
	s := p[1] + q[1]
	bc := math.Sqrt(2*math.Sqrt(p[1]*q[1])/s) * math.Exp(-d*d/(4*s))
	return -math.Expm1(math.Log(bc)), nil
}

// renyiNormal is the Renyi divergence of order a between normals:
// a (m1-m2)^2/(2 va) - log(va / (v1^(1-a) v2^a))/(2(a-1)), va = a v2 + (1-a) v1,
// +Inf when va <= 0 (possible for a > 1).
func renyiNormal(a float64, p, q []float64) (float64, error) {
	if err := checkLen("normal", p, q, 2); err != nil {
		return 0, err
	}
	va := a*q[1] + (1-a)*p[1]
	if !(va > 0) {
		// a > 1: v_p >= a v_q/(a-1) > v_q, P's tails are the heavier;
		// a < 0: v_q >= (1-a) v_p/(-a) > v_p, Q's are.
		heavy, light := "the target", "the model"
		if a < 0 {
			heavy, light = light, heavy
		}
		return math.Inf(1), &SupportError{Reason: fmt.Sprintf("the Renyi divergence of order %v is infinite: %s's tails are too heavy for %s (alpha v_q + (1-alpha) v_p <= 0)", a, heavy, light)}
	}
	d := p[0] - q[0]
	return a*d*d/(2*va) - (math.Log(va)-(1-a)*math.Log(p[1])-a*math.Log(q[1]))/(2*(a-1)), nil
}
