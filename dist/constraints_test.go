package dist_test

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/grid"
)

// TestUnconstrainedTransforms checks, for every family with vector or
// matrix constraints, that its unconstrained transform maps any u into
// the domain, inverts, and pulls gradients back by the transpose of its
// Jacobian (checked against central differences with step 1e-6: error of
// order 1e-12 truncation plus 1e-10 rounding, hence 1e-8).
func TestUnconstrainedTransforms(t *testing.T) {
	ax, _ := grid.Arange(0, 4, 1)
	cat, _ := dist.NewCategorical(ax)
	for _, tc := range []struct {
		f     dist.Family
		theta []float64
	}{
		{dist.MVNormal{}, []float64{1, -2, 2, 0.7, 1.5}},
		{dist.Gamma{}, []float64{2, 0.5}},
		{mustMixture(t, dist.Normal{}, 3), []float64{0.2, 0.5, 0.3, -3, 0, 4, 1, 0.5, 2}},
		{mustMixture(t, dist.MVNormal{}, 2), []float64{0.3, 0.7, 0, 1, 0, -1, 1, 0.2, 1, 2, -0.5, 0.5}},
		{cat, []float64{0.1, 0.2, 0.3, 0.4}},
	} {
		tr := dist.Unconstrained(tc.f)
		k := len(tc.theta)
		u := make([]float64, k)
		back := make([]float64, k)
		tr.U(u, tc.theta)
		tr.Theta(back, u)
		for i := range back {
			if math.Abs(back[i]-tc.theta[i]) > 1e-14*math.Max(1, math.Abs(tc.theta[i])) {
				t.Errorf("%s: round trip %v -> %v", tc.f.Name(), tc.theta, back)
				break
			}
		}
		// u moved by several units in every coordinate still maps into
		// the domain. (Much further, a Cholesky factor can round to a
		// singular covariance in float64.)
		for _, shift := range []float64{-8, -3, 0.7, 5} {
			v := make([]float64, k)
			for i := range v {
				v[i] = u[i] + shift*math.Sin(float64(3*i+1))
			}
			th := make([]float64, k)
			tr.Theta(th, v)
			if err := dist.Validate(tc.f, th); err != nil {
				t.Errorf("%s: u %v maps outside the domain: %v", tc.f.Name(), v, err)
			}
		}
		for j := 0; j < k; j++ {
			gt := make([]float64, k)
			gt[j] = 1
			gu := make([]float64, k)
			tr.PullBack(gu, u, tc.theta, gt)
			for i := 0; i < k; i++ {
				h := 1e-6
				up, dn := append([]float64(nil), u...), append([]float64(nil), u...)
				up[i] += h
				dn[i] -= h
				tu, td := make([]float64, k), make([]float64, k)
				tr.Theta(tu, up)
				tr.Theta(td, dn)
				// Central differences with h = 1e-6 of these smooth maps
				// (entries of order 1): truncation ~h^2, rounding ~1e-16/h.
				if fd := (tu[j] - td[j]) / (2 * h); math.Abs(fd-gu[i]) > 1e-8 {
					t.Errorf("%s: dtheta_%d/du_%d = %v, finite differences %v", tc.f.Name(), j, i, gu[i], fd)
				}
			}
		}
	}
}

