package fit_test

import (
	"context"
	"runtime"
	"testing"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/divergence"
	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/grid"
	"github.com/klfit/klfit/target"
)

// TestEpochsAllocateNothing checks that a fit's steady state allocates
// nothing per epoch, for every optimizer, on the specialized passes
// (normal under forward KL, Rényi and Hellinger, reverse KL; forward
// KL's for a two-normal mixture and a skew-normal) and the general one
// (Laplace): a fit
// of 2N epochs may allocate only a few more objects than one of N epochs
// (the history's blocks of 4096 rows, a mixture's scratch when a garbage
// collection empties its pool, the runtime's own bookkeeping), not N more.
func TestEpochsAllocateNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every optimizer for thousands of epochs on four problems")
	}
	a, _ := grid.Arange(-10, 10, 0.05)
	g := grid.New1D(a)
	mix, err := dist.NewMixture(dist.Normal{}, 2)
	if err != nil {
		t.Fatal(err)
	}
	laplace, _ := dist.Lookup("laplace")
	tg := target.Family{Family: dist.Normal{}, Theta: []float64{0.5, 2}}
	p, err := target.Masses(tg, g, target.Normalized)
	if err != nil {
		t.Fatal(err)
	}
	type model struct {
		name string
		fam  dist.Family
		init []float64
		div  divergence.Divergence
	}
	for _, m := range []model{
		{"normal", dist.Normal{}, []float64{1, 1}, divergence.ForwardKL{}},
		{"laplace", laplace, []float64{1, 1}, divergence.ForwardKL{}},
		{"normal/reverse", dist.Normal{}, []float64{1, 1}, divergence.ReverseKL{}},
		{"normal/renyi", dist.Normal{}, []float64{1, 1}, divergence.Renyi{Alpha: 0.3}},
		{"normal/hellinger", dist.Normal{}, []float64{1, 1}, divergence.Hellinger{}},
		{"mixture", mix, []float64{0.4, 0.6, -1, 1, 1, 2}, divergence.ForwardKL{}},
		{"skew_normal", dist.SkewNormal{}, []float64{1, 1.5, 2}, divergence.ForwardKL{}},
	} {
		for _, name := range fit.OptimizerNames() {
			info, err := fit.LookupOptimizer(name)
			if err != nil {
				t.Fatal(err)
			}
			prob := &fit.Problem{Grid: g, P: p, Family: m.fam, Divergence: m.div, Transform: dist.Unconstrained(m.fam), Init: m.init}
			if b, ok := defaultOptimizer(t, name).Fresh().(fit.Binder); ok && b.Bind(prob) != nil {
				continue // the natural gradient refuses a mixture's weights
			}
			if name == "natural_gradient" && m.name == "skew_normal" {
				// The skew-normal's Fisher information is singular at
				// alpha = 0, where a fit to a normal goes: the natural
				// gradient's step leaves the grid there (after 73 epochs,
				// on the plain pass too).
				continue
			}
			allocs := func(epochs int) (uint64, int) {
				settings := map[string]float64{}
				for _, s := range info.Settings {
					settings[s.Name] = s.Default
				}
				if lr, ok := settings["learning_rate"]; ok {
					settings["learning_rate"] = lr / 100 // keep every epoch a step, far from convergence
				}
				opt := info.New(settings)
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				res, err := fit.Run(context.Background(), prob, fit.Options{Optimizer: opt, Epochs: epochs, Engine: fit.Engine{Threads: 1}})
				runtime.ReadMemStats(&after)
				if err != nil || res.Epochs != epochs && res.Status != fit.Converged {
					t.Fatalf("%s/%s: %v after %d epochs (%s)", m.name, name, err, res.Epochs, res.Status)
				}
				return after.Mallocs - before.Mallocs, res.Epochs
			}
			if name == "lbfgs" {
				// L-BFGS converges in about ten iterations: compare its
				// whole fit with a fit of one epoch (setup and the method's
				// own memory), within the history's first block.
				one, _ := allocs(1)
				two, e := allocs(10_000)
				if e < 5 || two > one+8 {
					t.Errorf("%s/lbfgs: %d allocations for 1 epoch, %d for %d", m.name, one, two, e)
				}
				continue
			}
			const n = 3000
			one, _ := allocs(n)
			two, _ := allocs(2 * n)
			// An allocation per epoch shows as 1 or more an epoch; the
			// history's blocks and the runtime's own bookkeeping (a
			// garbage collection, a profiling sample) add a few dozen
			// over thousands of epochs.
			if float64(int64(two)-int64(one))/n > 0.01 {
				t.Errorf("%s/%s: %d allocations for %d epochs, %d for %d: %.2f an epoch", m.name, name, one, n, two, 2*n, float64(int64(two)-int64(one))/n)
			}
		}
	}
}
