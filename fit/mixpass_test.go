package fit_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/divergence"
	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/grid"
)

// mixPoints are mixtures of normals (weights, means, variances) that the
// mixture pass must evaluate as the plain pass does: well separated
// components, overlapping ones, one narrow and far from 0, a weight near
// 0, two narrow components far apart (the terms underflow between them,
// where the pass takes the exact log-sum-exp), three components, and a
// model so far off the grid that every point takes it (forward KL's pass
// then hands the evaluation to the general one).
var mixPoints = []struct {
	name      string
	w, mu, vr []float64
}{
	{"separated", []float64{0.4, 0.6}, []float64{-4, 4}, []float64{1, 1.5}},
	{"overlapping", []float64{0.5, 0.5}, []float64{0, 0.3}, []float64{1, 2}},
	{"narrow far", []float64{0.7, 0.3}, []float64{0, 21.3}, []float64{2, 1e-3}},
	{"weight near 0", []float64{1 - 1e-9, 1e-9}, []float64{1, 3}, []float64{1, 0.5}},
	{"underflow between", []float64{0.5, 0.5}, []float64{-9, 9.8}, []float64{0.05, 1e-3}},
	{"three", []float64{0.2, 0.5, 0.3}, []float64{-5, 0, 6}, []float64{0.5, 2, 1}},
	{"far off the grid", []float64{0.5, 0.5}, []float64{80, 90}, []float64{1, 2}},
}

// TestMixturePassMatchesPlain is a property test of the general pass for
// a mixture of normals on a 1-D grid (components' terms by recurrence,
// responsibilities in place of the scores, the gradient through the terms
// d and d^2 of each component) against the plain pass (the family's
// log-sum-exp and scores), for every registered divergence, at the
// mixtures of mixPoints, on grids of one and several chunks, 1 and 2
// threads. Agreement is 1e-12 relative to the size of the terms summed,
// as in TestLinePassMatchesPlain: for the value
// sum (P + Q)(|log P| + |log Q|), at least 1; for the gradient (raw
// parameters) sum (|h_i| + |H| Q_i)|s_ki|.
func TestMixturePassMatchesPlain(t *testing.T) {
	for _, n := range []int{200, 3*4096 + 77} {
		a, err := grid.Arange(-10, 25, 35/float64(n))
		if err != nil {
			t.Fatal(err)
		}
		g := grid.New1D(a)
		p := make([]float64, g.Len())
		var s float64
		for i, x := range g.X {
			p[i] = 0.5*math.Exp(-(x+2)*(x+2)/2) + 0.25*math.Exp(-(x-3)*(x-3)/8)
			s += p[i]
		}
		for i := range p {
			p[i] /= s
		}
		for _, pt := range mixPoints {
			f, err := dist.New("mixture", dist.Config{Components: len(pt.w), Component: "normal"})
			if err != nil {
				t.Fatal(err)
			}
			mx := f.(*dist.Mixture)
			comps := make([][]float64, len(pt.w))
			for c := range comps {
				comps[c] = []float64{pt.mu[c], pt.vr[c]}
			}
			theta := mx.Theta(pt.w, comps)
			for _, name := range divergence.Names() {
				d, err := divergence.New(name, nil)
				if err != nil {
					t.Fatal(err)
				}
				prob := &fit.Problem{Grid: g, P: p, Family: f, Divergence: d, Transform: dist.Identity{}, Init: theta}
				pl, pg, perr := evalErr(prob, fit.Engine{Plain: true, Threads: 1}, theta)
				if perr != nil { // no gradient (total variation): values
					pg = nil
					pl, perr = evalValue(prob, fit.Engine{Plain: true, Threads: 1}, theta)
				}
				scale, gscale := famScale(prob, theta)
				for _, threads := range []int{1, 2} {
					where := fmt.Sprintf("%s, %s, n=%d, %d threads", pt.name, name, n, threads)
					var fl float64
					var fg []float64
					var ferr error
					if pg != nil {
						fl, fg, ferr = evalErr(prob, fit.Engine{Threads: threads}, theta)
					} else {
						fl, ferr = evalValue(prob, fit.Engine{Threads: threads}, theta)
					}
					if (ferr == nil) != (perr == nil) || (ferr != nil && ferr.Error() != perr.Error()) {
						t.Errorf("%s: error %v, plain %v", where, ferr, perr)
						continue
					}
					if ferr != nil {
						continue
					}
					if !agree(fl, pl, scale) {
						t.Errorf("%s: value %.17g, plain %.17g", where, fl, pl)
					}
					for k := range fg {
						if !agree(fg[k], pg[k], gscale[k]) {
							t.Errorf("%s: grad[%d] %.17g, plain %.17g (scale %.3g)", where, k, fg[k], pg[k], gscale[k])
						}
					}
				}
			}
		}
	}
}

