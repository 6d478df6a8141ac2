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
	"strconv"
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
	lw, bad := sortedCopy(logRatios, 1)
	if bad != 0 {
		return bad
	}
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

// TailsK returns the Pareto k̂ of the heavier of the two tails of the
// draws x, as pareto_khat(x, tail = "both") of the R posterior package
// computes it (Vehtari et al. 2024): a generalized Pareto distribution is
// fitted to the excesses over the threshold of the M = ceil(min(S/5,
// 3 sqrt(S))) largest draws, and again to those of the M largest
// negated draws, and the larger shape is returned. Draws that are bounded
// on one side and unbounded on the other thus get the unbounded side's
// k̂, not a fit to both sides' magnitudes mixed together. A tail with no
// spread (fewer than 5 distinct values, to within rounding) has no k̂; when
// neither tail has one the result is -Inf. It returns NaN when M < 5 or
// any draw is NaN, and +Inf when a draw is infinite. x is not modified.
func TailsK(x []float64) float64 {
	s := len(x)
	m := int(math.Ceil(math.Min(0.2*float64(s), 3*math.Sqrt(float64(s)))))
	m = min(m, s/2)
	if m < 5 {
		return math.NaN()
	}
	v, bad := sortedCopy(x, 0)
	if bad != 0 {
		return bad
	}
	k := math.Inf(-1)
	right := v[s-m-1:]
	left := make([]float64, m+1) // the negated draws' largest, in increasing order
	for i := range left {
		left[i] = -v[m-i]
	}
	for _, t := range [][]float64{left, right} {
		if kt := tailK(t); kt > k {
			k = kt
		}
	}
	return k
}

// sortedCopy returns x sorted in a copy, with bad 0; or, when x holds a
// NaN, bad NaN, and when it holds an infinity of the sign sign (either,
// for 0; see math.IsInf), bad +Inf (the tail is as heavy as can be).
func sortedCopy(x []float64, sign int) (v []float64, bad float64) {
	for _, t := range x {
		if math.IsNaN(t) {
			return nil, math.NaN()
		}
		if math.IsInf(t, sign) {
			return nil, math.Inf(1)
		}
	}
	v = slices.Clone(x)
	slices.Sort(v)
	return v, 0
}

// tailK fits the shape to the excesses of t[1:] over t[0], all sorted in
// increasing order; -Inf when the tail has fewer than 5 distinct values,
// neighbours being distinct when they differ by more than rounding of
// their own size (against the largest value's size, the values of a tail
// heavy enough to span 80 orders of magnitude all looked alike, and the
// heaviest tails were called no tail at all).
func tailK(t []float64) float64 {
	cut := t[0]
	distinct := 1
	for i := 2; i < len(t); i++ {
		if t[i]-t[i-1] > 1e-12*math.Max(math.Abs(t[i]), math.Abs(t[i-1])) {
			distinct++
		}
	}
	if distinct < 5 {
		return math.Inf(-1)
	}
	if t[1] == cut {
		// Ties at the threshold: excesses of zero would leave the fit's
		// first quartile at 0, so the threshold moves just below them.
		cut = math.Nextafter(cut, math.Inf(-1))
	}
	ex := make([]float64, len(t)-1)
	for i, u := range t[1:] {
		ex[i] = u - cut
	}
	k, _ := FitGPD(ex)
	return k
}

// Above writes "k > thr" for k above thr, each with the fewest
// significant digits (at least 3) that keep the comparison true as
// printed: 0.701 above 0.7 is "0.701 > 0.7", not "0.70 > 0.70".
func Above(k, thr float64) string {
	for prec := 3; ; prec++ {
		ks := strconv.FormatFloat(k, 'g', prec, 64)
		ts := strconv.FormatFloat(thr, 'g', prec, 64)
		kv, _ := strconv.ParseFloat(ks, 64)
		tv, _ := strconv.ParseFloat(ts, 64)
		if kv > tv || prec >= 17 || !(k > thr) {
			return ks + " > " + ts
		}
	}
}
