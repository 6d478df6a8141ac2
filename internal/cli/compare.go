package cli

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/plot"
	"github.com/klfit/klfit/spec"
)

// runCompare runs the fit b under each optimizer of o.Compare in parallel,
// writes each run's history.csv and summary.json into OUT/NAME, the
// comparison figure and summary.json into OUT, and prints a table of
// epochs and time to reach the best loss.
func runCompare(ctx context.Context, ios *IOStreams, b *spec.Built, o *fitOptions) error {
	names, err := parseCompare(o.Compare)
	if err != nil {
		return usageError(err)
	}
	builts := make([]*spec.Built, len(names))
	for i, name := range names {
		if builts[i], err = b.WithOptimizer(name); err != nil {
			return usageError(fmt.Errorf("--compare %s: %w", name, err))
		}
	}
	out, err := openOutDir(o.Out)
	if err != nil {
		return usageError(err)
	}
	if err := out.claim("summary.json"); err != nil {
		return usageError(err)
	}
	human := humanWriter(ios, o.JSON, o.Quiet)
	trials := make([]fit.Trial, len(names))
	streams := make([]*historyStream, len(names))
	subs := make([]*outDir, len(names))
	for i, bi := range builts {
		if subs[i], err = out.sub(names[i]); err != nil {
			return usageError(err)
		}
		if err := subs[i].record("history.csv"); err != nil {
			return usageError(err)
		}
		h := fit.NewHistoryFor(bi.Problem, bi.Report)
		if streams[i], err = newHistoryStream(subs[i].path("history.csv"), h, nil); err != nil {
			return usageError(err)
		}
		trials[i] = fit.Trial{Name: names[i], Problem: bi.Problem, Options: bi.Options(streams[i])}
	}
	fmt.Fprintf(human, "comparing %s on %d epochs at most\n", strings.Join(names, ", "), b.Epochs)
	results := fit.RunTrials(ctx, trials)
	for i, s := range streams {
		s.Close()
		if results[i].Err != nil {
			return usageError(fmt.Errorf("--compare %s: %w", names[i], results[i].Err))
		}
	}

	hs := make([]*fit.History, len(results))
	for i, r := range results {
		hs[i] = r.Result.History
	}
	best, target := fit.ReachThreshold(hs...)
	interrupted := false
	for _, r := range results {
		interrupted = interrupted || r.Result.Status == fit.Interrupted
	}
	sum := &spec.CompareSummary{Spec: b.Spec, Divergence: b.Problem.Divergence.Name(), BestLoss: spec.Float(best),
		TargetLoss: spec.Float(target), Tolerance: fit.ReachTolerance, Interrupted: interrupted, LossMeaning: b.DensityMeaning(best, false)}
	runs := make([]plot.Run, len(results))
	for i, r := range results {
		reach := fit.FirstBelow(r.Result.History, target)
		sum.Runs = append(sum.Runs, spec.NewCompareRun(builts[i], r.Result, reach, r.Seconds))
		runs[i] = plot.Run{Name: names[i], Loss: r.Result.History.Losses(), Seconds: r.Seconds}
		if _, err := writeOutputs(subs[i], builts[i], r.Result, spec.NewSummary(builts[i], r.Result), false, nil); err != nil {
			return &ExitError{Code: ExitFailure, Err: err}
		}
	}
	files := append([]string(nil), names...)
	if !o.NoFigures {
		byEpoch, byTime := plot.CompareFigures(runs, best)
		if err := out.record("compare.png", "compare.svg"); err != nil {
			return &ExitError{Code: ExitFailure, Err: err}
		}
		paths, err := plot.SaveRow(o.Out, "compare", byEpoch, byTime)
		for _, p := range paths {
			files = append(files, filepath.Base(p))
		}
		figureWarnings(ios, o.Quiet, err)
	}
	if err := writeSummary(ios, o.Out, sum.JSON(), o.JSON); err != nil {
		return err
	}
	files = append(files, "summary.json")
	printCompare(human, b, sum)
	wrote := fmt.Sprintf("wrote %s: %s", o.Out, strings.Join(files, ", "))
	if interrupted {
		return &ExitError{Code: ExitInterrupted, Err: fmt.Errorf("interrupted before every run finished (the best loss is the lowest reached before); %s", wrote)}
	}
	fmt.Fprintln(human, wrote)
	return nil
}

// parseCompare splits a comma-separated list of optimizer names, checking
// each.
func parseCompare(list string) ([]string, error) {
	var names []string
	for _, n := range strings.Split(list, ",") {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		if _, err := fit.LookupOptimizer(n); err != nil {
			return nil, fmt.Errorf("--compare: %w", err)
		}
		for _, m := range names {
			if m == n {
				return nil, fmt.Errorf("--compare: %s is listed twice", n)
			}
		}
		names = append(names, n)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("--compare needs optimizer names, e.g. gd,momentum,adam,lbfgs")
	}
	return names, nil
}

// printCompare prints the comparison table.
func printCompare(w io.Writer, b *spec.Built, sum *spec.CompareSummary) {
	// The loss by its name, but under density weights, where it is not the
	// divergence (see spec.Built.LossSymbol).
	loss := b.Problem.Divergence.Name()
	if sum.LossMeaning != "" {
		loss = "loss " + b.LossSymbol()
	}
	fmt.Fprintf(w, "best %s %s; reached = within %g of it (relative to max(|best|, 1))\n",
		loss, pyFloat(float64(sum.BestLoss)), sum.Tolerance)
	if sum.LossMeaning != "" {
		fmt.Fprintf(w, "(%s)\n", sum.LossMeaning)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "optimizer\tstatus\tepochs\tevaluations\tfinal %s\tepochs to reach\tseconds to reach\n", loss)
	for _, r := range sum.Runs {
		reach, secs := "never", "never"
		if r.EpochsToTarget != nil {
			reach = fmt.Sprint(*r.EpochsToTarget)
		}
		if r.SecondsToTarget != nil {
			secs = fmt.Sprintf("%.4g", *r.SecondsToTarget)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t%s\n", r.Optimizer.Name, r.Status, r.Epochs, r.Evaluations, pyFloat(float64(r.Loss)), reach, secs)
	}
	tw.Flush()
}

// humanWriter is where lines for people go.
func humanWriter(ios *IOStreams, json, quiet bool) io.Writer {
	switch {
	case quiet:
		return io.Discard
	case json:
		return ios.ErrOut
	}
	return ios.Out
}
