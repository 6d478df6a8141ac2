package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// run runs klfit in-process and returns its exit code, stdout and stderr.
func run(t *testing.T, ctx context.Context, tty bool, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(ctx, args, &IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut, ErrTTY: tty})
	return code, out.String(), errOut.String()
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

var demoFiles = []string{"history.csv", "summary.json", "fit.png", "fit.svg", "endpoints.png", "endpoints.svg",
	"mean.png", "mean.svg", "variance.png", "variance.svg", "loss.png", "loss.svg"}

// TestDemo runs the demo as a new user does (no arguments, in a fresh
// directory) and checks what it prints and writes: the notebook's ten
// printed pairs (to the 1e-6 the notebook's rounding allows), the final
// line, every file, and a history identical to the golden one.
func TestDemo(t *testing.T) {
	t.Chdir(t.TempDir())
	code, out, errOut := run(t, context.Background(), false)
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 13 {
		t.Fatalf("stdout has %d lines:\n%s", len(lines), out)
	}
	// The pairs the notebook printed (fit/testdata/notebook_printed.csv,
	// copied from its output).
	var printed [][2]float64
	for _, rec := range strings.Split(strings.TrimSpace(string(readFile(t, filepath.Join(testdataDir, "..", "..", "..", "fit", "testdata", "notebook_printed.csv")))), "\n")[1:] {
		f := strings.Split(rec, ",")
		m, _ := strconv.ParseFloat(f[1], 64)
		v, _ := strconv.ParseFloat(f[2], 64)
		printed = append(printed, [2]float64{m, v})
	}
	if len(printed) != 10 {
		t.Fatalf("%d printed pairs", len(printed))
	}
	for i, want := range printed {
		f := strings.Fields(lines[i])
		if len(f) != 2 {
			t.Fatalf("line %d: %q", i, lines[i])
		}
		for j := range 2 {
			got, err := strconv.ParseFloat(f[j], 64)
			if err != nil || !(abs(got-want[j]) <= max(1e-6*abs(want[j]), 1e-9)) {
				t.Errorf("line %d field %d: %q, notebook %v", i, j, f[j], want[j])
			}
		}
	}
	// The final loss of the independent recomputation
	// (fit/testdata/notebook_history.csv, epoch 1000) is 23.03961666859499;
	// 1e-9 relative is the agreement that file allows.
	// The loss is the notebook's sum p log(p/Q) on density values, not a
	// KL, and says so.
	var final, mean, variance float64
	if _, err := fmt.Sscanf(lines[10], "final sum p log(p/Q) = %g after 1000 epochs (max_epochs): mean=%g, variance=%g", &final, &mean, &variance); err != nil || abs(final-23.03961666859499) > 1e-9*23 {
		t.Errorf("final line %q (%v)", lines[10], err)
	}
	// KL(P||Q) of the normalized target at the final state, computed here
	// from the densities: the line below states it to 6 digits.
	var c, kl, zq float64
	x := func(i int) float64 { return -10 + 0.1*float64(i) }
	for i := range 200 {
		c += math.Exp(-x(i)*x(i)/14) / math.Sqrt(2*math.Pi*7)
		zq += math.Exp(-(x(i) - mean) * (x(i) - mean) / (2 * variance))
	}
	for i := range 200 {
		p := math.Exp(-x(i)*x(i)/14) / math.Sqrt(2*math.Pi*7) / c
		q := math.Exp(-(x(i)-mean)*(x(i)-mean)/(2*variance)) / zq
		kl += p * math.Log(p/q)
	}
	var gotC, gotKL, bound float64
	if _, err := fmt.Sscanf(lines[11], "(the loss is sum p log(p/Q) over the target's raw density values p (target_weights: density), not KL(P||Q): with c = sum p = %g it is c KL(P||Q) + c log c, so KL(P||Q) = %g (± %g))", &gotC, &gotKL, &bound); err != nil ||
		abs(gotC-c) > 1e-5*c || abs(gotKL-kl) > 1e-5*kl || !(bound > 0 && bound < 1e-9) {
		t.Errorf("KL line %q (%v): c = %v, KL(P||Q) = %v", lines[11], err, c, kl)
	}
	if !strings.HasPrefix(lines[12], "wrote klfit-demo: spec.yaml, history.csv, summary.json, fit.png") {
		t.Errorf("last line %q", lines[12])
	}
	if errOut != "" {
		t.Errorf("stderr not empty off a terminal: %q", errOut)
	}
	for _, f := range demoFiles {
		if st, err := os.Stat(filepath.Join("klfit-demo", f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	hist := readFile(t, "klfit-demo/history.csv")
	golden(t, hist, "demo_history.csv")
	// The demo goes through the spec; check it against the independent
	// recomputation too (1e-9 relative, as the engine's own test).
	ref := strings.Split(strings.TrimSpace(string(readFile(t, filepath.Join(testdataDir, "..", "..", "..", "fit", "testdata", "notebook_history.csv")))), "\n")
	got := strings.Split(strings.TrimSpace(string(hist)), "\n")
	if len(got) != len(ref) || got[0] != ref[0] {
		t.Fatalf("history has %d lines with header %q; reference %d, %q", len(got), got[0], len(ref), ref[0])
	}
	for i := 1; i < len(ref); i++ {
		g, r := strings.Split(got[i], ","), strings.Split(ref[i], ",")
		for j := range r {
			gv, _ := strconv.ParseFloat(g[j], 64)
			rv, _ := strconv.ParseFloat(r[j], 64)
			if !(abs(gv-rv) <= max(1e-9*abs(rv), 1e-12)) {
				t.Errorf("history line %d column %d: %v, reference %v", i, j, gv, rv)
			}
		}
	}
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, got []byte, name string) {
	t.Helper()
	path := filepath.Join(testdataDir, name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want := readFile(t, path)
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file %s (run go test ./internal/cli -update to accept a deliberate change)", name, path)
	}
}

var testdataDir, _ = filepath.Abs("testdata")

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

// TestPrintSpecRoundTrip checks that the demo is nothing but its spec:
// klfit fit on --print-spec's output writes a byte-identical history.
func TestPrintSpecRoundTrip(t *testing.T) {
	dir := t.TempDir()
	code, specYAML, _ := run(t, context.Background(), false, "demo", "--print-spec")
	if code != 0 {
		t.Fatal(code)
	}
	specPath := filepath.Join(dir, "demo.yaml")
	writeFile(t, specPath, specYAML)
	if code, _, e := run(t, context.Background(), false, "demo", "--quiet", "--out", filepath.Join(dir, "a")); code != 0 {
		t.Fatal(code, e)
	}
	if code, _, e := run(t, context.Background(), false, "fit", specPath, "--quiet", "--out", filepath.Join(dir, "b")); code != 0 {
		t.Fatal(code, e)
	}
	a := readFile(t, filepath.Join(dir, "a", "history.csv"))
	b := readFile(t, filepath.Join(dir, "b", "history.csv"))
	if !bytes.Equal(a, b) {
		t.Error("klfit fit on the printed spec wrote a different history.csv")
	}
}

// TestFitJSON checks that --json prints summary.json's content and nothing
// else on stdout.
func TestFitJSON(t *testing.T) {
	dir := t.TempDir()
	specPath := filepath.Join(dir, "s.yaml")
	writeFile(t, specPath, `grid: {start: -8, stop: 8, step: 0.05}
target: {family: normal, params: {mean: 1, variance: 2}}
model: {family: normal, init: {mean: -1, variance: 1}}
optimizer: {name: gd, learning_rate: 0.2}
epochs: 400
`)
	code, out, errOut := run(t, context.Background(), false, "fit", specPath, "--json", "--out", filepath.Join(dir, "out"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if out != string(readFile(t, filepath.Join(dir, "out", "summary.json"))) {
		t.Error("stdout differs from summary.json")
	}
	var sum struct {
		Status string             `json:"status"`
		Epochs int                `json:"epochs"`
		Loss   float64            `json:"loss"`
		Params map[string]float64 `json:"params"`
		Spec   map[string]any     `json:"spec"`
	}
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, out)
	}
	if sum.Status != "max_epochs" || sum.Epochs != 400 || sum.Spec["target_weights"] != "normalized" {
		t.Errorf("summary %+v", sum)
	}
	// A normal fitted to a normal recovers it (up to the grid's truncation).
	if abs(sum.Params["mean"]-1) > 1e-4 || abs(sum.Params["variance"]-2) > 1e-3 || sum.Loss > 1e-8 {
		t.Errorf("params %v, loss %v", sum.Params, sum.Loss)
	}
}

// TestSpecErrors checks exit code 2 and a one-line error naming the file,
// the key and the line, with no stack trace and no output files.
func TestSpecErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, spec, want string
	}{
		{"bad value", "grid: {start: -10, stop: 10, step: 0.1}\ntarget: {family: normal, params: {mean: 0, variance: 7}}\nmodel:\n  family: normal\n  init: {mean: 5, variance: -1}\n",
			"spec line 5: model.init.variance: must be > 0, got -1"},
		{"unknown key", "grid: {start: -10, stop: 10, step: 0.1}\nfoo: 1\n", "spec line 2: foo: unknown key"},
		{"unknown family", "grid: {start: -10, stop: 10, step: 0.1}\ntarget: {family: gauss, params: {}}\nmodel: {family: normal, init: {mean: 0, variance: 1}}\n",
			`spec line 2: target.family: unknown family "gauss"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name+".yaml")
			writeFile(t, p, tc.spec)
			out := filepath.Join(dir, tc.name+"-out")
			code, stdout, errOut := run(t, context.Background(), false, "fit", p, "--out", out)
			if code != ExitUsage {
				t.Errorf("exit %d, want 2", code)
			}
			want := "klfit: " + p + ": " + tc.want
			if !strings.HasPrefix(errOut, want) || strings.Count(errOut, "\n") != 1 || strings.Contains(errOut, "goroutine") {
				t.Errorf("stderr %q, want one line starting %q", errOut, want)
			}
			if stdout != "" {
				t.Errorf("stdout %q", stdout)
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("a failed spec created the output directory")
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"fit"},
		{"fit", "/nonexistent/spec.yaml"},
		{"demo", "--bogus"},
		{"frobnicate"},
		{"demo", "extra"},
	} {
		code, _, errOut := run(t, context.Background(), false, args...)
		if code != ExitUsage || !strings.HasPrefix(errOut, "klfit: ") || strings.Count(errOut, "\n") != 1 {
			t.Errorf("klfit %v: exit %d, stderr %q", args, code, errOut)
		}
	}
}

// TestDiverged checks that a fit that blows up exits 1, names the epoch,
// the offending values and the last good parameters, and still writes
// every file for the states that were good.
func TestDiverged(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "s.yaml")
	writeFile(t, p, `grid: {start: -10, stop: 10, step: 0.1}
target: {family: normal, params: {mean: 0, variance: 7}}
target_weights: density
model: {family: normal, init: {mean: 0, variance: 10}, parameterization: raw}
optimizer: {name: gd, learning_rate: 100}
epochs: 10
`)
	out := filepath.Join(dir, "out")
	code, _, errOut := run(t, context.Background(), false, "fit", p, "--out", out)
	if code != ExitFailure {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"the fit diverged: epoch 1:", "variance must be > 0, got -", "last good parameters mean=0, variance=10"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr %q lacks %q", errOut, want)
		}
	}
	hist := string(readFile(t, filepath.Join(out, "history.csv")))
	if n := strings.Count(hist, "\n"); n != 2 || !strings.HasPrefix(hist, "epoch,kl,mean,variance\n0,") {
		t.Errorf("history.csv:\n%s", hist)
	}
	var sum struct {
		Status  string `json:"status"`
		Failure struct {
			Epoch          int                `json:"epoch"`
			Params         map[string]float64 `json:"params"`
			LastGoodParams map[string]float64 `json:"last_good_params"`
		} `json:"failure"`
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(out, "summary.json")), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Status != "diverged" || sum.Failure.Epoch != 1 || sum.Failure.Params["variance"] >= 0 || sum.Failure.LastGoodParams["variance"] != 10 {
		t.Errorf("summary %+v", sum)
	}
	for _, f := range demoFiles {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
}

// TestInterrupted cancels a long fit and checks exit code 130 and that
// everything computed so far is written.
func TestInterrupted(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "s.yaml")
	writeFile(t, p, "grid: {start: -10, stop: 10, step: 0.1}\ntarget: {family: normal, params: {mean: 0, variance: 7}}\nmodel: {family: normal, init: {mean: 5, variance: 1}}\noptimizer: {name: gd}\nepochs: 1e12\n")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	out := filepath.Join(dir, "out")
	code, _, errOut := run(t, ctx, false, "fit", p, "--out", out, "--no-figures")
	if code != ExitInterrupted || !strings.Contains(errOut, "interrupted after epoch") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	var sum struct {
		Status string `json:"status"`
		Epochs int    `json:"epochs"`
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(out, "summary.json")), &sum); err != nil {
		t.Fatal(err)
	}
	hist := readFile(t, filepath.Join(out, "history.csv"))
	if sum.Status != "interrupted" || sum.Epochs < 1 || bytes.Count(hist, []byte("\n")) != sum.Epochs+2 {
		t.Errorf("status %s after %d epochs, history of %d lines", sum.Status, sum.Epochs, bytes.Count(hist, []byte("\n")))
	}
}

// TestUnwritableOutput checks that an output directory that cannot be
// created stops klfit before the fit starts.
func TestUnwritableOutput(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	writeFile(t, blocker, "")
	code, out, errOut := run(t, context.Background(), false, "demo", "--out", filepath.Join(blocker, "sub"))
	if code != ExitUsage || !strings.Contains(errOut, "output directory") || out != "" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// TestProgressBarOnTerminal checks that a terminal gets a progress bar with
// the rate and the loss on stderr, and that stdout stays clean.
func TestProgressBarOnTerminal(t *testing.T) {
	code, out, errOut := run(t, context.Background(), true, "demo", "--out", t.TempDir())
	if code != 0 {
		t.Fatal(code, errOut)
	}
	for _, want := range []string{"it/s", "kl ", "1000/1000"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%q", want, errOut)
		}
	}
	if strings.Contains(out, "it/s") {
		t.Error("progress bar on stdout")
	}
}

// TestFigureFailureIsAWarning checks that a figure that cannot be written
// (a directory stands where loss.png goes) is a warning naming it: the
// fit still prints its summary, writes its other files and exits 0.
func TestFigureFailureIsAWarning(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	if err := os.MkdirAll(filepath.Join(out, "loss.png"), 0o755); err != nil {
		t.Fatal(err)
	}
	code, stdout, errOut := run(t, context.Background(), false, "demo", "--out", out)
	if code != ExitOK {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if !strings.Contains(errOut, "klfit: warning: figure loss.png:") || strings.Count(errOut, "\n") != 1 || strings.Contains(errOut, "goroutine") {
		t.Errorf("stderr %q", errOut)
	}
	if !strings.Contains(stdout, "final sum p log(p/Q) = ") || strings.Contains(stdout, "loss.png") || !strings.Contains(stdout, "loss.svg") {
		t.Errorf("stdout %q", stdout)
	}
	for _, f := range demoFiles {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
}

// TestChooserFigureFailureIsAWarning checks the same for --compare and
// --lr-find: their figure is a warning when it cannot be written.
func TestChooserFigureFailureIsAWarning(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "s.yaml")
	writeFile(t, p, "grid: {start: -10, stop: 10, step: 0.1}\ntarget: {family: normal, params: {mean: 0, variance: 7}}\nmodel: {family: normal, init: {mean: 5, variance: 1}}\noptimizer: {name: gd, learning_rate: 0.1}\nepochs: 20\n")
	for _, c := range []struct {
		flags []string
		fig   string
	}{
		{[]string{"--compare", "gd,adam"}, "compare.png"},
		{[]string{"--lr-find", "--lr-per-decade", "1", "--lr-find-epochs", "5"}, "lr_find.svg"},
	} {
		out := filepath.Join(dir, strings.TrimSuffix(c.fig, filepath.Ext(c.fig)))
		if err := os.MkdirAll(filepath.Join(out, c.fig), 0o755); err != nil {
			t.Fatal(err)
		}
		code, _, errOut := run(t, context.Background(), false, append([]string{"fit", p, "--out", out}, c.flags...)...)
		if code != ExitOK || !strings.Contains(errOut, "klfit: warning: figure "+c.fig+":") {
			t.Errorf("%v: exit %d, stderr %q", c.flags, code, errOut)
		}
		if _, err := os.Stat(filepath.Join(out, "summary.json")); err != nil {
			t.Error(err)
		}
	}
}

// TestNoOverlap checks what a fit of a bounded divergence says where the
// model and the target have (next to) no mass in common on the grid:
// from no overlap at all (JS at log 2, its gradient rounding) the fit is
// refused, exit 2, nothing written; from next to none, a stopping rule
// that fires there ends the fit no_overlap, exit 1, with the files
// written and the reason in summary.json. Both said "converged", exit 0.
func TestNoOverlap(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "refused")
	code, _, errOut := run(t, context.Background(), false, "fit", "--target", "normal(mean=0, variance=1)", "--model", "normal(mean=15, variance=0.1)",
		"--grid", "-20:20:0.02", "--divergence", "js", "--out", out)
	if code != ExitUsage || !strings.Contains(errOut, "no mass in common") || !strings.Contains(errOut, "fit forward KL (kl) first") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("refused: exit %d, stderr %q", code, errOut)
	}
	if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("refused: %s written (%v)", out, err)
	}
	p := filepath.Join(dir, "s.yaml")
	writeFile(t, p, `grid: {start: -20, stop: 20, step: 0.02}
target: {family: normal, params: {mean: 0, variance: 1}}
divergence: hellinger
model: {family: normal, init: {mean: 8, variance: 0.1}}
optimizer: {name: gd, learning_rate: 0.01}
stop: {max_epochs: 100, gradient_tolerance: 1e-4}
`)
	out = filepath.Join(dir, "near")
	code, stdout, errOut := run(t, context.Background(), false, "fit", p, "--out", out)
	if code != ExitFailure || !strings.Contains(stdout, "(no_overlap: gradient_tolerance") || !strings.Contains(errOut, "the gradient_tolerance rule's verdict says nothing of a minimum") {
		t.Errorf("near: exit %d, stdout %q, stderr %q", code, stdout, errOut)
	}
	var sum struct {
		Status string `json:"status"`
		Reason string `json:"reason"`
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(out, "summary.json")), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Status != "no_overlap" || !strings.Contains(sum.Reason, "H^2(P,Q) = 0.99999963") {
		t.Errorf("summary %+v", sum)
	}
	// With no stopping rule, the fit ends max_epochs there, exit 0, with
	// a warning and the reason (it ended without a word, 3e-9 below log 2,
	// the mean moved by 1e-7); away from there, neither.
	for _, c := range []struct {
		name, model string
		near        bool
	}{{"max_epochs near", "normal(mean=8, variance=0.1)", true}, {"max_epochs", "normal(mean=1, variance=2)", false}} {
		out = filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-"))
		code, stdout, errOut = run(t, context.Background(), false, "fit", "--target", "normal(mean=0, variance=1)", "--model", c.model,
			"--grid", "-20:20:0.02", "--divergence", "js", "--optimizer", "gd(learning_rate=0.1)", "--epochs", "100", "--no-figures", "--out", out)
		warned := strings.Contains(errOut, "klfit: warning: the fit did not converge: the model and the target have next to no mass in common on the grid: JS(P,Q) = 0.69314717827") &&
			strings.Contains(errOut, "so where the fit ended (max_epochs) says nothing of a minimum") && strings.Count(errOut, "\n") == 1
		if code != 0 || !strings.Contains(stdout, "(max_epochs)") || warned != c.near || !c.near && errOut != "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", c.name, code, stdout, errOut)
		}
		sum.Reason = ""
		if err := json.Unmarshal(readFile(t, filepath.Join(out, "summary.json")), &sum); err != nil {
			t.Fatal(err)
		}
		if sum.Status != "max_epochs" || strings.Contains(sum.Reason, "JS(P,Q) = 0.69314717827") != c.near || !c.near && sum.Reason != "" {
			t.Errorf("%s: summary %+v", c.name, sum)
		}
	}
}

// TestUnchangedState runs RMSprop from a start whose gradient is 1e230
// (an alpha-divergence of order 3): its first step moves the model (it
// squared the gradient to +Inf and stood still, every row the initial
// state, without a word); after it, the running mean of squares
// remembers 1e460 and the steps fall below the parameters' resolution,
// which the output says, with the epoch, as summary.json does.
func TestUnchangedState(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	code, stdout, errOut := run(t, context.Background(), false, "fit", "--target", "normal(mean=0, variance=7)", "--model", "normal(mean=5, variance=1)",
		"--grid", "-20:20:0.05", "--divergence", "alpha(alpha=3)", "--optimizer", "rmsprop", "--epochs", "50", "--no-figures", "--out", out)
	if code != 0 || !strings.Contains(stdout, "(the loss and parameters have not changed, to the last bit, since epoch 1: the last 49 steps were below the parameters' resolution)") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, errOut)
	}
	var sum struct {
		UnchangedSince *int `json:"unchanged_since_epoch"`
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(out, "summary.json")), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.UnchangedSince == nil || *sum.UnchangedSince != 1 {
		t.Errorf("unchanged_since_epoch %v", sum.UnchangedSince)
	}
}
