package fit_test

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/divergence"
	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/grid"
	"github.com/klfit/klfit/target"
)

// TestPyTorchTrajectories runs momentum (plain, Nesterov, with
// dampening), Adam and RMSprop (with the usual epsilon and with a large one,
// so that where epsilon is added shows) on the notebook problem and
// compares every state with the trajectory PyTorch's own optimizers
// produced in float64 (testdata/torch_trajectories.py). The two sides
// compute the gradient by different arithmetic (a closed-form sum here,
// autograd there), about 1e-14 relative apart per evaluation; the largest
// difference over the 300 steps of each run is 4e-13 (the test logs it).
// 1e-9 relative (with 1e-12 absolute for a mean crossing zero, 2e-13 of
// its scale of 5) leaves room for that and not for a different formula:
// dropping Adam's bias correction, Nesterov's look-ahead written the other
// way round, a first momentum buffer scaled by the dampening, or epsilon
// moved inside the square root (Adam's or RMSprop's, with the large
// epsilon) each fail this test within the first two steps.
func TestPyTorchTrajectories(t *testing.T) {
	for _, tc := range []struct {
		file string
		opt  fit.Optimizer
	}{
		{"torch_momentum.csv", &fit.Momentum{LearningRate: 0.01, Momentum: 0.9}},
		{"torch_nesterov.csv", &fit.Momentum{LearningRate: 0.01, Momentum: 0.9, Nesterov: true}},
		{"torch_dampening.csv", &fit.Momentum{LearningRate: 0.01, Momentum: 0.5, Dampening: 0.3}},
		{"torch_adam.csv", &fit.Adam{LearningRate: 0.05, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8}},
		{"torch_rmsprop.csv", &fit.RMSprop{LearningRate: 0.01, Alpha: 0.99, Epsilon: 1e-8}},
		{"torch_adam_eps.csv", &fit.Adam{LearningRate: 0.05, Beta1: 0.8, Beta2: 0.99, Epsilon: 0.5}},
		{"torch_rmsprop_eps.csv", &fit.RMSprop{LearningRate: 0.01, Alpha: 0.9, Epsilon: 0.5}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			ref := readCSV(t, "testdata/"+tc.file)
			res, err := fit.Run(context.Background(), notebookProblem(t), fit.Options{Optimizer: tc.opt, Epochs: len(ref) - 1})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != fit.MaxEpochs || res.History.Len() != len(ref) {
				t.Fatalf("status %s, %d rows; want max_epochs, %d", res.Status, res.History.Len(), len(ref))
			}
			var worst float64
			for r, want := range ref {
				got := append([]float64{float64(r), res.History.Loss(r)}, res.History.Row(r)...)
				for c := range want {
					if !close(got[c], want[c], 1e-9, 1e-12) {
						t.Fatalf("row %d column %d: got %.17g, PyTorch %.17g", r, c, got[c], want[c])
					}
					if want[c] != 0 {
						worst = math.Max(worst, math.Abs(got[c]-want[c])/math.Abs(want[c]))
					}
				}
			}
			t.Logf("largest relative difference from PyTorch: %.2g", worst)
		})
	}
}

// TestLBFGSMatchesLongGD runs L-BFGS and 20,000 epochs of gradient descent
// on the notebook problem. The model is normalized on the grid, so its
// optimum is exactly the target's parameters (0, 7), where Q = P/sum(P).
// gd, converging linearly, is within 3e-9 of it after 20,000 epochs;
// L-BFGS must get there (1e-8) in under 1% of the iterations, with the
// same loss to the resolution of a float64 near 23 (1e-14 relative, a few
// units in the last place).
func TestLBFGSMatchesLongGD(t *testing.T) {
	prob := notebookProblem(t)
	lb, err := fit.Run(context.Background(), prob, fit.Options{Optimizer: &fit.LBFGS{}, Epochs: 1000})
	if err != nil {
		t.Fatal(err)
	}
	gd, err := fit.Run(context.Background(), prob, fit.Options{Optimizer: &fit.GD{LearningRate: 0.01}, Epochs: 20000})
	if err != nil {
		t.Fatal(err)
	}
	if lb.Status != fit.Converged {
		t.Fatalf("L-BFGS: status %s (%s %v)", lb.Status, lb.StopRule, lb.StopValue)
	}
	for name, r := range map[string]*fit.Result{"lbfgs": lb, "gd": gd} {
		th := r.Theta()
		if math.Abs(th[0]) > 1e-8 || math.Abs(th[1]-7) > 1e-8 {
			t.Errorf("%s: optimum %v, want (0, 7)", name, th)
		}
	}
	if !close(lb.Loss(), gd.Loss(), 1e-14, 0) {
		t.Errorf("losses: L-BFGS %.17g, gd %.17g", lb.Loss(), gd.Loss())
	}
	if lb.Epochs > 200 {
		t.Errorf("L-BFGS took %d iterations", lb.Epochs)
	}
	t.Logf("L-BFGS: %d iterations, %d evaluations, %s by %s (%v); gd: %d epochs", lb.Epochs, lb.Evaluations, lb.Status, lb.StopRule, lb.StopValue, gd.Epochs)
}

