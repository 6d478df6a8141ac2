package divergence_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/klfit/klfit/divergence"
)

// TestBoundedDivergences holds every registered divergence (those with
// options at orders on both sides of their special values) to what it
// declares through divergence.Bounded, which fits rely on to tell a
// vanished gradient at the divergence's largest value from a minimum. On
// a P and a Q with no mass in common, a divergence that is finite there
// with a gradient that vanishes (h a multiple of Q) must declare itself
// bounded; one that declares itself bounded must take its declared
// largest value there (to rounding, 1e-15 relative for a dozen terms),
// with a vanishing gradient, and exceed it on no other pair (1e-14
// relative: a sum of a few dozen terms of order 1).
func TestBoundedDivergences(t *testing.T) {
	p := []float64{0.1, 0.3, 0.2, 0.15, 0.15, 0.1, 0, 0, 0, 0, 0, 0}
	q := []float64{0, 0, 0, 0, 0, 0, 0.05, 0.25, 0.3, 0.2, 0.1, 0.1}
	logp, logq := logs(p), logs(q)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, d := range allDivergences(t) {
		name := divergence.Label(d)
		var h []float64
		if _, reportOnly := d.(divergence.ReportOnly); !reportOnly {
			h = make([]float64, len(p))
		}
		v, err := d.Eval(p, logp, q, logq, h)
		vanishes := h != nil && err == nil && multipleOf(h, q)
		sup, bounded := 0.0, false
		if b, ok := d.(divergence.Bounded); ok {
			sup, bounded = b.Sup()
		}
		if !bounded {
			if err == nil && !math.IsInf(v, 1) && vanishes {
				t.Errorf("%s is %v where P and Q have no mass in common, and its gradient vanishes there: it is bounded, and must say so (divergence.Bounded)", name, v)
			}
			continue
		}
		if err != nil || math.Abs(v-sup) > 1e-15*sup {
			t.Errorf("%s: %v (%v) where P and Q have no mass in common, declared largest value %v", name, v, err, sup)
		}
		if h != nil && !vanishes {
			t.Errorf("%s: h = %v at its largest value, not a multiple of Q: its gradient does not vanish there", name, h)
		}
		for range 2000 {
			rp, rq := randomMasses(rng, len(p)), randomMasses(rng, len(p))
			if v, err := d.Eval(rp, logs(rp), rq, logs(rq), nil); err != nil || v > sup*(1+1e-14) {
				t.Fatalf("%s(%v, %v) = %v (%v), above its declared largest value %v", name, rp, rq, v, err, sup)
			}
		}
	}
}

// multipleOf reports whether h is c*q for some c, to rounding.
func multipleOf(h, q []float64) bool {
	var hs, qs, scale float64
	for i := range h {
		hs += h[i]
		qs += q[i]
		scale = math.Max(scale, math.Abs(h[i]))
	}
	c := hs / qs
	for i := range h {
		if math.Abs(h[i]-c*q[i]) > 1e-15*scale {
			return false
		}
	}
	return true
}

// randomMasses returns a probability vector of n points, about a third
// of them 0, some of the rest tiny.
func randomMasses(rng *rand.Rand, n int) []float64 {
	m := make([]float64, n)
	var sum float64
	for i := range m {
		switch rng.IntN(6) {
		case 0, 1:
		case 2:
			m[i] = 1e-30 * rng.Float64()
		default:
			m[i] = rng.Float64()
		}
		sum += m[i]
	}
	if sum == 0 {
		m[0], sum = 1, 1
	}
	for i := range m {
		m[i] /= sum
	}
	return m
}
