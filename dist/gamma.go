package dist

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/stat/distuv"
)

// Gamma is the gamma family with theta = (shape, rate):
//
//	log q(x) = shape log rate - lgamma(shape) + (shape-1) log x - rate x
//	d/dshape = log rate - psi(shape) + log x
//	d/drate  = shape/rate - x
//
// Special cases: for x <= 0, log q is -Inf and every score 0. The point
// x = 0 is left out of the support because there the density is 0, finite
// or infinite depending on the shape, and its score in shape does not
// exist; put no grid point on it, or accept that it carries no mass.
type Gamma struct{}

func init() { Register(Gamma{}) }

// Name returns "gamma".
func (Gamma) Name() string { return "gamma" }

// Description returns a one-line description.
func (Gamma) Description() string {
	return "positive and skewed right; shape 1 is the exponential"
}

// Dim returns 1.
func (Gamma) Dim() int { return 1 }

var gammaParams = []Param{{"shape", Positive}, {"rate", Positive}}

// Params returns shape (positive) and rate (positive). The slice is shared:
// do not modify it.
func (Gamma) Params() []Param { return gammaParams }

// Support returns "(0, inf)".
func (Gamma) Support() string { return "(0, inf)" }

// Eval implements Family.
func (Gamma) Eval(theta, x, _, logp []float64, score [][]float64) {
	gammaEval(theta, x, nil, logp, score)
}

// gammaEval is Eval, with log x from logx when it is not nil.
func gammaEval(theta, x, logx, logp []float64, score [][]float64) {
	k, r := theta[0], theta[1]
	lg, _ := math.Lgamma(k)
	lr := math.Log(r)
	c := k*lr - lg
	logp = logp[:len(x)]
	if score == nil {
		for i, xi := range x {
			if !(xi > 0) {
				logp[i] = math.Inf(-1)
				continue
			}
			logp[i] = c + (k-1)*logOf(logx, x, i) - r*xi
		}
		return
	}
	ck := lr - digamma(k)
	cr := k / r
	sk, sr := score[0][:len(x)], score[1][:len(x)]
	for i, xi := range x {
		if !(xi > 0) {
			logp[i], sk[i], sr[i] = math.Inf(-1), 0, 0
			continue
		}
		lx := logOf(logx, x, i)
		logp[i] = c + (k-1)*lx - r*xi
		sk[i] = ck + lx
		sr[i] = cr - xi
	}
}

// Mean returns shape/rate.
func (Gamma) Mean(theta []float64) float64 { return theta[0] / theta[1] }

// Variance returns shape/rate^2.
func (Gamma) Variance(theta []float64) float64 { return theta[0] / (theta[1] * theta[1]) }

// Sample draws with gonum's distuv.Gamma.
func (Gamma) Sample(theta []float64, src rand.Source, x, _ []float64) {
	d := distuv.Gamma{Alpha: theta[0], Beta: theta[1], Src: src}
	for i := range x {
		x[i] = d.Rand()
	}
}

// MatchMoments returns shape = mean^2/variance and rate = mean/variance.
func (Gamma) MatchMoments(mean, cov []float64) ([]float64, error) {
	if err := checkMoments(mean, cov); err != nil {
		return nil, err
	}
	m, v := mean[0], cov[0]
	if m <= 0 {
		return nil, fmt.Errorf("the mean %v is not > 0, as every gamma's is", m)
	}
	return []float64{m * m / v, m / v}, nil
}
