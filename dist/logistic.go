package dist

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/stat/distuv"
)

// Logistic is the logistic family with theta = (loc, scale); with
// z = (x-loc)/scale,
//
//	log q(x) = -|z| - log scale - 2 log(1 + exp(-|z|))
//	d/dloc   = tanh(z/2)/scale
//	d/dscale = (z tanh(z/2) - 1)/scale
type Logistic struct{}

func init() { Register(Logistic{}) }

// Name returns "logistic".
func (Logistic) Name() string { return "logistic" }

// Description returns a one-line description.
func (Logistic) Description() string {
	return "a normal-like bell with exponential tails"
}

// Dim returns 1.
func (Logistic) Dim() int { return 1 }

var logisticParams = []Param{{"loc", Real}, {"scale", Positive}}

// Params returns loc (real) and scale (positive). The slice is shared: do
// not modify it.
func (Logistic) Params() []Param { return logisticParams }

// Support returns "(-inf, inf)".
func (Logistic) Support() string { return "(-inf, inf)" }

// Eval implements Family.
func (Logistic) Eval(theta, x, _, logp []float64, score [][]float64) {
	m, s := theta[0], theta[1]
	inv := 1 / s
	c := -math.Log(s)
	logp = logp[:len(x)]
	if score == nil {
		for i, xi := range x {
			a := math.Abs((xi - m) * inv)
			logp[i] = c - a - 2*math.Log1p(math.Exp(-a))
		}
		return
	}
	sm, ss := score[0][:len(x)], score[1][:len(x)]
	for i, xi := range x {
		z := (xi - m) * inv
		a := math.Abs(z)
		em := math.Expm1(-a) // exp(-|z|) - 1, exact near z = 0
		logp[i] = c - a - 2*math.Log1p(1+em)
		th := -em / (2 + em) // tanh(|z|/2)
		if z < 0 {
			th = -th
		}
		sm[i] = th * inv
		ss[i] = (z*th - 1) * inv
	}
}

// Mean returns loc.
func (Logistic) Mean(theta []float64) float64 { return theta[0] }

// Variance returns scale^2 pi^2/3.
func (Logistic) Variance(theta []float64) float64 { return theta[1] * theta[1] * math.Pi * math.Pi / 3 }

// Sample draws by inversion with gonum's distuv.Logistic quantile (gonum's
// logistic has no sampler).
func (Logistic) Sample(theta []float64, src rand.Source, x, _ []float64) {
	d := distuv.Logistic{Mu: theta[0], S: theta[1]}
	rng := rand.New(src)
	for i := range x {
		u := rng.Float64()
		for u == 0 {
			u = rng.Float64()
		}
		x[i] = d.Quantile(u)
	}
}

// MatchMoments returns loc = mean and scale = sqrt(3 variance)/pi.
func (Logistic) MatchMoments(mean, cov []float64) ([]float64, error) {
	if err := checkMoments(mean, cov); err != nil {
		return nil, err
	}
	return []float64{mean[0], math.Sqrt(3*cov[0]) / math.Pi}, nil
}
