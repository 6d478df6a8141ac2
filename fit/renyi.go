package fit

import (
	"math"
	"slices"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/divergence"
	"github.com/klfit/klfit/internal/fmath"
)

// renyiPass evaluates the Rényi divergence of an order alpha in (0, 1)
// and the squared Hellinger distance, with their gradients, for a family
// whose log-density is b x + c x^2 (dist.Quadratic) on a uniform 1-D
// grid, calling no exp per point.
//
// With x' = x - ref, ref the grid point nearest the model's vertex (so
// that its log-density l = b' x' + c x'^2, 0 at ref, keeps its precision
// for a narrow model far from 0), Q_j = exp(l_j)/Z and g = 1 - alpha,
// both rest on
//
//	S = sum_j P_j^alpha Q_j^g = T / Z^g,  T = sum_j P_j^alpha exp(g l_j),
//
// and g l is again a concave quadratic, whose exponentials f_j come by
// recurrence (see curve) as the model's own terms e_j do; P^alpha is
// computed once a fit. With W_j = P_j^alpha Q_j^g / S,
//
//	D_alpha = log S / (alpha - 1),
//	dD/db' = E_Q[x'] - E_W[x'],  dD/dc = E_Q[x'^2] - E_W[x'^2],
//
// mapped to the parameters through dist.Quadratic's derivatives of b'
// and c. Per point that is, for each of e and f, two multiplications
// for the term and a few multiply-adds for the sums. At alpha = 1/2, Q
// is proportional to f^2: Z and the model's moments are sums of the
// squares of the very terms T sums, one recurrence where other orders
// take two. The squared Hellinger distance
//
//	H^2 = sum (sqrt P - sqrt Q)^2 / 2,
//	dH^2/db' = S (E_Q[x'] - E_W[x']) / 2 (and c with x'^2),
//
// is alpha = 1/2 with a second pass once Z is known, which sums
// (sqrt P_j - f_j/sqrt(sum f^2))^2 as such, from the terms the first
// pass kept: 1 - S would lose the digits of a small distance.
//
// Chunks of quadChunk points are summed separately (blocks within them
// with compensation, see csum) and combined in grid order, on the pool
// when there is one: the results do not depend on the number of threads.
//
// The plain pass leaves out the points where its Q underflows to 0 in
// float64, at the grid's ends away from the model; their terms of S are
// below P^alpha exp(-743.4 g) each. When those could reach 2^-53 of S
// (a model hundreds of its widths from the target, or with no mass in
// common with it: +Inf), eval hands the evaluation to the general pass
// (see sure).
type renyiPass struct {
	fam         dist.Quadratic
	alpha, g    float64 // the order and 1 - alpha
	hell        bool    // the squared Hellinger distance rather than D_alpha
	half        bool    // alpha is 1/2: Q from the squares of the terms f
	n           int
	start, step float64
	x           []float64 // the grid's points
	wt          []float64 // P^alpha
	any         []bool    // per chunk: whether P > 0 somewhere in it
	wcum        []float64 // wcum[j]: the sum of P^alpha over the points before j
	db, dc      []float64
	ln, lf      curve // the model's terms e_j (not at alpha 1/2) and f_j
	// parts holds per chunk the sums of e, e x', e x'^2 (f^2, f^2 x',
	// f^2 x'^2 at alpha 1/2) and of w f, w f x', w f x'^2, w = P^alpha.
	parts [][6]float64
	sq    []float64 // Hellinger's per chunk sums of (sqrt P - k f)^2
	fv    []float64 // Hellinger's terms f, from the first pass
	k     float64   // 1/sqrt(sum f^2): sqrt Q_j = k f_j
	phase int
	// logSum - log(halfLogOf)/2 is the log of the normalized density
	// summed over the grid (see Objective.gridLog).
	logSum, halfLogOf float64
	pool              *pool
}

