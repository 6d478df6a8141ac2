package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestDiv checks `klfit div`: the closed form for normals against the
// formula written out, --json's keys, the grid and Monte Carlo methods,
// and the +Inf and bad-input cases.
func TestDiv(t *testing.T) {
	ctx := context.Background()
	code, out, errOut := run(t, ctx, false, "div", "normal(mean=0, variance=1)", "normal(mean=1, variance=2)", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	want := 0.5 * (math.Log(2) + (1+1)/2.0 - 1) // (log(v2/v1) + (v1 + d^2)/v2 - 1)/2
	if r["p"] != "normal(mean=0, variance=1)" || r["divergence"] != "kl" || r["method"] != "closed_form" ||
		math.Abs(r["value"].(float64)-want) > 1e-15 || r["error"].(float64) != 1e-12*r["value"].(float64) {
		t.Errorf("json %v, want value %v", r, want)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--method", "grid"}, "(grid: "},
		{[]string{"--method", "mc", "--samples", "20000"}, "(Monte Carlo: 20000 draws"},
		{[]string{"--divergence", "js"}, "JS(P,Q) = "},
		{[]string{"-d", "renyi(alpha=0.5)"}, "D_0.5(P||Q) = "},
	} {
		code, out, errOut := run(t, ctx, false, append([]string{"div", "normal(mean=0, variance=1)", "normal(mean=1, variance=2)"}, c.args...)...)
		if code != 0 || !strings.Contains(out, c.want) || !strings.Contains(out, "P = normal(mean=0, variance=1)") {
			t.Errorf("%v: exit %d, %q %q", c.args, code, out, errOut)
		}
	}
	// The text output names the method of every answer and prints the
	// notes: +Inf decided from the tails, Monte Carlo with its Pareto k̂
	// and a heavy tail's note, a grid that a first-order jump no longer
	// fools (true KL 0.5747169..., mpmath).
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"cauchy(loc=0, scale=1)", "normal(mean=0, variance=1)"},
			[]string{"KL(P||Q) = +Inf (decided from the tails, before sampling): P's lower tail is too heavy for Q"}},
		{[]string{"student_t(df=1.5, loc=0, scale=1)", "normal(mean=0, variance=1)", "--method", "mc"},
			[]string{"= +Inf (decided from the tails, before sampling)", "power-law tail of index 1.5"}},
		{[]string{"normal(mean=0, variance=1)", "normal(mean=0, variance=10)", "-d", "alpha(alpha=-0.5)", "--method", "mc"},
			[]string{"+Inf (decided from the tails, before sampling): Q's lower tail is too heavy for P"}},
		{[]string{"student_t(df=3, loc=0, scale=1)", "normal(mean=0, variance=1)", "--method", "mc", "--samples", "20000"},
			[]string{"Pareto k̂", "NOT converged", "  note: Pareto k̂ = "}},
		{[]string{"beta(alpha=3, beta=3)", "exponential(rate=2)"}, []string{"KL(P||Q) = 0.57471"}},
		// Too few draws to estimate k̂: unknown, not "finite variance",
		// which JS's terms have whatever the draws.
		{[]string{"normal(mean=0, variance=1)", "normal(mean=0, variance=2)", "--method", "mc", "--samples", "5"},
			[]string{"(Monte Carlo: 5 draws, standard error ", "Pareto k̂ unknown; NOT converged)", "  note: the Pareto k̂ of the draws' terms could not be estimated"}},
		{[]string{"normal(mean=0, variance=1)", "normal(mean=0, variance=2)", "-d", "js", "--method", "mc", "--samples", "5"},
			[]string{"(Monte Carlo: 5 draws, standard error ", "terms of finite variance)"}},
		// A Renyi divergence of 0 prints 0.0, not -0.0 (log 1 / (alpha - 1)).
		{[]string{"normal(mean=0, variance=1)", "normal(mean=0, variance=1)", "-d", "renyi(alpha=0.5)", "--method", "mc"},
			[]string{"D_0.5(P||Q) = 0.0 ± 0 (Monte Carlo"}},
		// log q below -1.8e308 at a draw of P, inside Q's support: not a
		// support mismatch, and not known.
		{[]string{"normal(mean=0, variance=1e300)", "normal(mean=0, variance=1e-300)", "--method", "mc", "--samples", "1000"},
			[]string{"KL(P||Q) = +Inf (Monte Carlo): a term of the divergence is finite but above the largest float64 (1.8e308): log q at x="}},
		// Terms bounded above, light below: k̂ of each tail, not of their
		// magnitudes, which landed on the pile at the maximum (k̂ 3.42).
		{[]string{"normal(mean=0, variance=1)", "normal(mean=1, variance=2)", "--method", "mc", "--samples", "1000"},
			[]string{"(Monte Carlo: 1000 draws, standard error 0.0191, Pareto k̂ 0.0282)"}},
	} {
		code, out, errOut := run(t, ctx, false, append([]string{"div"}, c.args...)...)
		for _, w := range c.want {
			if code != 0 || !strings.Contains(out, w) {
				t.Errorf("%v: exit %d, %q %q, want %q", c.args, code, out, errOut, w)
			}
		}
		if strings.Contains(c.args[0], "normal") && strings.Contains(out, "finite variance") && !slices.Contains(c.args, "js") {
			t.Errorf("%v: says its terms have a finite variance:\n%s", c.args, out)
		}
	}
	code, out, _ = run(t, ctx, false, "div", "expr('x > 0 ? exp(-x) : 0')", "expr('x < 0 ? exp(x) : 0')", "--json")
	if code != 0 || !strings.Contains(out, `"value": "+Inf"`) || !strings.Contains(out, "P has mass where Q has none") {
		t.Errorf("disjoint supports: %d %s", code, out)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"div", "normal(mean=0", "normal(mean=0, variance=1)"}, `klfit: P: "normal(mean=0": column 14`},
		{[]string{"div", "normal(mean=0, variance=1)", "gauss(mu=1)"}, `klfit: Q: unknown family "gauss"`},
		{[]string{"div", "normal(mean=0, variance=1)", "normal(mean=0, variance=0)"}, "klfit: Q: params.variance: must be > 0, got 0"},
		{[]string{"div", "normal(mean=0, variance=1)", "normal(mean=0, variance=2)", "-d", "bregman"}, `unknown divergence "bregman"`},
		{[]string{"div", "normal(mean=0, variance=1)", "normal(mean=0, variance=2)", "-d", "js", "--method", "closed"}, "no closed form is known for js"},
		{[]string{"div", "normal(mean=0, variance=1)", "normal(mean=0, variance=2)", "--method", "exact"}, `--method: unknown method "exact"`},
		{[]string{"div", "samples(x.csv)", "normal(mean=0, variance=2)"}, "known only on a grid's cells"},
		// One draw has no standard error (it printed ± 0).
		{[]string{"div", "normal(mean=0, variance=1)", "normal(mean=0, variance=2)", "--method", "mc", "--samples", "1"}, "--samples: must be at least 2, for a standard error, got 1"},
		{[]string{"div", "normal(mean=0, variance=1)", "normal(mean=0, variance=2)", "--method", "mc", "--samples", "0"}, "--samples: must be at least 2"},
	} {
		code, _, errOut := run(t, ctx, false, c.args...)
		if code != ExitUsage || !strings.Contains(errOut, c.want) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, code, errOut, c.want)
		}
	}
}

