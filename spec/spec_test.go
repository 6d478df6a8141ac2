package spec_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/klfit/klfit/spec"
)

const valid = `grid: {start: -10, stop: 10, step: 0.1}
target:
  family: normal
  params: {mean: 0, variance: 7}
target_weights: density
divergence: kl
model:
  family: normal
  init: {mean: 5, variance: 1}
  parameterization: raw
optimizer: {name: gd, learning_rate: 0.01}
epochs: 1000
`

// TestDemoRoundTrip checks that the demo spec prints as the documented
// YAML, that it parses back to the same spec, and that its JSON form parses
// too.
func TestDemoRoundTrip(t *testing.T) {
	y := spec.Demo().YAML()
	if string(y) != valid {
		t.Errorf("demo YAML:\n%s\nwant:\n%s", y, valid)
	}
	s, err := spec.Parse(y)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(s.YAML(), y) {
		t.Errorf("round trip changed the spec:\n%s", s.YAML())
	}
	j, err := json.Marshal(spec.Demo())
	if err != nil {
		t.Fatal(err)
	}
	fromJSON, err := spec.Parse(j)
	if err != nil {
		t.Fatalf("JSON spec %s: %v", j, err)
	}
	if !bytes.Equal(fromJSON.YAML(), y) {
		t.Errorf("JSON round trip:\n%s", fromJSON.YAML())
	}
	if _, err := spec.Demo().Build(context.Background(), spec.Env{}); err != nil {
		t.Errorf("the demo spec does not build: %v", err)
	}
}

// TestOptimizerByName checks that an optimizer may be given by its name
// alone, as a divergence may, and then has its default settings.
func TestOptimizerByName(t *testing.T) {
	s, err := spec.Parse([]byte(`grid: {start: -5, stop: 5, step: 0.5}
target: {family: normal, params: {mean: 0, variance: 1}}
model: {family: normal, init: {mean: 1, variance: 2}}
optimizer: adam
`))
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Build(context.Background(), spec.Env{})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(b.Spec.YAML()); !strings.Contains(got, "optimizer: {name: adam, learning_rate: 0.001") {
		t.Errorf("built spec:\n%s", got)
	}
}

// TestBuildFillsDefaults checks the defaults a minimal spec gets.
func TestBuildFillsDefaults(t *testing.T) {
	s, err := spec.Parse([]byte(`grid: {start: -5, stop: 5, step: 0.5}
target: {family: normal, params: {mean: 0, variance: 1}}
model: {family: normal, init: {mean: 1, variance: 2}}
`))
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Build(context.Background(), spec.Env{})
	if err != nil {
		t.Fatal(err)
	}
	got := string(b.Spec.YAML())
	for _, want := range []string{"target_weights: normalized", "divergence: kl", "parameterization: unconstrained",
		"optimizer: {name: lbfgs, store: 15, gradient_threshold: 1e-12}", "epochs: 1000", "on_divergence: stop"} {
		if !strings.Contains(got, want) {
			t.Errorf("built spec lacks %q:\n%s", want, got)
		}
	}
	if b.Problem.Grid.Len() != 20 || b.Epochs != 1000 {
		t.Errorf("grid %d points, %d epochs", b.Problem.Grid.Len(), b.Epochs)
	}
}

