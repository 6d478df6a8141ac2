package dist

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/stat/distuv"
)

// eulerGamma is the Euler-Mascheroni constant.
const eulerGamma = 0.57721566490153286060651209008240243

// Gumbel is the (right-skewed, maximum) Gumbel family with theta =
// (loc, scale); with z = (x-loc)/scale,
//
//	log q(x) = -log scale - z - exp(-z)
//	d/dloc   = (1 - exp(-z))/scale
//	d/dscale = (z (1 - exp(-z)) - 1)/scale
//
// Special cases: for z < -700 the density is below exp(-1e304), zero in
// float64: log q is -Inf there and every score 0, so that no score
// overflows.
type Gumbel struct{}

func init() { Register(Gumbel{}) }

// Name returns "gumbel".
func (Gumbel) Name() string { return "gumbel" }

// Description returns a one-line description.
func (Gumbel) Description() string {
	return "extreme values (maxima): skewed right, a sharp fall on the left"
}

// Dim returns 1.
func (Gumbel) Dim() int { return 1 }

var gumbelParams = []Param{{"loc", Real}, {"scale", Positive}}

// Params returns loc (real) and scale (positive). The slice is shared: do
// not modify it.
func (Gumbel) Params() []Param { return gumbelParams }

// Support returns "(-inf, inf)".
func (Gumbel) Support() string { return "(-inf, inf)" }

// gumbelMinZ is the z below which the density is taken as 0.
const gumbelMinZ = -700

// Eval implements Family.
func (Gumbel) Eval(theta, x, _, logp []float64, score [][]float64) {
	m, s := theta[0], theta[1]
	inv := 1 / s
	c := -math.Log(s)
	logp = logp[:len(x)]
	if score == nil {
		for i, xi := range x {
			z := (xi - m) * inv
			if z < gumbelMinZ {
				logp[i] = math.Inf(-1)
				continue
			}
			logp[i] = c - z - math.Exp(-z)
		}
		return
	}
	sm, ss := score[0][:len(x)], score[1][:len(x)]
	for i, xi := range x {
		z := (xi - m) * inv
		if z < gumbelMinZ {
			logp[i], sm[i], ss[i] = math.Inf(-1), 0, 0
			continue
		}
		e := math.Exp(-z)
		logp[i] = c - z - e
		sm[i] = (1 - e) * inv
		ss[i] = (z*(1-e) - 1) * inv
	}
}

// Mean returns loc + scale times the Euler-Mascheroni constant.
func (Gumbel) Mean(theta []float64) float64 { return theta[0] + eulerGamma*theta[1] }

// Variance returns scale^2 pi^2/6.
func (Gumbel) Variance(theta []float64) float64 { return theta[1] * theta[1] * math.Pi * math.Pi / 6 }

// Sample draws with gonum's distuv.GumbelRight.
func (Gumbel) Sample(theta []float64, src rand.Source, x, _ []float64) {
	d := distuv.GumbelRight{Mu: theta[0], Beta: theta[1], Src: src}
	for i := range x {
		x[i] = d.Rand()
	}
}

// MatchMoments returns the member with the given mean and variance.
func (Gumbel) MatchMoments(mean, cov []float64) ([]float64, error) {
	if err := checkMoments(mean, cov); err != nil {
		return nil, err
	}
	s := math.Sqrt(6*cov[0]) / math.Pi
	return []float64{mean[0] - eulerGamma*s, s}, nil
}
