package fit_test

import (
	"context"
	"fmt"

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