// TestDivExtremeScales checks `klfit div`'s closed forms where the scales
// of the two members differ by up to 1e300, against mpmath
// (divergence/testdata/extreme.py, 45 digits): each must hold the value
// within the relative error it states, 1e-12 (they hold 1e-14); a finite
// divergence above float64's range must say so and not claim to have
// converged; an infinite one must say why.
func TestDivExtremeScales(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		p, q, div string
		want      float64
	}{
		{"normal(mean=0, variance=1)", "normal(mean=0, variance=1e12)", "kl", 13.315510557964774104},
		{"exponential(rate=1)", "exponential(rate=1e-12)", "kl", 26.631021115929548228},
		{"exponential(rate=1)", "exponential(rate=1e-8)", "kl", 17.420680753952365451},
		{"normal(mean=0, variance=1e-10)", "normal(mean=1, variance=1)", "kl", 11.512925465020228402},
		{"normal(mean=0, variance=1e-17)", "normal(mean=1, variance=1)", "kl", 19.571973290449388283},
		{"normal(mean=0, variance=1e-300)", "normal(mean=1, variance=1)", "kl", 345.38776394910685259},
		{"lognormal(mu=0, sigma=1e-9)", "lognormal(mu=0, sigma=1)", "kl", 20.223265836946411094},
		{"normal(mean=0, variance=1)", "normal(mean=0, variance=1e12)", "renyi(alpha=0.5)", 13.122363377405328795},
		{"normal(mean=0, variance=1e-10)", "normal(mean=1, variance=1)", "renyi(alpha=2)", 11.666351874740255747},
		{"gamma(shape=3, rate=2)", "gamma(shape=3, rate=2e12)", "kl", 2999999999914.1069367},
		{"laplace(loc=0, scale=1e-300)", "laplace(loc=1, scale=1)", "kl", 690.77552789821370518},
	} {
		code, out, errOut := run(t, ctx, false, "div", c.p, c.q, "-d", c.div, "--json")
		var r map[string]any
		if code != 0 || json.Unmarshal([]byte(out), &r) != nil {
			t.Errorf("%s %s || %s: exit %d %s %s", c.div, c.p, c.q, code, out, errOut)
			continue
		}
		v, _ := r["value"].(float64)
		if r["method"] != "closed_form" || r["converged"] != true || !(math.Abs(v-c.want) <= 1e-12*c.want) {
			t.Errorf("%s %s || %s: %v, mpmath %.17g", c.div, c.p, c.q, r, c.want)
		}
	}
	// 5e599 is finite, but no float64.
	code, out, _ := run(t, ctx, false, "div", "normal(mean=0, variance=1e300)", "normal(mean=0, variance=1e-300)", "--json")
	var r map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &r) != nil || r["value"] != "+Inf" || r["converged"] != false ||
		!strings.Contains(fmt.Sprint(r["reason"]), "finite but above the largest float64") {
		t.Errorf("overflow: exit %d %s", code, out)
	}
	code, out, _ = run(t, ctx, false, "div", "normal(mean=0, variance=1e300)", "normal(mean=0, variance=1e-300)")
	if code != 0 || !strings.HasPrefix(out, "KL(P||Q) = +Inf (closed form): the divergence is finite but above the largest float64") {
		t.Errorf("overflow: exit %d %q", code, out)
	}
	// Renyi of order 2 between N(0, 3) and N(0, 1) is infinite: P's tails
	// are too heavy.
	code, out, _ = run(t, ctx, false, "div", "normal(mean=0, variance=3)", "normal(mean=0, variance=1)", "-d", "renyi(alpha=2)", "--json")
	r = nil
	if code != 0 || json.Unmarshal([]byte(out), &r) != nil || r["value"] != "+Inf" || r["converged"] != true ||
		!strings.Contains(fmt.Sprint(r["reason"]), "tails are too heavy") {
		t.Errorf("infinite Renyi: exit %d %s", code, out)
	}
}

