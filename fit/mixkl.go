package fit

import (
	"math"

	"github.com/klfit/klfit/internal/fmath"
)

// mixKLPass evaluates forward KL(P||Q) and its gradient for a mixture of
// dist.Quadratic (normal) components on a uniform 1-D grid in one pass
// over the grid, chunk by chunk, with no array of the grid's size but the
// target: the components' terms e_k by recurrence (see mixLine), their
// weighted sum s = sum_k W_k e_k a point, one log and one division, and
// for each component six sums. With L = g + log s the mixture's
// log-density, h the grid's step, Z = sum s and t = P/s,
//
//	KL = sum P (log P - (L + log h)) + C log(h sum exp L),
//	dKL/dtheta = sum (C Q - P) score
//
// (L + log h is log Q up to the log of the model's mass on the grid, so
// that the terms are as small as the plain pass's and nothing large
// cancels; C is the target's mass)
// and, r_k = W_k e_k / s the responsibilities, the sums of (C Q - P) r_k
// d^j (j = 0, 1, 2) that mixLine.gradient maps to the parameters are
// W_k (C sum e_k d^j / Z - sum t e_k d^j). Points where s is below
// mixTiny take their log-density and responsibilities from the exact
// log-sum-exp; their share of Z and of the model's sums, below 2^-900 of
// the rest, is left out. When all of Z would be such points (a model that
// has left the grid by hundreds of standard deviations), eval says so and
// the Objective takes the general pass, as it does when the target has
// mass where the model has none, to name the point.
type mixKLPass struct {
	ml   *mixLine
	p    []float64
	n    int
	logp []float64 // log P
	logh float64   // log of the grid's step
	mass float64
	// parts holds per chunk sum P (log P - (L + log h)), Z's share, then for each
	// component the sums of e, e d, e d^2, t e, t e d, t e d^2.
	parts  [][]float64
	bufs   [][]float64 // per worker: the chunk's terms, s and t
	pool   *pool
	logSum float64 // the log of the model's density summed over the grid
	raw    []float64
}

func newMixKLPass(prob *Problem, ml *mixLine, threads int) *mixKLPass {
	k := len(ml.lines)
	q := &mixKLPass{ml: ml, p: prob.P, n: ml.n, raw: make([]float64, 3*k)}
	_, q.mass = entropyTerms(prob.P)
	q.logh = math.Log(ml.step)
	q.logp = make([]float64, len(prob.P))
	for i, p := range prob.P {
		q.logp[i] = math.Log(p) // -Inf where p is 0: never read
	}
	nch := (q.n + chunkSize - 1) / chunkSize
	q.parts = make([][]float64, nch)
	for c := range q.parts {
		q.parts[c] = make([]float64, 2+6*k)
	}
	// Split over threads from quadMinChunks chunks, as the normal pass:
	// with 3 chunks (10^4 points) 2 threads were measured 40% slower than
	// 1 with another process busy on one core, at 25 (10^5) not slower.
	q.pool, q.bufs = chunkPool(threads, nch, (k+2)*chunkSize, q.work)
	return q
}

// chunkPool returns, for a pass of nch chunks, a pool that runs job on
// them, on up to threads goroutines when there are at least
// quadMinChunks (on the caller alone otherwise), and a buffer of size
// floats for each goroutine.
func chunkPool(threads, nch, size int, job func(w, ch int)) (*pool, [][]float64) {
	workers := 1
	if threads > 1 && nch >= quadMinChunks {
		workers = min(threads, nch)
	}
	p := newPool(workers, nch, job)
	bufs := make([][]float64, workers)
	for w := range bufs {
		bufs[w] = make([]float64, size)
	}
	return p, bufs
}

