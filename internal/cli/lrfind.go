package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/plot"
	"github.com/klfit/klfit/spec"
)

// lrFindOptions are the flags of a learning-rate sweep.
type lrFindOptions struct {
	On        bool
	Min, Max  float64
	PerDecade int
	Epochs    int
}

func (o *lrFindOptions) addFlags(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&o.On, "lr-find", false, "sweep the learning rate on a log scale and suggest one")
	cmd.Flags().Float64Var(&o.Min, "lr-min", 1e-5, "smallest learning rate of the sweep")
	cmd.Flags().Float64Var(&o.Max, "lr-max", 10, "largest learning rate of the sweep")
	cmd.Flags().IntVar(&o.PerDecade, "lr-per-decade", 3, "learning rates per factor of ten")
	cmd.Flags().IntVar(&o.Epochs, "lr-find-epochs", 50, "epochs at each learning rate")
}

// runLRFind sweeps the learning rate of b's optimizer, writes lr_find.csv,
// the lr_find figure and summary.json into OUT, and prints the sweep and
// the suggested rate.
func runLRFind(ctx context.Context, ios *IOStreams, b *spec.Built, o *fitOptions) error {
	lo := o.LRFind
	if !hasLR(b.Spec) {
		return usageError(fmt.Errorf("--lr-find: the %s optimizer has no learning rate; name one that has, e.g. optimizer: {name: adam} in a spec, --optimizer adam with --target", b.Spec.Optimizer.Name))
	}
	if lo.Epochs < 1 {
		return usageError(fmt.Errorf("--lr-find-epochs must be >= 1, got %d", lo.Epochs))
	}
	rates, err := fit.LRRates(lo.Min, lo.Max, lo.PerDecade)
	if err != nil {
		return usageError(fmt.Errorf("--lr-find: %w", err))
	}
	trials := make(map[float64]fit.Trial, len(rates))
	for _, r := range rates {
		bi, err := b.WithLearningRate(r, lo.Epochs)
		if err != nil {
			return usageError(fmt.Errorf("--lr-find: learning rate %v: %w", r, err))
		}
		trials[r] = fit.Trial{Problem: bi.Problem, Options: bi.Options()}
	}
	out, err := openOutDir(o.Out)
	if err != nil {
		return usageError(err)
	}
	if err := out.claim("lr_find.csv", "lr_find.png", "lr_find.svg", "summary.json"); err != nil {
		return usageError(err)
	}
	human := humanWriter(ios, o.JSON, o.Quiet)
	fmt.Fprintf(human, "sweeping %s's learning rate: %d rates from %v to %v, %d epochs each\n",
		b.Spec.Optimizer.Name, len(rates), rates[0], rates[len(rates)-1], lo.Epochs)
	pts, suggest, err := fit.LRFind(ctx, rates, func(r float64) fit.Trial { return trials[r] })
	if err != nil {
		return usageError(err)
	}
	sum := spec.NewLRFindSummary(b.Spec, lo.Epochs, pts, suggest)

	files := []string{"lr_find.csv"}
	if err := os.WriteFile(filepath.Join(o.Out, "lr_find.csv"), lrFindCSV(pts), 0o644); err != nil {
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("writing lr_find.csv: %w", err)}
	}
	if !o.NoFigures {
		paths, err := plot.Save(o.Out, []plot.Figure{plot.LRFindFigure(pts, suggest)})
		for _, p := range paths {
			files = append(files, filepath.Base(p))
		}
		figureWarnings(ios, o.Quiet, err)
	}
	if err := writeSummary(ios, o.Out, sum.JSON(), o.JSON); err != nil {
		return err
	}
	files = append(files, "summary.json")
	tw := tabwriter.NewWriter(human, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "learning_rate\tstatus\tinitial\tfinal\tstable\n")
	for _, p := range pts {
		fmt.Fprintf(tw, "%.4g\t%s\t%s\t%s\t%v\n", p.Rate, p.Status, pyFloat(p.Initial), pyFloat(p.Final), p.Stable)
	}
	tw.Flush()
	wrote := fmt.Sprintf("wrote %s: %s", o.Out, strings.Join(files, ", "))
	if sum.Interrupted {
		done := 0
		for _, p := range pts {
			if p.Status != fit.Interrupted {
				done++
			}
		}
		return &ExitError{Code: ExitInterrupted, Err: fmt.Errorf("interrupted with %d of %d rates finished: no learning rate suggested; %s", done, len(pts), wrote)}
	}
	if suggest < 0 {
		fmt.Fprintln(human, "no learning rate was stable: try a smaller --lr-min")
	} else {
		msg := fmt.Sprintf("suggested learning_rate: %s (the largest stable rate that ends lower than every smaller one)", strconv.FormatFloat(pts[suggest].Rate, 'g', 4, 64))
		if suggest == len(pts)-1 {
			msg += "; every larger rate is untried: try a larger --lr-max"
		}
		fmt.Fprintln(human, msg)
	}
	fmt.Fprintln(human, wrote)
	return nil
}

func hasLR(s *spec.Spec) bool {
	for _, o := range s.Optimizer.Settings {
		if o.Name == "learning_rate" {
			return true
		}
	}
	return false
}

// lrFindCSV writes the sweep as CSV, numbers in their shortest round-trip
// form.
func lrFindCSV(pts []fit.LRPoint) []byte {
	b := []byte("learning_rate,status,epochs,initial_loss,final_loss,max_loss,stable\n")
	for _, p := range pts {
		b = strconv.AppendFloat(b, p.Rate, 'g', -1, 64)
		b = append(b, ',')
		b = append(b, p.Status...)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(p.Epochs), 10)
		for _, v := range []float64{p.Initial, p.Final, p.Max} {
			b = append(b, ',')
			b = strconv.AppendFloat(b, v, 'g', -1, 64)
		}
		b = append(b, ',')
		b = strconv.AppendBool(b, p.Stable)
		b = append(b, '\n')
	}
	return b
}

// writeSummary writes a summary's JSON as dir/summary.json and, for
// --json, on stdout.
func writeSummary(ios *IOStreams, dir string, data []byte, toStdout bool) error {
	if err := os.WriteFile(filepath.Join(dir, "summary.json"), data, 0o644); err != nil {
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("writing summary.json: %w", err)}
	}
	if toStdout {
		if _, err := ios.Out.Write(data); err != nil {
			return &ExitError{Code: ExitFailure, Err: err}
		}
	}
	return nil
}