// The phases of renyiPass's work.
const (
	renyiSums    = iota // the sums of parts
	renyiSquares        // Hellinger's sums of squares
)

// logTiny is the log of the smallest positive float64: a model mass whose
// log is below it is 0 to the plain pass.
var logTiny = math.Log(math.SmallestNonzeroFloat64)

// powerOrder returns the order of a divergence renyiPass evaluates and
// whether it is the squared Hellinger distance; ok is false for the
// others (a Rényi order above 1 can be infinite where this pass cannot
// tell, and its second quadratic is convex).
func powerOrder(d divergence.Divergence) (alpha float64, hell, ok bool) {
	switch d := d.(type) {
	case divergence.Renyi:
		return d.Alpha, false, d.Alpha > 0 && d.Alpha < 1
	case divergence.Hellinger:
		return 0.5, true, true
	}
	return 0, false, false
}

func newRenyiPass(prob *Problem, fam dist.Quadratic, alpha float64, hell bool, threads int) *renyiPass {
	a := prob.Grid.Axes[0]
	r := &renyiPass{fam: fam, alpha: alpha, g: 1 - alpha, hell: hell, half: alpha == 0.5, n: a.N, start: a.Start, step: a.Delta, x: prob.Grid.X}
	k := len(prob.Init)
	r.db, r.dc = make([]float64, k), make([]float64, k)
	r.wt = make([]float64, r.n)
	nch := (r.n + quadChunk - 1) / quadChunk
	r.any = make([]bool, nch)
	r.wcum = make([]float64, r.n+1)
	var sw csum
	for i, p := range prob.P {
		if p > 0 {
			if r.half {
				r.wt[i] = math.Sqrt(p)
			} else {
				r.wt[i] = math.Pow(p, alpha)
			}
			sw.add(r.wt[i])
			r.any[i/quadChunk] = true
		}
		r.wcum[i+1] = sw.sum()
	}
	r.parts = make([][6]float64, nch)
	if hell {
		r.sq, r.fv = make([]float64, nch), make([]float64, r.n)
	}
	workers := 1
	if threads > 1 && nch >= quadMinChunks {
		workers = min(threads, nch)
	}
	r.pool = newPool(workers, nch, r.work)
	return r
}

// eval returns the loss at theta and stores its gradient in gradT (when
// not nil); ok is false when the pass cannot tell (see renyiPass).
func (r *renyiPass) eval(theta, gradT []float64) (loss float64, ok bool) {
	// The centre: the grid point nearest the vertex, the model's
	// largest on the grid.
	b0, c0 := r.fam.Quadratic(theta, 0, r.db, r.dc)
	jm := 0
	if v := math.Round((-b0/(2*c0) - r.start) / r.step); v > 0 {
		jm = int(min(v, float64(r.n-1)))
	}
	ref := r.x[jm]
	bp, c := r.fam.Quadratic(theta, ref, r.db, r.dc)
	g := r.g
	blk := curveBlockFor(r.n)
	r.lf.set(g*bp, g*c, r.x, r.start, ref, r.step, r.n, jm, blk)
	if !r.half {
		r.ln.set(bp, c, r.x, r.start, ref, r.step, r.n, jm, blk)
	}
	r.run(renyiSums)
	var cs [6]csum
	for i := range r.parts {
		p := &r.parts[i] // not a copy (see line.set)
		for j := range cs {
			cs[j].add(p[j])
		}
	}
	var s [6]float64
	for j := range s {
		s[j] = cs[j].sum()
	}
	z, t := s[0], s[3]
	// The log-densities are 0 at ref: T = t and Z = z (sums of f^2 at
	// alpha 1/2), and log S is taken as the log of t/z^g, about 1 near
	// the optimum, not as a difference of logs of a few units each,
	// whose roundings (1e-15) would be up to 1e-12 of a small divergence.
	lz := fmath.Log(z)
	logS := math.Log(t / math.Pow(z, g))
	if !r.hell && !r.sure(bp, c, ref, lz, t, logS) {
		return math.NaN(), false
	}
	r.logSum, r.halfLogOf = lz+bp*bp/(4*c), math.Pi/-c
	var gb, gc float64 // the derivatives with respect to b' and c
	if r.hell {
		r.k = 1 / math.Sqrt(z)
		r.run(renyiSquares)
		var sq csum
		for _, v := range r.sq {
			sq.add(v)
		}
		loss = sq.sum() / 2
		// S (E_Q[x'] - E_W[x']) / 2 with S = k t, written without 1/t:
		// t is 0 when P and Q have no mass in common.
		f := 0.5 * r.k
		gb, gc = f*(t*s[1]/z-s[4]), f*(t*s[2]/z-s[5])
	} else {
		loss = logS / (r.alpha - 1)
		gb, gc = s[1]/z-s[4]/t, s[2]/z-s[5]/t // E_Q[x'] - E_W[x'], and x'^2
	}
	if gradT != nil {
		for k := range gradT {
			gradT[k] = gb*r.db[k] + gc*r.dc[k]
		}
	}
	return loss, true
}

