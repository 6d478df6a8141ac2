package cli

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"runtime"

	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/plot"
	"github.com/klfit/klfit/spec"
)

// startLoop starts a run of b: a fit on a grid, or a Monte Carlo fit with
// a fresh objective of its own, evaluating the target on every core (the
// results do not depend on the number). A Monte Carlo fit that writes or
// resumes a checkpoint is checked again for memory, the checkpoint's
// included.
func startLoop(b *spec.Built, opts fit.Options) (*fit.Loop, error) {
	if b.MonteCarlo == nil {
		return fit.Start(b.Problem, opts)
	}
	if opts.Checkpoint != nil || opts.Resume != nil {
		if err := b.CheckMemory(true); err != nil {
			return nil, err
		}
	}
	obj, err := b.MonteCarlo.Objective(runtime.GOMAXPROCS(0))
	if err != nil {
		return nil, err
	}
	return fit.StartEvaluable(obj, b.MonteCarlo.Divergence().Name(), opts)
}

// lossSymbol is what the loss is, in symbols, for the final line.
func lossSymbol(b *spec.Built) string {
	if b.MonteCarlo != nil {
		return b.MonteCarlo.Symbol()
	}
	return b.LossSymbol()
}

// monteCarloReport adds the diagnostics of a Monte Carlo fit to its
// summary, says what its loss is on human, and warns on errOut when the
// diagnostics find the fit unreliable.
func monteCarloReport(human, errOut io.Writer, b *spec.Built, res *fit.Result, sum *spec.Summary) {
	if b.MonteCarlo == nil {
		return
	}
	fmt.Fprintln(human, "note: "+sum.LossMeaning)
	optimumReport(human, errOut, b.MonteCarlo, res)
	dg := sum.AddDiagnostics(b, res)
	switch {
	case dg == nil:
	case dg.Error != "":
		fmt.Fprintln(errOut, "klfit: warning: the fit's diagnostics could not be computed: "+oneLine(dg.Error))
	default:
		logZ := pyFloat(round4(float64(dg.LogZ))) + " ± " + pyFloat(round4(float64(dg.LogZStdErr)))
		switch {
		case dg.LogZNote == "":
		case math.IsNaN(float64(dg.ParetoK)):
			logZ = pyFloat(round4(float64(dg.LogZ))) + " (standard error unknown: k̂ unknown)"
		default:
			logZ = pyFloat(round4(float64(dg.LogZ))) + " (standard error unknown: k̂ > 0.5)"
		}
		of := ""
		if res.Status == fit.Diverged {
			of = " of the last good state"
		}
		fmt.Fprintf(human, "diagnostics%s (%d fresh draws): ELBO %s ± %s, log Z %s, Pareto k̂ %.3g (threshold %.3g)\n",
			of, dg.Draws, pyFloat(round4(float64(dg.ELBO))), pyFloat(round4(float64(dg.ELBOStdErr))), logZ, float64(dg.ParetoK), float64(dg.KThreshold))
		if dg.Warning != "" {
			fmt.Fprintln(errOut, "klfit: warning: "+oneLine(dg.Warning))
		}
	}
}

// optimumReport says, for a forward-KL fit from samples or draws (whose
// optimum is known: their own mean and covariance), how far above the
// least loss the fit ended, and warns when it did not reach it (beyond
// 1e-8 of the loss's size: L-BFGS reaches it to rounding).
func optimumReport(human, errOut io.Writer, mc *spec.MonteCarlo, res *fit.Result) {
	if mc.Moments == nil || res.History.Len() == 0 {
		return
	}
	opt, ok := mc.Moments.OptimumLoss(mc.Model.Diagonal())
	loss := res.Loss()
	if !ok || math.IsNaN(loss) || math.IsInf(loss, 0) {
		return
	}
	excess := loss - opt
	at := fmt.Sprintf("this fit ended %.2g above it", excess)
	if math.Abs(excess) <= 1e-12*math.Max(1, math.Abs(opt)) {
		at = "this fit is at it, to rounding"
	}
	fmt.Fprintf(human, "the least loss, at the samples' own mean and covariance: %s; %s\n", pyFloat(opt), at)
	if excess > 1e-8*math.Max(1, math.Abs(opt)) {
		fmt.Fprintf(errOut, "klfit: warning: the fit did not reach the optimum: it ended %.3g above the least loss these samples allow (%s, at their own mean and covariance)\n", excess, pyFloat(opt))
	}
}

// round4 rounds v to 4 significant digits for printing (summary.json has
// every digit).
func round4(v float64) float64 {
	var r float64
	fmt.Sscanf(fmt.Sprintf("%.4g", v), "%g", &r)
	return r
}

