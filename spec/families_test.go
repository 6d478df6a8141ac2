package spec_test

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/spec"
)

// roundTrip checks that the built spec prints as YAML and JSON that parse
// and build back to the same spec.
func roundTrip(t *testing.T, b *spec.Built) {
	t.Helper()
	y := b.Spec.YAML()
	back, err := spec.Parse(y)
	if err != nil {
		t.Fatalf("printed spec does not parse: %v\n%s", err, y)
	}
	if !bytes.Equal(back.YAML(), y) {
		t.Errorf("round trip changed\n%s\ninto\n%s", y, back.YAML())
	}
	if _, err := back.Build(context.Background(), spec.Env{}); err != nil {
		t.Errorf("printed spec does not build: %v\n%s", err, y)
	}
	j, _ := json.Marshal(b.Spec)
	fromJSON, err := spec.Parse(j)
	if err != nil || !bytes.Equal(fromJSON.YAML(), y) {
		t.Errorf("JSON round trip: %v\n%s", err, j)
	}
}

// TestMixtureModelGuessesItsInit checks that a mixture model without init
// starts with components spread over a bimodal target, records that start
// in the built spec, and fits the target.
func TestMixtureModelGuessesItsInit(t *testing.T) {
	b := build(t, `grid: {start: -10, stop: 10, step: 0.02}
target:
  family: mixture
  component: normal
  params: {weights: [0.3, 0.7], mean: [-3, 2], variance: [1, 0.5]}
model: {family: mixture, components: 2, component: normal}
optimizer: {name: gd, learning_rate: 0.5}
epochs: 1500
`)
	if got := len(b.Spec.Model.Init); got != 3 {
		t.Fatalf("the built spec records %d init parameters, want weights, mean, variance:\n%s", got, b.Spec.YAML())
	}
	init := b.Problem.Init
	if init[2] > -1 || init[3] < 1 {
		t.Errorf("guessed means %v, want one on each mode", init[2:4])
	}
	roundTrip(t, b)
	res, err := fit.Run(context.Background(), b.Problem, b.Options())
	if err != nil {
		t.Fatal(err)
	}
	// The model contains the target: gradient descent must find it. 1e-4
	// is loose enough for 1500 plain gradient steps, tight enough to tell
	// the two components apart.
	want := []float64{0.3, 0.7, -3, 2, 1, 0.5}
	for j, v := range res.Theta() {
		if math.Abs(v-want[j]) > 1e-4 {
			t.Errorf("%s = %v, want %v (%s, loss %v)", res.History.Names[j], v, want[j], res.Status, res.Loss())
		}
	}
}

// TestTwoDimensionalSpec builds an mvnormal fit on a 2-D grid from a spec
// and checks the parameters decoded from matrix syntax.
func TestTwoDimensionalSpec(t *testing.T) {
	b := build(t, `grid: {x: {start: -6, stop: 6, step: 0.2}, y: {start: -6, stop: 6, step: 0.2}}
target:
  family: mvnormal
  params: {mean: [1, -1], covariance: [[1, 0.5], [0.5, 2]]}
model:
  family: mvnormal
  init: {mean: [0, 0], covariance: [[1, 0], [0, 1]]}
`)
	if got := b.Target.(interface{ String() string }).String(); !strings.Contains(got, "covariance[0][1]=0.5") {
		t.Errorf("target %s", got)
	}
	if f := b.Problem.Family.Name(); f != "mvnormal" || len(b.Problem.Init) != 5 {
		t.Errorf("model %s with %v", f, b.Problem.Init)
	}
	roundTrip(t, b)

	// A mixture of bivariate normals, with a list of covariance matrices.
	b = build(t, `grid: {x: {start: -6, stop: 6, step: 0.2}, y: {start: -6, stop: 6, step: 0.2}}
target:
  family: mixture
  component: mvnormal
  params:
    weights: [0.5, 0.5]
    mean: [[-2, 0], [2, 0]]
    covariance: [[[1, 0], [0, 1]], [[1, 0.3], [0.3, 0.5]]]
model: {family: mvnormal}
`)
	// The grid is not symmetric about 0 (its last point is 5.8), hence
	// the tolerances.
	if got := b.Problem.Init; math.Abs(got[0]) > 1e-3 || math.Abs(got[2]-5) > 0.01 {
		t.Errorf("guessed start %v, want the target's mean (0, 0) and x variance 1 + 4 = 5", got)
	}
	roundTrip(t, b)
}

