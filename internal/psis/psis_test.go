package psis

import (
	"math"
	"math/rand/v2"
	"testing"
)

// gpdSample draws n values of a generalized Pareto distribution with
// shape k and scale 1 by inversion, sorted.
func gpdSample(rng *rand.Rand, n int, k float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		u := rng.Float64()
		x[i] = (math.Pow(1-u, -k) - 1) / k
	}
	return sorted(x)
}

func sorted(x []float64) []float64 {
	for i := 1; i < len(x); i++ {
		for j := i; j > 0 && x[j] < x[j-1]; j-- {
			x[j], x[j-1] = x[j-1], x[j]
		}
	}
	return x
}

// TestFitGPD recovers the shape of generalized Pareto samples. With n
// draws the maximum likelihood shape has standard error about
// (1+k)/sqrt(n) (Zhang and Stephens 2009); 4 standard errors plus the
// prior's pull, 10(0.5-k)/(n+10), bound the error.
func TestFitGPD(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, k := range []float64{0.1, 0.5, 0.9, 1.5} {
		for _, n := range []int{500, 5000} {
			x := gpdSample(rng, n, k)
			got, sigma := FitGPD(x)
			tol := 4*(1+k)/math.Sqrt(float64(n)) + math.Abs(10*(0.5-k)/float64(n+10))
			if math.Abs(got-k) > tol {
				t.Errorf("k=%g n=%d: k̂=%g, want within %g", k, n, got, tol)
			}
			if math.Abs(sigma-1) > 0.25 {
				t.Errorf("k=%g n=%d: sigma=%g, want about 1", k, n, sigma)
			}
		}
	}
}

// TestParetoKNormalRatios checks k̂ on ratios of normal densities whose
// tail index is known: draws from N(0,1) weighted by N(0,s²)/N(0,1) have
// ratios with P(w > t) falling like t^(-1/(1-1/s²)), so k = 1 - 1/s²; a
// proposal wider than the target gives bounded ratios (k ≤ 0). Near the
// asymptotic k the finite tail is still curved, so k̂ is only required on
// the right side of the reliability threshold.
func TestParetoKNormalRatios(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const s = 20000
	for _, c := range []struct {
		s2       float64 // target variance; the proposal is N(0,1)
		reliable bool
	}{
		{0.5, true}, {1.5, true}, {10, false}, {100, false},
	} {
		lw := make([]float64, s)
		for i := range lw {
			x := rng.NormFloat64()
			lw[i] = -x*x/(2*c.s2) + x*x/2 - 0.5*math.Log(c.s2)
		}
		k := ParetoK(lw)
		if (k < Threshold) != c.reliable {
			t.Errorf("target N(0,%g) from N(0,1): k̂=%g, reliable=%v, want %v (asymptotic k %g)",
				c.s2, k, k < Threshold, c.reliable, 1-1/c.s2)
		}
	}
}

// TestParetoKShift checks that k̂ ignores a constant added to every log
// ratio and that the input is left alone.
func TestParetoKShift(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	lw := make([]float64, 1000)
	for i := range lw {
		lw[i] = rng.NormFloat64() * 2
	}
	first := lw[0]
	k1 := ParetoK(lw)
	for i := range lw {
		lw[i] += 700
	}
	k2 := ParetoK(lw)
	if lw[0] != first+700 {
		t.Fatal("ParetoK modified its input")
	}
	if math.Abs(k1-k2) > 1e-9 {
		t.Errorf("k̂ changed under a shift: %g, %g", k1, k2)
	}
}

func TestParetoKEdges(t *testing.T) {
	if k := ParetoK(make([]float64, 10)); !math.IsNaN(k) {
		t.Errorf("10 draws: k̂=%g, want NaN (too few)", k)
	}
	if k := ParetoK(make([]float64, 1000)); !math.IsInf(k, -1) {
		t.Errorf("equal ratios: k̂=%g, want -Inf", k)
	}
	lw := make([]float64, 1000)
	lw[3] = math.Inf(1)
	if k := ParetoK(lw); !math.IsInf(k, 1) {
		t.Errorf("an infinite ratio: k̂=%g, want +Inf", k)
	}
	lw[3] = math.NaN()
	if k := ParetoK(lw); !math.IsNaN(k) {
		t.Errorf("a NaN ratio: k̂=%g, want NaN", k)
	}
}

func TestSampleThreshold(t *testing.T) {
	if got := SampleThreshold(100); math.Abs(got-0.5) > 1e-15 {
		t.Errorf("SampleThreshold(100)=%g, want 0.5", got)
	}
	if got := SampleThreshold(1e6); got != Threshold {
		t.Errorf("SampleThreshold(1e6)=%g, want %g", got, Threshold)
	}
}

