package vi_test

import (
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/klfit/klfit/vi"
)

// TestDiagnoseNormal checks the diagnostics of q = N(mu, 1.2 sigma)
// against the normalized target N(mu, sigma) in 3-D: log Z = 0 and the
// ELBO is -KL(q || p) = -(3(1.2 - 1) - 3 log 1.2)/2 in closed form, both
// within 4 of their standard errors; q is wider than p, so the ratios are
// bounded and k̂ is below 0.5, without a warning.
func TestDiagnoseNormal(t *testing.T) {
	nt, _ := vi.NewNormalTarget(mu3, cov3)
	m, _ := vi.NewMVNormal(3)
	var wide mat.SymDense
	wide.ScaleSym(1.2, cov3)
	u := make([]float64, m.Len())
	if err := m.Unconstrain(u, mu3, &wide); err != nil {
		t.Fatal(err)
	}
	dg, err := vi.Diagnose(m, nt, u, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	kl := (3*(1.2-1) - 3*math.Log(1.2)) / 2
	if dg.Draws != vi.DefaultDiagnosticDraws || dg.KThreshold != 0.7 {
		t.Errorf("draws %d threshold %v", dg.Draws, dg.KThreshold)
	}
	if math.Abs(dg.ELBO+kl) > 4*dg.ELBOStdErr || dg.ELBOStdErr > 0.01 {
		t.Errorf("ELBO %v ± %v, want %v", dg.ELBO, dg.ELBOStdErr, -kl)
	}
	if math.Abs(dg.LogZ) > 4*dg.LogZStdErr || dg.LogZStdErr > 0.01 {
		t.Errorf("log Z %v ± %v, want 0", dg.LogZ, dg.LogZStdErr)
	}
	if !(dg.ParetoK < 0.5) || dg.Warning != "" {
		t.Errorf("k̂ %v, warning %q", dg.ParetoK, dg.Warning)
	}
	if math.IsNaN(dg.LogZStdErr) {
		t.Error("k̂ below 0.5 and log Z's standard error unknown")
	}
}

// TestDiagnoseWarns checks that k̂ flags two approximations that miss
// target mass in 10-D, saying why: the mean-field reverse-KL optimum
// (variances 1/(sigma^-1)_ii) on a target with correlation 0.9 between
// every pair of coordinates, and a full-rank q with a quarter of the
// target's covariance; with k̂ above 0.5 log Z's standard error is unknown
// (NaN) while the estimate is given.
func TestDiagnoseWarns(t *testing.T) {
	const d = 10
	cov := mat.NewSymDense(d, nil)
	for i := range d {
		for j := i; j < d; j++ {
			cov.SetSym(i, j, 0.9)
		}
		cov.SetSym(i, i, 1)
	}
	mean := make([]float64, d)
	nt, err := vi.NewNormalTarget(mean, cov)
	if err != nil {
		t.Fatal(err)
	}
	p := nt.Precision()
	mf, _ := vi.NewMVNormalDiag(d)
	narrow := mat.NewSymDense(d, nil)
	for i := range d {
		narrow.SetSym(i, i, 1/p.At(i, i))
	}
	u := make([]float64, mf.Len())
	if err := mf.Unconstrain(u, mean, narrow); err != nil {
		t.Fatal(err)
	}
	dg, err := vi.Diagnose(mf, nt, u, 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("mean-field: %s", dg.Warning)
	if !(dg.ParetoK > 0.7) || !strings.HasPrefix(dg.Warning, "unreliable fit: Pareto k̂ = ") || !strings.Contains(dg.Warning, "mean-field") {
		t.Errorf("mean-field: k̂ %v, warning %q", dg.ParetoK, dg.Warning)
	}
	if !math.IsNaN(dg.LogZStdErr) || math.IsNaN(dg.LogZ) {
		t.Errorf("mean-field: k̂ %v > 0.5 and log Z %v ± %v: the standard error must be unknown (NaN), the estimate given", dg.ParetoK, dg.LogZ, dg.LogZStdErr)
	}
	full, _ := vi.NewMVNormal(d)
	var quarter mat.SymDense
	quarter.ScaleSym(0.25, cov)
	u = make([]float64, full.Len())
	if err := full.Unconstrain(u, mean, &quarter); err != nil {
		t.Fatal(err)
	}
	dg, err = vi.Diagnose(full, nt, u, 0, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !(dg.ParetoK > 0.7) || !strings.Contains(dg.Warning, "too narrow") || strings.Contains(dg.Warning, "mean-field") {
		t.Errorf("narrow full rank: k̂ %v, warning %q", dg.ParetoK, dg.Warning)
	}
	if !math.IsNaN(dg.LogZStdErr) {
		t.Errorf("narrow full rank: k̂ %v > 0.5 and log Z's standard error %v, want NaN", dg.ParetoK, dg.LogZStdErr)
	}
	t.Logf("narrow full rank: %s", dg.Warning)
	nan, _ := vi.NewFormula("log(x1)", 1)
	m1, _ := vi.NewMVNormal(1)
	if _, err := vi.Diagnose(m1, nan, []float64{0, 0}, 100, 1); err == nil || !strings.Contains(err.Error(), "the log-density is NaN at draw") {
		t.Errorf("NaN target: %v", err)
	}
}
