package cli

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// dirState returns every file in dir with its content.
func dirState(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		m[rel] = string(readFile(t, p))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func names(m map[string]string) []string {
	var ns []string
	for n := range m {
		ns = append(ns, n)
	}
	slices.Sort(ns)
	return ns
}

// TestRefusedResumeChangesNothing resumes a checkpoint with the spec of
// another fit into a directory holding an earlier fit's results: the
// command is refused (exit 2) and the directory is left byte for byte as
// it was.
func TestRefusedResumeChangesNothing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a := filepath.Join(dir, "a.yaml")
	writeFile(t, a, "grid: {start: -10, stop: 10, step: 0.1}\ntarget: {family: normal, params: {mean: 0, variance: 7}}\nmodel: {family: normal, init: {mean: 5, variance: 1}}\noptimizer: {name: adam}\nepochs: 20\n")
	other := filepath.Join(dir, "other.yaml")
	writeFile(t, other, "grid: {start: -10, stop: 10, step: 0.1}\ntarget: {family: laplace, params: {loc: 0, scale: 2}}\nmodel: {family: laplace, init: {loc: 5, scale: 1}}\noptimizer: {name: adam}\nepochs: 40\n")
	out := filepath.Join(dir, "out")
	ckpt := filepath.Join(dir, "a.ckpt")
	if code, _, errOut := run(t, ctx, false, "fit", a, "--out", out, "--no-figures", "--checkpoint", ckpt); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	before := dirState(t, out)
	code, _, errOut := run(t, ctx, false, "fit", other, "--resume", ckpt, "--out", out, "--no-figures")
	if code != ExitUsage || !strings.Contains(errOut, "resume") {
		t.Fatalf("exit %d, stderr %q: want 2 and a resume error", code, errOut)
	}
	after := dirState(t, out)
	if !slices.Equal(names(after), names(before)) {
		t.Fatalf("files %v, before %v", names(after), names(before))
	}
	for n, c := range before {
		if after[n] != c {
			t.Errorf("%s changed", n)
		}
	}
}

// TestOutDirHoldsOneFit fits a two-component mixture into a directory,
// then a normal into the same one: no file of the first fit is left, and
// a file klfit did not write is kept.
func TestOutDirHoldsOneFit(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	mine := filepath.Join(out, "notes.txt")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, mine, "mine")
	tg := "0.5*normal(mean=-2, variance=1) + 0.5*normal(mean=2, variance=1)"
	s := filepath.Join(dir, "m.yaml")
	writeFile(t, s, "grid: {start: -6, stop: 6, step: 0.1}\ntarget: '"+tg+"'\nmodel: {family: mixture, component: normal, components: 2}\nepochs: 5\n")
	if code, _, errOut := run(t, ctx, false, "fit", s, "--out", out); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	first := dirState(t, out)
	if _, ok := first["params.png"]; !ok {
		t.Fatalf("the mixture fit wrote no params figure: %v", names(first))
	}
	if code, _, errOut := run(t, ctx, false, "fit", "--target", "normal(mean=0, variance=2)", "--model", "normal", "--epochs", "5", "--out", out); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	second := dirState(t, out)
	for _, n := range names(second) {
		if strings.HasPrefix(n, "params") {
			t.Errorf("%s of the first fit is left", n)
		}
	}
	if second["notes.txt"] != "mine" {
		t.Error("a file klfit did not write was removed")
	}
	if _, ok := second["spec.yaml"]; !ok {
		t.Error("no spec.yaml")
	}
	// A manifest naming a directory (klfit writes none: a hand-edited
	// manifest) is no reason to fail half-way: the directory and what it
	// holds are kept, the listed files removed, and the fit runs.
	sub := filepath.Join(out, "sub")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(sub, "kept.txt"), "kept")
	f, err := os.OpenFile(filepath.Join(out, ".klfit-files"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("sub\n")
	f.Close()
	if code, _, errOut := run(t, ctx, false, "fit", s, "--out", out); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if got := string(readFile(t, filepath.Join(sub, "kept.txt"))); got != "kept" {
		t.Errorf("sub/kept.txt holds %q", got)
	}
	if third := dirState(t, out); third["params.png"] == "" {
		t.Errorf("the fit after the edited manifest wrote no params figure: %v", names(third))
	}
}

// TestSpecYAMLReruns reruns the spec.yaml a --target fit wrote (with its
// chosen grid and guessed start) and gets the same history.
func TestSpecYAMLReruns(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	if code, _, errOut := run(t, ctx, false, "fit", "--target", "expr(\"exp(-abs(x))\")", "--model", "normal", "--epochs", "30", "--out", a, "--no-figures"); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if code, _, errOut := run(t, ctx, false, "fit", filepath.Join(a, "spec.yaml"), "--out", b, "--no-figures"); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if string(readFile(t, filepath.Join(a, "history.csv"))) != string(readFile(t, filepath.Join(b, "history.csv"))) {
		t.Error("the rerun's history differs")
	}
}

// TestSupportMismatchIsBadInput fits an exponential model to a normal
// target on a grid reaching below 0: the target has mass where the model
// has none from the start, which is bad input (exit 2, naming the point),
// not a diverged fit, and nothing is written.
func TestSupportMismatchIsBadInput(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	code, _, errOut := run(t, context.Background(), false, "fit", "--target", "normal(mean=0, variance=1)", "--model", "exponential(rate=1)", "--grid", "-5:5:0.1", "--out", out)
	if code != ExitUsage || !strings.Contains(errOut, "the target has mass where the model has none (at x=-5)") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a refused fit created its output directory")
	}
}

