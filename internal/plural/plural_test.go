package plural

import (
	"fmt"
	"testing"
)

func TestCount(t *testing.T) {
	for _, c := range []struct {
		n    int
		want string
	}{
		{0, "0 samples"}, {1, "1 sample"}, {2, "2 samples"}, {-1, "-1 sample"}, {11, "11 samples"},
	} {
		if got := Count(c.n, "sample", "samples"); got != c.want {
			t.Errorf("Count(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}

func ExampleCount() {
	fmt.Println(Count(1, "sample", "samples"), "in", Count(2, "dimension", "dimensions"))
	// Output: 1 sample in 2 dimensions
}
