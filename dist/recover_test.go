package dist_test

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/optimize"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/divergence"
	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/grid"
	"github.com/klfit/klfit/target"
)

func axis(t testing.TB, start, stop, step float64) grid.Axis {
	t.Helper()
	a, err := grid.Arange(start, stop, step)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// problem returns the forward-KL problem of fitting f, from init, to the
// member truth of tgt on g, with normalized weights and the unconstrained
// parameterization.
func problem(t testing.TB, g *grid.Grid, tgt dist.Family, truth []float64, f dist.Family, init []float64) *fit.Problem {
	t.Helper()
	p, err := target.Masses(target.Family{Family: tgt, Theta: truth}, g, target.Normalized)
	if err != nil {
		t.Fatal(err)
	}
	return &fit.Problem{Grid: g, P: p, Family: f, Divergence: divergence.ForwardKL{},
		Transform: dist.Unconstrained(f), Init: init}
}

// TestRecoverOwnMember fits every family to a member of itself on a fine
// grid (forward KL, normalized weights, unconstrained parameters) and
// checks that the fit recovers the member.
//
// The model's grid masses equal the target's exactly at the true
// parameters, so these are the minimizer whatever the grid, and the
// gradient vanishes there up to rounding: sum_i (Q_i - P_i) s_i with
// Q_i - P_i of order 1e-16 P_i, below 1e-11 for the scores of these
// members. From a start some way off, BFGS (gonum's optimize, on the
// engine's objective and gradient) runs until the gradient's largest entry
// is below 1e-10; with the loss's curvature of order 1e-2 to 1 in these
// unconstrained coordinates, the parameters are then within about 1e-8 of
// the truth: 1e-6 relative leaves a margin for the flattest directions
// (a Student t's degrees of freedom).
func TestRecoverOwnMember(t *testing.T) {
	line := func(start, stop, step float64) *grid.Grid { return grid.New1D(axis(t, start, stop, step)) }
	circle, _ := grid.Circle(720)
	g2, _ := grid.New2D(axis(t, -8, 8, 0.1), axis(t, -8, 8, 0.1))
	catGrid := line(-3, 3, 0.12)
	cat, err := dist.NewCategorical(catGrid.Axes[0])
	if err != nil {
		t.Fatal(err)
	}
	catTruth := make([]float64, catGrid.Len())
	rng := rand.New(rand.NewPCG(5, 5))
	var sum float64
	for i := range catTruth {
		catTruth[i] = 0.2 + rng.Float64()
		sum += catTruth[i]
	}
	for i := range catTruth {
		catTruth[i] /= sum
	}
	catInit, _ := cat.Guess(catGrid.X, nil, nil)

	for _, tc := range []struct {
		f           dist.Family
		g           *grid.Grid
		truth, init []float64
	}{
		{dist.Normal{}, line(-15, 15, 0.01), []float64{1, 2}, []float64{0, 1}},
		{dist.Laplace{}, line(-15, 15, 0.01), []float64{1.0033, 0.7}, []float64{0.5, 1}},
		{dist.StudentT{}, line(-60, 60, 0.02), []float64{5, 0.5, 1.5}, []float64{8, 0, 1}},
		{dist.Cauchy{}, line(-200, 200, 0.05), []float64{0.3, 0.8}, []float64{0, 1.2}},
		{dist.Logistic{}, line(-20, 20, 0.01), []float64{1, 0.7}, []float64{0, 1}},
		{dist.Gumbel{}, line(-10, 30, 0.01), []float64{0.5, 1.2}, []float64{0, 1}},
		{dist.SkewNormal{}, line(-10, 15, 0.01), []float64{0.2, 1.5, 3}, []float64{0.8, 1, 1}},
		{dist.Exponential{}, line(0, 30, 0.01), []float64{1.5}, []float64{1}},
		{dist.Gamma{}, line(0.005, 20, 0.01), []float64{3, 2}, []float64{2, 1}},
		{dist.LogNormal{}, line(0.005, 20, 0.01), []float64{0.3, 0.5}, []float64{0, 1}},
		{dist.Weibull{}, line(0.005, 15, 0.01), []float64{1.8, 2}, []float64{1.2, 1.5}},
		{dist.Beta{}, line(0.0005, 1, 0.001), []float64{2.5, 4}, []float64{1.5, 2}},
		{dist.VonMises{}, grid.New1D(circle), []float64{1, 3}, []float64{0.5, 1}},
		{mustMixture(t, dist.Normal{}, 2), line(-12, 12, 0.01), []float64{0.3, 0.7, -2, 2, 1, 0.5}, []float64{0.5, 0.5, -1.5, 1.5, 1.5, 1}},
		{dist.MVNormal{}, g2, []float64{0.5, -0.3, 1.5, 0.6, 1}, []float64{0, 0, 1, 0, 1}},
		{cat, catGrid, catTruth, catInit},
	} {
		name := tc.f.Name()
		prob := problem(t, tc.g, tc.f, tc.truth, tc.f, tc.init)
		obj := fit.NewObjective(prob)
		k := len(tc.truth)
		u := make([]float64, k)
		grad := make([]float64, k)
		prob.Transform.U(u, tc.truth)
		loss, err := obj.Eval(u, grad)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if math.Abs(loss) > 1e-13 || maxAbs(grad) > 1e-11 {
			t.Errorf("%s: at the truth the loss is %v and the gradient %v, want 0", name, loss, grad)
		}

		prob.Transform.U(u, tc.init)
		res, err := optimize.Minimize(optimize.Problem{
			Func: func(u []float64) float64 {
				l, err := obj.Eval(u, nil)
				if err != nil {
					return math.Inf(1)
				}
				return l
			},
			Grad: func(g, u []float64) {
				if _, err := obj.Eval(u, g); err != nil {
					for i := range g {
						g[i] = math.NaN()
					}
				}
			},
		}, u, &optimize.Settings{GradientThreshold: 1e-10, MajorIterations: 2000, Converger: optimize.NeverTerminate{}}, &optimize.BFGS{})
		if err != nil && res == nil {
			t.Fatalf("%s: %v", name, err)
		}
		theta := make([]float64, k)
		prob.Transform.Theta(theta, res.X)
		for j := range theta {
			if !(math.Abs(theta[j]-tc.truth[j]) <= 1e-6*math.Max(1, math.Abs(tc.truth[j]))) {
				t.Errorf("%s: %s = %.10g, truth %.10g (%v after %d iterations)", name, tc.f.Params()[j].Name,
					theta[j], tc.truth[j], res.Status, res.MajorIterations)
			}
		}
	}
}

func maxAbs(v []float64) float64 {
	var m float64
	for _, x := range v {
		m = math.Max(m, math.Abs(x))
	}
	return m
}

// TestForwardKLMatchesMoments fits a normal model to a bimodal target, an
// equal mixture of N(-3, 1) and N(3, 1), by the engine's own loop
// (fit.Run, gradient descent) and checks the lesson of forward KL: the fit
// covers both modes, matching the mixture's mean (0) and variance
// (1 + 9 = 10), as dist.Mixture computes them in closed form. The grid
// reaches 9.5 standard deviations beyond the fitted normal, and the grid
// sums of smooth densities on a fine uniform grid reproduce their moments
// to better than 1e-12, so the tolerance, 1e-6, is that of the descent's
// convergence, which 1000 epochs at this rate exceed by far.
func TestForwardKLMatchesMoments(t *testing.T) {
	mx := mustMixture(t, dist.Normal{}, 2)
	truth := []float64{0.5, 0.5, -3, 3, 1, 1}
	g := grid.New1D(axis(t, -30, 30, 0.01))
	prob := problem(t, g, mx, truth, dist.Normal{}, []float64{2, 1})
	res, err := fit.Run(context.Background(), prob, fit.Options{Optimizer: &fit.GD{LearningRate: 0.5}, Epochs: 1000})
	if err != nil || res.Status != fit.MaxEpochs {
		t.Fatalf("%v %v", res, err)
	}
	th := res.Theta()
	if m, v := mx.Mean(truth), mx.Variance(truth); math.Abs(th[0]-m) > 1e-6 || math.Abs(th[1]-v) > 1e-6 {
		t.Errorf("normal fitted to the mixture: mean %v, variance %v; the mixture's are %v and %v", th[0], th[1], m, v)
	}
	if v := mx.Variance(truth); v != 10 {
		t.Errorf("the mixture's variance is %v, want 1 + 3^2 = 10", v)
	}
}

// TestForwardKLMatchesMoments2D does the same in 2-D: a bivariate normal
// fitted to a two-component mixture of bivariate normals matches the
// mixture's mean vector and covariance (computed in closed form by
// dist.Mixture). BFGS on the engine's objective converges to a gradient
// below 1e-7, which leaves the parameters within about 1e-7 of the optimum
// (the loss's curvature is above 0.1 in these coordinates). The grid
// [-20, 20)^2 reaches 9 standard deviations beyond the fitted normal, so
// truncation does not move its moments, and with step 0.1 the grid sums
// of these smooth densities reproduce their moments to far better than
// the 1e-6 checked.
func TestForwardKLMatchesMoments2D(t *testing.T) {
	mx := mustMixture(t, dist.MVNormal{}, 2)
	truth := []float64{0.4, 0.6, -2, 1, 2, -1, 1, 0.3, 0.5, 0.8, -0.2, 1}
	g, err := grid.New2D(axis(t, -20, 20, 0.1), axis(t, -20, 20, 0.1))
	if err != nil {
		t.Fatal(err)
	}
	prob := problem(t, g, mx, truth, dist.MVNormal{}, []float64{0, 0, 1, 0, 1})
	obj := fit.NewObjective(prob)
	u := make([]float64, 5)
	prob.Transform.U(u, prob.Init)
	res, err := optimize.Minimize(optimize.Problem{
		Func: func(u []float64) float64 { l, _ := obj.Eval(u, nil); return l },
		Grad: func(g, u []float64) { obj.Eval(u, g) },
	}, u, &optimize.Settings{GradientThreshold: 1e-10, Converger: optimize.NeverTerminate{}}, &optimize.BFGS{})
	// BFGS stops at the gradient threshold or, before it, when the loss
	// stops decreasing in float64 (a failed line search); either way the
	// gradient must be tiny.
	if res == nil || maxAbs(res.Gradient) > 1e-7 {
		t.Fatalf("BFGS did not converge: %v, %+v", err, res)
	}
	th := make([]float64, 5)
	prob.Transform.Theta(th, res.X)
	m, c := mx.MeanVector(truth), mx.Covariance(truth)
	want := []float64{m[0], m[1], c[0], c[1], c[3]}
	for j := range want {
		if math.Abs(th[j]-want[j]) > 1e-6 {
			t.Errorf("%s = %v, the mixture's is %v", dist.MVNormal{}.Params()[j].Name, th[j], want[j])
		}
	}
}
