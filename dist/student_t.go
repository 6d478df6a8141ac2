package dist

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/stat/distuv"
)

// StudentT is Student's t family with theta = (df, loc, scale); with
// z = (x-loc)/scale,
//
//	log q(x) = lgamma((df+1)/2) - lgamma(df/2) - log(df pi)/2 - log scale
//	           - (df+1)/2 log(1 + z^2/df)
//	d/ddf    = (psi((df+1)/2) - psi(df/2))/2 - 1/(2 df) - log(1 + z^2/df)/2
//	           + (df+1) z^2 / (2 df (df + z^2))
//	d/dloc   = (df+1) z / (scale (df + z^2))
//	d/dscale = ((df+1) z^2/(df + z^2) - 1)/scale
//
// For large df the terms of d/ddf nearly cancel; the digamma difference is
// then summed from asymptotic series, so the score stays accurate as the
// family approaches the normal.
type StudentT struct{}

func init() { Register(StudentT{}) }

// Name returns "student_t".
func (StudentT) Name() string { return "student_t" }

// Description returns a one-line description.
func (StudentT) Description() string {
	return "heavy polynomial tails; the normal as df grows"
}

// Dim returns 1.
func (StudentT) Dim() int { return 1 }

var studentTParams = []Param{{"df", Positive}, {"loc", Real}, {"scale", Positive}}

// Params returns df (positive), loc (real) and scale (positive). The slice
// is shared: do not modify it.
func (StudentT) Params() []Param { return studentTParams }

// Support returns "(-inf, inf)".
func (StudentT) Support() string { return "(-inf, inf)" }

// Eval implements Family.
func (StudentT) Eval(theta, x, _, logp []float64, score [][]float64) {
	nu, m, s := theta[0], theta[1], theta[2]
	c := lgammaHalfStep(nu) - 0.5*math.Log(nu*math.Pi) - math.Log(s)
	h := 0.5 * (nu + 1)
	inv := 1 / s
	logp = logp[:len(x)]
	if score == nil {
		for i, xi := range x {
			z := (xi - m) * inv
			logp[i] = c - h*math.Log1p(z*z/nu)
		}
		return
	}
	cnu := 0.5*digammaHalfStep(nu) - 0.5/nu
	sn, sm, ss := score[0][:len(x)], score[1][:len(x)], score[2][:len(x)]
	for i, xi := range x {
		z := (xi - m) * inv
		z2 := z * z
		l1p := math.Log1p(z2 / nu)
		logp[i] = c - h*l1p
		r := (nu + 1) / (nu + z2)
		sn[i] = cnu - 0.5*l1p + 0.5*r*z2/nu
		sm[i] = r * z * inv
		ss[i] = (r*z2 - 1) * inv
	}
}

// Mean returns loc for df > 1, NaN otherwise.
func (StudentT) Mean(theta []float64) float64 {
	if theta[0] <= 1 {
		return math.NaN()
	}
	return theta[1]
}

// Variance returns scale^2 df/(df-2) for df > 2, +Inf for 1 < df <= 2 and
// NaN for df <= 1.
func (StudentT) Variance(theta []float64) float64 {
	nu, s := theta[0], theta[2]
	switch {
	case nu > 2:
		return s * s * nu / (nu - 2)
	case nu > 1:
		return math.Inf(1)
	}
	return math.NaN()
}

// Sample draws with gonum's distuv.StudentsT.
func (StudentT) Sample(theta []float64, src rand.Source, x, _ []float64) {
	d := distuv.StudentsT{Nu: theta[0], Mu: theta[1], Sigma: theta[2], Src: src}
	for i := range x {
		x[i] = d.Rand()
	}
}

// MatchMoments returns df = 5 with the given mean and variance.
func (StudentT) MatchMoments(mean, cov []float64) ([]float64, error) {
	if err := checkMoments(mean, cov); err != nil {
		return nil, err
	}
	return []float64{5, mean[0], math.Sqrt(cov[0] * 3 / 5)}, nil
}
