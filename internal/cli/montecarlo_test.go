package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/spec"
)

// mcSummary is what the Monte Carlo tests read of summary.json.
type mcSummary struct {
	Status      string             `json:"status"`
	Divergence  string             `json:"divergence"`
	LossMeaning string             `json:"loss_meaning"`
	Params      map[string]float64 `json:"params"`
	Diagnostics *struct {
		Draws      int      `json:"draws"`
		ELBO       *float64 `json:"elbo"`
		ELBOStdErr *float64 `json:"elbo_stderr"`
		LogZ       *float64 `json:"log_z"`
		LogZStdErr *float64 `json:"log_z_stderr"`
		ParetoK    *float64 `json:"pareto_k"`
		KThreshold *float64 `json:"k_threshold"`
		Warning    *string  `json:"warning"`
	} `json:"diagnostics"`
}

func readSummary(t *testing.T, dir string) mcSummary {
	t.Helper()
	var s mcSummary
	if err := json.Unmarshal(readFile(t, filepath.Join(dir, "summary.json")), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestFitLogDensity fits log-density targets by Monte Carlo end to end:
// the files, the loss's standard error in history.csv, what the loss
// means on stdout and in summary.json, and the diagnostics, with a
// warning on stderr exactly when k̂ is above its threshold: a full-rank
// model of a normal target is reliable, a mean-field one of a strongly
// correlated target is not.
func TestFitLogDensity(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name, target, model string
		warn                bool
	}{
		{"full", "'logdensity(\"-(x1^2 - 1.8*x1*x2 + x2^2)/(2*0.19)\", dims=2)'", "mvnormal", false},
		{"diag", "{log_density: '-(x1^2 - 1.98*x1*x2 + x2^2)/(2*0.0199)', dims: 2}", "mvnormal_diag", true},
	} {
		src := filepath.Join(dir, c.name+".yaml")
		writeFile(t, src, "target: "+c.target+"\nmodel: {family: "+c.model+"}\nestimator: {name: monte_carlo, samples: 500, seed: 2}\nepochs: 200\n")
		out := filepath.Join(dir, c.name)
		code, stdout, stderr := run(t, context.Background(), false, "fit", src, "--out", out)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", c.name, code, stderr)
		}
		for _, f := range []string{"spec.yaml", "history.csv", "summary.json", "loss.png", "loss.svg", "mean_0.png", "covariance_1_1.svg", "variance_1.png", "corner.png", "corner.svg"} {
			_, err := os.Stat(filepath.Join(out, f))
			if want := !strings.Contains(f, "covariance") && !strings.Contains(f, "variance") || strings.HasPrefix(f, "variance") == (c.model == "mvnormal_diag"); (err == nil) != want {
				t.Errorf("%s: %s: %v", c.name, f, err)
			}
		}
		header, _, _ := strings.Cut(string(readFile(t, filepath.Join(out, "history.csv"))), "\n")
		if !strings.HasPrefix(header, "epoch,reverse_kl,mean[0],mean[1],") || !strings.HasSuffix(header, ",loss_stderr") {
			t.Errorf("%s: header %s", c.name, header)
		}
		if !strings.Contains(stdout, "final KL(Q||P) - log Z = ") || !strings.Contains(stdout, "the loss is KL(Q||P) - log Z") {
			t.Errorf("%s: stdout does not say what the loss is:\n%s", c.name, stdout)
		}
		s := readSummary(t, out)
		dg := s.Diagnostics
		if s.Divergence != "reverse_kl" || !strings.Contains(s.LossMeaning, "up to the constant log Z") || dg == nil ||
			dg.Draws != 4000 || dg.ELBO == nil || dg.ELBOStdErr == nil || dg.LogZ == nil || dg.ParetoK == nil || dg.KThreshold == nil || dg.Warning == nil {
			t.Fatalf("%s: summary %+v, diagnostics %+v", c.name, s, dg)
		}
		// The target is normalized but for its constant: log Z is that of
		// a normal of covariance [[1, r], [r, 1]], log(2 pi sqrt(1 - r^2)).
		r := map[string]float64{"full": 0.9, "diag": 0.99}[c.name]
		// Its stated standard error must cover the error (at 4 standard
		// errors), or be null (unknown) when k̂ > 0.5.
		logZ := math.Log(2 * math.Pi * math.Sqrt(1-r*r))
		switch se := dg.LogZStdErr; {
		case *dg.ParetoK > 0.5 && se != nil:
			t.Errorf("%s: k̂ %v > 0.5 and log Z has a standard error %v", c.name, *dg.ParetoK, *se)
		case *dg.ParetoK <= 0.5 && (se == nil || math.Abs(*dg.LogZ-logZ) > 4**se):
			t.Errorf("%s: log Z %v ± %v, exact %v", c.name, *dg.LogZ, se, logZ)
		}
		warned := strings.Contains(stderr, "klfit: warning: unreliable fit: Pareto k̂")
		if above := *dg.ParetoK > *dg.KThreshold; above != c.warn || warned != c.warn || (*dg.Warning != "") != c.warn {
			t.Errorf("%s: k̂ %v (threshold %v), warning %q, stderr %q", c.name, *dg.ParetoK, *dg.KThreshold, *dg.Warning, stderr)
		}
		if c.warn && (strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "mean-field")) {
			t.Errorf("%s: the warning is not one line saying why: %q", c.name, stderr)
		}
	}
}

