package fit

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/divergence"
	"github.com/klfit/klfit/grid"
	"github.com/klfit/klfit/target"
)

// skewCase is a skew-normal model (loc, scale, alpha) placed on a grid
// [lo, hi] of step h: loc = lo + at (hi - lo), scale = width (hi - lo) or,
// when cells is set, cells h.
type skewCase struct {
	name             string
	at, width, alpha float64
	cells            float64
	// fast says whether forward KL's pass must evaluate the model (not
	// hand it to the general pass).
	fast bool
}

var skewCases = []skewCase{
	{"alpha 0", 0.5, 0.1, 0, 0, true},
	{"alpha 1e-9", 0.4, 0.1, 1e-9, 0, true},
	{"alpha 1e-200 (E is 1)", 0.4, 0.1, 1e-200, 0, true},
	{"alpha 1", 0.45, 0.12, 1, 0, true},
	{"alpha -3", 0.6, 0.2, -3, 0, true},
	{"alpha 100", 0.3, 0.1, 100, 0, true},
	{"alpha -100", 0.7, 0.05, -100, 0, true},
	{"alpha 1e4", 0.5, 0.1, 1e4, 0, true},
	{"wider than the grid", 0.5, 10, 2, 0, true},
	{"a few cells", 0.5, 0, -5, 3, true},
	{"narrower than a cell", 0.5, 0, 2, 0.2, true},
	{"narrower than a cell, alpha 100", 0.5, 0, 100, 0.3, true},
	{"mode left of the grid, right tail on it", -0.3, 0.1, 5, 0, true},
	{"mode right of the grid, left tail on it", 1.3, 0.1, -5, 0, true},
	{"right of the grid, skewed away from it", 1.05, 0.1, 30, 0, true},
	{"left of the grid, skewed away from it", -0.05, 0.1, -30, 0, true},
	{"far off the grid", 30, 0.1, 1, 0, false},
	{"scale 1e-160 cells (1/scale^2 overflows)", 0.5, 0, 1, 1e-160, false},
	{"alpha 1e200 (alpha^2 overflows)", 0.5, 0.1, 1e200, 0, false},
	{"just off the grid, skewed away, alpha 1e4", 1.002, 0.1, 1e4, 0, false},
}

