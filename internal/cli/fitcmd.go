package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/spec"
)

type fitOptions struct {
	SpecPath  string
	Out       string
	JSON      bool
	Quiet     bool
	NoFigures bool
	// Line describes a fit given by flags instead of a spec file.
	Line lineOptions

	Checkpoint      string
	CheckpointEvery int
	Resume          string

	Compare string
	LRFind  lrFindOptions

	// DSN and StatementTimeout set a postgres target's connection and
	// statement timeout.
	DSN              string
	StatementTimeout time.Duration
}

func newFitCmd(ios *IOStreams) *cobra.Command {
	o := &fitOptions{}
	cmd := &cobra.Command{
		Use:   "fit [SPEC.yaml]",
		Short: "Run the fit a spec file (or --target and --model) describes",
		Long: `fit runs the fit described by a spec file (YAML, or JSON with the same keys;
"-" reads standard input) and writes history.csv, summary.json and the
figures into --out.

A spec, in full (klfit demo --print-spec prints this one):

  grid: {start: -10, stop: 10, step: 0.1}   # numpy's arange: 200 points
  target:
    family: normal
    params: {mean: 0, variance: 7}
  target_weights: density      # raw density values; default: normalized
  divergence: kl               # forward KL(P||Q) = sum P log(P/Q), P the target
  model:
    family: normal
    init: {mean: 5, variance: 1}
    parameterization: raw      # the parameters themselves; default: unconstrained
  optimizer: {name: gd, learning_rate: 0.01}
  epochs: 1000

klfit families lists the families a target or a model can be, with their
parameters; klfit families NAME shows one with an example spec.

Spec errors name the key and the line, and exit with code 2.

--checkpoint FILE writes the fit's state (parameters, optimizer state,
history) to FILE every --checkpoint-every epochs and when the fit ends;
klfit fit --resume FILE continues it exactly (with SPEC, or --target and
the flags describing the fit, the same fit with other epochs or stopping
rules).

A postgres("SELECT ...") target (or target: {postgres: ...}) runs its query in
PostgreSQL, binning there: only the histogram crosses the network. The
connection comes from --dsn (or dsn: in the spec) and libpq's environment
(PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD, PGSSLMODE, ~/.pgpass); the
password is never printed or recorded. Ctrl-C cancels the query in the
database.

--compare gd,momentum,adam,lbfgs runs the fit under each optimizer, in
parallel, and compares them; --lr-find sweeps the learning rate.

Beyond the grid: a target in more than two dimensions, a log-density
(target: {log_density: "-x1^2/2 - (x2 - x1^2)^2", dims: 2}) or samples in
several columns (target: {samples: data.csv, columns: [a, b, c]}) is fitted
by Monte Carlo, with a normal model (mvnormal or mvnormal_diag) and
estimator: {name: monte_carlo, samples: 256, seed: 0}; summary.json then
has diagnostics (ELBO, log Z, Pareto k̂), and a k̂ above its threshold
prints a warning.

` + lineHelp + "\n" + divergenceHelp(),
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageError(fmt.Errorf("fit takes one spec file, got %d arguments (%s)", len(args), strings.Join(args, " ")))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.SpecPath = args[0]
			}
			o.Line.divergenceSet = cmd.Flags().Changed("divergence")
			if err := o.checkSource(cmd); err != nil {
				return err
			}
			return runFit(cmd.Context(), ios, o)
		},
	}
	o.Line.addFlags(cmd)
	cmd.Flags().StringVar(&o.Out, "out", "klfit-out", "output `directory`")
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print summary.json's content on stdout and nothing else there")
	cmd.Flags().BoolVarP(&o.Quiet, "quiet", "q", false, "print nothing but errors")
	cmd.Flags().BoolVar(&o.NoFigures, "no-figures", false, "write history.csv and summary.json only")
	cmd.Flags().StringVar(&o.Checkpoint, "checkpoint", "", "write the fit's state to `FILE` as it runs and when it ends")
	cmd.Flags().IntVar(&o.CheckpointEvery, "checkpoint-every", 100, "epochs between checkpoints (0: only when the fit ends)")
	cmd.Flags().StringVar(&o.Resume, "resume", "", "continue the fit saved in checkpoint `FILE`")
	cmd.Flags().StringVar(&o.DSN, "dsn", "", "PostgreSQL connection `string` of a postgres target (URL or key=value; default: libpq's PG* variables)")
	cmd.Flags().DurationVar(&o.StatementTimeout, "statement-timeout", 0, "bound on each query of a postgres target (default 15m; e.g. 30s, 2h)")
	cmd.Flags().StringVar(&o.Compare, "compare", "", "run the fit under each optimizer of a comma-separated `list` and compare them")
	o.LRFind.addFlags(cmd)
	return cmd
}