// TestFitSamplesColumns fits a normal to 3-D samples end to end: the fit
// reaches the samples' mean and covariance (computed here), summary.json
// has no diagnostics (no target density to compare with) and history.csv
// no standard error (the loss is exact given the samples).
func TestFitSamplesColumns(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("id,x,y,z\n")
	var rows [][3]float64
	for i := range 300 {
		v := float64(i)
		x := [3]float64{math.Cos(v), math.Cos(v) + math.Sin(2*v), float64(i%7) - 3}
		rows = append(rows, x)
		b.WriteString(strconv.Itoa(i) + "," + strconv.FormatFloat(x[0], 'g', -1, 64) + "," + strconv.FormatFloat(x[1], 'g', -1, 64) + "," + strconv.FormatFloat(x[2], 'g', -1, 64) + "\n")
	}
	writeFile(t, filepath.Join(dir, "data.csv"), b.String())
	writeFile(t, filepath.Join(dir, "fit.yaml"), "target: {samples: data.csv, columns: [x, y, z]}\nmodel: {family: mvnormal_diag}\n")
	out := filepath.Join(dir, "out")
	code, _, stderr := run(t, context.Background(), false, "fit", filepath.Join(dir, "fit.yaml"), "--out", out, "--no-figures")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	s := readSummary(t, out)
	if s.Diagnostics != nil || s.Divergence != "kl" || !strings.Contains(s.LossMeaning, "forward KL(P||Q) up to the constant entropy of P") {
		t.Errorf("summary %+v", s)
	}
	for j := range 3 {
		var m, v float64
		for _, x := range rows {
			m += x[j] / 300
		}
		for _, x := range rows {
			v += (x[j] - m) * (x[j] - m) / 300
		}
		k := strconv.Itoa(j)
		if got := s.Params["mean["+k+"]"]; math.Abs(got-m) > 1e-8 {
			t.Errorf("mean[%d] = %v, samples' %v", j, got, m)
		}
		if got := s.Params["variance["+k+"]"]; math.Abs(got-v) > 1e-8 {
			t.Errorf("variance[%d] = %v, samples' %v", j, got, v)
		}
	}
	if header, _, _ := strings.Cut(string(readFile(t, filepath.Join(out, "history.csv"))), "\n"); header != "epoch,kl,mean[0],mean[1],mean[2],variance[0],variance[1],variance[2]" {
		t.Errorf("header %s", header)
	}
	writeFile(t, filepath.Join(dir, "bad.yaml"), "target: {samples: data.csv, columns: [x, w]}\nmodel: {family: mvnormal}\n")
	code, _, stderr = run(t, context.Background(), false, "fit", filepath.Join(dir, "bad.yaml"), "--out", filepath.Join(dir, "bad"))
	if code != 2 || !strings.Contains(stderr, `spec line 1: target.columns: `) || !strings.Contains(stderr, `no column "w"`) || strings.Count(stderr, "\n") != 1 {
		t.Errorf("a missing column: exit %d, %q", code, stderr)
	}
}