// sure reports whether a Rényi divergence's S is the plain pass's, within
// 2^-53 of it, for the model bp x + c x^2 about ref with log Z = lz: the
// plain pass leaves out the points where its model mass Q underflows to
// 0, below exp(logTiny) (rounded: exp(logTiny + 1) here), which are the
// points outside an interval around the vertex. Their terms of S are
// below P^alpha exp(g (logTiny + 1)) each. It also reports false when t,
// S's sum here, is below 2^-800: its terms near the subnormal range, where
// they lose digits, could count.
func (r *renyiPass) sure(bp, c, ref, lz, t, logS float64) bool {
	if !(t >= 0x1p-800) {
		return false
	}
	// bp x + c x^2 >= L inside [x1, x2] (c < 0, L < 0).
	edge := logTiny + 1
	L := lz + edge
	d := math.Sqrt(bp*bp + 4*c*L)
	x1, x2 := (bp-d)/(-2*c), (bp+d)/(-2*c)
	j1 := math.Ceil((ref + x1 - r.start) / r.step)
	j2 := math.Floor((ref+x2-r.start)/r.step) + 1
	n := float64(r.n)
	j1, j2 = min(max(j1, 0), n), min(max(j2, 0), n)
	out := r.wcum[r.n]
	if j1 < j2 {
		out -= r.wcum[int(j2)] - r.wcum[int(j1)]
	}
	return !(out > 0) || logS >= math.Log(out)+r.g*edge+37
}

// run runs a phase over every chunk, on the pool when there is one.
func (r *renyiPass) run(phase int) {
	r.phase = phase
	r.pool.run(phase)
}

// work runs the current phase on chunk ch.
func (r *renyiPass) work(_, ch int) {
	lo, hi := ch*quadChunk, min((ch+1)*quadChunk, r.n)
	switch {
	case r.phase == renyiSquares:
		r.sq[ch] = distanceSum(r.fv[lo:hi], r.wt[lo:hi], r.k)
	case r.half:
		r.parts[ch] = r.halfSums(lo, hi)
	default:
		r.parts[ch] = r.twoSums(ch, lo, hi)
	}
}