// TestPackErrors checks that bad vector and matrix parameters are refused
// with an error naming the parameter and saying what is wrong.
func TestPackErrors(t *testing.T) {
	mix := mustMixture(t, dist.Normal{}, 2)
	mv2 := mustMixture(t, dist.MVNormal{}, 2)
	for _, tc := range []struct {
		name   string
		f      dist.Family
		values [][]float64
		param  string
		msg    string
	}{
		{"weights off by 0.1", mix, [][]float64{{0.5, 0.6}, {0, 1}, {1, 1}}, "weights", "must sum to 1 (within 1e-09), they sum to 1.1: off by 0.1"},
		{"weights off by 2e-9", mix, [][]float64{{0.5, 0.5 + 2e-9}, {0, 1}, {1, 1}}, "weights", "off by 2e-09"},
		{"negative weight", mix, [][]float64{{1.5, -0.5}, {0, 1}, {1, 1}}, "weights[1]", "must be >= 0"},
		{"component variance", mix, [][]float64{{0.5, 0.5}, {0, 1}, {1, -1}}, "variance[1]", "must be > 0"},
		{"not symmetric", dist.MVNormal{}, [][]float64{{0, 0}, {1, 0.5, 0.4, 1}}, "covariance", "must be symmetric: [0][1] is 0.5 but [1][0] is 0.4"},
		{"not positive definite", dist.MVNormal{}, [][]float64{{0, 0}, {1, 2, 2, 1}}, "covariance", "must be symmetric positive definite, its determinant is -3"},
		{"negative variance", dist.MVNormal{}, [][]float64{{0, 0}, {-1, 0, 0, 1}}, "covariance[0][0]", "must be > 0"},
		{"component covariance", mv2, [][]float64{{0.5, 0.5}, {0, 0, 1, 1}, {1, 0, 0, 1, 1, 3, 3, 1}}, "covariance[1]", "must be symmetric positive definite"},
		{"component not symmetric", mv2, [][]float64{{0.5, 0.5}, {0, 0, 1, 1}, {1, 0, 0, 1, 1, 3, 2, 1}}, "covariance[1]", "must be symmetric"},
	} {
		_, err := dist.Pack(tc.f, tc.values)
		var pe *dist.ParamError
		var ce *dist.ConstraintError
		switch {
		case errors.As(err, &pe):
			if pe.Param != tc.param || !strings.Contains(pe.Error(), tc.msg) {
				t.Errorf("%s: %v, want it on %s saying %q", tc.name, err, tc.param, tc.msg)
			}
		case errors.As(err, &ce):
			if ce.Param != tc.param || !strings.Contains(ce.Msg, tc.msg) {
				t.Errorf("%s: %v, want it on %s saying %q", tc.name, err, tc.param, tc.msg)
			}
		default:
			t.Errorf("%s: error %v, want a *ParamError or *ConstraintError", tc.name, err)
		}
	}
}

// TestPackUnpack checks that Unpack inverts Pack and that Pack lays the
// entries out in the order of Params.
func TestPackUnpack(t *testing.T) {
	mv2 := mustMixture(t, dist.MVNormal{}, 2)
	values := [][]float64{{0.25, 0.75}, {0, 1, -1, 2}, {1, 0.2, 0.2, 1, 2, -0.5, -0.5, 0.5}}
	theta, err := dist.Pack(mv2, values)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"weights[1]": 0.75, "mean[1][0]": -1, "covariance[0][0][1]": 0.2, "covariance[1][1][1]": 0.5}
	for k, p := range mv2.Params() {
		if v, ok := want[p.Name]; ok && theta[k] != v {
			t.Errorf("%s = %v, want %v", p.Name, theta[k], v)
		}
	}
	back := dist.Unpack(mv2, theta)
	for b := range values {
		for i := range values[b] {
			if back[b][i] != values[b][i] {
				t.Fatalf("Unpack(Pack(%v)) = %v", values, back)
			}
		}
	}
	ct := mv2.ComponentTheta(nil, theta, 1)
	if got := []float64{-1, 2, 2, -0.5, 0.5}; !equal(ct, got) {
		t.Errorf("component 1: %v, want %v", ct, got)
	}
}