// TestMonteCarloBadInput checks the refusals of Monte Carlo fits: one line
// on stderr, exit 2, nothing written.
func TestMonteCarloBadInput(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		spec  string
		flags []string
		want  string
	}{
		{"target: {log_density: '-x1^2 - x3^2', dims: 2}\nmodel: {family: mvnormal}\n", nil, "spec line 1: target.log_density: formula error at line 1, column 9: x3 is not a coordinate of a 2-D target"},
		{"target: {log_density: 'log(x1)', dims: 1}\nmodel: {family: mvnormal}\n", nil, "the initial model cannot be fitted: epoch 0: the log-density is NaN at draw "},
		{"target: {family: mvnormal, params: {mean: [0, 0, 0], covariance: [[1, 0, 0], [0, -1, 0], [0, 0, 1]]}}\nmodel: {family: mvnormal}\n", nil, "spec line 1: target.params.covariance: "},
		{"target: {log_density: '-x1^2', dims: 1}\nmodel: {family: mvnormal}\n", []string{"--compare", "gd,adam"}, "--compare runs fits on a grid, and this spec is a Monte Carlo fit (target.log_density)"},
		{"target: {log_density: '-x1^2', dims: 1}\nmodel: {family: mvnormal}\n", []string{"--lr-find"}, "--lr-find runs fits on a grid"},
	} {
		src := filepath.Join(dir, "s.yaml")
		writeFile(t, src, c.spec)
		out := filepath.Join(dir, "out")
		code, _, stderr := run(t, context.Background(), false, append([]string{"fit", src, "--out", out}, c.flags...)...)
		if code != 2 || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%s %v: exit %d, stderr %q, want %q", c.spec, c.flags, code, stderr, c.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: %s was written", c.spec, out)
		}
	}
}

// TestMonteCarloImproperTarget fits a target with no normalizable density
// along x2 (its log-density does not depend on it): the model's variance
// there runs off to +Inf, where the loss's estimate stays finite. The fit
// is diverged (exit 1), naming the parameter, with its last good state
// written, its figures and its final lines; it ended "stalled" with an
// infinite variance as its answer, exit 0, or crashed drawing its figures.
func TestMonteCarloImproperTarget(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "s.yaml")
	writeFile(t, src, "target: {log_density: '-x1^2/2', dims: 2}\nmodel: {family: mvnormal}\n")
	out := filepath.Join(dir, "out")
	code, stdout, stderr := run(t, context.Background(), false, "fit", src, "--out", out)
	if code != ExitFailure || !strings.Contains(stderr, "the fit diverged: ") || !strings.Contains(stderr, "the parameter covariance[1][1] is +Inf") ||
		strings.Contains(stderr, "goroutine") || strings.Contains(stderr, "off the grid") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if !strings.Contains(stdout, "wrote "+out+": ") || !strings.Contains(stdout, "corner.png") || !strings.Contains(stdout, "diagnostics of the last good state (") {
		t.Errorf("stdout %q", stdout)
	}
	sum := readSummary(t, out)
	if sum.Status != "diverged" || len(sum.Params) != 5 {
		t.Errorf("summary.json: status %q, parameters %v", sum.Status, sum.Params)
	}
	for name, v := range sum.Params {
		if math.IsInf(v, 0) || math.IsNaN(v) {
			t.Errorf("summary.json's %s is %v: not the last good state", name, v)
		}
	}
}

