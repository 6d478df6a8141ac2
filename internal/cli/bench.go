package cli

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/klfit/klfit/bench"
	"github.com/klfit/klfit/grid"
	"github.com/klfit/klfit/internal/plural"
	"github.com/klfit/klfit/internal/suggest"
)

type benchOptions struct {
	JSON    bool
	Sizes   string
	Threads string
	Cases   string
	Runs    int
	RunTime time.Duration
}

func newBenchCmd(ios *IOStreams) *cobra.Command {
	o := &benchOptions{}
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Time an epoch of the standard fits: median ns per epoch and its spread, allocations, speedup",
		Long: `bench times epochs of klfit's standard fits (an epoch is an optimizer step,
the loss and gradient at the new state, and its history row) on the grid
sizes and thread counts asked for. Each figure is the median of --runs runs
of about --run-time each, with the spread of the runs (fastest-slowest):
on a machine shared with other work, single runs vary by more than the
differences worth measuring. It prints ns per epoch and per point,
allocations per epoch, the number of goroutines an evaluation runs on
(workers), the share of evaluations that ran on them (team: the engine
runs an evaluation on one goroutine while that is faster, as when another
process holds a core), and the speedup over one thread where the work is
split (a grid too small to split has none to report).

python3 bench/compare.py, run from the source tree, times the same fits in
NumPy and PyTorch in the same run and prints the ratios.

Cases:
` + caseList(),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBench(ios, o)
		},
	}
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print a JSON list of results")
	cmd.Flags().StringVar(&o.Sizes, "sizes", "200,1e4,1e6", "grid sizes for the cases that take one (comma-separated; 1e6 is accepted)")
	cmd.Flags().StringVar(&o.Threads, "threads", "1,2", "thread counts (comma-separated)")
	cmd.Flags().StringVar(&o.Cases, "cases", "", "cases to run (comma-separated; default all)")
	cmd.Flags().IntVar(&o.Runs, "runs", 5, "timed runs of each case, size and thread count")
	cmd.Flags().DurationVar(&o.RunTime, "run-time", 200*time.Millisecond, "about how long each run lasts")
	return cmd
}

func caseList() string {
	var b strings.Builder
	for _, c := range bench.Cases() {
		fmt.Fprintf(&b, "  %-10s %s\n", c.Name, c.Description)
	}
	return b.String()
}

// parseInts parses a comma-separated list of positive whole numbers,
// accepting forms like 1e6.
func parseInts(flag, s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || v < 1 || v != float64(int(v)) {
			return nil, fmt.Errorf("--%s: %q is not a positive whole number", flag, f)
		}
		out = append(out, int(v))
	}
	return out, nil
}

func runBench(ios *IOStreams, o *benchOptions) error {
	sizes, err := parseInts("sizes", o.Sizes)
	if err != nil {
		return usageError(err)
	}
	for _, n := range sizes {
		if n > grid.MaxPoints {
			return usageError(fmt.Errorf("--sizes: %d points is more than a grid's limit of %d", n, grid.MaxPoints))
		}
	}
	threads, err := parseInts("threads", o.Threads)
	if err != nil {
		return usageError(err)
	}
	if o.Runs < 1 {
		return usageError(fmt.Errorf("--runs: must be at least 1, got %d", o.Runs))
	}
	if o.RunTime <= 0 {
		return usageError(fmt.Errorf("--run-time: must be positive, got %v", o.RunTime))
	}
	cases := bench.Cases()
	if o.Cases != "" {
		var picked []bench.Case
		for _, name := range strings.Split(o.Cases, ",") {
			found := false
			for _, c := range cases {
				if c.Name == name {
					picked, found = append(picked, c), true
				}
			}
			if !found {
				return usageError(fmt.Errorf("--cases: unknown case %q (known: %s)%s", name, strings.Join(caseNames(cases), ", "), suggest.Hint(name, caseNames(cases))))
			}
		}
		cases = picked
	}
	// The smallest size must suit the case that needs the most points:
	// the error names the size every case asked for takes.
	var needs *bench.Case
	for i, c := range cases {
		if c.Fixed == 0 && (needs == nil || c.MinPoints > needs.MinPoints) {
			needs = &cases[i]
		}
	}
	if n := slices.Min(sizes); needs != nil && n < needs.MinPoints {
		return usageError(fmt.Errorf("--sizes: %s is too few for the %s case, which takes %d at least", plural.Count(n, "point", "points"), needs.Name, needs.MinPoints))
	}
	var results []bench.Result
	for _, c := range cases {
		ns := sizes
		if c.Fixed != 0 {
			ns = []int{c.Fixed}
		}
		for _, n := range ns {
			var one float64
			for _, t := range threads {
				r, err := bench.Measure(c, n, t, bench.Options{Runs: o.Runs, RunTime: o.RunTime})
				if err != nil {
					return &ExitError{Code: ExitFailure, Err: err}
				}
				if t == 1 {
					one = r.NsPerEpoch
				}
				if one > 0 && r.Workers > 1 {
					r.Speedup = one / r.NsPerEpoch
				}
				results = append(results, r)
				if !o.JSON {
					fmt.Fprintf(ios.ErrOut, "%s, %d points, %s: %.4g ns/epoch (%.4g-%.4g)\n", c.Name, r.Points, plural.Count(t, "thread", "threads"), r.NsPerEpoch, r.NsMin, r.NsMax)
				}
			}
		}
	}
	if o.JSON {
		b, err := json.MarshalIndent(results, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(ios.Out, "%s\n", b)
		return err
	}
	tw := tabwriter.NewWriter(ios.Out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "case\tpoints\tthreads\tworkers\tteam\tns/epoch\tspread\tns/point\tcpu ns/epoch\tallocs/epoch\tspeedup\t")
	for _, r := range results {
		speedup, team := "-", "-"
		if r.Speedup > 0 {
			speedup = fmt.Sprintf("%.2f", r.Speedup)
		}
		if r.Workers > 1 {
			team = fmt.Sprintf("%.0f%%", 100*r.TeamShare)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%.4g\t%.4g-%.4g\t%.3g\t%.4g\t%.2g\t%s\t\n", r.Case, r.Points, r.Threads, r.Workers, team, r.NsPerEpoch, r.NsMin, r.NsMax, r.NsPerPoint, r.CPUNsPerEpoch, r.AllocsPerEpoch, speedup)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err = fmt.Fprintf(ios.Out, "\nns/epoch: median of %d runs; spread: fastest-slowest run; cpu ns/epoch: CPU time over all threads (median); team: the share of evaluations run on the workers, where the work is split (workers > 1; the rest ran on one goroutine, which was faster: another process held a core); speedup: over 1 thread, where the work is split.\n", o.Runs)
	return err
}

func caseNames(cs []bench.Case) []string {
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.Name
	}
	return names
}