// eval returns the loss at theta and stores dKL/dtheta in gradT (when not
// nil); ok is false when the pass cannot tell (see mixKLPass).
func (q *mixKLPass) eval(theta, gradT []float64) (loss float64, ok bool) {
	q.ml.set(theta)
	q.pool.run(0)
	var lp, z float64
	for _, pt := range q.parts {
		lp += pt[0]
		z += pt[1]
	}
	if !(z >= mixTiny) || math.IsInf(lp, 0) || math.IsNaN(lp) {
		return math.NaN(), false // the general pass says what is wrong
	}
	lz := math.Log(z)
	q.logSum = q.ml.g + lz
	loss = lp + q.mass*(q.logSum+q.logh)
	if gradT == nil {
		return loss, true
	}
	cz := q.mass / z
	for c := range q.ml.lines {
		var s [6]float64
		for _, pt := range q.parts {
			for j := range s {
				s[j] += pt[2+6*c+j]
			}
		}
		w := q.ml.wt[c]
		for j := range 3 {
			q.raw[3*c+j] = w * (cz*s[j] - s[3+j])
		}
	}
	q.ml.gradient(gradT, q.raw)
	return loss, true
}

// work computes chunk ch's sums with worker w's buffers.
func (q *mixKLPass) work(w, ch int) {
	ml := q.ml
	lo := ch * chunkSize
	hi := min(lo+chunkSize, q.n)
	m := hi - lo
	k := len(ml.lines)
	buf := q.bufs[w]
	e := func(c int) []float64 { return buf[c*chunkSize : c*chunkSize+m] }
	s, t := buf[k*chunkSize:][:m], buf[(k+1)*chunkSize:][:m]
	for c := range k {
		ln := &ml.lines[c]
		ln.fillAround(e(c), lo)
	}
	if k == 2 { // the common case in one loop
		e0, e1, w0, w1 := e(0), e(1), ml.wt[0], ml.wt[1]
		for i := range s {
			s[i] = w0*e0[i] + w1*e1[i]
		}
	} else {
		clear(s)
		for c := range k {
			wc := ml.wt[c]
			for i, v := range e(c) {
				s[i] += wc * v
			}
		}
	}
	part := q.parts[ch]
	clear(part)
	p, logp := q.p[lo:hi], q.logp[lo:hi]
	var acc [2][4]float64
	for i := 0; ; i++ {
		if i = fmath.KLTerms(&acc, t, s, p, logp, ml.g+q.logh, mixTiny, i); i == m {
			break
		}
		if p[i] > 0 {
			acc[0][i%4] += p[i] * (logp[i] - (q.exact(part, lo, i, p[i]) + q.logh))
		}
		t[i] = 0
	}
	part[0] = (acc[0][0] + acc[0][1]) + (acc[0][2] + acc[0][3])
	part[1] = (acc[1][0] + acc[1][1]) + (acc[1][2] + acc[1][3])
	var sums [6]float64
	for c := range k {
		ln := &ml.lines[c]
		fmath.Moments(&sums, e(c), t, ln.start, ln.step, lo)
		for j, v := range sums { // after exact's shares
			part[2+6*c+j] += v
		}
	}
}

// exact adds point lo+i's share, by the exact log-sum-exp, to the sums
// of t e_k d^j in part (as P r_k d^j / W_k), and returns its log-density
// L (P > 0).
func (q *mixKLPass) exact(part []float64, lo, i int, p float64) float64 {
	ml := q.ml
	m := math.Inf(-1)
	for c := range ml.lines {
		ln := &ml.lines[c]
		d := ln.start + float64(lo+i)*ln.step
		m = max(m, ml.a[c]+ln.c*d*d)
	}
	if math.IsInf(m, -1) {
		return m // no mass where the target has some: KL is +Inf
	}
	var sum float64
	for c := range ml.lines {
		ln := &ml.lines[c]
		d := ln.start + float64(lo+i)*ln.step
		sum += math.Exp(ml.a[c] + ln.c*d*d - m)
	}
	lq := m + math.Log(sum)
	for c := range ml.lines {
		ln := &ml.lines[c]
		d := ln.start + float64(lo+i)*ln.step
		if ml.wt[c] == 0 {
			continue
		}
		v := p * math.Exp(ml.a[c]+ln.c*d*d-lq) / ml.wt[c]
		part[2+6*c+3] += v
		part[2+6*c+4] += v * d
		part[2+6*c+5] += v * d * d
	}
	return lq
}

func (q *mixKLPass) close() {
	q.pool.close()
}

func (q *mixKLPass) gridLog() (float64, float64) { return q.logSum, 0 }

func (q *mixKLPass) workers() *pool { return q.pool }