// TestMonteCarloDeterminism runs the same Monte Carlo fit (resampled
// draws and Adam, and fixed draws and L-BFGS) on one and on four threads
// (GOMAXPROCS, which sets the objective's threads): history.csv and
// summary.json are byte-identical, but for the wall time.
func TestMonteCarloDeterminism(t *testing.T) {
	dir := t.TempDir()
	wall := regexp.MustCompile(`"wall_time_seconds": [0-9.e-]+`)
	for i, src := range []string{
		"target: {log_density: '-x1^2/2 - (x2 - x1^2)^2 - (x3 - x2)^2/2', dims: 3}\nmodel: {family: mvnormal}\nestimator: {name: monte_carlo, samples: 100, seed: 5, resample: true}\noptimizer: {name: adam, learning_rate: 0.05}\nepochs: 60\n",
		"target: {log_density: '-x1^2/2 - (x2 - x1^2)^2 - (x3 - x2)^2/2', dims: 3}\nmodel: {family: mvnormal}\nestimator: {name: monte_carlo, samples: 100, seed: 5, qmc: true}\nepochs: 60\n",
	} {
		writeFile(t, filepath.Join(dir, "s.yaml"), src)
		var hist, sum [][]byte
		for _, procs := range []int{1, 4} {
			prev := runtime.GOMAXPROCS(procs)
			out := filepath.Join(dir, "out"+strconv.Itoa(i)+"_"+strconv.Itoa(procs))
			code, _, stderr := run(t, context.Background(), false, "fit", filepath.Join(dir, "s.yaml"), "--out", out, "--no-figures")
			runtime.GOMAXPROCS(prev)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			hist = append(hist, readFile(t, filepath.Join(out, "history.csv")))
			sum = append(sum, wall.ReplaceAll(readFile(t, filepath.Join(out, "summary.json")), nil))
		}
		if !bytes.Equal(hist[0], hist[1]) {
			t.Errorf("spec %d: history.csv differs between 1 and 4 threads", i)
		}
		if !bytes.Equal(sum[0], sum[1]) {
			t.Errorf("spec %d: summary.json differs between 1 and 4 threads:\n%s\n%s", i, sum[0], sum[1])
		}
		if !bytes.Contains(sum[0], []byte(`"pareto_k"`)) {
			t.Errorf("spec %d: no diagnostics", i)
		}
	}
}

// normalSpec returns a Monte Carlo spec fitting a full-rank model to a
// d-dimensional normal target, with correlations 0.5^|i-j|.
func normalSpec(d, epochs int) string {
	var mean, cov []string
	for i := range d {
		mean = append(mean, strconv.FormatFloat(0.1*float64(i), 'g', -1, 64))
		var row []string
		for j := range d {
			row = append(row, strconv.FormatFloat(math.Pow(0.5, math.Abs(float64(i-j))), 'g', -1, 64))
		}
		cov = append(cov, "["+strings.Join(row, ", ")+"]")
	}
	return "target: {family: mvnormal, params: {mean: [" + strings.Join(mean, ", ") + "], covariance: [" + strings.Join(cov, ", ") +
		"]}}\nmodel: {family: mvnormal}\nestimator: {name: monte_carlo, samples: 64, seed: 1}\nepochs: " + strconv.Itoa(epochs) + "\n"
}