// TestFitLine checks `klfit fit` without a spec file: a mixture target,
// a model started at the target's moments, reported columns, and that
// --print-spec prints the spec the flags describe.
func TestFitLine(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	target := "0.5*normal(mean=-2, variance=1) + 0.5*normal(mean=2, variance=1)"
	code, out, errOut := run(t, ctx, false, "fit", "--target", target, "--model", "normal", "--report", "js", "--report", "hellinger",
		"--epochs", "5", "--json", "--no-figures", "--out", filepath.Join(dir, "out"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var sum struct {
		Params map[string]float64 `json:"params"`
		Report map[string]any     `json:"report"`
		Spec   map[string]any     `json:"spec"`
	}
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatal(err)
	}
	// Started at the mixture's moments: mean 0, variance 1 + 4 = 5, which
	// is forward KL's optimum, so it stays there (to the grid's accuracy).
	if math.Abs(sum.Params["mean"]) > 1e-9 || math.Abs(sum.Params["variance"]-5) > 1e-6 || sum.Report["js"] == nil {
		t.Errorf("summary %+v", sum)
	}
	head := strings.SplitN(string(readFile(t, filepath.Join(dir, "out", "history.csv"))), "\n", 2)[0]
	if head != "epoch,kl,mean,variance,js,hellinger" {
		t.Errorf("history header %q", head)
	}
	apart := "0.5*normal(mean=-3, variance=1) + 0.5*normal(mean=3, variance=1)"
	code, out, _ = run(t, ctx, false, "fit", "--target", apart, "--model", "normal(mean=1, variance=1)", "--divergence", "reverse_kl",
		"--grid", "-10:10:0.05", "--optimizer", "gd(learning_rate=0.5)", "--print-spec")
	if code != 0 || !strings.Contains(out, "mixture:") || !strings.Contains(out, "divergence: reverse_kl") || !strings.Contains(out, "{start: -10, stop: 10, step: 0.05}") {
		t.Errorf("--print-spec: %d\n%s", code, out)
	}
	// A boolean setting, in the one-line syntax as in the spec.
	if code, mom, errOut := run(t, ctx, false, "fit", "--target", apart, "--model", "normal", "--optimizer", "momentum(learning_rate=0.05, nesterov=true)", "--print-spec"); code != 0 ||
		!strings.Contains(mom, "optimizer: {name: momentum, learning_rate: 0.05, nesterov: true}") {
		t.Errorf("--optimizer with nesterov=true: exit %d, stderr %q\n%s", code, errOut, mom)
	}
	// The printed spec runs as a file: reverse KL settles on the mode at 3
	// (pulled in slightly by the other mode: 2.984 and 1.047 after 300 steps).
	specPath := filepath.Join(dir, "s.yaml")
	writeFile(t, specPath, strings.Replace(out, "epochs: 1000", "epochs: 300", 1))
	code, out, errOut = run(t, ctx, false, "fit", specPath, "--json", "--no-figures", "--out", filepath.Join(dir, "rev"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatal(err)
	}
	if math.Abs(sum.Params["mean"]-3) > 0.05 || math.Abs(sum.Params["variance"]-1) > 0.1 {
		t.Errorf("reverse KL fit %v, want the mode at 3", sum.Params)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"fit"}, "give a spec file, or --target and --model"},
		{[]string{"fit", "--target", "normal(mean=0, variance=1)"}, "--model: give the model family"},
		{[]string{"fit", "--target", "normal(mean=0, variance=1", "--model", "normal"}, "--target: \"normal(mean=0, variance=1\": column 26"},
		{[]string{"fit", "--target", "normal(mean=0, variance=1)", "--model", "normal", "--grid", "0:1"}, "--grid: want START:STOP:STEP"},
		{[]string{"fit", "--target", "samples(x.csv)", "--model", "normal"}, "--grid: none given, and samples(x.csv) has no known range"},
		{[]string{"fit", "--target", "normal(mean=0, variance=1)", "--model", "normal", "--divergence", "tv"}, "total variation has no useful gradient"},
		{[]string{"fit", "s.yaml", "--target", "normal(mean=0, variance=1)"}, "give a spec file or --target, not both"},
		{[]string{"fit", "--resume", "c.ckpt", "--epochs", "5"}, "--resume alone continues the fit its checkpoint holds"},
		{[]string{"fit", "--target", "normal(mean=0, variance=1)", "--model", "normal", "--optimizer", "momentum(nesterov=maybe)"},
			"--optimizer: \"momentum(nesterov=maybe)\": column 10: optimizer settings are name=number or name=true|false"},
		{[]string{"fit", "--target", "normal(mean=0, variance=1)", "--model", "normal", "--optimizer", "momentum(nesterov=1)"},
			"--optimizer: nesterov: must be true or false, got 1"},
		{[]string{"fit", "--target", "normal(mean=0, variance=1)", "--model", "normal", "--optimizer", "adam(learning_rate=true)"},
			"--optimizer: learning_rate: must be a number, got the boolean true"},
		{[]string{"fit", "--target", "normal(mean=0, variance=1)", "--model", "mixture"},
			"--model: a mixture model needs the number of its components and their family, as in 'mixture(components=2, component=normal)'"},
		{[]string{"fit", "--target", "normal(mean=0, variance=1)", "--model", "mixture(components=2, component=normal"},
			"--model: \"mixture(components=2, component=normal\": column 39: expected \",\" or \")\", got the end"},
		{[]string{"fit", "--target", "normal(mean=0, variance=1)", "--model", "0.5*normal(mean=0, variance=1) + 0.5*laplace(loc=1, scale=1)"},
			"column 38: the members of a mixture model are of one family: normal, not laplace"},
		{[]string{"fit", "--target", "normal(mean=0, variance=1)", "--model", "0.5*normal(mean=0, variance=1) + 0.6*normal(mean=1, variance=1)"},
			"--model: init.weights: must sum to 1"},
		{[]string{"fit", "--target", "normal(mean=0, variance=1)", "--model", "mixture(components=2, component=nrmal)"},
			"--model: component: unknown family \"nrmal\""},
		{[]string{"fit", "--target", "normal(mean=0, variance=1)", "--model", `expr("x")`}, "column 1: expr(...) is a target, not a model"},
	} {
		code, _, errOut := run(t, ctx, false, append(c.args, "--out", filepath.Join(dir, "x"))...)
		if code != ExitUsage || !strings.Contains(errOut, c.want) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, code, errOut, c.want)
		}
	}
}

