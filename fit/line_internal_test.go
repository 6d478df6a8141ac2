package fit

import (
	"math"
	"math/rand/v2"
	"testing"
)

const eps = 0x1p-52

// TestLineFillTerms checks every term the recurrence makes (line.fill)
// against an exp of the same log-density, over random lines and chunks:
// the recurrence's rounding errors compound to at most about 1.2e-13
// relative (see anchorEvery and coarseEvery), and the anchors' exps are
// off by up to eps times their argument (about 1.6e-13 for arguments up
// to 700, where terms underflow), so no term may be off by more than
// 4e-13 relative, plus the error of the anchors' arguments (below). Terms
// below 1e-290 are left out: there the reference itself
// loses digits as it nears the subnormal range.
func TestLineFillTerms(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	worst := 0.0
	for trial := range 2000 {
		ln := randomLine(rng, trial%2 == 1)
		n, b, c, start, step := ln.n, ln.b, ln.c, ln.start, ln.step
		lo := rng.IntN(n)
		hi := lo + 1 + rng.IntN(n-lo)
		logq, q := make([]float64, hi-lo), make([]float64, hi-lo)
		mx, sum := ln.fill(logq, q, lo)
		// The reference: exp(b (x_j - x_m) + c (x_j^2 - x_m^2)), x_m the
		// chunk's point of largest log-density, with the difference
		// taken as (x_j - x_m)(b + c (x_j + x_m)), which keeps its
		// precision when the vertex is far from the chunk and the
		// log-densities are large.
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
			e := math.Exp((x - xm) * (b + c*(x+xm)))
			ref += e
			if e < 1e-290 {
				continue
			}
			tol := 4e-13 + argError(x, b, c, mx, start)
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

// TestLineSums checks the sums of e, e x and e x^2 that the normal pass
// takes from the recurrence (line.sumsTo, with its even and odd
// recurrences and the two-exp start at the mode) against sums of exps of
// the same log-density, over random lines and chunks, each term allowed
// the error TestLineFillTerms allows it.
func TestLineSums(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	worst := 0.0
	for trial := range 2000 {
		ln := randomLine(rng, true)
		n, b, c, start, step := ln.n, ln.b, ln.c, ln.start, ln.step
		lo := rng.IntN(n)
		hi := lo + 1 + rng.IntN(n-lo)
		if trial%3 == 0 { // a chunk holding the mode
			lo, hi = max(0, ln.jm-rng.IntN(n)), min(n, ln.jm+1+rng.IntN(n))
		}
		var got [3]float64
		ln.sumsTo(&got, lo, hi)
		xm := start + float64(ln.jm)*step
		var want, bound [3]float64
		for j := lo; j < hi; j++ {
			x := start + float64(j)*step
			e := math.Exp((x - xm) * (b + c*(x+xm)))
			tol := 4e-13 + argError(x, b, c, ln.m, start)
			if e < 1e-290 {
				tol = 1 // below the reference's own precision
			}
			for k, v := range [3]float64{e, e * x, e * x * x} {
				want[k] += v
				bound[k] += math.Abs(v)*tol + 1e-300
			}
		}
		for k := range got {
			if r := math.Abs(got[k]-want[k]) / bound[k]; r > worst {
				worst = r
				if r > 1 {
					t.Errorf("trial %d, sum %d: %v, exps give %v (bound %.3g)", trial, k, got[k], want[k], bound[k])
				}
			}
		}
	}
	t.Logf("worst error %.3g of its bound", worst)
}

// randomLine returns a line of 1 to 5000 points, steps from e^-6 to e^2,
// widths from e^-5 to e times the grid's, starting left of 0, with its
// vertex at 0 or, when anywhere is set, anywhere from well left of the
// grid to well right of it.
func randomLine(rng *rand.Rand, anywhere bool) line {
	n := 1 + rng.IntN(5000)
	step := math.Exp(rng.Float64()*8 - 6)
	width := step * float64(n)
	c := -1 / (2 * math.Pow(width*math.Exp(rng.Float64()*6-5), 2))
	start := -width * rng.Float64() * 1.5
	b := 0.0
	if anywhere {
		b = -2 * c * (start + width*(rng.Float64()*1.4-0.2))
	}
	var l line
	l.set(b, c, start, step, n)
	return l
}

// argError bounds the error, relative, that an exp of the log-density
// b x + c x^2 - m at a computed grid point makes beyond the recurrence's.
// The argument's terms b x, c x^2 and m are each good to an ulp, so it is
// off by up to 4 eps (|b x| + |c x^2| + |m|), as in any pass that
// exponentiates log-densities; where b x and c x^2 cancel (x near the
// other root of the log-density, far from the vertex) that is much more
// than eps times the argument. And the points start + j step are each off
// by up to 2 eps (|start| + |x|) from the evenly spaced points the
// recurrence follows, which moves the log-density by its slope
// |b + 2 c x| times that.
func argError(x, b, c, m, start float64) float64 {
	return 4*eps*(math.Abs(b*x)+math.Abs(c*x*x)+math.Abs(m)) + 2*eps*math.Abs(b+2*c*x)*(math.Abs(start)+math.Abs(x))
}
