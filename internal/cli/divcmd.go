package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/spf13/cobra"

	"github.com/klfit/klfit/divergence"
	"github.com/klfit/klfit/spec"
)

type divOptions struct {
	P, Q       string
	Divergence string
	Method     string
	JSON       bool
	Samples    int
	Seed       uint64
	Tolerance  float64
}

// divergenceHelp lists the registered divergences with their directions,
// for --help texts.
func divergenceHelp() string {
	var b strings.Builder
	b.WriteString("Divergences (P is the target, or the first argument; Q the model, or the second):\n\n")
	for _, name := range divergence.Names() {
		d, _ := divergence.Lookup(name)
		label := name
		if c, ok := d.(divergence.Configurable); ok {
			var opts []string
			for _, s := range c.Settings() {
				opts = append(opts, fmt.Sprintf("%s=%v", s.Name, s.Default))
			}
			label += "(" + strings.Join(opts, ", ") + ")"
		}
		fmt.Fprintf(&b, "  %s\n      %s\n", label, d.Direction())
	}
	return b.String()
}

func newDivCmd(ios *IOStreams) *cobra.Command {
	o := &divOptions{}
	cmd := &cobra.Command{
		Use:   "div P Q",
		Short: "Compute a divergence between two distributions",
		Long: `div prints D(P, Q) between two distributions written in the one-line
syntax, with the method used and an error estimate:

  klfit div 'normal(mean=0, variance=1)' 'normal(mean=1, variance=2)'
  klfit div '0.5*normal(mean=-2, variance=1) + 0.5*normal(mean=2, variance=1)' \
            'normal(mean=0, variance=5)' --method mc --samples 1000000
  klfit div 'expr("exp(-abs(x))")' 'normal(mean=0, variance=2)' --divergence js

P and Q are families, mixtures of families, formulas (expr("...")) or
tables (table(file.csv)). Methods:

  auto    the closed form when one is known (kl and reverse_kl for normal,
          exponential, gamma, beta, laplace, lognormal, mvnormal;
          hellinger, renyi and alpha for normals), else grid
  closed  the closed form, or an error when none is known
  grid    quadrature on a window holding both distributions' mass, cut
          at every support bound, the cells doubled until three grids
          agree within --tolerance (relative to max(1, |D|)) at an
          observed order above 1.5; the error is their last difference
  mc      Monte Carlo: the mean over --samples draws (seeded by --seed),
          with its standard error and the Pareto k̂ of the draws' terms
          (above 0.5 the variance is likely infinite: not converged)

An infinite divergence prints +Inf with the reason: the supports do not
match, or the families' tails make an integral diverge (decided before
any sampling, e.g. a Cauchy against a normal for kl). Every answer names
its method, and any note follows on its own line.

` + divergenceHelp(),
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 2 {
				return usageError(fmt.Errorf("div takes two distributions, P and Q, as in klfit div 'normal(mean=0, variance=1)' 'normal(mean=1, variance=2)'; got %d", len(args)))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.P, o.Q = args[0], args[1]
			return runDiv(cmd.Context(), ios, o)
		},
	}
	cmd.Flags().StringVarP(&o.Divergence, "divergence", "d", "kl", "the divergence, e.g. kl, reverse_kl, js, hellinger, 'renyi(alpha=0.5)'")
	cmd.Flags().StringVarP(&o.Method, "method", "m", "auto", "auto, closed, grid or mc")
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print the result as JSON")
	cmd.Flags().IntVar(&o.Samples, "samples", 100000, "Monte Carlo draws (--method mc), at least 2")
	cmd.Flags().Uint64Var(&o.Seed, "seed", 1, "Monte Carlo seed (--method mc)")
	cmd.Flags().Float64Var(&o.Tolerance, "tolerance", 1e-6, "agreement of two successive grids, relative to max(1, |D|) (--method grid)")
	return cmd
}

// divResult is what `klfit div --json` prints.
type divResult struct {
	P          string      `json:"p"`
	Q          string      `json:"q"`
	Divergence string      `json:"divergence"`
	Direction  string      `json:"direction"`
	Value      spec.Float  `json:"value"`
	Method     string      `json:"method"`
	Error      spec.Float  `json:"error"`
	Tolerance  *float64    `json:"tolerance,omitempty"`
	Converged  bool        `json:"converged"`
	Points     int         `json:"points,omitempty"`
	Samples    int         `json:"samples,omitempty"`
	Seed       *uint64     `json:"seed,omitempty"`
	ParetoK    *spec.Float `json:"pareto_k,omitempty"`
	Reason     string      `json:"reason,omitempty"`
	Note       string      `json:"note,omitempty"`
}

func buildDensity(which, text string) (*divergence.Density, string, error) {
	t, err := spec.ParseTarget(text)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", which, err)
	}
	s := &spec.Spec{Target: t}
	tg, err := s.BuildTarget(spec.Env{})
	var se *spec.Error
	if errors.As(err, &se) {
		key := strings.TrimPrefix(strings.TrimPrefix(se.Key, "target"), ".")
		if key != "" && key != "family" {
			return nil, "", fmt.Errorf("%s: %s: %s", which, key, se.Msg)
		}
		return nil, "", fmt.Errorf("%s: %s", which, se.Msg)
	}
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", which, err)
	}
	d, err := divergence.FromTarget(tg)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", which, err)
	}
	return d, t.OneLine(), nil
}

