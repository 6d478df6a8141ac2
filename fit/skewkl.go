package fit

import (
	"math"
	"sort"

	"github.com/klfit/klfit/internal/fmath"
)

// skewKLPass evaluates forward KL(P||Q) and its gradient for a
// skew-normal model (dist.SkewNormal) on a uniform 1-D grid in one pass
// over the grid, chunk by chunk, with no exp per point. With z = (x -
// loc)/scale, t = alpha z, phi and Phi the standard normal's density and
// distribution function, the model's log-density is
//
//	log q = log 2 - log scale + log phi(z) + log Phi(t).
//
// Both z and t are linear in the grid index, so the terms A = exp(-z^2/2)
// and E = exp(-t^2/2), up to constant factors, follow the normal pass's
// recurrence (line). Phi needs no exp either: with y = |t|/sqrt 2 and r =
// erfcx(y) = exp(y^2) erfc(y) by Cody's rational approximations (no exp;
// see fmath.ErfcxMid), Phi(t) = E r/2 on the left (t < 0) and 1 - E r/2 on
// the right, and between (y <= fmath.ErfSmallMax) 1/2 + erf(t/sqrt 2)/2 by
// the rational erf. Then per point:
//
//	u = A Phi(t) (the model's density up to a factor: on the left A E r/2),
//	log Phi(t) = -y^2 + log(r/2) on the left, log Phi(t) elsewhere
//	            (the table log, fmath.AddLogs, one a point),
//	lambda = phi(t)/Phi(t) = sqrt(2/pi)/r on the left, E/(sqrt(2 pi) Phi)
//	            elsewhere (one division),
//
// and u lambda = A E/sqrt(2 pi) exactly. With C the target's mass, Q = u /
// sum u, L = log q + log h (h the grid's step) and the scores
// ((z - alpha lambda), z (z - alpha lambda) - 1)/scale and z lambda,
//
//	KL = sum P (log P - L) + C (log(sum q) + log h),
//	dKL/dtheta = sum (C Q - P) score,
//
// so the model's share of the gradient is C times its expectations of z,
// z^2, lambda and z lambda, from the sums of u, u z, u z^2, A E and A E z,
// and the target's is its sums of z and z^2 (from its moments, once a fit)
// and of P lambda and P lambda z, a point. L + log h is log Q up to the
// log of the model's mass on the grid, so that the KL's terms are as
// small as the plain pass's (see mixKLPass).
//
// A point's errors: A and E are good to about 1e-13 relative (the
// recurrence; see TestLineFillTerms), r to 3e-15 (see fmath.TestErfcx),
// log Phi to 2^-52 plus 2^-52 of its size; so Q to about 2e-13 relative,
// lambda to 1e-13. u is taken relative to A's largest term on the grid;
// a term that underflows (below 2^-1022) is below 2^-1022 of that, and
// the model's sums are used only when sum u is at least mixTiny (2^-900),
// so that such terms are below 2^-120 of it. Otherwise (a model with
// almost none of its mass on the grid: hundreds of scales away, or with
// the grid deep in its short tail), when 1/scale^2 or (alpha/scale)^2
// overflows, or when the KL is not finite (the target has mass where the
// model has none), eval says so and the Objective takes the general pass,
// which names the point.
type skewKLPass struct {
	p      []float64
	logp   []float64 // log P, 0 where P is 0 (those terms are 0 P)
	x      []float64 // the grid's points
	n      int
	x0, h  float64 // the grid's first point and step
	logh   float64
	mass   float64
	ref    float64 // the target's mean: its moments m1, m2 are about it
	m1, m2 float64
	parts  [][skewSums]float64 // per chunk (see work)
	bufs   [][]float64         // per worker: the chunk's A, E, Phi or r and logs
	pool   *pool
	logSum float64 // the log of the model's density summed over the grid

	// This evaluation's model, read by the workers.
	loc, inv, alpha float64
	cy              float64 // alpha/(scale sqrt 2)
	a, e            line    // A = exp(-z^2/2 - a.m), E = exp(-t^2/2 - e.m)
	flat            bool    // alpha^2/(2 scale^2) is 0: E is 1
	ke              float64 // exp(e.m): E's factor
	lc              float64 // log 2 - log scale - log sqrt(2 pi) + log h: L's constant
}

