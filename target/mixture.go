package target

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/klfit/klfit/grid"
)

// WeightTolerance is how far from 1 the weights of a mixture may sum.
const WeightTolerance = 1e-9

// Mixture is a finite mixture of family members, sum_k w_k q_k(x), used as
// a target. Its components may come from different families of the same
// dimension. Build one with NewMixture, which checks the weights.
type Mixture struct {
	Components []Component
}

// Component is one weighted member of a Mixture.
type Component struct {
	Weight float64
	Family
}

// WeightError is a mixture weight that is not usable, or weights that do
// not sum to 1. Index is the offending component, or -1 for the sum.
type WeightError struct {
	Index int
	Msg   string
}

// Error implements error.
func (e *WeightError) Error() string { return e.Msg }

// NewMixture returns the mixture of the given components after checking
// that every weight is finite and >= 0, that they sum to 1 within
// WeightTolerance, and that the components share a dimension.
func NewMixture(cs []Component) (*Mixture, error) {
	if len(cs) == 0 {
		return nil, &WeightError{Index: -1, Msg: "a mixture needs at least one component"}
	}
	var sum float64
	for i, c := range cs {
		if math.IsNaN(c.Weight) || math.IsInf(c.Weight, 0) || c.Weight < 0 {
			return nil, &WeightError{Index: i, Msg: fmt.Sprintf("weight must be finite and >= 0, got %v", c.Weight)}
		}
		if c.Family.Family.Dim() != cs[0].Family.Family.Dim() {
			return nil, &WeightError{Index: i, Msg: fmt.Sprintf("component %d is %d-D but component 0 is %d-D", i, c.Family.Family.Dim(), cs[0].Family.Family.Dim())}
		}
		sum += c.Weight
	}
	if d := sum - 1; math.Abs(d) > WeightTolerance {
		return nil, &WeightError{Index: -1, Msg: fmt.Sprintf("weights sum to %.12g, %.3g away from 1 (they must sum to 1 within %g)", sum, d, WeightTolerance)}
	}
	return &Mixture{Components: cs}, nil
}

// Dim returns the components' dimension.
func (m *Mixture) Dim() int { return m.Components[0].Family.Family.Dim() }

// Density evaluates sum_k w_k q_k on g.
func (m *Mixture) Density(dst []float64, g *grid.Grid) error {
	return m.DensityContext(context.Background(), dst, g)
}

// DensityContext is Density, in blocks of points, stopping with ctx's
// error between two when ctx has ended (see Family.DensityContext).
func (m *Mixture) DensityContext(ctx context.Context, dst []float64, g *grid.Grid) error {
	return inBlocks(ctx, dst, g, func(dst, x, y []float64) error {
		if err := m.LogDensity(dst, x, y); err != nil {
			return err
		}
		for i, l := range dst {
			dst[i] = math.Exp(l)
		}
		return nil
	})
}

// LogDensity fills dst[i] with the log of the mixture's density at
// (x[i], y[i]), by log-sum-exp over the components so that a point far in
// every component's tail keeps a finite log-density.
func (m *Mixture) LogDensity(dst, x, y []float64) error {
	buf := make([]float64, len(x))
	for i := range dst[:len(x)] {
		dst[i] = math.Inf(-1)
	}
	for _, c := range m.Components {
		if c.Weight == 0 {
			continue
		}
		c.Family.Family.Eval(c.Theta, x, y, buf, nil)
		lw := math.Log(c.Weight)
		for i, l := range buf {
			dst[i] = logAddExp(dst[i], lw+l)
		}
	}
	return nil
}

func logAddExp(a, b float64) float64 {
	if a < b {
		a, b = b, a
	}
	if math.IsInf(a, -1) {
		return a
	}
	return a + math.Log1p(math.Exp(b-a))
}

// String returns the mixture in the one-line syntax, e.g.
// "0.3*normal(mean=-2, variance=1) + 0.7*normal(mean=3, variance=0.5)".
func (m *Mixture) String() string {
	parts := make([]string, len(m.Components))
	for i, c := range m.Components {
		parts[i] = strconv.FormatFloat(c.Weight, 'g', -1, 64) + "*" + c.Family.String()
	}
	return strings.Join(parts, " + ")
}

// LogDensity fills dst[i] with the family member's normalized log-density
// at (x[i], y[i]).
func (t Family) LogDensity(dst, x, y []float64) error {
	t.Family.Eval(t.Theta, x, y, dst, nil)
	return nil
}

// LogDensityer is implemented by targets whose normalized log-density is
// known at any point: families and mixtures. Monte Carlo estimates of a
// divergence need it.
type LogDensityer interface {
	Target
	// LogDensity fills dst[i] with the log-density at (x[i], y[i]); y is
	// nil in 1-D.
	LogDensity(dst, x, y []float64) error
}

var (
	_ LogDensityer = Family{}
	_ LogDensityer = (*Mixture)(nil)
)