// TestSpecYAMLFindsItsFiles fits samples named relative to the spec's
// directory, then reruns the spec.yaml written two directories deeper,
// and resumes from a checkpoint elsewhere: each finds the same file.
func TestSpecYAMLFindsItsFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var csv strings.Builder
	csv.WriteString("x\n")
	for i := range 500 {
		fmt.Fprintf(&csv, "%v\n", math.Sin(float64(i))+0.3*math.Cos(3*float64(i)))
	}
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "data", "d.csv"), csv.String())
	writeFile(t, filepath.Join(dir, "data", "s.yaml"), "grid: {start: -2, stop: 2, step: 0.05}\ntarget: {samples: d.csv, column: x}\nmodel: {family: normal}\nepochs: 20\n")
	a := filepath.Join(dir, "a")
	if code, _, e := run(t, ctx, false, "fit", filepath.Join(dir, "data", "s.yaml"), "--out", a, "--no-figures", "--checkpoint", filepath.Join(dir, "ck", "c.ckpt")); code != 0 {
		t.Fatalf("exit %d: %s", code, e)
	}
	b := filepath.Join(dir, "x", "y", "b")
	if code, _, e := run(t, ctx, false, "fit", filepath.Join(a, "spec.yaml"), "--out", b, "--no-figures"); code != 0 {
		t.Fatalf("rerun of spec.yaml: exit %d: %s", code, e)
	}
	if string(readFile(t, filepath.Join(a, "history.csv"))) != string(readFile(t, filepath.Join(b, "history.csv"))) {
		t.Error("the rerun's history differs")
	}
	if code, _, e := run(t, ctx, false, "fit", "--resume", filepath.Join(dir, "ck", "c.ckpt"), "--out", filepath.Join(dir, "c"), "--no-figures"); code != 0 {
		t.Fatalf("resume from the checkpoint's spec: exit %d: %s", code, e)
	}
}

// TestCompletionUnknownShell asks for a shell cobra has no script for:
// one line and exit 2, not the help and exit 0.
func TestCompletionUnknownShell(t *testing.T) {
	code, out, errOut := run(t, context.Background(), false, "completion", "tcsh")
	if code != ExitUsage || out != "" || !strings.Contains(errOut, `no script for the shell "tcsh"`) {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}
