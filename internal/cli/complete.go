package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/klfit/klfit/bench"
	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/divergence"
	"github.com/klfit/klfit/fit"
)

// addCompletions teaches klfit completion's scripts the names klfit
// knows: families, divergences, optimizers and bench cases after the flags
// and arguments that take them, and spec files (.yaml, .yml, .json) after
// klfit fit.
func addCompletions(root *cobra.Command) {
	// cobra's completion command prints its help for a shell it does not
	// know, and exits 0: say so, as for any bad argument.
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			c.Args = cobra.ArbitraryArgs
			c.RunE = func(cmd *cobra.Command, args []string) error {
				if len(args) == 0 {
					return cmd.Help()
				}
				return usageError(fmt.Errorf("completion: no script for the shell %q (known: bash, zsh, fish, powershell)", args[0]))
			}
		}
	}
	families := listed(dist.Names)
	divergences := listed(divergence.Names)
	optimizers := listed(fit.OptimizerNames)
	cases := listed(func() []string {
		var n []string
		for _, c := range bench.Cases() {
			n = append(n, c.Name)
		}
		return n
	})
	for _, cmd := range root.Commands() {
		switch cmd.Name() {
		case "fit":
			cmd.ValidArgsFunction = func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
				return []string{"yaml", "yml", "json"}, cobra.ShellCompDirectiveFilterFileExt
			}
			register(cmd, "target", families)
			register(cmd, "model", families)
			register(cmd, "divergence", divergences)
			register(cmd, "report", divergences)
			register(cmd, "optimizer", optimizers)
			register(cmd, "compare", list(optimizers))
		case "div":
			cmd.ValidArgsFunction = families
			register(cmd, "divergence", divergences)
			register(cmd, "method", fixed("auto", "closed", "grid", "mc"))
		case "families":
			cmd.ValidArgsFunction = func(c *cobra.Command, args []string, word string) ([]string, cobra.ShellCompDirective) {
				if len(args) > 0 {
					return nil, cobra.ShellCompDirectiveNoFileComp
				}
				return families(c, args, word)
			}
		case "bench":
			register(cmd, "cases", list(cases))
		}
	}
}

type completer = func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective)

// listed completes from the names a function lists.
func listed(list func() []string) completer {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return list(), cobra.ShellCompDirectiveNoFileComp
	}
}

func fixed(words ...string) completer {
	return listed(func() []string { return words })
}

// list completes the last name of a comma-separated list.
func list(c completer) completer {
	return func(cmd *cobra.Command, args []string, word string) ([]string, cobra.ShellCompDirective) {
		done := ""
		if i := strings.LastIndexByte(word, ','); i >= 0 {
			done = word[:i+1]
		}
		all, dir := c(cmd, args, word)
		out := make([]string, len(all))
		for i, n := range all {
			out[i] = done + n
		}
		return out, dir | cobra.ShellCompDirectiveNoSpace
	}
}

func register(cmd *cobra.Command, flag string, c completer) {
	if cmd.Flags().Lookup(flag) == nil {
		panic("cli: no flag --" + flag + " on " + cmd.Name() + " to complete")
	}
	if err := cmd.RegisterFlagCompletionFunc(flag, c); err != nil {
		panic(err) // registered twice: a programming error
	}
}
