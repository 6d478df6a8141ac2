package cli

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/plot"
	"github.com/klfit/klfit/spec"
)

// runOptions says where a fit writes and what it prints.
type runOptions struct {
	// Out is the output directory.
	Out string
	// DataDir is the directory the spec's relative data file names are
	// read from ("" for the working directory): spec.yaml names them
	// relative to Out, so that it runs again from there.
	DataDir string
	// JSON prints summary.json's content on stdout and nothing else there.
	JSON bool
	// Quiet prints nothing but errors.
	Quiet bool
	// NoFigures skips the figures.
	NoFigures bool
	// Notebook prints the parameters as bare numbers, like the notebook,
	// instead of labelled lines.
	Notebook bool
	// Checkpoint is the file the fit's state is written to every
	// CheckpointEvery epochs and at its end; empty for none.
	Checkpoint      string
	CheckpointEvery int
	// Resume continues the fit a checkpoint saved.
	Resume *fit.Checkpoint
}

// runBuilt runs a built spec, writes spec.yaml, history.csv, summary.json
// and the figures into o.Out whatever the outcome, and reports. Nothing is
// written before everything that can refuse the command has been checked
// (the checkpoint to resume, the initial state, the directories). The
// returned error carries the exit code.
func runBuilt(ctx context.Context, ios *IOStreams, b *spec.Built, o runOptions) error {
	opts := b.Options()
	opts.Resume = o.Resume
	var specYAML string
	if o.Checkpoint != "" {
		specYAML = string(specFrom(b.Spec, o.DataDir, filepath.Dir(o.Checkpoint)).YAML())
		opts.CheckpointEvery = o.CheckpointEvery
		opts.CheckpointShare = checkpointShare
		opts.Checkpoint = func(cp *fit.Checkpoint) error {
			cp.Spec = specYAML
			return cp.WriteFile(o.Checkpoint)
		}
	}
	loop, err := startLoop(b, opts) // see montecarlo.go
	if err != nil {
		return usageError(err)
	}
	defer loop.Close()
	if r := loop.Result(); r.Status == fit.Diverged {
		// The initial model is not usable (the target has mass where it
		// has none, it is off the grid): bad input, nothing to write.
		return usageError(fmt.Errorf("the initial model cannot be fitted: %w", r.Failure))
	}
	if o.Checkpoint != "" {
		if err := prepareDir(filepath.Dir(o.Checkpoint)); err != nil {
			return usageError(fmt.Errorf("--checkpoint %s: %w", o.Checkpoint, err))
		}
	}
	out, err := openOutDir(o.Out)
	if err != nil {
		return usageError(err)
	}
	if err := out.claim("spec.yaml", "history.csv"); err != nil {
		return usageError(err)
	}
	if err := os.WriteFile(out.path("spec.yaml"), specFrom(b.Spec, o.DataDir, o.Out).YAML(), 0o644); err != nil {
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("writing spec.yaml: %w", err)}
	}
	human := humanWriter(ios, o.JSON, o.Quiet)
	term := newTerminal(ios, human, b, o)
	// history.csv's columns, streamed and written at the end alike.
	loop.History().CSVParams = b.CSVParams()
	stream, err := newHistoryStream(out.path("history.csv"), loop.History(), o.Resume)
	if err != nil {
		return usageError(err)
	}
	res := loop.Run(ctx, term, stream)
	term.finish()
	if serr := stream.Close(); serr != nil {
		fmt.Fprintln(ios.ErrOut, "klfit: warning: streaming history.csv: "+oneLine(serr.Error()))
	}
	if res.CheckpointErr != nil {
		fmt.Fprintln(ios.ErrOut, "klfit: warning: "+oneLine(res.CheckpointErr.Error()))
	}
	sum := spec.NewSummary(b, res)
	monteCarloReport(human, ios.ErrOut, b, res, sum)
	warn := func(err error) { figureWarnings(ios, o.Quiet, err) }
	files, err := writeOutputs(out, b, res, sum, !o.NoFigures, warn)
	files = append([]string{"spec.yaml"}, files...)
	if err == nil && b.MonteCarlo != nil && !o.NoFigures {
		var figs []string
		figs, err = writeMonteCarloFigures(out, b, res, warn)
		files = append(files, figs...)
	}
	if err != nil {
		return &ExitError{Code: ExitFailure, Err: err}
	}
	if o.JSON {
		if _, err := ios.Out.Write(sum.JSON()); err != nil {
			return &ExitError{Code: ExitFailure, Err: err}
		}
	}
	wrote := fmt.Sprintf("wrote %s: %s", o.Out, strings.Join(files, ", "))
	switch res.Status {
	case fit.Diverged:
		fmt.Fprintln(human, wrote)
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("the fit diverged: %w", res.Failure)}
	case fit.Interrupted: // said once, on stderr
		notConverged(ios, res)
		return &ExitError{Code: ExitInterrupted, Err: fmt.Errorf("interrupted after epoch %d; %s", res.Epochs, wrote)}
	}
	if res.Backtracks > 0 {
		fmt.Fprintf(human, "backtracked %d times after a divergence; learning rate now %v\n", res.Backtracks, res.LearningRate)
	}
	why := string(res.Status)
	if res.Status != fit.MaxEpochs {
		why += fmt.Sprintf(": %s %v", res.StopRule, res.StopValue)
	}
	loss := pyFloat(res.Loss())
	if se := lossStdErr(res.History); !math.IsNaN(se) {
		// A Monte Carlo loss is an estimate on the fit's own draws.
		loss += fmt.Sprintf(" ± %.2g (Monte Carlo standard error on the fit's own draws, which fitting on them biases the loss low beyond: the diagnostics' ELBO, on fresh draws, is not)", se)
	}
	fmt.Fprintf(human, "final %s = %s after %d epochs (%s): %s\n", lossSymbol(b),
		loss, res.Epochs, why, formatParams(res.History.Names, res.Theta()))
	if m := b.DensityMeaning(res.Loss(), res.Status == fit.Diverged); m != "" {
		fmt.Fprintf(human, "(%s)\n", m)
	}
	if since := sum.UnchangedSince; since != nil {
		fmt.Fprintf(human, "(the loss and parameters have not changed, to the last bit, since epoch %d: the last %d steps were below the parameters' resolution)\n",
			*since, res.History.Len()-1-*since)
	}
	fmt.Fprintln(human, wrote)
	notConverged(ios, res)
	if res.Status == fit.NoOverlap {
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("the fit did not converge: %w", res.Reason)}
	}
	return nil
}