func runDiv(ctx context.Context, ios *IOStreams, o *divOptions) error {
	dv, err := spec.ParseDivergence(o.Divergence)
	if err != nil {
		return usageError(fmt.Errorf("--divergence: %w", err))
	}
	opts := map[string]float64{}
	for _, op := range dv.Options {
		opts[op.Name] = op.Value
	}
	d, err := divergence.New(dv.Name, opts)
	if err != nil {
		return usageError(fmt.Errorf("--divergence: %w", err))
	}
	method := o.Method
	switch method {
	case "closed", "closed_form":
		method = divergence.MethodClosedForm
	case divergence.MethodAuto, divergence.MethodGrid, divergence.MethodMC:
	default:
		return usageError(fmt.Errorf("--method: unknown method %q (known: auto, closed, grid, mc)", o.Method))
	}
	if o.Samples < 2 { // a standard error from one draw is unknown
		return usageError(fmt.Errorf("--samples: must be at least 2, for a standard error, got %d", o.Samples))
	}
	if !(o.Tolerance > 0) {
		return usageError(fmt.Errorf("--tolerance: must be > 0, got %v", o.Tolerance))
	}
	p, pText, err := buildDensity("P", o.P)
	if err != nil {
		return usageError(err)
	}
	q, qText, err := buildDensity("Q", o.Q)
	if err != nil {
		return usageError(err)
	}
	e, err := divergence.EstimateDivergence(ctx, d, p, q, divergence.Options{Method: method, Tolerance: o.Tolerance, Samples: o.Samples, Seed: o.Seed})
	if err != nil {
		if ctx.Err() != nil {
			return &ExitError{Code: ExitInterrupted, Err: fmt.Errorf("interrupted")}
		}
		return usageError(err)
	}
	res := divResult{P: pText, Q: qText, Divergence: divergence.Label(d), Direction: d.Direction(), Value: spec.Float(e.Value),
		Method: e.Method, Error: spec.Float(e.Error), Converged: e.Converged, Reason: e.Reason, Note: e.Note}
	switch e.Method {
	case divergence.MethodGrid:
		res.Tolerance, res.Points = &e.Tolerance, e.Points
	case divergence.MethodMC:
		res.Samples, res.Seed = e.Samples, &o.Seed
		if !math.IsNaN(e.ParetoK) {
			k := spec.Float(e.ParetoK)
			res.ParetoK = &k
		}
	}
	if o.JSON {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
		_, err := ios.Out.Write(buf.Bytes())
		return err
	}
	fmt.Fprintln(ios.Out, formatDiv(d, e))
	if e.Note != "" && !(e.Method == divergence.MethodGrid && strings.Contains(formatDiv(d, e), e.Note)) {
		fmt.Fprintf(ios.Out, "  note: %s\n", e.Note)
	}
	fmt.Fprintf(ios.Out, "  P = %s\n  Q = %s\n  %s\n", pText, qText, d.Direction())
	return nil
}

func formatDiv(d divergence.Divergence, e *divergence.Estimate) string {
	sym := d.Symbol()
	if math.IsInf(e.Value, 1) {
		how := map[string]string{divergence.MethodClosedForm: "closed form", divergence.MethodGrid: "grid",
			divergence.MethodMC: "Monte Carlo", divergence.MethodTails: "decided from the tails, before sampling"}[e.Method]
		return fmt.Sprintf("%s = +Inf (%s): %s", sym, how, e.Reason)
	}
	v := pyFloat(e.Value)
	switch e.Method {
	case divergence.MethodClosedForm:
		return fmt.Sprintf("%s = %s (closed form, relative error below 1e-12)", sym, v)
	case divergence.MethodGrid:
		conv := fmt.Sprintf("error %.3g: three grids agree, their differences shrinking at an order above 1.5; tolerance %g relative to max(1, |D|)", e.Error, e.Tolerance)
		switch {
		case e.Note != "":
			conv = "NOT converged: " + e.Note
		case !e.Converged:
			conv = fmt.Sprintf("NOT converged: the last two grids differ by %.3g, more than the tolerance %g, or do not shrink at an order above 1.5", e.Error, e.Tolerance)
		}
		return fmt.Sprintf("%s = %s (grid: %d points on [%.6g, %.6g]; %s)", sym, v, e.Points, e.Lo[0], e.Hi[0], conv)
	}
	conv := ""
	if !e.Converged {
		conv = "; NOT converged"
	}
	tail := fmt.Sprintf("Pareto k̂ %.3g", e.ParetoK)
	switch {
	case math.IsNaN(e.ParetoK) && e.Converged:
		tail = "terms of finite variance" // JS, Hellinger, TV: k̂ is not needed
	case math.IsNaN(e.ParetoK):
		tail = "Pareto k̂ unknown" // too few draws to estimate it; the note says so
	}
	return fmt.Sprintf("%s = %s ± %.3g (Monte Carlo: %d draws, standard error %.3g, %s%s)", sym, v, e.Error, e.Samples, e.Error, tail, conv)
}
