package dist

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/stat/distuv"
)

// Weibull is the Weibull family with theta = (shape, scale); with
// t = (x/scale)^shape,
//
//	log q(x) = log shape - log scale + (shape-1) log(x/scale) - t
//	d/dshape = 1/shape + log(x/scale) (1 - t)
//	d/dscale = shape (t - 1)/scale
//
// Special cases: for x <= 0, log q is -Inf and every score 0 (x = 0 is
// left out for the reason given for Gamma); where t > 1e300 the density is
// 0 in float64, log q is -Inf and every score 0, so that no score
// overflows.
type Weibull struct{}

func init() { Register(Weibull{}) }

// Name returns "weibull".
func (Weibull) Name() string { return "weibull" }

// Description returns a one-line description.
func (Weibull) Description() string {
	return "positive lifetimes; shape < 1 decays from 0, shape > 1 has a hump"
}

// Dim returns 1.
func (Weibull) Dim() int { return 1 }

var weibullParams = []Param{{"shape", Positive}, {"scale", Positive}}

// Params returns shape (positive) and scale (positive). The slice is
// shared: do not modify it.
func (Weibull) Params() []Param { return weibullParams }

// Support returns "(0, inf)".
func (Weibull) Support() string { return "(0, inf)" }

// Eval implements Family.
func (Weibull) Eval(theta, x, _, logp []float64, score [][]float64) {
	weibullEval(theta, x, nil, logp, score)
}

// weibullEval is Eval, with log x from logx when it is not nil.
func weibullEval(theta, x, logx, logp []float64, score [][]float64) {
	k, lam := theta[0], theta[1]
	ll := math.Log(lam)
	c := math.Log(k) - ll
	logp = logp[:len(x)]
	var sk, sl []float64
	if score != nil {
		sk, sl = score[0][:len(x)], score[1][:len(x)]
	}
	invk, kl := 1/k, k/lam
	for i, xi := range x {
		if !(xi > 0) {
			logp[i] = math.Inf(-1)
			if sk != nil {
				sk[i], sl[i] = 0, 0
			}
			continue
		}
		lr := logOf(logx, x, i) - ll
		t := math.Exp(k * lr)
		if t > 1e300 {
			logp[i] = math.Inf(-1)
			if sk != nil {
				sk[i], sl[i] = 0, 0
			}
			continue
		}
		logp[i] = c + (k-1)*lr - t
		if sk != nil {
			sk[i] = invk + lr*(1-t)
			sl[i] = kl * (t - 1)
		}
	}
}

// Mean returns scale Gamma(1 + 1/shape).
func (Weibull) Mean(theta []float64) float64 {
	return theta[1] * math.Gamma(1+1/theta[0])
}

// Variance returns scale^2 (Gamma(1 + 2/shape) - Gamma(1 + 1/shape)^2).
func (Weibull) Variance(theta []float64) float64 {
	g1 := math.Gamma(1 + 1/theta[0])
	return theta[1] * theta[1] * (math.Gamma(1+2/theta[0]) - g1*g1)
}

// Sample draws with gonum's distuv.Weibull.
func (Weibull) Sample(theta []float64, src rand.Source, x, _ []float64) {
	d := distuv.Weibull{K: theta[0], Lambda: theta[1], Src: src}
	for i := range x {
		x[i] = d.Rand()
	}
}

// MatchMoments returns the shape from the coefficient of variation by
// Justus's approximation shape = cv^-1.086, and the scale that matches the
// mean.
func (Weibull) MatchMoments(mean, cov []float64) ([]float64, error) {
	if err := checkMoments(mean, cov); err != nil {
		return nil, err
	}
	m := mean[0]
	if m <= 0 {
		return nil, fmt.Errorf("the mean %v is not > 0, as every Weibull's is", m)
	}
	k := math.Min(math.Max(math.Pow(math.Sqrt(cov[0])/m, -1.086), 0.1), 100)
	return []float64{k, m / math.Gamma(1+1/k)}, nil
}
