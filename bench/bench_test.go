package bench_test

import (
	"fmt"
	"testing"

	"github.com/klfit/klfit/bench"
	"github.com/klfit/klfit/fit"
)

// BenchmarkCases runs every standard case on its sizes and 1 and 2
// threads: go test -bench . -benchmem ./bench
func BenchmarkCases(b *testing.B) {
	for _, c := range bench.Cases() {
		sizes := []int{c.Fixed}
		if c.Fixed == 0 {
			sizes = []int{10_000, 1_000_000}
		}
		for _, n := range sizes {
			for _, threads := range []int{1, 2} {
				prob, opt, err := c.Problem(n)
				if err != nil {
					b.Fatal(err)
				}
				b.Run(fmt.Sprintf("%s/points=%d/threads=%d", c.Name, prob.Grid.Len(), threads), func(b *testing.B) {
					benchRun(b, prob, opt, threads)
				})
			}
		}
	}
}

func TestCasesBuild(t *testing.T) {
	for _, c := range bench.Cases() {
		prob, _, err := c.Problem(1000)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		if c.Fixed != 0 && prob.Grid.Len() != c.Fixed {
			t.Errorf("%s: %d points, says %d", c.Name, prob.Grid.Len(), c.Fixed)
		}
	}
}

func benchRun(b *testing.B, prob *fit.Problem, opt fit.Optimizer, threads int) {
	b.ReportAllocs()
	res, err := fit.Run(b.Context(), prob, fit.Options{Optimizer: opt, Epochs: b.N, Engine: fit.Engine{Threads: threads}})
	if err != nil || res.Status != fit.MaxEpochs {
		b.Fatal(err, res.Status)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(prob.Grid.Len()), "ns/point")
}
