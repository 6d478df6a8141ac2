package dist_test

import (
	"math"
	"testing"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/grid"
)

// scoreCase is a family with parameter points (some near the edges of
// their domain) and points x (and y in 2-D) to check its scores at.
type scoreCase struct {
	name   string
	f      dist.Family
	thetas [][]float64
	x, y   []float64
}

func scoreCases(t testing.TB) []scoreCase {
	ax, _ := grid.Arange(-1, 1.5, 0.5) // 5 points
	ay, _ := grid.Arange(0, 2, 1)      // 2 points
	cat1, err := dist.NewCategorical(ax)
	if err != nil {
		t.Fatal(err)
	}
	cat2, err := dist.NewCategorical(ax, ay)
	if err != nil {
		t.Fatal(err)
	}
	line := []float64{-4, -1, -0.3, 0.2, 0.9, 2.5, 7}
	pos := []float64{1e-4, 0.05, 0.7, 1.3, 4, 12}
	return []scoreCase{
		{"normal", dist.Normal{}, [][]float64{{0, 1}, {-2, 1e-3}, {0.1, 50}}, line, nil},
		{"laplace", dist.Laplace{}, [][]float64{{0, 1}, {3, 1e-3}, {-1, 40}}, line, nil},
		{"student_t", dist.StudentT{}, [][]float64{{3, 0, 1}, {0.02, 1, 2}, {1e6, 0, 1}, {30, -2, 1e-3}}, line, nil},
		{"cauchy", dist.Cauchy{}, [][]float64{{0, 1}, {2, 1e-3}, {-5, 20}}, line, nil},
		{"logistic", dist.Logistic{}, [][]float64{{0, 1}, {1, 1e-3}, {-3, 8}}, line, nil},
		{"gumbel", dist.Gumbel{}, [][]float64{{0, 1}, {2, 1e-2}, {-1, 10}}, line, nil},
		{"skew_normal", dist.SkewNormal{}, [][]float64{{0, 1, 0}, {0, 1, 1e-8}, {1, 2, -3}, {-1, 0.01, 50}}, line, nil},
		{"exponential", dist.Exponential{}, [][]float64{{1}, {1e-3}, {1e3}}, append([]float64{0}, pos...), nil},
		{"gamma", dist.Gamma{}, [][]float64{{2, 1}, {0.01, 2}, {500, 100}}, pos, nil},
		{"lognormal", dist.LogNormal{}, [][]float64{{0, 1}, {0.3, 1e-3}, {-1, 3}}, pos, nil},
		{"weibull", dist.Weibull{}, [][]float64{{1.5, 1}, {0.05, 2}, {20, 3}}, pos, nil},
		{"beta", dist.Beta{}, [][]float64{{2, 3}, {0.01, 0.01}, {0.05, 2}, {200, 50}}, []float64{1e-5, 0.1, 0.5, 0.8, 0.99999}, nil},
		{"von_mises", dist.VonMises{}, [][]float64{{0, 1}, {1, 1e-6}, {-2, 30}, {3, 500}}, []float64{-3.1, -2, -0.5, 0, 1, 3}, nil},
		{"mvnormal", dist.MVNormal{}, [][]float64{{0, 0, 1, 0, 1}, {1, -2, 2, 0.7, 1.5}, {0, 0, 0.01, -0.0099, 0.01}},
			[]float64{0, 1, -2.5, 0.3, 0.1}, []float64{0, 1, 3, -0.1, -0.12}},
		{"mixture of normals", mustMixture(t, dist.Normal{}, 3),
			[][]float64{{0.2, 0.5, 0.3, -3, 0, 4, 1, 0.5, 2}, {0.98, 0.01, 0.01, 0, 0.1, 5, 1e-2, 3, 0.7}}, line, nil},
		{"mixture of gammas", mustMixture(t, dist.Gamma{}, 2), [][]float64{{0.4, 0.6, 2, 9, 1, 3}}, pos, nil},
		{"mixture of mvnormals", mustMixture(t, dist.MVNormal{}, 2),
			[][]float64{{0.3, 0.7, 0, 1, 0, -1, 1, 0.2, 1, 2, -0.5, 0.5}},
			[]float64{0, 1, -2.5, 0.3}, []float64{0, 1, 3, -0.1}},
		{"categorical 1-D", cat1, [][]float64{{0.1, 0.2, 0.3, 0.15, 0.25}, {1e-6, 0.5, 0.3, 0.2 - 1e-6, 0}},
			[]float64{-1, -0.6, -0.4, 0, 0.74, 1, 1.2}, nil},
		{"categorical 2-D", cat2, [][]float64{{0.1, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.1, 0.1, 0.2}},
			[]float64{-1, 0.5, 1, 0.2}, []float64{0, 0, 1, 1.4}},
	}
}

