package spec

import (
	"context"
	"fmt"
	"math"
	"strconv"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/divergence"
	"github.com/klfit/klfit/target"
)

// Automatic grids: the sizes AutoGrid aims for.
const (
	// AutoCells is the number of cells of an automatic 1-D grid, before
	// its step is rounded to 1, 2 or 5 times a power of ten.
	AutoCells = 1000
	// AutoFormulaCells is the number for a formula, which may have kinks
	// (exp(-abs(x))) that a grid resolves only to second order in its step.
	AutoFormulaCells = 20000
	// AutoCircularPoints is the number of points of an automatic circular
	// grid: one a degree.
	AutoCircularPoints = 360
	// autoScan is the number of points a formula is scanned at to find
	// where its mass lies.
	autoScan = 100001
)

// AutoGrid chooses the grid of a spec that gives none, from its target:
//
//   - a circular target (von Mises, a mixture of them): a circular grid of
//     AutoCircularPoints points;
//   - binned counts: the bins' range;
//   - a postgres query: its samples' range, from one more scan in the
//     database;
//   - a family, a mixture or a table: the range holding all but autoTail
//     of its mass at each end, with a margin of half its width on each side
//     (within the window that holds the target's mass), in about AutoCells
//     cells and at least autoCellsPerIQR across the interquartile range of
//     the target and of each mixture component (the narrowest feature
//     resolved), at most autoMaxPoints points;
//   - a formula: the same, on the range holding all but autoFormulaTail of
//     its mass at each end, in AutoFormulaCells cells (a kink such as
//     exp(-abs(x)) is resolved only to second order in the step);
//   - a support bound in the range (an exponential's 0) is kept half a
//     step outside the grid, where the density is finite.
//
// Steps are 1, 2 or 5 times a power of ten and the ends multiples of the
// step, so a printed spec reads -27.7 rather than -27.700000000000003.
// Samples and DuckDB queries have no known range before they are read:
// they need a grid.
func AutoGrid(ctx context.Context, t target.Target) (Grid, error) {
	if isCircular(t) {
		return Grid{Circular: true, Points: AutoCircularPoints}, nil
	}
	if q, ok := t.(*target.Postgres); ok {
		// One more scan, returning one row: the samples' range.
		r, err := q.Range(ctx)
		if err != nil {
			return Grid{}, err
		}
		lo, hi := r.Min, r.Max
		if hi-lo < 1e-9*max(math.Abs(lo), 1) { // a single value
			lo, hi = lo-0.5, hi+0.5
		}
		return roundGrid(lo, hi, AutoCells), nil
	}
	if h, ok := t.(*target.Histogram); ok {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, b := range h.Bins {
			lo, hi = math.Min(lo, b.Lo), math.Max(hi, b.Hi)
		}
		return roundGrid(lo, hi, AutoCells), nil
	}
	d, err := divergence.FromTarget(t)
	if err != nil {
		return Grid{}, fmt.Errorf("none given, and %s has no known range before it is read: give one", t)
	}
	lo, hi, err := divergence.Window(d)
	if err != nil {
		return Grid{}, fmt.Errorf("none given, and %w: give one", err)
	}
	if d.Dim == 2 {
		x, y := roundGrid(lo[0], hi[0], 200), roundGrid(lo[1], hi[1], 200)
		return Grid{X: &Axis{x.Start, x.Stop, x.Step}, Y: &Axis{y.Start, y.Stop, y.Step}}, nil
	}
	// A formula's grid is cut to where its mass lies; a family's keeps a
	// margin around it, so that a model unlike the target pays for what
	// it puts there.
	cells := AutoCells
	var a, b float64
	if _, ok := t.(*target.Expression); ok {
		cells = AutoFormulaCells
		if a, b, _, err = scanMass(d, lo[0], hi[0], autoFormulaTail); err != nil {
			return Grid{}, err
		}
	} else {
		if a, b, _, err = scanMass(d, lo[0], hi[0], autoTail); err != nil {
			return Grid{}, err
		}
		w := b - a
		a, b = math.Max(a-w/2, lo[0]), math.Min(b+w/2, hi[0])
	}
	iqr, err := narrowest(t, d, a, b)
	if err != nil {
		return Grid{}, err
	}
	step := niceStep((b - a) / float64(cells))
	if iqr > 0 {
		step = math.Min(step, niceStepDown(iqr/autoCellsPerIQR))
	}
	step = math.Max(step, niceStep((b-a)/autoMaxPoints))
	// A support bound in the range: the grid starts (or stops) half a
	// step inside it, where the density is finite.
	start := roundTo(math.Floor(a/step+1e-9)*step, step)
	if l := d.Lo[0]; !math.IsInf(l, 0) && a <= l+step {
		start = roundTo(l+step/2, step/2)
	}
	if h := d.Hi[0]; !math.IsInf(h, 0) && b >= h-step {
		b = h - step/2
	}
	n := math.Floor((b-start)/step + 1e-9)
	return Grid{Start: start, Stop: roundTo(start+n*step+step/2, step/2), Step: step}, nil
}

