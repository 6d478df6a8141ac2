package fit

import (
	"math"
	"math/rand/v2"
	"testing"
)

const eps = 0x1p-52

// TestLineFillTerms checks every term the recurrence makes (line.fill)
// against an exp of the same log-density, over random lines and chunks:
// the recurrence's rounding errors compound to about k^2 eps/4 after k
// steps (5.7e-14 for k = anchorEvery = 32), and the anchors' exps are off
// by up to eps times their argument (about 1.6e-13 for arguments up to
// 700, where terms underflow), so no term may be off by more than 4e-13
// relative, plus the error of the anchors' arguments (below). Terms
// below 1e-290 are left out: there the reference itself
// loses digits as it nears the subnormal range.
func TestLineFillTerms(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	worst := 0.0
	for trial := range 2000 {
		n := 1 + rng.IntN(5000)
		step := math.Exp(rng.Float64()*8 - 6)
		width := step * float64(n)
		c := -1 / (2 * math.Pow(width*math.Exp(rng.Float64()*6-5), 2))
		start := -width * rng.Float64() * 1.5
		ln := newLine(0, c, start, step, n)
		lo := rng.IntN(n)
		hi := lo + 1 + rng.IntN(n-lo)
		logq, q := make([]float64, hi-lo), make([]float64, hi-lo)
		mx, sum := ln.fill(logq, q, lo)
		// The reference: exp(c (x_j^2 - x_m^2)), x_m the chunk's point
		// of largest log-density, with the difference taken as
		// c (x_j - x_m)(x_j + x_m), which keeps its precision when the
		// vertex is far from the chunk and the log-densities are large.
		jm := 0
		for j := range logq {
			if logq[j] > mx {
				t.Fatalf("trial %d: term %d's log %v above the chunk's max %v", trial, j, logq[j], mx)
			}
			if logq[j] == mx {
				jm = j
			}
		}
		xm := start + float64(lo+jm)*step
		var ref float64
		for j := range q {
			x := start + float64(lo+j)*step
			e := math.Exp(c * (x - xm) * (x + xm))
			ref += e
			if e < 1e-290 {
				continue
			}
			// Beyond the recurrence's error, the anchors' exps take
			// x (b + c x) - max, whose two terms are each good to an
			// ulp: 4 eps (|l_j| + |max|) relative, as in any pass that
			// exponentiates log-densities.
			tol := 4e-13 + 4*eps*(math.Abs(logq[j])+math.Abs(mx))
			if r := math.Abs(q[j]-e) / e / tol; r > worst {
				worst = r
			}
		}
		if math.Abs(sum-ref) > 4e-13*ref {
			t.Errorf("trial %d: sum %v, exps give %v", trial, sum, ref)
		}
	}
	t.Logf("worst relative term error %.3g of its tolerance (anchor every %d points)", worst, anchorEvery)
	if worst > 1 {
		t.Errorf("worst relative term error %.3g times its tolerance", worst)
	}
}
