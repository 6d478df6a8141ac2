package spec_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/spec"
)

// TestMonteCarloErrors checks the errors of Monte Carlo specs: one line
// naming the key and its line; those in the spec's text are found by
// Check, without reading a file, and the same by Build.
func TestMonteCarloErrors(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "s.csv"), []byte("a,b,c\n1,2,3\n2,1,3.5\n0,0,1\n5,1,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "one.csv"), []byte("a,b\n1,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	const model = "\nmodel: {family: mvnormal}\n"
	normal3 := func(cov string) string {
		return "target: {family: mvnormal, params: {mean: [0, 0, 0], covariance: " + cov + "}}" + model
	}
	for _, c := range []struct {
		src, want string
		data      bool // found only by Build, which reads the data
	}{
		{"target: {log_density: '-x3^2', dims: 2}" + model, "spec line 1: target.log_density: formula error at line 1, column 2: x3 is not a coordinate of a 2-D target", false},
		{"target: {log_density: '-x1^2', dims: 0}" + model, "spec line 1: target.dims: must be at least 1, got 0", false},
		{"target: {log_density: '-x1^2 +', dims: 1}" + model, "spec line 1: target.log_density: formula error", false},
		{"target: 'logdensity(\"-x9^2\", dims=3)'" + model, "spec line 1: target.log_density: formula error at line 1, column 2: x9 is not a coordinate", false},
		{normal3("[[1, 2, 0], [2, 1, 0], [0, 0, 1]]"), "spec line 1: target.params.covariance: ", false},
		{normal3("[[1, 0.5, 0], [0, 1, 0], [0, 0, 1]]"), "spec line 1: target.params.covariance: not symmetric: [0][1] is 0.5 and [1][0] is 0", false},
		{normal3("[[1, 0], [0, 1]]"), "spec line 1: target.params.covariance: must be a 3 x 3 matrix", false},
		{"target: {family: mvnormal, params: {mean: [0, 0, 0], cov: 1}}" + model, "spec line 1: target.params.cov: unknown parameter (the mvnormal family takes mean, covariance)", false},
		{"target: {samples: s.csv, columns: [a, d]}" + model, `spec line 1: target.columns: ` + filepath.Join(dir, "s.csv") + ` line 1: no column "d"`, true},
		{"target: {samples: none.csv, columns: [a, b]}" + model, "spec line 1: target.samples: " + filepath.Join(dir, "none.csv") + ": cannot open", true},
		{"target: {samples: s.csv, columns: [a, b, c]}\nmodel: {family: mvnormal}\n", "", true}, // valid: 4 samples in 3-D
		{"target: {samples: one.csv, columns: [a, b]}" + model, "spec line 1: target.samples: " + filepath.Join(dir, "one.csv") + ": 1 sample in 2 dimensions: a normal fit needs more samples than dimensions", true},
		{"target: {samples: s.csv, columns: [a, a]}" + model, "spec line 1: target.columns[1]: column \"a\" is named twice", false},
		{"target: {samples: s.csv, columns: [a, b], column: a}" + model, "spec line 1: target.column: give column", false},
		{"target: {samples: s.csv, columns: [a, b], estimator: kde}" + model, "spec line 1: target.estimator: samples in columns", false},
		{"target: {log_density: '-x1^2', dims: 1}\ndivergence: js" + model, "spec line 2: divergence: js is not available for the monte_carlo estimator: a log-density is fitted by reverse_kl", false},
		{"target: {log_density: '-x1^2', dims: 1}\ndivergence: kl" + model, "spec line 2: divergence: kl is not available for the monte_carlo estimator: a log-density is fitted by reverse_kl (the forward kl needs samples of the target: a samples file with columns, or an mvnormal target, which can draw from itself)", false},
		{"target: {samples: s.csv, columns: [a, b]}\ndivergence: reverse_kl" + model, "spec line 2: divergence: reverse_kl is not available for the monte_carlo estimator: samples are fitted by kl", false},
		{"target: {log_density: '-x1^2', dims: 1}\nmodel: {family: normal}\n", "spec line 2: model.family: a Monte Carlo fit's model is mvnormal (full rank) or mvnormal_diag", false},
		{"target: {log_density: '-x1^2', dims: 1}\nmodel: {family: mvnormal, parameterization: raw}\n", "spec line 2: model.parameterization: ", false},
		{"target: {log_density: '-x1^2', dims: 1}\nmodel: {family: mvnormal, init: {mean: [1, 2]}}\n", "spec line 2: model.init.mean: must be a list of 1 numbers", false},
		{"target: {log_density: '-x1^2-x2^2', dims: 2}\nmodel: {family: mvnormal, init: {covariance: [[1, 2], [2, 1]]}}\n", "spec line 2: model.init.covariance: ", false},
		{"target: {log_density: '-x1^2', dims: 1}\nmodel: {family: mvnormal_diag, init: {variance: [0]}}\n", "spec line 2: model.init.variance: variance[0] must be > 0", false},
		{"target: {log_density: '-x1^2', dims: 1}\nmodel: {family: mvnormal_diag, init: {covariance: [[1]]}}\n", "spec line 2: model.init.covariance: unknown parameter (mvnormal_diag takes mean, variance)", false},
		{"grid: {start: 0, stop: 1, step: 0.1}\ntarget: {log_density: '-x1^2', dims: 1}" + model, "spec line 1: grid: a log_density target is fitted by Monte Carlo, with no grid: leave grid out (to fit on this grid, give the density as target: {expression: ...})", false},
		{"target: {log_density: '-x1^2', dims: 1}\nreport: [js]" + model, "spec line 2: report: reported divergences are computed on a grid", false},
		{"target: {log_density: '-x1^2', dims: 1}\ntarget_weights: density" + model, "spec line 2: target_weights: target weights apply to a grid", false},
		{"target: {log_density: '-x1^2', dims: 1}" + model + "optimizer: {name: natural_gradient}\n", "spec line 3: optimizer.name: the natural_gradient optimizer needs a grid problem", false},
		{"target: {log_density: '-x1^2', dims: 1}" + model + "estimator: {name: monte_carlo, resample: true}\n", "spec line 3: estimator.resample: draws made afresh", false},
		{"target: {log_density: '-x1^2', dims: 1}" + model + "estimator: {name: monte_carlo, samples: 1}\n", "spec line 3: estimator.samples: must be at least 2, got 1", false},
		{"target: {log_density: '-x1^2', dims: 1}" + model + "estimator: {name: monte_carlo, samples: 0}\n", "spec line 3: estimator.samples: must be at least 2, got 0", false},
		{"target: {log_density: '-x1^2', dims: 1}" + model + "estimator: {name: monte_carlo, seed: -1}\n", "spec line 3: estimator.seed: must be >= 0, got -1", false},
		{"target: {log_density: '-x1^2', dims: 1001}" + model + "estimator: {name: monte_carlo, qmc: true}\n", "spec line 3: estimator.qmc: quasi-Monte Carlo draws go up to 1000 dimensions", false},
		{"target: {log_density: '-x1^2', dims: 1}" + model + "estimator: grid\n", "spec line 3: estimator.name: a log_density target is fitted by Monte Carlo", false},
		{"target: {samples: s.csv, columns: [a, b]}" + model + "estimator: grid\n", "spec line 3: estimator.name: samples in columns are fitted by Monte Carlo", false},
		{"target: {log_density: '-x1^2', dims: 1}" + model + "estimator: mc\n", "spec line 3: estimator.name: unknown estimator \"mc\"", false},
		{"grid: {start: 0, stop: 1, step: 0.1}\ntarget: {family: normal, params: {mean: 0, variance: 1}}\nmodel: {family: normal}\nestimator: {name: grid, samples: 10}\n", "spec line 4: estimator: samples, seed, resample and qmc are settings of the monte_carlo estimator", false},
		{"target: {samples: s.csv, columns: [a, b]}" + model + "estimator: {name: monte_carlo, samples: 10}\n", "spec line 3: estimator: a fit from samples makes no draws", false},
		{"target: {family: normal, params: {mean: 0, variance: 1}}" + model + "estimator: monte_carlo\n", "spec line 1: target.family: a Monte Carlo fit takes a log_density, an mvnormal (or a mixture of them) or a samples target with columns; a normal target is fitted on a grid", false},
		{"target: {expression: exp(-x)}" + model + "estimator: monte_carlo\n", "spec line 1: target.expression: a Monte Carlo fit takes", false},
		{"target: {log_density: '-x1^2'}" + model, "spec line 1: target.dims: required key is missing", false},
		{normal3("[[1, 0, 0], [0, 1, 0], [0, 0, 1]]") + "divergence: js\n", "spec line 3: divergence: js is not available for the monte_carlo estimator: an mvnormal target is fitted by reverse_kl, or by kl on draws of the target", false},
		{normal3("[[1, 0, 0], [0, 1, 0], [0, 0, 1]]") + "divergence: kl\nestimator: {name: monte_carlo, samples: 3}\n", "spec line 4: estimator.samples: a forward kl fit draws the target's samples, and fits their covariance: it needs more draws than the 3 dimensions, got 3", false},
		{normal3("[[1, 0, 0], [0, 1, 0], [0, 0, 1]]") + "divergence: kl\nestimator: {name: monte_carlo, resample: true}\noptimizer: {name: adam}\n", "spec line 4: estimator.resample: a forward kl fit draws the target's samples once", false},
		{normal3("[[1, 0, 0], [0, 1, 0], [0, 0, 1]]") + "divergence: kl\nestimator: {name: monte_carlo, qmc: true}\n", "spec line 4: estimator.qmc: a forward kl fit draws the target's samples independently", false},
		{normal3("[[1, 0, 0], [0, 1, 0], [0, 0, 1]]") + "divergence: kl\nestimator: {name: monte_carlo, seed: -1}\n", "spec line 4: estimator.seed: must be >= 0, got -1", false},
		{normal3("[[1, 0, 0], [0, 1, 0], [0, 0, 1]]") + "divergence: kl\n", "", false}, // valid: 256 draws by default
	} {
		s, err := spec.Parse([]byte(c.src))
		if err == nil && !c.data {
			err = s.Check()
			var berr error
			if _, berr = s.Build(context.Background(), spec.Env{Dir: dir}); (berr == nil) != (err == nil) || berr != nil && berr.Error() != err.Error() {
				t.Errorf("%s: Check said %v, Build %v", c.src, err, berr)
			}
		} else if err == nil {
			if cerr := s.Check(); cerr != nil {
				t.Errorf("%s: Check, which reads no file, said %v", c.src, cerr)
			}
			_, err = s.Build(context.Background(), spec.Env{Dir: dir})
		}
		if c.want == "" {
			if err != nil {
				t.Errorf("%s: %v", c.src, err)
			}
			continue
		}
		var se *spec.Error
		switch {
		case err == nil:
			t.Errorf("%s: no error, want %q", c.src, c.want)
		case !errors.As(err, &se):
			t.Errorf("%s: error %v is a %T", c.src, err, err)
		case !strings.HasPrefix(err.Error(), c.want) || strings.Contains(err.Error(), "\n"):
			t.Errorf("%s:\nerror %s\nwant  %s", c.src, err, c.want)
		}
	}
}

