// Package plot draws a fit's figures from its history, with gonum/plot:
// the model's density sliding onto the target, the endpoints, every
// parameter's trace and the loss. It knows nothing of files' origins,
// terminals or HTTP: it turns data into figures and figures into PNG and
// SVG.
//
// Densities are drawn at plot resolution (a few hundred points whatever the
// grid size), and long histories are thinned for drawing, so that figures
// of a fit on millions of points or epochs still draw in a fraction of a
// second.
package plot

import (
	"fmt"
	"image/color"
	"math"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"gonum.org/v1/plot/vg"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/grid"
	"github.com/klfit/klfit/target"
)

// Resolution is the number of points a density curve is drawn with.
const Resolution = 400

// MaxCurves bounds the number of faded model curves on the fit figure (one
// more is drawn for the last state).
const MaxCurves = 200

// maxTracePoints bounds the points of a trace (parameter or loss against
// epoch); longer histories are thinned.
const maxTracePoints = 4000

// Input is what the figures are drawn from.
type Input struct {
	Grid *grid.Grid
	// Target holds the target's density at every grid point, as the fit
	// used it (raw density values, or normalized masses divided by the
	// grid weight).
	Target []float64
	Family dist.Family
	// History holds the states the fit visited; row 0 is the initial one.
	History *fit.History
	// Symbol names the divergence in titles and labels, e.g. "KL(P||Q)"
	// (drawn as KL(P‖Q)).
	Symbol string
	// Source is the target as defined, whose known mean and (co)variance
	// are drawn as dashed lines on the traces of the model's mean and
	// variance; nil for none.
	Source target.Target
}

// Figure is one named figure, described as data: its curves, their
// colours and widths. Render draws it with gonum/plot.
type Figure struct {
	// Name is the file name without extension, e.g. "fit".
	Name                  string
	Title, XLabel, YLabel string
	// Curves are drawn in order, later ones on top.
	Curves []Curve
	// FromZero starts the y axis at 0.
	FromZero bool
	// Contours are drawn before the curves (2-D figures).
	Contours []Contours
	// LogX and LogY draw an axis on a log scale; points that are not > 0
	// on it are left out.
	LogX, LogY bool
	// LegendMiddleRight places the legend at the right, a third of the
	// way down, instead of the top left.
	LegendMiddleRight bool
	// LegendTopRight places the legend at the top right: the figure's
	// curves are high on the left.
	LegendTopRight bool
	// EqualAspect gives a unit the same length on both axes (2-D
	// figures).
	EqualAspect bool
	// IntegerX ticks the x axis at whole numbers only (epochs).
	IntegerX bool
	// Panels, when set, make the figure small multiples: each panel is
	// drawn as a figure of its own, Cols to a row, PanelWidth by
	// PanelHeight each; the figure's own curves are not drawn.
	Panels []Figure
	Cols   int
}

// Curve is a line through points, with an optional legend label.
type Curve struct {
	Label string
	X, Y  []float64
	Color color.NRGBA
	// Width is the line width in points.
	Width float64
	// Dashes is the line's dash pattern in points (dash, gap, ...); nil
	// for a solid line.
	Dashes []float64
	// Points draws the points as dots instead of a line through them.
	Points bool
	// Marks draws a dot of radius Width at each point as well as the line.
	Marks bool
	// LegendOnly draws nothing but the legend entry: a line of the
	// curve's style, labelled.
	LegendOnly bool
}

// Size of a figure, and of a panel of small multiples.
const (
	Width       = 5 * vg.Inch
	Height      = 4 * vg.Inch
	PanelWidth  = 2.8 * vg.Inch
	PanelHeight = 2.2 * vg.Inch
	// DPI is the resolution of PNG files.
	DPI = 150
)

