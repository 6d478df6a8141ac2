// Package target describes what a fit pulls its model onto: a density known
// on a grid. It turns a target into the mass vector P the divergences use.
package target

import (
	"context"
	"fmt"
	"math"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/grid"
)

// Target is a density, possibly unnormalized, that can be evaluated on a
// grid.
type Target interface {
	// Dim is the dimension of the points: 1 or 2.
	Dim() int
	// Density fills dst[i] with the target's density at point i of g.
	// Values must be finite and >= 0; implementations return an error
	// naming the point otherwise.
	Density(dst []float64, g *grid.Grid) error
	// String describes the target in the one-line syntax, e.g.
	// "normal(mean=0, variance=7)".
	String() string
}

// Family is a member of a parametric family used as a target.
type Family struct {
	Family dist.Family
	Theta  []float64
}

// Dim returns the family's dimension.
func (t Family) Dim() int { return t.Family.Dim() }

// Density evaluates the family's density on g.
func (t Family) Density(dst []float64, g *grid.Grid) error {
	return t.DensityContext(context.Background(), dst, g)
}

// DensityContext is Density, in blocks of densityBlock points, stopping
// with ctx's error between two when ctx has ended: 10^7 points take
// seconds.
func (t Family) DensityContext(ctx context.Context, dst []float64, g *grid.Grid) error {
	return inBlocks(ctx, dst, g, func(dst, x, y []float64) error {
		t.Family.Eval(t.Theta, x, y, dst, nil)
		for i, l := range dst {
			dst[i] = math.Exp(l)
		}
		return nil
	})
}

// densityBlock is the points a pointwise target evaluates between two
// looks at its context: a few milliseconds' work.
const densityBlock = 1 << 16

// inBlocks runs eval on g's points (and dst) a block of densityBlock at a
// time, returning ctx's error, wrapped, once ctx has ended.
func inBlocks(ctx context.Context, dst []float64, g *grid.Grid, eval func(dst, x, y []float64) error) error {
	for lo := 0; lo < len(g.X); lo += densityBlock {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("evaluating the target: %w", err)
		}
		hi := min(lo+densityBlock, len(g.X))
		var y []float64
		if g.Y != nil {
			y = g.Y[lo:hi]
		}
		if err := eval(dst[lo:hi], g.X[lo:hi], y); err != nil {
			return err
		}
	}
	return nil
}

// String returns e.g. "normal(mean=0, variance=7)".
func (t Family) String() string {
	s := t.Family.Name() + "("
	for i, p := range t.Family.Params() {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s=%v", p.Name, t.Theta[i])
	}
	return s + ")"
}

// Weights says how a target's density values become the masses P a
// divergence compares with the model.
type Weights int

const (
	// Normalized masses are density values times the grid weight, divided
	// by their sum: P is a probability vector and a KL is a true KL.
	Normalized Weights = iota
	// Density masses are the raw density values, as in the notebook; the
	// forward KL objective is then c KL + c log c with c = sum of values.
	Density
)

// String returns "normalized" or "density".
func (w Weights) String() string {
	if w == Density {
		return "density"
	}
	return "normalized"
}

// ParseWeights parses "normalized" or "density".
func ParseWeights(s string) (Weights, error) {
	switch s {
	case "normalized":
		return Normalized, nil
	case "density":
		return Density, nil
	}
	return 0, fmt.Errorf("unknown target weights %q (known: normalized, density)", s)
}

// ContextDensity is implemented by targets whose evaluation can take long
// (a formula on a large grid, a file of samples, a query): MassesContext
// calls it so that a build stops promptly when its context ends.
type ContextDensity interface {
	// DensityContext is Density, returning an error wrapping ctx.Err()
	// soon after ctx ends.
	DensityContext(ctx context.Context, dst []float64, g *grid.Grid) error
}

// Masses evaluates t on g and returns the mass vector P under weights w.
// It returns an error naming the point when a density value is negative or
// not finite, and when the density is zero on the whole grid.
func Masses(t Target, g *grid.Grid, w Weights) ([]float64, error) {
	return MassesContext(context.Background(), t, g, w)
}

// MassesContext is Masses, stopping with an error wrapping ctx.Err() when
// ctx ends (through ContextDensity where t implements it).
func MassesContext(ctx context.Context, t Target, g *grid.Grid, w Weights) ([]float64, error) {
	if t.Dim() != g.Dim() {
		return nil, fmt.Errorf("target is %d-D but the grid is %d-D", t.Dim(), g.Dim())
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p := make([]float64, g.Len())
	var err error
	if c, ok := t.(ContextDensity); ok {
		err = c.DensityContext(ctx, p, g)
	} else {
		err = t.Density(p, g)
	}
	if err != nil {
		return nil, err
	}
	var sum float64
	for i, v := range p {
		if !(v >= 0) || math.IsInf(v, 1) {
			return nil, fmt.Errorf("target density is %v at %s: it must be finite and >= 0", v, PointString(g, i))
		}
		sum += v
	}
	if sum == 0 {
		return nil, fmt.Errorf("target density is zero at every grid point")
	}
	if math.IsInf(sum, 1) {
		return nil, fmt.Errorf("target density sums to +Inf on the grid")
	}
	if w == Normalized {
		for i := range p {
			p[i] /= sum
		}
	}
	return p, nil
}

// PointString names grid point i for messages: "x=1.5" or "x=1.5, y=-2".
func PointString(g *grid.Grid, i int) string {
	if g.Y == nil {
		return fmt.Sprintf("x=%v", g.X[i])
	}
	return fmt.Sprintf("x=%v, y=%v", g.X[i], g.Y[i])
}
