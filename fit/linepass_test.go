package fit_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/divergence"
	"github.com/klfit/klfit/fit"
)

// TestLinePassMatchesPlain is a property test of the general pass for a
// normal model on a 1-D grid (log-density from its quadratic
// coefficients, exponentials by recurrence, gradient through fixed terms
// x and x^2) against the plain pass (the family's log-density and scores,
// an exp per point), for every registered divergence but forward KL,
// over random grids, targets and models; and the same for the objective
// with the passes of their own that reverse KL, Rényi of order below 1
// and Hellinger take (they hand the general pass the evaluations they
// cannot do; see also TestRenyiPassMatchesPlain).
// Agreement is 1e-12 relative to the size of the terms summed: for the
// value sum (P + Q)(|log P| + |log Q|), at least 1; for the gradient
// dD/dtheta_k = sum (h_i - H Q_i) s_ki, sum (|h_i| + |H| Q_i)|s_ki|
// (both passes round each term to about 1e-16 and the recurrence's Q is
// good to about 1e-13 relative), pulled back to u.
func TestLinePassMatchesPlain(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	trials := 60
	if testing.Short() {
		trials = 15
	}
	for _, name := range divergence.Names() {
		if name == "kl" {
			continue
		}
		d, err := divergence.New(name, nil)
		if err != nil {
			t.Fatal(err)
		}
		for trial := range trials {
			n := []int{20, 200, 1000, 10_000, 50_000}[trial%5]
			prob, u := randomProblem(t, rng, n)
			var s float64
			for _, p := range prob.P {
				s += p
			}
			for i := range prob.P {
				prob.P[i] /= s
			}
			prob.Divergence = d
			for _, whole := range []bool{false, true} {
				var fo *fit.Objective
				if whole { // with the passes of their own: reverse KL's, Rényi's below 1, Hellinger's
					fo = fit.NewObjectiveWith(prob, fit.Engine{Threads: 1 + trial%2})
				} else {
					fo = fit.NewGeneralObjective(prob, fit.Engine{Threads: 1 + trial%2})
				}
				po := fit.NewObjectiveWith(prob, fit.Engine{Threads: 1, Plain: true})
				fg, pg := make([]float64, 2), make([]float64, 2)
				fl, ferr := fo.Eval(u, fg)
				pl, perr := po.Eval(u, pg)
				if ferr != nil || perr != nil {
					// Total variation has no gradient; compare values.
					fg, pg = nil, nil
					fl, ferr = fo.Eval(u, nil)
					pl, perr = po.Eval(u, nil)
				}
				fo.Close()
				po.Close()
				if (ferr == nil) != (perr == nil) {
					t.Errorf("%s (whole %v) trial %d: errors %v, plain %v", name, whole, trial, ferr, perr)
					continue
				}
				if ferr != nil {
					continue
				}
				scale, gscale := pairScale(prob, u)
				if !agree(fl, pl, scale) {
					t.Errorf("%s (whole %v) trial %d (n=%d, theta=%v): value %.17g, plain %.17g scale %g", name, whole, trial, n, prob.Init, fl, pl, scale)
				}
				for k := range fg {
					if !agree(fg[k], pg[k], gscale[k]) {
						t.Errorf("%s (whole %v) trial %d (n=%d, theta=%v): grad[%d] %.17g, plain %.17g", name, whole, trial, n, prob.Init, k, fg[k], pg[k])
					}
				}
			}
		}
	}
}

// pairScale returns sum (P + Q)(|log P| + |log Q|) over the points where
// both are positive, at least 1, and for each entry of u the size of the
// gradient's terms, sum (|h_i| + |H| Q_i)|s_ki| pulled back to u.
func pairScale(prob *fit.Problem, u []float64) (float64, []float64) {
	theta := make([]float64, 2)
	prob.Transform.Theta(theta, u)
	n := prob.Grid.Len()
	l := make([]float64, n)
	sc := [][]float64{make([]float64, n), make([]float64, n)}
	dist.Normal{}.Eval(theta, prob.Grid.X, nil, l, sc)
	m := math.Inf(-1)
	for _, v := range l {
		m = math.Max(m, v)
	}
	var z float64
	for _, v := range l {
		z += math.Exp(v - m)
	}
	s := 1.0
	q, logp, h := make([]float64, n), make([]float64, n), make([]float64, n)
	for i, p := range prob.P {
		l[i] -= m + math.Log(z)
		q[i] = math.Exp(l[i])
		logp[i] = math.Log(p)
		if p > 0 && q[i] > 0 {
			s += (p + q[i]) * (math.Abs(logp[i]) + math.Abs(l[i]))
		}
	}
	gs := make([]float64, 2)
	if _, err := prob.Divergence.Eval(prob.P, logp, q, l, h); err != nil {
		return s, []float64{math.Inf(1), math.Inf(1)}
	}
	var hsum float64
	for _, v := range h {
		hsum += v
	}
	for k := range gs {
		for i := range h {
			gs[k] += (math.Abs(h[i]) + math.Abs(hsum)*q[i]) * math.Abs(sc[k][i])
		}
	}
	gu := make([]float64, 2)
	prob.Transform.PullBack(gu, u, theta, gs)
	for k := range gu {
		gu[k] = math.Abs(gu[k])
	}
	return s, gu
}