// TestFamilyScoresFiniteDifferences checks every family's scores against
// central differences of its log-density, at parameter points that include
// the edges of their domains (small scales, large df, alpha near 0, tiny
// and huge kappa, a nearly singular covariance, weights near 0).
//
// The derivative is Richardson's extrapolation of central differences with
// steps h and h/2, h = 1e-5 max(|theta_k|, 1e-8) (1e-5 max(|theta_k|, 0.01) for real
// parameters): its truncation error is of order (h/scale)^4, below 1e-8
// relative even where the log-density curves on the scale of a tiny scale
// parameter, hence 1e-6 relative to the score; rounding adds about
// 3 x 1e-15 max(1, |log q|)/h (log q is good to a few ulps of its largest
// term).
func TestFamilyScoresFiniteDifferences(t *testing.T) {
	for _, tc := range scoreCases(t) {
		for _, theta := range tc.thetas {
			if err := dist.Validate(tc.f, theta); err != nil {
				t.Fatalf("%s %v: %v", tc.name, theta, err)
			}
			lp, sc := eval(tc.f, theta, tc.x, tc.y)
			for k := range theta {
				h := 1e-5 * math.Max(math.Abs(theta[k]), 1e-8)
				if tc.f.Params()[k].Constraint == dist.Real {
					h = 1e-5 * math.Max(math.Abs(theta[k]), 0.01)
				}
				central := func(h float64) []float64 {
					up := append([]float64(nil), theta...)
					dn := append([]float64(nil), theta...)
					up[k] += h
					dn[k] -= h
					lu := logpOnly(tc.f, up, tc.x, tc.y)
					ld := logpOnly(tc.f, dn, tc.x, tc.y)
					for i := range lu {
						lu[i] = (lu[i] - ld[i]) / (2 * h)
					}
					return lu
				}
				d1, d2 := central(h), central(h/2)
				for i := range tc.x {
					if math.IsInf(lp[i], -1) {
						if sc[k][i] != 0 {
							t.Errorf("%s %v x=%v: log q is -Inf but score[%d] is %v", tc.name, theta, tc.x[i], k, sc[k][i])
						}
						continue
					}
					fd := d2[i] + (d2[i]-d1[i])/3
					tol := 1e-6*math.Max(1, math.Abs(fd)) + 3e-15*math.Max(1, math.Abs(lp[i]))/h
					if !(math.Abs(fd-sc[k][i]) <= tol) {
						t.Errorf("%s %v x=%v: score[%d] (%s) %.12g, finite differences %.12g", tc.name, theta, tc.x[i], k,
							tc.f.Params()[k].Name, sc[k][i], fd)
					}
				}
			}
		}
	}
}

// TestEvalWithoutScores checks that asking for no scores gives the same
// log-density (to 4 ulps: the same formula, its operations sometimes in
// another order), and that scores are finite everywhere.
func TestEvalWithoutScores(t *testing.T) {
	for _, tc := range scoreCases(t) {
		for _, theta := range tc.thetas {
			lp, sc := eval(tc.f, theta, tc.x, tc.y)
			lp2 := logpOnly(tc.f, theta, tc.x, tc.y)
			for i := range lp {
				if lp[i] != lp2[i] && !(math.Abs(lp[i]-lp2[i]) <= 9e-16*math.Abs(lp[i])) {
					t.Errorf("%s %v x=%v: %v with scores, %v without", tc.name, theta, tc.x[i], lp[i], lp2[i])
				}
				for k := range sc {
					if math.IsNaN(sc[k][i]) || math.IsInf(sc[k][i], 0) {
						t.Errorf("%s %v x=%v: score[%d] = %v", tc.name, theta, tc.x[i], k, sc[k][i])
					}
				}
			}
		}
	}
}