// TestFitLineMixtureModel fits a mixture model given by --model, by its
// settings alone (started from a guess) and as a sum of weighted members
// (started there), to a bimodal target: both reach the target's
// parameters, and the spec --print-spec prints runs the same fit (the same
// history, to the byte).
func TestFitLineMixtureModel(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	target := "0.3*normal(mean=-3, variance=1) + 0.7*normal(mean=2, variance=0.5)"
	want := map[string]float64{"weights[0]": 0.3, "weights[1]": 0.7, "mean[0]": -3, "mean[1]": 2, "variance[0]": 1, "variance[1]": 0.5}
	for i, model := range []string{
		"mixture(components=2, component=normal)",
		"0.5*normal(mean=-1, variance=1) + 0.5*normal(mean=1, variance=1)",
	} {
		line := []string{"fit", "--target", target, "--model", model, "--grid", "-10:10:0.02", "--epochs", "100"}
		code, specYAML, errOut := run(t, ctx, false, append(line, "--print-spec")...)
		if code != 0 {
			t.Fatalf("%s: --print-spec: exit %d: %s", model, code, errOut)
		}
		if !strings.Contains(specYAML, "  family: mixture\n  components: 2\n  component: normal\n") {
			t.Errorf("%s: the printed spec has no mixture model:\n%s", model, specYAML)
		}
		specPath := filepath.Join(dir, fmt.Sprintf("s%d.yaml", i))
		writeFile(t, specPath, specYAML)
		fromFlags, fromSpec := filepath.Join(dir, fmt.Sprintf("flags%d", i)), filepath.Join(dir, fmt.Sprintf("spec%d", i))
		code, out, errOut := run(t, ctx, false, append(line, "--json", "--no-figures", "--out", fromFlags)...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", model, code, errOut)
		}
		if code, _, errOut := run(t, ctx, false, "fit", specPath, "--json", "--no-figures", "--out", fromSpec); code != 0 {
			t.Fatalf("%s: the printed spec: exit %d: %s", model, code, errOut)
		}
		if a, b := readFile(t, filepath.Join(fromFlags, "history.csv")), readFile(t, filepath.Join(fromSpec, "history.csv")); string(a) != string(b) {
			t.Errorf("%s: the history from the flags differs from the printed spec's", model)
		}
		var sum struct {
			Params map[string]float64 `json:"params"`
		}
		if err := json.Unmarshal([]byte(out), &sum); err != nil {
			t.Fatal(err)
		}
		// The model family holds the target: L-BFGS reaches it to the
		// grid's accuracy (1e-9 here), far inside 1e-6.
		for name, w := range want {
			if got, ok := sum.Params[name]; !ok || math.Abs(got-w) > 1e-6 {
				t.Errorf("%s: %s = %v, want %v", model, name, got, w)
			}
		}
	}
}