// TestCircularSpec builds a von Mises fit on a circular grid.
func TestCircularSpec(t *testing.T) {
	b := build(t, `grid: {circular: true, points: 360}
target: {family: von_mises, params: {mu: 2, kappa: 4}}
model: {family: von_mises, init: {mu: 0, kappa: 1}}
optimizer: {name: gd, learning_rate: 0.5}
epochs: 500
`)
	if g := b.Problem.Grid; !g.Circular() || g.Len() != 360 {
		t.Fatalf("grid of %d points, circular %v", g.Len(), g.Circular())
	}
	roundTrip(t, b)
	res, err := fit.Run(context.Background(), b.Problem, b.Options())
	if err != nil {
		t.Fatal(err)
	}
	// 500 gradient steps from a start well off; the loss is smooth and
	// its curvature of order 1, so 1e-6 is reached with room to spare.
	if th := res.Theta(); math.Abs(th[0]-2) > 1e-6 || math.Abs(th[1]-4) > 1e-6 {
		t.Errorf("fitted %v, want mu 2 and kappa 4", th)
	}
}

// TestCategoricalSpec fits the categorical model: its forward-KL optimum
// is the target itself.
func TestCategoricalSpec(t *testing.T) {
	b := build(t, `grid: {start: -4, stop: 4, step: 0.1}
target: {family: laplace, params: {loc: 0.3, scale: 1}}
model: {family: categorical}
optimizer: {name: gd, learning_rate: 20}
epochs: 3000
`)
	if n := len(b.Problem.Init); n != 80 {
		t.Fatalf("%d masses for 80 grid points", n)
	}
	if len(b.Spec.Model.Init) != 0 {
		t.Errorf("the built spec records %d categorical masses", len(b.Spec.Model.Init))
	}
	res, err := fit.Run(context.Background(), b.Problem, b.Options())
	if err != nil {
		t.Fatal(err)
	}
	// In softmax coordinates the gradient is Q - P, so near the optimum
	// each step shrinks the error in u_j by the factor 1 - 20 Q_j: at
	// worst 1 - 20 x 0.0007 (the smallest mass) and stable for the
	// largest (0.05). 3000 steps take the masses far below the 1e-9
	// checked.
	for i, q := range res.Theta() {
		if math.Abs(q-b.Problem.P[i]) > 1e-9 {
			t.Fatalf("mass %d = %v, target %v", i, q, b.Problem.P[i])
		}
	}
}

// TestSupportMismatch checks that a model whose support misses the
// target's mass stops with the reason, never a NaN, and that a target's
// grid beyond its support has no mass there.
func TestSupportMismatch(t *testing.T) {
	b := build(t, `grid: {start: -2, stop: 10, step: 0.05}
target: {family: normal, params: {mean: 3, variance: 1}}
model: {family: gamma, init: {shape: 2, rate: 1}}
`)
	res, err := fit.Run(context.Background(), b.Problem, b.Options())
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != fit.Diverged || !strings.Contains(res.Failure.Error(), "the divergence is +Inf: the target has mass where the model has none (at x=-2)") {
		t.Errorf("status %s, failure %v", res.Status, res.Failure)
	}

	b = build(t, `grid: {start: -1, stop: 2, step: 0.01}
target: {family: beta, params: {alpha: 2, beta: 3}}
model: {family: beta, init: {alpha: 1, beta: 1}}
`)
	for i, x := range b.Problem.Grid.X {
		if (x <= 0 || x >= 1) && b.Problem.P[i] != 0 {
			t.Fatalf("target mass %v at x=%v, outside (0, 1)", b.Problem.P[i], x)
		}
	}
	res, err = fit.Run(context.Background(), b.Problem, fit.Options{Optimizer: &fit.GD{LearningRate: 0.1}, Epochs: 20})
	if err != nil || res.Status != fit.MaxEpochs || math.IsNaN(res.Loss()) {
		t.Errorf("beta fit on [-1, 2]: %v, %s, loss %v", err, res.Status, res.Loss())
	}
}