// TestTailsK checks the two-tailed k̂ on draws whose tails are known: a
// GPD of shape k on either side (the other side bounded) gives about k,
// as the fit's standard error (1+k)/sqrt(M) allows; draws bounded above
// and light below, as log p/q of N(0,1) against N(1,2) are, give a small
// k̂ (a fit to their magnitudes landed on the pile at the maximum and
// said 3); a Cauchy, no mean on either side, gives about 1.
func TestTailsK(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const s = 4000
	m := math.Ceil(3 * math.Sqrt(s))
	for _, k := range []float64{0.3, 0.8} {
		for _, sign := range []float64{1, -1} {
			x := gpdSample(rng, s, k)
			for i := range x {
				x[i] *= sign
			}
			got := TailsK(x)
			if tol := 4*(1+k)/math.Sqrt(m) + 10*math.Abs(0.5-k)/(m+10); math.Abs(got-k) > tol {
				t.Errorf("GPD(k=%g) times %g: k̂=%g, want within %g", k, sign, got, tol)
			}
		}
	}
	x := make([]float64, s)
	for i := range x {
		z := rng.NormFloat64()
		// log N(z; 0, 1) - log N(z; 1, 2): at most 0.847, a parabola below.
		x[i] = -z*z/2 + (z-1)*(z-1)/4 + 0.5*math.Log(2)
	}
	if got := TailsK(x); !(got < 0.3) {
		t.Errorf("log N(0,1)/N(1,2): k̂=%g, want below 0.3", got)
	}
	for i := range x {
		x[i] = rng.NormFloat64() / rng.NormFloat64() // a Cauchy: k = 1 on both sides
	}
	if got, tol := TailsK(x), 4*2/math.Sqrt(m)+10*0.5/(m+10); math.Abs(got-1) > tol {
		t.Errorf("Cauchy draws: k̂=%g, want 1 within %g", got, tol)
	}
	// Rényi's terms at alpha 0.1 for normals 100 apart, scaled by the
	// largest: a right tail over 80 orders of magnitude, whose values all
	// looked alike next to the largest, and was taken for no tail.
	top := math.Inf(-1)
	for i := range x {
		x[i] = 0.9 * (100*rng.NormFloat64() - 5000)
		top = math.Max(top, x[i])
	}
	for i := range x {
		x[i] = math.Exp(x[i] - top)
	}
	if got := TailsK(x); !(got > 1) {
		t.Errorf("terms spanning 80 orders of magnitude: k̂=%g, want above 1", got)
	}
}

func TestTailsKEdges(t *testing.T) {
	if k := TailsK(make([]float64, 20)); !math.IsNaN(k) {
		t.Errorf("20 draws: k̂=%g, want NaN (a tail of 4)", k)
	}
	x := make([]float64, 1000)
	if k := TailsK(x); !math.IsInf(k, -1) {
		t.Errorf("equal draws: k̂=%g, want -Inf", k)
	}
	for i := range x {
		x[i] = float64(i % 3) // three distinct values: no tail to fit
	}
	if k := TailsK(x); !math.IsInf(k, -1) {
		t.Errorf("three values: k̂=%g, want -Inf", k)
	}
	first := x[1]
	x[3] = math.Inf(-1)
	if k := TailsK(x); !math.IsInf(k, 1) {
		t.Errorf("an infinite draw: k̂=%g, want +Inf", k)
	}
	if x[1] != first {
		t.Error("TailsK modified its input")
	}
	x[3] = math.NaN()
	if k := TailsK(x); !math.IsNaN(k) {
		t.Errorf("a NaN draw: k̂=%g, want NaN", k)
	}
}

// TestAbove checks that a k̂ above a threshold prints above it: "%.2f"
// wrote 0.701 against 0.7 as "0.70 > 0.70".
func TestAbove(t *testing.T) {
	for _, c := range []struct {
		k, thr float64
		want   string
	}{
		{0.701, 0.7, "0.701 > 0.7"},
		{0.70001, 0.7, "0.70001 > 0.7"},
		{0.5004, 0.5, "0.5004 > 0.5"},
		{0.6668, 1 - 1/math.Log10(1000), "0.6668 > 0.6667"},
		{3.42, 0.7, "3.42 > 0.7"},
		{math.Nextafter(0.5, 1), 0.5, "0.5000000000000001 > 0.5"},
	} {
		if got := Above(c.k, c.thr); got != c.want {
			t.Errorf("Above(%v, %v) = %q, want %q", c.k, c.thr, got, c.want)
		}
	}
}