// halfSums returns the sums of f^2, f^2 x, f^2 x^2, w f, w f x and
// w f x^2 over the chunk [lo, hi) at alpha 1/2, and for Hellinger
// stores the terms f in fv.
func (r *renyiPass) halfSums(lo, hi int) [6]float64 {
	cv := &r.lf
	var acc [6]csum // block by block, compensated: see csum
	var buf [curveBlock]float64
	for _, sd := range cv.sides(lo, hi) {
		j, dir := sd.j, sd.dir
		for count := sd.n; count > 0; count -= cv.blk {
			n := min(count, cv.blk)
			if !cv.block(&buf, j, dir, n) {
				if r.fv != nil { // the rest are 0
					for ; count > 0; count-- {
						r.fv[j] = 0
						j += dir
					}
				}
				break
			}
			for i, v := range halfBlock(buf[:n], r.wt, r.x, j, dir, cv.ref) {
				acc[i].add(v)
			}
			if r.fv != nil {
				if dir > 0 {
					copy(r.fv[j:j+n], buf[:n])
				} else {
					dst := r.fv[j-n+1 : j+1]
					copy(dst, buf[:n])
					slices.Reverse(dst)
				}
			}
			j += n * dir
		}
	}
	var s [6]float64
	for i := range s {
		s[i] = acc[i].sum()
	}
	return s
}

// twoSums returns the sums of e, e x and e x^2 (the model's terms) and
// of w f, w f x and w f x^2 over chunk ch, [lo, hi), for alpha not 1/2,
// the two curves block by block together (they have the same largest
// term). The model's terms underflow first; without weights in the
// chunk the weighted sums are 0.
func (r *renyiPass) twoSums(ch, lo, hi int) [6]float64 {
	var acc [6]csum // block by block, compensated: see csum
	var bufE, bufF [curveBlock]float64
	ref := r.ln.ref
	for _, sd := range r.ln.sides(lo, hi) {
		j, dir := sd.j, sd.dir
		okE, okF := true, r.any[ch]
		for count := sd.n; count > 0; count -= r.ln.blk {
			n := min(count, r.ln.blk)
			okE = okE && r.ln.block(&bufE, j, dir, n)
			okF = okF && r.lf.block(&bufF, j, dir, n)
			var p [6]float64
			switch {
			case okE && okF:
				p = twoBlock(bufE[:n], bufF[:n], r.wt, r.x, j, dir, ref)
			case okE:
				p[0], p[1], p[2] = momentSums(bufE[:n], r.x, j, dir, ref)
			case okF:
				p[3], p[4], p[5] = weightedSums(bufF[:n], r.wt, r.x, j, dir, ref)
			default:
				count = 0
			}
			for i, v := range p {
				acc[i].add(v)
			}
			j += n * dir
		}
	}
	var s [6]float64
	for i := range s {
		s[i] = acc[i].sum()
	}
	return s
}

func (r *renyiPass) gridLog() (float64, float64) { return r.logSum, r.halfLogOf }
func (r *renyiPass) workers() *pool              { return r.pool }

func (r *renyiPass) close() {
	r.pool.close()
}

// curve runs the terms e_j = exp(b x_j + c x_j^2) of a concave quadratic
// at the grid's points less a grid point ref, x_j = X_j - ref, outward
// from the largest term in blocks of blk points, as line does,
// but more accurately. line's terms are off by up to about 1e-13, a few
// 1e-15 on average with a sign that holds over the grid, which would be a
// few 1e-12 of a Rényi divergence of order near 1 where it is small
// (log S is then about (1-alpha) times it, so that T's error counts
// 1/(1-alpha) times); and where the model is a few grid steps wide its
// gradient's terms cancel to 1e-4 of themselves.
//
// With x a block's first point and h the step (negative going left), its
// terms are
//
//	e_i = e_0 R^i Q_i,  R = exp(h (b + 2 c x)),  Q_i = exp(c h^2 i^2):
//
// e_0 and R are exact exps a block (no coarse recurrence), Q a table of
// exact exps made once an evaluation, and the powers of R run as four
// recurrences (i mod 4), each multiplied by R^4 a step as a ratio (from
// expm1, see ratio). Nothing rounded is carried from block to block, and
// no rounding of a constant grows along a block (line's ratio of ratios,
// 0.55 ulp off, makes k^2/2 of it after k steps, the same on every
// block: measured 2.4e-14 at a block's end); what is left are the exps'
// roundings, of either sign from block to block, and the products'. The
// recurrence follows the evenly spaced points x + i h, where the grid's
// own are each rounded, up to an ulp of the grid's range away: jitter
// moves the terms there where that counts.
//
// Blocks of 128 points rather than 64 took about a sixth off the pass's
// time at 10^5 points (half the exps and the per-block work), its errors
// against mpmath within 0.41 of TestRenyiPassReference's tolerances
// either way; 256 saved a few percent more and reached 0.9 of them. Small
// grids take 64 (see curveBlockFor).
type curve struct {
	b, c       float64
	x          []float64 // the grid's points
	start, ref float64   // the grid's first point and the centre
	step       float64
	n, jm      int // jm: ref's index, where the largest term, 1, is
	blk        int // the points of a block, at most curveBlock
	q          [curveBlock]float64
}

