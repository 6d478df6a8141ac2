package bench_test

import (
	"fmt"

	"github.com/klfit/klfit/bench"
)

// The standard cases; bench.Measure times one of them, as klfit bench does.
func ExampleCases() {
	for _, c := range bench.Cases() {
		fmt.Println(c.Name)
	}
	// Output:
	// notebook
	// normal
	// mixture
	// reverse
	// hellinger
	// js
	// renyi
	// mixture2
	// skew_normal
	// mvnormal
}
