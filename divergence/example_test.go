package divergence_test

import (
	"fmt"
	"math"

	"github.com/klfit/klfit/divergence"
)

// Forward KL between two probability vectors; the target's zero mass
// contributes nothing.
func ExampleForwardKL() {
	p := []float64{0.5, 0.5, 0}
	q := []float64{0.25, 0.5, 0.25}
	logp := []float64{math.Log(0.5), math.Log(0.5), math.Inf(-1)}
	logq := []float64{math.Log(0.25), math.Log(0.5), math.Log(0.25)}
	kl, err := divergence.ForwardKL{}.Eval(p, logp, q, logq, nil)
	fmt.Printf("%.6f %v (log 2 / 2 = %.6f)\n", kl, err, math.Log(2)/2)
	// Output: 0.346574 <nil> (log 2 / 2 = 0.346574)
}