// TestMonteCarloLargeHistory checks history.csv's columns in high
// dimension: at d = 20 > spec.FullHistoryDims it holds the loss, the 2d
// means and variances, and the loss's standard error, the last row
// agreeing with summary.json, which has all d(d+3)/2 parameters, as the
// checkpoint does; a fit resumed from a checkpoint writes the same
// history.csv, parameters and diagnostics as one run straight through. At d = 8
// every parameter is written.
func TestMonteCarloLargeHistory(t *testing.T) {
	dir := t.TempDir()
	const d = 20
	writeFile(t, filepath.Join(dir, "full.yaml"), normalSpec(d, 30))
	writeFile(t, filepath.Join(dir, "part.yaml"), normalSpec(d, 12))
	for _, args := range [][]string{
		{"fit", filepath.Join(dir, "full.yaml"), "--out", filepath.Join(dir, "full"), "--no-figures"},
		{"fit", filepath.Join(dir, "part.yaml"), "--out", filepath.Join(dir, "part"), "--no-figures", "--checkpoint", filepath.Join(dir, "cp.json")},
		{"fit", filepath.Join(dir, "full.yaml"), "--out", filepath.Join(dir, "resumed"), "--no-figures", "--resume", filepath.Join(dir, "cp.json")},
	} {
		if code, _, stderr := run(t, context.Background(), false, args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
	}
	hist := readFile(t, filepath.Join(dir, "full", "history.csv"))
	if resumed := readFile(t, filepath.Join(dir, "resumed", "history.csv")); !bytes.Equal(hist, resumed) {
		t.Error("the resumed fit's history.csv differs from the straight one's")
	}
	a, _ := json.Marshal(readSummary(t, filepath.Join(dir, "full")))
	b, _ := json.Marshal(readSummary(t, filepath.Join(dir, "resumed")))
	if !bytes.Equal(a, b) {
		t.Errorf("the resumed fit's summary.json (its parameters, diagnostics) differs from the straight one's:\n%s\n%s", a, b)
	}
	lines := strings.Split(strings.TrimSpace(string(hist)), "\n")
	want := []string{"epoch", "reverse_kl"}
	for i := range d {
		want = append(want, "mean["+strconv.Itoa(i)+"]")
	}
	for i := range d {
		want = append(want, "covariance["+strconv.Itoa(i)+"]["+strconv.Itoa(i)+"]")
	}
	want = append(want, "loss_stderr")
	if got := lines[0]; got != strings.Join(want, ",") {
		t.Fatalf("header\n%s\nwant\n%s", got, strings.Join(want, ","))
	}
	if len(lines) != 1+31 {
		t.Errorf("%d rows, want 31 (epochs 0 to 30)", len(lines)-1)
	}
	sum := readSummary(t, filepath.Join(dir, "full"))
	if len(sum.Params) != d*(d+3)/2 {
		t.Errorf("summary.json has %d parameters, want %d", len(sum.Params), d*(d+3)/2)
	}
	last := strings.Split(lines[len(lines)-1], ",")
	for k, name := range want[2 : 2+2*d] {
		v, err := strconv.ParseFloat(last[2+k], 64)
		if p, ok := sum.Params[name]; err != nil || !ok || p != v {
			t.Errorf("%s: history.csv's last row %s, summary.json %v", name, last[2+k], p)
		}
	}
	cp, err := fit.ReadCheckpoint(filepath.Join(dir, "cp.json"))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(cp.History.Names); n != d*(d+3)/2 {
		t.Errorf("the checkpoint holds %d parameters, want %d", n, d*(d+3)/2)
	}

	writeFile(t, filepath.Join(dir, "d8.yaml"), normalSpec(spec.FullHistoryDims, 3))
	if code, _, stderr := run(t, context.Background(), false, "fit", filepath.Join(dir, "d8.yaml"), "--out", filepath.Join(dir, "d8"), "--no-figures"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	header := strings.SplitN(string(readFile(t, filepath.Join(dir, "d8", "history.csv"))), "\n", 2)[0]
	if n, d := len(strings.Split(header, ",")), spec.FullHistoryDims; n != 3+d*(d+3)/2 {
		t.Errorf("d = %d: %d columns, want all %d parameters and 3", d, n, d*(d+3)/2)
	}
}

// TestForwardKLOptimumReport checks what a forward-KL fit to draws says of
// the optimum it knows (the draws' own mean and covariance): at it, for a
// fit from its default start; a warning, for one given a start so far off
// (10^7 away) that it does not reach it in its epochs.
func TestForwardKLOptimumReport(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		init, stdout, stderr string
	}{
		{"", "this fit is at it, to rounding", ""},
		{", init: {mean: [0, 0]}", "above it", "klfit: warning: the fit did not reach the optimum: it ended "},
	} {
		src := filepath.Join(dir, "s.yaml")
		writeFile(t, src, "target: {family: mvnormal, params: {mean: [10000000, 0], covariance: [[1, 0], [0, 1]]}}\nmodel: {family: mvnormal"+c.init+
			"}\ndivergence: kl\nestimator: {name: monte_carlo, samples: 512, seed: 3}\nepochs: 200\n")
		code, stdout, stderr := run(t, context.Background(), false, "fit", src, "--out", filepath.Join(dir, "out"), "--no-figures")
		if code != 0 || !strings.Contains(stdout, "the least loss, at the samples' own mean and covariance: ") || !strings.Contains(stdout, c.stdout) ||
			(c.stderr == "") != !strings.Contains(stderr, "did not reach the optimum") || !strings.Contains(stderr, c.stderr) {
			t.Errorf("init %q: exit %d, stdout %q, stderr %q", c.init, code, stdout, stderr)
		}
	}
}

// TestMonteCarloResumeIsExact runs a Monte Carlo fit for 30 epochs
// straight, and for 12 with a checkpoint, then resumed from it to 30: the
// resumed fit's history.csv and summary.json (wall time and the count of
// this run's evaluations aside) must be byte-identical to the straight
// fit's, with draws fixed and drawn afresh at each epoch.
func TestMonteCarloResumeIsExact(t *testing.T) {
	dir := t.TempDir()
	wall := regexp.MustCompile(`"(wall_time_seconds|evaluations)": [0-9.e-]+`)
	for _, resample := range []bool{false, true} {
		name := "resample_" + strconv.FormatBool(resample)
		src := func(epochs int) string {
			return "target: {log_density: '-x1^2/2 - (x2 - x1^2)^2', dims: 2}\nmodel: {family: mvnormal}\nestimator: {name: monte_carlo, samples: 128, seed: 1, resample: " +
				strconv.FormatBool(resample) + "}\noptimizer: {name: adam, learning_rate: 0.01}\nepochs: " + strconv.Itoa(epochs) + "\n"
		}
		full, part := filepath.Join(dir, name+"-full.yaml"), filepath.Join(dir, name+"-part.yaml")
		writeFile(t, full, src(30))
		writeFile(t, part, src(12))
		cp := filepath.Join(dir, name+".ckpt")
		for _, args := range [][]string{
			{"fit", full, "--out", filepath.Join(dir, name, "straight"), "--no-figures"},
			{"fit", part, "--out", filepath.Join(dir, name, "part"), "--no-figures", "--checkpoint", cp},
			{"fit", full, "--out", filepath.Join(dir, name, "resumed"), "--no-figures", "--resume", cp},
		} {
			if code, _, stderr := run(t, context.Background(), false, args...); code != 0 {
				t.Fatalf("%s: %v: exit %d: %s", name, args, code, stderr)
			}
		}
		for _, file := range []string{"history.csv", "summary.json"} {
			a := wall.ReplaceAll(readFile(t, filepath.Join(dir, name, "straight", file)), nil)
			b := wall.ReplaceAll(readFile(t, filepath.Join(dir, name, "resumed", file)), nil)
			if !bytes.Equal(a, b) {
				t.Errorf("%s: the resumed fit's %s differs from the straight one's", name, file)
			}
		}
	}
}

// TestSingularSamples fits samples on which a full-rank normal has no best
// fit: collinear (y = 2x), nearly so (y = 2x + 1 + 10^-10 noise), or with
// a constant column. The fit is refused, exit 2, in one line naming the
// key, the file and the dependent column with what to do, and nothing is
// written; a mean-field model of the collinear samples has a best fit
// (their variances), and reaches it.
func TestSingularSamples(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "col.csv"), "x,y\n1,2\n2,4\n3,6\n4,8\n")
	var near strings.Builder
	near.WriteString("x,y,c,f\n")
	for i := range 200 {
		x := math.Sin(float64(i))
		near.WriteString(strconv.FormatFloat(x, 'g', -1, 64) + "," + strconv.FormatFloat(2*x+1+1e-10*math.Cos(3*float64(i)), 'g', -1, 64) + ",7," +
			strconv.FormatFloat(1e12+math.Cos(float64(i)), 'g', -1, 64) + "\n")
	}
	writeFile(t, filepath.Join(dir, "near.csv"), near.String())
	for _, c := range []struct {
		target, model string
		code          int
		want          string
	}{
		{"{samples: col.csv, columns: [x, y]}", "mvnormal", 2, "/col.csv: the samples lie on a subspace of fewer than 2 dimensions: y = 2 x (to rounding"},
		{"{samples: near.csv, columns: [x, y]}", "mvnormal", 2, "/near.csv: the samples lie on a subspace of fewer than 2 dimensions: y = 2 x + 1 (to rounding"},
		{"{samples: near.csv, columns: [x, c]}", "mvnormal_diag", 2, "/near.csv: c is constant, so its variance is 0"},
		// f varies (standard deviation 0.7), but by less than 10^4 times
		// its values' rounding (2^-52 of 10^12): not constant, too close.
		{"{samples: near.csv, columns: [x, f]}", "mvnormal_diag", 2, "/near.csv: f varies too little next to its mean for rounding to tell its variance (standard deviation 0.70"},
		{"{samples: col.csv, columns: [x, y]}", "mvnormal_diag", 0, "the least loss, at the samples' own mean and covariance: 3.7541677982835004; this fit is at it, to rounding"},
	} {
		src := filepath.Join(dir, "s.yaml")
		writeFile(t, src, "target: "+c.target+"\nmodel: {family: "+c.model+"}\n")
		out := filepath.Join(dir, "out")
		os.RemoveAll(out)
		code, stdout, stderr := run(t, context.Background(), false, "fit", src, "--out", out, "--no-figures")
		switch {
		case code != c.code:
			t.Errorf("%s, %s: exit %d, want %d: %s", c.target, c.model, code, c.code, stderr)
		case code == 0 && (!strings.Contains(stdout, c.want) || stderr != ""):
			t.Errorf("%s, %s: stdout %q, stderr %q, want %q", c.target, c.model, stdout, stderr, c.want)
		case code == 0:
		case !strings.Contains(stderr, "spec line 1: target.columns: ") || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "drop "):
			t.Errorf("%s, %s: stderr %q, want %q", c.target, c.model, stderr, c.want)
		default:
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s, %s: %s was written", c.target, c.model, out)
			}
		}
	}
}

