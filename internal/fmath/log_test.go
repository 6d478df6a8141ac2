package fmath

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestLog checks Log and AddLogs against math.Log over positive normal
// numbers of every size, near 1 and at the ends of logTable's intervals:
// within 2^-52 (absolute, where log x is near 0) plus 2^-52 of |log x|.
// The mixture pass adds the result to a log-density's reference, so an
// absolute error of an ulp or two is what it can tell apart. Log hands
// other numbers to math.Log.
func TestLog(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	xs := []float64{1, math.Nextafter(1, 2), math.Nextafter(1, 0), 2, 0.5, 0x1p-1022, math.MaxFloat64, 1 + 1e-10, 1 - 1e-10, math.E}
	for j := range 129 { // the ends of the intervals
		c := 1 + float64(j)/128
		xs = append(xs, c, math.Nextafter(c, 0), math.Nextafter(c, 3), c*0x1p-600, c*0x1p700)
	}
	for range 200_000 {
		xs = append(xs, math.Ldexp(1+rng.Float64(), rng.IntN(2045)-1022), 1+(rng.Float64()-0.5)*1e-3)
	}
	got := make([]float64, len(xs))
	AddLogs(got, xs, 0)
	// With a reference a, the vector loop on most points and the Go loop
	// on the last few (len(xs) is not a multiple of 4).
	const a = -7.25
	shifted := make([]float64, len(xs))
	AddLogs(shifted, xs, a)
	for i, x := range xs {
		if want := a + Log(x); shifted[i] != want {
			t.Fatalf("AddLogs with a = %v: log(%v) gives %v, a + Log %v", a, x, shifted[i], want)
		}
	}
	for i, x := range xs {
		want := math.Log(x)
		if d := math.Abs(got[i] - want); d > 0x1p-52*(1+math.Abs(want)) {
			t.Errorf("AddLogs: log(%v) = %.17g, math.Log %.17g: off by %.3g", x, got[i], want, d)
		}
		if g := Log(x); g != got[i] {
			t.Errorf("Log(%v) = %v, AddLogs %v", x, g, got[i])
		}
	}
	for _, x := range []float64{0, -0.0, 0x1p-1074, 0x1p-1023, -1, math.Inf(1), math.Inf(-1), math.NaN()} {
		if g, w := Log(x), math.Log(x); g != w && !(math.IsNaN(g) && math.IsNaN(w)) {
			t.Errorf("Log(%v) = %v, math.Log %v", x, g, w)
		}
	}
}

func BenchmarkLog(b *testing.B) {
	xs := make([]float64, 4096)
	for i := range xs {
		xs[i] = 1e-3 + float64(i)
	}
	dst := make([]float64, len(xs))
	b.Run("AddLogs", func(b *testing.B) {
		for b.Loop() {
			AddLogs(dst, xs, 0)
		}
	})
	b.Run("Log", func(b *testing.B) {
		for b.Loop() {
			for i, x := range xs {
				dst[i] = Log(x)
			}
		}
	})
	b.Run("math.Log", func(b *testing.B) {
		for b.Loop() {
			for i, x := range xs {
				dst[i] = math.Log(x)
			}
		}
	})
}
