package fit

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestAnchorExp checks anchorExp against math.Exp over (-745, 710),
// around the bounds of its own range and near 0: within 1.5 times 2^-52
// of math.Exp's result, relative (each within an ulp of exp; they differ
// in about one case in eight, by at most two units in the last place).
func TestAnchorExp(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	xs := []float64{0, -0, 1e-300, -1e-300, 1, -1, 699.9, -699.9, 700, -700, 709, -745, -746, 710, math.Inf(-1), math.Inf(1)}
	for j := -64 * 1100; j <= 64*1100; j += 17 { // the ends of the table's steps
		c := float64(j) * math.Ln2 / 128
		xs = append(xs, c, math.Nextafter(c, 0), math.Nextafter(c, math.Inf(1)))
	}
	for range 300_000 {
		xs = append(xs, -745+1455*rng.Float64(), (rng.Float64()-0.5)*1e-2)
	}
	for _, x := range xs {
		got, want := anchorExp(x), math.Exp(x)
		if got == want {
			continue
		}
		if d := math.Abs(got - want); !(d <= 1.5*0x1p-52*want) {
			t.Errorf("anchorExp(%v) = %v, math.Exp %v: off by %.3g ulps", x, got, want, d/want/0x1p-52)
		}
	}
	if !math.IsNaN(anchorExp(math.NaN())) {
		t.Error("anchorExp(NaN) is not NaN")
	}
}

func BenchmarkAnchorExp(b *testing.B) {
	xs := make([]float64, 4096)
	for i := range xs {
		xs[i] = -float64(i) / 10
	}
	dst := make([]float64, len(xs))
	b.Run("anchorExp", func(b *testing.B) {
		for range b.N {
			for i, x := range xs {
				dst[i] = anchorExp(x)
			}
		}
	})
	b.Run("math.Exp", func(b *testing.B) {
		for range b.N {
			for i, x := range xs {
				dst[i] = math.Exp(x)
			}
		}
	})
}
