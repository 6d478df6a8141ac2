package spec_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/spec"
)

const small = `grid: {start: -10, stop: 10, step: 0.1}
target: {family: normal, params: {mean: 0, variance: 7}}
model: {family: normal, init: {mean: 5, variance: 1}}
`

// TestStopAndDivergenceKeys checks that the stop rules, the divergence
// handling and boolean settings decode, build into the fit's options and
// print back.
func TestStopAndDivergenceKeys(t *testing.T) {
	s, err := spec.Parse([]byte(small + `optimizer: {name: momentum, learning_rate: 0.001, nesterov: true}
stop: {max_epochs: 500, tolerance: 1e-12, gradient_tolerance: 1e-9, patience: 20, max_time: 1m30s}
on_divergence: backtrack
max_backtracks: 4
`))
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Build(context.Background(), spec.Env{})
	if err != nil {
		t.Fatal(err)
	}
	opts := b.Options()
	want := fit.Stop{Tolerance: 1e-12, GradientTolerance: 1e-9, Patience: 20, MaxTime: 90 * time.Second}
	if opts.Epochs != 500 || opts.Stop != want || opts.OnDivergence != fit.Backtrack || opts.MaxBacktracks != 4 {
		t.Errorf("options %+v", opts)
	}
	if m, ok := opts.Optimizer.(*fit.Momentum); !ok || !m.Nesterov || m.Momentum != 0.9 {
		t.Errorf("optimizer %#v", opts.Optimizer)
	}
	y := string(b.Spec.YAML())
	for _, line := range []string{
		"optimizer: {name: momentum, learning_rate: 0.001, momentum: 0.9, nesterov: true, dampening: 0}",
		"epochs: 500",
		"stop: {tolerance: 1e-12, gradient_tolerance: 1e-09, patience: 20, max_time: 90}",
		"on_divergence: backtrack",
		"max_backtracks: 4",
	} {
		if !strings.Contains(y, line+"\n") {
			t.Errorf("built spec lacks %q:\n%s", line, y)
		}
	}
	back, err := spec.Parse([]byte(y))
	if err != nil || string(back.YAML()) != y {
		t.Errorf("the built spec does not read back: %v", err)
	}
	j, _ := json.Marshal(b.Spec)
	if _, err := spec.Parse(j); err != nil || !strings.Contains(string(j), `"nesterov":true`) {
		t.Errorf("JSON %s: %v", j, err)
	}
	// Backtracking's default bound is filled in.
	s, _ = spec.Parse([]byte(small + "optimizer: {name: adam}\non_divergence: backtrack\n"))
	if b, err := s.Build(context.Background(), spec.Env{}); err != nil || b.MaxBacktracks != 10 || !strings.Contains(string(b.Spec.YAML()), "max_backtracks: 10\n") {
		t.Errorf("default max_backtracks: %v", err)
	}
}

// TestStopErrors checks the one-line errors of the new keys.
func TestStopErrors(t *testing.T) {
	for _, tc := range []struct{ name, extra, want string }{
		{"both epochs", "epochs: 5\nstop: {max_epochs: 6}\n", "spec line 5: stop.max_epochs: give epochs or stop.max_epochs, not both"},
		{"unknown rule", "stop: {patiense: 3}\n", "spec line 4: stop.patiense: unknown key (known here: max_epochs, tolerance, gradient_tolerance, patience, max_time)"},
		{"negative tolerance", "stop: {tolerance: -1}\n", "spec line 4: stop.tolerance: must be >= 0, got -1"},
		{"negative max_epochs", "stop: {max_epochs: -1}\n", "spec line 4: stop.max_epochs: must be >= 0, got -1"},
		{"fractional patience", "stop: {patience: 2.5}\n", "spec line 4: stop.patience: must be a whole number"},
		{"bad duration", "stop: {max_time: soon}\n", `spec line 4: stop.max_time: must be seconds or a duration like 90s or 1h30m, got "soon"`},
		{"unknown action", "on_divergence: retry\n", `spec line 4: on_divergence: unknown action "retry" (known: stop, backtrack)`},
		{"backtracks alone", "max_backtracks: 3\n", "spec line 4: max_backtracks: needs on_divergence: backtrack"},
		{"backtrack lbfgs", "on_divergence: backtrack\n", "spec line 4: on_divergence: backtracking halves the learning rate, and the lbfgs optimizer has none"},
		{"number for bool", "optimizer: {name: momentum, nesterov: 1}\n", "spec line 4: optimizer.nesterov: must be true or false, got 1"},
		{"bool for number", "optimizer: {name: momentum, momentum: true}\n", "spec line 4: optimizer.momentum: must be a number, got the boolean true"},
		{"nesterov dampening", "optimizer: {name: momentum, nesterov: true, dampening: 0.1}\n", "spec line 4: optimizer.nesterov: Nesterov momentum needs momentum > 0 and dampening 0"},
		{"adam beta", "optimizer: {name: adam, beta2: 1}\n", "spec line 4: optimizer.beta2: must be in [0, 1), got 1"},
		{"lbfgs store", "optimizer: {name: lbfgs, store: 0}\n", "spec line 4: optimizer.store: must be a whole number from 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := spec.Parse([]byte(small + tc.extra))
			if err == nil {
				_, err = s.Build(context.Background(), spec.Env{})
			}
			var se *spec.Error
			if err == nil || !errors.As(err, &se) || !strings.HasPrefix(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %v\nwant one line starting %q", err, tc.want)
			}
		})
	}
}