// curveBlock is the most points a curve's block has (see curve).
const curveBlock = 128

// curveBlockFor returns the points of a block on a grid of n points:
// curveBlock, or 64 below 4096 points, where the table Q's exps, one a
// point of a block an evaluation, would cost more than the blocks' own
// (3 a block); with 64, 200 points under Rényi of order 0.3 took 16 ns a
// point where 128 took 22 (the general pass 19).
func curveBlockFor(n int) int {
	if n < 4096 {
		return 64
	}
	return curveBlock
}

// ratio is a positive factor f applied as v m + v a: m = 1 and a = f - 1
// (from expm1, good to 1e-16 of itself) for f close to 1, where v m is
// exact and the sum rounds once, to either side: v times f's rounding
// (0.55 ulp) would make k times that after k steps, the same sign all
// along. m = f and a = 0 otherwise (then 1 + a would lose a's digits,
// and few steps count).
type ratio struct{ m, a float64 }

func ratioOf(x float64) ratio {
	if u := math.Expm1(x); u >= -0.25 {
		return ratio{1, u}
	}
	return ratio{anchorExp(x), 0}
}

// set sets the curve's coefficients, points and table.
func (cv *curve) set(b, c float64, x []float64, start, ref, step float64, n, jm, blk int) {
	*cv = curve{b: b, c: c, x: x, start: start, ref: ref, step: step, n: n, jm: jm, blk: blk}
	// w i^2 as wh i^2 + wl i^2, the first exact (wh has 39 significant
	// bits, i^2 < 2^14), so that Q_i is off by its exp's rounding alone
	// rather than by |w i^2| ulps too. Past -746 the exp is 0.
	w := c * step * step
	wh := math.Float64frombits(math.Float64bits(w) &^ (1<<14 - 1))
	wl := w - wh
	for i := range cv.blk {
		ii := float64(i * i)
		if wh*ii < -746 {
			break
		}
		cv.q[i] = anchorExp(wh*ii) * (1 + wl*ii)
	}
}

// side is a run of a chunk's points away from the largest term: n points
// from index j in direction dir.
type side struct{ j, dir, n int }

// sides returns the runs that cover [lo, hi), from the largest term
// outward: one, or two when the chunk holds it.
func (cv *curve) sides(lo, hi int) [2]side {
	switch jm := cv.jm; {
	case hi <= jm: // left of the largest term
		return [2]side{{hi - 1, -1, hi - lo}}
	case lo > jm: // right of it
		return [2]side{{lo, 1, hi - lo}}
	default:
		return [2]side{{jm - 1, -1, jm - lo}, {jm, 1, hi - jm}}
	}
}

// block stores in buf the terms of the n points from index j in
// direction dir, and returns false when they underflow to zero (then so
// do all further out).
func (cv *curve) block(buf *[curveBlock]float64, j, dir, n int) bool {
	h := float64(dir) * cv.step
	x := cv.x[j] - cv.ref
	e := 1.0 // at ref, x = 0
	if x != 0 {
		e = anchorExp(x * (cv.b + cv.c*x))
	}
	if e == 0 {
		return false
	}
	a := h * (cv.b + 2*cv.c*x)
	r4 := ratioOf(4 * a)
	fillBlock(buf, &cv.q, e, anchorExp(a), r4.m, r4.a, n)
	cv.jitter(buf, j, dir, x, h, n)
	return true
}

