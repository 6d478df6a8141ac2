package dist

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/stat/distuv"
)

// Sample draws with gonum's distuv.Normal.
func (Normal) Sample(theta []float64, src rand.Source, x, _ []float64) {
	d := distuv.Normal{Mu: theta[0], Sigma: math.Sqrt(theta[1]), Src: src}
	for i := range x {
		x[i] = d.Rand()
	}
}

// MatchMoments returns the mean and the variance themselves.
func (Normal) MatchMoments(mean, cov []float64) ([]float64, error) {
	if err := checkMoments(mean, cov); err != nil {
		return nil, err
	}
	return []float64{mean[0], cov[0]}, nil
}
