package fit

import (
	"math"

	"github.com/klfit/klfit/dist"
)

// quadChunk is the number of grid points whose sums form one partial
// result. Results are combined chunk by chunk in grid order whatever the
// number of threads, so they are identical to the bit on any number of
// cores.
const quadChunk = 4096

// quadMinChunks is the fewest chunks the recurrence splits over threads.
// A chunk costs about 7 µs; a run on the pool costs a few µs more than the
// chunks, and on a machine where another process holds a core the caller
// may wait for one chunk a descheduled worker holds: with 8 chunks or more
// that is within 10% of running them all alone, with fewer (10^4 points,
// 3 chunks) it was measured 17% slower.
const quadMinChunks = 8

// anchorEvery is how many points the recurrence runs before it is
// re-anchored by two exact exponentials. The recurrence multiplies by
// ratios whose rounding errors (eps/2 each) compound: after k steps a term
// is off by about k^2 eps/4 relative, 5.7e-14 for k = 32, the error the
// anchors' own exps make on arguments of a few hundred (eps times the
// argument). TestLineFillTerms measures it against that combined bound:
// the worst term is at 0.70 of it for k = 32, 0.75 for 64, and 128
// exceeds it. 64 would save 6 of the notebook's 16 exps an evaluation,
// but the error is a bias, not noise: at the notebook's optimum it holds
// the gradient above 1e-12, and L-BFGS no longer ends by its gradient
// threshold (TestLBFGSGradientThreshold).
const anchorEvery = 32

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
// computed once. Z and the model's moments come from line.sums.
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
	logSum      float64      // log of the normalized density summed over the grid
	pool        *pool
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
	if threads > 1 && len(q.parts) >= quadMinChunks {
		q.pool = newPool(min(threads, len(q.parts)), len(q.parts), q.work)
	}
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
	q.ln = newLine(bp, c, q.start, q.step, q.n)
	if q.pool != nil {
		q.pool.run()
	} else {
		for ch := range q.parts {
			q.work(0, ch)
		}
	}
	var z, s1, s2 float64
	for _, p := range q.parts {
		z += p[0]
		s1 += p[1]
		s2 += p[2]
	}
	lz := q.ln.m + math.Log(z)
	// log of the model's density summed over the grid: the normalized
	// density is exp(b' x' + c x'^2) / I, I = sqrt(pi/-c) exp(-b'^2/(4c)).
	q.logSum = lz - (0.5*math.Log(math.Pi/-c) - bp*bp/(4*c))
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

// work computes the partial sums of chunk ch.
func (q *quadPass) work(_, ch int) {
	q.parts[ch] = q.ln.sums(ch*quadChunk, min((ch+1)*quadChunk, q.n))
}

func (q *quadPass) close() {
	if q.pool != nil {
		q.pool.close()
	}
}

// line is the log-density b x + c x^2 - m (c < 0) on the points
// x_j = start + j*step, j < n, where m is its value at the point jm
// nearest the mode -b/(2c), its largest on the grid. Its terms
// e_j = exp(b x_j + c x_j^2 - m) are all <= 1 and follow the recurrence
// e_{j+1} = e_j r_j, r_{j+1} = r_j cc with cc = exp(2 c step^2).
type line struct {
	b, c, m     float64
	start, step float64
	cc          float64
	n, jm       int
}

func newLine(b, c, start, step float64, n int) line {
	jm := int(math.Round((-b/(2*c) - start) / step))
	jm = min(max(jm, 0), n-1)
	xm := start + float64(jm)*step
	return line{b: b, c: c, m: xm * (b + c*xm), start: start, step: step, cc: anchorExp(2 * c * step * step), n: n, jm: jm}
}

// sums returns the sums of e_j, e_j x_j and e_j x_j^2 over lo <= j < hi,
// run outward from the mode so that ratios never exceed 1.
func (l *line) sums(lo, hi int) (s [3]float64) {
	if lo < l.jm { // left of the mode: from min(hi, jm)-1 down to lo
		top := min(hi, l.jm)
		l.run(&s, top-1, -1, top-lo)
	}
	if hi > l.jm { // the mode and right of it: from max(lo, jm) up
		bot := max(lo, l.jm)
		l.run(&s, bot, 1, hi-bot)
	}
	return s
}

// run adds e, e x, e x^2 for count points from index j0 in direction dir
// (+1 or -1), moving away from the mode, to s. It stops early once the
// terms underflow to zero: they only shrink further out.
//
// Each block of anchorEvery points starts from two exact exponentials
// (the term and the ratio to the next). Those of the next block are
// computed before the current block's loop, which does not depend on
// them, so that the exponentials' latency overlaps the loop.
func (l *line) run(s *[3]float64, j0, dir, count int) {
	b, c, m, cc := l.b, l.c, l.m, l.cc
	h := float64(dir) * l.step
	anchor := func(j int) (x, e, r float64) {
		x = l.start + float64(j)*l.step
		return x, anchorExp(x*(b+c*x) - m), anchorExp(h * (b + c*(2*x+h)))
	}
	z, s1, s2 := s[0], s[1], s[2]
	x, e, r := anchor(j0)
	for j := j0; count > 0 && e != 0; {
		k := min(count, anchorEvery)
		j += k * dir
		count -= k
		var xn, en, rn float64
		if count > 0 {
			xn, en, rn = anchor(j)
		}
		for range k {
			z += e
			t := e * x
			s1 += t
			s2 += t * x
			e *= r
			r *= cc
			x += h
		}
		x, e, r = xn, en, rn
	}
	s[0], s[1], s[2] = z, s1, s2
}

// fill stores the log-density l_j = b x_j + c x_j^2 (without m) in
// logq[j-lo] and e_j = exp(l_j - max) in q[j-lo] for lo <= j < lo+len(q),
// where max is the largest l_j there, and returns max and the sum of the
// e_j. The e_j follow the recurrence outward from the chunk's largest
// term, re-anchored every anchorEvery points as in run.
func (l *line) fill(logq, q []float64, lo int) (mx, sum float64) {
	hi := lo + len(q)
	for j := range logq {
		x := l.start + float64(lo+j)*l.step
		logq[j] = x * (l.b + l.c*x)
	}
	jc := min(max(l.jm, lo), hi-1)
	cl := *l
	cl.m = logq[jc-lo]
	sum = cl.fillRun(q, lo, jc, 1, hi-jc)
	sum += cl.fillRun(q, lo, jc-1, -1, jc-lo)
	return cl.m, sum
}

// fillRun stores e_j in q[j-lo] for count points from j0 in direction dir,
// away from the largest term, and returns their sum; once the terms
// underflow to zero the rest are zero.
func (l *line) fillRun(q []float64, lo, j0, dir, count int) float64 {
	if count <= 0 {
		return 0
	}
	b, c, m, cc := l.b, l.c, l.m, l.cc
	h := float64(dir) * l.step
	anchor := func(j int) (e, r float64) {
		x := l.start + float64(j)*l.step
		return anchorExp(x*(b+c*x) - m), anchorExp(h * (b + c*(2*x+h)))
	}
	var sum float64
	j := j0
	e, r := anchor(j)
	for count > 0 && e != 0 {
		k := min(count, anchorEvery)
		count -= k
		// The next block's anchors first: their latency overlaps the loop.
		var en, rn float64
		if count > 0 {
			en, rn = anchor(j + k*dir)
		}
		for range k {
			q[j-lo] = e
			sum += e
			e *= r
			r *= cc
			j += dir
		}
		e, r = en, rn
	}
	for ; count > 0; count-- {
		q[j-lo] = 0
		j += dir
	}
	return sum
}
