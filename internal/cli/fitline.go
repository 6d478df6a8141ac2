package cli

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/klfit/klfit/grid"
	"github.com/klfit/klfit/spec"
)

// lineOptions describe a fit by flags, without a spec file.
type lineOptions struct {
	Target     string
	Model      string
	Grid       string
	Divergence string
	// divergenceSet says that --divergence was given.
	divergenceSet bool
	Report        []string
	Epochs        int
	Optimizer     string
	PrintSpec     bool
}

const lineHelp = `Without a spec file, --target and --model describe the fit in the one-line
syntax, and the other flags fill in the rest of the spec:

  klfit fit --target 'normal(mean=0, variance=7)' --model 'normal(mean=5, variance=1)'
  klfit fit --target '0.3*normal(mean=-2, variance=1) + 0.7*normal(mean=3, variance=0.5)' \
            --model normal --divergence reverse_kl --report js --report hellinger
  klfit fit --target 'samples(data.csv, column=x)' --model normal --grid -5:5:0.01
  klfit fit --target 'expr("exp(-x^2/2) * (1 + sin(3*x)^2)")' --model normal --print-spec
  klfit fit --target '0.3*normal(mean=-3, variance=1) + 0.7*normal(mean=2, variance=0.5)' \
            --model 'mixture(components=2, component=normal)' --grid -10:10:0.02

Targets: a family, a mixture (weights summing to 1), expr("formula of x"),
table(file.csv), samples(file.csv, column=x, estimator=histogram|kde,
bandwidth=scott|silverman|number, skip_invalid=true), histogram(bins.csv)
(lo,hi,count), sql("SELECT ..."), postgres("SELECT ...").
Models: a family, with initial parameters if wanted (normal or
normal(mean=5, variance=1)); a mixture with its settings as a spec's model
takes them, mixture(components=2, component=normal), initial parameters
if wanted (weights=[0.5, 0.5], mean=[-1, 1], variance=[1, 1]); or a sum of
weighted members of one family, 0.5*normal(mean=-1, variance=1) +
0.5*normal(mean=1, variance=1): that mixture, started there. A model
without parameters starts where a spec without init does: at the member
matching the target's moments (a mixture spreads its components over the
target). Without --grid
the grid is chosen to hold the target's mass (500 to 1000 cells of a round
step); samples and sql targets need --grid; a postgres target's grid spans
the range of its samples (one more scan in the database).
`

func (o *lineOptions) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVarP(&o.Target, "target", "t", "", "the target in the one-line syntax, instead of a spec file")
	f.StringVarP(&o.Model, "model", "m", "", "the model in the one-line syntax: normal, 'normal(mean=0, variance=1)', 'mixture(components=2, component=normal)' or '0.5*normal(mean=-1, variance=1) + 0.5*normal(mean=1, variance=1)'")
	f.StringVar(&o.Grid, "grid", "", "the grid as `START:STOP:STEP` (NumPy's arange); default: chosen from the target")
	f.StringVarP(&o.Divergence, "divergence", "d", "kl", "the divergence minimized, e.g. kl, reverse_kl, js, 'renyi(alpha=0.5)' (a Monte Carlo fit: reverse_kl for a log-density, kl for samples)")
	f.StringArrayVar(&o.Report, "report", nil, "a divergence to record alongside, as an extra history column (repeatable)")
	f.IntVar(&o.Epochs, "epochs", spec.DefaultEpochs, "optimizer steps")
	f.StringVar(&o.Optimizer, "optimizer", "", "the optimizer with its settings, e.g. 'gd(learning_rate=0.1)' or 'momentum(nesterov=true)' (default: lbfgs, as in a spec)")
	f.BoolVar(&o.PrintSpec, "print-spec", false, "print the spec these flags describe (YAML) and exit")
}

// flagError names the flag behind a spec error of a fit given by flags:
// "--model: init.variance: must be > 0, got -1" rather than the spec key.
func flagError(err error) error {
	var se *spec.Error
	if !errors.As(err, &se) || se.Key == "" {
		return err
	}
	section, rest, _ := strings.Cut(se.Key, ".")
	section, _, _ = strings.Cut(section, "[") // report[1]: the second --report
	flag := map[string]string{"target": "--target", "model": "--model", "optimizer": "--optimizer", "epochs": "--epochs",
		"stop": "--epochs", "grid": "--grid", "divergence": "--divergence", "report": "--report"}[section]
	if flag == "" {
		return err
	}
	if rest != "" {
		return fmt.Errorf("%s: %s: %s", flag, rest, se.Msg)
	}
	return fmt.Errorf("%s: %s", flag, se.Msg)
}