// TestLBFGSGradientThreshold checks gonum's convergence test: on
// normalized weights (loss near 0, so the loss resolves fine changes) the
// gradient falls below 1e-12 and the fit ends converged, the value below
// the threshold; a threshold the initial state already meets ends it at
// epoch 0.
func TestLBFGSGradientThreshold(t *testing.T) {
	prob := normalizedProblem(t, dist.Identity{})
	res, err := fit.Run(context.Background(), prob, fit.Options{Optimizer: &fit.LBFGS{}, Epochs: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != fit.Converged || res.StopRule != "gradient_threshold" || !(res.StopValue < 1e-12) {
		t.Fatalf("status %s, rule %s, value %v", res.Status, res.StopRule, res.StopValue)
	}
	res, err = fit.Run(context.Background(), prob, fit.Options{Optimizer: &fit.LBFGS{GradientThreshold: 1e3}, Epochs: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != fit.Converged || res.Epochs != 0 || res.History.Len() != 1 {
		t.Errorf("status %s after %d epochs", res.Status, res.Epochs)
	}
}

// TestLBFGSStepsBackFromTheDomainEdge starts a raw-parameter fit where a
// full quasi-Newton step takes the variance below zero: the line search
// must reject those trial points and every accepted state must be valid.
func TestLBFGSStepsBackFromTheDomainEdge(t *testing.T) {
	prob := notebookProblem(t)
	prob.Init = []float64{0, 0.05}
	res, err := fit.Run(context.Background(), prob, fit.Options{Optimizer: &fit.LBFGS{}, Epochs: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != fit.Converged {
		t.Fatalf("status %s %v", res.Status, res.Failure)
	}
	for r := range res.History.Len() {
		if v := res.History.Row(r)[1]; !(v > 0) {
			t.Fatalf("row %d: variance %v", r, v)
		}
	}
	if th := res.Theta(); math.Abs(th[1]-7) > 1e-8 {
		t.Errorf("optimum %v", th)
	}
}

// normalizedProblem is the notebook's target with normalized weights,
// model from (5, 1) under the given parameterization.
func normalizedProblem(tb testing.TB, tr dist.Transform) *fit.Problem {
	tb.Helper()
	return normalFit(tb, -10, 10, 0.1, 7, target.Normalized, divergence.ForwardKL{}, tr, []float64{5, 1})
}

// hidden is the normal family without its closed-form Fisher information,
// so that the natural gradient computes it on the grid.
type hidden struct{ n dist.Normal }

func (h hidden) Name() string         { return "hidden_normal" }
func (h hidden) Description() string  { return "normal, for tests" }
func (h hidden) Dim() int             { return 1 }
func (h hidden) Params() []dist.Param { return h.n.Params() }
func (h hidden) Support() string      { return h.n.Support() }
func (h hidden) Eval(theta, x, y, logp []float64, score [][]float64) {
	h.n.Eval(theta, x, y, logp, score)
}

// TestFisherOnTheGrid checks the normal family's closed-form Fisher
// information against the one the natural gradient computes on a grid
// that covers the model to 16 standard deviations with 200 points per
// standard deviation: the grid sums of smooth Gaussian moments are then
// exact to rounding, so they agree to 1e-9 relative.
func TestFisherOnTheGrid(t *testing.T) {
	for _, theta := range [][]float64{{0, 1}, {1.5, 2}, {-3, 0.25}} {
		sd := math.Sqrt(theta[1])
		a, _ := grid.Arange(theta[0]-16*sd, theta[0]+16*sd, sd/200)
		g := grid.New1D(a)
		prob := &fit.Problem{Grid: g, P: make([]float64, g.Len()), Family: hidden{}, Divergence: divergence.ForwardKL{},
			Transform: dist.Identity{}, Init: theta}
		ng := &fit.NaturalGradient{LearningRate: 1}
		if err := ng.Bind(prob); err != nil {
			t.Fatal(err)
		}
		got := make([]float64, 4)
		ng.FisherTheta(got, theta)
		want := make([]float64, 4)
		dist.Normal{}.Fisher(want, theta)
		for i := range want {
			if !close(got[i], want[i], 1e-9, 1e-12) {
				t.Errorf("theta %v: grid Fisher %v, closed form %v", theta, got, want)
				break
			}
		}
	}
}

// TestNaturalGradientDirection checks F(u)^-1 in both parameterizations:
// for theta = (mean, variance), F = diag(1/v, 1/(2v^2)), so the natural
// gradient of g is (v g_mean, 2 v^2 g_var); for u = (mean, log v),
// F(u) = J^T F J = diag(1/v, 1/2) and it is (v g_mean, 2 g_logv).
func TestNaturalGradientDirection(t *testing.T) {
	theta := []float64{0.5, 3}
	for _, tc := range []struct {
		tr   dist.Transform
		want func(g []float64) []float64
	}{
		{dist.Identity{}, func(g []float64) []float64 { return []float64{3 * g[0], 2 * 9 * g[1]} }},
		{dist.Unconstrained(dist.Normal{}), func(g []float64) []float64 { return []float64{3 * g[0], 2 * g[1]} }},
	} {
		prob := normalizedProblem(t, tc.tr)
		ng := &fit.NaturalGradient{LearningRate: 1}
		if err := ng.Bind(prob); err != nil {
			t.Fatal(err)
		}
		u := make([]float64, 2)
		tc.tr.U(u, theta)
		g := []float64{0.7, -1.3}
		got := make([]float64, 2)
		if err := ng.Direction(got, u, g); err != nil {
			t.Fatal(err)
		}
		want := tc.want(g)
		for i := range want {
			if !close(got[i], want[i], 1e-12, 0) { // a 2x2 diagonal solve: rounding only
				t.Errorf("%T: direction %v, want %v", tc.tr, got, want)
			}
		}
	}
}

// TestNaturalGradientMomentMatch checks the natural gradient's defining
// property for forward KL to a normal: with learning rate 1 on raw
// parameters, one step moves the mean to the target's, mu' = m_P, and the
// variance to v_P + (m_P - mu)^2; the next step brings the variance to
// v_P. On a grid 12 target standard deviations wide both hold to about
// 1e-9 (the grid's truncation of the model's tails at its widest step).
func TestNaturalGradientMomentMatch(t *testing.T) {
	a, _ := grid.Arange(-30, 30, 0.01)
	g := grid.New1D(a)
	p, err := target.Masses(target.Family{Family: dist.Normal{}, Theta: []float64{1, 2}}, g, target.Normalized)
	if err != nil {
		t.Fatal(err)
	}
	prob := &fit.Problem{Grid: g, P: p, Family: dist.Normal{}, Divergence: divergence.ForwardKL{}, Transform: dist.Identity{}, Init: []float64{0, 1}}
	res, err := fit.Run(context.Background(), prob, fit.Options{Optimizer: &fit.NaturalGradient{LearningRate: 1}, Epochs: 2})
	if err != nil {
		t.Fatal(err)
	}
	for r, want := range [][]float64{{0, 1}, {1, 3}, {1, 2}} {
		got := res.History.Row(r)
		if !close(got[0], want[0], 1e-9, 1e-9) || !close(got[1], want[1], 1e-9, 1e-9) {
			t.Errorf("epoch %d: %v, want %v", r, got, want)
		}
	}
}

// farProblem is N(0, 7) as normalized masses on [-20, 20] in steps of
// 0.05, fitted by a normal from init under divergence d, in the
// unconstrained parameterization (the spec's default). The model is
// normalized on the grid, so the optimum is exactly the target's (0, 7).
func farProblem(tb testing.TB, d divergence.Divergence, init []float64) *fit.Problem {
	tb.Helper()
	return normalFit(tb, -20, 20, 0.05, 7, target.Normalized, d, dist.Unconstrained(dist.Normal{}), init)
}

// lbfgsFarCases start where the loss is huge (alpha-divergences of order
// above 1 weigh the target's tails by powers of 1/Q): L-BFGS's first step
// falls from a loss of 5e21 (1e5, 3e73) to 12 (1e5, 3e59), and the
// curvature memory of that step, scaled to it, predicts no decrease at
// the next iterate, whose gradient is (15, -18). L-BFGS said "converged"
// there after one epoch.
var lbfgsFarCases = []struct {
	alpha float64
	init  []float64
}{
	{1.5, []float64{4, 1.5}},
	{2, []float64{4, 1.5}},
	{3, []float64{5, 1}},
}

// TestLBFGSConvergesOnlyAtTheOptimum runs L-BFGS from the far starts of
// lbfgsFarCases: it must reach the optimum (0, 7) and say converged, never
// say converged elsewhere. The tolerance, 1e-6 on the mean and the
// variance's logarithm, is what the loss resolves: near the optimum the
// alpha-divergence is about I/2 * d^2 with I of order 1 in the
// unconstrained parameters, so a loss resolved to about 1e-14 (a sum of
// terms of order 1 rounded) resolves d to about 1e-7.
func TestLBFGSConvergesOnlyAtTheOptimum(t *testing.T) {
	for _, tc := range lbfgsFarCases {
		prob := farProblem(t, divergence.Alpha{Alpha: tc.alpha}, tc.init)
		res, err := fit.Run(context.Background(), prob, fit.Options{Optimizer: &fit.LBFGS{}, Epochs: 1000})
		if err != nil {
			t.Fatal(err)
		}
		th := res.Theta()
		if res.Status != fit.Converged || math.Abs(th[0]) > 1e-6 || math.Abs(math.Log(th[1]/7)) > 1e-6 {
			t.Errorf("alpha %v from %v: %s (%s %v) after %d epochs at %v, loss %v; want converged at (0, 7)",
				tc.alpha, tc.init, res.Status, res.StopRule, res.StopValue, res.Epochs, th, res.Loss())
		}
	}
}

// TestResumeFromFarStarts checks that a fit resumed from a checkpoint
// taken at any of its first epochs takes exactly the steps of an
// uninterrupted one where the optimizer's state took a turn of its own:
// L-BFGS forgetting its curvature memory (the far starts of
// lbfgsFarCases do, at their second iterate: the memory saved is the one
// rebuilt from the restart), Adam and RMSprop keeping their moments
// scaled under a gradient of 1e230 (TestHugeGradientDoesNotFreeze's
// start).
func TestResumeFromFarStarts(t *testing.T) {
	type farCase struct {
		name  string
		opt   func() fit.Optimizer
		alpha float64
		init  []float64
	}
	var cases []farCase
	for _, tc := range lbfgsFarCases {
		cases = append(cases, farCase{"lbfgs", func() fit.Optimizer { return &fit.LBFGS{Store: 3} }, tc.alpha, tc.init})
	}
	cases = append(cases,
		farCase{"adam", func() fit.Optimizer { return &fit.Adam{LearningRate: 0.05, Beta1: 0.9, Beta2: 0.999} }, 3, []float64{5, 1}},
		farCase{"rmsprop", func() fit.Optimizer { return &fit.RMSprop{LearningRate: 0.01, Alpha: 0.99} }, 3, []float64{5, 1}})
	for _, tc := range cases {
		prob := farProblem(t, divergence.Alpha{Alpha: tc.alpha}, tc.init)
		var cps []*fit.Checkpoint
		save := func(c *fit.Checkpoint) error {
			data, err := c.MarshalJSON()
			if err != nil {
				return err
			}
			cp := new(fit.Checkpoint)
			cps = append(cps, cp)
			return cp.UnmarshalJSON(data)
		}
		const epochs = 60
		want, err := fit.Run(context.Background(), prob, fit.Options{Optimizer: tc.opt(), Epochs: epochs, Checkpoint: save, CheckpointEvery: 1})
		if err != nil || want.CheckpointErr != nil {
			t.Fatal(err, want.CheckpointErr)
		}
		for _, cp := range cps[:min(len(cps), 8)] {
			got, err := fit.Run(context.Background(), prob, fit.Options{Optimizer: tc.opt(), Epochs: epochs, Resume: cp})
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != want.Status || !slices.Equal(got.History.Losses(), want.History.Losses()) || !slices.Equal(got.History.Thetas(), want.History.Thetas()) {
				t.Errorf("%s, alpha %v, resumed from epoch %d: %s after %d epochs; uninterrupted %s after %d", tc.name, tc.alpha, cp.Epoch, got.Status, got.Epochs, want.Status, want.Epochs)
			}
		}
	}
}

// registered returns every registered optimizer with its default
// settings, by name.
func registered(t *testing.T) map[string]fit.Optimizer {
	t.Helper()
	out := map[string]fit.Optimizer{}
	for _, name := range fit.OptimizerNames() {
		out[name] = defaultOptimizer(t, name)
	}
	return out
}

// TestHugeGradientDoesNotFreeze starts every registered optimizer where
// the gradient is finite but its square is not (an alpha-divergence of
// order 3 from a far start: a loss of 3e230, a gradient as large). A fit
// must move or end saying why: Adam and RMSprop squared the gradient to
// +Inf and divided by it, every step was 0 and every history row the
// initial state, status max_epochs.
func TestHugeGradientDoesNotFreeze(t *testing.T) {
	for name, opt := range registered(t) {
		prob := farProblem(t, divergence.Alpha{Alpha: 3}, []float64{5, 1})
		res, err := fit.Run(context.Background(), prob, fit.Options{Optimizer: opt, Epochs: 50})
		if err != nil {
			t.Fatal(err)
		}
		if res.Status == fit.Diverged {
			if res.Failure == nil {
				t.Errorf("%s: diverged with no failure", name)
			}
			continue
		}
		if first := res.History.Loss(0); !(res.Loss() < first) {
			t.Errorf("%s: %s after %d epochs, loss %v from %v at %v", name, res.Status, res.Epochs, res.Loss(), first, res.Theta())
		}
	}
}
