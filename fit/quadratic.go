package fit

import (
	"math"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/internal/fmath"
)

// quadChunk is the number of grid points whose sums form one partial
// result. Results are combined chunk by chunk in grid order whatever the
// number of threads, so they are identical to the bit on any number of
// cores.
const quadChunk = 4096

// quadMinChunks is the fewest chunks the recurrence splits over threads.
// A chunk costs about 4 µs and a run on the pool a few µs more than its
// chunks, so that below 8 chunks (10^4 points, 3 chunks) two threads gain
// little even on an idle machine; the pool does not even start there.
const quadMinChunks = 8

// anchorEvery is how many points the recurrence (see line) runs from one
// start. Its even and odd terms are two recurrences of anchorEvery/2
// steps each, whose ratios are multiplied by cc4 = exp(8 c step^2), an
// exact exp (within 0.55 ulp): after m steps a term is off by up to
// m^2/2 0.55 eps from cc4's error, 282 eps (6.3e-14) for m = 32, plus
// m times the start's ratios' few eps. 64 points a block keeps the error
// of a single recurrence of 32 steps multiplied by an exp(2 c step^2),
// the design before, whose bias at 64 held the gradient at the
// notebook's optimum above 1e-12, where L-BFGS's gradient threshold is
// (TestLBFGSGradientThreshold). TestLineSums and TestLineFillTerms
// measure the terms and sums against exps.
const anchorEvery = 64

// quadPass evaluates forward KL(P||Q) and its gradient for a family whose
// log-density is b x + c x^2 (dist.Quadratic) on a uniform 1-D grid, in
// one pass over the grid that never reads the target and calls no exp per
// point.
//
// With x' = x - ref (ref the target's mean, so that moments stay small),
// the model's log-density is b' x' + c x'^2 plus a constant (the family
// gives b' and c about ref; see dist.Quadratic), and
//
//	KL = sum P log P - (b' m1 + c m2) + C log Z,
//	Z = sum_j exp(b' x'_j + c x'_j^2),
//	dKL/db' = C E_Q[x'] - m1,  dKL/dc = C E_Q[x'^2] - m2,
//
// where C, m1, m2 are the target's mass and first two moments about ref,
// computed once. Z and the model's moments come from line.sumsTo.
type quadPass struct {
	fam         dist.Quadratic
	n           int
	start, step float64 // x'_j = start + j*step
	ref         float64
	plogp, mass float64 // sum P log P and C = sum P
	m1, m2      float64
	db, dc      []float64
	parts       [][3]float64 // per-chunk sums of e, e x', e x'^2
	ln          line         // this evaluation's log-density, read by the workers
	// logSum - log(halfLogOf)/2 is the log of the normalized density
	// summed over the grid (see Objective.gridLog).
	logSum, halfLogOf float64
	pool              *pool
}

func newQuadPass(prob *Problem, fam dist.Quadratic, threads int) *quadPass {
	a := prob.Grid.Axes[0]
	q := &quadPass{fam: fam, n: a.N, step: a.Delta}
	k := len(prob.Init)
	q.db, q.dc = make([]float64, k), make([]float64, k)
	q.plogp, q.mass = entropyTerms(prob.P)
	var ref, m1, m2 csum
	for i, p := range prob.P {
		ref.add(p * prob.Grid.X[i])
	}
	q.ref = ref.sum() / q.mass
	for i, p := range prob.P {
		d := prob.Grid.X[i] - q.ref
		m1.add(p * d)
		m2.add(p * d * d)
	}
	q.m1, q.m2 = m1.sum(), m2.sum()
	q.start = a.Start - q.ref
	q.parts = make([][3]float64, (q.n+quadChunk-1)/quadChunk)
	workers := 1
	if threads > 1 && len(q.parts) >= quadMinChunks {
		workers = min(threads, len(q.parts))
	}
	q.pool = newPool(workers, len(q.parts), q.work)
	return q
}

