package divergence

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/internal/psis"
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
	// logw is each cell's log width, for a 1-D grid of unequal cells
	// (nil: every cell has volume cell).
	logw []float64
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
// returns the masses and the log of the density's integral over the grid:
// mass_i is proportional to exp(l_i) times the cell's width (exp(logw_i),
// or cell for every cell when logw is nil).
func normalize(l, logw []float64, cell float64) (mass []float64, logZ float64) {
	if logw != nil {
		for i := range l {
			l[i] += logw[i]
		}
	}
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
	if logw != nil {
		return mass, lz
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
	if p == q || p.Label == q.Label {
		return lo, hi, fmt.Errorf("could not find a window holding the mass of %s", p.Label)
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

// A piece is an interval between two breakpoints of a 1-D window (the
// window's ends, the supports' finite bounds, a mixture's inner bounds),
// on which both densities are smooth. Its cells are the images of equal
// cells of u in (0, 1) under x = a + (b-a) phi(u),
//
//	phi(u) = u^m0 / (u^m0 + (1-u)^m1),
//
// which crowds them toward an end where a density grows without bound or
// vanishes like a fractional power |x-b|^s: the midpoint rule in u then
// sees u^(m(s+1)-1) there, smooth enough for an error of order m(s+1).
// m = 1 at both ends is the plain midpoint rule.
type piece struct {
	a, b   float64
	m0, m1 float64
	// s0, s1 are the lowest exponent of the densities at each end (for
	// the error of what float64 cannot resolve next to a bound); NaN when
	// not known, 0 at a window end that bounds no support.
	s0, s1 float64
	cells  int
}

// grading returns the power m for an end where a density behaves like
// |x-b|^s (NaN: not known): the midpoint rule in u then has an error of
// order m (s+1) >= 3 there, up to m = 24.
func grading(s float64) float64 {
	switch {
	case math.IsNaN(s):
		return 4
	case math.IsInf(s, 1) || s >= 0.5:
		return 2
	}
	return math.Min(24, math.Max(2, math.Ceil(3/(s+1))))
}

// endExponent returns the lowest exponent, among p and q, of a density
// whose support has bound x on the given side of a piece (lower: the
// piece starts at x), and whether x bounds either support there.
func endExponent(x float64, lowerEnd bool, p, q *Density) (s float64, isBound bool) {
	s = math.Inf(1)
	for _, d := range []*Density{p, q} {
		side, b := 1, d.Hi[0]
		if lowerEnd {
			side, b = 0, d.Lo[0]
		}
		inner := false
		for _, br := range d.Breaks {
			inner = inner || br == x
		}
		switch {
		case b == x:
			isBound = true
			if d.Tails[side].Kind == dist.TailBound {
				s = math.Min(s, d.Tails[side].Power)
			} else {
				s = math.NaN()
			}
		case inner:
			isBound = true
			s = math.NaN()
		}
		if math.IsNaN(s) {
			return s, true
		}
	}
	if !isBound {
		return 0, false
	}
	return s, true
}

// pieces splits the 1-D window [lo, hi] at every finite support bound,
// inner break and kink of p and q inside it, and at the given kinks and gives each piece a share of n
// cells (at least 16) in proportion to its length.
func pieces(lo, hi float64, n int, p, q *Density, kinks ...float64) []piece {
	cuts := []float64{lo, hi}
	for _, k := range kinks {
		if k > lo && k < hi {
			cuts = append(cuts, k)
		}
	}
	for _, d := range []*Density{p, q} {
		for _, b := range append(append([]float64{d.Lo[0], d.Hi[0]}, d.Breaks...), d.Kinks...) {
			if b > lo && b < hi {
				cuts = append(cuts, b)
			}
		}
	}
	sort.Float64s(cuts)
	var ps []piece
	for i := 0; i+1 < len(cuts); i++ {
		a, b := cuts[i], cuts[i+1]
		if !(b > a) {
			continue
		}
		pc := piece{a: a, b: b, m0: 1, m1: 1}
		if s, ok := endExponent(a, true, p, q); ok {
			pc.s0, pc.m0 = s, grading(s)
		}
		if s, ok := endExponent(b, false, p, q); ok {
			pc.s1, pc.m1 = s, grading(s)
		}
		pc.cells = max(16, int(math.Round(float64(n)*(b-a)/(hi-lo))))
		ps = append(ps, pc)
	}
	return ps
}

// phi returns phi(u) and 1 - phi(u) for the piece's powers, each to full
// relative precision.
func (pc *piece) phi(u float64) (f, c float64) {
	if pc.m0 == 1 && pc.m1 == 1 {
		return u, 1 - u
	}
	a, b := math.Pow(u, pc.m0), math.Pow(1-u, pc.m1)
	return a / (a + b), b / (a + b)
}

// newPieceGrid lays out the cells of the pieces, each with cells<<level
// cells, and lists the cells whose midpoint float64 cannot place as close
// to the piece's end as it is (it rounds to the end and is moved to the
// nearest float64 inside), with the exponent at that end.
func newPieceGrid(ps []piece, level int) (g *qgrid, clamped []int, exps []float64) {
	g = &qgrid{dim: 1, lo: [2]float64{ps[0].a}, hi: [2]float64{ps[len(ps)-1].b}}
	for _, pc := range ps {
		n := pc.cells << level
		h := 1 / float64(n)
		w := pc.b - pc.a
		f1, c1 := pc.phi(0)
		for i := 0; i < n; i++ {
			f0, c0 := f1, c1
			f1, c1 = pc.phi(float64(i+1) * h)
			um := (float64(i) + 0.5) * h
			fm, cm := pc.phi(um)
			var x, width float64
			if um < 0.5 {
				x, width = pc.a+w*fm, w*(f1-f0)
			} else {
				x, width = pc.b-w*cm, w*(c0-c1)
			}
			if !(width > 0) {
				continue // below float64's range: no mass to speak of
			}
			switch {
			case x <= pc.a || um < 0.5 && x == math.Nextafter(pc.a, pc.b) && w*fm < x-pc.a:
				x = math.Nextafter(pc.a, pc.b)
				clamped, exps = append(clamped, len(g.x)), append(exps, pc.s0)
			case x >= pc.b || um >= 0.5 && x == math.Nextafter(pc.b, pc.a) && w*cm < pc.b-x:
				x = math.Nextafter(pc.b, pc.a)
				clamped, exps = append(clamped, len(g.x)), append(exps, pc.s1)
			}
			g.x = append(g.x, x)
			g.logw = append(g.logw, math.Log(width))
		}
	}
	g.n = [2]int{len(g.x), 1}
	return g, clamped, exps
}

// gridValue computes D(P, Q) on g from the normalized grid masses. For a
// grid with clamped cells it also returns a bound on the error they make:
// near an end where a density behaves like t^s, a cell that float64
// places too far out sees the density there instead of its larger
// values closer in, which can miss up to 1/(s+1) times the cell's mass
// (10 times when s is not known); each such mass can move the value by
// at most (2 + |log P/Q|) times itself.
func gridValue(d Divergence, p, q *Density, g *qgrid, clamped []int, exps []float64) (v, unresolved float64, reason string, err error) {
	lp, lq := make([]float64, len(g.x)), make([]float64, len(g.x))
	if err := evalLog(p, g, lp); err != nil {
		return 0, 0, "", err
	}
	if err := evalLog(q, g, lq); err != nil {
		return 0, 0, "", err
	}
	mp, zp := normalize(lp, g.logw, g.cell)
	mq, zq := normalize(lq, g.logw, g.cell)
	if math.IsInf(zp, -1) {
		return 0, 0, "", fmt.Errorf("%s has no mass on the window", p.Label)
	}
	if math.IsInf(zq, -1) {
		return math.Inf(1), 0, "Q has no mass where P has", nil
	}
	v, err = d.Eval(mp, lp, mq, lq, nil)
	if err != nil {
		var se *SupportError
		if errors.As(err, &se) {
			return math.Inf(1), 0, pqReason(se.Reason) + " (at " + g.point(se.Index) + ")", nil
		}
		return 0, 0, "", err
	}
	for j, i := range clamped {
		k := 10.0
		if s := exps[j]; !math.IsNaN(s) {
			k = math.Max(1, 1/(s+1))
		}
		dl := 0.0
		if mp[i] > 0 && mq[i] > 0 {
			dl = math.Abs(lp[i] - lq[i])
		}
		unresolved += (mp[i] + mq[i]) * k * (2 + dl)
	}
	return v, unresolved, "", nil
}

// roundoff is the relative size, against max(1, |D|), below which two
// grids' difference is rounding: it is the smallest error a grid
// estimate states.
const roundoff = 1e-13

// Quadrature estimates D(P, Q) by the midpoint rule over a window holding
// both densities' mass. In 1-D the window is cut at every finite support
// bound of P and Q, each piece integrated on its own cells (crowded toward
// bounds where a density is singular); in 2-D it is one grid. The cells
// are doubled until three successive grids v1, v2, v3 show a difference
// |v3 - v2| within opts.Tolerance times max(1, |D|) that has shrunk at
// least 2^1.5 times from |v2 - v1| (an observed order of 1.5 or more: a
// first-order error, whose remainder equals the last difference, cannot
// pass). The estimate's Error is |v3 - v2|, which bounds the remaining
// error of any order above 1, plus what float64 cannot resolve next to a
// singular bound, and at least 1e-13 max(1, |D|).
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
	var ps []piece
	base := 64
	var kinks []float64
	if p.Dim == 1 {
		ps = pieces(lo[0], hi[0], 1024, p, q)
		if _, ok := d.(TV); ok {
			// |p - q| has a kink wherever the densities cross.
			kinks, err = crossings(p, q, ps)
			if err != nil {
				return nil, err
			}
			ps = pieces(lo[0], hi[0], 1024, p, q, kinks...)
		}
		base = 0
		for _, pc := range ps {
			base += pc.cells
		}
	}
	build := func(level int) (*qgrid, []int, []float64) {
		if p.Dim == 1 {
			return newPieceGrid(ps, level)
		}
		return newQGrid(2, lo, hi, base<<level), nil, nil
	}
	size := func(level int) int {
		if p.Dim == 1 {
			return base << level
		}
		return (base << level) * (base << level)
	}
	e := &Estimate{Method: MethodGrid, Tolerance: tol, Lo: lo, Hi: hi}
	var vals []float64
	for level := 0; ; level++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		g, clamped, exps := build(level)
		v, unresolved, reason, err := gridValue(d, p, q, g, clamped, exps)
		if err != nil {
			return nil, err
		}
		e.Value, e.Points = v, len(g.x)
		if math.IsInf(v, 1) {
			e.Reason, e.Converged, e.Error = reason, true, 0
			return e, nil
		}
		vals = append(vals, v)
		scale := math.Max(1, math.Abs(v))
		if k := len(vals); k >= 2 {
			d2 := math.Abs(vals[k-1] - vals[k-2])
			e.Error = math.Max(d2, roundoff*scale) + unresolved
			if k >= 3 && e.Error <= tol*scale {
				d1 := vals[k-2] - vals[k-3]
				s2 := vals[k-1] - vals[k-2]
				floor := roundoff * scale
				ordered := math.Abs(d1) >= math.Pow(2, 1.5)*math.Abs(s2) && (math.Abs(s2) <= floor || d1*s2 > 0)
				if ordered || math.Abs(d1) <= floor && math.Abs(s2) <= floor {
					e.Converged = true
					return e, widerCheck(d, p, q, e, tol, level, kinks)
				}
			}
		}
		if size(level+1) > maxPts {
			if len(vals) >= 3 {
				e.Note = orderNote(vals)
			}
			return e, nil
		}
	}
}

// crossings returns the points where the densities p and q cross, found
// as sign changes of log p - log q between the nodes of the pieces'
// grid with 4 times their cells, each narrowed by bisection to float64's
// resolution.
func crossings(p, q *Density, ps []piece) ([]float64, error) {
	g, _, _ := newPieceGrid(ps, 2)
	lp, lq := make([]float64, len(g.x)), make([]float64, len(g.x))
	if err := evalLog(p, g, lp); err != nil {
		return nil, err
	}
	if err := evalLog(q, g, lq); err != nil {
		return nil, err
	}
	diff := func(x float64) (float64, error) {
		var a, b [1]float64
		if err := p.LogDensity(a[:], []float64{x}, nil); err != nil {
			return 0, err
		}
		if err := q.LogDensity(b[:], []float64{x}, nil); err != nil {
			return 0, err
		}
		return a[0] - b[0], nil
	}
	var out []float64
	for i := 0; i+1 < len(g.x); i++ {
		d0, d1 := lp[i]-lq[i], lp[i+1]-lq[i+1]
		if math.IsNaN(d0) || math.IsNaN(d1) || !(d0 < 0 && d1 > 0 || d0 > 0 && d1 < 0) {
			continue
		}
		a, b := g.x[i], g.x[i+1]
		for it := 0; it < 200; it++ {
			m := a + (b-a)/2
			if m <= a || m >= b {
				break
			}
			dm, err := diff(m)
			if err != nil {
				return nil, err
			}
			if dm < 0 == (d0 < 0) {
				a = m
			} else {
				b = m
			}
		}
		out = append(out, a+(b-a)/2)
	}
	return out, nil
}

// orderNote describes the last three grids of a refinement that did not
// converge.
func orderNote(v []float64) string {
	k := len(v)
	d1, d2 := v[k-2]-v[k-3], v[k-1]-v[k-2]
	if d2 == 0 || d1/d2 <= 0 {
		return fmt.Sprintf("the last three grids give %.10g, %.10g, %.10g: no steady convergence", v[k-3], v[k-2], v[k-1])
	}
	return fmt.Sprintf("the last three grids give %.10g, %.10g, %.10g: observed order %.2g, the error may exceed their difference", v[k-3], v[k-2], v[k-1], math.Log2(d1/d2))
}

// widerCheck recomputes the value on a window twice as wide on every
// side where the supports go on, with cells of about the same size: when
// the value moves by more than the tolerance and the grids' error, the
// integral depends on the tails the window cuts off (it may diverge), and
// the estimate is marked as not converged.
func widerCheck(d Divergence, p, q *Density, e *Estimate, tol float64, level int, kinks []float64) error {
	if p.Dim != 1 {
		return nil
	}
	lo, hi := e.Lo, e.Hi
	w := hi[0] - lo[0]
	slo, shi := math.Min(p.Lo[0], q.Lo[0]), math.Max(p.Hi[0], q.Hi[0])
	grown := false
	if lo[0] > slo {
		lo[0], grown = math.Max(lo[0]-w/2, slo), true
	}
	if hi[0] < shi {
		hi[0], grown = math.Min(hi[0]+w/2, shi), true
	}
	if !grown || level > 12 {
		return nil
	}
	ps := pieces(lo[0], hi[0], int(1024*(hi[0]-lo[0])/w), p, q, kinks...)
	g, clamped, exps := newPieceGrid(ps, level)
	v, _, _, err := gridValue(d, p, q, g, clamped, exps)
	if err != nil {
		return err
	}
	if diff := math.Abs(v - e.Value); diff > tol*math.Max(1, math.Abs(e.Value))+2*e.Error {
		e.Converged = false
		e.Error = math.Max(e.Error, diff)
		e.Note = fmt.Sprintf("the value changes by %.3g on a window twice as wide (%.6g): the integral depends on the tails, and may diverge", diff, v)
	}
	return nil
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
	e := &Estimate{Method: MethodMC, Samples: n, Converged: true, ParetoK: math.Inf(-1)}
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
	// Rényi's terms are exp((1 - alpha)(log q - log p)), which underflow
	// together far from the mode (a divergence of 2500 is a mean of
	// exp(-1250)s): its f gives their logs, and mcMean scales them by the
	// largest before it takes the mean (shift is that log).
	var logTerms bool
	var shift float64
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
		logTerms = true
		fromP = func(lp, lq float64) float64 { return (1 - a) * (lq - lp) }
		finish = func(s, se float64) (float64, float64) {
			return (math.Log(s) + shift) / (a - 1), se / (s * math.Abs(a-1))
		}
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
	var mean, se float64
	for side, f := range []func(lp, lq float64) float64{fromP, fromQ} {
		if f == nil {
			continue
		}
		src := mp
		if side == 1 {
			src = mq
		}
		m, sd, k, bad, overflow, sh, err := mcMean(ctx, rng, src, mp, mq, f, n, logTerms)
		shift = sh
		if err != nil {
			return nil, err
		}
		if !(k <= e.ParetoK) {
			e.ParetoK = k
		}
		if bad != "" {
			// Infinite, or a term float64 cannot hold (then not known).
			e.Value, e.Reason, e.Converged = math.Inf(1), bad, !overflow
			e.ParetoK = math.NaN() // no tail to judge
			return e, nil
		}
		if _, isAlpha := d.(Alpha); isAlpha && side == 1 {
			continue // the support check only
		}
		mean += m
		se = math.Hypot(se, sd/math.Sqrt(float64(n)))
	}
	e.Value, e.Error = finish(mean, se)
	if math.IsInf(e.Value, 1) {
		e.Reason = "P has mass where Q has none"
		return e, nil
	}
	if math.IsNaN(e.Error) && !math.IsNaN(e.Value) {
		e.Converged = false
		e.Note = "one draw: the standard error is unknown"
		return e, nil
	}
	if math.IsInf(e.Error, 0) {
		e.Converged = false
		e.Note = "the standard error is above the largest float64 (1.8e308): the error is not known"
		return e, nil
	}
	switch d.(type) {
	case JS, Hellinger, TV:
		// Their terms have a finite variance whatever P and Q: JS's
		// (log 2 - log(1 + q/p))/2 and Hellinger's 1 - sqrt(q/p) have
		// second moments at most E_P[q/p] + 1 <= 2, TV's lie in [0, 1]. A
		// tail fit would only misread the pile-up of terms at their cap.
		e.ParetoK = math.NaN()
		return e, nil
	}
	judgeTail(e)
	return e, nil
}

// judgeTail marks a Monte Carlo estimate as not converged when the Pareto
// k̂ of its terms says their variance is likely infinite (k̂ > 0.5: the
// standard error then bounds nothing) or that the mean itself cannot be
// trusted (k̂ above psis.SampleThreshold for the number of draws), or
// when k̂ could not be estimated.
func judgeTail(e *Estimate) {
	k, thr := e.ParetoK, psis.SampleThreshold(e.Samples)
	switch {
	case math.IsNaN(k):
		e.Converged = false
		e.Note = "the Pareto k̂ of the draws' terms could not be estimated (too few draws): the standard error is not checked"
	case k > thr:
		e.Converged = false
		e.Note = fmt.Sprintf("Pareto k̂ = %s for the draws' terms: their tail is so heavy that the estimate cannot be trusted (the divergence may be infinite)", psis.Above(k, thr))
	case k > 0.5:
		e.Converged = false
		e.Note = fmt.Sprintf("Pareto k̂ = %s for the draws' terms: their variance is likely infinite, so the standard error does not bound the error", psis.Above(k, 0.5))
	}
}

// mcDensity is a density ready for Monte Carlo: a normalized log-density
// and a sampler.
type mcDensity struct {
	d      *Density
	logZ   float64
	sample func(rng *rand.Rand, x, y []float64)
}

// positive reports whether the density is known to be positive at (x, y).
func (m *mcDensity) positive(x, y float64) bool {
	return m.d.positive != nil && m.d.positive(x, y)
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
	mass, logZ := normalize(l, nil, g.cell)
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

// mcMean draws n points from src and returns the mean and standard
// deviation of f(log p, log q) over them, or the reason the divergence is
// infinite or not computable. It also returns the Pareto k̂ of the terms'
// heavier tail (see psis.TailsK).
func mcMean(ctx context.Context, rng *rand.Rand, src, p, q *mcDensity, f func(lp, lq float64) float64, n int, logTerms bool) (mean, sd, k float64, bad string, overflow bool, shift float64, err error) {
	const batch = 4096
	x := make([]float64, batch)
	var y []float64
	if src.d.Dim == 2 {
		y = make([]float64, batch)
	}
	lp, lq := make([]float64, batch), make([]float64, batch)
	terms := make([]float64, 0, n)
	for done := 0; done < n; done += batch {
		if err := ctx.Err(); err != nil {
			return 0, 0, 0, "", false, 0, err
		}
		b := min(batch, n-done)
		xb := x[:b]
		var yb []float64
		if y != nil {
			yb = y[:b]
		}
		src.sample(rng, xb, yb)
		if err := p.log(lp[:b], xb, yb); err != nil {
			return 0, 0, 0, "", false, 0, err
		}
		if err := q.log(lq[:b], xb, yb); err != nil {
			return 0, 0, 0, "", false, 0, err
		}
		for i := 0; i < b; i++ {
			var yi float64
			if yb != nil {
				yi = yb[i]
			}
			v := f(lp[i], lq[i])
			if !math.IsInf(v, 0) && !math.IsNaN(v) || logTerms && math.IsInf(v, -1) { // a log term of -Inf is a term of 0
				terms = append(terms, v)
				continue
			}
			at := fmt.Sprintf("x=%.6g", xb[i])
			if yb != nil {
				at = fmt.Sprintf("(x, y)=(%.6g, %.6g)", xb[i], yi)
			}
			switch {
			case math.IsInf(lq[i], -1) && q.positive(xb[i], yi), math.IsInf(lp[i], -1) && p.positive(xb[i], yi):
				// The log-density is -Inf inside its own support: it is
				// below -1.8e308, not -Inf.
				who := "q"
				if !(math.IsInf(lq[i], -1) && q.positive(xb[i], yi)) {
					who = "p"
				}
				return math.Inf(1), 0, 0, fmt.Sprintf("a term of the divergence is finite but above the largest float64 (1.8e308): log %s at %s, inside %s's support, is below -1.8e308", who, at, strings.ToUpper(who)), true, 0, nil
			case src == p && math.IsInf(lq[i], -1) && !math.IsInf(lp[i], -1):
				return math.Inf(1), 0, 0, fmt.Sprintf("P has mass where Q has none (a draw of P at %s)", at), false, 0, nil
			case src == q && math.IsInf(lp[i], -1) && !math.IsInf(lq[i], -1):
				return math.Inf(1), 0, 0, fmt.Sprintf("Q has mass where P has none (a draw of Q at %s)", at), false, 0, nil
			}
			return math.Inf(1), 0, 0, fmt.Sprintf("a term of the divergence is not a finite float64 (%v, from log p = %.6g and log q = %.6g at %s): the divergence is not known", v, lp[i], lq[i], at), true, 0, nil
		}
	}
	if logTerms && len(terms) > 0 {
		shift = slices.Max(terms)
		if math.IsInf(shift, -1) {
			shift = 0 // every term is 0
		}
		for i, t := range terms {
			terms[i] = math.Exp(t - shift)
		}
	}
	// Two passes over the terms: their mean, then the squared deviations
	// from it, scaled by the largest (the sum of squares overflows for
	// terms above 1e154, though the standard error does not).
	for _, v := range terms {
		mean += v
	}
	mean /= float64(len(terms))
	if math.IsInf(mean, 0) { // the sum overflowed: a running mean does not
		mean = 0
		for i, v := range terms {
			mean += (v - mean) / float64(i+1)
		}
	}
	sd = math.NaN() // one draw tells nothing of the spread
	if len(terms) > 1 {
		var scale, ss float64
		for _, v := range terms {
			scale = math.Max(scale, math.Abs(v-mean))
		}
		if scale > 0 {
			for _, v := range terms {
				d := (v - mean) / scale
				ss += d * d
			}
		}
		sd = scale * math.Sqrt(ss/float64(len(terms)-1))
	}
	return mean, sd, psis.TailsK(terms), "", false, shift, nil
}
