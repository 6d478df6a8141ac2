package spec_test

import (
	"context"
	"fmt"

	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/spec"
)

// Parse a spec, build it and run the fit it describes.
func ExampleParse() {
	s, err := spec.Parse([]byte(`
grid: {start: -10, stop: 10, step: 0.1}
target: {family: normal, params: {mean: 0, variance: 7}}
model: {family: normal, init: {mean: 5, variance: 1}}
optimizer: {name: gd, learning_rate: 0.2}
epochs: 600
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	b, err := s.Build(context.Background(), spec.Env{})
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := fit.Run(context.Background(), b.Problem, b.Options())
	if err != nil {
		fmt.Println(err)
		return
	}
	th := res.Theta()
	fmt.Printf("%s: mean %.4f, variance %.4f\n", res.Status, th[0], th[1])
	// Output: max_epochs: mean 0.0000, variance 7.0000
}

// Errors name the key and the line.
func ExampleSpec_Build() {
	s, _ := spec.Parse([]byte(`grid: {start: -10, stop: 10, step: 0.1}
target: {family: normal, params: {mean: 0, variance: 7}}
model:
  family: normal
  init: {mean: 5, variance: -1}
`))
	_, err := s.Build(context.Background(), spec.Env{})
	fmt.Println(err)
	// Output: spec line 5: model.init.variance: must be > 0, got -1
}

// The one-line syntax reads the same targets as the spec's target key.
func ExampleParseTarget() {
	t, err := spec.ParseTarget("0.3*normal(mean=-2, variance=1) + 0.7*normal(mean=3, variance=0.5)")
	fmt.Println(t.Kind(), len(t.Mixture), t.Mixture[1].Weight, err)
	fmt.Println(t.OneLine())
	_, err = spec.ParseTarget("normal(mean=0 variance=1)")
	fmt.Println(err)
	// Output:
	// mixture 2 0.7 <nil>
	// 0.3*normal(mean=-2, variance=1) + 0.7*normal(mean=3, variance=0.5)
	// "normal(mean=0 variance=1)": column 15: expected "," or ")", got 'v'
}