// notConverged warns, on stderr, of a fit that ended with a status other
// than no_overlap where no_overlap's reason holds (max_epochs, max_time or
// interrupted next to a bounded divergence's largest value); a fit with
// status no_overlap says it in its error.
func notConverged(ios *IOStreams, res *fit.Result) {
	if res.Reason != nil && res.Status != fit.NoOverlap {
		fmt.Fprintln(ios.ErrOut, "klfit: warning: the fit did not converge: "+oneLine(res.Reason.Error()))
	}
}

// historyStream streams history.csv while a fit runs (see fit.CSVStreamer);
// the complete file is written again when the fit ends.
type historyStream struct {
	*fit.CSVStreamer
	f *os.File
}

// newHistoryStream streams the rows of h (the run's own history, whose
// columns, those h.CSVParams selects and the report columns, make the
// header and the rows) to path, starting with those of the checkpoint a
// fit resumes from.
func newHistoryStream(path string, h *fit.History, resume *fit.Checkpoint) (*historyStream, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	s := &historyStream{CSVStreamer: fit.NewCSVStreamerFor(f, h, 0), f: f}
	if resume != nil {
		s.WriteHistory(resume.History)
	}
	return s, nil
}

// Close flushes the stream and closes the file.
func (s *historyStream) Close() error {
	err := s.CSVStreamer.Close()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// writeOutputs writes history.csv, summary.json and (when figures is set)
// the figures into out, and returns the names of the files written. The
// figures that cannot be drawn or written are passed to warn: the fit's
// outcome is not the figures'.
func writeOutputs(out *outDir, b *spec.Built, res *fit.Result, sum *spec.Summary, figures bool, warn func(error)) ([]string, error) {
	dir := out.dir
	var files []string
	// Written to a temporary file and renamed over the streamed one, so
	// that history.csv is whole at every moment.
	hf, err := os.CreateTemp(dir, ".history.csv.tmp-*")
	if err != nil {
		return files, err
	}
	err = hf.Chmod(0o644)
	if err == nil {
		err = res.History.WriteCSV(hf)
	}
	if cerr := hf.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(hf.Name(), filepath.Join(dir, "history.csv"))
	}
	if err != nil {
		os.Remove(hf.Name())
		return files, fmt.Errorf("writing history.csv: %w", err)
	}
	files = append(files, "history.csv")
	if err := out.record("summary.json"); err != nil {
		return files, err
	}
	if err := os.WriteFile(filepath.Join(dir, "summary.json"), sum.JSON(), 0o644); err != nil {
		return files, fmt.Errorf("writing summary.json: %w", err)
	}
	files = append(files, "summary.json")
	if !figures || b.Problem == nil { // a Monte Carlo fit's figures: see montecarlo.go
		return files, nil
	}
	figs := plot.Figures(plot.Input{
		Grid:    b.Problem.Grid,
		Target:  b.TargetDensity(),
		Family:  b.Problem.Family,
		History: res.History,
		Symbol:  b.LossSymbol(),
		Source:  b.Target,
	})
	for _, f := range figs {
		if err := out.record(f.Name+".png", f.Name+".svg"); err != nil {
			return files, err
		}
	}
	paths, err := plot.Save(dir, figs)
	for _, p := range paths {
		files = append(files, filepath.Base(p))
	}
	if err != nil {
		warn(err)
	}
	return files, nil
}

