// Package bench defines klfit's standard benchmark cases and times them:
// several runs of each, reported as their median and spread. `klfit bench`
// prints them; the Go benchmarks of this package run the same cases.
package bench

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"time"

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
	// MinPoints is the fewest grid points a case that takes sizes can be
	// fitted on (its model must keep its mass on the grid, and a mixture
	// model needs points to spread its components over); Measure refuses
	// fewer.
	MinPoints int
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
			MinPoints:   2,
			Problem: func(points int) (*fit.Problem, fit.Optimizer, error) {
				return normalProblem(points)
			},
		},
		{
			Name:        "mixture",
			Description: "3-component normal mixture model to a two-mode mixture on [-10, 10], forward KL, gd",
			MinPoints:   9,
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
		generalCase("hellinger", "normal model to N(0, 1) on [-8, 8], Hellinger (the Renyi and Hellinger pass), gd",
			"{family: normal, init: {mean: 1, variance: 2}}", "hellinger"),
		generalCase("js", "normal model to N(0, 1) on [-8, 8], Jensen-Shannon (the general pass), gd",
			"{family: normal, init: {mean: 1, variance: 2}}", "js"),
		generalCase("renyi", "normal model to N(0, 1) on [-8, 8], Renyi alpha 0.5 (the Renyi and Hellinger pass), gd",
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
	return Case{Name: name, Description: desc, MinPoints: 2, Problem: func(points int) (*fit.Problem, fit.Optimizer, error) {
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
	b, err := s.Build(context.Background(), spec.Env{})
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

// Result is the measurement of one case, size and thread count over
// several runs.
type Result struct {
	Case    string `json:"case"`
	Points  int    `json:"points"`
	Threads int    `json:"threads"`
	// Workers is the number of goroutines an evaluation runs on: 1 when
	// the grid is too small to split or the case's pass is not split.
	Workers int `json:"workers"`
	// Runs is the number of timed runs; NsPerEpoch is their median, and
	// NsMin and NsMax their spread.
	Runs       int     `json:"runs"`
	NsPerEpoch float64 `json:"ns_per_epoch"`
	NsMin      float64 `json:"ns_min"`
	NsMax      float64 `json:"ns_max"`
	NsPerPoint float64 `json:"ns_per_point"`
	// CPUNsPerEpoch is the median CPU time of an epoch, over all the
	// process's threads (0 where it is not measured): on a machine shared
	// with other work it shows the work done, where ns per epoch also
	// counts the time spent waiting for a core.
	CPUNsPerEpoch float64 `json:"cpu_ns_per_epoch"`
	// Epochs is the number of epochs of each run.
	Epochs         int     `json:"epochs"`
	AllocsPerEpoch float64 `json:"allocs_per_epoch"`
	// TeamShare is the share of the evaluations that ran on more than one
	// goroutine (median over the runs; 0 where Workers is 1): the engine
	// runs them on one while that is faster, as on a machine where
	// another process holds a core.
	TeamShare float64 `json:"team_share"`
	// Speedup is the median ns per epoch on 1 thread divided by this one's,
	// set only where the pool is used (Workers > 1) and 1 thread was
	// measured.
	Speedup float64 `json:"speedup,omitempty"`
}

// Options says how long and how often Measure times a case.
type Options struct {
	// Runs is the number of timed runs (default 5).
	Runs int
	// RunTime is about how long each run lasts (default 200ms): the
	// number of epochs is chosen from a first, untimed run.
	RunTime time.Duration
}

// Measure times epochs of c on about points grid points with the given
// number of threads. An epoch is one of fit.Run (optimizer step, loss and
// gradient at the new state, history row). Each run is a fit of as many
// epochs as fill about opts.RunTime; a fit's setup (its buffers, the
// target's moments, the first evaluation) is timed apart, as a fit of 0
// epochs (the median of opts.Runs), and taken out of each run's time and
// allocations, so that the figures are those of the steady state. The
// result is the median over opts.Runs runs, with their spread: on a
// machine shared with other work, single runs vary by far more than the
// differences worth measuring.
func Measure(c Case, points, threads int, opts Options) (Result, error) {
	if opts.Runs <= 0 {
		opts.Runs = 5
	}
	if opts.RunTime <= 0 {
		opts.RunTime = 200 * time.Millisecond
	}
	if c.Fixed == 0 && points < c.MinPoints {
		return Result{}, fmt.Errorf("%s: %d points is too few: the case takes %d at least", c.Name, points, c.MinPoints)
	}
	prob, opt, err := c.Problem(points)
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", c.Name, err)
	}
	eng := fit.Engine{Threads: threads}
	var cpu time.Duration // of the last run
	var team float64      // of the last run
	run := func(epochs int) (time.Duration, uint64, error) {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		allocs := ms.Mallocs
		cpu0, start := cpuTime(), time.Now()
		res, err := fit.Run(context.Background(), prob, fit.Options{Optimizer: opt, Epochs: epochs, Engine: eng})
		d := time.Since(start)
		cpu = cpuTime() - cpu0
		if err == nil {
			team = res.TeamShare
		}
		if err == nil && res.Status != fit.MaxEpochs {
			err = res.Failure
		}
		runtime.ReadMemStats(&ms)
		return d, ms.Mallocs - allocs, err
	}
	setups, setupCPUs := make([]float64, opts.Runs), make([]float64, opts.Runs)
	var setupAllocs uint64
	for i := range setups {
		d, a, err := run(0)
		if err != nil {
			return Result{}, fmt.Errorf("%s: %w", c.Name, err)
		}
		setups[i], setupCPUs[i], setupAllocs = float64(d.Nanoseconds()), float64(cpu.Nanoseconds()), a
	}
	setup, setupCPU := median(setups), median(setupCPUs)
	// Epochs per run: grown from 1 until a run's epochs (its time less
	// the setup's) last a quarter of opts.RunTime and four times the
	// setup, then scaled to the larger of the two, so that the setup's own
	// variation is small beside them.
	epochs := 1
	for {
		d, _, err := run(epochs)
		if err != nil {
			return Result{}, fmt.Errorf("%s: %w", c.Name, err)
		}
		work := float64(d.Nanoseconds()) - setup
		if 4*work >= float64(opts.RunTime.Nanoseconds()) && work >= 4*setup || epochs >= 1<<30 {
			target := max(float64(opts.RunTime.Nanoseconds()), 4*setup)
			epochs = max(1, int(float64(epochs)*target/work))
			break
		}
		epochs *= 4
	}
	times, cpus, teams := make([]float64, opts.Runs), make([]float64, opts.Runs), make([]float64, opts.Runs)
	var allocs float64
	// A run no longer than the setup says its epochs were too few to
	// measure against the setup's own variation (a sizing run stalled by
	// another process makes them so): the runs are taken again with more,
	// up to four times, rather than reporting 0 ns an epoch.
	for tries := 0; ; tries++ {
		allocs = 0
		short := false
		for i := range times {
			d, a, err := run(epochs)
			if err != nil {
				return Result{}, fmt.Errorf("%s: %w", c.Name, err)
			}
			short = short || float64(d.Nanoseconds()) <= setup
			times[i] = max(float64(d.Nanoseconds())-setup, 0) / float64(epochs)
			cpus[i] = max(float64(cpu.Nanoseconds())-setupCPU, 0) / float64(epochs)
			teams[i] = team
			allocs += max(float64(a)-float64(setupAllocs), 0) / float64(epochs)
		}
		if !short {
			break
		}
		if tries == 4 {
			return Result{}, fmt.Errorf("%s: %d epochs on %d points took no longer than the fit's setup (%.3g ms) in some runs: the machine is too busy to measure them", c.Name, epochs, points, setup/1e6)
		}
		epochs *= 8
	}
	obj := fit.NewObjectiveWith(prob, eng)
	workers := obj.Workers()
	obj.Close()
	n := prob.Grid.Len()
	med := median(times)
	return Result{
		Case:           c.Name,
		Points:         n,
		Threads:        threads,
		Workers:        workers,
		Runs:           opts.Runs,
		NsPerEpoch:     med,
		NsMin:          slices.Min(times),
		NsMax:          slices.Max(times),
		NsPerPoint:     med / float64(n),
		CPUNsPerEpoch:  median(cpus),
		TeamShare:      median(teams),
		Epochs:         epochs,
		AllocsPerEpoch: allocs / float64(opts.Runs),
	}, nil
}

// median returns the median of v (the mean of the middle two for an even
// count); v is reordered.
func median(v []float64) float64 {
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}
