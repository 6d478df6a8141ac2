package cli

import (
	"fmt"
	"io"
	"path/filepath"
	"runtime"

	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/plot"
	"github.com/klfit/klfit/spec"
)

// startLoop starts a run of b: a fit on a grid, or a Monte Carlo fit with
// a fresh objective of its own, evaluating the target on every core (the
// results do not depend on the number).
func startLoop(b *spec.Built, opts fit.Options) (*fit.Loop, error) {
	if b.MonteCarlo == nil {
		return fit.Start(b.Problem, opts)
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
	return b.Problem.Divergence.Symbol()
}

// monteCarloReport adds the diagnostics of a Monte Carlo fit to its
// summary, says what its loss is on human, and warns on errOut when the
// diagnostics find the fit unreliable.
func monteCarloReport(human, errOut io.Writer, b *spec.Built, res *fit.Result, sum *spec.Summary) {
	if b.MonteCarlo == nil {
		return
	}
	fmt.Fprintln(human, "note: "+sum.LossMeaning)
	dg := sum.AddDiagnostics(b, res)
	switch {
	case dg == nil:
	case dg.Error != "":
		fmt.Fprintln(errOut, "klfit: warning: the fit's diagnostics could not be computed: "+oneLine(dg.Error))
	default:
		logZ := pyFloat(round4(float64(dg.LogZ))) + " ± " + pyFloat(round4(float64(dg.LogZStdErr)))
		if dg.LogZNote != "" {
			logZ = pyFloat(round4(float64(dg.LogZ))) + " (standard error unknown: k̂ > 0.5)"
		}
		fmt.Fprintf(human, "diagnostics (%d fresh draws): ELBO %s ± %s, log Z %s, Pareto k̂ %.3g (threshold %.3g)\n",
			dg.Draws, pyFloat(round4(float64(dg.ELBO))), pyFloat(round4(float64(dg.ELBOStdErr))), logZ, float64(dg.ParetoK), float64(dg.KThreshold))
		if dg.Warning != "" {
			fmt.Fprintln(errOut, "klfit: warning: "+oneLine(dg.Warning))
		}
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
// and returns the names of the files written.
func writeMonteCarloFigures(out *outDir, b *spec.Built, res *fit.Result) ([]string, error) {
	figs := plot.MonteCarloFigures(res.History, b.MonteCarlo.Symbol())
	for _, f := range figs {
		if err := out.record(f.Name+".png", f.Name+".svg"); err != nil {
			return nil, err
		}
	}
	paths, err := plot.Save(out.dir, figs)
	var files []string
	for _, p := range paths {
		files = append(files, filepath.Base(p))
	}
	if err != nil {
		return files, fmt.Errorf("writing figures: %w", err)
	}
	return files, nil
}

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