// TestFamilyErrors checks that every bad family input is one line naming
// the key and its line.
func TestFamilyErrors(t *testing.T) {
	const base = `grid: {start: -5, stop: 5, step: 0.1}
target: {family: normal, params: {mean: 0, variance: 1}}
model:
  family: mixture
  components: 2
  component: normal
  init: {weights: [0.5, 0.5], mean: [-1, 1], variance: [1, 1]}
`
	const twoD = `grid: {x: {start: -5, stop: 5, step: 0.5}, y: {start: -5, stop: 5, step: 0.5}}
target: {family: mvnormal, params: {mean: [0, 0], covariance: [[1, 0], [0, 1]]}}
model:
  family: mvnormal
  init: {mean: [0, 0], covariance: [[1, 0.5], [0.5, 1]]}
`
	rep := func(src, old, new string) string {
		if !strings.Contains(src, old) {
			t.Fatalf("test spec lacks %q", old)
		}
		return strings.Replace(src, old, new, 1)
	}
	for _, tc := range []struct {
		name, spec, want string
	}{
		{"unknown family", rep(base, "family: normal, params", "family: gaussian, params"),
			`spec line 2: target.family: unknown family "gaussian" (known: beta, categorical, cauchy, exponential, gamma, gumbel, laplace, logistic, lognormal, mixture, mvnormal, normal, skew_normal, student_t, von_mises, weibull`},
		{"unknown component", rep(base, "component: normal", "component: gauss"), `spec line 6: model.component: unknown family "gauss" (known: `},
		{"mixture of mixtures", rep(base, "component: normal", "component: mixture"), "spec line 6: model.component: a mixture's components cannot be mixture"},
		{"no components", rep(base, "  components: 2\n", ""), "spec line 3: model: a mixture model needs components"},
		{"zero components", rep(base, "components: 2", "components: 0"), "spec line 3: model: a mixture model needs components"},
		{"too many components", rep(base, "components: 2", "components: 1000"), "spec line 5: model.components: must be between 1 and 100, got 1000"},
		{"no component", rep(base, "  component: normal\n", ""), "spec line 3: model.component: required: the family of the components"},
		{"components for normal", strings.Replace(rep(base, "family: mixture", "family: normal"), "  component: normal\n", "", 1), "spec line 5: model.components: only a mixture model takes components, not normal"},
		{"weights off", rep(base, "[0.5, 0.5]", "[0.5, 0.6]"), "spec line 7: model.init.weights: must sum to 1 (within 1e-09), they sum to 1.1: off by 0.1"},
		{"weights slightly off", rep(base, "[0.5, 0.5]", "[0.5, 0.500000002]"), "spec line 7: model.init.weights: must sum to 1 (within 1e-09), they sum to 1.000000002: off by 2e-09"},
		{"negative weight", rep(base, "[0.5, 0.5]", "[1.5, -0.5]"), "spec line 7: model.init.weights[1]: must be >= 0, got -0.5"},
		{"component variance", rep(base, "variance: [1, 1]", "variance: [1, -2]"), "spec line 7: model.init.variance[1]: must be > 0, got -2"},
		{"one weight", rep(base, "[0.5, 0.5]", "[1]"), "spec line 7: model.init.weights: must be a list of 2 numbers (one per component), got a list of 1 numbers"},
		{"scalar for a list", rep(base, "mean: [-1, 1]", "mean: 0"), "spec line 7: model.init.mean: must be a list of 2 numbers (one per component), got a number"},
		{"missing param", rep(base, ", variance: [1, 1]", ""), "spec line 7: model.init: missing parameter variance (the mixture family takes weights, mean, variance)"},
		{"extra param", rep(base, "variance: [1, 1]", "variance: [1, 1], sd: [1, 1]"), "spec line 7: model.init.sd: unknown parameter (the mixture family takes weights, mean, variance)"},
		{"raw mixture", rep(base, "  init:", "  parameterization: raw\n  init:"), "spec line 7: model.parameterization: raw steps cannot keep the mixture family's weights on the simplex: use unconstrained"},
		{"gamma shape", rep(base, "target: {family: normal, params: {mean: 0, variance: 1}}", "target: {family: gamma, params: {shape: -1, rate: 1}}"), "spec line 2: target.params.shape: must be > 0, got -1"},
		{"not SPD", rep(twoD, "[[1, 0.5], [0.5, 1]]", "[[1, 2], [2, 1]]"), "spec line 5: model.init.covariance: must be symmetric positive definite, its determinant is -3"},
		{"not symmetric", rep(twoD, "[[1, 0.5], [0.5, 1]]", "[[1, 0.5], [0.4, 1]]"), "spec line 5: model.init.covariance: must be symmetric: [0][1] is 0.5 but [1][0] is 0.4"},
		{"covariance shape", rep(twoD, "[[1, 0.5], [0.5, 1]]", "[1, 0.5, 0.5, 1]"), "spec line 5: model.init.covariance: must be a 2x2 matrix, got a list of 4 numbers"},
		{"negative variance", rep(twoD, "[[1, 0], [0, 1]]}}", "[[-1, 0], [0, 1]]}}"), "spec line 2: target.params.covariance[0][0]: must be > 0, got -1"},
		{"mvnormal on a line", strings.Replace(rep(twoD, "grid: {x: {start: -5, stop: 5, step: 0.5}, y: {start: -5, stop: 5, step: 0.5}}", "grid: {start: -5, stop: 5, step: 0.5}"), "target: {family: mvnormal, params: {mean: [0, 0], covariance: [[1, 0], [0, 1]]}}", "target: {family: normal, params: {mean: 0, variance: 1}}", 1),
			"spec line 4: model.family: the mvnormal family is 2-D but the grid is 1-D"},
		{"von Mises on a line", "grid: {start: -3, stop: 3, step: 0.1}\ntarget: {family: von_mises, params: {mu: 0, kappa: 1}}\nmodel: {family: normal}\n",
			"spec line 2: target.family: the von_mises family lives on the circle: use a circular grid, e.g. grid: {circular: true, points: 360}"},
		{"normal on a circle", "grid: {circular: true, points: 100}\ntarget: {family: von_mises, params: {mu: 0, kappa: 1}}\nmodel: {family: normal}\n",
			"spec line 3: model.family: the grid is circular but the normal family is not"},
		{"circular false", "grid: {circular: false, points: 100}\ntarget: {family: von_mises, params: {mu: 0, kappa: 1}}\nmodel: {family: von_mises}\n",
			"spec line 1: grid.circular: must be true (a linear grid is written {start, stop, step}), got the boolean false"},
		{"circle of one", "grid: {circular: true, points: 1}\ntarget: {family: von_mises, params: {mu: 0, kappa: 1}}\nmodel: {family: von_mises}\n",
			"spec line 1: grid.points: must be at least 2, got 1"},
		{"circle and start", "grid: {circular: true, points: 10, start: 0}\ntarget: {family: von_mises, params: {mu: 0, kappa: 1}}\nmodel: {family: von_mises}\n",
			"spec line 1: grid.start: unknown key (known here: circular, points)"},
		{"ragged matrices", rep(base, "target: {family: normal, params: {mean: 0, variance: 1}}", "target: {family: normal, params: {mean: [[[1, 2]], [[1, 2], [3, 4]]], variance: 1}}"),
			"spec line 2: target.params.mean[1]: must be a 1x2 matrix, like the first one"},
		{"mixture target without weights", rep(base, "target: {family: normal, params: {mean: 0, variance: 1}}", "target: {family: mixture, component: normal, params: {mean: [0, 1], variance: [1, 1]}}"),
			"spec line 2: target.params: missing parameter weights"},
		{"component for normal target", rep(base, "target: {family: normal,", "target: {family: normal, component: gamma,"),
			"spec line 2: target.component: only a mixture takes a component family, not normal"},
		{"categorical grid too big", "grid: {start: 0, stop: 300, step: 0.1}\ntarget: {family: normal, params: {mean: 150, variance: 100}}\nmodel: {family: categorical}\n",
			"spec line 3: model.family: the categorical family has one parameter per grid point: at most 2048 points, got 3000"},
		{"categorical init length", "grid: {start: 0, stop: 1, step: 0.25}\ntarget: {family: beta, params: {alpha: 2, beta: 2}}\nmodel: {family: categorical, init: {mass: [0.5, 0.5]}}\n",
			"spec line 3: model.init.mass: must be a list of 4 numbers (one per grid point), got a list of 2 numbers"},
		{"no guess", "grid: {start: -10, stop: 0, step: 0.1}\ntarget: {family: normal, params: {mean: -4, variance: 1}}\nmodel: {family: gamma}\n",
			"spec line 3: model.init: none given, and none could be guessed from the target: no gamma member matches the target's moments: the mean -4"},
	} {
		t.Run(tc.name, func(t *testing.T) { checkSpecError(t, tc.spec, tc.want) })
	}
}

