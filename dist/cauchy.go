package dist

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/stat/distuv"
)

// Cauchy is the Cauchy family with theta = (loc, scale); with
// z = (x-loc)/scale,
//
//	log q(x) = -log(pi scale) - log(1 + z^2)
//	d/dloc   = 2 z / (scale (1 + z^2))
//	d/dscale = (z^2 - 1) / (scale (1 + z^2))
//
// It has no mean and no variance.
type Cauchy struct{}

func init() { Register(Cauchy{}) }

// Name returns "cauchy".
func (Cauchy) Name() string { return "cauchy" }

// Description returns a one-line description.
func (Cauchy) Description() string {
	return "Student's t with df 1: tails so heavy it has no mean"
}

// Dim returns 1.
func (Cauchy) Dim() int { return 1 }

var cauchyParams = []Param{{"loc", Real}, {"scale", Positive}}

// Params returns loc (real) and scale (positive). The slice is shared: do
// not modify it.
func (Cauchy) Params() []Param { return cauchyParams }

// Support returns "(-inf, inf)".
func (Cauchy) Support() string { return "(-inf, inf)" }

// Eval implements Family.
func (Cauchy) Eval(theta, x, _, logp []float64, score [][]float64) {
	m, s := theta[0], theta[1]
	inv := 1 / s
	c := -math.Log(math.Pi * s)
	logp = logp[:len(x)]
	if score == nil {
		for i, xi := range x {
			z := (xi - m) * inv
			logp[i] = c - math.Log1p(z*z)
		}
		return
	}
	sm, ss := score[0][:len(x)], score[1][:len(x)]
	for i, xi := range x {
		z := (xi - m) * inv
		z2 := z * z
		logp[i] = c - math.Log1p(z2)
		r := inv / (1 + z2)
		sm[i] = 2 * z * r
		ss[i] = (z2 - 1) * r
	}
}

// Mean returns NaN: the Cauchy distribution has no mean.
func (Cauchy) Mean([]float64) float64 { return math.NaN() }

// Variance returns NaN: the Cauchy distribution has no variance.
func (Cauchy) Variance([]float64) float64 { return math.NaN() }

// Sample draws with gonum's distuv.StudentsT with one degree of freedom.
func (Cauchy) Sample(theta []float64, src rand.Source, x, _ []float64) {
	d := distuv.StudentsT{Nu: 1, Mu: theta[0], Sigma: theta[1], Src: src}
	for i := range x {
		x[i] = d.Rand()
	}
}

// MatchMoments returns loc = mean and the scale of the normal with that
// variance's half interquartile range, 0.6745 sd.
func (Cauchy) MatchMoments(mean, cov []float64) ([]float64, error) {
	if err := checkMoments(mean, cov); err != nil {
		return nil, err
	}
	return []float64{mean[0], 0.6745 * math.Sqrt(cov[0])}, nil
}
