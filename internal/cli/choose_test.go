package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const gdSpec = `grid: {start: -10, stop: 10, step: 0.1}
target: {family: normal, params: {mean: 0, variance: 7}}
target_weights: density
model: {family: normal, init: {mean: 5, variance: 1}, parameterization: raw}
optimizer: {name: gd, learning_rate: 0.01}
`

// TestResumeCLI checks klfit fit --resume both ways: a fit interrupted
// (as by Ctrl-C) and resumed from its checkpoint alone, and a finished fit
// continued with a spec asking for more epochs. Each must write a
// history.csv identical, byte for byte, to that of one uninterrupted fit.
func TestResumeCLI(t *testing.T) {
	dir := t.TempDir()
	long := filepath.Join(dir, "long.yaml")
	writeFile(t, long, strings.Replace(gdSpec, "step: 0.1", "step: 0.01", 1)+"epochs: 30000\n")
	if code, _, e := run(t, context.Background(), false, "fit", long, "--quiet", "--no-figures", "--out", filepath.Join(dir, "whole")); code != 0 {
		t.Fatal(code, e)
	}
	whole := readFile(t, filepath.Join(dir, "whole", "history.csv"))

	// Interrupted (as by Ctrl-C) as soon as its first checkpoint is on
	// disk, at epoch 1000 of a fit of thousands more, then resumed from
	// the checkpoint alone.
	cp := filepath.Join(dir, "cp.json")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			if _, err := os.Stat(cp); err == nil {
				cancel()
				return
			}
			time.Sleep(20 * time.Microsecond)
		}
	}()
	code, _, errOut := run(t, ctx, false, "fit", long, "--quiet", "--no-figures", "--checkpoint", cp, "--checkpoint-every", "1000", "--out", filepath.Join(dir, "a"))
	if code != ExitInterrupted {
		t.Fatalf("exit %d (%s): the fit was not interrupted", code, errOut)
	}
	if code, _, e := run(t, context.Background(), false, "fit", "--resume", cp, "--quiet", "--no-figures", "--out", filepath.Join(dir, "a")); code != 0 {
		t.Fatal(code, e)
	}
	if got := readFile(t, filepath.Join(dir, "a", "history.csv")); string(got) != string(whole) {
		t.Errorf("the resumed history (%d bytes) differs from the uninterrupted one (%d bytes)", len(got), len(whole))
	}

	// A short fit, continued with more epochs.
	short := filepath.Join(dir, "short.yaml")
	writeFile(t, short, strings.Replace(gdSpec, "step: 0.1", "step: 0.01", 1)+"epochs: 700\n")
	cp2 := filepath.Join(dir, "cp2.json")
	if code, _, e := run(t, context.Background(), false, "fit", short, "--quiet", "--no-figures", "--checkpoint", cp2, "--out", filepath.Join(dir, "b")); code != 0 {
		t.Fatal(code, e)
	}
	if code, _, e := run(t, context.Background(), false, "fit", long, "--resume", cp2, "--quiet", "--no-figures", "--out", filepath.Join(dir, "b")); code != 0 {
		t.Fatal(code, e)
	}
	if got := readFile(t, filepath.Join(dir, "b", "history.csv")); string(got) != string(whole) {
		t.Error("the continued history differs from the uninterrupted one")
	}

	// Another fit's checkpoint is refused, in one line, with exit code 2.
	other := filepath.Join(dir, "other.yaml")
	writeFile(t, other, strings.Replace(gdSpec, "variance: 7", "variance: 6", 1)+"epochs: 800\n")
	code, _, errOut = run(t, context.Background(), false, "fit", other, "--resume", cp2, "--out", filepath.Join(dir, "c"))
	if code != ExitUsage || !strings.Contains(errOut, "is not the fit") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	// So is the same fit with another learning rate (the history would
	// mix two fits, and its spec.yaml would not run it again), naming the
	// key; and a spec whose epochs the checkpoint has passed.
	lr := filepath.Join(dir, "lr.yaml")
	writeFile(t, lr, strings.Replace(strings.Replace(gdSpec, "step: 0.1", "step: 0.01", 1), "learning_rate: 0.01", "learning_rate: 0.02", 1)+"epochs: 30000\n")
	code, _, errOut = run(t, context.Background(), false, "fit", lr, "--resume", cp2, "--out", filepath.Join(dir, "c"))
	if code != ExitUsage || !strings.Contains(errOut, "learning_rate: 0.02") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("another learning rate: exit %d, stderr %q", code, errOut)
	}
	fewer := filepath.Join(dir, "fewer.yaml")
	writeFile(t, fewer, strings.Replace(gdSpec, "step: 0.1", "step: 0.01", 1)+"epochs: 500\n")
	code, _, errOut = run(t, context.Background(), false, "fit", fewer, "--resume", cp2, "--out", filepath.Join(dir, "c"))
	if code != ExitUsage || !strings.Contains(errOut, "past the spec's epochs: 500") {
		t.Errorf("fewer epochs: exit %d, stderr %q", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "c")); err == nil {
		t.Error("a refused resume wrote its output directory")
	}
	t.Chdir(dir) // these would write klfit-out/ in the working directory
	for _, args := range [][]string{
		{"fit", "--resume", filepath.Join(dir, "missing.json")},
		{"fit", long, "--checkpoint", filepath.Join(dir, "whole", "history.csv", "cp.json")},
		{"fit", long, "--compare", "gd", "--lr-find"},
		{"fit", long, "--checkpoint-every", "-1"},
	} {
		if code, _, errOut := run(t, context.Background(), false, args...); code != ExitUsage || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
}

