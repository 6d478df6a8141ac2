package divergence

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// The estimators work on a window: a box that holds the mass of both P and
// Q, found from their supports and hints and widened until both densities
// at its edges are below edgeRatio times their peaks (the mass beyond is
// then negligible for any density with at least exponential tails).
const edgeRatio = 1e-15

// qgrid is a midpoint grid of n cells per axis over a window.
type qgrid struct {
	dim    int
	lo, hi [2]float64
	n      [2]int
	x, y   []float64
	cell   float64 // cell volume
}

func newQGrid(dim int, lo, hi [2]float64, n int) *qgrid {
	g := &qgrid{dim: dim, lo: lo, hi: hi}
	g.n[0] = n
	g.n[1] = 1
	if dim == 2 {
		g.n[1] = n
	}
	hx := (hi[0] - lo[0]) / float64(n)
	g.cell = hx
	hy := 0.0
	if dim == 2 {
		hy = (hi[1] - lo[1]) / float64(n)
		g.cell *= hy
	}
	total := g.n[0] * g.n[1]
	g.x = make([]float64, total)
	if dim == 2 {
		g.y = make([]float64, total)
	}
	for j := 0; j < g.n[1]; j++ {
		for i := 0; i < g.n[0]; i++ {
			k := j*g.n[0] + i
			g.x[k] = lo[0] + (float64(i)+0.5)*hx
			if dim == 2 {
				g.y[k] = lo[1] + (float64(j)+0.5)*hy
			}
		}
	}
	return g
}

func (g *qgrid) point(k int) string {
	if g.dim == 1 {
		return fmt.Sprintf("x=%.6g", g.x[k])
	}
	return fmt.Sprintf("x=%.6g, y=%.6g", g.x[k], g.y[k])
}

// evalLog fills l with d's log-density on g, with NaN turned into an
// error.
func evalLog(d *Density, g *qgrid, l []float64) error {
	if err := d.LogDensity(l, g.x, g.y); err != nil {
		return fmt.Errorf("%s: %w", d.Label, err)
	}
	for k, v := range l {
		if math.IsNaN(v) || math.IsInf(v, 1) {
			return fmt.Errorf("%s: the log-density is %v at %s", d.Label, v, g.point(k))
		}
	}
	return nil
}

// normalize turns log-densities into log-masses on the grid in place and
// returns the masses and the log of the density's integral over the grid.
func normalize(l []float64, cell float64) (mass []float64, logZ float64) {
	m := math.Inf(-1)
	for _, v := range l {
		m = math.Max(m, v)
	}
	mass = make([]float64, len(l))
	if math.IsInf(m, -1) {
		return mass, m
	}
	var s float64
	for _, v := range l {
		s += math.Exp(v - m)
	}
	lz := m + math.Log(s)
	for i, v := range l {
		l[i] = v - lz
		mass[i] = math.Exp(l[i])
	}
	return mass, lz + math.Log(cell)
}