// TestSummaryStop checks that summary.json says which rule stopped the
// fit, with its value, and counts backtracks.
func TestSummaryStop(t *testing.T) {
	s, _ := spec.Parse([]byte(small + "optimizer: {name: gd, learning_rate: 0.05}\nstop: {tolerance: 1e-10}\ntarget_weights: density\n"))
	b, err := s.Build(context.Background(), spec.Env{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := fit.Run(context.Background(), b.Problem, b.Options())
	if err != nil {
		t.Fatal(err)
	}
	var sum struct {
		Status string `json:"status"`
		Stop   struct {
			Rule  string  `json:"rule"`
			Value float64 `json:"value"`
		} `json:"stop"`
		Backtracks  int `json:"backtracks"`
		Evaluations int `json:"evaluations"`
	}
	if err := json.Unmarshal(spec.NewSummary(b, res).JSON(), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Status != "converged" || sum.Stop.Rule != "tolerance" || !(sum.Stop.Value <= 1e-10) || sum.Backtracks != 0 || sum.Evaluations != res.Epochs+1 {
		t.Errorf("summary %+v", sum)
	}
}

// defaultCases are the families the default optimizer must fit without
// tuning: each a target, a distant start, and the parameters the fit must
// recover (a family fitted to its own member recovers it). Add a row for
// every family.
var defaultCases = []struct {
	family, grid, target, init string
	want                       []float64
	// extra holds more keys of the target and the model (mixtures).
	extra string
}{
	{"normal", "{start: -10, stop: 10, step: 0.1}", "{mean: 0, variance: 7}", "{mean: 5, variance: 1}", []float64{0, 7}, ""},
	{"normal", "{start: -30, stop: 30, step: 0.05}", "{mean: -2, variance: 0.5}", "{mean: 8, variance: 20}", []float64{-2, 0.5}, ""},
	{"laplace", "{start: -15, stop: 15, step: 0.05}", "{loc: 1, scale: 2}", "{loc: -2, scale: 0.5}", []float64{1, 2}, ""},
	{"student_t", "{start: -30, stop: 30, step: 0.05}", "{df: 4, loc: 1, scale: 2}", "{df: 10, loc: -1, scale: 1}", []float64{4, 1, 2}, ""},
	{"cauchy", "{start: -40, stop: 40, step: 0.05}", "{loc: 1, scale: 2}", "{loc: -2, scale: 0.5}", []float64{1, 2}, ""},
	{"logistic", "{start: -20, stop: 20, step: 0.05}", "{loc: 1, scale: 2}", "{loc: -2, scale: 0.5}", []float64{1, 2}, ""},
	{"gumbel", "{start: -15, stop: 25, step: 0.05}", "{loc: 1, scale: 2}", "{loc: -2, scale: 1}", []float64{1, 2}, ""},
	{"skew_normal", "{start: -15, stop: 15, step: 0.05}", "{loc: 1, scale: 2, alpha: 3}", "{loc: 0, scale: 1, alpha: 0.5}", []float64{1, 2, 3}, ""},
	{"exponential", "{start: 0, stop: 20, step: 0.02}", "{rate: 1.5}", "{rate: 0.2}", []float64{1.5}, ""},
	{"gamma", "{start: 0.01, stop: 30, step: 0.02}", "{shape: 3, rate: 2}", "{shape: 1, rate: 0.5}", []float64{3, 2}, ""},
	{"lognormal", "{start: 0.01, stop: 30, step: 0.02}", "{mu: 0.5, sigma: 0.6}", "{mu: 1.5, sigma: 1}", []float64{0.5, 0.6}, ""},
	{"weibull", "{start: 0.01, stop: 10, step: 0.01}", "{shape: 2, scale: 1.5}", "{shape: 1, scale: 3}", []float64{2, 1.5}, ""},
	{"beta", "{start: 0.0025, stop: 1, step: 0.005}", "{alpha: 2, beta: 5}", "{alpha: 1, beta: 1}", []float64{2, 5}, ""},
	{"von_mises", "{circular: true, points: 360}", "{mu: 1, kappa: 2}", "{mu: -0.5, kappa: 0.5}", []float64{1, 2}, ""},
	{"mvnormal", "{x: {start: -8, stop: 8, step: 0.1}, y: {start: -8, stop: 8, step: 0.1}}",
		"{mean: [0.5, -0.5], covariance: [[1.5, 0.3], [0.3, 0.8]]}", "{mean: [2, 1], covariance: [[1, 0], [0, 2]]}",
		[]float64{0.5, -0.5, 1.5, 0.3, 0.8}, ""},
	{"mixture", "{start: -12, stop: 12, step: 0.05}", "{weights: [0.3, 0.7], mean: [-3, 2], variance: [1, 0.5]}",
		"{weights: [0.5, 0.5], mean: [-1, 1], variance: [1, 1]}", []float64{0.3, 0.7, -3, 2, 1, 0.5}, "component: normal"},
}

// TestDefaultOptimizerConverges fits every family of defaultCases with
// the spec's default optimizer, under both parameterizations and both
// weightings, and checks that it converges (its own test, within 1000
// epochs) to the target's parameters. Grids cover the targets to at least
// 6 standard deviations, so the recovered parameters are exact up to the
// optimizer's own precision: L-BFGS stops at a gradient of 1e-12 or when
// the loss stops changing in float64, both well within 1e-7.
func TestDefaultOptimizerConverges(t *testing.T) {
	for _, tc := range defaultCases {
		for _, param := range []string{"raw", "unconstrained"} {
			for _, w := range []string{"density", "normalized"} {
				extra, modelExtra := "", ""
				if tc.extra != "" {
					if param == "raw" {
						continue // weights on the simplex: no raw parameterization
					}
					extra, modelExtra = ", "+tc.extra, ", components: 2, "+tc.extra
				}
				src := "grid: " + tc.grid + "\ntarget: {family: " + tc.family + extra + ", params: " + tc.target + "}\ntarget_weights: " + w +
					"\nmodel: {family: " + tc.family + modelExtra + ", init: " + tc.init + ", parameterization: " + param + "}\n"
				s, err := spec.Parse([]byte(src))
				if err != nil {
					t.Fatal(err)
				}
				b, err := s.Build(context.Background(), spec.Env{})
				if err != nil {
					t.Fatal(err)
				}
				if b.Spec.Optimizer.Name != spec.DefaultOptimizer {
					t.Fatalf("default optimizer %s", b.Spec.Optimizer.Name)
				}
				res, err := fit.Run(context.Background(), b.Problem, b.Options())
				if err != nil {
					t.Fatal(err)
				}
				if res.Status != fit.Converged {
					t.Errorf("%s %s %s %s: %s (%s) after %d epochs", tc.family, tc.target, param, w, res.Status, res.StopRule, res.Epochs)
					continue
				}
				for i, v := range res.Theta() {
					if math.Abs(v-tc.want[i]) > 1e-7*math.Max(1, math.Abs(tc.want[i])) {
						t.Errorf("%s %s %s %s: parameters %v, want %v", tc.family, tc.target, param, w, res.Theta(), tc.want)
						break
					}
				}
			}
		}
	}
}

// TestDefaultOptimizerCategorical fits the non-parametric model with the
// default optimizer: the optimum of forward KL is the target's masses
// themselves. How close a fit can get is set by the loss's resolution:
// near the optimum KL = sum (Q-P)^2/(2P), and the loss, a sum of terms of
// the size of the target's entropy (about 2 here), resolves changes of
// about 1e-15, so |Q-P| down to sqrt(1e-15 P) is invisible; the test
// allows ten times that, sqrt(1e-13 P).
func TestDefaultOptimizerCategorical(t *testing.T) {
	b, res := runSpec(t, "grid: {start: -5, stop: 5, step: 0.2}\ntarget: {family: laplace, params: {loc: 0.5, scale: 1}}\nmodel: {family: categorical}\n")
	if res.Status != fit.Converged {
		t.Fatalf("%s (%s) after %d epochs", res.Status, res.StopRule, res.Epochs)
	}
	for i, m := range res.Theta() {
		if math.Abs(m-b.Problem.P[i]) > math.Sqrt(1e-13*b.Problem.P[i]) {
			t.Fatalf("mass %d: %v, target %v", i, m, b.Problem.P[i])
		}
	}
}
