package dist

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// SkewNormal is Azzalini's skew-normal family with theta =
// (loc, scale, alpha); with z = (x-loc)/scale and lambda(t) =
// phi(t)/Phi(t) the inverse Mills ratio,
//
//	log q(x) = log 2 - log scale + log phi(z) + log Phi(alpha z)
//	d/dloc   = (z - alpha lambda(alpha z))/scale
//	d/dscale = (z (z - alpha lambda(alpha z)) - 1)/scale
//	d/dalpha = z lambda(alpha z)
//
// alpha = 0 is the normal; alpha > 0 skews right. log Phi and lambda are
// evaluated without underflow far into the tail (alpha z down to -1e150).
type SkewNormal struct{}

func init() { Register(SkewNormal{}) }

// Name returns "skew_normal".
func (SkewNormal) Name() string { return "skew_normal" }

// Description returns a one-line description.
func (SkewNormal) Description() string {
	return "a normal bent to one side by alpha (0 is the normal)"
}

// Dim returns 1.
func (SkewNormal) Dim() int { return 1 }

var skewNormalParams = []Param{{"loc", Real}, {"scale", Positive}, {"alpha", Real}}

// Params returns loc (real), scale (positive) and alpha (real). The slice
// is shared: do not modify it.
func (SkewNormal) Params() []Param { return skewNormalParams }

// Support returns "(-inf, inf)".
func (SkewNormal) Support() string { return "(-inf, inf)" }

// Eval implements Family.
func (SkewNormal) Eval(theta, x, _, logp []float64, score [][]float64) {
	m, s, al := theta[0], theta[1], theta[2]
	inv := 1 / s
	c := math.Ln2 - math.Log(s) - logSqrt2Pi
	logp = logp[:len(x)]
	if score == nil {
		for i, xi := range x {
			z := (xi - m) * inv
			logp[i] = c - 0.5*z*z + logPhi(al*z)
		}
		return
	}
	sm, ss, sa := score[0][:len(x)], score[1][:len(x)], score[2][:len(x)]
	for i, xi := range x {
		z := (xi - m) * inv
		t := al * z
		lphi, lam := logPhiHazard(t)
		lp := c - 0.5*z*z + lphi
		if math.IsInf(lp, -1) {
			logp[i], sm[i], ss[i], sa[i] = lp, 0, 0, 0
			continue
		}
		logp[i] = lp
		g := z - al*lam
		sm[i] = g * inv
		ss[i] = (z*g - 1) * inv
		sa[i] = z * lam
	}
}

func skewDelta(alpha float64) float64 { return alpha / math.Sqrt(1+alpha*alpha) }

// Mean returns loc + scale delta sqrt(2/pi), delta = alpha/sqrt(1+alpha^2).
func (SkewNormal) Mean(theta []float64) float64 {
	return theta[0] + theta[1]*skewDelta(theta[2])*math.Sqrt(2/math.Pi)
}

// Variance returns scale^2 (1 - 2 delta^2/pi).
func (SkewNormal) Variance(theta []float64) float64 {
	d := skewDelta(theta[2])
	return theta[1] * theta[1] * (1 - 2*d*d/math.Pi)
}

// Sample draws loc + scale (delta |U| + sqrt(1-delta^2) V) with U, V
// independent standard normals (gonum has no skew-normal).
func (SkewNormal) Sample(theta []float64, src rand.Source, x, _ []float64) {
	rng := rand.New(src)
	d := skewDelta(theta[2])
	e := math.Sqrt(1 - d*d)
	for i := range x {
		u, v := rng.NormFloat64(), rng.NormFloat64()
		x[i] = theta[0] + theta[1]*(d*math.Abs(u)+e*v)
	}
}

// MatchMoments returns the normal (alpha = 0) with the given mean and
// variance.
func (SkewNormal) MatchMoments(mean, cov []float64) ([]float64, error) {
	if err := checkMoments(mean, cov); err != nil {
		return nil, err
	}
	return []float64{mean[0], math.Sqrt(cov[0]), 0}, nil
}

// Guess implements Guesser: the member whose mean, variance and skewness
// are the target's (Azzalini's method of moments), with the skewness
// kept below 0.99 (a skew-normal's reaches 0.9953 as alpha grows). A
// start at alpha = 0, as matching two moments gives, is a saddle of a fit
// to a skewed target: the gradient in alpha is zero there.
func (SkewNormal) Guess(x, _, p []float64) ([]float64, error) {
	mean, cov, err := weightedMoments(x, nil, p, nil, false)
	if err != nil {
		return nil, err
	}
	m, v := mean[0], cov[0]
	if !(v > 0) {
		return nil, fmt.Errorf("no skew_normal member matches the target's moments: the variance is %v", v)
	}
	var w, m3 float64
	for i, pi := range p {
		d := x[i] - m
		m3 += pi * d * d * d
		w += pi
	}
	g := math.Max(-0.99, math.Min(0.99, m3/w/math.Pow(v, 1.5)))
	r := math.Cbrt(2 * math.Abs(g) / (4 - math.Pi))
	delta := math.Copysign(math.Sqrt(math.Pi/2*r*r/(1+r*r)), g)
	omega := math.Sqrt(v / (1 - 2*delta*delta/math.Pi))
	return []float64{m - omega*delta*math.Sqrt(2/math.Pi), omega, delta / math.Sqrt(1-delta*delta)}, nil
}
