package dist_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/klfit/klfit/dist"
)

// A mixture of two normals: its parameters as users write them, its
// density, and its moments in closed form.
func ExampleNewMixture() {
	mx, err := dist.NewMixture(dist.Normal{}, 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	theta, err := dist.Pack(mx, [][]float64{{0.5, 0.5}, {-3, 3}, {1, 1}}) // weights, mean, variance
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(dist.ParamNames(mx))
	fmt.Printf("q(0) = %.4f, mean %v, variance %v\n", math.Exp(dist.LogProb(mx, theta, 0)), mx.Mean(theta), mx.Variance(theta))
	// Output:
	// [weights[0] weights[1] mean[0] mean[1] variance[0] variance[1]]
	// q(0) = 0.0044, mean 0, variance 10
}

// Matrix parameters are written in full and checked as a whole.
func ExamplePack() {
	_, err := dist.Pack(dist.MVNormal{}, [][]float64{{0, 0}, {1, 2, 2, 1}})
	fmt.Println(err)
	mx, _ := dist.NewMixture(dist.Gamma{}, 2)
	_, err = dist.Pack(mx, [][]float64{{0.7, 0.2}, {2, 3}, {1, 1}})
	fmt.Println(err)
	// Output:
	// covariance must be symmetric positive definite, its determinant is -3
	// weights must sum to 1 (within 1e-09), they sum to 0.9: off by -0.1
}

// Seeded draws from a gamma distribution.
func ExampleGamma_Sample() {
	x := make([]float64, 3)
	dist.Gamma{}.Sample([]float64{2, 1}, rand.NewPCG(1, 2), x, nil)
	y := make([]float64, 3)
	dist.Gamma{}.Sample([]float64{2, 1}, rand.NewPCG(1, 2), y, nil)
	fmt.Println(x[0] == y[0] && x[2] == y[2], x[0] > 0)
	// Output: true true
}

// A fit without initial parameters starts from the member matching the
// target's moments.
func ExampleGuess() {
	x := []float64{1, 2, 3, 4}
	p := []float64{0.1, 0.4, 0.4, 0.1} // mean 2.5, variance 0.65
	theta, err := dist.Guess(dist.Gamma{}, x, nil, p)
	fmt.Printf("shape %.4f, rate %.4f, %v\n", theta[0], theta[1], err)
	// Output: shape 9.6154, rate 3.8462, <nil>
}