// spec builds the spec the flags describe.
func (o *lineOptions) spec() (*spec.Spec, error) {
	t, err := spec.ParseTarget(o.Target)
	if err != nil {
		return nil, fmt.Errorf("--target: %w", err)
	}
	s := &spec.Spec{Target: t, Epochs: o.Epochs}
	if _, mc := s.MonteCarlo(); mc && !o.divergenceSet {
		// the spec's default: reverse_kl for a log-density, kl for samples
	} else if s.Divergence, err = spec.ParseDivergence(o.Divergence); err != nil {
		return nil, fmt.Errorf("--divergence: %w", err)
	}
	for _, r := range o.Report {
		d, err := spec.ParseDivergence(r)
		if err != nil {
			return nil, fmt.Errorf("--report: %w", err)
		}
		s.Report = append(s.Report, d)
	}
	if o.Optimizer != "" { // else the spec's default
		if s.Optimizer, err = spec.ParseOptimizer(o.Optimizer); err != nil {
			return nil, fmt.Errorf("--optimizer: %w", err)
		}
	}
	if o.Grid != "" { // else the spec's default: chosen from the target
		if s.Grid, err = parseGridFlag(o.Grid); err != nil {
			return nil, err
		}
	}
	if s.Model, err = spec.ParseModel(o.Model); err != nil {
		return nil, fmt.Errorf("--model: %w", err)
	}
	if m := s.Model; m.Family == "mixture" && m.Components == 0 {
		return nil, fmt.Errorf("--model: a mixture model needs the number of its components and their family, as in 'mixture(components=2, component=normal)'")
	}
	// A model without parameters gets the spec's guessed start (see dist.Guess).
	return s, nil
}

// parseGridFlag reads START:STOP:STEP, or circular:POINTS for angles.
func parseGridFlag(v string) (spec.Grid, error) {
	if rest, ok := strings.CutPrefix(v, "circular:"); ok {
		n, err := strconv.Atoi(strings.TrimSpace(rest))
		if err != nil {
			return spec.Grid{}, fmt.Errorf("--grid: circular:POINTS takes a whole number of points, got %q", rest)
		}
		if _, err := grid.Circle(n); err != nil {
			return spec.Grid{}, fmt.Errorf("--grid: %w", err)
		}
		return spec.Grid{Circular: true, Points: n}, nil
	}
	parts := strings.Split(v, ":")
	if len(parts) != 3 {
		return spec.Grid{}, fmt.Errorf("--grid: want START:STOP:STEP, e.g. -10:10:0.1, or circular:POINTS, got %q", v)
	}
	var f [3]float64
	for i, p := range parts {
		x, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return spec.Grid{}, fmt.Errorf("--grid: %q is not a number", p)
		}
		f[i] = x
	}
	if _, err := grid.Arange(f[0], f[1], f[2]); err != nil {
		return spec.Grid{}, fmt.Errorf("--grid: %w", err)
	}
	return spec.Grid{Start: f[0], Stop: f[1], Step: f[2]}, nil
}

// printWarnings prints the build's warnings on stderr.
func printWarnings(ios *IOStreams, b *spec.Built, quiet bool) {
	if quiet {
		return
	}
	for _, w := range b.Warnings {
		fmt.Fprintln(ios.ErrOut, "klfit: warning: "+w)
	}
}

// readingProgress returns a progress indicator for data files on a
// terminal (stderr), or nil.
func readingProgress(ios *IOStreams, quiet bool) func(path string, done, total int64) {
	if !ios.ErrTTY || quiet {
		return nil
	}
	var last time.Time
	return func(path string, done, total int64) {
		now := time.Now()
		final := total > 0 && done >= total
		if !final && now.Sub(last) < 200*time.Millisecond {
			return
		}
		last = now
		if total > 0 {
			fmt.Fprintf(ios.ErrOut, "\rreading %s: %3.0f%% (%.1f of %.1f MB)", path, 100*float64(done)/float64(total), float64(done)/1e6, float64(total)/1e6)
		} else {
			fmt.Fprintf(ios.ErrOut, "\rreading %s: %.1f MB", path, float64(done)/1e6)
		}
		if final {
			fmt.Fprint(ios.ErrOut, "\r\033[K")
		}
	}
}

// databaseProgress returns a progress indicator for the queries of a
// postgres target on a terminal (stderr), or nil.
func databaseProgress(ios *IOStreams, quiet bool) func(stage string, elapsed time.Duration, done bool) {
	if !ios.ErrTTY || quiet {
		return nil
	}
	return func(stage string, elapsed time.Duration, done bool) {
		if done {
			fmt.Fprint(ios.ErrOut, "\r\033[K")
			return
		}
		fmt.Fprintf(ios.ErrOut, "\rPostgreSQL: %s... %.1f s (Ctrl-C cancels)\033[K", stage, elapsed.Seconds())
	}
}
