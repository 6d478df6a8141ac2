package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

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

` + lineHelp + "\n" + divergenceHelp(),
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return runFitLine(cmd.Context(), ios, o) // see fitline.go
			}
			if o.Line.Target != "" {
				return usageError(fmt.Errorf("give a spec file or --target, not both"))
			}
			o.SpecPath = args[0]
			return runFit(cmd.Context(), ios, o)
		},
	}
	o.Line.addFlags(cmd)
	cmd.Flags().StringVar(&o.Out, "out", "klfit-out", "output `directory`")
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print summary.json's content on stdout and nothing else there")
	cmd.Flags().BoolVarP(&o.Quiet, "quiet", "q", false, "print nothing but errors")
	cmd.Flags().BoolVar(&o.NoFigures, "no-figures", false, "write history.csv and summary.json only")
	return cmd
}

func runFit(ctx context.Context, ios *IOStreams, o *fitOptions) error {
	data, err := readSpec(ios, o.SpecPath)
	if err != nil {
		return usageError(err)
	}
	s, err := spec.Parse(data)
	if err != nil {
		return usageError(fmt.Errorf("%s: %w", o.SpecPath, err))
	}
	if o.SpecPath != "-" {
		s.Dir = filepath.Dir(o.SpecPath)
	}
	s.Progress = readingProgress(ios, o.Quiet)
	b, err := s.Build()
	if err != nil {
		return usageError(fmt.Errorf("%s: %w", o.SpecPath, err))
	}
	printWarnings(ios, b, o.Quiet)
	return runBuilt(ctx, ios, b, runOptions{Out: o.Out, JSON: o.JSON, Quiet: o.Quiet, NoFigures: o.NoFigures})
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