// mcSpecs are Monte Carlo specs of every kind: reverse KL with fixed
// draws and L-BFGS, with resampled quasi-Monte Carlo draws and Adam, to a
// normal target in 4-D, and the forward KL from samples (in dir) and
// from draws of a normal target.
var mcSpecs = []string{
	"target: {log_density: '-x1^2/2 - (x2 - x1^2)^2 - x3^2', dims: 3}\nmodel: {family: mvnormal}\nestimator: {name: monte_carlo, samples: 64, seed: 7}\nepochs: 30\n",
	"target: 'logdensity(\"-x1^2/2 - (x2 - x1^2)^2\", dims=2)'\nmodel: {family: mvnormal_diag, init: {mean: [0.5, 0.5], variance: [2, 2]}}\nestimator: {name: monte_carlo, samples: 32, seed: 1, resample: true, qmc: true}\noptimizer: {name: adam, learning_rate: 0.05}\nepochs: 40\n",
	"target: {family: mvnormal, params: {mean: [1, 2, 3, 4], covariance: [[2, 1, 0, 0], [1, 2, 1, 0], [0, 1, 2, 1], [0, 0, 1, 2]]}}\nmodel: {family: mvnormal}\nepochs: 50\n",
	"target: {samples: s.csv, columns: [c, a, b]}\nmodel: {family: mvnormal}\nepochs: 100\n",
	"target: {family: mvnormal, params: {mean: [1, 2, 3], covariance: [[2, 1, 0], [1, 2, 1], [0, 1, 2]]}}\ndivergence: kl\nmodel: {family: mvnormal}\nestimator: {name: monte_carlo, samples: 50, seed: 3}\nepochs: 100\n",
}

