package plot

import (
	"fmt"
	"image/color"
	"math"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/grid"
)

// Resolution2D bounds the points per axis at which 2-D densities are drawn:
// a finer grid is sampled every few points.
const Resolution2D = 120

// MaxTraces bounds the parameters whose traces are drawn (the mean and
// variance figures, or the panels of "params"); a family with more (a
// categorical model, one mass per grid point) gets only the loss trace,
// its parameters being in history.csv.
const MaxTraces = 40

// ContourLevels are the heights of the contour lines drawn, as fractions
// of the target's largest density. Target and model are drawn at the same
// heights, so their lines compare directly.
var ContourLevels = []float64{0.05, 0.25, 0.5, 0.75, 0.95}

// Contours is a function sampled on a regular grid and drawn as contour
// lines of one colour.
type Contours struct {
	Label string
	// X and Y are the sample coordinates along each axis.
	X, Y []float64
	// Z holds the values row by row: Z[i*len(X)+j] is the value at
	// (X[j], Y[i]).
	Z      []float64
	Levels []float64
	Color  color.NRGBA
	// Width is the line width in points.
	Width float64
	// Dashes is the lines' dash pattern in points; nil for solid lines.
	Dashes []float64
}

// figures2D returns the figures of a fit on a 2-D grid, on axes of equal
// aspect: "fit" (contours of the target in blue and, dashed over them, of
// the final model in red, with the path of the model's mean when the
// family has one, dotted) and "endpoints" (the target, the initial model
// in orange and the final one in red).
func figures2D(in Input, lm logMasses) []Figure {
	g := in.Grid
	ix, iy := sampleAxis(g.Axes[0]), sampleAxis(g.Axes[1])
	xs, ys := coords(g.Axes[0], ix), coords(g.Axes[1], iy)
	tz := make([]float64, 0, len(xs)*len(ys))
	for _, i := range iy {
		for _, j := range ix {
			tz = append(tz, in.Target[i*g.Axes[0].N+j])
		}
	}
	var top float64 // the target's peak on the whole grid
	for _, v := range in.Target {
		if v > top && !math.IsInf(v, 1) {
			top = v
		}
	}
	levels := make([]float64, len(ContourLevels))
	for k, f := range ContourLevels {
		levels[k] = f * top
	}
	tgt := Contours{Label: "target", X: xs, Y: ys, Z: tz, Levels: levels, Color: blue, Width: 2}
	model := func(r int, label string, c color.NRGBA) Contours {
		theta := in.History.Row(r)
		z := density2D(in.Family, theta, xs, ys, lm[r])
		return Contours{Label: label, X: xs, Y: ys, Z: z, Levels: levels, Color: c, Width: 1.5, Dashes: dashed}
	}
	last := in.History.Len() - 1
	final := fmt.Sprintf("final q (epoch %d)", last)
	fit := Figure{Name: "fit", Title: fmt.Sprintf("%s = %s after %d epochs", DisplaySymbol(in.Symbol), FormatLoss(in.History.Loss(last)), last),
		XLabel: "x", YLabel: "y", EqualAspect: true, Contours: []Contours{tgt, model(last, final, red)}}
	if path, ok := meanPath(in); ok {
		fit.Curves = append(fit.Curves, path)
	}
	ends := Figure{Name: "endpoints", Title: "target, initial and final model", XLabel: "x", YLabel: "y", EqualAspect: true,
		Contours: []Contours{tgt, model(0, "initial q (epoch 0)", orange), model(last, final, red)}}
	return []Figure{fit, ends}
}

// sampleAxis returns the indices of at most Resolution2D points of a,
// evenly spread, first and last included.
func sampleAxis(a grid.Axis) []int {
	n := min(a.N, Resolution2D)
	idx := make([]int, n)
	for k := range idx {
		if n > 1 {
			idx[k] = int(math.Round(float64(k) * float64(a.N-1) / float64(n-1)))
		}
	}
	return idx
}

