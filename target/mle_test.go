package target_test

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/divergence"
	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/grid"
	"github.com/klfit/klfit/target"
)

// testExponential and testLaplace are minimal families for these tests
// only (the catalogue's own live in package dist), written from their
// textbook densities; their scores are checked against finite differences
// below before they are trusted.
type testExponential struct{}

func (testExponential) Name() string        { return "test_exponential" }
func (testExponential) Description() string { return "exponential, for tests" }
func (testExponential) Dim() int            { return 1 }
func (testExponential) Support() string     { return "[0, inf)" }
func (testExponential) Params() []dist.Param {
	return []dist.Param{{Name: "rate", Constraint: dist.Positive}}
}
func (testExponential) Eval(theta, x, _, logp []float64, score [][]float64) {
	r := theta[0]
	for i, xi := range x {
		if xi < 0 {
			logp[i] = math.Inf(-1)
			if score != nil {
				score[0][i] = 0
			}
			continue
		}
		logp[i] = math.Log(r) - r*xi
		if score != nil {
			score[0][i] = 1/r - xi
		}
	}
}

type testLaplace struct{}

func (testLaplace) Name() string        { return "test_laplace" }
func (testLaplace) Description() string { return "Laplace, for tests" }
func (testLaplace) Dim() int            { return 1 }
func (testLaplace) Support() string     { return "(-inf, inf)" }
func (testLaplace) Params() []dist.Param {
	return []dist.Param{{Name: "loc", Constraint: dist.Real}, {Name: "scale", Constraint: dist.Positive}}
}
func (testLaplace) Eval(theta, x, _, logp []float64, score [][]float64) {
	m, b := theta[0], theta[1]
	for i, xi := range x {
		a := math.Abs(xi - m)
		logp[i] = -a/b - math.Log(2*b)
		if score != nil {
			s := 0.0
			if xi > m {
				s = 1
			} else if xi < m {
				s = -1
			}
			score[0][i] = s / b
			score[1][i] = a/(b*b) - 1/b
		}
	}
}

func TestTestFamilyScores(t *testing.T) {
	x := []float64{0.3, 1.7, 4.2, -0.9}
	for _, c := range []struct {
		f     dist.Family
		theta []float64
	}{{testExponential{}, []float64{0.8}}, {testLaplace{}, []float64{0.2, 1.3}}} {
		k := len(c.theta)
		lp := make([]float64, len(x))
		score := make([][]float64, k)
		for j := range score {
			score[j] = make([]float64, len(x))
		}
		c.f.Eval(c.theta, x, nil, lp, score)
		for j := 0; j < k; j++ {
			up, dn := append([]float64(nil), c.theta...), append([]float64(nil), c.theta...)
			up[j] += 1e-6
			dn[j] -= 1e-6
			lu, ld := make([]float64, len(x)), make([]float64, len(x))
			c.f.Eval(up, x, nil, lu, nil)
			c.f.Eval(dn, x, nil, ld, nil)
			for i := range x {
				if math.IsInf(lp[i], -1) {
					continue
				}
				// Central differences with step 1e-6: error ~1e-10.
				if fd := (lu[i] - ld[i]) / 2e-6; math.Abs(fd-score[j][i]) > 1e-7 {
					t.Errorf("%s: score %d at %v = %v, finite differences %v", c.f.Name(), j, x[i], score[j][i], fd)
				}
			}
		}
	}
}

// binned returns the grid points as samples with the histogram's counts as
// weights: the data the fit sees.
func binned(g *grid.Grid, p []float64) (xs, ws []float64) {
	for i, v := range p {
		if v > 0 {
			xs = append(xs, g.X[i])
			ws = append(ws, v)
		}
	}
	return xs, ws
}

func fitSamples(t *testing.T, g *grid.Grid, s *target.Samples, fam dist.Family, init []float64, lr float64, epochs int) ([]float64, []float64) {
	t.Helper()
	p, err := target.Masses(s, g, target.Normalized)
	if err != nil {
		t.Fatal(err)
	}
	prob := &fit.Problem{Grid: g, P: p, Family: fam, Divergence: divergence.ForwardKL{}, Transform: dist.Unconstrained(fam), Init: init}
	res, err := fit.Run(context.Background(), prob, fit.Options{Optimizer: &fit.GD{LearningRate: lr}, Epochs: epochs})
	if err != nil || res.Status != fit.MaxEpochs {
		t.Fatalf("fit: %v %v %v", res.Status, err, res.Failure)
	}
	return res.Theta(), p
}