// window finds a box holding the mass of p and q.
func window(p, q *Density) (lo, hi [2]float64, err error) {
	dim := p.Dim
	for k := 0; k < dim; k++ {
		slo, shi := math.Min(p.Lo[k], q.Lo[k]), math.Max(p.Hi[k], q.Hi[k])
		a, b := math.Inf(1), math.Inf(-1)
		for _, d := range []*Density{p, q} {
			switch {
			case d.Scale[k] > 0:
				a, b = math.Min(a, d.Center[k]-12*d.Scale[k]), math.Max(b, d.Center[k]+12*d.Scale[k])
			case !math.IsInf(d.Lo[k], 0) && !math.IsInf(d.Hi[k], 0):
				a, b = math.Min(a, d.Lo[k]), math.Max(b, d.Hi[k])
			case !math.IsInf(d.Lo[k], 0):
				a, b = math.Min(a, d.Lo[k]), math.Max(b, d.Lo[k]+10)
			case !math.IsInf(d.Hi[k], 0):
				a, b = math.Min(a, d.Hi[k]-10), math.Max(b, d.Hi[k])
			default:
				a, b = math.Min(a, -10), math.Max(b, 10)
			}
		}
		lo[k], hi[k] = math.Max(a, slo), math.Min(b, shi)
	}
	n := 8192
	if dim == 2 {
		n = 256
	}
	for iter := 0; iter < 60; iter++ {
		g := newQGrid(dim, lo, hi, n)
		grow := [2][2]bool{}
		for _, d := range []*Density{p, q} {
			l := make([]float64, len(g.x))
			if err := evalLog(d, g, l); err != nil {
				return lo, hi, err
			}
			peak := math.Inf(-1)
			for _, v := range l {
				peak = math.Max(peak, v)
			}
			if math.IsInf(peak, -1) {
				grow = [2][2]bool{{true, true}, {dim == 2, dim == 2}}
				continue
			}
			cut := peak + math.Log(edgeRatio)
			for k := 0; k < dim; k++ {
				for side := 0; side < 2; side++ {
					if edgeMax(g, l, k, side) > cut {
						grow[k][side] = true
					}
				}
			}
		}
		done := true
		for k := 0; k < dim; k++ {
			w := hi[k] - lo[k]
			slo, shi := math.Min(p.Lo[k], q.Lo[k]), math.Max(p.Hi[k], q.Hi[k])
			if grow[k][0] && lo[k] > slo {
				lo[k] = math.Max(lo[k]-w, slo)
				done = false
			}
			if grow[k][1] && hi[k] < shi {
				hi[k] = math.Min(hi[k]+w, shi)
				done = false
			}
		}
		if done {
			return lo, hi, nil
		}
		if math.IsInf(lo[0], 0) || math.IsInf(hi[0], 0) || math.Abs(hi[0]-lo[0]) > 1e300 {
			break
		}
	}
	return lo, hi, fmt.Errorf("could not find a window holding the mass of %s and %s", p.Label, q.Label)
}

// edgeMax returns the largest log-density in the edge cells of axis k on
// the given side (0 low, 1 high).
func edgeMax(g *qgrid, l []float64, k, side int) float64 {
	m := math.Inf(-1)
	nx, ny := g.n[0], g.n[1]
	if k == 0 {
		i := 0
		if side == 1 {
			i = nx - 1
		}
		for j := 0; j < ny; j++ {
			m = math.Max(m, l[j*nx+i])
		}
		return m
	}
	j := 0
	if side == 1 {
		j = ny - 1
	}
	for i := 0; i < nx; i++ {
		m = math.Max(m, l[j*nx+i])
	}
	return m
}

// gridValue computes D(P, Q) on g from the normalized grid masses.
func gridValue(d Divergence, p, q *Density, g *qgrid) (float64, string, error) {
	lp, lq := make([]float64, len(g.x)), make([]float64, len(g.x))
	if err := evalLog(p, g, lp); err != nil {
		return 0, "", err
	}
	if err := evalLog(q, g, lq); err != nil {
		return 0, "", err
	}
	mp, zp := normalize(lp, g.cell)
	mq, zq := normalize(lq, g.cell)
	if math.IsInf(zp, -1) {
		return 0, "", fmt.Errorf("%s has no mass on the window", p.Label)
	}
	if math.IsInf(zq, -1) {
		return math.Inf(1), "Q has no mass where P has", nil
	}
	v, err := d.Eval(mp, lp, mq, lq, nil)
	if err != nil {
		var se *SupportError
		if errors.As(err, &se) {
			return math.Inf(1), pqReason(se.Reason) + " (at " + g.point(se.Index) + ")", nil
		}
		return 0, "", err
	}
	return v, "", nil
}

