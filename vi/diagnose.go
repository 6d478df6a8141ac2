package vi

import (
	"fmt"
	"math"

	"github.com/klfit/klfit/internal/psis"
)

// DefaultDiagnosticDraws is the number of fresh draws Diagnose takes when
// asked for 0: enough for k̂'s size-dependent threshold to be 0.7.
const DefaultDiagnosticDraws = 4000

// Diagnostics says whether a fitted model q can be trusted as an
// approximation of a target p~, from fresh draws of q.
type Diagnostics struct {
	// Draws is the number of fresh draws from q.
	Draws int
	// ELBO is the evidence lower bound E_q[log p~ - log q] = log Z -
	// KL(q || p), estimated by the draws' average, and ELBOStdErr its
	// Monte Carlo standard error.
	ELBO, ELBOStdErr float64
	// LogZ is the importance-sampling estimate of the log normalizing
	// constant, log of the average ratio p~/q; it means something only
	// when ParetoK is at most KThreshold. LogZStdErr is its standard error
	// to first order (the ratios' standard deviation over their mean,
	// over sqrt(Draws)) when ParetoK is at most 0.5, and NaN, unknown,
	// otherwise: above 0.5 the ratios' variance is infinite, and a
	// standard deviation computed from the draws estimates nothing (when
	// k̂ cannot be estimated, neither can it).
	LogZ, LogZStdErr float64
	// ParetoK is the Pareto k̂ of the ratios p~/q (psis.ParetoK):
	// below 0.5 they have a finite variance; above KThreshold their
	// average, and so LogZ, cannot be trusted, and q misses mass of p.
	// NaN when it cannot be estimated.
	ParetoK float64
	// KThreshold is psis.SampleThreshold(Draws), 0.7 from 2155 draws on.
	KThreshold float64
	// Warning is empty when ParetoK is at most KThreshold, and otherwise
	// one line saying that q is unreliable, and why.
	Warning string
}

// Diagnose draws n fresh points from model at u (DefaultDiagnosticDraws
// when n is 0), from a stream of seed that no objective uses, and returns
// the diagnostics of q against target. An error says at which draw the
// target's log-density is NaN or +Inf; a log-density of -Inf (a ratio of
// 0) is allowed.
func Diagnose(model *Gaussian, target LogDensity, u []float64, n int, seed uint64) (Diagnostics, error) {
	if n == 0 {
		n = DefaultDiagnosticDraws
	}
	if n < 2 {
		return Diagnostics{}, fmt.Errorf("diagnostics: %d draws, need at least 2", n)
	}
	if target.Dim() != model.Dim() {
		return Diagnostics{}, fmt.Errorf("diagnostics: a %d-D model for a %d-D target", model.Dim(), target.Dim())
	}
	d := model.Dim()
	var l []float64 // L, d x d; a mean-field model's is its standard deviations, on the diagonal
	if model.diag {
		l = make([]float64, d)
		for i := range d {
			l[i] = math.Exp(u[d+i])
		}
	} else {
		l = make([]float64, d*d)
		model.cholesky(l, u)
	}
	c := -0.5*float64(d)*log2Pi - model.logDetL(u)
	rng := drawStream(seed, -1) // epochs use streams 0, 1, 2, ...
	z, x := make([]float64, d), make([]float64, d)
	logw := make([]float64, n)
	var sum float64
	for k := range n {
		var zz float64
		for i := range z {
			z[i] = rng.NormFloat64()
			zz += z[i] * z[i]
		}
		for i := range d {
			if model.diag {
				x[i] = u[i] + l[i]*z[i]
				continue
			}
			s := u[i]
			for j := 0; j <= i; j++ {
				s += l[i*d+j] * z[j]
			}
			x[i] = s
		}
		lp := target.LogDensity(x, nil)
		if math.IsNaN(lp) || math.IsInf(lp, 1) {
			return Diagnostics{}, &DrawError{Draw: k, X: append([]float64(nil), x...), Value: lp}
		}
		logw[k] = lp - (c - zz/2)
		sum += logw[k]
	}
	dg := Diagnostics{Draws: n, KThreshold: psis.SampleThreshold(n)}
	dg.ELBO = sum / float64(n)
	var ss float64
	top := math.Inf(-1)
	for _, w := range logw {
		ss += (w - dg.ELBO) * (w - dg.ELBO)
		top = math.Max(top, w)
	}
	dg.ELBOStdErr = math.Sqrt(ss / float64(n-1) / float64(n))
	if math.IsInf(dg.ELBO, -1) {
		dg.ELBOStdErr = math.NaN()
	}
	// log Z = top + log(mean exp(logw - top)); its relative standard error
	// is sd(w)/(mean(w) sqrt(n)).
	var s1, s2 float64
	for _, w := range logw {
		e := math.Exp(w - top)
		s1 += e
		s2 += e * e
	}
	m1 := s1 / float64(n)
	dg.LogZ = top + math.Log(m1)
	v := (s2/float64(n) - m1*m1) * float64(n) / float64(n-1)
	dg.LogZStdErr = math.Sqrt(math.Max(v, 0)/float64(n)) / m1
	dg.ParetoK = psis.ParetoK(logw)
	if !(dg.ParetoK <= 0.5) {
		dg.LogZStdErr = math.NaN()
	}
	dg.Warning = warning(model, dg)
	return dg, nil
}

// warning explains a k̂ above the threshold, or one that cannot be
// estimated.
func warning(model *Gaussian, dg Diagnostics) string {
	k := dg.ParetoK
	switch {
	case math.IsNaN(k):
		return fmt.Sprintf("the Pareto k̂ of the ratios p~/q cannot be estimated from %d draws (too few, or the target is zero at most of them): the fit's reliability is unknown", dg.Draws)
	case k <= dg.KThreshold:
		return ""
	}
	why := "q is too narrow, misses a mode, or has lighter tails than the target (a funnel, a heavy tail)"
	if model.diag && model.d > 1 {
		why = "a mean-field q cannot follow correlations between coordinates, and on a correlated target it is too narrow; otherwise q misses a mode or the target has heavier tails (a funnel)"
	}
	return fmt.Sprintf("unreliable fit: Pareto k̂ = %s over %d draws: the ratios p~/q have a tail so heavy that their variance is likely infinite, so q misses target mass where q is small: %s; the ELBO and log Z are not to be trusted",
		psis.Above(k, dg.KThreshold), dg.Draws, why)
}