// Seaborn's default look, which the notebook used.
var (
	background = color.NRGBA{0xEA, 0xEA, 0xF2, 0xFF}
	blue       = color.NRGBA{0x4C, 0x72, 0xB0, 0xFF}
	orange     = color.NRGBA{0xDD, 0x84, 0x52, 0xFF}
	red        = color.NRGBA{0xFF, 0x00, 0x00, 0xFF}
	grey       = color.NRGBA{0x44, 0x44, 0x44, 0xFF}
)

// dashed is the dash pattern of reference lines and of the model drawn
// over the target.
var dashed = []float64{5, 3}

// Figures returns the figures of a fit:
//
//   - "fit": for 1-D fits the model every few epochs as a red curve fading
//     in, the target thick over it, the final model dashed on top, the
//     final divergence in the title; for 2-D fits contour lines (see
//     figures2D);
//   - "endpoints": target, initial and final model;
//   - the parameter traces: "mean" and "variance" for a model with just
//     those parameters (the notebook's normal), else one figure "params"
//     of small multiples, one panel per parameter (none when there are
//     more than MaxTraces parameters);
//   - "loss": the loss above its minimum, on a log axis.
//
// Models are drawn as the divergence sees them: the model's masses on the
// grid, normalized there, divided by the cell size (a model whose mass
// has left the grid shows as the sliver of it that the grid holds,
// rescaled). A history without rows gives no figures.
func Figures(in Input) []Figure {
	h := in.History
	if h.Len() == 0 {
		return nil
	}
	var figs []Figure
	lm := newLogMasses(in)
	if in.Grid.Dim() == 1 {
		figs = append(figs, fitFigure(in, lm), endpointsFigure(in, lm))
	} else {
		figs = append(figs, figures2D(in, lm)...)
	}
	known := knownValues(in)
	switch {
	case len(h.Names) > MaxTraces:
	case notebookParams(h.Names):
		figs = append(figs,
			traceFigure("mean", "mean of q", h.Names[0], h.Param(0), known),
			traceFigure("variance", "variance of q", h.Names[1], h.Param(1), known))
	default:
		figs = append(figs, paramsFigure(h, known))
	}
	return append(figs, lossFigure(in))
}

// FigureNames returns the names of the figures Figures draws for a model
// with the given parameters, in order.
func FigureNames(params []string) []string {
	names := []string{"fit", "endpoints"}
	switch {
	case len(params) > MaxTraces:
	case notebookParams(params):
		names = append(names, "mean", "variance")
	default:
		names = append(names, "params")
	}
	return append(names, "loss")
}

// notebookParams reports whether a model's parameters are the notebook's,
// a mean and a variance, which get a figure each.
func notebookParams(params []string) bool { return strings.Join(params, ",") == "mean,variance" }

// FileName turns a parameter name into a file name: an index "[k]"
// becomes "_k" ("covariance[0][1]" gives "covariance_0_1"), and other
// characters than letters, digits, '-' and '_' become '_'.
func FileName(name string) string {
	name = strings.ReplaceAll(strings.ReplaceAll(name, "[", "_"), "]", "")
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return '_'
	}, name)
}

func fitFigure(in Input, lm logMasses) Figure {
	h := in.History
	rows := h.Len()
	last := rows - 1
	xs := plotXs(in.Grid.Axes[0], Resolution/2) // many curves: keep the SVG small
	f := Figure{Name: "fit", Title: fmt.Sprintf("%s = %s after %d epochs", DisplaySymbol(in.Symbol), FormatLoss(h.Loss(last)), last),
		XLabel: "x", YLabel: "density", FromZero: true, LegendTopRight: massOnTheLeft(in)}
	stride := fadeStride(rows)
	for r := 0; r < rows; r += stride {
		f.Curves = append(f.Curves, modelCurve(in, xs, r, lm[r], fade(r, rows), 1))
	}
	if last%stride != 0 {
		f.Curves = append(f.Curves, modelCurve(in, xs, last, lm[last], fade(last, rows), 1))
	}
	if rows > 1 {
		f.Curves = append(f.Curves, Curve{Label: fmt.Sprintf("q every %d epochs, fainter when earlier", stride), Color: fade(rows/3, rows), Width: 1, LegendOnly: true})
	}
	t := targetCurve(in, plotXs(in.Grid.Axes[0], Resolution), 3)
	t.Label = "target p"
	final := modelCurve(in, plotXs(in.Grid.Axes[0], Resolution), last, lm[last], red, 1.5)
	final.Label, final.Dashes = fmt.Sprintf("q at epoch %d (final)", last), dashed
	f.Curves = append(f.Curves, t, final)
	return f
}

