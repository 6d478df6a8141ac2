package fmath

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestKLTerms runs KLTerms as the mixture pass does, on chunks with points
// where P is 0 and points whose s is below tiny or NaN at every position
// of a group of four: it must stop at exactly those, its t must be P/s,
// its sums within a few ulps of the terms' sizes of sums made with
// math.Log, and, where the processor has a vector loop, the vector loop
// and the Go loop must agree to the bit.
func TestKLTerms(t *testing.T) {
	if !hasAVX2 {
		t.Log("no vector loop here (no AVX2, or -tags purego): the Go loop alone is checked")
	}
	// a with a full mantissa: with a dyadic one (-3.5) a - log s and its
	// reassociations round alike at most points, and a mutation of the
	// order went unseen.
	const tiny, a = 0x1p-900, -3.3
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 64, 1001} {
		for _, odd := range []int{-1, 0, 1, 2, 3, 6, n - 1} {
			s, p, logp := make([]float64, n), make([]float64, n), make([]float64, n)
			for i := range s {
				s[i] = math.Exp(-rng.Float64() * 600)
				if rng.IntN(5) > 0 {
					p[i] = rng.Float64()
				}
				logp[i] = math.Log(p[i])
			}
			if odd >= 0 && odd < n {
				s[odd] = 0x1p-950
				if odd%2 == 1 {
					s[odd] = math.NaN()
				}
			}
			run := func() ([]float64, [2][4]float64, []int) {
				tv := make([]float64, n)
				var acc [2][4]float64
				var stops []int
				for i := 0; ; i++ {
					if i = KLTerms(&acc, tv, s, p, logp, a, tiny, i); i == n {
						break
					}
					stops = append(stops, i)
					acc[0][i%4] += 1 // the caller's own term
				}
				return tv, acc, stops
			}
			tv, lanes, stops := run()
			sums := [2]float64{(lanes[0][0] + lanes[0][1]) + (lanes[0][2] + lanes[0][3]), (lanes[1][0] + lanes[1][1]) + (lanes[1][2] + lanes[1][3])}
			var want, size [2]float64
			var wantStops []int
			for i := range s {
				if !(s[i] >= tiny) {
					wantStops = append(wantStops, i)
					want[0]++
					size[0]++
					continue
				}
				if tv[i] != p[i]/s[i] {
					t.Errorf("n=%d: t[%d] = %v, P/s %v", n, i, tv[i], p[i]/s[i])
				}
				if p[i] > 0 {
					v := p[i] * (logp[i] - (a + math.Log(s[i])))
					want[0] += v
					size[0] += math.Abs(v) + p[i]*(math.Abs(a)+math.Abs(math.Log(s[i])))
				}
				want[1] += s[i]
				size[1] += s[i]
			}
			if len(stops) != len(wantStops) || (len(stops) > 0 && stops[0] != wantStops[0]) {
				t.Errorf("n=%d: stopped at %v, want %v", n, stops, wantStops)
			}
			for q := range sums {
				if d := math.Abs(sums[q] - want[q]); d > float64(n+4)*0x1p-52*size[q] {
					t.Errorf("n=%d, odd point %d: sum %d = %.17g, with math.Log %.17g: off by %.3g", n, odd, q, sums[q], want[q], d)
				}
			}
			if !hasAVX2 {
				continue
			}
			hasAVX2 = false // not with t.Parallel
			tp, plain, _ := run()
			hasAVX2 = true
			if plain != lanes {
				t.Errorf("n=%d, odd point %d: the vector loop's partial sums %v, the Go loop's %v", n, odd, lanes, plain)
			}
			for i := range tp {
				if tp[i] != tv[i] && !(math.IsNaN(tp[i]) && math.IsNaN(tv[i])) {
					t.Errorf("n=%d: t[%d] is %v with the vector loop, %v without", n, i, tv[i], tp[i])
				}
			}
		}
	}
}