// entropyTerms returns sum P log P (over P > 0) and sum P, each summed
// with compensation (see csum).
func entropyTerms(p []float64) (plogp, mass float64) {
	var pl, ms csum
	for _, v := range p {
		ms.add(v)
		if v > 0 {
			pl.add(v * math.Log(v))
		}
	}
	return pl.sum(), ms.sum()
}

// csum is a compensated (Neumaier) sum: its error is a few ulps of the
// result whatever the number of terms, where a plain sum of n terms errs
// by up to n eps/2 relative (about sqrt(n) eps in practice). The
// recurrence passes subtract the model's terms from sum P log P and the
// target's moments, computed once a fit, rather than sum P (log P - log Q)
// a point, which would read the target on every pass. sum P log P is of
// the size of log P (16 at 10^7 points) where the KL may be 0.01: as
// plain sums, it and the moments were off by up to 1.8e-9 of the KL at
// 10^7 points.
type csum struct{ s, c float64 }

func (k *csum) add(v float64) {
	t := k.s + v
	if math.Abs(k.s) >= math.Abs(v) {
		k.c += (k.s - t) + v
	} else {
		k.c += (v - t) + k.s
	}
	k.s = t
}

func (k *csum) sum() float64 { return k.s + k.c }

// eval returns the loss at theta and stores dKL/dtheta in gradT (when not
// nil).
func (q *quadPass) eval(theta, gradT []float64) float64 {
	bp, c := q.fam.Quadratic(theta, q.ref, q.db, q.dc)
	q.ln.set(bp, c, q.start, q.step, q.n)
	q.pool.run(0)
	var z, s1, s2 float64
	for i := range q.parts { // by index: a copy of each part stalls (see line.set)
		p := &q.parts[i]
		z += p[0]
		s1 += p[1]
		s2 += p[2]
	}
	lz := q.ln.m + fmath.Log(z)
	// log of the model's density summed over the grid: the normalized
	// density is exp(b' x' + c x'^2) / I, I = sqrt(pi/-c) exp(-b'^2/(4c)).
	q.logSum, q.halfLogOf = lz+bp*bp/(4*c), math.Pi/-c
	loss := q.plogp - (bp*q.m1 + c*q.m2) + q.mass*lz
	if gradT != nil {
		gb := q.mass*s1/z - q.m1
		gc := q.mass*s2/z - q.m2
		for k := range gradT {
			gradT[k] = gb*q.db[k] + gc*q.dc[k]
		}
	}
	return loss
}

// work computes the partial sums of chunk ch. They are made in a local
// and stored once: sumsTo adds to its sums every anchorEvery points, and
// in q.parts, 24 bytes a chunk, the chunks that two workers run side by
// side share a cache line, which then went back and forth between their
// cores at every addition (two threads ran at the speed of one).
func (q *quadPass) work(_, ch int) {
	var s [3]float64
	q.ln.sumsTo(&s, ch*quadChunk, min((ch+1)*quadChunk, q.n))
	q.parts[ch] = s
}

func (q *quadPass) close() {
	q.pool.close()
}

// line is the log-density b x + c x^2 - m (c < 0) on the points
// x_j = start + j*step, j < n, where m is its value at the point jm
// nearest the mode -b/(2c), its largest on the grid. Its terms
// e_j = exp(b x_j + c x_j^2 - m) are all <= 1 and follow the recurrence
// e_{j+1} = e_j r_j, r_{j+1} = r_j cc with cc = exp(2 c step^2); the even
// and the odd terms each follow e_{j+2} = e_j R_j, R_{j+2} = R_j cc^4 with
// R_j = r_j^2 cc, and the passes run those two: each point then waits on
// one multiplication every two points, where a single recurrence waits
// on one every point, and the loops run at the processor's throughput
// rather than its latency.
//
// The recurrence runs in blocks of anchorEvery points, each started from
// its first term and ratio, and those come from a second recurrence of
// the same kind with a step of a block (see blocks): e at a block's start
// times rho, the ratio of the next block's first term to this one's;
// rho times ccc = exp(2 c H^2), H = anchorEvery*step; the block's first
// ratio r times dd = exp(2 c step H). Every coarseEvery blocks all three
// are exact exponentials again.
type line struct {
	b, c, m     float64
	start, step float64
	cc, cc2     float64 // exp(2 c step^2) and its square
	cc4         float64 // exp(8 c step^2), exact: the two recurrences' ratios' ratio
	dd, ccc     float64
	n, jm       int
}