// familySpec returns a spec of a fit of the registered family name to a
// member of itself, without init: the spec every registry-driven test of
// families builds. A family registered without one fails those tests.
func familySpec(t *testing.T, name string) string {
	t.Helper()
	src := map[string]string{
		"mvnormal":  "grid: {x: {start: -5, stop: 5, step: 0.5}, y: {start: -5, stop: 5, step: 0.5}}\ntarget: {family: mvnormal, params: {mean: [0, 1], covariance: [[1, 0.2], [0.2, 2]]}}\nmodel: {family: mvnormal}\n",
		"von_mises": "grid: {circular: true, points: 90}\ntarget: {family: von_mises, params: {mu: 1, kappa: 2}}\nmodel: {family: von_mises}\n",
		"mixture":   "grid: {start: -8, stop: 8, step: 0.1}\ntarget: {family: mixture, component: logistic, params: {weights: [0.4, 0.6], loc: [-2, 2], scale: [0.5, 1]}}\nmodel: {family: mixture, components: 2, component: logistic}\n",
	}[name]
	if src == "" {
		params := map[string]string{
			"normal": "{mean: 0.5, variance: 2}", "laplace": "{loc: 0.5, scale: 1}", "student_t": "{df: 4, loc: 0.5, scale: 1}",
			"cauchy": "{loc: 0.5, scale: 1}", "logistic": "{loc: 0.5, scale: 1}", "gumbel": "{loc: 0.5, scale: 1}",
			"skew_normal": "{loc: 0.5, scale: 1, alpha: 2}", "exponential": "{rate: 1}", "gamma": "{shape: 2, rate: 1}",
			"lognormal": "{mu: 0, sigma: 0.5}", "weibull": "{shape: 2, scale: 1}", "beta": "{alpha: 2, beta: 3}",
			"categorical": "{mass: [0.1, 0.2, 0.3, 0.4]}",
		}[name]
		if params == "" {
			t.Fatalf("no test spec for the %s family: add one to familySpec", name)
		}
		g := "{start: 0.005, stop: 10, step: 0.01}"
		switch name {
		case "beta":
			g = "{start: 0.005, stop: 1, step: 0.01}"
		case "categorical":
			g = "{start: 0, stop: 2, step: 0.5}"
		}
		src = "grid: " + g + "\ntarget: {family: " + name + ", params: " + params + "}\nmodel: {family: " + name + "}\n"
	}
	return src
}