func equal(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestNew checks the families built from settings and their errors.
func TestNew(t *testing.T) {
	f, err := dist.New("mixture", dist.Config{Components: 3, Component: "gamma"})
	if err != nil || len(f.Params()) != 9 || f.Params()[4].Name != "shape[1]" {
		t.Fatalf("mixture of 3 gammas: %v, %v", f, err)
	}
	ax, _ := grid.Arange(0, 10, 1)
	if c, err := dist.New("categorical", dist.Config{Axes: []grid.Axis{ax}}); err != nil || len(c.Params()) != 10 {
		t.Errorf("categorical: %v, %v", c, err)
	}
	if n, err := dist.New("normal", dist.Config{}); err != nil || n.Name() != "normal" {
		t.Errorf("normal: %v, %v", n, err)
	}
	big, _ := grid.Arange(0, 3000, 1)
	for _, tc := range []struct {
		name string
		c    dist.Config
		key  string
		msg  string
	}{
		{"mixture", dist.Config{Components: 0, Component: "normal"}, "components", "must be between 1 and 100, got 0"},
		{"mixture", dist.Config{Components: 2}, "component", "required"},
		{"mixture", dist.Config{Components: 2, Component: "gauss"}, "component", `unknown family "gauss" (known: beta, categorical, cauchy`},
		{"mixture", dist.Config{Components: 2, Component: "mixture"}, "component", "cannot be mixture"},
		{"categorical", dist.Config{Axes: []grid.Axis{big}}, "", "at most 2048 points, got 3000"},
	} {
		_, err := dist.New(tc.name, tc.c)
		var ce *dist.ConfigError
		if !errors.As(err, &ce) || ce.Key != tc.key || !strings.Contains(ce.Msg, tc.msg) {
			t.Errorf("New(%s, %+v) = %v, want a *ConfigError on %q saying %q", tc.name, tc.c, err, tc.key, tc.msg)
		}
	}
	if _, err := dist.Lookup("mixture"); err == nil || !strings.Contains(err.Error(), "dist.New") {
		t.Errorf("Lookup(mixture) = %v, want an error pointing to New", err)
	}
}

// TestCatalog checks that every family of the table is listed with
// its parameters, constraints and support.
func TestCatalog(t *testing.T) {
	want := map[string]string{
		"normal":      "mean real, variance positive",
		"laplace":     "loc real, scale positive",
		"student_t":   "df positive, loc real, scale positive",
		"cauchy":      "loc real, scale positive",
		"logistic":    "loc real, scale positive",
		"gumbel":      "loc real, scale positive",
		"skew_normal": "loc real, scale positive, alpha real",
		"exponential": "rate positive",
		"gamma":       "shape positive, rate positive",
		"lognormal":   "mu real, sigma positive",
		"weibull":     "shape positive, scale positive",
		"beta":        "alpha positive, beta positive",
		"von_mises":   "mu real, kappa positive",
		"mixture":     "weights simplex",
		"mvnormal":    "mean real, covariance spd",
		"categorical": "mass simplex",
	}
	got := map[string]bool{}
	for _, in := range dist.Catalog() {
		var ps []string
		for _, b := range in.Params {
			ps = append(ps, b.Name+" "+b.Constraint.String())
		}
		if w, ok := want[in.Name]; ok && strings.Join(ps, ", ") != w {
			t.Errorf("%s: params %s, want %s", in.Name, strings.Join(ps, ", "), w)
		}
		if in.Support == "" || in.Description == "" {
			t.Errorf("%s: no support or description", in.Name)
		}
		got[in.Name] = true
	}
	for n := range want {
		if !got[n] {
			t.Errorf("%s is not in the catalog", n)
		}
	}
}

// TestValidatorAgrees checks, for every registered family (by the
// cases of scoreCases, which TestTails holds to cover the registry), that
// the function Validator returns answers as Validate does (nil, or the
// same error) on valid parameters, on each one made NaN, infinite, zero
// or negative, and on vectors of the wrong length.
func TestValidatorAgrees(t *testing.T) {
	seen := map[string]bool{}
	for _, tc := range scoreCases(t) {
		seen[tc.f.Name()] = true
		theta := tc.thetas[0]
		cases := [][]float64{theta, theta[:len(theta)-1], append(slices.Clone(theta), 1)}
		for k := range theta {
			for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0, -1} {
				c := slices.Clone(theta)
				c[k] = v
				cases = append(cases, c)
			}
		}
		check := dist.Validator(tc.f)
		bad := 0
		for _, c := range cases {
			got, want := check(c), dist.Validate(tc.f, c)
			if (got == nil) != (want == nil) || (got != nil && got.Error() != want.Error()) {
				t.Errorf("%s at %v: Validator says %v, Validate %v", tc.name, c, got, want)
			}
			if want != nil {
				bad++
			}
		}
		if err := check(theta); err != nil || bad < 2*len(theta) {
			t.Errorf("%s: the valid case refused (%v), or only %d of %d refused: the cases do not test the checks", tc.name, err, bad, len(cases))
		}
	}
	for _, name := range dist.Names() {
		if !seen[name] {
			t.Errorf("%s: no case in scoreCases", name)
		}
	}
}