// fadeStride is the epochs between the fit figure's faded curves: the
// notebook's 5, more when that would draw more than MaxCurves+1 curves.
func fadeStride(rows int) int { return max(5, (rows-1+MaxCurves-1)/MaxCurves) }

// logMasses holds the grid log-masses (see gridLogMass) of the history
// rows the figures draw, by row.
type logMasses map[int]float64

// newLogMasses computes the grid log-masses of the rows the figures draw,
// concurrently: the first and last rows exactly, the fit figure's faded
// curves (1-D) within normBudget evaluations in all.
func newLogMasses(in Input) logMasses {
	rows := in.History.Len()
	strides := map[int]int{0: 1, rows - 1: 1}
	if in.Grid.Dim() == 1 {
		s := fadeStride(rows)
		coarse := max(1, ((rows+s-1)/s*in.Grid.Len()+normBudget-1)/normBudget)
		for r := s; r < rows-1; r += s {
			strides[r] = coarse
		}
	}
	type job struct{ row, stride int }
	jobs := make(chan job, len(strides))
	for r, s := range strides {
		jobs <- job{r, s}
	}
	close(jobs)
	lm := make(logMasses, len(strides))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(strides)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				v := gridLogMass(in.Family, in.History.Row(j.row), in.Grid, j.stride)
				mu.Lock()
				lm[j.row] = v
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return lm
}

// normBudget bounds the density evaluations spent on the grid
// normalizers of the fit figure's faded curves: past it, their
// normalizers are summed over every k-th grid point (a Riemann sum on a
// coarser grid); the initial and final models' are always exact.
const normBudget = 1 << 20

// fade is the notebook's colour for row r of rows: red with alpha rising
// linearly from 0.1 to 1.
func fade(r, rows int) color.NRGBA {
	alpha := 1.0
	if rows > 1 {
		alpha = 0.1 + 0.9*float64(r)/float64(rows-1)
	}
	return color.NRGBA{R: 0xFF, A: uint8(math.Round(alpha * 255))}
}

func endpointsFigure(in Input, lm logMasses) Figure {
	last := in.History.Len() - 1
	xs := plotXs(in.Grid.Axes[0], Resolution)
	t := targetCurve(in, xs, 5)
	t.Label = "target p"
	i := modelCurve(in, xs, 0, lm[0], orange, 1.5)
	i.Label = "initial q (epoch 0)"
	f := modelCurve(in, xs, last, lm[last], red, 1.5)
	f.Label = fmt.Sprintf("final q (epoch %d)", last)
	return Figure{Name: "endpoints", Title: "target, initial and final model", XLabel: "x", YLabel: "density",
		Curves: []Curve{t, i, f}, FromZero: true, LegendTopRight: massOnTheLeft(in)}
}

// massOnTheLeft reports whether the target's mass is centred in the left
// half of a 1-D grid, where a legend at the top left would cover it.
func massOnTheLeft(in Input) bool {
	var w, sx float64
	for i, p := range in.Target {
		w += p
		sx += p * in.Grid.X[i]
	}
	a := in.Grid.Axes[0]
	return w > 0 && sx/w < a.Start+float64(a.N-1)*a.Delta/2
}