// TestEveryFamilyBuilds builds a fit of every family to itself from a spec
// without init, so that each goes through spec decoding and the guess.
func TestEveryFamilyBuilds(t *testing.T) {
	for _, name := range dist.Names() {
		t.Run(name, func(t *testing.T) {
			src := familySpec(t, name)
			b := build(t, src)
			roundTrip(t, b)
			res, err := fit.Run(context.Background(), b.Problem, fit.Options{Optimizer: &fit.GD{LearningRate: 0.01}, Epochs: 3})
			if err != nil || res.Status != fit.MaxEpochs {
				t.Fatalf("%v %v", err, res.Failure)
			}
			if h := res.History; h.Len() != 4 || !(res.Loss() >= 0) {
				t.Errorf("%d rows, loss %v", h.Len(), res.Loss())
			}
		})
	}
}

// FuzzParseFamilies runs the spec parser's round-trip property on specs
// using the syntax of families: vectors, matrices, lists of matrices,
// circular grids, mixture keys.
func FuzzParseFamilies(f *testing.F) {
	f.Add([]byte("grid: {circular: true, points: 12}\ntarget: {family: von_mises, params: {mu: 0, kappa: 1}}\nmodel: {family: von_mises}\n"))
	f.Add([]byte("grid: {x: {start: -1, stop: 1, step: 0.5}, y: {start: -1, stop: 1, step: 0.5}}\ntarget: {family: mixture, component: mvnormal, params: {weights: [0.5, 0.5], mean: [[0, 0], [1, 1]], covariance: [[[1, 0], [0, 1]], [[1, 0], [0, 1]]]}}\nmodel: {family: mvnormal}\n"))
	f.Add([]byte("grid: {start: -1, stop: 1, step: 0.5}\ntarget: {family: normal, params: {mean: 0, variance: 1}}\nmodel: {family: mixture, components: 2, component: normal, init: {weights: [0.5, 0.5], mean: [0, 1], variance: [1, 1]}}\n"))
	f.Add([]byte("grid: {circular: false}\nmodel: {family: categorical, components: 1.5}\n"))
	f.Add([]byte("target: {params: {m: [[[1], [2]], [[3]]]}}"))
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
		g := s.Grid
		small := g.Circular && g.Points <= 1e4 ||
			g.X == nil && !g.Circular && g.Step > 0 && (g.Stop-g.Start)/g.Step <= 1e4
		if small {
			s.Build(context.Background(), spec.Env{})
		}
	})
}
