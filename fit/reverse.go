package fit

import (
	"math"

	"github.com/klfit/klfit/dist"
)

// revPass evaluates reverse KL(Q||P) and its gradient for a family whose
// log-density is b x + c x^2 (dist.Quadratic) on a uniform 1-D grid, in
// one pass over the grid with no exp or log a point: the model's terms
// come from the line recurrence (see line), the target through -log P,
// taken once a fit.
//
// In vertex form the log-density is c d^2 plus a constant, d = x - v,
// v = -b/(2c); with e_j = exp(c d_j^2 - m) (m its largest value),
// Z = sum e_j and lz = m + log Z, log Q_j = c d_j^2 - lz and
//
//	KL(Q||P) = sum Q_j (c d_j^2 - log P_j - lz) = T_0/Z + U - lz,
//	T_k = sum e_j u_j d_j^k,  u_j = c d_j^2 - log P_j - U,
//
// for any constant U. U = m makes c d_j^2 - U = log e_j, at most 0, and
// the KL T_0/Z - log Z: the terms are of the size of log Q - log P, as in
// the plain pass (a U that leaves m in u_j loses eps m where the model's
// mode is far off the grid, m of -10^6 and more). With
// h_j = Q_j (log Q_j - log P_j + 1) and
// H = sum h, the gradient's terms are
//
//	sum (h_j - H Q_j) d_j^k = T_k/Z - (T_0/Z)(E_k/Z),  E_k = sum e_j d_j^k,
//
// for k = 1, 2, mapped to the parameters as the line pass does (see
// Objective.toParams). Where P is 0 and the model's term is not, the
// divergence is +Inf: the pass says it cannot evaluate the state, and the
// general pass, which names the point, takes it.
type revPass struct {
	fam         dist.Quadratic
	n           int
	start, step float64   // the grid: x_j = start + j*step
	nlp         []float64 // -log P, 0 where P is 0
	zeros       [][]int   // per chunk, the points where P is 0
	db, dc      []float64
	parts       [][6]float64 // per chunk: E_0 (= Z), E_1, E_2, T_0, T_1, T_2
	bad         []bool       // per chunk: the model has mass where P is 0
	bufs        [][]float64  // per worker, a chunk's terms
	ln          line         // this evaluation's line, in d
	c, u        float64      // this evaluation's c and centring constant U
	logSum      float64      // the log of the normalized density summed over the grid, at the last evaluation
	pool        *pool
}

func newRevPass(prob *Problem, fam dist.Quadratic, threads int) *revPass {
	a := prob.Grid.Axes[0]
	k := len(prob.Init)
	r := &revPass{fam: fam, n: a.N, start: a.Start, step: a.Delta,
		nlp: make([]float64, a.N), db: make([]float64, k), dc: make([]float64, k)}
	nch := (r.n + quadChunk - 1) / quadChunk
	r.zeros, r.parts, r.bad = make([][]int, nch), make([][6]float64, nch), make([]bool, nch)
	for i, p := range prob.P {
		if p > 0 {
			r.nlp[i] = -math.Log(p)
		} else {
			r.zeros[i/quadChunk] = append(r.zeros[i/quadChunk], i)
		}
	}
	r.pool, r.bufs = chunkPool(threads, nch, min(quadChunk, r.n), r.work)
	return r
}

// eval returns the divergence at theta and stores dKL/dtheta in gradT
// (when not nil), or false where the divergence is +Inf (the model has
// mass where the target has none).
func (r *revPass) eval(theta, gradT []float64) (float64, bool) {
	b, c := r.fam.Quadratic(theta, 0, r.db, r.dc)
	v := -b / (2 * c)
	r.ln.set(0, c, r.start-v, r.step, r.n)
	r.c = c
	lnorm := 0.5 * math.Log(math.Pi/-c)
	r.u = r.ln.m
	r.pool.run(0)
	var s [6]float64
	for ch := range r.parts {
		p := &r.parts[ch] // not a copy (see line.set)
		if r.bad[ch] {
			return math.Inf(1), false
		}
		for j := range s {
			s[j] += p[j]
		}
	}
	z := s[0]
	lz := r.ln.m + math.Log(z)
	r.logSum = lz - lnorm
	t0 := s[3] / z
	val := t0 - math.Log(z) // T_0/Z + U - lz with U = m
	if gradT != nil {
		g1 := s[4]/z - t0*(s[1]/z)
		g2 := s[5]/z - t0*(s[2]/z)
		for k := range gradT {
			gradT[k] = g1*(r.db[k]+2*v*r.dc[k]) + g2*r.dc[k]
		}
	}
	return val, true
}

// work computes chunk ch's sums with worker w's buffer.
func (r *revPass) work(w, ch int) {
	lo := ch * quadChunk
	hi := min(lo+quadChunk, r.n)
	e := r.bufs[w][:hi-lo]
	r.ln.fillAround(e, lo)
	r.bad[ch] = false
	for _, i := range r.zeros[ch] {
		if e[i-lo] > 0 {
			r.bad[ch] = true
			return
		}
	}
	nlp := r.nlp[lo:hi]
	start, step, c, u := r.ln.start, r.ln.step, r.c, r.u
	var e0, e1, e2, t0, t1, t2 float64
	for i, ev := range e {
		d := start + float64(lo+i)*step
		t := ev * ((c*d*d - u) + nlp[i])
		ed, td := ev*d, t*d
		e0 += ev
		e1 += ed
		e2 += ed * d
		t0 += t
		t1 += td
		t2 += td * d
	}
	r.parts[ch] = [6]float64{e0, e1, e2, t0, t1, t2}
}

func (r *revPass) gridLog() (float64, float64) { return r.logSum, 0 }
func (r *revPass) workers() *pool              { return r.pool }

func (r *revPass) close() {
	r.pool.close()
}