// TestFitSamplesFile fits a samples file given relative to the spec's
// directory, with a bad line skipped and reported on stderr.
func TestFitSamplesFile(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("x\n")
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&b, "%v\n", math.Sin(float64(i)*0.7)*1.5+0.5)
	}
	b.WriteString("n/a\n")
	if err := os.WriteFile(filepath.Join(dir, "data.csv"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "s.yaml"), `grid: {start: -3, stop: 4, step: 0.05}
target: {samples: data.csv, column: x, skip_invalid: true}
model: {family: normal, init: {mean: 0, variance: 1}}
epochs: 3
`)
	code, _, errOut := run(t, context.Background(), false, "fit", filepath.Join(dir, "s.yaml"), "--no-figures", "--out", filepath.Join(dir, "out"))
	if code != 0 || !strings.Contains(errOut, "klfit: warning: "+filepath.Join(dir, "data.csv")+": skipped 1 invalid line (the first at line 1002") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	writeFile(t, filepath.Join(dir, "bad.yaml"), `grid: {start: -3, stop: 4, step: 0.05}
target: {samples: data.csv, column: x}
model: {family: normal, init: {mean: 0, variance: 1}}
`)
	code, _, errOut = run(t, context.Background(), false, "fit", filepath.Join(dir, "bad.yaml"), "--out", filepath.Join(dir, "out2"))
	if code != ExitUsage || !strings.Contains(errOut, "spec line 2: target.samples: "+filepath.Join(dir, "data.csv")+` line 1002: "n/a" is not a number`) {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

// TestReadingProgress checks that reading a samples file shows progress on
// a terminal (stderr) and nothing when stderr is not one.
func TestReadingProgress(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	for i := 0; i < 200000; i++ { // about 2 MB: at least one update
		fmt.Fprintf(&b, "%.6f\n", math.Sin(float64(i)))
	}
	writeFile(t, filepath.Join(dir, "d.csv"), b.String())
	args := []string{"fit", "--target", "samples(" + filepath.Join(dir, "d.csv") + ")", "--model", "normal", "--grid", "-2:2:0.01", "--epochs", "1", "--no-figures", "--out", filepath.Join(dir, "o")}
	code, _, errOut := run(t, context.Background(), true, args...)
	if code != 0 || !strings.Contains(errOut, "reading "+filepath.Join(dir, "d.csv")+": ") || !strings.Contains(errOut, "100%") {
		t.Errorf("on a terminal: exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = run(t, context.Background(), false, args...)
	if code != 0 || strings.Contains(errOut, "reading") {
		t.Errorf("off a terminal: exit %d, stderr %q", code, errOut)
	}
}