// The sums a chunk makes: sum P (log P - L), sum P lambda, sum P lambda
// z, sum u, sum u z, sum u z^2, sum A E and sum A E z.
const skewSums = 8

// Constants of the normal distribution.
const (
	invSqrt2   = 0.707106781186547524400844362104849039 // 1/sqrt 2
	invSqrt2Pi = 0.398942280401432677939946059934381868 // 1/sqrt(2 pi)
	sqrt2ByPi  = 0.797884560802865355879892119868763737 // sqrt(2/pi)
	logSqrt2Pi = 0.918938533204672741780329736405617640 // log sqrt(2 pi)
)

func newSkewKLPass(prob *Problem, threads int) *skewKLPass {
	a := prob.Grid.Axes[0]
	q := &skewKLPass{p: prob.P, x: prob.Grid.X, n: a.N, x0: a.Start, h: a.Delta, logh: math.Log(a.Delta)}
	q.logp = make([]float64, q.n)
	for i, p := range prob.P {
		if p > 0 {
			q.logp[i] = math.Log(p)
		}
	}
	_, q.mass = entropyTerms(prob.P)
	q.ref, q.m1, q.m2 = centralMoments(prob.P, prob.Grid.X, q.mass)
	nch := (q.n + chunkSize - 1) / chunkSize
	q.parts = make([][skewSums]float64, nch)
	// Split over threads from quadMinChunks chunks, as forward KL's other
	// passes: a chunk costs about 80 µs, and with 3 chunks (10^4 points)
	// 2 threads were measured 18% slower than 1 on a loaded machine.
	q.pool, q.bufs = chunkPool(threads, nch, 4*chunkSize, q.work)
	return q
}

// centralMoments returns the mean ref of the masses p (of sum mass) on
// the points x and their first two moments about it, sum p (x - ref)^j,
// each summed with compensation (see csum).
func centralMoments(p, x []float64, mass float64) (ref, m1, m2 float64) {
	var r, s1, s2 csum
	for i, v := range p {
		r.add(v * x[i])
	}
	ref = r.sum() / mass
	for i, v := range p {
		d := x[i] - ref
		s1.add(v * d)
		s2.add(v * d * d)
	}
	return ref, s1.sum(), s2.sum()
}

// eval returns the loss at theta and stores dKL/dtheta in gradT (when not
// nil); ok is false when the pass cannot tell (see skewKLPass).
func (q *skewKLPass) eval(theta, gradT []float64) (loss float64, ok bool) {
	loc, s, alpha := theta[0], theta[1], theta[2]
	q.loc, q.inv, q.alpha = loc, 1/s, alpha
	q.cy = alpha * q.inv * invSqrt2
	ca := -0.5 * q.inv * q.inv
	ce := ca * alpha * alpha
	if !(ca < 0) || math.IsInf(ca, -1) || math.IsInf(ce, -1) || math.IsNaN(ce) {
		return math.NaN(), false // a scale too small for the recurrence
	}
	start := q.x0 - loc
	q.a.set(0, ca, start, q.h, q.n)
	q.flat = ce == 0
	q.ke = 1
	if !q.flat {
		q.e.set(0, ce, start, q.h, q.n)
		q.ke = math.Exp(q.e.m)
	}
	q.lc = math.Ln2 - math.Log(s) - logSqrt2Pi + q.logh
	q.pool.run(0)
	var sums [skewSums]float64
	for i := range q.parts {
		for k, v := range &q.parts[i] { // not a copy (see line.set)
			sums[k] += v
		}
	}
	lp, pl, plz, s0, s1, s2, t0, t1 := sums[0], sums[1], sums[2], sums[3], sums[4], sums[5], sums[6], sums[7]
	if !(s0 >= mixTiny) || math.IsInf(lp, 0) || math.IsNaN(lp) || math.IsInf(pl+plz, 0) || math.IsNaN(pl+plz) {
		return math.NaN(), false // the general pass says what is wrong
	}
	// The model's density summed over the grid is
	// 2/(scale sqrt(2 pi)) exp(a.m) sum u.
	q.logSum = q.a.m + q.lc - q.logh + math.Log(s0)
	loss = lp + q.mass*(q.logSum+q.logh)
	if gradT == nil {
		return loss, true
	}
	c := q.mass
	inv := q.inv
	ez, ez2 := s1/s0, s2/s0
	el, elz := invSqrt2Pi*t0/s0, invSqrt2Pi*t1/s0
	// The target's sums of z and z^2 from its moments about ref.
	d := q.ref - loc
	pz := (q.m1 + c*d) * inv
	pz2 := (q.m2 + 2*d*q.m1 + c*d*d) * inv * inv
	gl, glz := c*el-pl, c*elz-plz
	gradT[0] = (c*ez - pz - alpha*gl) * inv
	gradT[1] = (c*ez2 - pz2 - alpha*glz) * inv
	gradT[2] = glz
	return loss, true
}

