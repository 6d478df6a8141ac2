package dist

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/stat/distuv"
)

// LogNormal is the log-normal family with theta = (mu, sigma): log x is
// normal with mean mu and standard deviation sigma. With d = log x - mu,
//
//	log q(x) = -log x - log sigma - log(2 pi)/2 - d^2/(2 sigma^2)
//	d/dmu    = d/sigma^2
//	d/dsigma = (d^2/sigma^2 - 1)/sigma
//
// Special cases: for x <= 0, log q is -Inf and every score 0.
type LogNormal struct{}

func init() { Register(LogNormal{}) }

// Name returns "lognormal".
func (LogNormal) Name() string { return "lognormal" }

// Description returns a one-line description.
func (LogNormal) Description() string {
	return "positive, its logarithm normal with mean mu and sd sigma"
}

// Dim returns 1.
func (LogNormal) Dim() int { return 1 }

var logNormalParams = []Param{{"mu", Real}, {"sigma", Positive}}

// Params returns mu (real) and sigma (positive). The slice is shared: do
// not modify it.
func (LogNormal) Params() []Param { return logNormalParams }

// Support returns "(0, inf)".
func (LogNormal) Support() string { return "(0, inf)" }

// Eval implements Family.
func (LogNormal) Eval(theta, x, _, logp []float64, score [][]float64) {
	lognormalEval(theta, x, nil, logp, score)
}

// lognormalEval is Eval, with log x from logx when it is not nil.
func lognormalEval(theta, x, logx, logp []float64, score [][]float64) {
	mu, s := theta[0], theta[1]
	inv2 := 1 / (s * s)
	c := -math.Log(s) - logSqrt2Pi
	logp = logp[:len(x)]
	if score == nil {
		for i, xi := range x {
			if !(xi > 0) {
				logp[i] = math.Inf(-1)
				continue
			}
			lx := logOf(logx, x, i)
			d := lx - mu
			logp[i] = c - lx - 0.5*d*d*inv2
		}
		return
	}
	smu, ss := score[0][:len(x)], score[1][:len(x)]
	for i, xi := range x {
		if !(xi > 0) {
			logp[i], smu[i], ss[i] = math.Inf(-1), 0, 0
			continue
		}
		lx := logOf(logx, x, i)
		d := lx - mu
		z := d * inv2
		logp[i] = c - lx - 0.5*d*z
		smu[i] = z
		ss[i] = (d*z - 1) / s
	}
}

// Mean returns exp(mu + sigma^2/2).
func (LogNormal) Mean(theta []float64) float64 {
	return math.Exp(theta[0] + theta[1]*theta[1]/2)
}

// Variance returns (exp(sigma^2) - 1) exp(2 mu + sigma^2).
func (LogNormal) Variance(theta []float64) float64 {
	s2 := theta[1] * theta[1]
	return math.Expm1(s2) * math.Exp(2*theta[0]+s2)
}

// Sample draws with gonum's distuv.LogNormal.
func (LogNormal) Sample(theta []float64, src rand.Source, x, _ []float64) {
	d := distuv.LogNormal{Mu: theta[0], Sigma: theta[1], Src: src}
	for i := range x {
		x[i] = d.Rand()
	}
}

// MatchMoments returns the member with the given mean and variance.
func (LogNormal) MatchMoments(mean, cov []float64) ([]float64, error) {
	if err := checkMoments(mean, cov); err != nil {
		return nil, err
	}
	m, v := mean[0], cov[0]
	if m <= 0 {
		return nil, fmt.Errorf("the mean %v is not > 0, as every log-normal's is", m)
	}
	s2 := math.Log1p(v / (m * m))
	return []float64{math.Log(m) - s2/2, math.Sqrt(s2)}, nil
}
