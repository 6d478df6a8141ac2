package dist

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/stat/distuv"
)

// Exponential is the exponential family with theta = (rate):
//
//	log q(x) = log rate - rate x   for x >= 0
//	d/drate  = 1/rate - x
//
// Special cases: for x < 0, log q is -Inf and the score 0.
type Exponential struct{}

func init() { Register(Exponential{}) }

// Name returns "exponential".
func (Exponential) Name() string { return "exponential" }

// Description returns a one-line description.
func (Exponential) Description() string {
	return "waiting times: highest at 0, decaying at the given rate"
}

// Dim returns 1.
func (Exponential) Dim() int { return 1 }

var exponentialParams = []Param{{"rate", Positive}}

// Params returns rate (positive). The slice is shared: do not modify it.
func (Exponential) Params() []Param { return exponentialParams }

// Support returns "[0, inf)".
func (Exponential) Support() string { return "[0, inf)" }

// Eval implements Family.
func (Exponential) Eval(theta, x, _, logp []float64, score [][]float64) {
	r := theta[0]
	c := math.Log(r)
	inv := 1 / r
	logp = logp[:len(x)]
	var sr []float64
	if score != nil {
		sr = score[0][:len(x)]
	}
	for i, xi := range x {
		if xi < 0 {
			logp[i] = math.Inf(-1)
			if sr != nil {
				sr[i] = 0
			}
			continue
		}
		logp[i] = c - r*xi
		if sr != nil {
			sr[i] = inv - xi
		}
	}
}

// Mean returns 1/rate.
func (Exponential) Mean(theta []float64) float64 { return 1 / theta[0] }

// Variance returns 1/rate^2.
func (Exponential) Variance(theta []float64) float64 { return 1 / (theta[0] * theta[0]) }

// Sample draws with gonum's distuv.Exponential.
func (Exponential) Sample(theta []float64, src rand.Source, x, _ []float64) {
	d := distuv.Exponential{Rate: theta[0], Src: src}
	for i := range x {
		x[i] = d.Rand()
	}
}

// MatchMoments returns rate = 1/mean; the variance is not used.
func (Exponential) MatchMoments(mean, cov []float64) ([]float64, error) {
	if err := checkMoments(mean, cov); err != nil {
		return nil, err
	}
	if mean[0] <= 0 {
		return nil, fmt.Errorf("the mean %v is not > 0, as every exponential's is", mean[0])
	}
	return []float64{1 / mean[0]}, nil
}
