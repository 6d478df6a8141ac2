// Package cli implements the klfit command: its subcommands, flags, exit
// codes and terminal output. Each command has an options struct filled
// from flags and a run function that takes it, so tests call run directly.
package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/klfit/klfit/internal/suggest"
)

// Exit codes.
const (
	ExitOK          = 0
	ExitFailure     = 1   // the fit failed: it diverged
	ExitUsage       = 2   // bad input: flags, spec, files
	ExitInterrupted = 130 // stopped by Ctrl-C (SIGINT)
	ExitTerminated  = 143 // stopped by SIGTERM (kill, timeout, a service manager)
)

// signalCause is the cause of a context cancelled by a signal.
type signalCause struct{ sig os.Signal }

func (c signalCause) Error() string { return "received " + c.sig.String() }

// interruptedCode returns the exit code of a command that a signal
// stopped: 143 after SIGTERM, 130 after SIGINT (or a cancelled context).
func interruptedCode(ctx context.Context) int {
	var sc signalCause
	if errors.As(context.Cause(ctx), &sc) && sc.sig == syscall.SIGTERM {
		return ExitTerminated
	}
	return ExitInterrupted
}

// ExitError carries an exit code with its error.
type ExitError struct {
	Code int
	Err  error
}

// Error implements error.
func (e *ExitError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *ExitError) Unwrap() error { return e.Err }

func usageError(err error) error { return &ExitError{Code: ExitUsage, Err: err} }

// Main runs klfit with args (without the program name) and returns the exit
// code. SIGINT and SIGTERM cancel a running fit, which then writes what it
// computed; a second signal kills the process.
func Main(args []string) int {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-sigs
		signal.Stop(sigs) // a second signal gets the default behaviour
		cancel(signalCause{sig})
	}()
	return Run(ctx, args, System())
}

// Run runs klfit with args on the given streams and returns the exit code.
// Errors are printed on ios.ErrOut as one line.
func Run(ctx context.Context, args []string, ios *IOStreams) int {
	root := NewRootCmd(ios)
	if args == nil {
		args = []string{} // cobra reads os.Args for nil
	}
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	fmt.Fprintln(ios.ErrOut, "klfit: "+oneLine(err.Error()))
	var ee *ExitError
	if errors.As(err, &ee) {
		if ee.Code == ExitInterrupted {
			return interruptedCode(ctx)
		}
		return ee.Code
	}
	return ExitUsage // cobra's own errors: unknown commands and flags
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", "; ")), " ")
}

// NewRootCmd returns the klfit command with its subcommands.
func NewRootCmd(ios *IOStreams) *cobra.Command {
	demo := &demoOptions{}
	root := &cobra.Command{
		Use:   "klfit",
		Short: "Fit a distribution to another by minimizing a divergence",
		Long: `klfit fits a model distribution q to a target p by minimizing a divergence
with gradient methods, records every step, and draws how it got there.

Run without a command, it runs the demo (klfit demo) and takes its flags.

Exit codes: 0 success, 1 the fit diverged (or a stopping rule ended it where
a bounded divergence is next to its largest value: no_overlap), 2 bad input
(flags, spec, files), 130 interrupted (Ctrl-C), 143 stopped by SIGTERM; an
interrupted or diverged fit still writes everything it computed.

klfit completion bash|zsh|fish prints a completion script for the shell
(klfit completion bash --help says where it goes).`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       readBuildInfo().String(),
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return nil
			}
			msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
			if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
				msg += "; did you mean " + strings.Join(s, " or ") + "?"
			}
			return usageError(errors.New(msg))
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDemo(cmd.Context(), ios, demo)
		},
	}
	demo.addFlags(root)
	root.SetOut(ios.Out)
	root.SetErr(ios.ErrOut)
	root.SuggestionsMinimumDistance = 2
	root.SetVersionTemplate("{{.Version}}")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error { return usageError(flagHint(cmd, err)) })
	root.AddCommand(newDemoCmd(ios), newFitCmd(ios), newBenchCmd(ios), newDivCmd(ios), newFamiliesCmd(ios), newServeCmd(ios),
		newVersionCmd(ios))
	addCompletions(root)
	return root
}

// flagHint adds the closest flag of cmd to an unknown flag's error:
// "unknown flag: --epoch; did you mean --epochs?".
func flagHint(cmd *cobra.Command, err error) error {
	name, ok := strings.CutPrefix(err.Error(), "unknown flag: --")
	if !ok {
		return err
	}
	name, _, _ = strings.Cut(name, "=")
	var flags []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) { flags = append(flags, f.Name) })
	if c := suggest.Closest(name, flags); c != "" {
		return fmt.Errorf("%w; did you mean --%s?", err, c)
	}
	return err
}
