package fit

import (
	"math"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/internal/fmath"
)

// mixLine is the general pass's view of a mixture whose components are
// dist.Quadratic (normal) on a uniform 1-D grid. Component k's weighted
// density is w_k exp(c_k d^2) / I_k, d = x - v_k with v_k its vertex and
// I_k = sqrt(pi/-c_k); its terms e_kj = exp(c_k d_j^2 - m_k) follow the
// normal pass's recurrence (line), so that the mixture's density on the
// grid is sum_k W_k e_kj, W_k = w_k exp(m_k) / I_k, with no exp per point:
// one log a point for its log-density and one division for the
// responsibilities r_k = W_k e_k / q, which stand in for the family's
// scores. A component's score is
//
//	d log q / d theta = r_k ((db_k + 2 v_k dc_k) d + dc_k (d^2 - s_k)),
//
// s_k = -1/(2 c_k) its variance, and a weight's r_k / w_k, so the
// gradient needs only the sums of g r_k, g r_k d and g r_k d^2 for each
// component (g the divergence's point weights), made on the way.
//
// Where the terms underflow (the sum below mixTiny, far from every
// component), a point takes the exact log-sum-exp, as the plain pass does.
type mixLine struct {
	fam    *dist.Mixture
	comp   dist.Quadratic
	ct     []float64   // a component's parameters
	db, dc [][]float64 // per component: derivatives of b_k and c_k
	lines  []line      // per component: c_k d^2 on d = x - v_k
	vert   []float64   // v_k
	varc   []float64   // s_k
	w      []float64   // w_k
	a      []float64   // log w_k - log I_k: the log-density's term at the vertex
	wt     []float64   // W_k exp(-g)
	g      float64     // the largest a_k: the reference of the terms' sums
	start  float64     // the grid's first point
	step   float64
	n      int
}

// mixTiny bounds the sums of terms that are used as they are: above it
// every term that matters is a normal float64 whose recurrence kept its
// precision (a subnormal term is below 2^-122 of the sum).
const mixTiny = 0x1p-900

func newMixLine(fam *dist.Mixture, comp dist.Quadratic, start, step float64, n int) *mixLine {
	k, m := fam.Components(), len(fam.Component().Params())
	ml := &mixLine{fam: fam, comp: comp, ct: make([]float64, m), lines: make([]line, k),
		vert: make([]float64, k), varc: make([]float64, k), w: make([]float64, k),
		a: make([]float64, k), wt: make([]float64, k), db: make([][]float64, k), dc: make([][]float64, k)}
	for c := range k {
		ml.db[c], ml.dc[c] = make([]float64, m), make([]float64, m)
	}
	ml.start, ml.step, ml.n = start, step, n
	return ml
}

// set takes the mixture's parameters theta.
func (ml *mixLine) set(theta []float64) {
	ml.g = math.Inf(-1)
	for c := range ml.lines {
		ml.fam.ComponentTheta(ml.ct, theta, c)
		b, cq := ml.comp.Quadratic(ml.ct, 0, ml.db[c], ml.dc[c])
		v := -b / (2 * cq)
		ml.lines[c].set(0, cq, ml.start-v, ml.step, ml.n)
		ml.vert[c], ml.varc[c], ml.w[c] = v, -0.5/cq, theta[c]
		ml.a[c] = math.Log(theta[c]) - 0.5*math.Log(math.Pi/-cq)
		ml.g = max(ml.g, ml.a[c])
	}
	for c := range ml.lines {
		ml.wt[c] = math.Exp(ml.a[c] - ml.g + ml.lines[c].m)
	}
}

