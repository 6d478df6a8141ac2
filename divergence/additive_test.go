package divergence_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/klfit/klfit/divergence"
)

// TestAdditiveSplits checks what divergence.Additive promises: evaluated on
// two parts of the grid, the values add up to the whole's (to rounding)
// and h is the same point by point.
func TestAdditiveSplits(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	n := 101
	p, q := make([]float64, n), make([]float64, n)
	var sp, sq float64
	for i := range p {
		if rng.IntN(5) > 0 { // some zero masses on either side
			p[i] = rng.Float64()
		}
		if rng.IntN(5) > 0 {
			q[i] = rng.Float64()
		}
		sp += p[i]
		sq += q[i]
	}
	for i := range p {
		p[i] /= sp
		q[i] /= sq
	}
	for _, name := range divergence.Names() {
		d, err := divergence.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		a, ok := d.(divergence.Additive)
		if !ok {
			continue
		}
		// Supports are disjoint in places: use P where both are positive
		// for the divergences that would be infinite.
		pp, qq := p, q
		if _, err := a.Eval(p, logs(p), q, logs(q), nil); err != nil {
			pp, qq = both(p, q)
		}
		cut := 37
		whole, h1, h2 := make([]float64, n), make([]float64, cut), make([]float64, n-cut)
		if _, ok := d.(divergence.ReportOnly); ok { // no gradient to check
			whole, h1, h2 = nil, nil, nil
		}
		v, err := a.Eval(pp, logs(pp), qq, logs(qq), whole)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		v1, err1 := a.Eval(pp[:cut], logs(pp[:cut]), qq[:cut], logs(qq[:cut]), h1)
		v2, err2 := a.Eval(pp[cut:], logs(pp[cut:]), qq[cut:], logs(qq[cut:]), h2)
		if err1 != nil || err2 != nil || math.Abs(v1+v2-v) > 1e-15*math.Max(1, math.Abs(v)) {
			t.Errorf("%s: parts %v + %v = %v, whole %v (%v, %v)", name, v1, v2, v1+v2, v, err1, err2)
		}
		for i, hv := range append(h1, h2...) {
			if hv != whole[i] {
				t.Errorf("%s: h[%d] %v in parts, %v whole", name, i, hv, whole[i])
			}
		}
	}
}

// both returns copies of p and q, renormalized, with mass only where both
// had some.
func both(p, q []float64) ([]float64, []float64) {
	pp, qq := make([]float64, len(p)), make([]float64, len(q))
	var sp, sq float64
	for i := range p {
		if p[i] > 0 && q[i] > 0 {
			pp[i], qq[i] = p[i], q[i]
			sp += p[i]
			sq += q[i]
		}
	}
	for i := range pp {
		pp[i] /= sp
		qq[i] /= sq
	}
	return pp, qq
}