// fillBlock stores the first n terms of a block, e_i = e_0 R^i Q_i, in
// buf: the powers of R in four recurrences (i mod 4), each multiplied by
// R^4 = m4 + a4 a step (see ratio), so that each waits on one step every
// four terms.
//
//go:noinline
func fillBlock(buf, q *[curveBlock]float64, e, r, m4, a4 float64, n int) {
	r2 := r * r
	p0, p1, p2, p3 := e, e*r, e*r2, e*r2*r
	i := 0
	if m4 == 1 {
		for ; i+3 < n; i += 4 {
			buf[i], buf[i+1], buf[i+2], buf[i+3] = p0*q[i], p1*q[i+1], p2*q[i+2], p3*q[i+3]
			p0 += p0 * a4
			p1 += p1 * a4
			p2 += p2 * a4
			p3 += p3 * a4
		}
	} else {
		for ; i+3 < n; i += 4 {
			buf[i], buf[i+1], buf[i+2], buf[i+3] = p0*q[i], p1*q[i+1], p2*q[i+2], p3*q[i+3]
			p0 *= m4
			p1 *= m4
			p2 *= m4
			p3 *= m4
		}
	}
	for _, p := range [3]float64{p0, p1, p2} {
		if i < n {
			buf[i] = p * q[i]
			i++
		}
	}
}

// jitter moves the terms of a block that starts at index j and point x
// (step h) from the evenly spaced points x + i h the recurrence follows
// to the grid's own, X_j - ref, each up to an ulp of the grid's range
// away: by the first order, by the log-density's slope times the
// distance. Below 2^-46 (1.4e-14) of a term it is left out (the terms'
// own errors, of either sign from point to point, are about as large):
// so it is where the model is wide. Where it is narrow and far from 0 it
// reaches 1e-11 (a standard deviation of 3e-4 at x = 15), and a gradient
// whose terms cancel to 1e-4 of themselves there would be 1e-7 off.
func (cv *curve) jitter(buf *[curveBlock]float64, j, dir int, x, h float64, n int) {
	xe := x + float64(n-1)*h
	slope := max(math.Abs(cv.b+2*cv.c*x), math.Abs(cv.b+2*cv.c*xe))
	dist := 0x1p-52 * (math.Abs(cv.start) + math.Abs(cv.x[j]) + math.Abs(cv.x[j+(n-1)*dir]) + float64(cv.blk)*cv.step)
	if slope*dist < 0x1p-46 {
		return
	}
	// The distance as X_{j+i} - X_j - i h: the points' difference is
	// exact (they are within a factor 2 of each other but near 0, where
	// their ulps are small), i h good to an ulp of a block's width; taken
	// as X_{j+i} - ref - (x + i h) it would be off by an ulp of x + i h,
	// about the distance itself where ref is near 0.
	x0 := cv.x[j]
	for i := range n {
		ih := float64(i) * h
		buf[i] *= 1 + (cv.b+2*cv.c*(x+ih))*((cv.x[j+i*dir]-x0)-ih)
	}
}

// The sums over a block's terms e (fillBlock) at the grid's points x_j,
// less ref, from index j in direction dir: each is a function of its own,
// not inlined, whose loop keeps its values in registers (see pairSums),
// and takes the terms two at a time.

