package dist_test

import (
	"fmt"

	"github.com/klfit/klfit/dist"
)

// Evaluate a normal density and its scores on three points at once.
func ExampleNormal_Eval() {
	theta := []float64{0, 4} // mean 0, variance 4
	x := []float64{-2, 0, 2}
	logp := make([]float64, 3)
	score := [][]float64{make([]float64, 3), make([]float64, 3)}
	dist.Normal{}.Eval(theta, x, nil, logp, score)
	for i := range x {
		fmt.Printf("x=%2v  log q=%.4f  d/dmean=%5.2f  d/dvariance=%6.3f\n", x[i], logp[i], score[0][i], score[1][i])
	}
	// Output:
	// x=-2  log q=-2.1121  d/dmean=-0.50  d/dvariance= 0.000
	// x= 0  log q=-1.6121  d/dmean= 0.00  d/dvariance=-0.125
	// x= 2  log q=-2.1121  d/dmean= 0.50  d/dvariance= 0.000
}
