package dist_test

import (
	"encoding/csv"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/klfit/klfit/dist"
)

func parseFloats(t *testing.T, s string) []float64 {
	t.Helper()
	var out []float64
	for _, f := range strings.Split(s, ";") {
		v, err := strconv.ParseFloat(f, 64)
		if err != nil {
			t.Fatalf("testdata: %v", err)
		}
		out = append(out, v)
	}
	return out
}

// TestReferenceValues compares every family's log-density and scores with
// testdata/reference.csv: values computed by testdata/reference.py with
// mpmath at 40 digits from the textbook densities, the scores by mpmath's
// numerical differentiation (so independently of the analytic scores
// here).
//
// Tolerances: the log-density to 4e-14 relative to max(1, |log q|, |terms|)
// where terms is the size of the largest term summed (a few ulps of the
// largest quantity the float64 formula adds up); the scores to 1e-12
// relative to max(1, |score|): a score is a sum of a few terms each
// correct to a few ulps, and 1e-12 leaves room for the digamma and Bessel
// ratios, good to about 1e-14.
func TestReferenceValues(t *testing.T) {
	f, err := os.Open("testdata/reference.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range rows[1:] {
		name := r[0]
		var fam dist.Family
		if name == "mixture_normal_3" {
			fam = mustMixture(t, dist.Normal{}, 3)
		} else if fam, err = dist.Lookup(name); err != nil {
			t.Fatal(err)
		}
		seen[fam.Name()] = true
		theta := parseFloats(t, r[1])
		x := parseFloats(t, r[2])
		var y []float64
		if r[3] != "" {
			y = parseFloats(t, r[3])
		}
		want := parseFloats(t, r[4])[0]
		wantS := parseFloats(t, r[5])
		lp, sc := eval(fam, theta, x, y)
		if d := math.Abs(lp[0] - want); !(d <= 4e-14*math.Max(math.Max(1, math.Abs(want)), terms(name, theta, x[0]))) {
			t.Errorf("%s %v x=%v: log q %.17g, reference %.17g (off by %.2g)", name, theta, x[0], lp[0], want, d)
		}
		for k, w := range wantS {
			if d := math.Abs(sc[k][0] - w); !(d <= 1e-12*math.Max(1, math.Abs(w))) {
				t.Errorf("%s %v x=%v: score[%d] %.17g, reference %.17g (off by %.2g)", name, theta, x[0], k, sc[k][0], w, d)
			}
		}
	}
	for _, n := range []string{"normal", "laplace", "student_t", "cauchy", "logistic", "gumbel", "skew_normal",
		"exponential", "gamma", "lognormal", "weibull", "beta", "von_mises", "mvnormal", "mixture"} {
		if !seen[n] {
			t.Errorf("no reference values for %s", n)
		}
	}
}

// terms is the size of the largest terms the float64 log-density adds up
// where they can exceed the result: where large terms cancel (a von Mises
// with large kappa, kappa cos(x-mu) - log I0(kappa)), the result can only
// be as accurate as they are.
func terms(name string, theta []float64, x float64) float64 {
	switch name {
	case "von_mises":
		return 2 * theta[1]
	case "gumbel":
		return math.Exp(-(x - theta[0]) / theta[1])
	case "beta": // log B(a, b) is a difference of log-gammas
		la, _ := math.Lgamma(theta[0])
		lb, _ := math.Lgamma(theta[1])
		lab, _ := math.Lgamma(theta[0] + theta[1])
		return math.Abs(la) + math.Abs(lb) + math.Abs(lab)
	}
	return 0
}
