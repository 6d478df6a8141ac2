package vi_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/vi"
	"gonum.org/v1/gonum/mat"
)

// linePosterior is the posterior of (a, b) for observations y = a + b t +
// N(0, 1) noise, with N(0, 10^2) priors, up to a constant: a user's own
// log-density with its gradient.
type linePosterior struct{ t, y []float64 }

func (linePosterior) Dim() int { return 2 }

func (p linePosterior) LogDensity(x, grad []float64) float64 {
	a, b := x[0], x[1]
	lp, ga, gb := -(a*a+b*b)/200, -a/100, -b/100
	for i, t := range p.t {
		r := p.y[i] - a - b*t
		lp -= r * r / 2
		ga += r
		gb += r * t
	}
	if grad != nil {
		grad[0], grad[1] = ga, gb
	}
	return lp
}

// A Go program fits a normal to its own log-density: here a Bayesian
// linear regression, whose posterior is normal. L-BFGS drives the
// reverse-KL objective on 1000 fixed draws; the diagnostics then say
// whether the fit can be trusted. The exact posterior has the means
// 1.097 and 1.960, and the covariance entries 0.596, -0.199 and 0.0995:
// the fit is within the Monte Carlo error of 1000 draws (a few percent).
func ExampleLogDensity() {
	post := linePosterior{t: []float64{0, 1, 2, 3, 4}, y: []float64{1.1, 2.9, 5.2, 7.1, 8.8}}
	model, _ := vi.NewMVNormal(post.Dim())
	obj, err := vi.NewReverseKL(model, post, vi.Options{Samples: 1000, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	// The fit loop runs it like any fit: history, stop rules, observers.
	res, err := fit.RunEvaluable(context.Background(), obj, "reverse_kl", fit.Options{Optimizer: &fit.LBFGS{}, Epochs: 200})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("status:", res.Status)
	theta := res.Theta()
	for i, name := range obj.Names() {
		fmt.Printf("%s = %.3f\n", name, theta[i])
	}
	u := make([]float64, obj.Len())
	model.Unconstrain(u, theta[:2], covariance(theta[2:]))
	dg, _ := vi.Diagnose(model, post, u, 0, 2)
	fmt.Printf("k̂ %.2f, warning: %q\n", dg.ParetoK, dg.Warning)
	// Output:
	// status: converged
	// mean[0] = 1.107
	// mean[1] = 1.961
	// covariance[0][0] = 0.606
	// covariance[0][1] = -0.194
	// covariance[1][1] = 0.097
	// k̂ -0.01, warning: ""
}

// covariance returns the 2x2 covariance whose upper triangle is c.
func covariance(c []float64) *mat.SymDense {
	return mat.NewSymDense(2, []float64{c[0], c[1], c[1], c[2]})
}

// A formula's value and its gradient, by automatic differentiation.
func ExampleNewFormula() {
	f, err := vi.NewFormula("-x1^2/2 - (x2 - x1^2)^2", 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	grad := make([]float64, 2)
	v := f.LogDensity([]float64{1, 3}, grad)
	fmt.Println(v, grad)
	_, err = vi.NewFormula("-x1^2/2 - x3^2", 2)
	fmt.Println(err)
	// Output:
	// -4.5 [7 -4]
	// formula error at line 1, column 11: x3 is not a coordinate of a 2-D target: the coordinates are x1 and x2
}

// The forward KL from samples needs only their mean and covariance, read
// in one pass; the optimum is known in closed form.
func ExampleReadMoments() {
	csv := "a,b\n1,2\n2,1\n3,4\n4,3\n"
	mom, err := vi.ReadMoments(context.Background(), strings.NewReader(csv), []string{"b", "a"})
	if err != nil {
		fmt.Println(err)
		return
	}
	model, _ := vi.NewMVNormal(2)
	obj, _ := vi.NewForwardKL(model, mom)
	u := make([]float64, obj.Len())
	if err := obj.Optimum(u); err != nil {
		fmt.Println(err)
		return
	}
	theta := make([]float64, obj.Len())
	obj.Theta(theta, u)
	for i, name := range obj.Names() {
		fmt.Printf("%s = %.4g\n", name, theta[i])
	}
	// Output:
	// mean[0] = 2.5
	// mean[1] = 2.5
	// covariance[0][0] = 1.25
	// covariance[0][1] = 0.75
	// covariance[1][1] = 1.25
}
