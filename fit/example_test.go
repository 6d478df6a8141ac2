package fit_test

import (
	"context"
	"fmt"
	"math"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/divergence"
	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/grid"
	"github.com/klfit/klfit/target"
)

// Fit a normal model to a normal target by gradient descent on the
// unconstrained parameters (mean, log variance).
func ExampleRun() {
	a, _ := grid.Arange(-10, 10, 0.05)
	g := grid.New1D(a)
	p, _ := target.Masses(target.Family{Family: dist.Normal{}, Theta: []float64{1, 2}}, g, target.Normalized)
	prob := &fit.Problem{
		Grid:       g,
		P:          p,
		Family:     dist.Normal{},
		Divergence: divergence.ForwardKL{},
		Transform:  dist.Unconstrained(dist.Normal{}),
		Init:       []float64{-3, 0.5},
	}
	res, err := fit.Run(context.Background(), prob, fit.Options{Optimizer: &fit.GD{LearningRate: 0.5}, Epochs: 500})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s after %d epochs: mean %.4f, variance %.4f, KL below 1e-12: %v\n",
		res.Status, res.Epochs, res.Theta()[0], res.Theta()[1], res.Loss() < 1e-12)
	// Output: max_epochs after 500 epochs: mean 1.0000, variance 2.0000, KL below 1e-12: true
}

// Fit with L-BFGS, the default of specs that name no optimizer: it
// converges by its own test, in a few dozen iterations.
func ExampleLBFGS() {
	a, _ := grid.Arange(-10, 10, 0.1)
	g := grid.New1D(a)
	p, _ := target.Masses(target.Family{Family: dist.Normal{}, Theta: []float64{0, 7}}, g, target.Normalized)
	prob := &fit.Problem{Grid: g, P: p, Family: dist.Normal{}, Divergence: divergence.ForwardKL{},
		Transform: dist.Unconstrained(dist.Normal{}), Init: []float64{5, 1}}
	res, err := fit.Run(context.Background(), prob, fit.Options{Optimizer: &fit.LBFGS{}, Epochs: 1000})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s in under 50 iterations: %v; mean %.6f, variance %.6f\n", res.Status, res.Epochs < 50, math.Abs(res.Theta()[0]), res.Theta()[1])
	// Output: converged in under 50 iterations: true; mean 0.000000, variance 7.000000
}

// Stop a fit when the loss stops changing, and say why it stopped.
func ExampleStop() {
	a, _ := grid.Arange(-10, 10, 0.1)
	g := grid.New1D(a)
	p, _ := target.Masses(target.Family{Family: dist.Normal{}, Theta: []float64{0, 7}}, g, target.Normalized)
	prob := &fit.Problem{Grid: g, P: p, Family: dist.Normal{}, Divergence: divergence.ForwardKL{},
		Transform: dist.Unconstrained(dist.Normal{}), Init: []float64{5, 1}}
	res, err := fit.Run(context.Background(), prob, fit.Options{
		Optimizer: &fit.Adam{LearningRate: 0.1, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8},
		Epochs:    100000,
		Stop:      fit.Stop{GradientTolerance: 1e-6},
	})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s by %s: gradient below 1e-6: %v\n", res.Status, res.StopRule, res.StopValue <= 1e-6)
	// Output: converged by gradient_tolerance: gradient below 1e-6: true
}

// The learning rates of a sweep: powers of ten, three per decade.
func ExampleLRRates() {
	rates, _ := fit.LRRates(0.01, 1, 3)
	for _, r := range rates {
		fmt.Printf("%.4g ", r)
	}
	fmt.Println()
	// Output: 0.01 0.02154 0.04642 0.1 0.2154 0.4642 1
}
