// Package psis estimates the Pareto shape k̂ of the upper tail of
// importance ratios, the reliability diagnostic of Pareto smoothed
// importance sampling (Vehtari, Simpson, Gelman, Yao and Gabry, "Pareto
// smoothed importance sampling", JMLR 2024).
//
// k̂ estimates how many moments the ratios have: a ratio distribution
// whose tail falls like t^(-1/k) has finite moments of order below 1/k.
// Below 0.5 the variance is finite and a plain Monte Carlo average
// converges at the usual rate; between 0.5 and 0.7 it still converges,
// slowly; above 0.7 the estimate cannot be trusted at any practical
// sample size (the variance is very likely infinite).
package psis

import (
	"math"
	"slices"
)

// Threshold is the k̂ above which an importance-sampling estimate is
// unreliable, as Vehtari et al. recommend for sample sizes up to a few
// thousand; see [Threshold] for the size-dependent bound.
const Threshold = 0.7

// SampleThreshold returns the size-dependent bound min(1 - 1/log10(S), 0.7)
// of Vehtari et al.: with S draws, a k̂ above it means the estimate is not
// to be trusted.
func SampleThreshold(s int) float64 {
	if s <= 10 {
		return 0
	}
	return math.Min(1-1/math.Log10(float64(s)), Threshold)
}

// TailLength returns the number of largest ratios the shape is fitted to
// among s draws: min(s/5, 3 sqrt(s)).
func TailLength(s int) int {
	return min(s/5, int(3*math.Sqrt(float64(s))))
}

// ParetoK returns k̂ for the importance ratios whose logarithms are
// logRatios (unnormalized: any constant shift gives the same k̂). It fits
// a generalized Pareto distribution to the ratios above the threshold
// that leaves [TailLength] of them in the tail. It returns NaN when there
// are fewer than 5 tail values or any log ratio is NaN, and +Inf when a
// log ratio is +Inf. logRatios is not modified.
func ParetoK(logRatios []float64) float64 {
	s := len(logRatios)
	m := TailLength(s)
	if m < 5 {
		return math.NaN()
	}
	lw := slices.Clone(logRatios)
	for _, v := range lw {
		if math.IsNaN(v) {
			return math.NaN()
		}
		if math.IsInf(v, 1) {
			return math.Inf(1)
		}
	}
	slices.Sort(lw)
	top := lw[s-1]
	if math.IsInf(top, -1) {
		return math.NaN()
	}
	cutoff := math.Exp(lw[s-m-1] - top)
	tail := make([]float64, m)
	for i, v := range lw[s-m:] {
		tail[i] = math.Exp(v-top) - cutoff
	}
	if tail[m-1] <= 0 || tail[m-1]-tail[0] <= tail[m-1]*1e-14 {
		// All tail ratios equal: no tail at all.
		return math.Inf(-1)
	}
	k, _ := FitGPD(tail)
	return k
}

// FitGPD fits a generalized Pareto distribution with location 0 to the
// positive values x, sorted in increasing order, and returns its shape k
// and scale sigma. It is the empirical Bayes estimate of Zhang and
// Stephens ("A new and efficient estimation method for the generalized
// Pareto distribution", Technometrics 2009) with the weakly informative
// prior of Vehtari et al. that shrinks k towards 0.5 by 10 pseudo
// observations, as the loo and ArviZ packages compute it.
func FitGPD(x []float64) (k, sigma float64) {
	n := len(x)
	const prior = 3
	m := 30 + int(math.Sqrt(float64(n)))
	xstar := x[int(float64(n)/4+0.5)-1] // first quartile
	theta := make([]float64, m)
	logLik := make([]float64, m)
	for j := range theta {
		t := 1/x[n-1] + (1-math.Sqrt(float64(m)/(float64(j+1)-0.5)))/prior/xstar
		theta[j] = t
		kj := meanLog1p(-t, x)
		logLik[j] = float64(n) * (math.Log(-t/kj) - kj - 1)
	}
	// Posterior weights of the grid of theta values, normalized by
	// log-sum-exp.
	lmax := slices.Max(logLik)
	var sum float64
	for _, l := range logLik {
		sum += math.Exp(l - lmax)
	}
	var thetaHat float64
	for j, l := range logLik {
		thetaHat += theta[j] * math.Exp(l-lmax) / sum
	}
	k = meanLog1p(-thetaHat, x)
	sigma = -k / thetaHat
	const a = 10 // pseudo observations of the prior on k, centred on 0.5
	k = k*float64(n)/float64(n+a) + a*0.5/float64(n+a)
	return k, sigma
}

// meanLog1p returns the mean of log1p(a x) over x.
func meanLog1p(a float64, x []float64) float64 {
	var s float64
	for _, v := range x {
		s += math.Log1p(a * v)
	}
	return s / float64(len(x))
}