// narrowest returns the narrowest interquartile range of t's density d on
// [a, b] and, for a mixture, of each of its components: the width of its
// narrowest feature.
func narrowest(t target.Target, d *divergence.Density, a, b float64) (float64, error) {
	iqr, err := quartileWidth(d, a, b)
	if err != nil {
		return 0, err
	}
	if m, ok := t.(*target.Mixture); ok {
		for _, c := range m.Components {
			cd, err := divergence.FromTarget(c.Family)
			if err != nil {
				continue
			}
			if w, err := quartileWidth(cd, a, b); err == nil && w > 0 {
				iqr = math.Min(iqr, w)
			}
		}
	}
	return iqr, nil
}

// quartileWidth returns the interquartile range of d on [a, b], from finer
// scans of the middle (a heavy tail makes a scan of the whole range
// coarse).
func quartileWidth(d *divergence.Density, a, b float64) (float64, error) {
	ma, mb, _, err := scanMass(d, a, b, 1e-3)
	if err != nil {
		return 0, err
	}
	_, _, iqr, err := scanMass(d, ma, mb, 0.25)
	return iqr, err
}

// More automatic grid sizes.
const (
	// autoTail is the mass of a family's density beyond which an
	// automatic grid adds a margin of half that range on each side (so
	// that a model unlike the target pays for what it puts there), within
	// the window that holds the target's mass.
	autoTail = 1e-9
	// autoFormulaTail is the mass a formula's grid leaves out at each
	// end, with no margin.
	autoFormulaTail = 1e-12
	// autoCellsPerIQR is the fewest cells an automatic grid puts across
	// the target's interquartile range: the narrowest feature it
	// resolves.
	autoCellsPerIQR = 50
	// autoMaxPoints bounds an automatic grid's points (a heavy tail
	// would ask for more).
	autoMaxPoints = 100000
)

// scanMass evaluates d at autoScan points of [lo, hi] and returns the
// range holding all but tail of its mass at each end (widened by one scan
// step), and the width between the two quantiles themselves (the
// interquartile range when tail is 0.25).
func scanMass(d *divergence.Density, lo, hi, tail float64) (a, b, width float64, err error) {
	xs := make([]float64, autoScan)
	h := (hi - lo) / float64(autoScan-1)
	for i := range xs {
		xs[i] = lo + float64(i)*h
	}
	ld := make([]float64, autoScan)
	if err := d.LogDensity(ld, xs, nil); err != nil {
		return 0, 0, 0, fmt.Errorf("none given, and %s fails on [%v, %v]: %w: give one", d.Label, lo, hi, err)
	}
	m := math.Inf(-1)
	for _, v := range ld {
		if !math.IsNaN(v) && !math.IsInf(v, 1) {
			m = math.Max(m, v)
		}
	}
	if math.IsInf(m, -1) {
		return 0, 0, 0, fmt.Errorf("none given, and %s has no mass where it was looked for: give one", d.Label)
	}
	var total float64
	ps := make([]float64, autoScan)
	for i, v := range ld {
		if p := math.Exp(v - m); p > 0 && !math.IsInf(p, 0) {
			ps[i] = p
			total += p
		}
	}
	first, last := 0, autoScan-1
	for c := 0.0; first < autoScan-1; first++ {
		if c += ps[first]; c > tail*total {
			break
		}
	}
	for c := 0.0; last > 0; last-- {
		if c += ps[last]; c > tail*total {
			break
		}
	}
	if last < first {
		first, last = last, first
	}
	return xs[max(first-1, 0)], xs[min(last+1, autoScan-1)], xs[last] - xs[first], nil
}

// isCircular reports whether t is a density of angles.
func isCircular(t target.Target) bool {
	switch tt := t.(type) {
	case target.Family:
		return dist.IsCircular(tt.Family)
	case *target.Mixture:
		for _, c := range tt.Components {
			if dist.IsCircular(c.Family.Family) {
				return true
			}
		}
	}
	return false
}

// roundGrid returns a grid over [lo, hi] of about cells cells with a round
// step.
func roundGrid(lo, hi float64, cells int) Grid {
	step := niceStep((hi - lo) / float64(cells))
	start := roundTo(math.Floor(lo/step)*step, step)
	stop := roundTo(math.Ceil(hi/step)*step+step/2, step/2)
	return Grid{Start: start, Stop: stop, Step: step}
}

// roundTo returns x written with as many decimals as step has.
func roundTo(x, step float64) float64 {
	decimals := max(0, int(math.Ceil(-math.Log10(step)-1e-9)))
	v, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'f', decimals, 64), 64)
	return v
}

// niceStepDown rounds v down to 1, 2 or 5 times a power of ten.
func niceStepDown(v float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{5, 2, 1} {
		if m*p <= v*(1+1e-12) {
			return m * p
		}
	}
	return p
}

// niceStep rounds v up to 1, 2 or 5 times a power of ten.
func niceStep(v float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v*(1-1e-12) {
			return m * p
		}
	}
	return 10 * p
}
