package fit_test

import (
	"encoding/csv"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/divergence"
	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/grid"
)

// powerDivergences are the divergences the Rényi pass evaluates, at the
// orders the tests take.
var powerDivergences = []divergence.Divergence{
	divergence.Renyi{Alpha: 0.1}, divergence.Renyi{Alpha: 0.5}, divergence.Renyi{Alpha: 0.9}, divergence.Hellinger{},
}

// referenceGrid is the grid of testdata/renyi_reference.py.
func referenceGrid(t testing.TB) *grid.Grid {
	a, err := grid.Arange(-10, 10, 0.01)
	if err != nil {
		t.Fatal(err)
	}
	return grid.New1D(a)
}

// referenceTarget returns the targets of testdata/renyi_reference.py: a
// normal, and a bump with zeros outside [-2.0003, 4.0023]. They are
// normalized exactly (each mass the rounding of its share of an exact
// sum): a sum in float64 would be off by a few ulps, and a target scaled
// by 1 + d moves D_alpha by alpha d/(1 - alpha), 9 d at alpha 0.9, which
// would be 1e-11 of a divergence of 0.003.
func referenceTarget(g *grid.Grid, name string) []float64 {
	p := make([]float64, g.Len())
	s := new(big.Float).SetPrec(256)
	for i, x := range g.X {
		if name == "normal" {
			p[i] = math.Exp(-(x - 0.5) * (x - 0.5) / 4)
		} else {
			u := (x - 1.001) / 3.0013
			p[i] = max(0, 1-u*u)
		}
		s.Add(s, big.NewFloat(p[i]))
	}
	for i := range p {
		p[i], _ = new(big.Float).Quo(big.NewFloat(p[i]), s).Float64()
	}
	return p
}