// Quadrature estimates D(P, Q) on midpoint grids over a window holding
// both densities' mass, doubling the points per axis until two successive
// grids agree within opts.Tolerance times max(1, |D|). The estimate's
// Error is the last difference.
func Quadrature(ctx context.Context, d Divergence, p, q *Density, opts Options) (*Estimate, error) {
	tol := opts.Tolerance
	if tol <= 0 {
		tol = 1e-6
	}
	maxPts := opts.MaxPoints
	if maxPts <= 0 {
		maxPts = 1 << 22
	}
	lo, hi, err := window(p, q)
	if err != nil {
		return nil, err
	}
	n := 1024
	if p.Dim == 2 {
		n = 64
	} else {
		lo, hi, n = alignToBound(lo, hi, n, p, q)
	}
	e := &Estimate{Method: MethodGrid, Tolerance: tol, Lo: lo, Hi: hi}
	prev := math.NaN()
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		g := newQGrid(p.Dim, lo, hi, n)
		v, reason, err := gridValue(d, p, q, g)
		if err != nil {
			return nil, err
		}
		e.Value, e.Points = v, len(g.x)
		if math.IsInf(v, 1) {
			e.Reason, e.Converged, e.Error = reason, true, 0
			return e, nil
		}
		if !math.IsNaN(prev) {
			e.Error = math.Abs(v - prev)
			if e.Error <= tol*math.Max(1, math.Abs(v)) {
				e.Converged = true
				return e, widerCheck(d, p, q, g, e, tol)
			}
		}
		prev = v
		next := 2 * n
		if p.Dim == 2 && next*next > maxPts || p.Dim == 1 && next > maxPts {
			return e, nil
		}
		n = next
	}
}

// widerCheck recomputes the value on a window twice as wide on every
// unbounded side, with the same cells: when the value moves by more than
// the tolerance, the integral depends on the tails the window cuts off
// (it may diverge), and the estimate is marked as not converged.
func widerCheck(d Divergence, p, q *Density, g *qgrid, e *Estimate, tol float64) error {
	if p.Dim != 1 {
		return nil
	}
	lo, hi := e.Lo, e.Hi
	w := hi[0] - lo[0]
	cells := g.n[0]
	slo, shi := math.Min(p.Lo[0], q.Lo[0]), math.Max(p.Hi[0], q.Hi[0])
	if lo[0] > slo && !math.IsInf(slo, 0) || math.IsInf(slo, -1) {
		lo[0] -= w / 2
		cells += cells / 2
	}
	if hi[0] < shi && !math.IsInf(shi, 0) || math.IsInf(shi, 1) {
		hi[0] += w / 2
		cells += g.n[0] / 2
	}
	if cells == g.n[0] {
		return nil
	}
	if cells > 1<<24 {
		return nil
	}
	wide := newQGrid(1, lo, hi, cells)
	v, _, err := gridValue(d, p, q, wide)
	if err != nil {
		return err
	}
	if diff := math.Abs(v - e.Value); diff > tol*math.Max(1, math.Abs(e.Value)) {
		e.Converged = false
		e.Note = fmt.Sprintf("the value changes by %.3g on a window twice as wide (%.6g): the integral depends on the tails, and may diverge", diff, v)
	}
	return nil
}

// alignToBound moves a 1-D window so that a finite support bound inside
// it (where a density jumps) falls on a cell edge of every grid of the
// refinement: a cell that straddles a jump would make the midpoint rule
// first order only. It returns the window and its number of cells.
func alignToBound(lo, hi [2]float64, n int, p, q *Density) ([2]float64, [2]float64, int) {
	for _, b := range []float64{p.Lo[0], p.Hi[0], q.Lo[0], q.Hi[0]} {
		if math.IsInf(b, 0) || !(b > lo[0] && b < hi[0]) {
			continue
		}
		h := (hi[0] - lo[0]) / float64(n)
		k := math.Ceil((b - lo[0]) / h)
		lo[0] = b - k*h
		m := math.Ceil((hi[0] - lo[0]) / h)
		hi[0] = lo[0] + m*h
		return lo, hi, int(m)
	}
	return lo, hi, n
}