// momentSums returns the sums of e, e x and e x^2.
//
//go:noinline
func momentSums(e, xs []float64, j, dir int, ref float64) (z, z1, z2 float64) {
	i := 0
	for ; i+1 < len(e); i += 2 {
		x0, x1 := xs[j]-ref, xs[j+dir]-ref
		e0, e1 := e[i], e[i+1]
		u0, u1 := e0*x0, e1*x1
		z += e0 + e1
		z1 += u0 + u1
		z2 += u0*x0 + u1*x1
		j += 2 * dir
	}
	if i < len(e) {
		x := xs[j] - ref
		z += e[i]
		z1 += e[i] * x
		z2 += e[i] * x * x
	}
	return z, z1, z2
}

// squareSums returns the sums of e^2, e^2 x and e^2 x^2.
//
//go:noinline
func squareSums(e, xs []float64, j, dir int, ref float64) (z, z1, z2 float64) {
	i := 0
	for ; i+1 < len(e); i += 2 {
		x0, x1 := xs[j]-ref, xs[j+dir]-ref
		e0, e1 := e[i]*e[i], e[i+1]*e[i+1]
		u0, u1 := e0*x0, e1*x1
		z += e0 + e1
		z1 += u0 + u1
		z2 += u0*x0 + u1*x1
		j += 2 * dir
	}
	if i < len(e) {
		x, g := xs[j]-ref, e[i]*e[i]
		z += g
		z1 += g * x
		z2 += g * x * x
	}
	return z, z1, z2
}

// halfBlock returns the sums of e^2, e^2 x, e^2 x^2, w e, w e x and
// w e x^2, a point at a time (two at a time, its twelve sums would not
// stay in registers).
//
//go:noinline
func halfBlock(e, w, xs []float64, j, dir int, ref float64) [6]float64 {
	var z, z1, z2, t, t1, t2 float64
	for _, v := range e {
		x := xs[j] - ref
		g, a := v*v, w[j]*v
		z += g
		t += a
		g, a = g*x, a*x
		z1 += g
		t1 += a
		z2 += g * x
		t2 += a * x
		j += dir
	}
	return [6]float64{z, z1, z2, t, t1, t2}
}

// twoBlock returns the sums of e, e x, e x^2, w f, w f x and w f x^2,
// a point at a time (see halfBlock).
//
//go:noinline
func twoBlock(e, f, w, xs []float64, j, dir int, ref float64) [6]float64 {
	f = f[:len(e)]
	var z, z1, z2, t, t1, t2 float64
	for i, v := range e {
		x := xs[j] - ref
		a := w[j] * f[i]
		z += v
		t += a
		g := v * x
		a *= x
		z1 += g
		t1 += a
		z2 += g * x
		t2 += a * x
		j += dir
	}
	return [6]float64{z, z1, z2, t, t1, t2}
}

// weightedSums returns the sums of w e, w e x and w e x^2.
//
//go:noinline
func weightedSums(e, w, xs []float64, j, dir int, ref float64) (t, t1, t2 float64) {
	i := 0
	for ; i+1 < len(e); i += 2 {
		x0, x1 := xs[j]-ref, xs[j+dir]-ref
		a0, a1 := w[j]*e[i], w[j+dir]*e[i+1]
		u0, u1 := a0*x0, a1*x1
		t += a0 + a1
		t1 += u0 + u1
		t2 += u0*x0 + u1*x1
		j += 2 * dir
	}
	if i < len(e) {
		x, a := xs[j]-ref, w[j]*e[i]
		t += a
		t1 += a * x
		t2 += a * x * x
	}
	return t, t1, t2
}

// distanceSum returns the sum of (w - k f)^2.
//
//go:noinline
func distanceSum(f, w []float64, k float64) float64 {
	w = w[:len(f)]
	var s0, s1 float64
	i := 0
	for ; i+1 < len(f); i += 2 {
		d0, d1 := w[i]-k*f[i], w[i+1]-k*f[i+1]
		s0 += d0 * d0
		s1 += d1 * d1
	}
	if i < len(f) {
		d := w[i] - k*f[i]
		s0 += d * d
	}
	return s0 + s1
}