// writeMonteCarloFigures draws the figures of a Monte Carlo fit into out
// and returns the names of the files written. A figure that cannot be
// drawn or written goes to warn, as a grid fit's does: a figure is not the
// fit's outcome; only a failure to record the files is an error.
func writeMonteCarloFigures(out *outDir, b *spec.Built, res *fit.Result, warn func(error)) ([]string, error) {
	figs := plot.MonteCarloFigures(res.History, b.MonteCarlo.Symbol())
	for _, f := range figs {
		if err := out.record(f.Name+".png", f.Name+".svg"); err != nil {
			return nil, err
		}
	}
	paths, err := plot.Save(out.dir, figs)
	if err != nil {
		warn(err)
	}
	if rows := cornerFigures(b, res); rows != nil {
		if err := out.record("corner.png", "corner.svg"); err != nil {
			return nil, err
		}
		more, err := plot.SaveGrid(out.dir, "corner", rows)
		if err != nil {
			warn(err)
		}
		paths = append(paths, more...)
	}
	var files []string
	for _, p := range paths {
		files = append(files, filepath.Base(p))
	}
	return files, nil
}

// maxCornerDims bounds the dimension of a fit that gets a corner plot.
const maxCornerDims = 8

// cornerPoints is the number of points per axis of a corner panel.
const cornerPoints = 60

// cornerFigures returns the panels of the corner plot of a reverse KL fit
// in 2 to maxCornerDims dimensions (nil for others): for each pair of
// coordinates j < i, the contours of the target's density and of the
// fitted model's on the plane through the model's mean spanned by x_j and
// x_i, each scaled to its largest value on the panel (the target is known
// up to a constant), over the model's mean ± 4 standard deviations.
func cornerFigures(b *spec.Built, res *fit.Result) [][]*plot.Figure {
	mc := b.MonteCarlo
	d := mc.Model.Dim()
	if mc.Target == nil || d < 2 || d > maxCornerDims || res.History.Len() == 0 {
		return nil
	}
	theta := res.Theta()
	u, err := mc.Unconstrained(theta)
	if err != nil {
		return nil
	}
	mean := theta[:d]
	cov := mc.Model.Cholesky(u)
	sd := make([]float64, d)
	for i := range d {
		var s float64
		for k := 0; k <= i; k++ {
			s += cov.At(i, k) * cov.At(i, k)
		}
		sd[i] = math.Sqrt(s)
		if !(sd[i] > 0) || math.IsInf(sd[i], 0) || math.IsNaN(mean[i]) || math.IsInf(mean[i], 0) {
			return nil // no plane to draw on
		}
	}
	axis := func(i int) []float64 {
		xs := make([]float64, cornerPoints)
		for k := range xs {
			xs[k] = mean[i] + sd[i]*(-4+8*float64(k)/float64(cornerPoints-1))
		}
		return xs
	}
	scaled := func(z []float64) []float64 {
		top := math.Inf(-1)
		for _, v := range z {
			if !math.IsNaN(v) {
				top = math.Max(top, v)
			}
		}
		for k, v := range z {
			z[k] = math.Exp(v - top)
		}
		return z
	}
	rows := make([][]*plot.Figure, d-1)
	x := make([]float64, d)
	for i := 1; i < d; i++ {
		rows[i-1] = make([]*plot.Figure, d-1)
		for j := 0; j < i; j++ {
			xs, ys := axis(j), axis(i)
			zq, zp := make([]float64, len(xs)*len(ys)), make([]float64, len(xs)*len(ys))
			copy(x, mean)
			for r, y := range ys {
				for c, v := range xs {
					x[j], x[i] = v, y
					zq[r*len(xs)+c] = mc.Model.LogDensity(u, x)
					zp[r*len(xs)+c] = mc.Target.LogDensity(x, nil)
				}
			}
			f := &plot.Figure{Name: fmt.Sprintf("corner_%d_%d", j, i), Contours: []plot.Contours{
				{X: xs, Y: ys, Z: scaled(zp), Levels: plot.ContourLevels, Color: blueTarget, Width: 1.5},
				{X: xs, Y: ys, Z: scaled(zq), Levels: plot.ContourLevels, Color: redModel, Width: 1},
			}}
			if i == 1 && j == 0 {
				f.Contours[0].Label, f.Contours[1].Label = "target", "fitted q"
				f.Title = "slices through q's mean"
			}
			if j == 0 {
				f.YLabel = fmt.Sprintf("x%d", i+1)
			}
			if i == d-1 {
				f.XLabel = fmt.Sprintf("x%d", j+1)
			}
			rows[i-1][j] = f
		}
	}
	return rows
}

// The colours of the corner plot: the target blue, the model red, as in
// the other figures.
var (
	blueTarget = color.NRGBA{0x4C, 0x72, 0xB0, 0xFF}
	redModel   = color.NRGBA{0xFF, 0x00, 0x00, 0xFF}
)

// gridOnly refuses --compare and --lr-find, which run fits on a grid, for
// a Monte Carlo fit.
func gridOnly(b *spec.Built, o *fitOptions) error {
	if b.MonteCarlo == nil {
		return nil
	}
	key, _ := b.Spec.MonteCarlo()
	for _, f := range []struct {
		on   bool
		flag string
	}{{o.Compare != "", "--compare"}, {o.LRFind.On, "--lr-find"}} {
		if f.on {
			return usageError(fmt.Errorf("%s runs fits on a grid, and this spec is a Monte Carlo fit (%s)", f.flag, key))
		}
	}
	return nil
}