// MonteCarlo estimates D(P, Q) as a mean over independent draws (seeded by
// opts.Seed), with its standard error: KL(P||Q) = E_P[log p/q], reverse
// KL = E_Q[log q/p], JS from draws of both, the others from E_P of a
// function of q/p (exact whatever the supports). Densities without a
// sampler of their own, or without a normalized log-density, go through a
// fine grid over the window: draws from its cells and its normalizing
// constant.
func MonteCarlo(ctx context.Context, d Divergence, p, q *Density, opts Options) (*Estimate, error) {
	n := opts.Samples
	if n <= 0 {
		n = 100000
	}
	e := &Estimate{Method: MethodMC, Samples: n, Converged: true}
	var prepared [2]*mcDensity
	needGrid := !p.Normalized || !q.Normalized || p.Sample == nil || q.Sample == nil
	var g *qgrid
	if needGrid {
		lo, hi, err := window(p, q)
		if err != nil {
			return nil, err
		}
		e.Lo, e.Hi = lo, hi
		cells := 1 << 16
		if p.Dim == 2 {
			cells = 1024
		}
		g = newQGrid(p.Dim, lo, hi, cells)
	}
	for i, dd := range []*Density{p, q} {
		md, err := prepare(dd, g)
		if err != nil {
			return nil, err
		}
		prepared[i] = md
	}
	rng := rand.New(rand.NewPCG(opts.Seed, 0x9E3779B97F4A7C15))
	mp, mq := prepared[0], prepared[1]
	var fromP, fromQ func(lp, lq float64) float64
	finish := func(mean, se float64) (float64, float64) { return mean, se }
	switch dd := d.(type) {
	case ForwardKL:
		fromP = func(lp, lq float64) float64 { return lp - lq }
	case ReverseKL:
		fromQ = func(lp, lq float64) float64 { return lq - lp }
	case JS:
		fromP = func(lp, lq float64) float64 { return (lp - logAddExp(lp, lq) + math.Ln2) / 2 }
		fromQ = func(lp, lq float64) float64 { return (lq - logAddExp(lp, lq) + math.Ln2) / 2 }
	case Hellinger:
		fromP = func(lp, lq float64) float64 { return 1 - math.Exp((lq-lp)/2) }
	case TV:
		fromP = func(lp, lq float64) float64 { return 1 - math.Min(1, math.Exp(lq-lp)) }
	case Renyi:
		a := dd.Alpha
		fromP = func(lp, lq float64) float64 { return math.Exp((1 - a) * (lq - lp)) }
		finish = func(s, se float64) (float64, float64) { return math.Log(s) / (a - 1), se / (s * math.Abs(a-1)) }
	case Alpha:
		a := dd.Alpha
		fromP = func(lp, lq float64) float64 { return math.Exp((1 - a) * (lq - lp)) }
		finish = func(s, se float64) (float64, float64) { return (1 - s) / (a * (1 - a)), se / math.Abs(a*(1-a)) }
		if a < 0 {
			// The part of Q outside P's support makes it infinite; only
			// draws of Q can see it.
			fromQ = func(lp, lq float64) float64 {
				if math.IsInf(lp, -1) {
					return math.Inf(1)
				}
				return 0
			}
		}
	default:
		return nil, fmt.Errorf("no Monte Carlo estimator for %s", d.Name())
	}
	var mean, variance float64
	for side, f := range []func(lp, lq float64) float64{fromP, fromQ} {
		if f == nil {
			continue
		}
		src := mp
		if side == 1 {
			src = mq
		}
		m, v, bad, err := mcMean(ctx, rng, src, mp, mq, f, n)
		if err != nil {
			return nil, err
		}
		if bad != "" || math.IsInf(m, 1) {
			e.Value, e.Reason = math.Inf(1), bad
			if e.Reason == "" {
				e.Reason = "Q has mass where P has none"
			}
			return e, nil
		}
		if _, isAlpha := d.(Alpha); isAlpha && side == 1 {
			continue // the support check only
		}
		mean += m
		variance += v / float64(n)
	}
	e.Value, e.Error = finish(mean, math.Sqrt(variance))
	if math.IsInf(e.Value, 1) {
		e.Reason = "P has mass where Q has none"
	}
	return e, nil
}

