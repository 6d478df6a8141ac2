// Package bench defines klfit's standard benchmark cases and measures them
// with the testing package's benchmark driver. `klfit bench` prints them;
// the Go benchmarks of this package run the same cases.
package bench

import (
	"context"
	"fmt"
	"testing"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/divergence"
	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/grid"
	"github.com/klfit/klfit/spec"
	"github.com/klfit/klfit/target"
)

// Case is a standard fit whose epochs are timed.
type Case struct {
	// Name identifies the case, e.g. "notebook".
	Name string
	// Description says what is fitted.
	Description string
	// Fixed is the case's own grid size, or 0 when the case takes sizes.
	Fixed int
	// Problem builds the fit on about points grid points.
	Problem func(points int) (*fit.Problem, fit.Optimizer, error)
}

// Cases returns the standard cases.
func Cases() []Case {
	return []Case{
		{
			Name:        "notebook",
			Description: "the demo: normal to raw N(0, 7) values on 200 points, gd on raw parameters",
			Fixed:       200,
			Problem: func(int) (*fit.Problem, fit.Optimizer, error) {
				b, err := spec.Demo().Build()
				if err != nil {
					return nil, nil, err
				}
				return b.Problem, b.Optimizer, nil
			},
		},
		{
			Name:        "normal",
			Description: "normal model to N(0, 1) on [-8, 8], forward KL, gd on (mean, log variance)",
			Problem: func(points int) (*fit.Problem, fit.Optimizer, error) {
				return normalProblem(points)
			},
		},
	}
}

func normalProblem(points int) (*fit.Problem, fit.Optimizer, error) {
	a, err := grid.Arange(-8, 8, 16/float64(points))
	if err != nil {
		return nil, nil, err
	}
	g := grid.New1D(a)
	p, err := target.Masses(target.Family{Family: dist.Normal{}, Theta: []float64{0, 1}}, g, target.Normalized)
	if err != nil {
		return nil, nil, err
	}
	prob := &fit.Problem{Grid: g, P: p, Family: dist.Normal{}, Divergence: divergence.ForwardKL{},
		Transform: dist.Unconstrained(dist.Normal{}), Init: []float64{1, 2}}
	// A small learning rate keeps the state near the start, so that every
	// epoch costs the same.
	return prob, &fit.GD{LearningRate: 1e-6}, nil
}

// Result is one measurement.
type Result struct {
	Case           string  `json:"case"`
	Points         int     `json:"points"`
	Threads        int     `json:"threads"`
	NsPerEpoch     float64 `json:"ns_per_epoch"`
	NsPerPoint     float64 `json:"ns_per_point"`
	AllocsPerEpoch float64 `json:"allocs_per_epoch"`
	// Speedup is the case's ns per epoch on 1 thread divided by this
	// one's (1 for a single thread; 0 when 1 thread was not measured).
	Speedup float64 `json:"speedup"`
}

// Measure times epochs of c on about points grid points with the given
// number of threads: each benchmark iteration is one epoch of fit.Run
// (optimizer step, loss and gradient at the new state, history row).
func Measure(c Case, points, threads int) (Result, error) {
	prob, opt, err := c.Problem(points)
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", c.Name, err)
	}
	var runErr error
	r := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		res, err := fit.Run(context.Background(), prob, fit.Options{Optimizer: opt, Epochs: b.N, Engine: fit.Engine{Threads: threads}})
		if err == nil && res.Status != fit.MaxEpochs {
			err = res.Failure
		}
		if err != nil {
			runErr = err
		}
	})
	if runErr != nil {
		return Result{}, fmt.Errorf("%s: %w", c.Name, runErr)
	}
	n := prob.Grid.Len()
	ns := float64(r.T.Nanoseconds()) / float64(r.N)
	return Result{
		Case:           c.Name,
		Points:         n,
		Threads:        threads,
		NsPerEpoch:     ns,
		NsPerPoint:     ns / float64(n),
		AllocsPerEpoch: float64(r.MemAllocs) / float64(r.N),
	}, nil
}