// TestSamplesMaximumLikelihood shows that minimizing forward KL to a
// samples target (histogram estimator) is maximum likelihood: the fitted
// parameters are gonum's distuv Fit (the closed-form MLE) of the binned
// data, the grid points weighted by their counts, to the optimizer's and
// the grid's precision; and they are the MLE of the raw samples within
// what binning can move it.
func TestSamplesMaximumLikelihood(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n = 5000
	step := 0.05

	t.Run("normal", func(t *testing.T) {
		raw := make([]float64, n)
		for i := range raw {
			raw[i] = rng.NormFloat64()*1.5 + 0.5
		}
		g := grid1(t, -9, 10, step)
		s := &target.Samples{Path: write(t, "s.csv", csvColumn("x", raw, ""))}
		theta, p := fitSamples(t, g, s, dist.Normal{}, []float64{0, 1}, 1, 400)
		var ref distuv.Normal
		xs, ws := binned(g, p)
		ref.Fit(xs, ws)
		// The grid's normal has the continuous normal's moments up to
		// exponentially small terms (step/sigma = 0.03), so only the
		// optimizer's convergence (1e-9 after 400 steps) separates them.
		if math.Abs(theta[0]-ref.Mu) > 1e-7 || math.Abs(theta[1]-ref.Sigma*ref.Sigma) > 1e-7 {
			t.Errorf("fit mean %v variance %v; MLE of the binned data %v %v", theta[0], theta[1], ref.Mu, ref.Sigma*ref.Sigma)
		}
		var rawRef distuv.Normal
		rawRef.Fit(raw, nil)
		// Binning moves each sample by at most step/2: the mean by at most
		// step/2, the variance by at most sigma*step + step^2/4.
		sd := rawRef.Sigma
		if math.Abs(theta[0]-rawRef.Mu) > step/2 || math.Abs(theta[1]-sd*sd) > sd*step+step*step/4 {
			t.Errorf("fit %v; MLE of the raw samples %v %v", theta, rawRef.Mu, sd*sd)
		}
	})

	t.Run("exponential", func(t *testing.T) {
		raw := make([]float64, n)
		for i := range raw {
			raw[i] = rng.ExpFloat64() / 0.8
		}
		// Grid points at the cell midpoints (k+1/2) step, so that the cells
		// are [k step, (k+1) step) and the grid model's masses are the
		// exponential's exact cell probabilities.
		g := grid1(t, step/2, 40, step)
		s := &target.Samples{Path: write(t, "s.csv", csvColumn("", raw, ""))}
		theta, p := fitSamples(t, g, s, testExponential{}, []float64{2}, 0.5, 600)
		var ref distuv.Exponential
		xs, ws := binned(g, p)
		ref.Fit(xs, ws)
		// The midpoint-discretized exponential's mean differs from 1/rate
		// by rate*step^2/12 relative (1.3e-4 here); 1e-3 relative.
		if math.Abs(theta[0]-ref.Rate) > 1e-3*ref.Rate {
			t.Errorf("fit rate %v; MLE of the binned data %v", theta[0], ref.Rate)
		}
		var rawRef distuv.Exponential
		rawRef.Fit(raw, nil)
		// Binning moves the mean by at most step/2: the rate by at most
		// rate*step/2 relative.
		if math.Abs(theta[0]-rawRef.Rate) > rawRef.Rate*rawRef.Rate*step/2*1.01 {
			t.Errorf("fit rate %v; MLE of the raw samples %v", theta[0], rawRef.Rate)
		}
	})

	t.Run("laplace", func(t *testing.T) {
		raw := make([]float64, n)
		for i := range raw {
			raw[i] = distuv.Laplace{Mu: 1, Scale: 0.7, Src: rng}.Rand()
		}
		g := grid1(t, -12, 14, step)
		s := &target.Samples{Path: write(t, "s.csv", csvColumn("", raw, ""))}
		theta, p := fitSamples(t, g, s, testLaplace{}, []float64{0, 1}, 0.02, 3000)
		var ref distuv.Laplace
		xs, ws := binned(g, p)
		ref.Fit(xs, ws)
		// The Laplace likelihood is not smooth in loc: its maximum on the
		// binned data is the weighted median of the grid points, and any
		// loc between the two grid points around it is within one step;
		// the scale follows loc to first order.
		if math.Abs(theta[0]-ref.Mu) > step || math.Abs(theta[1]-ref.Scale) > step/2 {
			t.Errorf("fit %v; MLE of the binned data loc %v scale %v", theta, ref.Mu, ref.Scale)
		}
	})
}