// The kinds of point, by t = alpha z and y = |t|/sqrt 2 as work computes
// them, in the order of t: the left tail beyond fmath.ErfcxMidMax, the
// left between fmath.ErfSmallMax and it, the middle (y up to
// fmath.ErfSmallMax), and the right likewise. A point's kind is monotone
// in its index (each step of computing y is), so a chunk's points of one
// kind are one run of indices.
const (
	leftFar = iota
	leftMid
	middle
	rightMid
	rightFar
	kinds
)

// ys returns t/sqrt 2 at point j, (x_j - loc) alpha/(scale sqrt 2): its
// absolute value is y.
func (q *skewKLPass) ys(j int) float64 { return (q.x[j] - q.loc) * q.cy }

// kind returns point j's kind.
func (q *skewKLPass) kind(j int) int {
	ys := q.ys(j)
	y := math.Abs(ys)
	switch {
	case y <= fmath.ErfSmallMax:
		return middle
	case ys < 0 && y > fmath.ErfcxMidMax:
		return leftFar
	case ys < 0:
		return leftMid
	case y > fmath.ErfcxMidMax:
		return rightFar
	}
	return rightMid
}

// work computes chunk ch's sums with worker w's buffers, a run of points
// of one kind at a time (so that no loop branches on it): the recurrences
// give A and E, one loop per run makes Phi(t), or r on the left (Cody's
// rational functions: no exp, one division), fmath.AddLogs their logs, and one
// loop per run the sums (one division a point, for lambda).
func (q *skewKLPass) work(w, ch int) {
	lo := ch * chunkSize
	hi := min(lo+chunkSize, q.n)
	m := hi - lo
	buf := q.bufs[w]
	part := func(k int) []float64 { return buf[k*chunkSize : k*chunkSize+m] }
	a, e, f, lg := part(0), part(1), part(2), part(3)
	q.a.fillAround(a, lo)
	if q.flat {
		for i := range e {
			e[i] = 1
		}
	} else {
		q.e.fillAround(e, lo)
	}
	// The runs' bounds: kinds rise with the index for alpha > 0, fall
	// for alpha < 0; alpha = 0 is all middle.
	var bound [kinds + 1]int
	bound[0], bound[kinds] = lo, hi
	for k := 1; k < kinds; k++ {
		switch {
		case q.alpha > 0:
			bound[k] = lo + sort.Search(m, func(i int) bool { return q.kind(lo+i) >= k })
		case q.alpha < 0:
			bound[k] = lo + sort.Search(m, func(i int) bool { return q.kind(lo+i) < kinds-k })
		default:
			bound[k] = lo
			if k > middle {
				bound[k] = hi
			}
		}
	}
	kindOf := func(r int) int {
		if q.alpha < 0 {
			return kinds - 1 - r
		}
		return r
	}
	for r := range kinds {
		q.phiRun(kindOf(r), bound[r]-lo, bound[r+1]-lo, lo, e, f)
	}
	fmath.AddLogs(lg, f, 0)
	var sums [skewSums]float64
	for r := range kinds {
		q.sumRun(&sums, kindOf(r), bound[r]-lo, bound[r+1]-lo, lo, a, e, f, lg)
	}
	q.parts[ch] = sums
}

