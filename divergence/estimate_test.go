package divergence_test

import (
	"context"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/divergence"
	"github.com/klfit/klfit/target"
)

// exponentialFamily is a minimal exponential family (rate) for these tests
// only, without moments or a sampler, so that the estimators must find its
// window and draw from a grid.
type exponentialFamily struct{}

func (exponentialFamily) Name() string        { return "test_exponential" }
func (exponentialFamily) Description() string { return "exponential, for tests" }
func (exponentialFamily) Dim() int            { return 1 }
func (exponentialFamily) Support() string     { return "[0, inf)" }
func (exponentialFamily) Params() []dist.Param {
	return []dist.Param{{Name: "rate", Constraint: dist.Positive}}
}
func (exponentialFamily) Eval(theta, x, _, logp []float64, _ [][]float64) {
	for i, xi := range x {
		if xi < 0 {
			logp[i] = math.Inf(-1)
		} else {
			logp[i] = math.Log(theta[0]) - theta[0]*xi
		}
	}
}

func density(t *testing.T, tg target.Target) *divergence.Density {
	t.Helper()
	d, err := divergence.FromTarget(tg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func normalT(m, v float64) target.Family {
	return target.Family{Family: dist.Normal{}, Theta: []float64{m, v}}
}

func estimate(t *testing.T, d divergence.Divergence, p, q *divergence.Density, method string) *divergence.Estimate {
	t.Helper()
	e, err := divergence.EstimateDivergence(context.Background(), d, p, q, divergence.Options{Method: method, Samples: 200000, Seed: 1})
	if err != nil {
		t.Fatalf("%s %s: %v", divergence.Label(d), method, err)
	}
	return e
}

// TestEstimatesAgree checks the three methods against each other on
// normals: the grid against the closed form within the grid's reported
// error (midpoint sums of smooth densities converge at least as h^2, so
// the finer grid is within a third of the last difference), and Monte Carlo
// within five of its standard errors. JS and TV have no closed form: the
// grid is checked against Monte Carlo.
func TestEstimatesAgree(t *testing.T) {
	p, q := density(t, normalT(0, 1)), density(t, normalT(1, 2))
	for _, d := range []divergence.Divergence{
		divergence.ForwardKL{}, divergence.ReverseKL{}, divergence.Hellinger{}, divergence.JS{}, divergence.TV{},
		divergence.Renyi{Alpha: 0.5}, divergence.Renyi{Alpha: 1.5}, divergence.Alpha{Alpha: 0.3}, divergence.Alpha{Alpha: 1.5}, divergence.Alpha{Alpha: -0.5},
	} {
		auto := estimate(t, d, p, q, divergence.MethodAuto)
		grid := estimate(t, d, p, q, divergence.MethodGrid)
		mc := estimate(t, d, p, q, divergence.MethodMC)
		if !grid.Converged || grid.Error > 1e-6 {
			t.Errorf("%s: grid did not converge: %+v", divergence.Label(d), grid)
		}
		switch d.(type) {
		case divergence.JS, divergence.TV:
			if auto.Method != divergence.MethodGrid {
				t.Errorf("%s: auto used %s", d.Name(), auto.Method)
			}
		default:
			if auto.Method != divergence.MethodClosedForm {
				t.Errorf("%s: auto used %s", divergence.Label(d), auto.Method)
			}
			if math.Abs(grid.Value-auto.Value) > grid.Error/3+1e-12 {
				t.Errorf("%s: grid %v (error %v), closed form %v", divergence.Label(d), grid.Value, grid.Error, auto.Value)
			}
		}
		if a, ok := d.(divergence.Alpha); ok && a.Alpha < 0 {
			// (q/p)^(1-alpha) has infinite variance under P here: Monte
			// Carlo's standard error means nothing (see the README).
			continue
		}
		if math.Abs(mc.Value-grid.Value) > 5*mc.Error {
			t.Errorf("%s: Monte Carlo %v +- %v, grid %v", divergence.Label(d), mc.Value, mc.Error, grid.Value)
		}
	}
}

// TestEstimateMixtureAndExpression checks the estimators on targets with
// no closed form: KL between two mixtures (grid against Monte Carlo), and
// an unnormalized formula against a normal (grid and Monte Carlo, which
// then draws from the grid and normalizes by quadrature, against gonum's
// adaptive-free Gauss-Legendre quadrature of the normalized formula).
func TestEstimateMixtureAndExpression(t *testing.T) {
	mix := func(a, b float64) target.Target {
		m, err := target.NewMixture([]target.Component{{Weight: 0.3, Family: normalT(a, 1)}, {Weight: 0.7, Family: normalT(b, 0.5)}})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	p, q := density(t, mix(-2, 2)), density(t, mix(-1, 3))
	grid := estimate(t, divergence.ForwardKL{}, p, q, divergence.MethodAuto)
	mc := estimate(t, divergence.ForwardKL{}, p, q, divergence.MethodMC)
	if grid.Method != divergence.MethodGrid || !grid.Converged || math.Abs(mc.Value-grid.Value) > 5*mc.Error {
		t.Errorf("mixtures: grid %+v, Monte Carlo %+v", grid, mc)
	}

	e, err := target.NewExpression("exp(-x^2/2) * (1 + sin(3*x)^2)")
	if err != nil {
		t.Fatal(err)
	}
	pe, qn := density(t, e), density(t, normalT(0, 1.5))
	f := func(x float64) float64 { return math.Exp(-x*x/2) * (1 + math.Pow(math.Sin(3*x), 2)) }
	z := integrate(f, -40, 40, []float64{-10, -5, 0, 5, 10}, 2000)
	gq := distuv.Normal{Mu: 0, Sigma: math.Sqrt(1.5)}
	ref := integrate(func(x float64) float64 {
		px := f(x) / z
		if px == 0 {
			return 0
		}
		return px * (math.Log(px) - gq.LogProb(x))
	}, -40, 40, []float64{-10, -5, 0, 5, 10}, 2000)
	g := estimate(t, divergence.ForwardKL{}, pe, qn, divergence.MethodGrid)
	m := estimate(t, divergence.ForwardKL{}, pe, qn, divergence.MethodMC)
	// The grid estimate stops when three grids agree to its default
	// tolerance, 1e-6 relative to max(1, |D|): that is the agreement to ask.
	if math.Abs(g.Value-ref) > 1e-6 {
		t.Errorf("expression: grid %v, reference %v", g.Value, ref)
	}
	// Monte Carlo draws from 65536 cells of the window: the draws' law
	// differs from P by far less than the standard error.
	if math.Abs(m.Value-ref) > 5*m.Error {
		t.Errorf("expression: Monte Carlo %v +- %v, reference %v", m.Value, m.Error, ref)
	}
}

// TestEstimateSupports checks a one-sided support (found without hints)
// against gonum's quadrature, and the +Inf cases with their reasons.
func TestEstimateSupports(t *testing.T) {
	ex := density(t, target.Family{Family: exponentialFamily{}, Theta: []float64{0.7}})
	n := density(t, normalT(1, 2))
	gq := distuv.Normal{Mu: 1, Sigma: math.Sqrt(2)}
	ref := integrate(func(x float64) float64 {
		lp := math.Log(0.7) - 0.7*x
		return math.Exp(lp) * (lp - gq.LogProb(x))
	}, 0, math.Inf(1), []float64{1, 5, 20}, 1000)
	// The density jumps at 0, which the grid puts on a cell edge: the
	// midpoint rule stays second order, so the finer grid is within a
	// third of the last difference (the reported error).
	g := estimate(t, divergence.ForwardKL{}, ex, n, divergence.MethodGrid)
	if math.Abs(g.Value-ref) > max(g.Error, 1e-9) {
		t.Errorf("KL(exponential || normal): grid %+v, reference %v", g, ref)
	}
	m := estimate(t, divergence.ForwardKL{}, ex, n, divergence.MethodMC)
	if math.Abs(m.Value-ref) > 5*m.Error {
		t.Errorf("KL(exponential || normal): Monte Carlo %v +- %v, reference %v", m.Value, m.Error, ref)
	}
	for _, method := range []string{divergence.MethodGrid, divergence.MethodMC} {
		e := estimate(t, divergence.ForwardKL{}, n, ex, method)
		if !math.IsInf(e.Value, 1) || !strings.Contains(e.Reason, "P has mass where Q has none") {
			t.Errorf("KL(normal || exponential) by %s: %v (%q)", method, e.Value, e.Reason)
		}
		r := estimate(t, divergence.ReverseKL{}, ex, n, method)
		if !math.IsInf(r.Value, 1) || !strings.Contains(r.Reason, "Q has mass where P has none") {
			t.Errorf("reverse KL(normal || exponential) by %s: %v (%q)", method, r.Value, r.Reason)
		}
	}
	if _, err := divergence.EstimateDivergence(context.Background(), divergence.JS{}, n, n, divergence.Options{Method: divergence.MethodClosedForm}); err == nil || !strings.Contains(err.Error(), "no closed form") {
		t.Errorf("closed form for JS: %v", err)
	}
	if _, err := divergence.FromTarget(&target.Samples{Path: "x.csv"}); err == nil {
		t.Error("a samples target accepted")
	}
}

// TestEstimate2D checks the 2-D grid against the mvnormal closed form, with
// both densities given as unnormalized formulas of x and y.
func TestEstimate2D(t *testing.T) {
	p, err := target.NewExpression("exp(-(x^2 + y^2)/2)")
	if err != nil {
		t.Fatal(err)
	}
	q, err := target.NewExpression("exp(-((x-1)^2/2 + (y+0.5)^2/(2*2)))")
	if err != nil {
		t.Fatal(err)
	}
	want, _, _ := divergence.ClosedForm(divergence.ForwardKL{}, "mvnormal", []float64{0, 0, 1, 0, 0, 1}, []float64{1, -0.5, 1, 0, 0, 2})
	g := estimate(t, divergence.ForwardKL{}, density(t, p), density(t, q), divergence.MethodGrid)
	if !g.Converged || math.Abs(g.Value-want) > max(g.Error, 1e-9) {
		t.Errorf("2-D grid %+v, closed form %v", g, want)
	}
}

// scaled is forward KL times a factor, a divergence for these tests only:
// with a factor of 1e308 its grid sum overflows float64 where the value
// it stands for is finite, and with NaN it is NaN.
type scaled struct{ factor float64 }

func (scaled) Name() string      { return "test_scaled_kl" }
func (scaled) Symbol() string    { return "cKL(P||Q)" }
func (scaled) Direction() string { return "forward KL times a constant, for tests" }
func (s scaled) Eval(p, logp, q, logq, h []float64) (float64, error) {
	v, err := divergence.ForwardKL{}.Eval(p, logp, q, logq, h)
	return s.factor * v, err
}

// TestEstimateVetsValues checks that no estimate claims a value it does
// not have: a +Inf that no support or tail explains (a sum that
// overflowed) comes with a reason and is not converged, and a NaN is
// not converged, while a closed form's +Inf for an infinite divergence
// and the overflow of a finite one say which they are.
func TestEstimateVetsValues(t *testing.T) {
	p, q := density(t, normalT(0, 1)), density(t, normalT(3, 1)) // KL 4.5
	e := estimate(t, scaled{1e308}, p, q, divergence.MethodGrid)
	if !math.IsInf(e.Value, 1) || e.Converged || !strings.Contains(e.Reason, "overflowed float64") {
		t.Errorf("overflowing grid sum: %+v", e)
	}
	e = estimate(t, scaled{math.NaN()}, p, q, divergence.MethodGrid)
	if !math.IsNaN(e.Value) || e.Converged {
		t.Errorf("NaN grid sum: %+v", e)
	}
	wide, narrow := density(t, normalT(0, 1e300)), density(t, normalT(0, 1e-300))
	e = estimate(t, divergence.ForwardKL{}, wide, narrow, divergence.MethodAuto)
	if e.Method != divergence.MethodClosedForm || !math.IsInf(e.Value, 1) || e.Converged || !strings.Contains(e.Reason, "finite but above the largest float64") {
		t.Errorf("KL 5e599: %+v", e)
	}
	e = estimate(t, divergence.ForwardKL{}, narrow, wide, divergence.MethodAuto)
	if want := 690.27552789821370522; e.Method != divergence.MethodClosedForm || !e.Converged || math.Abs(e.Value-want) > 1e-14*want {
		t.Errorf("KL 690.27... (mpmath): %+v", e)
	}
	e = estimate(t, divergence.Renyi{Alpha: 2}, density(t, normalT(0, 3)), p, divergence.MethodAuto)
	if !math.IsInf(e.Value, 1) || !e.Converged || !strings.Contains(e.Reason, "tails are too heavy") {
		t.Errorf("infinite Renyi: %+v", e)
	}
}

// TestMonteCarloStandardError checks Monte Carlo's standard error where
// it is known: for KL(N(0, 1) || N(mu, 1)) the terms log p/q = mu^2/2 -
// mu x have standard deviation mu under P, so the error is mu/sqrt(n),
// which the draws' spread gives within a few percent (its own relative
// error is about 1/sqrt(2n), 0.7% here). At mu = 1e8 and 1e9 the terms'
// mean is 5e7 and 5e8 times their spread: a variance taken as the mean
// square less the squared mean was 5% off at the first and 0 at the
// second. A single draw has no spread: its error
// is unknown, and the estimate says it has not converged.
func TestMonteCarloStandardError(t *testing.T) {
	const n = 10000
	for _, mu := range []float64{1, 1e3, 1e8, 1e9} {
		e, err := divergence.MonteCarlo(context.Background(), divergence.ForwardKL{}, density(t, normalT(0, 1)), density(t, normalT(mu, 1)), divergence.Options{Samples: n, Seed: 2})
		if err != nil {
			t.Fatal(err)
		}
		if r := e.Error * math.Sqrt(n) / mu; math.Abs(r-1) > 0.05 {
			t.Errorf("mu = %g: standard error %.6g, want about %.6g", mu, e.Error, mu/math.Sqrt(n))
		}
	}
	for _, d := range allDivergences(t) {
		e, err := divergence.MonteCarlo(context.Background(), d, density(t, normalT(0, 1)), density(t, normalT(0.5, 2)), divergence.Options{Samples: 1, Seed: 2})
		if err != nil {
			t.Fatalf("%s: %v", divergence.Label(d), err)
		}
		if !math.IsNaN(e.Error) || e.Converged {
			t.Errorf("%s from one draw: error %v, converged %v; want an unknown error, not converged", divergence.Label(d), e.Error, e.Converged)
		}
	}
}