func coords(a grid.Axis, idx []int) []float64 {
	c := make([]float64, len(idx))
	for k, i := range idx {
		c[k] = a.At(i)
	}
	return c
}

// density2D evaluates f's density divided by its grid mass exp(logMass)
// (see gridLogMass) at every point of the product of xs and ys, row by
// row.
func density2D(f dist.Family, theta, xs, ys []float64, logMass float64) []float64 {
	n := len(xs) * len(ys)
	x, y := make([]float64, 0, n), make([]float64, 0, n)
	for _, yi := range ys {
		for _, xj := range xs {
			x, y = append(x, xj), append(y, yi)
		}
	}
	z := make([]float64, n)
	f.Eval(theta, x, y, z, nil)
	for i, l := range z {
		z[i] = math.Exp(l - logMass)
	}
	return z
}

// meanPath is the path of the model's mean across the history, thinned to
// at most maxPathPoints points, drawn dotted with a dot at each.
func meanPath(in Input) (Curve, bool) {
	vm, ok := in.Family.(dist.VectorMoments)
	if !ok {
		return Curve{}, false
	}
	rows := in.History.Len()
	stride := max((rows+maxPathPoints-1)/maxPathPoints, 1)
	c := Curve{Label: "path of q's mean", Color: red, Width: 1, Dashes: []float64{2, 2}, Marks: true}
	add := func(r int) {
		m := vm.MeanVector(in.History.Row(r))
		if m == nil {
			return
		}
		c.X, c.Y = append(c.X, m[0]), append(c.Y, m[1])
	}
	for r := 0; r < rows; r += stride {
		add(r)
	}
	if (rows-1)%stride != 0 {
		add(rows - 1)
	}
	return c, len(c.X) > 0
}

// maxPathPoints bounds the dots of the path of the model's mean.
const maxPathPoints = 40

// gridXYZ adapts Contours to gonum/plot's plotter.GridXYZ.
type gridXYZ struct{ c *Contours }

func (g gridXYZ) Dims() (c, r int)   { return len(g.c.X), len(g.c.Y) }
func (g gridXYZ) Z(c, r int) float64 { return g.c.Z[r*len(g.c.X)+c] }
func (g gridXYZ) X(c int) float64    { return g.c.X[c] }
func (g gridXYZ) Y(r int) float64    { return g.c.Y[r] }

// increasing reports whether xs has at least two values, all finite and
// strictly increasing: a grid the contours can be traced on (gonum/plot's
// tracer fails, or allocates without bound, on others).
func increasing(xs []float64) bool {
	if len(xs) < 2 {
		return false
	}
	for i, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) || (i > 0 && !(x > xs[i-1])) {
			return false
		}
	}
	return true
}

// addContours draws the contour sets onto p with gonum/plot's
// plotter.Contour, each in its colour, with a legend entry.
func addContours(p *gplot.Plot, cs []Contours) {
	for k := range cs {
		c := &cs[k]
		z := make([]float64, len(c.Z))
		lo, hi := math.Inf(1), math.Inf(-1)
		for i, v := range c.Z {
			if math.IsInf(v, 0) || math.IsNaN(v) {
				v = math.NaN()
			} else {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
			z[i] = v
		}
		if lo > hi || !increasing(c.X) || !increasing(c.Y) {
			continue // nothing finite to draw, or no grid to draw it on
		}
		style := draw.LineStyle{Color: c.Color, Width: vg.Length(c.Width), Dashes: lengths(c.Dashes)}
		h := plotter.NewContour(gridXYZ{&Contours{X: c.X, Y: c.Y, Z: z}}, c.Levels, nil)
		h.LineStyles = []draw.LineStyle{style}
		p.Add(h)
		if c.Label != "" {
			p.Legend.Add(c.Label, &plotter.Line{LineStyle: style})
		}
	}
}