// writeSamples writes s.csv, 3-D samples, into dir.
func writeSamples(t *testing.T, dir string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("a,b,c\n")
	for i := range 200 {
		x := float64(i)
		b.WriteString(strings.Join([]string{exact(math.Sin(x)), exact(math.Sin(x) + 0.5*math.Cos(3*x)), exact(x / 100)}, ",") + "\n")
	}
	if err := os.WriteFile(filepath.Join(dir, "s.csv"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// runMC runs a Monte Carlo fit of b on threads goroutines and returns
// its history as CSV.
func runMC(t *testing.T, b *spec.Built, threads int) []byte {
	obj, err := b.MonteCarlo.Objective(threads)
	if err != nil {
		t.Error(err)
		return nil
	}
	res, err := fit.RunEvaluable(context.Background(), obj, b.Divergence().Name(), b.Options())
	if err != nil {
		t.Error(err)
		return nil
	}
	if res.Status == fit.Diverged {
		t.Errorf("diverged: %v", res.Failure)
	}
	var buf bytes.Buffer
	res.History.WriteCSV(&buf)
	return buf.Bytes()
}

// TestMonteCarloBuiltReuse runs each built Monte Carlo fit twice, then
// twice concurrently, on one and on four threads: every history is the
// same to the byte. A Built holds no run's state.
func TestMonteCarloBuiltReuse(t *testing.T) {
	dir := t.TempDir()
	writeSamples(t, dir)
	for _, src := range mcSpecs {
		s, err := spec.Parse([]byte(src))
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.Build(context.Background(), spec.Env{Dir: dir})
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if b.Problem != nil || b.MonteCarlo == nil {
			t.Fatalf("%s: not built as a Monte Carlo fit", src)
		}
		first := runMC(t, b, 1)
		if len(first) == 0 {
			continue
		}
		if again := runMC(t, b, 1); !bytes.Equal(first, again) {
			t.Errorf("%s: a second run differs", src)
		}
		var wg sync.WaitGroup
		out := make([][]byte, 2)
		for i := range out {
			wg.Go(func() { out[i] = runMC(t, b, 1+3*i) }) // one thread, then four
		}
		wg.Wait()
		for i, o := range out {
			if !bytes.Equal(first, o) {
				t.Errorf("%s: concurrent run %d (%d threads) differs", src, i, 1+3*i)
			}
		}
	}
}

// TestMonteCarloSamplesOptimum checks the forward KL fit from samples
// against the samples' mean and covariance (divisor N) computed here in
// two plain passes: L-BFGS reaches them to 1e-8.
func TestMonteCarloSamplesOptimum(t *testing.T) {
	dir := t.TempDir()
	writeSamples(t, dir)
	s, _ := spec.Parse([]byte(mcSpecs[3]))
	b, err := s.Build(context.Background(), spec.Env{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	obj, _ := b.MonteCarlo.Objective(1)
	res, err := fit.RunEvaluable(context.Background(), obj, "kl", b.Options())
	if err != nil {
		t.Fatal(err)
	}
	var xs [][3]float64 // columns c, a, b, as the spec orders them
	for i := range 200 {
		x := float64(i)
		xs = append(xs, [3]float64{x / 100, math.Sin(x), math.Sin(x) + 0.5*math.Cos(3*x)})
	}
	var mean [3]float64
	for _, x := range xs {
		for j := range 3 {
			mean[j] += x[j] / 200
		}
	}
	want := map[string]float64{}
	for i := range 3 {
		want[b.ParamNames()[i]] = mean[i]
		for j := i; j < 3; j++ {
			var c float64
			for _, x := range xs {
				c += (x[i] - mean[i]) * (x[j] - mean[j]) / 200
			}
			want["covariance["+strconv.Itoa(i)+"]["+strconv.Itoa(j)+"]"] = c
		}
	}
	theta := res.Theta()
	for k, name := range b.ParamNames() {
		if w, ok := want[name]; !ok || math.Abs(theta[k]-w) > 1e-8 {
			t.Errorf("%s = %.12g, samples' %.12g (status %s)", name, theta[k], w, res.Status)
		}
	}
	if len(res.History.Report) != 0 {
		t.Errorf("a fit from samples reports %v: its loss has no Monte Carlo error", res.History.Report)
	}
}

// TestMonteCarloTargetDrawsOptimum checks the forward KL fit to draws of
// a normal target: L-BFGS reaches the draws' mean and covariance (divisor
// N) to 1e-8, for the full-rank model and, as variances, the mean-field
// one; the draws depend on the seed alone, and lie within 5 standard
// errors of the target's mean.
func TestMonteCarloTargetDrawsOptimum(t *testing.T) {
	for _, model := range []string{"mvnormal", "mvnormal_diag"} {
		src := strings.Replace(mcSpecs[4], "{family: mvnormal}", "{family: "+model+"}", 1)
		s, _ := spec.Parse([]byte(src))
		b, err := s.Build(context.Background(), spec.Env{})
		if err != nil {
			t.Fatal(err)
		}
		mc := b.MonteCarlo
		if mc.Moments == nil || mc.TargetDraws != 50 || mc.Moments.N() != 50 || mc.Target != nil {
			t.Fatalf("%s: built as %+v", model, mc)
		}
		obj, _ := mc.Objective(1)
		res, err := fit.RunEvaluable(context.Background(), obj, "kl", b.Options())
		if err != nil {
			t.Fatal(err)
		}
		mean, cov := mc.Moments.Mean(), mc.Moments.Covariance()
		want := map[string]float64{}
		for i := range 3 {
			want["mean["+strconv.Itoa(i)+"]"] = mean[i]
			if se := math.Sqrt(2.0 / 50); math.Abs(mean[i]-float64(i+1)) > 5*se {
				t.Errorf("the draws' mean[%d] = %v, the target's %d (standard error %.2g)", i, mean[i], i+1, se)
			}
			want["variance["+strconv.Itoa(i)+"]"] = cov.At(i, i)
			for j := i; j < 3; j++ {
				want["covariance["+strconv.Itoa(i)+"]["+strconv.Itoa(j)+"]"] = cov.At(i, j)
			}
		}
		theta := res.Theta()
		for k, name := range b.ParamNames() {
			if w, ok := want[name]; !ok || math.Abs(theta[k]-w) > 1e-8 {
				t.Errorf("%s: %s = %.12g, the draws' %.12g (status %s)", model, name, theta[k], w, res.Status)
			}
		}
		if !strings.Contains(mc.LossMeaning(), "50 draws of the target") {
			t.Errorf("loss meaning %q does not say where the samples come from", mc.LossMeaning())
		}
		s2, _ := spec.Parse([]byte(strings.Replace(src, "seed: 3", "seed: 4", 1)))
		b2, err := s2.Build(context.Background(), spec.Env{})
		if err != nil {
			t.Fatal(err)
		}
		if b2.MonteCarlo.Moments.Mean()[0] == mean[0] {
			t.Errorf("%s: seeds 3 and 4 give the same draws", model)
		}
	}
}

// TestMonteCarloSpecRoundTrip checks that a built Monte Carlo spec, with
// its defaults filled in, prints to YAML that parses and builds to the
// same spec.
func TestMonteCarloSpecRoundTrip(t *testing.T) {
	dir := t.TempDir()
	writeSamples(t, dir)
	for _, src := range mcSpecs {
		s, _ := spec.Parse([]byte(src))
		b, err := s.Build(context.Background(), spec.Env{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		y := b.Spec.YAML()
		back, err := spec.Parse(y)
		if err != nil {
			t.Fatalf("%s\ndoes not parse: %v", y, err)
		}
		b2, err := back.Build(context.Background(), spec.Env{Dir: dir})
		if err != nil {
			t.Fatalf("%s\ndoes not build: %v", y, err)
		}
		if !bytes.Equal(b2.Spec.YAML(), y) || strings.Contains(string(y), "grid") {
			t.Errorf("%s\nbuilt again:\n%s", y, b2.Spec.YAML())
		}
	}
}

// exact formats v in the shortest form that reads back to it.
func exact(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// TestMonteCarloFarFromZero fits, by forward KL, draws of a correlated
// normal 10^7 and -10^6 away from 0 with a spread of 1: the fit reaches
// the draws' mean (to 1e-8 of its size) and covariance (to 1e-8). From
// mean 0 it stalled a million units off with a covariance of 10^12, and
// said "stalled", exit 0.
func TestMonteCarloFarFromZero(t *testing.T) {
	src := "target: {family: mvnormal, params: {mean: [10000000, -1000000], covariance: [[1, 0.5], [0.5, 0.26]]}}\n" +
		"model: {family: mvnormal}\ndivergence: kl\nestimator: {name: monte_carlo, samples: 4096, seed: 3}\n"
	b := build(t, src)
	obj, _ := b.MonteCarlo.Objective(1)
	res, err := fit.RunEvaluable(context.Background(), obj, "kl", b.Options())
	if err != nil {
		t.Fatal(err)
	}
	mean, cov := b.MonteCarlo.Moments.Mean(), b.MonteCarlo.Moments.Covariance()
	want := []float64{mean[0], mean[1], cov.At(0, 0), cov.At(0, 1), cov.At(1, 1)}
	for k, name := range b.ParamNames() {
		if got := res.Theta()[k]; math.Abs(got-want[k]) > 1e-8*math.Max(1, math.Abs(want[k])) {
			t.Errorf("%s = %.12g, the draws' %.12g (status %s)", name, got, want[k], res.Status)
		}
	}
}
