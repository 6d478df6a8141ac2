package dist

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mathext"
	"gonum.org/v1/gonum/stat/distuv"
)

// Beta is the beta family on (0, 1) with theta = (alpha, beta):
//
//	log q(x) = (alpha-1) log x + (beta-1) log(1-x) - log B(alpha, beta)
//	d/dalpha = log x - psi(alpha) + psi(alpha+beta)
//	d/dbeta  = log(1-x) - psi(beta) + psi(alpha+beta)
//
// Special cases: outside (0, 1), log q is -Inf and every score 0; the end
// points are left out for the reason given for Gamma. A target on a grid
// that reaches beyond [0, 1] has no mass there.
type Beta struct{}

func init() { Register(Beta{}) }

// Name returns "beta".
func (Beta) Name() string { return "beta" }

// Description returns a one-line description.
func (Beta) Description() string {
	return "proportions on (0, 1), from U shapes to humps"
}

// Dim returns 1.
func (Beta) Dim() int { return 1 }

var betaParams = []Param{{"alpha", Positive}, {"beta", Positive}}

// Params returns alpha (positive) and beta (positive). The slice is shared:
// do not modify it.
func (Beta) Params() []Param { return betaParams }

// Support returns "(0, 1)".
func (Beta) Support() string { return "(0, 1)" }

// Eval implements Family.
func (Beta) Eval(theta, x, _, logp []float64, score [][]float64) {
	betaEval(theta, x, nil, nil, logp, score)
}

// betaEval is Eval, with log x and log(1 - x) from logx and log1x when
// they are not nil (both or neither).
func betaEval(theta, x, logx, log1x, logp []float64, score [][]float64) {
	a, b := theta[0], theta[1]
	c := -mathext.Lbeta(a, b)
	logp = logp[:len(x)]
	var sa, sb []float64
	var ca, cb float64
	if score != nil {
		sa, sb = score[0][:len(x)], score[1][:len(x)]
		dab := digamma(a + b)
		ca, cb = dab-digamma(a), dab-digamma(b)
	}
	for i, xi := range x {
		if !(xi > 0 && xi < 1) {
			logp[i] = math.Inf(-1)
			if sa != nil {
				sa[i], sb[i] = 0, 0
			}
			continue
		}
		var lx, l1x float64
		if logx != nil {
			lx, l1x = logx[i], log1x[i]
		} else {
			lx, l1x = math.Log(xi), math.Log1p(-xi)
		}
		logp[i] = c + (a-1)*lx + (b-1)*l1x
		if sa != nil {
			sa[i] = lx + ca
			sb[i] = l1x + cb
		}
	}
}

// Mean returns alpha/(alpha+beta).
func (Beta) Mean(theta []float64) float64 { return theta[0] / (theta[0] + theta[1]) }

// Variance returns alpha beta/((alpha+beta)^2 (alpha+beta+1)).
func (Beta) Variance(theta []float64) float64 {
	a, b := theta[0], theta[1]
	s := a + b
	return a * b / (s * s * (s + 1))
}

// Sample draws with gonum's distuv.Beta.
func (Beta) Sample(theta []float64, src rand.Source, x, _ []float64) {
	d := distuv.Beta{Alpha: theta[0], Beta: theta[1], Src: src}
	for i := range x {
		x[i] = d.Rand()
	}
}

// MatchMoments returns the member with the given mean and variance; a
// variance too large for a beta with that mean (>= mean (1-mean)) is
// halved to fit.
func (Beta) MatchMoments(mean, cov []float64) ([]float64, error) {
	if err := checkMoments(mean, cov); err != nil {
		return nil, err
	}
	m, v := mean[0], cov[0]
	if !(m > 0 && m < 1) {
		return nil, fmt.Errorf("the mean %v is not in (0, 1), as every beta's is", m)
	}
	if lim := m * (1 - m); v >= lim {
		v = lim / 2
	}
	s := m*(1-m)/v - 1
	return []float64{m * s, (1 - m) * s}, nil
}