// traceFigure draws a parameter against epoch, with the target's value as
// a dashed line when it is known (said in the title).
func traceFigure(name, title, param string, ys []float64, known map[string]float64) Figure {
	c := trace(ys)
	c.Color, c.Width = blue, 1.5
	f := Figure{Name: name, Title: title, XLabel: "epoch", YLabel: param, Curves: []Curve{c}, IntegerX: true}
	if v, ok := known[param]; ok && len(c.X) > 0 {
		if name == "" { // a panel of small multiples: keep the title short
			f.Title += fmt.Sprintf(" (target %s)", strconv.FormatFloat(v, 'g', 6, 64))
		} else {
			f.Title += fmt.Sprintf(" (dashed: the target's, %s)", strconv.FormatFloat(v, 'g', 6, 64))
		}
		x0, x1 := 0.0, c.X[len(c.X)-1]
		if len(c.X) == 1 { // a single state: the axis spans 1 each side of it, and so does the line
			x0, x1 = c.X[0]-1, c.X[0]+1
		}
		f.Curves = append(f.Curves, Curve{X: []float64{x0, x1}, Y: []float64{v, v}, Color: grey, Width: 1.2, Dashes: dashed})
	}
	return f
}

// paramsFigure draws every parameter's trace as small multiples, one
// panel per parameter: one row per parameter block (the components of a
// mixture side by side), at most maxCols to a row.
func paramsFigure(h *fit.History, known map[string]float64) Figure {
	var rows [][]int // indices of the parameters of each row
	block := ""
	for j, name := range h.Names {
		b, _, _ := strings.Cut(name, "[")
		if j == 0 || b != block || len(rows[len(rows)-1]) == maxCols {
			rows = append(rows, nil)
		}
		block = b
		rows[len(rows)-1] = append(rows[len(rows)-1], j)
	}
	cols := 0
	for _, r := range rows {
		cols = max(cols, len(r))
	}
	if cols == 1 { // scalar parameters: fill rows instead of a column
		cols = min(len(h.Names), 3)
		rows = nil
		for j := range h.Names {
			if j%cols == 0 {
				rows = append(rows, nil)
			}
			rows[len(rows)-1] = append(rows[len(rows)-1], j)
		}
	}
	f := Figure{Name: "params", Cols: cols}
	for _, r := range rows {
		for k := 0; k < cols; k++ {
			if k >= len(r) {
				f.Panels = append(f.Panels, Figure{}) // an empty tile
				continue
			}
			name := h.Names[r[k]]
			p := traceFigure("", name, name, h.Param(r[k]), known)
			p.YLabel = ""
			f.Panels = append(f.Panels, p)
		}
	}
	return f
}

// maxCols bounds the panels of a row of small multiples.
const maxCols = 5

// lossFigure draws the loss above its minimum over the fit on a log axis,
// so that convergence shows over many decades. Differences below float64's
// resolution of the loss, 1e-16 * max(|min|, 1), are drawn at that floor.
func lossFigure(in Input) Figure {
	losses := in.History.Losses()
	best, at := math.Inf(1), -1
	for i, l := range losses {
		if l < best { // NaN never is
			best, at = l, i
		}
	}
	sym := DisplaySymbol(in.Symbol)
	f := Figure{Name: "loss", XLabel: "epoch", YLabel: sym + " − min", LogY: true, IntegerX: true}
	if at < 0 {
		f.Title = "loss (no finite value)"
		return f
	}
	if len(losses) == 1 { // nothing to be above: the loss itself, a dot
		f.Title = fmt.Sprintf("loss %s at epoch 0, the only state", FormatLoss(best))
		f.YLabel, f.LogY = sym, false
		c := trace(losses)
		c.Color, c.Width = blue, 1.5
		f.Curves = []Curve{c}
		return f
	}
	f.Title = fmt.Sprintf("loss above its minimum, %s at epoch %d", FormatLoss(best), at)
	ex := excess(losses, best)
	if n := len(losses); at == n-1 && n >= 2 && losses[n-2]-best > 1e-10*math.Max(math.Abs(best), 1) {
		// Still falling at the end: the last point is the minimum only
		// because the fit stopped there. Drawn at the floor it would look
		// like convergence; it is left out, and the title says so.
		ex = ex[:n-1]
		f.Title = fmt.Sprintf("loss above its last value, %s at epoch %d: still falling", FormatLoss(best), at)
	}
	c := trace(ex)
	c.Color, c.Width = blue, 1.5
	f.Curves = []Curve{c}
	return f
}

