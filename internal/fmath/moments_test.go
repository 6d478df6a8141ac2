package fmath

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// TestMoments checks Moments against sums made exactly (math/big) of the
// same terms: within len(e) ulps of the sums of the terms' sizes (what any
// order of adding can be off by) and, where the processor has a vector
// loop, that the vector loop and the Go loop agree to the bit, at every
// length from 0 to 11 and at lengths that leave 1, 2 and 3 points over.
func TestMoments(t *testing.T) {
	if !hasAVX2 {
		t.Log("no vector loop here (no AVX2, or -tags purego): the Go loop alone is checked")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 4093, 4094, 4095, 4096} {
		e, w := make([]float64, n), make([]float64, n)
		for i := range e {
			e[i] = math.Exp(-rng.Float64() * 40)
			w[i] = rng.NormFloat64() * 1e3
		}
		start, step, off := -7.3+rng.Float64(), 1.0/3, rng.IntN(1000)
		var got [6]float64
		Moments(&got, e, w, start, step, off)
		want, size := momentsExact(e, w, start, step, off)
		for q := range got {
			if d := math.Abs(got[q] - want[q]); d > float64(n+2)*0x1p-52*size[q] {
				t.Errorf("n=%d: sum %d = %.17g, exactly %.17g: off by %.3g, bound %.3g", n, q, got[q], want[q], d, float64(n+2)*0x1p-52*size[q])
			}
		}
		if !hasAVX2 {
			continue
		}
		hasAVX2 = false // not with t.Parallel
		var plain [6]float64
		Moments(&plain, e, w, start, step, off)
		hasAVX2 = true
		if plain != got {
			t.Errorf("n=%d: the vector loop gives %v, the Go loop %v", n, got, plain)
		}
	}
}

// momentsExact returns Moments' sums with each term as the loop rounds it
// (d, t e, e d, ...) but added exactly, and the sums of the terms' sizes.
func momentsExact(e, w []float64, start, step float64, off int) (sums, size [6]float64) {
	var acc [6]big.Float
	for q := range acc {
		acc[q].SetPrec(2048) // the terms span far fewer bits: every sum is exact
	}
	for i, v := range e {
		d := start + float64(off+i)*step
		tv := w[i] * v
		terms := [6]float64{v, v * d, v * d * d, tv, tv * d, tv * d * d}
		for q, x := range terms {
			acc[q].Add(&acc[q], new(big.Float).SetFloat64(x))
			size[q] += math.Abs(x)
		}
	}
	for q := range acc {
		sums[q], _ = acc[q].Float64()
	}
	return sums, size
}
