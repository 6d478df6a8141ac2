package spec

import (
	"context"
	"errors"
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
	// autoTail is the mass an automatic grid may leave out of a formula,
	// at each end.
	autoTail = 1e-12
)

// AutoGrid chooses the grid of a spec that gives none, from its target:
//
//   - a circular target (von Mises, a mixture of them): a circular grid of
//     AutoCircularPoints points;
//   - binned counts: the bins' range;
//   - a postgres query: its samples' range, from one more scan in the
//     database;
//   - a formula: the range holding all but autoTail of its mass at each end,
//     found by scanning the window that holds its mass, in AutoFormulaCells
//     cells;
//   - a family, a mixture or a table: the window holding the target's mass
//     (12 scales around its centre, or its support), in about AutoCells
//     cells.
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
		return Grid{}, fmt.Errorf("none given, and %s has no known range: give one (grid: {start, stop, step})", t)
	}
	lo, hi, err := divergence.Window(d)
	if err != nil {
		return Grid{}, fmt.Errorf("none given, and %w: give one (grid: {start, stop, step})", err)
	}
	if d.Dim == 2 {
		x, y := roundGrid(lo[0], hi[0], 200), roundGrid(lo[1], hi[1], 200)
		return Grid{X: &Axis{x.Start, x.Stop, x.Step}, Y: &Axis{y.Start, y.Stop, y.Step}}, nil
	}
	if e, ok := t.(*target.Expression); ok {
		a, b, err := massRange(e, lo[0], hi[0])
		if err != nil {
			return Grid{}, err
		}
		return roundGrid(a, b, AutoFormulaCells), nil
	}
	return roundGrid(lo[0], hi[0], AutoCells), nil
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

// massRange scans a formula on [lo, hi] and returns the range holding all
// but autoTail of its mass at each end, widened by one scan step.
func massRange(e *target.Expression, lo, hi float64) (float64, float64, error) {
	xs := make([]float64, autoScan)
	h := (hi - lo) / float64(autoScan-1)
	for i := range xs {
		xs[i] = lo + float64(i)*h
	}
	ds := make([]float64, autoScan)
	if err := e.DensityAt(ds, xs, nil); err != nil {
		return 0, 0, fmt.Errorf("none given, and the formula fails on [%v, %v]: %w", lo, hi, err)
	}
	var total float64
	for _, v := range ds {
		if v > 0 && !math.IsInf(v, 0) {
			total += v
		}
	}
	if !(total > 0) {
		return 0, 0, errors.New("none given, and the formula has no mass where it was looked for: give one (grid: {start, stop, step})")
	}
	first, last := 0, autoScan-1
	for c := 0.0; first < autoScan; first++ {
		if c += max(ds[first], 0); c > autoTail*total {
			break
		}
	}
	for c := 0.0; last > 0; last-- {
		if c += max(ds[last], 0); c > autoTail*total {
			break
		}
	}
	return xs[max(first-1, 0)], xs[min(last+1, autoScan-1)], nil
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