// checkSource refuses flags that do not go with where the fit comes from:
// a spec file, --target and the flags describing the fit with it, or a
// checkpoint's own spec (--resume alone).
func (o *fitOptions) checkSource(cmd *cobra.Command) error {
	if o.Line.Target != "" {
		if o.SpecPath != "" {
			return usageError(fmt.Errorf("give a spec file or --target, not both"))
		}
		if o.Line.Model == "" {
			return usageError(fmt.Errorf("--model: give the model family, e.g. --model normal"))
		}
		return nil
	}
	if o.SpecPath == "" && o.Resume == "" {
		return usageError(fmt.Errorf("give a spec file, or --target and --model"))
	}
	with := "with a spec file, set it in the spec"
	if o.SpecPath == "" {
		with = "--resume alone continues the fit its checkpoint holds (to change its epochs or stop, give its spec file, changed, or its --target and --model with the other flags)"
	}
	for _, name := range lineFlags {
		if cmd.Flags().Changed(name) {
			return usageError(fmt.Errorf("--%s describes a fit given by --target; %s", name, with))
		}
	}
	return nil
}

// lineFlags are the flags that describe a fit given by --target (see
// lineOptions), besides --target itself.
var lineFlags = []string{"model", "grid", "divergence", "report", "epochs", "optimizer", "print-spec"}

// fitSource is the spec of a fit and where it came from: a spec file,
// the flags (--target and --model), or a checkpoint's own spec (--resume
// alone).
type fitSource struct {
	spec *spec.Spec
	// dir is the directory the spec's data file names are read from ("":
	// the working directory).
	dir string
	// name names the spec in messages; flags says it came from the flags,
	// whose errors name the flag instead; checkpoint says it is the
	// checkpoint's own.
	name       string
	flags      bool
	checkpoint bool
}

// wrap says where an error of the spec comes from: its file, or the flag.
func (src *fitSource) wrap(err error) error {
	if src.flags {
		return flagError(err)
	}
	return fmt.Errorf("%s: %w", src.name, err)
}

// source reads the fit's spec from where o says it is: the flags, the
// spec file, or the checkpoint cp resumes.
func (o *fitOptions) source(ios *IOStreams, cp *fit.Checkpoint) (*fitSource, error) {
	switch {
	case o.Line.Target != "":
		s, err := o.Line.spec()
		if err != nil {
			return nil, err
		}
		return &fitSource{spec: s, name: "the fit --target and --model describe", flags: true}, nil
	case o.SpecPath != "":
		data, err := readSpec(ios, o.SpecPath)
		if err != nil {
			return nil, err
		}
		src := &fitSource{name: o.SpecPath}
		if o.SpecPath != "-" {
			src.dir = filepath.Dir(o.SpecPath)
		}
		if src.spec, err = spec.Parse(data); err != nil {
			return nil, src.wrap(err)
		}
		return src, nil
	}
	if cp.Spec == "" {
		return nil, fmt.Errorf("%s: the checkpoint holds no spec; give the spec file too", o.Resume)
	}
	// The checkpoint's own spec names files from where it is.
	src := &fitSource{name: o.Resume + " (its spec)", dir: filepath.Dir(o.Resume), checkpoint: true}
	var err error
	if src.spec, err = spec.Parse([]byte(cp.Spec)); err != nil {
		return nil, src.wrap(err)
	}
	return src, nil
}