// TestRenyiPassReference checks the Rényi pass (orders 0.1, 0.5, 0.9 and
// Hellinger) against mpmath at 40 digits (testdata/renyi_reference.py,
// which says what it computes) on 2000 points, for models near the
// target, very near it, narrow and far from it, off the grid on either
// side, wider than the grid and narrower than a step, and targets with
// and without zeros: the loss and each gradient component within 1e-12
// relative, or for a divergence near 0 or a gradient component that is a
// small difference of its terms, within 1e-15 of the size of what is
// summed, about 5 ulps (see tolerances). The plain pass is logged beside
// it: off the grid, where its gradient is a sum of large scores that
// cancel, it is up to 1e-4 off. One row, a narrow model far from a
// target with zeros under Rényi of order 0.9, is handed to the general
// pass (see TestRenyiPassHandsOver), whose gradient is 1.5e-12 off like
// the plain pass's: it is logged, not checked here.
func TestRenyiPassReference(t *testing.T) {
	f, err := os.Open("testdata/renyi_reference.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	g := referenceGrid(t)
	targets := map[string][]float64{"normal": referenceTarget(g, "normal"), "zeros": referenceTarget(g, "zeros")}
	num := func(s string) float64 {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	var worst, worstPlain float64
	for _, r := range rows[1:] {
		theta := []float64{num(r[1]), num(r[2])}
		var d divergence.Divergence = divergence.Hellinger{}
		if r[3] == "renyi" {
			d = divergence.Renyi{Alpha: num(r[4])}
		}
		want := []float64{num(r[5]), num(r[6]), num(r[7])}
		prob := &fit.Problem{Grid: g, P: targets[r[0]], Family: dist.Normal{}, Divergence: d, Transform: dist.Identity{}, Init: theta}
		obj := fit.NewObjectiveWith(prob, fit.Engine{Threads: 1})
		taken, own := obj.RenyiPass(theta)
		obj.Close()
		if !taken {
			t.Errorf("%v: the Rényi pass is not taken", r)
		}
		l, grad := eval(t, prob, fit.Engine{Threads: 1}, theta)
		pl, pg := eval(t, prob, fit.Engine{Threads: 1, Plain: true}, theta)
		got, plain := append([]float64{l}, grad...), append([]float64{pl}, pg...)
		tol := tolerances(prob, theta, want)
		for k, w := range want {
			e, ep := math.Abs(got[k]-w)/tol[k], math.Abs(plain[k]-w)/tol[k]
			if !own {
				t.Logf("%v, handed to the general pass: [loss, gradient][%d] %.3g of the tolerance (plain %.3g)", r[:5], k, e, ep)
				continue
			}
			worst, worstPlain = max(worst, e), max(worstPlain, ep)
			if e > 1 {
				t.Errorf("target %s, theta %v, %s: [loss, gradient][%d] = %.17g, mpmath %.17g (%.3g relative; plain %.3g)",
					r[0], theta, divergence.Label(d), k, got[k], w, e*tol[k]/math.Abs(w), ep*tol[k]/math.Abs(w))
			}
		}
	}
	t.Logf("worst error %.3g of the tolerance (the plain pass %.3g)", worst, worstPlain)
}

// tolerances returns the errors allowed in a Rényi or Hellinger loss and
// its gradient (want, exact) with respect to theta: 1e-12 relative, or
// 1e-15 of the size of what is summed, about 5 ulps of it, when that is
// more. S, whose log is (alpha - 1) times D_alpha, adds terms to at most
// 1: rounded to a few ulps, its log is a few 1e-16 off, 1/(1 - alpha) of
// that in D (Hellinger's sum of squares loses no digits). A gradient
// component is sum (h_i - H Q_i) s_ki, near an optimum much smaller than
// its terms (see pairScale).
func tolerances(prob *fit.Problem, theta, want []float64) []float64 {
	tol := make([]float64, len(want))
	size := math.Abs(want[0])
	if r, ok := prob.Divergence.(divergence.Renyi); ok {
		size = max(size, 1e-3/(1-r.Alpha))
	}
	tol[0] = 1e-12 * size
	_, gscale := pairScale(prob, theta)
	for k := range want[1:] {
		tol[k+1] = 1e-12 * max(math.Abs(want[k+1]), 1e-3*gscale[k])
	}
	return tol
}

// TestRenyiPassMatchesPlain is a property test of the Rényi pass against
// the plain pass (the family's log-density, an exp per point), for orders
// 0.1, 0.5 and 0.9 and Hellinger, over random grids of 10^3 to 10^5
// points (10^6 once), targets (normal, some with zeros outside a random
// interval) and models whose vertex lies on the grid, from a grid step
// wide to ten grid widths, anywhere from the target's centre to far from
// it. (Off the grid the plain pass's gradient is a sum of large scores
// that cancel: TestRenyiPassReference checks the pass there against
// mpmath.)
//
// Both passes round the terms they sum, and the results are small
// differences in places; so agreement is 1e-12 relative to the result or
// to the size of what is summed, whichever is larger: for D_alpha,
// log S/(alpha - 1) with S a sum of terms adding to at most 1, whose
// logarithm both take to a few 1e-16 absolute, 1/(1 - alpha); for the
// squared Hellinger distance, a sum of squares, the distance itself; for
// a gradient component, sum (|h_i| + |H| Q_i)|s_ki| (see pairScale), the
// size of the terms whose sum it is, which near the optimum cancel.
func TestRenyiPassMatchesPlain(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	trials := 48
	if testing.Short() {
		trials = 12
	}
	for _, d := range powerDivergences {
		var worst [2]float64 // error over tolerance: loss, gradient
		for trial := range trials {
			n := []int{1000, 10_000, 100_000}[trial%3]
			if trial == 5 && !testing.Short() {
				n = 1_000_000
			}
			prob, u := randomProblem(t, rng, n)
			a := prob.Grid.Axes[0]
			if trial%4 == 3 { // zeros outside a random interval
				lo := rng.IntN(a.N / 2)
				hi := lo + 1 + rng.IntN(a.N-lo-1)
				clear(prob.P[:lo])
				clear(prob.P[hi:])
			}
			var s float64
			for _, p := range prob.P {
				s += p
			}
			if s == 0 {
				continue
			}
			for i := range prob.P {
				prob.P[i] /= s
			}
			// The vertex on the grid.
			prob.Init[0] = a.Start + rng.Float64()*float64(a.N-1)*a.Delta
			prob.Transform.U(u, prob.Init)
			prob.Divergence = d
			obj := fit.NewObjectiveWith(prob, fit.Engine{Threads: 1})
			if taken, _ := obj.RenyiPass(u); !taken {
				t.Fatalf("%s: the Rényi pass is not taken", divergence.Label(d))
			}
			obj.Close()
			fl, fg, ferr := evalErr(prob, fit.Engine{Threads: 1}, u)
			pl, pg, perr := evalErr(prob, fit.Engine{Threads: 1, Plain: true}, u)
			if (ferr == nil) != (perr == nil) || ferr != nil && ferr.Error() != perr.Error() {
				t.Errorf("%s trial %d (n=%d, theta=%v): error %v, plain %v", divergence.Label(d), trial, n, prob.Init, ferr, perr)
				continue
			}
			if ferr != nil {
				continue
			}
			size := math.Abs(pl)
			if r, ok := d.(divergence.Renyi); ok {
				size = max(size, 1/(1-r.Alpha))
			}
			if e := math.Abs(fl-pl) / (1e-12 * size); e > 1 || math.IsNaN(e) {
				t.Errorf("%s trial %d (n=%d, theta=%v): loss %.17g, plain %.17g", divergence.Label(d), trial, n, prob.Init, fl, pl)
			} else {
				worst[0] = max(worst[0], e)
			}
			_, gscale := pairScale(prob, u)
			for k := range fg {
				if e := math.Abs(fg[k]-pg[k]) / (1e-12 * max(math.Abs(pg[k]), gscale[k])); e > 1 || math.IsNaN(e) {
					t.Errorf("%s trial %d (n=%d, theta=%v): grad[%d] %.17g, plain %.17g (terms of size %.3g)",
						divergence.Label(d), trial, n, prob.Init, k, fg[k], pg[k], gscale[k])
				} else {
					worst[1] = max(worst[1], e)
				}
			}
		}
		t.Logf("%s: worst error %.3g of the tolerance for the loss, %.3g for the gradient", divergence.Label(d), worst[0], worst[1])
	}
}

// TestRenyiPassThreads checks that the Rényi pass gives the same loss and
// gradient to the bit on 1, 2, 3 and 7 threads, for each order (the
// registry-driven TestThreadsBitIdenticalEveryFamily takes the default,
// 1/2, only), over several evaluations of one Objective, with and
// without zeros in the target.
func TestRenyiPassThreads(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, d := range powerDivergences {
		for trial := range 2 {
			prob, u0 := randomProblem(t, rng, 100_000)
			if trial == 1 {
				clear(prob.P[:len(prob.P)/3])
			}
			var s float64
			for _, p := range prob.P {
				s += p
			}
			for i := range prob.P {
				prob.P[i] /= s
			}
			a := prob.Grid.Axes[0]
			prob.Init[0] = a.Start + (0.3+0.4*rng.Float64())*float64(a.N-1)*a.Delta
			prob.Transform.U(u0, prob.Init)
			prob.Divergence = d
			var want [][]float64
			for _, threads := range []int{1, 2, 3, 7} {
				obj := fit.NewObjectiveWith(prob, fit.Engine{Threads: threads})
				if taken, _ := obj.RenyiPass(u0); !taken || threads > 1 && obj.Workers() < 2 {
					t.Fatalf("%s, %d threads: Rényi pass %v on %d workers", divergence.Label(d), threads, taken, obj.Workers())
				}
				for k := range 3 {
					u := []float64{u0[0] + 0.05*float64(k), u0[1] - 0.03*float64(k)}
					grad := make([]float64, 2)
					loss, err := obj.Eval(u, grad)
					if err != nil {
						t.Fatalf("%s: %v", divergence.Label(d), err)
					}
					got := append([]float64{loss}, grad...)
					if threads == 1 {
						want = append(want, got)
						continue
					}
					for j := range got {
						if math.Float64bits(got[j]) != math.Float64bits(want[k][j]) {
							t.Errorf("%s trial %d, evaluation %d: %d threads give %v, 1 thread %v", divergence.Label(d), trial, k, threads, got, want[k])
							break
						}
					}
				}
				obj.Close()
			}
		}
	}
}

// TestRenyiPassTaken checks which problems the Rényi pass takes: a normal
// model on a 1-D grid under every registered divergence, with Rényi at
// several orders, takes it exactly for Hellinger and Rényi orders below
// 1, and not with Engine.Plain; other families and 2-D grids never do.
func TestRenyiPassTaken(t *testing.T) {
	a, _ := grid.Arange(-10, 10, 0.05)
	g := grid.New1D(a)
	p := referenceTarget(g, "normal")
	var divs []divergence.Divergence
	for _, name := range divergence.Names() {
		d, err := divergence.New(name, nil)
		if err != nil {
			t.Fatal(err)
		}
		divs = append(divs, d)
	}
	divs = append(divs, divergence.Renyi{Alpha: 0.01}, divergence.Renyi{Alpha: 0.99}, divergence.Renyi{Alpha: 2})
	laplace, err := dist.Lookup("laplace")
	if err != nil {
		t.Fatal(err)
	}
	mix, err := dist.NewMixture(dist.Normal{}, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range divs {
		r, isRenyi := d.(divergence.Renyi)
		want := d.Name() == "hellinger" || isRenyi && r.Alpha < 1
		for _, plain := range []bool{false, true} {
			prob := &fit.Problem{Grid: g, P: p, Family: dist.Normal{}, Divergence: d, Transform: dist.Identity{}, Init: []float64{1, 2}}
			obj := fit.NewObjectiveWith(prob, fit.Engine{Plain: plain})
			if taken, _ := obj.RenyiPass(prob.Init); taken != (want && !plain) {
				t.Errorf("normal, %s, plain %v: the Rényi pass taken %v", divergence.Label(d), plain, taken)
			}
			obj.Close()
		}
		for _, f := range []dist.Family{laplace, mix} {
			theta := []float64{1, 2}
			if f == mix {
				theta = mix.Theta([]float64{0.5, 0.5}, [][]float64{{-1, 1}, {1, 2}})
			}
			prob := &fit.Problem{Grid: g, P: p, Family: f, Divergence: d, Transform: dist.Identity{}, Init: theta}
			obj := fit.NewObjectiveWith(prob, fit.Engine{})
			if taken, _ := obj.RenyiPass(theta); taken {
				t.Errorf("%s, %s: the Rényi pass taken", f.Name(), divergence.Label(d))
			}
			obj.Close()
		}
	}
}

// TestRenyiPassHandsOver checks the evaluations the Rényi pass hands to
// the general pass (see the renyiPass doc): a target and a model that
// share no mass (the plain pass's masses underflow to 0 where the other's
// are positive: +Inf with the same error), and a model so far from the
// target that the terms of S the plain pass leaves out (its model masses
// that underflow) could count, where the loss and gradient agree with the
// plain pass's; Hellinger, never infinite, is evaluated by the pass
// itself and agrees too.
func TestRenyiPassHandsOver(t *testing.T) {
	g := referenceGrid(t)
	zeros := referenceTarget(g, "zeros")
	far := make([]float64, g.Len()) // N(-2.83, 0.01)
	var s float64
	for i, x := range g.X {
		far[i] = math.Exp(-(x + 2.83) * (x + 2.83) / 0.02)
		s += far[i]
	}
	for i := range far {
		far[i] /= s
	}
	// own: whether the pass evaluates each of powerDivergences itself.
	// Rényi of order 0.1 keeps the model's masses near underflow, of
	// order 0.5 and 0.9 the target's, which count there.
	cases := []struct {
		name  string
		p     []float64
		theta []float64
		own   []bool
	}{
		{"no common mass", zeros, []float64{9, 1e-4}, []bool{false, false, false, true}},
		{"terms near underflow", far, []float64{2.83, 0.01}, []bool{true, false, false, true}},
	}
	for _, c := range cases {
		for i, d := range powerDivergences {
			prob := &fit.Problem{Grid: g, P: c.p, Family: dist.Normal{}, Divergence: d, Transform: dist.Identity{}, Init: c.theta}
			obj := fit.NewObjectiveWith(prob, fit.Engine{Threads: 1})
			taken, own := obj.RenyiPass(c.theta)
			obj.Close()
			_, hell := d.(divergence.Hellinger)
			if !taken || own != c.own[i] {
				t.Errorf("%s, %s: the Rényi pass taken %v, evaluates %v", c.name, divergence.Label(d), taken, own)
			}
			fl, fg, ferr := evalErr(prob, fit.Engine{Threads: 1}, c.theta)
			pl, pg, perr := evalErr(prob, fit.Engine{Threads: 1, Plain: true}, c.theta)
			if (ferr == nil) != (perr == nil) || ferr != nil && ferr.Error() != perr.Error() {
				t.Errorf("%s, %s: error %v, plain %v", c.name, divergence.Label(d), ferr, perr)
				continue
			}
			if c.name == "no common mass" && !hell && !math.IsInf(fl, 1) {
				t.Errorf("%s, %s: loss %v, want +Inf", c.name, divergence.Label(d), fl)
			}
			if ferr != nil {
				continue
			}
			if math.Abs(fl-pl) > 1e-12*math.Abs(pl) {
				t.Errorf("%s, %s: loss %.17g, plain %.17g", c.name, divergence.Label(d), fl, pl)
			}
			// Hellinger's gradient, sum sqrt(P Q) (s - E_Q[s]) / 2, is
			// about 1e-170 here, the plain pass's the rounding of the
			// terms it sums, of size gscale.
			_, gscale := pairScale(prob, c.theta)
			for k := range fg {
				if math.Abs(fg[k]-pg[k]) > 1e-12*max(math.Abs(pg[k]), gscale[k]) {
					t.Errorf("%s, %s: grad[%d] %.17g, plain %.17g", c.name, divergence.Label(d), k, fg[k], pg[k])
				}
			}
		}
	}
}