// TestSkewKLPassMatchesPlain is a property test of forward KL's pass for
// a skew-normal against the plain pass (the family's log-density and
// scores, log Phi and the hazard from erfc, an exp a point), on grids of
// one and several chunks, 1 and 2 threads, targets normal, skewed, and
// zero on half the grid, at the models of skewCases and at random ones
// (locations from far off the grid to its middle, scales from a tenth of
// a cell to ten grid widths, alpha from 0 and 1e-4 to 1e4 either way).
//
// Agreement, where the pass evaluates: the loss within 1e-12 of the
// larger of the KL and the size of its terms, sum P |log P - log Q| (each
// pass rounds each term to about 1e-16 of itself, and the recurrence's Q
// is good to about 2e-13); each gradient entry within 1e-12 of the size of
// its terms, sum (P + C Q)|s_k|, s_k the family's score, C the target's
// mass; the log of the model's mass on the grid within 1e-12. To each the
// plain pass's own error is added where it is larger: it takes Q as
// exp(l - log sum exp l), l the log-density, each l rounded to about
// eps |l|, so that Q is good only to 2 eps (|l| + |log sum exp l|)
// relative; for a model hundreds of scales from the grid (l about -36000
// at the grid's nearest point) that put its gradient 5.5e-9 (6e-12
// relative) from a sum of accurate terms, which the pass was within
// 4e-16 of. Where the pass hands the evaluation to the general one, the
// results are the plain pass's to the bit. Every model of skewCases
// marked fast, at least 90% of the random ones, and every one with at
// least MinGridMass of its mass on the grid must take the pass, unless
// 1/scale^2 or (alpha/scale)^2 overflows (it hands on only models whose
// terms all fall below 2^-900 of the largest normal term A: with a mass m
// on the grid, sum A Phi is at least m scale sqrt(2 pi)/(2 h), so only
// models narrower than 1e-268 cells).
func TestSkewKLPassMatchesPlain(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	randomFast, randomAll := 0, 0
	var worstLoss, worstGrad float64 // the largest difference over its bound
	for gi, n := range []int{200, 3*4096 + 77, 50_000} {
		if testing.Short() && n > 20_000 {
			continue
		}
		lo := -20 + 15*rng.Float64()
		hi := lo + 5 + 30*rng.Float64()
		a, err := grid.Arange(lo, hi, (hi-lo)/float64(n))
		if err != nil {
			t.Fatal(err)
		}
		g := grid.New1D(a)
		w := hi - lo
		for _, tgt := range []string{"normal", "skewed", "half zero"} {
			p := skewTarget(t, g, tgt, lo, w)
			cases := append([]skewCase(nil), skewCases...)
			for k := range 12 {
				// Scales from a tenth of a cell to ten grid widths, alpha
				// 0 or from 1e-4 to 1e4 either way, all on log scales.
				c := skewCase{name: fmt.Sprintf("random %d", k), at: 0.5 + rng.NormFloat64()}
				c.cells = math.Exp(rng.Float64()*math.Log(100*float64(n))) / 10
				if k%4 != 0 {
					c.alpha = math.Copysign(math.Exp(rng.Float64()*math.Log(1e8))*1e-4, rng.Float64()-0.5)
				}
				cases = append(cases, c)
			}
			for _, c := range cases {
				theta := []float64{lo + c.at*w, c.width * w, c.alpha}
				if c.cells > 0 {
					theta[1] = c.cells * a.Delta
				}
				prob := &Problem{Grid: g, P: p, Family: dist.SkewNormal{}, Divergence: divergence.ForwardKL{}, Transform: dist.Identity{}, Init: theta}
				plain := NewObjectiveWith(prob, Engine{Plain: true, Threads: 1})
				pg := make([]float64, 3)
				pl, perr := plain.Eval(theta, pg)
				plogSum := plain.gridLogSum
				plain.Close()
				size, gsize := skewSizes(prob, theta)
				for _, threads := range []int{1, 2} {
					where := fmt.Sprintf("grid %d, %s target, %s %v, %d threads", gi, tgt, c.name, theta, threads)
					obj := NewObjectiveWith(prob, Engine{Threads: threads})
					if obj.kl == nil {
						t.Fatalf("%s: forward KL for a skew-normal does not take its pass", where)
					}
					fg := make([]float64, 3)
					fl, ferr := obj.Eval(theta, fg)
					fast := obj.general == nil
					flogSum := obj.gridLogSum
					obj.Close()
					if c.name[:6] == "random" {
						if threads == 1 {
							randomAll++
							if fast {
								randomFast++
							}
						}
					} else if fast != c.fast {
						t.Errorf("%s: the pass evaluated it: %v, want %v", where, fast, c.fast)
					}
					if (ferr == nil) != (perr == nil) || ferr != nil && ferr.Error() != perr.Error() {
						t.Errorf("%s: error %v, plain %v", where, ferr, perr)
						continue
					}
					if !fast {
						overflow := math.IsInf(theta[2]*theta[2]/(theta[1]*theta[1]), 1) || math.IsInf(1/(theta[1]*theta[1]), 1)
						if plogSum+math.Log(a.Delta) >= math.Log(MinGridMass) && !overflow {
							t.Errorf("%s: a model with %.3g of its mass on the grid does not take the pass", where, math.Exp(plogSum)*a.Delta)
						}
						if math.Float64bits(fl) != math.Float64bits(pl) || flogSum != plogSum {
							t.Errorf("%s: the general pass gives %v (log mass %v), plain %v (%v)", where, fl, flogSum, pl, plogSum)
						}
						for k := range fg {
							if math.Float64bits(fg[k]) != math.Float64bits(pg[k]) {
								t.Errorf("%s: the general pass's grad[%d] %v, plain %v", where, k, fg[k], pg[k])
							}
						}
						continue
					}
					if ferr != nil {
						continue
					}
					worstLoss = math.Max(worstLoss, math.Abs(fl-pl)/(1e-12*math.Max(math.Abs(pl), size)))
					if d := math.Abs(fl - pl); !(d <= 1e-12*math.Max(math.Abs(pl), size)) {
						t.Errorf("%s: loss %.17g, plain %.17g: %.3g apart, terms of size %.3g", where, fl, pl, d, size)
					}
					if d := math.Abs(flogSum - plogSum); !(d <= 1e-12*math.Max(1, math.Abs(plogSum))) {
						t.Errorf("%s: log of the grid sum %.17g, plain %.17g", where, flogSum, plogSum)
					}
					for k := range fg {
						if fg[k] != pg[k] {
							worstGrad = math.Max(worstGrad, math.Abs(fg[k]-pg[k])/(1e-12*gsize[k]))
						}
						if d := math.Abs(fg[k] - pg[k]); !(d <= 1e-12*gsize[k]) {
							t.Errorf("%s: grad[%d] %.17g, plain %.17g: %.3g apart, terms of size %.3g", where, k, fg[k], pg[k], d, gsize[k])
						}
					}
				}
			}
		}
	}
	t.Logf("the pass evaluated %d of %d random models; the worst differences are %.2g (loss) and %.2g (gradient) of their bounds",
		randomFast, randomAll, worstLoss, worstGrad)
	if randomFast < randomAll*9/10 {
		t.Errorf("the pass evaluated %d of %d random models, want at least 90%%", randomFast, randomAll)
	}
}