// phiRun stores, for the points lo+i0 <= j < lo+i1 of kind k, Phi(t) in
// f[j-lo], or on the left r = erfcx(y).
func (q *skewKLPass) phiRun(k, i0, i1, lo int, e, f []float64) {
	ke := q.ke
	switch k {
	case leftFar:
		for i := i0; i < i1; i++ {
			f[i] = fmath.ErfcxLarge(-q.ys(lo + i))
		}
	case leftMid:
		for i := i0; i < i1; i++ {
			f[i] = -q.ys(lo + i)
		}
		fmath.ErfcxMids(f[i0:i1], f[i0:i1])
	case middle:
		for i := i0; i < i1; i++ {
			f[i] = 0.5 + 0.5*fmath.ErfSmall(q.ys(lo+i))
		}
	case rightMid:
		for i := i0; i < i1; i++ {
			f[i] = q.ys(lo + i)
		}
		fmath.ErfcxMids(f[i0:i1], f[i0:i1])
		for i := i0; i < i1; i++ {
			f[i] = 1 - 0.5*e[i]*ke*f[i]
		}
	case rightFar:
		for i := i0; i < i1; i++ {
			f[i] = 1 - 0.5*e[i]*ke*fmath.ErfcxLarge(q.ys(lo+i))
		}
	}
}

// sumRun adds the sums of the points lo+i0 <= j < lo+i1 of kind k to s,
// from f (see phiRun) and its log lg.
func (q *skewKLPass) sumRun(s *[skewSums]float64, k, i0, i1, lo int, a, e, f, lg []float64) {
	if i0 >= i1 {
		return
	}
	p, logp, x := q.p[lo:], q.logp[lo:], q.x[lo:]
	ke, lc, loc, inv := q.ke, q.lc, q.loc, q.inv
	lp, pl, plz, s0, s1, s2, t0, t1 := s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]
	left := k == leftFar || k == leftMid
	h2 := 0.5 * (1 + q.alpha*q.alpha) // on the left, z^2/2 + y^2 = h2 z^2
	for i := i0; i < i1; i++ {
		z := (x[i] - loc) * inv // as the plain pass has it
		ei := e[i] * ke
		ae := a[i] * ei
		var u, lam, l float64
		if left {
			// f is r: u = A Phi = (A E) r/2, log Phi = log(r/2) - y^2
			// (not the log of E r/2: E underflows where log Phi is
			// still finite), lambda = sqrt(2/pi)/r.
			u, lam, l = 0.5*ae*f[i], sqrt2ByPi/f[i], lc-h2*(z*z)-math.Ln2+lg[i]
		} else {
			// f is Phi: lambda = E/(sqrt(2 pi) Phi).
			u, lam, l = a[i]*f[i], ei*invSqrt2Pi/f[i], lc-0.5*(z*z)+lg[i]
		}
		s0 += u
		uz := u * z
		s1 += uz
		s2 += uz * z
		t0 += ae
		t1 += ae * z
		pi := p[i] * lam
		pl += pi
		plz += pi * z
		lp += p[i] * (logp[i] - l)
	}
	s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7] = lp, pl, plz, s0, s1, s2, t0, t1
}

func (q *skewKLPass) close() {
	q.pool.close()
}

func (q *skewKLPass) gridLog() (float64, float64) { return q.logSum, 0 }

func (q *skewKLPass) workers() *pool { return q.pool }
