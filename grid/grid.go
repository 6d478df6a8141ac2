// Package grid builds the point sets a fit is evaluated on: uniform 1-D
// grids that follow NumPy's arange rule exactly, and 2-D product grids.
//
// Every grid is uniform, so each point carries the same quadrature weight
// (the step in 1-D, dx*dy in 2-D). A model's masses on a grid are normalized
// by their sum, so the weight cancels from the model; it matters when a
// target is turned into a probability vector and when grid masses are
// turned back into densities.
package grid

import (
	"fmt"
	"math"
)

// MaxPoints is the largest number of points a grid may have. A grid of
// float64 coordinates plus the few buffers a fit needs costs about 60 bytes a
// point, so this keeps a fit under about 3 GB.
const MaxPoints = 50_000_000

// Axis is a uniform sequence of points built like NumPy's
// arange(Start, Stop, Step): N = ceil((Stop-Start)/Step) points
// x_i = Start + i*Delta, where Delta = (Start+Step) - Start is computed in
// float64 (NumPy fills the array this way; for -10:10:0.1 Delta is
// 0.09999999999999964, not 0.1).
type Axis struct {
	Start, Stop, Step float64
	// N is the number of points.
	N int
	// Delta is the spacing actually used between points.
	Delta float64
	// Circular axes are angles: N points evenly spaced on the circle
	// [-pi, pi), the last one a step away from the first (see Circle).
	Circular bool
}

// Arange returns the axis NumPy's arange(start, stop, step) produces.
// It returns an error when a bound is not finite, step <= 0, stop <= start,
// or the axis would have more than MaxPoints points.
func Arange(start, stop, step float64) (Axis, error) {
	for _, v := range []struct {
		name string
		v    float64
	}{{"start", start}, {"stop", stop}, {"step", step}} {
		if math.IsNaN(v.v) || math.IsInf(v.v, 0) {
			return Axis{}, &Error{Key: v.name, Msg: fmt.Sprintf("must be a finite number, got %v", v.v)}
		}
	}
	if step <= 0 {
		return Axis{}, &Error{Key: "step", Msg: fmt.Sprintf("must be > 0, got %v", step)}
	}
	if stop <= start {
		return Axis{}, &Error{Key: "stop", Msg: fmt.Sprintf("must be greater than start (%v), got %v", start, stop)}
	}
	n := math.Ceil((stop - start) / step)
	if n > MaxPoints {
		return Axis{}, &Error{Key: "step", Msg: fmt.Sprintf("the grid would have %.4g points, more than the limit of %d", n, MaxPoints)}
	}
	delta := (start + step) - start
	if delta <= 0 {
		return Axis{}, &Error{Key: "step", Msg: fmt.Sprintf("step %v is too small to move from start %v in float64", step, start)}
	}
	return Axis{Start: start, Stop: stop, Step: step, N: int(n), Delta: delta}, nil
}

// At returns the i-th point of the axis.
func (a Axis) At(i int) float64 { return a.Start + float64(i)*a.Delta }

// Points returns the axis's points in a new slice.
func (a Axis) Points() []float64 {
	x := make([]float64, a.N)
	for i := range x {
		x[i] = a.At(i)
	}
	return x
}

// Error is a problem with a grid's definition, naming the offending key.
type Error struct {
	Key string
	Msg string
}

// Error implements error.
func (e *Error) Error() string { return e.Key + ": " + e.Msg }

// Grid is a set of evaluation points with a common quadrature weight.
// X holds the first coordinate of every point; Y the second (nil in 1-D).
// In 2-D the points are stored row by row: point i*NX+j is (x_j, y_i).
type Grid struct {
	// Axes holds one axis in 1-D, the x and y axes in 2-D.
	Axes []Axis
	// X and Y are the coordinates of the points.
	X, Y []float64
	// Weight is the cell volume of every point: Delta in 1-D,
	// DeltaX*DeltaY in 2-D.
	Weight float64
}

// New1D returns the 1-D grid of the axis's points.
func New1D(a Axis) *Grid {
	return &Grid{Axes: []Axis{a}, X: a.Points(), Weight: a.Delta}
}

// New2D returns the product grid of ax and ay. It returns an error when the
// grid would have more than MaxPoints points.
func New2D(ax, ay Axis) (*Grid, error) {
	if float64(ax.N)*float64(ay.N) > MaxPoints {
		return nil, &Error{Key: "y", Msg: fmt.Sprintf("the grid would have %d x %d points, more than the limit of %d", ax.N, ay.N, MaxPoints)}
	}
	n := ax.N * ay.N
	g := &Grid{Axes: []Axis{ax, ay}, X: make([]float64, n), Y: make([]float64, n), Weight: ax.Delta * ay.Delta}
	xs := ax.Points()
	for i := 0; i < ay.N; i++ {
		y := ay.At(i)
		copy(g.X[i*ax.N:(i+1)*ax.N], xs)
		for j := 0; j < ax.N; j++ {
			g.Y[i*ax.N+j] = y
		}
	}
	return g, nil
}

// Len returns the number of points.
func (g *Grid) Len() int { return len(g.X) }

// Dim returns the dimension of the grid: 1 or 2.
func (g *Grid) Dim() int { return len(g.Axes) }
