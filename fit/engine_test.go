package fit_test

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/divergence"
	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/grid"
	"github.com/klfit/klfit/target"
)

// randomProblem draws a normal target and a normal model on a grid of
// about n points, with the target weights and parameterization drawn too.
func randomProblem(t testing.TB, rng *rand.Rand, n int) (*fit.Problem, []float64) {
	t.Helper()
	lo := -20 + 15*rng.Float64()
	hi := lo + 5 + 30*rng.Float64()
	a, err := grid.Arange(lo, hi, (hi-lo)/float64(n))
	if err != nil {
		t.Fatal(err)
	}
	g := grid.New1D(a)
	mid, width := (lo+hi)/2, hi-lo
	tv := math.Pow(width/8, 2) * math.Exp(rng.NormFloat64())
	w := target.Weights(rng.IntN(2))
	p, err := target.Masses(target.Family{Family: dist.Normal{}, Theta: []float64{mid + width/8*rng.NormFloat64(), tv}}, g, w)
	if err != nil {
		t.Fatal(err)
	}
	var tr dist.Transform = dist.Identity{}
	if rng.IntN(2) == 1 {
		tr = dist.Unconstrained(dist.Normal{})
	}
	// Models from very narrow (a few grid steps) to wider than the grid,
	// centred anywhere from outside the grid to its middle.
	// (standard deviations from one grid step to ten grid widths, drawn
	// uniformly on a log scale).
	sd := a.Delta * math.Exp(rng.Float64()*math.Log(10*float64(a.N)))
	theta := []float64{mid + width*rng.NormFloat64()/2, sd * sd}
	u := make([]float64, 2)
	tr.U(u, theta)
	return &fit.Problem{Grid: g, P: p, Family: dist.Normal{}, Divergence: divergence.ForwardKL{}, Transform: tr, Init: theta}, u
}

func eval(t testing.TB, prob *fit.Problem, eng fit.Engine, u []float64) (float64, []float64) {
	t.Helper()
	obj := fit.NewObjectiveWith(prob, eng)
	defer obj.Close()
	grad := make([]float64, len(u))
	loss, err := obj.Eval(u, grad)
	if err != nil {
		t.Fatal(err)
	}
	return loss, grad
}

// TestFastPassMatchesPlain is a property test: over random grids, targets,
// weights, parameterizations and models, the recurrence pass for a normal
// model gives the loss and gradient of the plain pass (an exp per point,
// log-sum-exp, chain rule). Both lose precision the same way: terms of
// size |log Q| (up to ~1e5 here) are summed and cancel, so agreement is
// measured relative to the size of those terms: 1e-12 relative, with an
// absolute floor of 1e-12 times the sum of P|log P| and P|log Q|.
func TestFastPassMatchesPlain(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 300 {
		n := []int{20, 200, 1000, 10_000, 50_000}[trial%5]
		prob, u := randomProblem(t, rng, n)
		fl, fg := eval(t, prob, fit.Engine{}, u)
		pl, pg := eval(t, prob, fit.Engine{Plain: true}, u)
		scale := termScale(prob, u)
		if !agree(fl, pl, scale) {
			t.Errorf("trial %d (n=%d, theta=%v): loss fast %.17g, plain %.17g", trial, n, prob.Init, fl, pl)
		}
		for k := range fg {
			// The gradient is a difference of two sums of size scale
			// times the score, |x - mean|/variance and its square.
			if !agree(fg[k], pg[k], scale*(1+math.Abs(pg[k]))) {
				t.Errorf("trial %d (n=%d, theta=%v): grad[%d] fast %.17g, plain %.17g", trial, n, prob.Init, k, fg[k], pg[k])
			}
		}
	}
}

func agree(a, b, scale float64) bool {
	return math.Abs(a-b) <= 1e-12*math.Max(math.Abs(b), scale)
}

// termScale returns sum P (|log P| + |log Q|), the size of the terms whose
// sum is the loss.
func termScale(prob *fit.Problem, u []float64) float64 {
	theta := make([]float64, 2)
	prob.Transform.Theta(theta, u)
	l := make([]float64, prob.Grid.Len())
	dist.Normal{}.Eval(theta, prob.Grid.X, nil, l, nil)
	m := math.Inf(-1)
	for _, v := range l {
		m = math.Max(m, v)
	}
	var z float64
	for _, v := range l {
		z += math.Exp(v - m)
	}
	var s float64
	for i, p := range prob.P {
		if p > 0 {
			s += p * (math.Abs(math.Log(p)) + math.Abs(l[i]-m-math.Log(z)))
		}
	}
	return s
}

// TestThreadsBitIdentical checks that the number of threads does not
// change a single bit of the loss or gradient, for the specialized and the
// plain pass, with Engine.Threads and with GOMAXPROCS.
func TestThreadsBitIdentical(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 6 {
		prob, u := randomProblem(t, rng, 100_000)
		for _, plain := range []bool{false, true} {
			l1, g1 := eval(t, prob, fit.Engine{Threads: 1, Plain: plain}, u)
			for _, threads := range []int{2, 3, 7} {
				l, g := eval(t, prob, fit.Engine{Threads: threads, Plain: plain}, u)
				if l != l1 || g[0] != g1[0] || g[1] != g1[1] {
					t.Errorf("trial %d plain=%v: %d threads give %v %v, 1 thread %v %v", trial, plain, threads, l, g, l1, g1)
				}
			}
			for _, procs := range []int{1, 2} {
				old := runtime.GOMAXPROCS(procs)
				l, g := eval(t, prob, fit.Engine{Plain: plain}, u)
				runtime.GOMAXPROCS(old)
				if l != l1 || g[0] != g1[0] || g[1] != g1[1] {
					t.Errorf("trial %d plain=%v: GOMAXPROCS=%d gives %v %v, 1 thread %v %v", trial, plain, procs, l, g, l1, g1)
				}
			}
		}
	}
}

// whole hides a divergence's Additive method, so that the engine evaluates
// it on the whole grid at once.
type whole struct{ divergence.Divergence }

// TestAdditivePassMatchesWhole checks the chunked pass for additive
// divergences against the whole-grid pass (the same formula, summed in a
// different order), on grids of several chunks and with several threads.
func TestAdditivePassMatchesWhole(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, name := range []string{"kl", "reverse_kl", "js", "hellinger"} {
		d, err := divergence.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		for trial := range 5 {
			prob, u := randomProblem(t, rng, 20_000)
			if name != "kl" {
				// These need a probability vector: renormalize.
				var s float64
				for _, p := range prob.P {
					s += p
				}
				for i := range prob.P {
					prob.P[i] /= s
				}
			}
			prob.Divergence = d
			cl, cg := eval(t, prob, fit.Engine{Plain: true, Threads: 2}, u)
			prob.Divergence = whole{d}
			wl, wg := eval(t, prob, fit.Engine{Plain: true, Threads: 1}, u)
			scale := termScale(prob, u)
			if !agree(cl, wl, scale) {
				t.Errorf("%s trial %d: chunked %.17g, whole %.17g", name, trial, cl, wl)
			}
			for k := range cg {
				if !agree(cg[k], wg[k], scale*(1+math.Abs(wg[k]))) {
					t.Errorf("%s trial %d: grad[%d] chunked %.17g, whole %.17g", name, trial, k, cg[k], wg[k])
				}
			}
		}
	}
}