// mcDensity is a density ready for Monte Carlo: a normalized log-density
// and a sampler.
type mcDensity struct {
	d      *Density
	logZ   float64
	sample func(rng *rand.Rand, x, y []float64)
}

func (m *mcDensity) log(dst, x, y []float64) error {
	if err := m.d.LogDensity(dst, x, y); err != nil {
		return err
	}
	if m.logZ != 0 {
		for i := range dst[:len(x)] {
			dst[i] -= m.logZ
		}
	}
	return nil
}

func prepare(d *Density, g *qgrid) (*mcDensity, error) {
	m := &mcDensity{d: d, sample: d.Sample}
	if d.Normalized && d.Sample != nil {
		return m, nil
	}
	l := make([]float64, len(g.x))
	if err := evalLog(d, g, l); err != nil {
		return nil, err
	}
	mass, logZ := normalize(l, g.cell)
	if math.IsInf(logZ, -1) {
		return nil, fmt.Errorf("%s has no mass on the window", d.Label)
	}
	if !d.Normalized {
		m.logZ = logZ
	}
	if d.Sample == nil {
		cum := make([]float64, len(mass))
		var s float64
		for i, v := range mass {
			s += v
			cum[i] = s
		}
		hx := (g.hi[0] - g.lo[0]) / float64(g.n[0])
		hy := 0.0
		if g.dim == 2 {
			hy = (g.hi[1] - g.lo[1]) / float64(g.n[1])
		}
		m.sample = func(rng *rand.Rand, x, y []float64) {
			for i := range x {
				k := min(sort.SearchFloat64s(cum, rng.Float64()*s), len(cum)-1)
				x[i] = g.x[k] + (rng.Float64()-0.5)*hx
				if y != nil {
					y[i] = g.y[k] + (rng.Float64()-0.5)*hy
				}
			}
		}
	}
	return m, nil
}

// mcMean draws n points from src and returns the mean and variance of
// f(log p, log q) over them, or the reason the divergence is infinite.
func mcMean(ctx context.Context, rng *rand.Rand, src, p, q *mcDensity, f func(lp, lq float64) float64, n int) (mean, variance float64, bad string, err error) {
	const batch = 4096
	x := make([]float64, batch)
	var y []float64
	if src.d.Dim == 2 {
		y = make([]float64, batch)
	}
	lp, lq := make([]float64, batch), make([]float64, batch)
	var s, s2 float64
	count := 0
	for done := 0; done < n; done += batch {
		if err := ctx.Err(); err != nil {
			return 0, 0, "", err
		}
		b := min(batch, n-done)
		xb := x[:b]
		var yb []float64
		if y != nil {
			yb = y[:b]
		}
		src.sample(rng, xb, yb)
		if err := p.log(lp[:b], xb, yb); err != nil {
			return 0, 0, "", err
		}
		if err := q.log(lq[:b], xb, yb); err != nil {
			return 0, 0, "", err
		}
		for i := 0; i < b; i++ {
			if src == p && math.IsInf(lq[i], -1) && !math.IsInf(lp[i], -1) {
				if v := f(0, math.Inf(-1)); math.IsInf(v, 0) {
					return math.Inf(1), 0, fmt.Sprintf("P has mass where Q has none (a draw of P at x=%.6g)", xb[i]), nil
				}
			}
			if src == q && math.IsInf(lp[i], -1) && !math.IsInf(lq[i], -1) {
				if v := f(math.Inf(-1), 0); math.IsInf(v, 0) {
					return math.Inf(1), 0, fmt.Sprintf("Q has mass where P has none (a draw of Q at x=%.6g)", xb[i]), nil
				}
			}
			v := f(lp[i], lq[i])
			s += v
			s2 += v * v
			count++
		}
	}
	mean = s / float64(count)
	variance = math.Max(s2/float64(count)-mean*mean, 0)
	return mean, variance, "", nil
}
