package divergence_test

import (
	"context"
	"fmt"
	"math"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/divergence"
	"github.com/klfit/klfit/target"
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

// A closed form, checked here by the grid estimator.
func ExampleEstimateDivergence() {
	p, _ := divergence.FromTarget(target.Family{Family: dist.Normal{}, Theta: []float64{0, 1}})
	q, _ := divergence.FromTarget(target.Family{Family: dist.Normal{}, Theta: []float64{1, 2}})
	for _, method := range []string{divergence.MethodAuto, divergence.MethodGrid} {
		e, _ := divergence.EstimateDivergence(context.Background(), divergence.ForwardKL{}, p, q, divergence.Options{Method: method})
		fmt.Printf("%s: %.12f converged=%v\n", e.Method, e.Value, e.Converged)
	}
	// Output:
	// closed_form: 0.346573590280 converged=true
	// grid: 0.346573590280 converged=true
}

// Renyi's divergence takes its order as an option.
func ExampleNew() {
	d, err := divergence.New("renyi", map[string]float64{"alpha": 2})
	fmt.Println(divergence.Label(d), err)
	_, err = divergence.New("renyi", map[string]float64{"alpha": 1})
	fmt.Println(err)
	// Output:
	// renyi(alpha=2) <nil>
	// alpha: must not be 1 (the Renyi divergence of order 1 is forward KL: use kl)
}