func evalValue(prob *fit.Problem, eng fit.Engine, u []float64) (float64, error) {
	obj := fit.NewObjectiveWith(prob, eng)
	defer obj.Close()
	return obj.Eval(u, nil)
}

// famScale is pairScale for any family and raw parameters: the size of
// the value's terms, and of each gradient entry's, from the family's own
// log-density and scores.
func famScale(prob *fit.Problem, theta []float64) (float64, []float64) {
	n, k := prob.Grid.Len(), len(theta)
	l := make([]float64, n)
	sc := make([][]float64, k)
	for j := range sc {
		sc[j] = make([]float64, n)
	}
	prob.Family.Eval(theta, prob.Grid.X, nil, l, sc)
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
	gs := make([]float64, k)
	if _, err := prob.Divergence.Eval(prob.P, logp, q, l, h); err != nil {
		for j := range gs {
			gs[j] = math.Inf(1)
		}
		return s, gs
	}
	var hsum float64
	for _, v := range h {
		hsum += v
	}
	for j := range gs {
		for i := range h {
			gs[j] += (math.Abs(h[i]) + math.Abs(hsum)*q[i]) * math.Abs(sc[j][i])
		}
	}
	return s, gs
}

// TestMixtureKLLargeGrid checks forward KL's mixture pass against the
// plain pass on 10^6 points, relative to the size of the KL's own terms,
// sum P |log P - log Q| (both passes sum those terms, each rounding to
// about 1e-16 of them): a pass that took sum P log P - sum P log s +
// C log Z, whose terms are of the size of log P and cancel to the KL,
// was 7.6e-13 off here, 3.7e-12 of the KL.
func TestMixtureKLLargeGrid(t *testing.T) {
	if testing.Short() {
		t.Skip("10^6 points")
	}
	a, err := grid.Arange(-8, 8, 16e-6)
	if err != nil {
		t.Fatal(err)
	}
	g := grid.New1D(a)
	p := make([]float64, g.Len())
	var s float64
	for i, x := range g.X {
		p[i] = math.Exp(-x * x / 2)
		s += p[i]
	}
	for i := range p {
		p[i] /= s
	}
	mx, err := dist.NewMixture(dist.Normal{}, 2)
	if err != nil {
		t.Fatal(err)
	}
	theta := mx.Theta([]float64{0.3, 0.7}, [][]float64{{-1, 1}, {1, 2}})
	prob := &fit.Problem{Grid: g, P: p, Family: mx, Divergence: divergence.ForwardKL{}, Transform: dist.Identity{}, Init: theta}
	fl, _, ferr := evalErr(prob, fit.Engine{Threads: 1}, theta)
	pl, _, perr := evalErr(prob, fit.Engine{Threads: 1, Plain: true}, theta)
	if ferr != nil || perr != nil {
		t.Fatal(ferr, perr)
	}
	l := make([]float64, g.Len())
	mx.Eval(theta, g.X, nil, l, nil)
	m := math.Inf(-1)
	for _, v := range l {
		m = math.Max(m, v)
	}
	var z float64
	for _, v := range l {
		z += math.Exp(v - m)
	}
	var size float64
	for i, pi := range p {
		if pi > 0 {
			size += pi * math.Abs(math.Log(pi)-(l[i]-m-math.Log(z)))
		}
	}
	if math.Abs(fl-pl) > 1e-12*size {
		t.Errorf("mixture pass %.17g, plain %.17g: %.3g apart, terms of size %.3g", fl, pl, fl-pl, size)
	}
}
