package fit

import (
	"math"

	"github.com/klfit/klfit/dist"
)

// quad2Pass is quadPass on a 2-D grid, for a family whose log-density is
// b1 x + b2 y + c11 x^2 + c12 x y + c22 y^2 (dist.Quadratic2D). With
// coordinates centred on the target's mean, forward KL needs the target's
// mass and its five moments E_P[x], E_P[y], E_P[x^2], E_P[x y], E_P[y^2],
// computed once, and the model's normalizer and moments, summed row by
// row: along row y the log-density is (b1 + c12 y) x + c11 x^2 plus
// b2 y + c22 y^2, a line (see line.sumsTo) whose sums are scaled by one exp
// per row.
type quad2Pass struct {
	fam          dist.Quadratic2D
	nx, ny       int
	x0, dx       float64 // x'_j = x0 + j*dx
	y0, dy       float64 // y'_i = y0 + i*dy
	rx, ry       float64 // the target's mean
	plogp, mass  float64
	logSum       float64    // log of the normalized density summed over the grid
	mom          [5]float64 // target moments of x', y', x'^2, x'y', y'^2 (times mass)
	d            [][5]float64
	coef         [5]float64 // this evaluation's centred coefficients
	rows         []rowSums
	pool         *pool
	rowsPerChunk int
}

// rowSums is one row's share: the row's largest log-density term and the
// sums of e, e x', e x'^2 relative to it.
type rowSums struct {
	max float64
	s   [3]float64
}

func newQuad2Pass(prob *Problem, fam dist.Quadratic2D, threads int) *quad2Pass {
	g := prob.Grid
	ax, ay := g.Axes[0], g.Axes[1]
	q := &quad2Pass{fam: fam, nx: ax.N, ny: ay.N, dx: ax.Delta, dy: ay.Delta}
	q.d = make([][5]float64, len(prob.Init))
	q.plogp, q.mass = entropyTerms(prob.P)
	var rx, ry csum
	for i, p := range prob.P {
		rx.add(p * g.X[i])
		ry.add(p * g.Y[i])
	}
	q.rx, q.ry = rx.sum()/q.mass, ry.sum()/q.mass
	var mom [5]csum
	for i, p := range prob.P {
		x, y := g.X[i]-q.rx, g.Y[i]-q.ry
		mom[0].add(p * x)
		mom[1].add(p * y)
		mom[2].add(p * x * x)
		mom[3].add(p * x * y)
		mom[4].add(p * y * y)
	}
	for j := range mom {
		q.mom[j] = mom[j].sum()
	}
	q.x0, q.y0 = ax.Start-q.rx, ay.Start-q.ry
	q.rows = make([]rowSums, q.ny)
	q.rowsPerChunk = max(1, quadChunk/q.nx)
	chunks := q.chunks()
	workers := 1
	if threads > 1 && chunks >= quadMinChunks {
		workers = min(threads, chunks)
	}
	q.pool = newPool(workers, chunks, q.work)
	return q
}

func (q *quad2Pass) eval(theta, gradT []float64) float64 {
	// The coefficients about the target's mean (x' = x - rx, y' = y - ry).
	q.coef = q.fam.Quadratic2D(theta, q.rx, q.ry, q.d)
	q.pool.run(0)
	m := math.Inf(-1)
	for _, r := range q.rows {
		m = max(m, r.max)
	}
	// Model moments of x', y', x'^2, x'y', y'^2 and the normalizer, rows
	// combined in order.
	var z float64
	var eq [5]float64
	for i, r := range q.rows {
		w := math.Exp(r.max - m)
		y := q.y0 + float64(i)*q.dy
		z0, z1, z2 := w*r.s[0], w*r.s[1], w*r.s[2]
		z += z0
		eq[0] += z1
		eq[1] += y * z0
		eq[2] += z2
		eq[3] += y * z1
		eq[4] += y * y * z0
	}
	lz := m + math.Log(z)
	q.logSum = lz - logGaussIntegral2(q.coef)
	var dot float64
	for j := range 5 {
		dot += q.coef[j] * q.mom[j]
	}
	loss := q.plogp - dot + q.mass*lz
	if gradT != nil {
		var gc [5]float64
		for j := range 5 {
			gc[j] = q.mass*eq[j]/z - q.mom[j]
		}
		for k := range gradT {
			dk := q.d[k]
			var acc float64
			for j := range 5 {
				acc += gc[j] * dk[j]
			}
			gradT[k] = acc
		}
	}
	return loss
}

// chunks returns the number of chunks of rowsPerChunk rows.
func (q *quad2Pass) chunks() int { return (q.ny + q.rowsPerChunk - 1) / q.rowsPerChunk }

// work sums the rows of chunk ch.
func (q *quad2Pass) work(_, ch int) {
	b1, b2, c11, c12, c22 := q.coef[0], q.coef[1], q.coef[2], q.coef[3], q.coef[4]
	lo := ch * q.rowsPerChunk
	for i := lo; i < min(lo+q.rowsPerChunk, q.ny); i++ {
		y := q.y0 + float64(i)*q.dy
		var ln line
		ln.set(b1+c12*y, c11, q.x0, q.dx, q.nx)
		q.rows[i].max = ln.m + y*(b2+c22*y)
		var s [3]float64 // in a local, as quadPass.work
		ln.sumsTo(&s, 0, q.nx)
		q.rows[i].s = s
	}
}

func (q *quad2Pass) close() {
	q.pool.close()
}

// logGaussIntegral2 returns the log of the integral over the plane of
// exp(b1 x + b2 y + c11 x^2 + c12 x y + c22 y^2), a negative definite
// quadratic: log(pi/sqrt(det)) - b'M^-1 b/4 with M = [[c11, c12/2],
// [c12/2, c22]] and det = det M.
func logGaussIntegral2(c [5]float64) float64 {
	b1, b2, c11, c12, c22 := c[0], c[1], c[2], c[3], c[4]
	det := c11*c22 - c12*c12/4
	quad := (c22*b1*b1 - c12*b1*b2 + c11*b2*b2) / det
	return math.Log(math.Pi) - 0.5*math.Log(det) - quad/4
}