// fill stores, for the points lo <= j < lo+len(q), the mixture's
// log-density in logq[j-lo], its density times exp(-mx) in q[j-lo] and
// the responsibilities in r[k][j-lo]; it returns mx and the sum of q.
func (ml *mixLine) fill(logq, q []float64, r [][]float64, lo int) (mx, sum float64) {
	for c := range ml.lines {
		l := &ml.lines[c]
		e := r[c][:len(q)]
		l.fillAround(e, lo)
	}
	wt := ml.wt
	// The terms' sums in q, their logs in logq, the responsibilities in
	// r; the exact log-sum-exp where the sums are too small.
	if len(r) == 2 { // the common case, without the inner loops
		r0, r1 := r[0][:len(q)], r[1][:len(q)]
		w0, w1 := wt[0], wt[1]
		for i := range q {
			q[i] = w0*r0[i] + w1*r1[i]
		}
		fmath.AddLogs(logq, q, ml.g)
		for i, s := range q {
			if !(s >= mixTiny) {
				sum += ml.exact(logq, q, r, lo, i)
				continue
			}
			sum += s
			inv := 1 / s
			r0[i] *= w0 * inv
			r1[i] *= w1 * inv
		}
	} else {
		for i := range q {
			var s float64
			for c, e := range r {
				s += wt[c] * e[i]
			}
			q[i] = s
		}
		fmath.AddLogs(logq, q, ml.g)
		for i, s := range q {
			if !(s >= mixTiny) {
				sum += ml.exact(logq, q, r, lo, i)
				continue
			}
			sum += s
			inv := 1 / s
			for c, e := range r {
				e[i] *= wt[c] * inv
			}
		}
	}
	if sum >= mixTiny {
		return ml.g, sum
	}
	// Nothing here is within 2^-900 of the largest component's peak: the
	// chunk takes its own maximum, as the plain pass does.
	mx = math.Inf(-1)
	for _, l := range logq {
		mx = max(mx, l)
	}
	sum = 0
	if math.IsInf(mx, -1) {
		clear(q)
		return mx, 0
	}
	for i, l := range logq {
		q[i] = math.Exp(l - mx)
		sum += q[i]
	}
	return mx, sum
}

// exact stores point lo+i's log-density, density times exp(-g) and
// responsibilities by the log-sum-exp of the components' exact
// log-densities, and returns the density.
func (ml *mixLine) exact(logq, q []float64, r [][]float64, lo, i int) float64 {
	m := math.Inf(-1)
	for c := range ml.lines {
		l := &ml.lines[c]
		d := l.start + float64(lo+i)*l.step
		lc := ml.a[c] + l.c*d*d
		r[c][i] = lc
		m = max(m, lc)
	}
	if math.IsInf(m, -1) {
		logq[i], q[i] = m, 0
		for _, e := range r {
			e[i] = 0
		}
		return 0
	}
	var s float64
	for _, e := range r {
		s += math.Exp(e[i] - m)
	}
	lq := m + math.Log(s)
	for _, e := range r {
		e[i] = math.Exp(e[i] - lq)
	}
	logq[i] = lq
	q[i] = math.Exp(lq - ml.g)
	return q[i]
}

// gradient sets the gradient with respect to theta in gradT from raw,
// which holds for each component k the sums of g r_k, g r_k d and
// g r_k d^2.
func (ml *mixLine) gradient(gradT, raw []float64) {
	for c := range ml.lines {
		t0, t1, t2 := raw[3*c], raw[3*c+1], raw[3*c+2]
		gradT[c] = t0 / ml.w[c]
		v, db, dc := ml.vert[c], ml.db[c], ml.dc[c]
		t2 -= ml.varc[c] * t0
		for t := range db {
			gradT[ml.fam.ParamIndex(c, t)] = (db[t]+2*v*dc[t])*t1 + dc[t]*t2
		}
	}
}

// gradSums stores, for each component c on the points
// lo <= j < lo+len(h), the sums of h r_c, h r_c d and h r_c d^2 in
// hs[3c:3c+3] and those of q r_c, q r_c d and q r_c d^2 in qs[3c:3c+3].
func (ml *mixLine) gradSums(hs, qs []float64, lo int, h, q []float64, r [][]float64) {
	q = q[:len(h)]
	for c, rc := range r {
		l := &ml.lines[c]
		rc = rc[:len(h)]
		var h0, h1, h2, q0, q1, q2 float64
		for i, v := range h {
			d := l.start + float64(lo+i)*l.step
			hr, qr := v*rc[i], q[i]*rc[i]
			h0 += hr
			q0 += qr
			hr *= d
			qr *= d
			h1 += hr
			q1 += qr
			h2 += hr * d
			q2 += qr * d
		}
		hs[3*c], hs[3*c+1], hs[3*c+2], qs[3*c], qs[3*c+1], qs[3*c+2] = h0, h1, h2, q0, q1, q2
	}
}
