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
				return specProblem(string(spec.Demo().YAML()))
			},
		},
		{
			Name:        "normal",
			Description: "normal model to N(0, 1) on [-8, 8], forward KL, gd on (mean, log variance)",
			Problem: func(points int) (*fit.Problem, fit.Optimizer, error) {
				return normalProblem(points)
			},
		},
		{
			Name:        "mixture",
			Description: "3-component normal mixture model to a two-mode mixture on [-10, 10], forward KL, gd",
			Problem: func(points int) (*fit.Problem, fit.Optimizer, error) {
				return specProblem(fmt.Sprintf(`grid: {start: -10, stop: 10, step: %v}
target: "0.4*normal(mean=-3, variance=1) + 0.6*normal(mean=2, variance=0.5)"
model: {family: mixture, components: 3, component: normal}
optimizer: {name: gd, learning_rate: 1e-6}
`, 20/float64(points)))
			},
		},
		generalCase("reverse", "normal model to N(0, 1) on [-8, 8], reverse KL (the general pass), gd",
			"{family: normal, init: {mean: 1, variance: 2}}", "reverse_kl"),
		generalCase("hellinger", "normal model to N(0, 1) on [-8, 8], Hellinger (the general pass), gd",
			"{family: normal, init: {mean: 1, variance: 2}}", "hellinger"),
		generalCase("js", "normal model to N(0, 1) on [-8, 8], Jensen-Shannon (the general pass), gd",
			"{family: normal, init: {mean: 1, variance: 2}}", "js"),
		generalCase("renyi", "normal model to N(0, 1) on [-8, 8], Renyi alpha 0.5 (the general pass), gd",
			"{family: normal, init: {mean: 1, variance: 2}}", "{name: renyi, alpha: 0.5}"),
		generalCase("mixture2", "2-component normal mixture model to N(0, 1) on [-8, 8], forward KL, gd",
			"{family: mixture, components: 2, component: normal, init: {weights: [0.3, 0.7], mean: [-1, 1], variance: [1, 2]}}", "kl"),
		generalCase("skew_normal", "skew-normal model to N(0, 1) on [-8, 8], forward KL, gd",
			"{family: skew_normal, init: {loc: 0.5, scale: 1.5, alpha: 1}}", "kl"),
		{
			Name:        "mvnormal",
			Description: "bivariate normal model to a bivariate normal on a 1000 x 1000 grid, forward KL, gd",
			Fixed:       1_000_000,
			Problem: func(int) (*fit.Problem, fit.Optimizer, error) {
				return specProblem(`grid: {x: {start: -5, stop: 5, step: 0.01}, y: {start: -5, stop: 5, step: 0.01}}
target: {family: mvnormal, params: {mean: [0, 0], covariance: [[1, 0.3], [0.3, 2]]}}
model: {family: mvnormal, init: {mean: [0.5, -0.5], covariance: [[1.5, 0.2], [0.2, 1]]}}
optimizer: {name: gd, learning_rate: 1e-6}
`)
			},
		},
	}
}

// generalCase is a case on [-8, 8] with a N(0, 1) target, the given model
// and divergence (spec syntax), and gd with a learning rate small enough
// that every epoch costs the same.
func generalCase(name, desc, model, div string) Case {
	return Case{Name: name, Description: desc, Problem: func(points int) (*fit.Problem, fit.Optimizer, error) {
		return specProblem(fmt.Sprintf(`grid: {start: -8, stop: 8, step: %v}
target: {family: normal, params: {mean: 0, variance: 1}}
model: %s
divergence: %s
optimizer: {name: gd, learning_rate: 1e-6}
`, 16/float64(points), model, div))
	}}
}

// specProblem builds a case from a spec.
func specProblem(src string) (*fit.Problem, fit.Optimizer, error) {
	s, err := spec.Parse([]byte(src))
	if err != nil {
		return nil, nil, err
	}
	b, err := s.Build()
	if err != nil {
		return nil, nil, err
	}
	return b.Problem, b.Optimizer, nil
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
// (optimizer step, loss and gradient at the new state, history row). A
// fit's setup (its buffers, the target's moments, the first evaluation)
// is measured on its own, as a fit of 0 epochs, and taken out of the time
// and the allocations, so that the figures are those of the steady state.
func Measure(c Case, points, threads int) (Result, error) {
	prob, opt, err := c.Problem(points)
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", c.Name, err)
	}
	var runErr error
	run := func(epochs int) {
		res, err := fit.Run(context.Background(), prob, fit.Options{Optimizer: opt, Epochs: epochs, Engine: fit.Engine{Threads: threads}})
		if err == nil && res.Status != fit.MaxEpochs {
			err = res.Failure
		}
		if err != nil {
			runErr = err
		}
	}
	setup := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			run(0)
		}
	})
	r := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		run(b.N)
	})
	if runErr != nil {
		return Result{}, fmt.Errorf("%s: %w", c.Name, runErr)
	}
	n := prob.Grid.Len()
	ns := max(float64(r.T.Nanoseconds()-setup.NsPerOp()), 0) / float64(r.N)
	return Result{
		Case:           c.Name,
		Points:         n,
		Threads:        threads,
		NsPerEpoch:     ns,
		NsPerPoint:     ns / float64(n),
		AllocsPerEpoch: max(float64(int64(r.MemAllocs)-setup.AllocsPerOp()), 0) / float64(r.N),
	}, nil
}
