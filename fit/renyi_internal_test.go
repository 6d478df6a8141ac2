package fit

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// TestCurveTerms checks every term the Rényi pass's recurrence makes
// (curve.block) against an exp of the same log-density at the grid's own
// point, its argument exact (big.Float), over random curves (narrow and
// wide, the vertex anywhere from well left of the grid to well right of
// it, grids near 0 and far from it), chunks and block lengths. Each term of a block may
// be off by the roundings it is made of (see curve): the block's first
// term's argument (2 eps of its terms' size) and exp (0.55 ulp); R's
// argument a = h (b + 2 c x) and exp, which the i-th term has i times,
// and R^4's from expm1 in the i/4 steps of its recurrence, i (4 eps |a| +
// eps) in all; Q_i's exp and the products, a few ulps; the reference's
// own rounding of its argument (eps of its size) and exp; and the grid's
// rounding of its points where jitter leaves it (below 2^-46). Terms
// below 1e-290 are left out: there the reference loses digits as it
// nears the subnormal range.
func TestCurveTerms(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	worst := 0.0
	for trial := range 1500 {
		n := 1 + rng.IntN(5000)
		step := math.Exp(rng.Float64()*8 - 6)
		width := step * float64(n)
		start := -width * rng.Float64() * 1.5
		if trial%3 == 0 {
			start += 1000 * width * rng.Float64() // far from 0
		}
		c := -1 / (2 * math.Pow(width*math.Exp(rng.Float64()*6-5), 2))
		v := start + width*(rng.Float64()*1.4-0.2) // the vertex
		x := make([]float64, n)
		for j := range x {
			x[j] = start + float64(j)*step // as grid.Axis.At
		}
		jm := int(min(max(math.Round((v-start)/step), 0), float64(n-1)))
		ref := x[jm]
		b := -2 * c * (v - ref)
		var cv curve
		cv.set(b, c, x, start, ref, step, n, jm, []int{64, curveBlock}[trial%2])
		lo := rng.IntN(n)
		hi := lo + 1 + rng.IntN(n-lo)
		var buf [curveBlock]float64
		for _, sd := range cv.sides(lo, hi) {
			j, dir := sd.j, sd.dir
			h := float64(dir) * step
			for count := sd.n; count > 0; count -= cv.blk {
				k := min(count, cv.blk)
				if !cv.block(&buf, j, dir, k) {
					break
				}
				x0 := x[j] - ref
				a := math.Abs(h*b) + 2*math.Abs(h*c*x0)
				first := 2*eps*(math.Abs(b*x0)+math.Abs(c*x0*x0)) + 0.55*eps
				for i := range k {
					xi := new(big.Float).SetPrec(256).SetFloat64(x[j+i*dir])
					xi.Sub(xi, new(big.Float).SetFloat64(ref))
					l := new(big.Float).SetPrec(256).SetFloat64(c)
					l.Mul(l, xi).Add(l, new(big.Float).SetFloat64(b)).Mul(l, xi)
					lf, _ := l.Float64()
					want := math.Exp(lf)
					if want < 1e-290 {
						continue
					}
					tol := first + float64(i)*(4*eps*a+eps) + 10*eps + 0x1p-46 + 2*eps*math.Abs(lf)
					if r := math.Abs(buf[i]-want) / want / tol; r > worst {
						worst = r
						if r > 1 {
							t.Errorf("trial %d (n %d, c %g, vertex %g, ref %g): term %d of the block at %d (dir %d): %.17g, exp %.17g (%.3g relative, tolerance %.3g)",
								trial, n, c, v, ref, i, j, dir, buf[i], want, math.Abs(buf[i]-want)/want, tol)
						}
					}
				}
				j += k * dir
			}
		}
	}
	t.Logf("worst error %.3g of its tolerance", worst)
}
