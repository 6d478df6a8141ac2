package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/klfit/klfit/spec"
)

const defaultDemoDir = "klfit-demo"

type demoOptions struct {
	Out       string
	PrintSpec bool
	JSON      bool
	Quiet     bool
}

func newDemoCmd(ios *IOStreams) *cobra.Command {
	o := &demoOptions{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Reproduce the notebook: fit N(5, 1) to N(0, 7) by gradient descent on its KL loss",
		Long: `demo runs the experiment klfit grew from: a normal q with mean 5 and
variance 1 is pulled onto the target N(0, 7), given as raw density values on
the 200 points of arange(-10, 10, 0.1), by 1000 steps of gradient descent
(learning rate 0.01) on the raw mean and variance, minimizing the notebook's
loss, sum p log(p/Q): the forward KL's sum taken on the raw density values p,
which is c KL(P||Q) + c log c with c = sum p (the final line gives the KL).

It prints the mean and variance after steps 11, 111, ..., 911 as the notebook
did, and writes history.csv, summary.json and the figures into --out.

The demo is a built-in spec: --print-spec prints it, and klfit fit on that
file reproduces the demo exactly.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDemo(cmd.Context(), ios, o)
		},
	}
	o.addFlags(cmd)
	return cmd
}

// addFlags adds the demo's flags to cmd: the demo command and the root
// command, which runs the demo, share them.
func (o *demoOptions) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.Out, "out", defaultDemoDir, "output `directory`")
	cmd.Flags().BoolVar(&o.PrintSpec, "print-spec", false, "print the demo's spec (YAML) and exit")
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print summary.json's content on stdout and nothing else there")
	cmd.Flags().BoolVarP(&o.Quiet, "quiet", "q", false, "print nothing but errors")
}

func runDemo(ctx context.Context, ios *IOStreams, o *demoOptions) error {
	s := spec.Demo()
	if o.PrintSpec {
		_, err := ios.Out.Write(s.YAML())
		return err
	}
	b, err := s.Build(ctx, spec.Env{})
	if err != nil {
		return buildError(ctx, err) // the built-in spec is valid; a test checks it
	}
	return runBuilt(ctx, ios, b, runOptions{Out: o.Out, JSON: o.JSON, Quiet: o.Quiet, Notebook: true})
}