// excess returns the losses minus best, floored at float64's resolution
// of best (1e-16 * max(|best|, 1)) so that the best point stays on a log
// axis.
func excess(losses []float64, best float64) []float64 {
	floor := 1e-16 * math.Max(math.Abs(best), 1)
	out := make([]float64, len(losses))
	for i, l := range losses {
		out[i] = math.Max(l-best, floor)
		if math.IsNaN(l) {
			out[i] = l
		}
	}
	return out
}

// FormatLoss writes a loss with four significant digits: 23.04, 5.637e-16,
// never 0.000 for a small loss.
func FormatLoss(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }

// DisplaySymbol writes a divergence's symbol for a figure: "||" becomes the
// double bar ‖, as in KL(P‖Q), and "sum p" Σ p.
func DisplaySymbol(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "||", "‖"), "sum p", "Σ p")
}

// knownValues returns the target's known mean and (co)variance under the
// names of the model's parameters that are the model's mean and
// (co)variance: "mean" and "variance" for a 1-D family with moments,
// "mean[k]" and "covariance[i][j]" for a 2-D one. Unknown or infinite
// values are left out.
func knownValues(in Input) map[string]float64 {
	if in.Source == nil {
		return nil
	}
	mean, cov := TargetMoments(in.Source)
	known := map[string]float64{}
	add := func(name string, v float64) {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			known[name] = v
		}
	}
	switch {
	case len(mean) == 1 && len(cov) == 1:
		if _, ok := in.Family.(dist.Moments); ok {
			add("mean", mean[0])
			add("variance", cov[0])
		}
	case len(mean) == 2 && len(cov) == 4:
		if _, ok := in.Family.(dist.VectorMoments); ok {
			for i := range 2 {
				add(fmt.Sprintf("mean[%d]", i), mean[i])
				for j := range 2 {
					add(fmt.Sprintf("covariance[%d][%d]", i, j), cov[2*i+j])
				}
			}
		}
	}
	return known
}

// TargetMoments returns the mean and (co)variance of a target whose
// moments are known in closed form: a family member with moments (in 2-D,
// a mean vector and a row-major 2x2 covariance), or a mixture of such
// members. It returns nils for other targets.
func TargetMoments(t target.Target) (mean, cov []float64) {
	switch tt := t.(type) {
	case target.Family:
		if m, ok := tt.Family.(dist.Moments); ok && tt.Family.Dim() == 1 {
			return []float64{m.Mean(tt.Theta)}, []float64{m.Variance(tt.Theta)}
		}
		if m, ok := tt.Family.(dist.VectorMoments); ok && tt.Family.Dim() == 2 {
			return m.MeanVector(tt.Theta), m.Covariance(tt.Theta)
		}
	case *target.Mixture:
		var mixMean, mixSecond []float64 // E[x], E[x x^T]
		for _, c := range tt.Components {
			m, v := TargetMoments(c.Family)
			if m == nil || len(mixMean) > 0 && len(m) != len(mixMean) {
				return nil, nil
			}
			if mixMean == nil {
				mixMean, mixSecond = make([]float64, len(m)), make([]float64, len(v))
			}
			d := len(m)
			for i := range d {
				mixMean[i] += c.Weight * m[i]
				for j := range d {
					mixSecond[d*i+j] += c.Weight * (v[d*i+j] + m[i]*m[j])
				}
			}
		}
		if mixMean == nil {
			return nil, nil
		}
		d := len(mixMean)
		cov := make([]float64, d*d)
		for i := range d {
			for j := range d {
				cov[d*i+j] = mixSecond[d*i+j] - mixMean[i]*mixMean[j]
			}
		}
		return mixMean, cov
	}
	return nil, nil
}

