package grid_test

import (
	"fmt"

	"github.com/klfit/klfit/grid"
)

// The notebook's grid: NumPy's arange(-10, 10, 0.1) has 200 points, spaced
// by (start+step)-start, not by step.
func ExampleArange() {
	a, err := grid.Arange(-10, 10, 0.1)
	if err != nil {
		panic(err)
	}
	fmt.Println(a.N, a.Delta, a.At(199))
	// Output: 200 0.09999999999999964 9.899999999999928
}