// skewTarget returns target masses on g: a normal, a skew-normal, or a
// normal on the right half of the grid and 0 on the left.
func skewTarget(t *testing.T, g *grid.Grid, kind string, lo, w float64) []float64 {
	t.Helper()
	var f dist.Family = dist.Normal{}
	theta := []float64{lo + 0.45*w, w * w / 64}
	if kind == "skewed" {
		f, theta = dist.SkewNormal{}, []float64{lo + 0.4*w, w / 6, 4}
	}
	p, err := target.Masses(target.Family{Family: f, Theta: theta}, g, target.Normalized)
	if err != nil {
		t.Fatal(err)
	}
	if kind == "half zero" {
		var s float64
		for i, x := range g.X {
			if x < lo+w/2 {
				p[i] = 0
			}
			s += p[i]
		}
		for i := range p {
			p[i] /= s
		}
	}
	return p
}

// skewSizes returns, at theta, the size of forward KL's terms,
// sum P |log P - log Q|, and of each gradient entry's, sum (P + C Q)|s_k|,
// from the family's own log-density l and scores, or where larger the
// two passes' own errors, in units of 1e-12: the plain pass's (see
// TestSkewKLPassMatchesPlain) 2 eps sum P (|l| + |L|), L = log sum exp l,
// and 2 eps sum C Q (|l| + |L|)|s_k|; and the fast pass's, which takes
// the loss as sum P log P less sums over the model's terms, each of the
// size of sum P |log P| or sum P |l|, so that near the optimum, where
// log P - log Q is small, the loss is a difference of numbers of that
// size: the same bound with |log P| added, for the two passes 4 eps.
func skewSizes(prob *Problem, theta []float64) (float64, []float64) {
	n := prob.Grid.Len()
	l := make([]float64, n)
	sc := [][]float64{make([]float64, n), make([]float64, n), make([]float64, n)}
	dist.SkewNormal{}.Eval(theta, prob.Grid.X, nil, l, sc)
	m := math.Inf(-1)
	for _, v := range l {
		m = math.Max(m, v)
	}
	var z, c float64
	for _, v := range l {
		z += math.Exp(v - m)
	}
	lz := m + math.Log(z)
	const plainErr = 2 * 0x1p-52 / 1e-12
	var size, perr float64
	for i, p := range prob.P {
		c += p
		if p > 0 {
			size += p * math.Abs(math.Log(p)-(l[i]-lz))
			perr += 2 * p * (math.Abs(math.Log(p)) + math.Abs(l[i]) + math.Abs(lz))
		}
	}
	gs := make([]float64, 3)
	for k := range gs {
		var s, e float64
		for i, p := range prob.P {
			q := math.Exp(l[i] - lz)
			a := math.Abs(sc[k][i])
			s += (p + c*q) * a
			e += c * q * (math.Abs(l[i]) + math.Abs(lz)) * a
		}
		gs[k] = math.Max(s, plainErr*e)
	}
	return math.Max(size, plainErr*perr), gs
}