// TestLogSumPassMatchesWhole checks the two chunked passes for every
// registered divergence that is a LogSum (Renyi) against its evaluation
// on the whole grid at once (the same formula, summed in another order),
// at 1e-12 of the terms' size, on grids of several chunks and with 1 and
// 2 threads, for the plain pass and the normal model's line pass.
func TestLogSumPassMatchesWhole(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	tested := 0
	for _, name := range divergence.Names() {
		d, err := divergence.New(name, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := d.(divergence.LogSum); !ok {
			continue
		}
		for _, alpha := range []float64{0.3, 0.5, 2} {
			if c, ok := d.(divergence.Configurable); ok {
				if d, err = c.With(map[string]float64{"alpha": alpha}); err != nil {
					t.Fatal(err)
				}
			}
			tested++
			for trial := range 8 {
				prob, u := randomProblem(t, rng, []int{20_000, 50_000}[trial%2])
				var s float64
				for _, p := range prob.P {
					s += p
				}
				for i := range prob.P {
					prob.P[i] /= s
				}
				prob.Divergence = whole{d}
				wl, wg, werr := evalErr(prob, fit.Engine{Plain: true, Threads: 1}, u)
				prob.Divergence = d
				scale, gscale := pairScale(prob, u)
				for _, eng := range []fit.Engine{{Plain: true, Threads: 2}, {Threads: 1 + trial%2}} {
					cl, cg, cerr := evalErr(prob, eng, u)
					if werr != nil || cerr != nil {
						// A support error: the same one, at the same point.
						if werr == nil || cerr == nil || werr.Error() != cerr.Error() {
							t.Errorf("%s trial %d %+v: error %v, whole %v", divergence.Label(d), trial, eng, cerr, werr)
						}
						continue
					}
					if !agree(cl, wl, scale) {
						t.Errorf("%s trial %d %+v: chunked %.17g, whole %.17g", divergence.Label(d), trial, eng, cl, wl)
					}
					for k := range cg {
						if !agree(cg[k], wg[k], gscale[k]) {
							t.Errorf("%s trial %d %+v: grad[%d] chunked %.17g, whole %.17g", divergence.Label(d), trial, eng, k, cg[k], wg[k])
						}
					}
				}
			}
		}
	}
	if tested == 0 {
		t.Fatal("no registered divergence is a LogSum")
	}
}

func evalErr(prob *fit.Problem, eng fit.Engine, u []float64) (float64, []float64, error) {
	obj := fit.NewObjectiveWith(prob, eng)
	defer obj.Close()
	grad := make([]float64, len(u))
	loss, err := obj.Eval(u, grad)
	return loss, grad, err
}

// TestPointCacheMatchesPlain checks that the general pass with a family's
// point functions cached per fit (dist.PointCacher) gives the plain
// pass's numbers to the bit, for every registered family that caches
// them, with forward and reverse KL, on 1 and 2 threads.
func TestPointCacheMatchesPlain(t *testing.T) {
	tested := 0
	for _, name := range dist.Names() {
		f, err := dist.Lookup(name)
		if err != nil {
			continue // built from settings
		}
		if _, ok := f.(dist.PointCacher); !ok {
			continue
		}
		tested++
		g := familyGrid(t, f, 2*4096+99)
		p := bump(g)
		theta, err := dist.Guess(f, g.X, g.Y, p)
		if err != nil {
			t.Fatal(err)
		}
		tr := dist.Unconstrained(f)
		u := make([]float64, len(theta))
		tr.U(u, theta)
		for _, d := range []divergence.Divergence{divergence.ForwardKL{}, divergence.ReverseKL{}} {
			prob := &fit.Problem{Grid: g, P: p, Family: f, Divergence: d, Transform: tr, Init: theta}
			wl, wg := eval(t, prob, fit.Engine{Plain: true, Threads: 1}, u)
			for _, threads := range []int{1, 2} {
				l, g := eval(t, prob, fit.Engine{Threads: threads}, u)
				if math.Float64bits(l) != math.Float64bits(wl) {
					t.Errorf("%s, %s, %d threads: %v, plain %v", name, d.Name(), threads, l, wl)
				}
				for k := range g {
					if math.Float64bits(g[k]) != math.Float64bits(wg[k]) {
						t.Errorf("%s, %s, %d threads: grad[%d] %v, plain %v", name, d.Name(), threads, k, g[k], wg[k])
					}
				}
			}
		}
	}
	if tested == 0 {
		t.Fatal("no registered family caches point functions")
	}
}
