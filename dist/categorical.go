package dist

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/klfit/klfit/grid"
)

// MaxCategoricalPoints bounds the grid of a categorical family: it has one
// parameter per grid point, and a fit stores one score per parameter and
// point, so its memory grows with the square of the grid.
const MaxCategoricalPoints = 2048

// Categorical is the non-parametric family on a grid: one free mass per
// grid point, theta = (mass[0], ..., mass[n-1]) on the simplex, points
// numbered as the grid numbers them. Its density is constant on the cell
// of each grid point (the points closer to it than to any other):
//
//	log q(x) = log mass[j(x)] - log w,   w the grid's cell volume
//	d/dmass[j] = 1/mass[j] where j = j(x), 0 elsewhere
//
// Special cases: outside the grid's cells, or where mass[j] = 0, log q is
// -Inf and every score 0. The optimum of forward KL over this family is the
// target itself.
type Categorical struct {
	axes   []grid.Axis
	n      int
	logW   float64
	params []Param
	blocks []Block
}

// NewCategorical returns the categorical family on the grid with the
// given axes (one in 1-D, x and y in 2-D). Errors are *ConfigError values.
func NewCategorical(axes ...grid.Axis) (*Categorical, error) {
	if len(axes) < 1 || len(axes) > 2 {
		return nil, &ConfigError{Msg: "a categorical family needs a 1-D or 2-D grid"}
	}
	n, w := 1, 1.0
	for _, a := range axes {
		n *= a.N
		w *= a.Delta
	}
	if n > MaxCategoricalPoints {
		return nil, &ConfigError{Msg: fmt.Sprintf("the categorical family has one parameter per grid point: at most %d points, got %d", MaxCategoricalPoints, n)}
	}
	c := &Categorical{axes: append([]grid.Axis(nil), axes...), n: n, logW: math.Log(w)}
	for j := 0; j < n; j++ {
		c.params = append(c.params, Param{Name: fmt.Sprintf("mass[%d]", j), Constraint: Simplex})
	}
	c.blocks = []Block{{Name: "mass", Shape: []int{n}, Constraint: Simplex}}
	return c, nil
}

func init() {
	RegisterMaker(Maker{
		Name:        "categorical",
		Description: "one free mass per grid point: the non-parametric model, whose forward-KL optimum is the target",
		Support:     "the grid's points",
		Params:      []Block{{Name: "mass", Constraint: Simplex}},
		New:         func(c Config) (Family, error) { return NewCategorical(c.Axes...) },
	})
}

// Name returns "categorical".
func (c *Categorical) Name() string { return "categorical" }

// Description returns a one-line description.
func (c *Categorical) Description() string {
	return fmt.Sprintf("one free mass at each of %d grid points", c.n)
}

// Dim returns the grid's dimension.
func (c *Categorical) Dim() int { return len(c.axes) }

// Params returns mass[0], ..., mass[n-1]. The slice is shared: do not
// modify it.
func (c *Categorical) Params() []Param { return c.params }

// Blocks returns mass, a list of n numbers on the simplex. The slice is
// shared: do not modify it.
func (c *Categorical) Blocks() []Block { return c.blocks }

// Support returns "the grid's points".
func (c *Categorical) Support() string { return "the grid's points" }

// Circular reports whether the grid is circular.
func (c *Categorical) Circular() bool { return c.axes[0].Circular }

// Validate checks that the masses are on the simplex.
func (c *Categorical) Validate(theta []float64) error { return checkSimplex("mass", theta) }

// Unconstrained returns the softmax of n unconstrained numbers.
func (c *Categorical) Unconstrained() Transform { return simplexTransform{} }

// cell returns the index along axis a of the cell holding v, or -1.
func cell(a grid.Axis, v float64) int {
	t := (v - a.Start) / a.Delta
	if a.Circular {
		t = math.Mod(math.Round(t), float64(a.N))
		if t < 0 {
			t += float64(a.N)
		}
		return int(t)
	}
	j := math.Round(t)
	if !(j >= 0 && j < float64(a.N)) {
		return -1
	}
	return int(j)
}

// index returns the grid point whose cell holds point i, or -1.
func (c *Categorical) index(x, y []float64, i int) int {
	jx := cell(c.axes[0], x[i])
	if jx < 0 || len(c.axes) == 1 {
		return jx
	}
	jy := cell(c.axes[1], y[i])
	if jy < 0 {
		return -1
	}
	return jy*c.axes[0].N + jx
}

// Eval implements Family. With scores it writes all n of them at every
// point: its cost grows with the square of the grid.
func (c *Categorical) Eval(theta, x, y, logp []float64, score [][]float64) {
	logp = logp[:len(x)]
	for i := range logp {
		j := c.index(x, y, i)
		if j < 0 || theta[j] <= 0 {
			logp[i] = math.Inf(-1)
			continue
		}
		logp[i] = math.Log(theta[j]) - c.logW
	}
	if score == nil {
		return
	}
	for _, s := range score {
		clear(s[:len(x)])
	}
	for i := range logp {
		if j := c.index(x, y, i); j >= 0 && theta[j] > 0 {
			score[j][i] = 1 / theta[j]
		}
	}
}

// Mean returns sum_j mass[j] x_j on a 1-D grid (NaN in 2-D).
func (c *Categorical) Mean(theta []float64) float64 {
	m, _ := c.moments(theta)
	return m
}

// Variance returns sum_j mass[j] (x_j - mean)^2 on a 1-D grid (NaN in 2-D).
func (c *Categorical) Variance(theta []float64) float64 {
	_, v := c.moments(theta)
	return v
}

func (c *Categorical) moments(theta []float64) (mean, variance float64) {
	if len(c.axes) != 1 {
		return math.NaN(), math.NaN()
	}
	a := c.axes[0]
	for j, w := range theta {
		mean += w * a.At(j)
	}
	for j, w := range theta {
		d := a.At(j) - mean
		variance += w * d * d
	}
	return mean, variance
}

// Sample draws grid points by their masses with gonum's
// distuv.Categorical.
func (c *Categorical) Sample(theta []float64, src rand.Source, x, y []float64) {
	d := distuv.NewCategorical(theta, src)
	nx := c.axes[0].N
	for i := range x {
		j := int(d.Rand())
		x[i] = c.axes[0].At(j % nx)
		if y != nil {
			y[i] = c.axes[1].At(j / nx)
		}
	}
}

// Guess returns equal masses at every grid point.
func (c *Categorical) Guess(x, _, _ []float64) ([]float64, error) {
	theta := make([]float64, c.n)
	for j := range theta {
		theta[j] = 1 / float64(c.n)
	}
	return theta, nil
}