// TestCompareCLI compares three optimizers and checks the summary, the
// table, the figure, and that each run's history is exactly that of the
// same fit run alone.
func TestCompareCLI(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "s.yaml")
	writeFile(t, p, gdSpec+"epochs: 300\n")
	out := filepath.Join(dir, "cmp")
	code, stdout, errOut := run(t, context.Background(), false, "fit", p, "--compare", "gd, adam,lbfgs", "--json", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var sum struct {
		BestLoss    float64 `json:"best_loss"`
		TargetLoss  float64 `json:"target_loss"`
		LossMeaning string  `json:"loss_meaning"`
		Runs        []struct {
			Optimizer      map[string]any `json:"optimizer"`
			Status         string         `json:"status"`
			Epochs         int            `json:"epochs"`
			EpochsToTarget *int           `json:"epochs_to_target"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatalf("stdout is not the summary: %v", err)
	}
	if len(sum.Runs) != 3 || sum.Runs[0].Optimizer["name"] != "gd" || sum.Runs[2].Optimizer["name"] != "lbfgs" {
		t.Fatalf("runs %+v", sum.Runs)
	}
	if sum.Runs[0].Optimizer["learning_rate"] != 0.01 || sum.Runs[1].Optimizer["learning_rate"] != 0.001 {
		t.Errorf("gd keeps the spec's settings, adam takes its defaults: %v, %v", sum.Runs[0].Optimizer, sum.Runs[1].Optimizer)
	}
	if lb := sum.Runs[2]; lb.Status != "converged" || lb.EpochsToTarget == nil || *lb.EpochsToTarget > lb.Epochs {
		t.Errorf("lbfgs: %+v", lb)
	}
	if sum.TargetLoss <= sum.BestLoss {
		t.Errorf("best %v, target %v", sum.BestLoss, sum.TargetLoss)
	}
	// The spec's density weights: the losses are not KL(P||Q), and say so.
	if !strings.Contains(sum.LossMeaning, "not KL(P||Q)") {
		t.Errorf("loss_meaning %q", sum.LossMeaning)
	}
	for _, line := range []string{"optimizer", "gd", "adam", "lbfgs", "epochs to reach", "best loss sum p log(p/Q) ", "final loss sum p log(p/Q)"} {
		if !strings.Contains(errOut, line) {
			t.Errorf("the table on stderr (--json) lacks %q:\n%s", line, errOut)
		}
	}
	for _, f := range []string{"compare.png", "compare.svg", "summary.json", "gd/history.csv", "adam/summary.json", "lbfgs/history.csv"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	// Deterministic: each run is the fit alone.
	for _, name := range []string{"adam", "lbfgs"} {
		alone := filepath.Join(dir, name+".yaml")
		writeFile(t, alone, strings.Replace(gdSpec, "{name: gd, learning_rate: 0.01}", "{name: "+name+"}", 1)+"epochs: 300\n")
		if code, _, e := run(t, context.Background(), false, "fit", alone, "--quiet", "--no-figures", "--out", filepath.Join(dir, name)); code != 0 {
			t.Fatal(code, e)
		}
		if string(readFile(t, filepath.Join(dir, name, "history.csv"))) != string(readFile(t, filepath.Join(out, name, "history.csv"))) {
			t.Errorf("%s: the compared history differs from the fit alone", name)
		}
	}
	for _, bad := range []string{"gd,sgd", "gd,gd", ","} {
		if code, _, errOut := run(t, context.Background(), false, "fit", p, "--compare", bad, "--out", out); code != ExitUsage || strings.Count(errOut, "\n") != 1 {
			t.Errorf("--compare %q: exit %d, stderr %q", bad, code, errOut)
		}
	}
}

// TestLRFindCLI sweeps gd's learning rate and checks the table, the
// suggestion, the CSV and the figure; an optimizer without a learning rate
// is refused.
func TestLRFindCLI(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "s.yaml")
	writeFile(t, p, gdSpec)
	out := filepath.Join(dir, "lr")
	code, stdout, errOut := run(t, context.Background(), false, "fit", p, "--lr-find", "--lr-min", "1e-3", "--lr-max", "10", "--lr-per-decade", "1", "--lr-find-epochs", "30", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(stdout, "suggested learning_rate: ") {
		t.Errorf("stdout:\n%s", stdout)
	}
	csv := strings.Split(strings.TrimSpace(string(readFile(t, filepath.Join(out, "lr_find.csv")))), "\n")
	if len(csv) != 6 || !strings.HasPrefix(csv[1], "0.001,max_epochs,30,") {
		t.Errorf("lr_find.csv:\n%s", strings.Join(csv, "\n"))
	}
	var sum struct {
		Suggested *float64 `json:"suggested_learning_rate"`
		Rates     []struct {
			LearningRate float64 `json:"learning_rate"`
			Stable       bool    `json:"stable"`
		} `json:"rates"`
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(out, "summary.json")), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Suggested == nil || len(sum.Rates) != 5 {
		t.Fatalf("summary %+v", sum)
	}
	for _, f := range []string{"lr_find.png", "lr_find.svg"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	lb := filepath.Join(dir, "lb.yaml")
	writeFile(t, lb, strings.Replace(gdSpec, "optimizer: {name: gd, learning_rate: 0.01}\n", "", 1))
	code, _, errOut = run(t, context.Background(), false, "fit", lb, "--lr-find", "--out", out)
	if code != ExitUsage || !strings.Contains(errOut, "the lbfgs optimizer has no learning rate") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

// TestBacktrackCLI checks that a fit with too large a learning rate and
// on_divergence: backtrack finishes, says so, and counts the backtracks
// in summary.json.
func TestBacktrackCLI(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "s.yaml")
	writeFile(t, p, strings.Replace(strings.Replace(gdSpec, "learning_rate: 0.01", "learning_rate: 1000", 1), "mean: 5, variance: 1", "mean: 0, variance: 10", 1)+
		"epochs: 20\non_divergence: backtrack\n")
	out := filepath.Join(dir, "out")
	code, stdout, errOut := run(t, context.Background(), false, "fit", p, "--no-figures", "--out", out)
	if code != 0 || !strings.Contains(stdout, "backtracked 4 times after a divergence; learning rate now 62.5") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, errOut)
	}
	var sum struct {
		Backtracks int     `json:"backtracks"`
		FinalLR    float64 `json:"final_learning_rate"`
		Stop       struct {
			Rule string `json:"rule"`
		} `json:"stop"`
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(out, "summary.json")), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Backtracks != 4 || sum.FinalLR != 62.5 || sum.Stop.Rule != "max_epochs" {
		t.Errorf("summary %+v", sum)
	}
}

// FuzzParseCompare checks that the --compare list parser never panics and
// returns only known, distinct optimizer names.
func FuzzParseCompare(f *testing.F) {
	for _, s := range []string{"gd,momentum,adam,lbfgs", " gd , adam ", "gd,,adam", "gd,gd", "sgd", ",", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, list string) {
		names, err := parseCompare(list)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error on several lines: %q", err)
			}
			return
		}
		seen := map[string]bool{}
		for _, n := range names {
			if seen[n] || n == "" || strings.ContainsAny(n, ", ") {
				t.Errorf("parseCompare(%q) = %q", list, names)
			}
			seen[n] = true
		}
	})
}

// cancelWriter collects what is written to it and calls cancel once it
// has seen the text at.
type cancelWriter struct {
	bytes.Buffer
	at     string
	cancel context.CancelFunc
}

func (w *cancelWriter) Write(p []byte) (int, error) {
	n, err := w.Buffer.Write(p)
	if strings.Contains(w.String(), w.at) {
		w.cancel()
	}
	return n, err
}

// TestInterruptedChooser interrupts --lr-find and --compare (as Ctrl-C
// does) once they have said what they are about to run: each exits with
// 130 and writes a summary that says it was interrupted, and the sweep
// suggests no learning rate from rates it did not finish.
func TestInterruptedChooser(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "s.yaml")
	writeFile(t, p, strings.Replace(gdSpec, "step: 0.1", "step: 0.001", 1)+"epochs: 100000\n")
	for _, c := range []struct {
		flags []string
		said  string
		want  string
	}{
		{[]string{"--lr-find", "--lr-per-decade", "1", "--lr-find-epochs", "100000"}, "sweeping", "no learning rate suggested"},
		{[]string{"--compare", "gd,adam"}, "comparing", "interrupted before every run finished"},
	} {
		ctx, cancel := context.WithCancel(context.Background())
		out := filepath.Join(dir, c.flags[0][2:])
		stdout := &cancelWriter{at: c.said, cancel: cancel}
		var stderr bytes.Buffer
		code := Run(ctx, append([]string{"fit", p, "--no-figures", "--out", out}, c.flags...), &IOStreams{In: strings.NewReader(""), Out: stdout, ErrOut: &stderr})
		cancel()
		if code != ExitInterrupted || !strings.Contains(stderr.String(), c.want) || strings.Count(stderr.String(), "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q", c.flags, code, stderr.String())
		}
		if strings.Contains(stdout.String(), "suggested") {
			t.Errorf("%v: stdout suggests a rate:\n%s", c.flags, stdout.String())
		}
		var sum map[string]any
		if err := json.Unmarshal(readFile(t, filepath.Join(out, "summary.json")), &sum); err != nil {
			t.Fatal(err)
		}
		if sum["interrupted"] != true {
			t.Errorf("%v: summary.json's interrupted is %v, want true", c.flags, sum["interrupted"])
		}
		if s, ok := sum["suggested_learning_rate"]; ok && s != nil {
			t.Errorf("%v: summary.json suggests %v from an interrupted sweep", c.flags, s)
		}
	}
	// Not interrupted, the summaries say so too.
	for _, flags := range [][]string{{"--lr-find", "--lr-per-decade", "1", "--lr-find-epochs", "5"}, {"--compare", "gd,adam"}} {
		small := filepath.Join(dir, "small.yaml")
		writeFile(t, small, gdSpec+"epochs: 5\n")
		out := filepath.Join(dir, "done"+flags[0][2:])
		if code, _, e := run(t, context.Background(), false, append([]string{"fit", small, "--no-figures", "--out", out}, flags...)...); code != 0 {
			t.Fatalf("%v: exit %d: %s", flags, code, e)
		}
		var sum map[string]any
		if err := json.Unmarshal(readFile(t, filepath.Join(out, "summary.json")), &sum); err != nil {
			t.Fatal(err)
		}
		if sum["interrupted"] != false {
			t.Errorf("%v: summary.json's interrupted is %v, want false", flags, sum["interrupted"])
		}
	}
}