// TestErrors checks that every kind of bad spec gives one line naming the
// key and the line it is on.
func TestErrors(t *testing.T) {
	replace := func(old, new string) string {
		if !strings.Contains(valid, old) {
			t.Fatalf("test spec lacks %q", old)
		}
		return strings.Replace(valid, old, new, 1)
	}
	for _, tc := range []struct {
		name, spec, want string
	}{
		{"unknown top key", valid + "learning_rate: 3\n", "spec line 13: learning_rate: unknown key"},
		{"unknown nested key", replace("family: normal\n  init", "family: normal\n  inti: 3\n  init"), "spec line 9: model.inti: unknown key"},
		{"missing key", replace("grid: {start: -10, stop: 10, step: 0.1}", "grid: {start: -10, stop: 10}"), "spec line 1: grid.step: required key is missing"},
		{"missing section", strings.Replace(valid, "model:\n  family: normal\n  init: {mean: 5, variance: 1}\n  parameterization: raw\n", "", 1), "spec line 1: model: required key is missing"},
		{"wrong type", replace("epochs: 1000", "epochs: many"), `spec line 12: epochs: must be a number, got the string "many"`},
		{"fractional epochs", replace("epochs: 1000", "epochs: 10.5"), "spec line 12: epochs: must be a whole number"},
		{"negative epochs", replace("epochs: 1000", "epochs: -1"), "spec line 12: epochs: must be >= 0, got -1"},
		{"quoted number", replace("variance: 7", `variance: "7"`), `spec line 4: target.params.variance: must be a number, got the string "7"`},
		{"non-finite", replace("variance: 7", "variance: .inf"), "spec line 4: target.params.variance: must be a finite number"},
		{"nan", replace("mean: 5", "mean: .nan"), "spec line 9: model.init.mean: must be a finite number"},
		{"zero variance", replace("variance: 7", "variance: 0"), "spec line 4: target.params.variance: must be > 0, got 0"},
		{"negative init", replace("variance: 1}", "variance: -1}"), "spec line 9: model.init.variance: must be > 0, got -1"},
		{"unknown family", replace("family: normal\n  params", "family: gauss\n  params"), `spec line 3: target.family: unknown family "gauss" (known: `},
		{"missing param", replace("{mean: 5, variance: 1}", "{mean: 5}"), "spec line 9: model.init: missing parameter variance (the normal family takes mean, variance)"},
		{"extra param", replace("{mean: 5, variance: 1}", "{mean: 5, variance: 1, sd: 2}"), "spec line 9: model.init.sd: unknown parameter"},
		{"list param", replace("{mean: 5, variance: 1}", "{mean: [5, 1], variance: 1}"), "spec line 9: model.init.mean: must be a number, got a list"},
		{"step zero", replace("step: 0.1", "step: 0"), "spec line 1: grid.step: must be > 0, got 0"},
		{"stop before start", replace("stop: 10", "stop: -20"), "spec line 1: grid.stop: must be greater than start"},
		{"huge grid", replace("step: 0.1", "step: 1e-7"), "spec line 1: grid.step: the grid would have 2e+08 points, more than the limit of 50000000"},
		{"unknown divergence", replace("divergence: kl", "divergence: kld"), `spec line 6: divergence: unknown divergence "kld"`},
		{"divergence options", replace("divergence: kl", "divergence: {name: kl, alpha: 2}"), "spec line 6: divergence.alpha: the kl divergence takes no options"},
		{"boolean divergence option", replace("divergence: kl", "divergence: {name: renyi, alpha: false}"), "spec line 6: divergence.alpha: must be a number, got the boolean false"},
		{"unknown optimizer", replace("name: gd", "name: sgdd"), `spec line 11: optimizer.name: unknown optimizer "sgdd"`},
		{"unknown optimizer by name", replace("optimizer: {name: gd, learning_rate: 0.01}", "optimizer: sgdd"), `spec line 11: optimizer.name: unknown optimizer "sgdd"`},
		{"optimizer not a name", replace("optimizer: {name: gd, learning_rate: 0.01}", "optimizer: 3"), "spec line 11: optimizer: must be an optimizer's name or a mapping such as {name: adam, learning_rate: 0.01}, got 3"},
		{"unknown setting", replace("learning_rate: 0.01", "lr: 0.01"), "spec line 11: optimizer.lr: unknown setting for gd (known: learning_rate)"},
		{"bad setting", replace("learning_rate: 0.01", "learning_rate: -1"), "spec line 11: optimizer.learning_rate: must be > 0, got -1"},
		{"weights", replace("target_weights: density", "target_weights: raw"), `spec line 5: target_weights: unknown target weights "raw"`},
		{"parameterization", replace("parameterization: raw", "parameterization: log"), `spec line 10: model.parameterization: unknown parameterization "log"`},
		{"duplicate key", valid + "epochs: 3\n", "spec line 13: epochs: duplicate key"},
		{"not a mapping", "- 1\n- 2\n", "spec line 1: must be a mapping of keys to values, got a list"},
		{"bad yaml", "grid: {start: 1\n", "spec line 1: not valid YAML or JSON"},
		{"empty", "", "spec: the spec is empty"},
		{"ragged matrix", replace("{mean: 5, variance: 1}", "{mean: [[1, 2], [3]], variance: 1}"), "spec line 9: model.init.mean[1]: must be a list of 2 numbers"},
	} {
		t.Run(tc.name, func(t *testing.T) { checkSpecError(t, tc.spec, tc.want) })
	}
}

