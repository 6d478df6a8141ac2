package dist

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/stat/distuv"
)

// Laplace is the Laplace (double exponential) family with theta =
// (loc, scale):
//
//	log q(x) = -|x-loc|/scale - log(2 scale)
//	d/dloc   = sign(x-loc)/scale
//	d/dscale = (|x-loc|/scale - 1)/scale
//
// Special cases: at x = loc the density has a kink and d/dloc is taken as
// 0, the average of its one-sided values.
type Laplace struct{}

func init() { Register(Laplace{}) }

// Name returns "laplace".
func (Laplace) Name() string { return "laplace" }

// Description returns a one-line description.
func (Laplace) Description() string {
	return "double exponential: a sharp peak at loc and exponential tails"
}

// Dim returns 1.
func (Laplace) Dim() int { return 1 }

var laplaceParams = []Param{{"loc", Real}, {"scale", Positive}}

// Params returns loc (real) and scale (positive). The slice is shared: do
// not modify it.
func (Laplace) Params() []Param { return laplaceParams }

// Support returns "(-inf, inf)".
func (Laplace) Support() string { return "(-inf, inf)" }

// Eval implements Family.
func (Laplace) Eval(theta, x, _, logp []float64, score [][]float64) {
	m, b := theta[0], theta[1]
	inv := 1 / b
	c := -math.Log(2 * b)
	logp = logp[:len(x)]
	if score == nil {
		for i, xi := range x {
			logp[i] = c - math.Abs(xi-m)*inv
		}
		return
	}
	sm, sb := score[0][:len(x)], score[1][:len(x)]
	for i, xi := range x {
		d := xi - m
		a := math.Abs(d) * inv
		logp[i] = c - a
		switch {
		case d > 0:
			sm[i] = inv
		case d < 0:
			sm[i] = -inv
		default:
			sm[i] = 0
		}
		sb[i] = (a - 1) * inv
	}
}

// Mean returns loc.
func (Laplace) Mean(theta []float64) float64 { return theta[0] }

// Variance returns 2 scale^2.
func (Laplace) Variance(theta []float64) float64 { return 2 * theta[1] * theta[1] }

// Sample draws with gonum's distuv.Laplace.
func (Laplace) Sample(theta []float64, src rand.Source, x, _ []float64) {
	d := distuv.Laplace{Mu: theta[0], Scale: theta[1], Src: src}
	for i := range x {
		x[i] = d.Rand()
	}
}

// MatchMoments returns loc = mean and scale = sqrt(variance/2).
func (Laplace) MatchMoments(mean, cov []float64) ([]float64, error) {
	if err := checkMoments(mean, cov); err != nil {
		return nil, err
	}
	return []float64{mean[0], math.Sqrt(cov[0] / 2)}, nil
}

// checkMoments checks 1-D moments handed to a MatchMoments method.
func checkMoments(mean, cov []float64) error {
	if len(mean) != 1 || len(cov) != 1 {
		return fmt.Errorf("1-D moments expected, got a mean of %d values", len(mean))
	}
	if math.IsNaN(mean[0]) || math.IsInf(mean[0], 0) || !(cov[0] > 0) || math.IsInf(cov[0], 1) {
		return fmt.Errorf("the mean %v and variance %v must be finite and the variance > 0", mean[0], cov[0])
	}
	return nil
}