// coarseEvery is how many blocks the coarse recurrence carries between
// exact anchors. Its errors add to a block's: after n coarse steps a
// block's first term is off by about (n + n^2/2) eps from rho's and ccc's
// roundings (8 eps for n = 3), its first ratio by n eps, which the
// block's 64 points turn into 64 n eps (200 eps for n = 3), 530 eps
// (1.2e-13) in all at worst. Exact anchors every 4 blocks cost 3 exps per
// 256 points, where anchors every 32 points cost 16.
const coarseEvery = 4

// set makes l the line b x + c x^2 on n points from start by step. Its
// ratios' ratios come from exps of multiples of w = c step^2:
// cc = exp(2 w), cc4 = exp(8 w), cc4's square root cc2 (correctly
// rounded: its error enters each block's start once, not the recurrence;
// cc taken the same way shifts the gradient at the notebook's optimum
// above L-BFGS's threshold), dd = exp(2 anchorEvery w) and
// ccc = exp(2 anchorEvery^2 w), which only a side of the mode longer than
// two blocks needs (it is NaN otherwise, so that a use would show).
//
// It sets l in place: a line returned and copied into a pass's field is
// read back before its stores have landed, a stall of a dozen cycles an
// evaluation on the notebook's 200 points.
func (l *line) set(b, c, start, step float64, n int) {
	jm := int(math.Round((-b - 2*c*start) / (2 * c * step))) // (-b/(2c) - start)/step in one division
	jm = min(max(jm, 0), n-1)
	xm := start + float64(jm)*step
	w := c * step * step
	cc4 := anchorExp(8 * w)
	cc2 := math.Sqrt(cc4)
	ccc := math.NaN()
	if max(jm, n-jm) > 2*anchorEvery {
		ccc = anchorExp(2 * anchorEvery * anchorEvery * w)
	}
	// Field by field: a composite literal is built aside and copied.
	l.b, l.c, l.m, l.start, l.step = b, c, xm*(b+c*xm), start, step
	l.cc, l.cc2, l.cc4, l.dd, l.ccc = anchorExp(2*w), cc2, cc4, anchorExp(2*anchorEvery*w), ccc
	l.n, l.jm = n, jm
}

// blocks walks a line's terms outward from the mode (or from a point on
// one side of it, away from it), one block of anchorEvery points at a
// time: e, r and x are the current block's first term, its ratio to the
// next term and its point.
//
// Its methods take the line: a pointer to it kept here made a line
// that is a local copy (see fill) escape to the heap.
type blocks struct {
	j, dir    int     // the block's first index and the direction
	e, r, rho float64 // rho: the next block's first term over e
	left      int     // blocks to go before exact anchors
}

// walkTo starts the blocks *w at j0 in direction dir (+1 or -1) with
// exact anchors, in place (see line.set).
func (l *line) walkTo(w *blocks, j0, dir int) {
	w.j, w.dir = j0, dir
	w.anchor(l)
}

// anchor sets the block's first term, ratio and rho by exponentials: the
// first term's is 0 at the mode (e is 1 there, with no exp).
func (w *blocks) anchor(l *line) {
	x := l.start + float64(w.j)*l.step
	h := float64(w.dir) * l.step
	hh := anchorEvery * h
	if a := x*(l.b+l.c*x) - l.m; a != 0 {
		w.e = anchorExp(a)
	} else {
		w.e = 1
	}
	w.r = anchorExp(h * (l.b + l.c*(2*x+h)))
	w.rho = anchorExp(hh * (l.b + l.c*(2*x+hh)))
	w.left = coarseEvery
}

