package fit

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestAddLogs checks addLogs against math.Log over positive normal numbers
// of every size, near 1 and at the ends of logTable's intervals: within
// 2^-52 (absolute, where log x is near 0) plus 2^-52 of |log x|. The
// mixture pass adds its result to a log-density's reference, so an
// absolute error of an ulp or two is what it can tell apart.
func TestAddLogs(t *testing.T) {
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
	addLogs(got, xs, 0)
	for i, x := range xs {
		want := math.Log(x)
		got := got[i]
		if d := math.Abs(got - want); d > 0x1p-52*(1+math.Abs(want)) {
			t.Errorf("log(%v) = %.17g, math.Log %.17g: off by %.3g", x, got, want, d)
		}
	}
}

func BenchmarkAddLogs(b *testing.B) {
	xs := make([]float64, 4096)
	for i := range xs {
		xs[i] = 1e-3 + float64(i)
	}
	dst := make([]float64, len(xs))
	b.Run("addLogs", func(b *testing.B) {
		for range b.N {
			addLogs(dst, xs, 0)
		}
	})
	b.Run("math.Log", func(b *testing.B) {
		for range b.N {
			for i, x := range xs {
				dst[i] = math.Log(x)
			}
		}
	})
}