// figureWarnings prints the figures plot.Save or plot.SaveRow could not
// draw or write (err joins one error per figure; nil for none) as
// warnings, one line each, unless quiet: a figure is not the fit's outcome.
func figureWarnings(ios *IOStreams, quiet bool, err error) {
	if err == nil || quiet {
		return
	}
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	for _, e := range errs {
		fmt.Fprintln(ios.ErrOut, "klfit: warning: "+oneLine(e.Error()))
	}
}

// maxPrintedParams bounds the parameters printed on one line; beyond it
// (a categorical model has one per grid point) the first few are printed
// and the rest left to summary.json.
const maxPrintedParams = 12

func formatParams(names []string, theta []float64) string {
	parts := make([]string, 0, len(names))
	for i, n := range names {
		if len(names) > maxPrintedParams && i == 4 {
			parts = append(parts, fmt.Sprintf("... (%d parameters: see summary.json)", len(names)))
			break
		}
		parts = append(parts, n+"="+pyFloat(theta[i]))
	}
	return strings.Join(parts, ", ")
}

// pyFloat formats v as Python's repr does, so that the demo's lines read
// like the notebook's: the shortest digits that read back to v, positional
// for exponents from -4 to 15 (with ".0" on whole numbers), else
// scientific.
func pyFloat(v float64) string {
	s := strconv.FormatFloat(v, 'e', -1, 64)
	i := strings.LastIndexByte(s, 'e')
	if i < 0 { // NaN, Inf
		return s
	}
	exp, _ := strconv.Atoi(s[i+1:])
	if exp < -4 || exp >= 16 {
		return s
	}
	s = strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.ContainsRune(s, '.') {
		s += ".0"
	}
	return s
}

// lossStdErr returns the standard error of the history's last loss, when
// the history records one (a Monte Carlo fit), else NaN.
func lossStdErr(h *fit.History) float64 {
	for j, name := range h.Report {
		if name == "loss_stderr" && h.Len() > 0 {
			return h.ReportRow(h.Len() - 1)[j]
		}
	}
	return math.NaN()
}

// specFrom returns s with its data file names (read relative to dataDir)
// made relative to dir, where spec.yaml is written, or absolute when they
// cannot be: `klfit fit DIR/spec.yaml` reads the same files.
func specFrom(s *spec.Spec, dataDir, dir string) *spec.Spec {
	c := *s
	move := func(name string) string {
		if name == "" || filepath.IsAbs(name) {
			return name
		}
		abs, err := filepath.Abs(filepath.Join(dataDir, name))
		if err != nil {
			return name
		}
		absDir, err := filepath.Abs(dir)
		if err != nil {
			return abs
		}
		if rel, err := filepath.Rel(absDir, abs); err == nil {
			return rel
		}
		return abs
	}
	c.Target.Samples, c.Target.Table, c.Target.Histogram = move(c.Target.Samples), move(c.Target.Table), move(c.Target.Histogram)
	return &c
}

// checkpointShare is the share of a fit's time its periodic checkpoints
// may take (see fit.Options.CheckpointShare): a checkpoint holds the whole
// history, and a long fit's would otherwise cost the square of its epochs.
const checkpointShare = 0.1