// TestSkewKLPassRelative checks forward KL's pass for a skew-normal
// against the plain pass at 1e-12 relative, of the loss and of each
// gradient entry, where that is a fair bound: models away from the
// optimum, so that no entry is a near-cancellation of its terms (each at
// least 1e-3 of their size, sum (P + C Q)|s_k|, whose rounding by both
// passes is near 1e-16 of it), on the benchmark's grid (10^5 points on
// [-8, 8], a standard normal target) and at 10^6 points. Near the
// optimum (the target is the member alpha = 0), where the KL is 1e-5 to
// 1e-14, the loss is checked against the size of its terms as in
// TestSkewKLPassMatchesPlain.
func TestSkewKLPassRelative(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	for _, n := range []int{100_000, 1_000_000} {
		if testing.Short() && n > 100_000 {
			continue
		}
		a, err := grid.Arange(-8, 8, 16/float64(n))
		if err != nil {
			t.Fatal(err)
		}
		g := grid.New1D(a)
		p, err := target.Masses(target.Family{Family: dist.Normal{}, Theta: []float64{0, 1}}, g, target.Normalized)
		if err != nil {
			t.Fatal(err)
		}
		models := [][]float64{{0.5, 1.5, 1}} // the benchmark's start
		count := 20
		if n > 100_000 {
			count = 5
		}
		for range count {
			models = append(models, []float64{4*rng.Float64() - 2, math.Exp(2.3*rng.Float64() - 1.2), 20*rng.Float64() - 10})
		}
		tested, worst := 0, 0.0
		for _, theta := range models {
			prob := &Problem{Grid: g, P: p, Family: dist.SkewNormal{}, Divergence: divergence.ForwardKL{}, Transform: dist.Identity{}, Init: theta}
			_, gsize := skewSizes(prob, theta)
			plain := NewObjectiveWith(prob, Engine{Plain: true, Threads: 1})
			pg := make([]float64, 3)
			pl, perr := plain.Eval(theta, pg)
			plain.Close()
			obj := NewObjectiveWith(prob, Engine{Threads: 1})
			fg := make([]float64, 3)
			fl, ferr := obj.Eval(theta, fg)
			fast := obj.general == nil
			obj.Close()
			if perr != nil || ferr != nil || !fast {
				t.Fatalf("theta %v: errors %v, %v; the pass evaluated it: %v", theta, ferr, perr, fast)
			}
			skip := false
			for k := range pg {
				skip = skip || math.Abs(pg[k]) < 1e-3*gsize[k]
			}
			if skip {
				continue
			}
			tested++
			worst = math.Max(worst, math.Abs(fl-pl)/math.Abs(pl))
			if !(math.Abs(fl-pl) <= 1e-12*math.Abs(pl)) {
				t.Errorf("n=%d, theta %v: loss %.17g, plain %.17g", n, theta, fl, pl)
			}
			for k := range fg {
				worst = math.Max(worst, math.Abs(fg[k]-pg[k])/math.Abs(pg[k]))
				if !(math.Abs(fg[k]-pg[k]) <= 1e-12*math.Abs(pg[k])) {
					t.Errorf("n=%d, theta %v: grad[%d] %.17g, plain %.17g", n, theta, k, fg[k], pg[k])
				}
			}
		}
		t.Logf("n=%d: %d of %d models, worst relative difference %.2g", n, tested, len(models), worst)
		if tested < len(models)/2 {
			t.Errorf("n=%d: only %d of %d models away from cancellation", n, tested, len(models))
		}
		for _, theta := range [][]float64{{0, 1, 0}, {1e-3, 1.001, 0.01}, {-0.01, 0.99, -0.1}} {
			prob := &Problem{Grid: g, P: p, Family: dist.SkewNormal{}, Divergence: divergence.ForwardKL{}, Transform: dist.Identity{}, Init: theta}
			size, _ := skewSizes(prob, theta)
			pl, _, perr := evalAt(prob, Engine{Plain: true, Threads: 1}, theta)
			fl, _, ferr := evalAt(prob, Engine{Threads: 1}, theta)
			if perr != nil || ferr != nil {
				t.Fatal(perr, ferr)
			}
			if !(math.Abs(fl-pl) <= 1e-12*math.Max(math.Abs(pl), size)) {
				t.Errorf("n=%d, theta %v: loss %.17g, plain %.17g, terms of size %.3g", n, theta, fl, pl, size)
			}
		}
	}
}

func evalAt(prob *Problem, eng Engine, theta []float64) (float64, []float64, error) {
	obj := NewObjectiveWith(prob, eng)
	defer obj.Close()
	grad := make([]float64, len(theta))
	loss, err := obj.Eval(theta, grad)
	return loss, grad, err
}