// next moves to the next block, by the coarse recurrence or, every
// coarseEvery blocks, exact anchors.
func (w *blocks) next(l *line) {
	w.j += anchorEvery * w.dir
	if w.left--; w.left > 0 {
		w.e *= w.rho
		w.r *= l.dd
		w.rho *= l.ccc
		return
	}
	w.anchor(l)
}

// x returns the block's first point.
func (w *blocks) x(l *line) float64 { return l.start + float64(w.j)*l.step }

// around sets right and left to the blocks that start at jc going right
// and at jc-1 going left (when jc > lo), the way out from a chunk's
// largest term.
// From the mode itself both come from two exps where exact anchors take
// five, by the relations between them: with u = step (b + 2 c x_m) and
// w = c step^2, the first terms are 1 and exp(w - u), the ratios
// exp(u + w) = cc/exp(w - u) and exp(w - u) cc, and the coarse ratios
// exp(k u + k^2 w), k = anchorEvery, and its quotient into ccc dd (or
// exp(-k u + (k^2 + 2k) w) when ccc was not needed), each only for a side
// of more than a block. That needs
// the mode inside the grid (then |u| <= |w|) and ccc dd, exp(2112 w),
// above the smallest normal number; otherwise exact anchors.
func (l *line) around(right, left *blocks, jc, lo int) {
	w := l.c * l.step * l.step
	const k = anchorEvery
	if jc == l.jm && 0 < jc && jc < l.n-1 && (2*k*k+2*k)*w > -700 {
		x := l.start + float64(jc)*l.step
		u := l.step * (l.b + 2*l.c*x)
		eL := anchorExp(w - u)
		var rhoR, rhoL float64 // needed by sides of more than a block
		if l.n-jc > k {
			rhoR = anchorExp(k*u + k*k*w)
		}
		if jc-lo > k {
			if l.n-jc > k && !math.IsNaN(l.ccc) {
				rhoL = l.ccc * l.dd / rhoR
			} else {
				rhoL = anchorExp(-k*u + (k*k+2*k)*w)
			}
		}
		right.j, right.dir, right.e, right.r, right.rho, right.left = jc, 1, 1, l.cc/eL, rhoR, coarseEvery
		left.j, left.dir, left.e, left.r, left.rho, left.left = jc-1, -1, eL, eL*l.cc, rhoL, coarseEvery
		return
	}
	l.walkTo(right, jc, 1)
	if jc > lo {
		l.walkTo(left, jc-1, -1)
	}
}

// sumsTo stores in *s the sums of e_j, e_j x_j and e_j x_j^2 over
// lo <= j < hi, run outward from the mode so that ratios never exceed 1
// (through a pointer, not returned: see set).
func (l *line) sumsTo(s *[3]float64, lo, hi int) {
	*s = [3]float64{}
	var right, left blocks
	switch {
	case hi <= l.jm: // left of the mode
		l.walkTo(&left, hi-1, -1)
		l.run(s, &left, hi-lo)
	case lo > l.jm: // right of it
		l.walkTo(&right, lo, 1)
		l.run(s, &right, hi-lo)
	default:
		l.around(&right, &left, l.jm, lo)
		l.run(s, &left, l.jm-lo)
		l.run(s, &right, hi-l.jm)
	}
}