// TestJSONSpec checks that JSON is read with the same keys and line
// numbers.
func TestJSONSpec(t *testing.T) {
	j := `{
  "grid": {"start": -10, "stop": 10, "step": 0.1},
  "target": {"family": "normal", "params": {"mean": 0, "variance": 7}},
  "model": {"family": "normal", "init": {"mean": 5, "variance": -1}}
}`
	_, err := spec.Parse([]byte(j))
	if err != nil {
		t.Fatal(err)
	}
	s, _ := spec.Parse([]byte(j))
	_, err = s.Build(context.Background(), spec.Env{})
	if err == nil || !strings.HasPrefix(err.Error(), "spec line 4: model.init.variance: must be > 0") {
		t.Errorf("error %v", err)
	}
}

// FuzzParse checks that no input makes Parse or Build panic, and that any
// spec that parses prints as YAML that parses back to the same YAML.
func FuzzParse(f *testing.F) {
	f.Add([]byte(valid))
	f.Add([]byte(`{"grid": {"x": {"start": 0, "stop": 1, "step": 0.5}, "y": {"start": 0, "stop": 1, "step": 0.5}}}`))
	f.Add([]byte("grid: &a {start: 0, stop: 1, step: 0.1}\ntarget: *a\n"))
	f.Add([]byte("model: {family: normal, init: {mean: [[1, 2], [3, 4]], variance: [1]}}"))
	f.Add([]byte("divergence: {name: kl, alpha: 1e400}"))
	f.Add([]byte("optimizer: {name: momentum, nesterov: true}\nstop: {max_epochs: 5, max_time: 1m, patience: 3}\non_divergence: backtrack\nmax_backtracks: 2"))
	f.Add([]byte("target: {log_density: '-x1^2/2 - (x2 - x1^2)^2', dims: 2}\nmodel: {family: mvnormal_diag, init: {mean: [1, 0]}}\nestimator: {name: monte_carlo, samples: 16, seed: 3, resample: true, qmc: true}\noptimizer: adam\nepochs: 3"))
	f.Add([]byte("target: {samples: s.csv, columns: [a, 'b c']}\nmodel: {family: mvnormal}\nestimator: monte_carlo"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := spec.Parse(data)
		if err != nil {
			return
		}
		y := s.YAML()
		back, err := spec.Parse(y)
		if err != nil {
			t.Fatalf("printed spec does not parse: %v\n%s", err, y)
		}
		if !bytes.Equal(back.YAML(), y) {
			t.Fatalf("round trip changed\n%s\ninto\n%s", y, back.YAML())
		}
		if points(s.Grid) <= 1e5 && s.Target.Dims <= 100 && s.Estimator.Samples <= 4096 { // keep each case fast
			s.Build(context.Background(), spec.Env{})
		}
	})
}

// points estimates the number of points of a grid spec.
func points(g spec.Grid) float64 {
	n := func(a spec.Axis) float64 { return (a.Stop - a.Start) / a.Step }
	if g.X != nil && g.Y != nil {
		return n(*g.X) * n(*g.Y)
	}
	return n(spec.Axis{Start: g.Start, Stop: g.Stop, Step: g.Step})
}
