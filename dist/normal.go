package dist

import "math"

// Normal is the univariate normal family N(mean, variance), with parameter
// vector theta = (mean, variance):
//
//	log q(x) = -(x-mean)^2/(2 variance) - log(2 pi variance)/2
//	d/dmean     = (x-mean)/variance
//	d/dvariance = ((x-mean)^2/variance - 1)/(2 variance)
//
// Its grid kernel is written out by hand (instead of calling gonum's
// distuv.Normal.LogProb per point) because it must also produce the scores
// and must not spend a logarithm per point; tests check it against gonum.
type Normal struct{}

func init() { Register(Normal{}) }

// Name returns "normal".
func (Normal) Name() string { return "normal" }

// Description returns a one-line description.
func (Normal) Description() string {
	return "Gaussian with the given mean and variance"
}

// Dim returns 1.
func (Normal) Dim() int { return 1 }

var normalParams = []Param{{"mean", Real}, {"variance", Positive}}

// Params returns mean (real) and variance (positive). The slice is shared:
// do not modify it.
func (Normal) Params() []Param { return normalParams }

// Support returns "(-inf, inf)".
func (Normal) Support() string { return "(-inf, inf)" }

// Eval implements Family.
func (Normal) Eval(theta, x, _, logp []float64, score [][]float64) {
	mu, v := theta[0], theta[1]
	inv := 1 / v
	c := -0.5 * math.Log(2*math.Pi*v)
	logp = logp[:len(x)]
	if score == nil {
		for i, xi := range x {
			d := xi - mu
			logp[i] = c - 0.5*d*d*inv
		}
		return
	}
	sm, sv := score[0][:len(x)], score[1][:len(x)]
	for i, xi := range x {
		d := xi - mu
		z := d * inv
		logp[i] = c - 0.5*d*z
		sm[i] = z
		sv[i] = 0.5 * (z*z - inv)
	}
}

// Mean returns the mean.
func (Normal) Mean(theta []float64) float64 { return theta[0] }

// Variance returns the variance.
func (Normal) Variance(theta []float64) float64 { return theta[1] }