// runFit runs the fit o describes, from whichever source (see
// fitOptions.source): every flag but those describing the fit (see
// checkSource) applies alike to a spec file, to --target and to a
// checkpoint's own spec.
func runFit(ctx context.Context, ios *IOStreams, o *fitOptions) error {
	modes := 0
	for _, on := range []bool{o.Resume != "" || o.Checkpoint != "", o.Compare != "", o.LRFind.On} {
		if on {
			modes++
		}
	}
	if modes > 1 {
		return usageError(fmt.Errorf("--compare, --lr-find and --checkpoint/--resume do not go together"))
	}
	if o.CheckpointEvery < 0 {
		return usageError(fmt.Errorf("--checkpoint-every must be >= 0, got %d", o.CheckpointEvery))
	}
	var cp *fit.Checkpoint
	if o.Resume != "" {
		var err error
		if cp, err = fit.ReadCheckpoint(o.Resume); err != nil {
			return usageError(err)
		}
	}
	src, err := o.source(ios, cp)
	if err != nil {
		return usageError(err)
	}
	s := src.spec
	env := spec.Env{Progress: readingProgress(ios, o.Quiet), Dir: src.dir}
	if err := o.database(ios, s, &env); err != nil {
		return usageError(err)
	}
	if o.Line.PrintSpec {
		_, err := ios.Out.Write(s.YAML())
		return err
	}
	b, err := s.Build(ctx, env) // a signal stops a slow build as it stops a fit
	if err != nil {
		return buildError(ctx, src.wrap(err))
	}
	if cp != nil {
		if err := sameFit(cp, b.Spec, src, o.Resume); err != nil {
			return usageError(err)
		}
	}
	printWarnings(ios, b, o.Quiet)
	if err := gridOnly(b, o); err != nil {
		return err
	}
	switch {
	case o.Compare != "":
		return runCompare(ctx, ios, b, o)
	case o.LRFind.On:
		return runLRFind(ctx, ios, b, o)
	}
	return runBuilt(ctx, ios, b, runOptions{Out: o.Out, DataDir: env.Dir, JSON: o.JSON, Quiet: o.Quiet, NoFigures: o.NoFigures,
		Checkpoint: o.Checkpoint, CheckpointEvery: o.CheckpointEvery, Resume: cp})
}

// database applies --dsn and --statement-timeout to a postgres target,
// and gives its queries the command's context and a progress indicator.
func (o *fitOptions) database(ios *IOStreams, s *spec.Spec, env *spec.Env) error {
	if o.StatementTimeout < 0 {
		return fmt.Errorf("--statement-timeout must be >= 0, got %v", o.StatementTimeout)
	}
	if s.Target.Kind() != "postgres" {
		if o.DSN != "" {
			return fmt.Errorf("--dsn is the connection of a postgres target, and this target is %s", s.Target.Kind())
		}
		if o.StatementTimeout != 0 {
			return fmt.Errorf("--statement-timeout bounds the queries of a postgres target, and this target is %s", s.Target.Kind())
		}
		return nil
	}
	if o.DSN != "" {
		s.Target.DSN = o.DSN
	}
	if o.StatementTimeout > 0 {
		s.Target.StatementTimeout = o.StatementTimeout.Seconds()
	}
	env.DatabaseProgress = databaseProgress(ios, o.Quiet)
	return nil
}

// sameFit refuses a spec that would not continue the fit the checkpoint
// (read from the file resume) holds: one that differs from the
// checkpoint's spec in anything but its epochs and stopping rules (a
// resumed fit takes the steps the fit never stopped would have, and its
// spec.yaml must run it again), or whose epochs the checkpoint has
// already passed. The target, grid, model and divergence are held to it
// again by the loss at the checkpoint's state (see fit.Options.Resume).
func sameFit(cp *fit.Checkpoint, now *spec.Spec, src *fitSource, resume string) error {
	if now.Epochs < cp.Epoch {
		return fmt.Errorf("%s is at epoch %d, past the spec's epochs: %d", resume, cp.Epoch, now.Epochs)
	}
	if cp.Spec == "" || src.checkpoint {
		return nil // the checkpoint's own spec, or none to compare
	}
	was, err := spec.Parse([]byte(cp.Spec))
	if err != nil {
		return fmt.Errorf("%s: its spec: %w", resume, err)
	}
	// Both with their files' paths made absolute, and without the keys a
	// resumed fit may change.
	canon := func(s *spec.Spec, dir string) []string {
		c := specFrom(s, dir, "/")
		c.Epochs, c.Stop = 0, spec.Stop{}
		return strings.Split(string(c.YAML()), "\n")
	}
	a, b := canon(was, filepath.Dir(resume)), canon(now, src.dir)
	for i := range max(len(a), len(b)) {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			return fmt.Errorf("%s is not the fit %s holds: %q where it has %q; a resumed fit goes on exactly, so only epochs and stop may change (start a new fit to change the rest)",
				src.name, resume, strings.TrimSpace(y), strings.TrimSpace(x))
		}
	}
	return nil
}

// buildError is a failed build's error: interrupted (130, or 143 after
// SIGTERM) when a signal cancelled it (a slow formula, a large file, a
// query, which the database then cancels), else bad input.
func buildError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return &ExitError{Code: ExitInterrupted, Err: fmt.Errorf("interrupted while building the fit: %w", err)}
	}
	return usageError(err)
}

func readSpec(ios *IOStreams, path string) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(ios.In)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the spec: %w", err)
	}
	return data, nil
}