// TestMonteCarloMemoryRefusal runs fits that would not fit in memory,
// under a GOMEMLIMIT (debug.SetMemoryLimit) that makes the budget the
// same on any machine: a full-rank model in 2000 dimensions for 2 epochs
// under 1 GiB, and, under 4 GiB, a long fit in 100 dimensions whose
// checkpoint would not fit (the fit alone would). Each is refused with
// exit 2, one line naming the key, the estimate and what to change, and
// nothing is written; it was a Go stack trace from the runtime's "out of
// memory".
func TestMonteCarloMemoryRefusal(t *testing.T) {
	dir := t.TempDir()
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	for _, c := range []struct {
		spec  string
		limit int64
		flags []string
		want  []string
	}{
		{"target: {log_density: \"-x1^2/2\", dims: 2000}\nmodel: {family: mvnormal}\nepochs: 2\n", 1 << 30, nil,
			[]string{"spec line 1: target.dims: this fit would need about ", "more than the 1 GiB it may use here (GOMEMLIMIT)", "model mvnormal_diag (4000 parameters instead of 2003000)"}},
		{"target: {log_density: \"-x1^2/2\", dims: 100}\nmodel: {family: mvnormal}\nepochs: 20000\n", 4 << 30, []string{"--checkpoint", filepath.Join(dir, "cp.json")},
			[]string{"spec line 1: target.dims: this fit would need about ", "the checkpoint's JSON ", "no --checkpoint"}},
	} {
		src := filepath.Join(dir, "s.yaml")
		writeFile(t, src, c.spec)
		out := filepath.Join(dir, "out")
		debug.SetMemoryLimit(c.limit)
		code, _, stderr := run(t, context.Background(), false, append([]string{"fit", src, "--out", out, "--no-figures"}, c.flags...)...)
		debug.SetMemoryLimit(math.MaxInt64)
		if code != 2 || strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "klfit: ") {
			t.Errorf("%s: exit %d, stderr %q", c.spec, code, stderr)
		}
		for _, w := range c.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%s: stderr %q, want %q in it", c.spec, stderr, w)
			}
		}
		for _, f := range []string{out, filepath.Join(dir, "cp.json")} {
			if _, err := os.Stat(f); err == nil {
				t.Errorf("%s: %s was written", c.spec, f)
			}
		}
	}
}
