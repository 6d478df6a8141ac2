package spec_test

import (
	"context"
	"math"
	"testing"

	"github.com/klfit/klfit/fit"
)

const mixture3DSpec = `target:
  family: mixture
  component: mvnormal
  params:
    weights: [0.3, 0.7]
    mean: [[-2, 0, 1], [2, 1, -1]]
    covariance: [[[1, 0.3, 0], [0.3, 1, 0.2], [0, 0.2, 0.5]], [[0.5, 0, 0], [0, 2, 0], [0, 0, 1]]]
model: {family: mvnormal}
estimator: {name: monte_carlo, samples: 1024, seed: 1}
`

// TestMixtureTargetMonteCarlo fits a normal to a 3-D mixture of two
// normals, without a grid. By reverse KL (mode-seeking) the fit settles on
// the heavier component: mean (2, 1, -1) and variances (0.5, 2, 1), up to
// the pull of the other one and the draws' error (0.15 allows both). By
// forward KL to 1024 draws of the mixture it matches their moments: the
// mean is the weighted mean (0.8, 0.7, -0.4) within 5 standard errors of
// the draws (coordinate variances below 4.5: 5 sqrt(4.5/1024) = 0.33).
func TestMixtureTargetMonteCarlo(t *testing.T) {
	for _, c := range []struct {
		div  string
		mean []float64
		tol  float64
	}{
		{"reverse_kl", []float64{2, 1, -1}, 0.15},
		{"kl", []float64{0.8, 0.7, -0.4}, 0.33},
	} {
		b := build(t, mixture3DSpec+"divergence: "+c.div+"\n")
		obj, err := b.MonteCarlo.Objective(1)
		if err != nil {
			t.Fatal(err)
		}
		res, err := fit.RunEvaluable(context.Background(), obj, c.div, b.Options())
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != fit.Converged {
			t.Errorf("%s: %s (%v)", c.div, res.Status, res.Failure)
		}
		theta := res.Theta()
		for i, m := range c.mean {
			if math.Abs(theta[i]-m) > c.tol {
				t.Errorf("%s: mean %v, want %v within %v", c.div, theta[:3], c.mean, c.tol)
				break
			}
		}
		if c.div == "reverse_kl" {
			// variances: covariance[0][0], [1][1], [2][2] among mean[3] then the upper triangle
			v := []float64{theta[3], theta[6], theta[8]}
			for i, want := range []float64{0.5, 2, 1} {
				if math.Abs(v[i]-want) > 0.15*want {
					t.Errorf("reverse_kl: variances %v, want about 0.5, 2, 1", v)
					break
				}
			}
		}
	}
	checkSpecError(t, "target: {family: mixture, component: mvnormal, params: {weights: [0.5, 0.5], mean: [[0, 0, 0]], covariance: [[[1, 0, 0], [0, 1, 0], [0, 0, 1]]]}}\nmodel: {family: mvnormal}\n",
		"spec line 1: target.params.mean: must be a list of 2 lists of d numbers, one per component")
}