// run adds e, e x, e x^2 for count points from the start of w, moving
// away from the mode, to s. It stops early once the terms underflow to
// zero: they only shrink further out.
func (l *line) run(s *[3]float64, w *blocks, count int) {
	h := float64(w.dir) * l.step
	for count > 0 && w.e != 0 {
		k := min(count, anchorEvery)
		count -= k
		x, e, r := w.x(l), w.e, w.r
		if count > 0 { // next: its fast path written out, not a call
			w.j += anchorEvery * w.dir
			if w.left--; w.left > 0 {
				w.e *= w.rho
				w.r *= l.dd
				w.rho *= l.ccc
			} else {
				w.anchor(l)
			}
		}
		rr := r * r * l.cc
		z, s1, s2, el, xl := pairSums(e, e*r, rr, rr*l.cc2, l.cc4, x, x+h, 2*h, k/2)
		if k%2 == 1 { // the last term, next in the even recurrence
			z += el
			s1 += el * xl
			s2 += el * xl * xl
		}
		s[0] += z
		s[1] += s1
		s[2] += s2
	}
}

// pairSums returns the sums of e, e x and e x^2 over n pairs of terms of
// the even and odd recurrences (see run) that start at e0 and e1 on x0
// and x1, and the even recurrence's next term and point. It is a function
// of its own, not inlined, so that its loop keeps every value in a
// register (inlined into run, the loop spills several to memory and runs
// at a third of the speed).
//
//go:noinline
func pairSums(e0, e1, rr0, rr1, cc4, x0, x1, h2 float64, n int) (z, s1, s2, en, xn float64) {
	for range n {
		t0, t1 := e0*x0, e1*x1
		z += e0 + e1
		s1 += t0 + t1
		s2 += t0*x0 + t1*x1
		e0 *= rr0
		e1 *= rr1
		rr0 *= cc4
		rr1 *= cc4
		x0 += h2
		x1 += h2
	}
	return z, s1, s2, e0, x0
}

// fill stores the log-density l_j = b x_j + c x_j^2 (without m) in
// logq[j-lo] and e_j = exp(l_j - max) in q[j-lo] for lo <= j < lo+len(q),
// where max is the largest l_j there, and returns max and the sum of the
// e_j. The e_j follow the recurrence outward from the chunk's largest
// term, as in run.
func (l *line) fill(logq, q []float64, lo int) (mx, sum float64) {
	for j := range logq {
		x := l.start + float64(lo+j)*l.step
		logq[j] = x * (l.b + l.c*x)
	}
	jc := min(max(l.jm, lo), lo+len(q)-1)
	cl := *l
	cl.m = logq[jc-lo]
	return cl.m, cl.fillAround(q, lo)
}

// fillAround stores e_j in q[j-lo] for lo <= j < lo+len(q), run outward
// from the chunk's point nearest the mode, and returns their sum.
func (l *line) fillAround(q []float64, lo int) float64 {
	hi := lo + len(q)
	jc := min(max(l.jm, lo), hi-1)
	var right, left blocks
	l.around(&right, &left, jc, lo)
	sum := l.fillRun(q, lo, right, hi-jc)
	return sum + l.fillRun(q, lo, left, jc-lo)
}

// fillRun stores e_j in q[j-lo] for count points from the start of w,
// away from the largest term, and returns their sum; once the terms
// underflow to zero the rest are zero.
func (l *line) fillRun(q []float64, lo int, w blocks, count int) float64 {
	var sum float64
	j := w.j - lo
	for count > 0 && w.e != 0 {
		k := min(count, anchorEvery)
		count -= k
		e0, r := w.e, w.r
		if count > 0 {
			w.next(l)
		}
		rr0 := r * r * l.cc
		e1, rr1, cc4, d := e0*r, rr0*l.cc2, l.cc4, w.dir
		var s0, s1 float64
		for range k / 2 {
			q[j], q[j+d] = e0, e1
			s0 += e0
			s1 += e1
			e0 *= rr0
			e1 *= rr1
			rr0 *= cc4
			rr1 *= cc4
			j += 2 * d
		}
		if k%2 == 1 {
			q[j] = e0
			s0 += e0
			j += d
		}
		sum += s0 + s1
	}
	for ; count > 0; count-- {
		q[j] = 0
		j += w.dir
	}
	return sum
}