// plotXs returns n points spanning the axis's first to last point.
func plotXs(a grid.Axis, n int) []float64 {
	lo, hi := a.At(0), a.At(a.N-1)
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = lo + (hi-lo)*float64(i)/float64(n-1)
	}
	return xs
}

// targetCurve interpolates the target's grid densities linearly at xs.
func targetCurve(in Input, xs []float64, width float64) Curve {
	a := in.Grid.Axes[0]
	ys := make([]float64, len(xs))
	for i, x := range xs {
		t := (x - a.At(0)) / a.Delta
		j := min(max(int(math.Floor(t)), 0), max(a.N-2, 0))
		ys[i] = in.Target[j]
		if a.N > 1 {
			f := t - float64(j)
			ys[i] = (1-f)*in.Target[j] + f*in.Target[j+1]
		}
	}
	return Curve{X: xs, Y: ys, Color: blue, Width: width}
}

// modelCurve is the density the divergence sees for history row r: the
// model's masses normalized on the grid, divided by the cell size, drawn
// at xs (the model's density divided by its mass on the grid, whose log
// is lm; see gridLogMass).
func modelCurve(in Input, xs []float64, r int, lm float64, c color.NRGBA, width float64) Curve {
	theta := in.History.Row(r)
	ys := make([]float64, len(xs))
	in.Family.Eval(theta, xs, nil, ys, nil)
	for i, l := range ys {
		ys[i] = math.Exp(l - lm)
	}
	return Curve{X: xs, Y: ys, Color: c, Width: width}
}

// gridLogMass returns the log of the model's mass on the grid as the
// divergence normalizes it: log(w * sum_j exp(log q(x_j))), w the cell
// size, by log-sum-exp so that a model far off the grid keeps a finite
// value. With stride k > 1 only every k-th point is summed (and counted k
// times).
func gridLogMass(f dist.Family, theta []float64, g *grid.Grid, stride int) float64 {
	const chunk = 4096
	buf := make([]float64, min(chunk, g.Len()))
	xs, ys := make([]float64, 0, len(buf)), make([]float64, 0, len(buf))
	m, s := math.Inf(-1), 0.0 // running log-sum-exp: sum = s * exp(m)
	flush := func() {
		if len(xs) == 0 {
			return
		}
		var yy []float64
		if g.Y != nil {
			yy = ys
		}
		lq := buf[:len(xs)]
		f.Eval(theta, xs, yy, lq, nil)
		for _, l := range lq {
			if math.IsNaN(l) || math.IsInf(l, 0) {
				continue
			}
			if l > m {
				s = s*math.Exp(m-l) + 1
				m = l
			} else {
				s += math.Exp(l - m)
			}
		}
		xs, ys = xs[:0], ys[:0]
	}
	for j := 0; j < g.Len(); j += stride {
		xs = append(xs, g.X[j])
		if g.Y != nil {
			ys = append(ys, g.Y[j])
		}
		if len(xs) == cap(xs) {
			flush()
		}
	}
	flush()
	return m + math.Log(s*float64(stride)*g.Weight)
}

// trace returns ys against their index, thinned to at most maxTracePoints
// points (the last one always kept).
func trace(ys []float64) Curve {
	stride := max((len(ys)+maxTracePoints-1)/maxTracePoints, 1)
	var c Curve
	for i := 0; i < len(ys); i += stride {
		c.X, c.Y = append(c.X, float64(i)), append(c.Y, ys[i])
	}
	if (len(ys)-1)%stride != 0 {
		c.X, c.Y = append(c.X, float64(len(ys)-1)), append(c.Y, ys[len(ys)-1])
	}
	// A single state (a fit stopped at its start) is a line of no length:
	// it is drawn as a dot.
	c.Marks = len(ys) == 1
	return c
}
