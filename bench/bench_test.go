package bench_test

import (
	"fmt"
	"testing"
	"time"

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

// TestMinPoints checks every case that takes a size against the fewest
// points it says it takes: it fits on MinPoints (a fit of a few epochs
// ends at its epochs, from every size up to 4 times more), and not on one
// point fewer, so that MinPoints is the least, and klfit bench refuses
// exactly the sizes that would fail.
func TestMinPoints(t *testing.T) {
	fits := func(c bench.Case, n int) error {
		prob, opt, err := c.Problem(n)
		if err != nil {
			return err
		}
		res, err := fit.Run(t.Context(), prob, fit.Options{Optimizer: opt, Epochs: 20})
		if err == nil && res.Status != fit.MaxEpochs {
			err = res.Failure
		}
		return err
	}
	for _, c := range bench.Cases() {
		if c.Fixed != 0 {
			continue
		}
		if c.MinPoints < 1 {
			t.Errorf("%s takes sizes and says no MinPoints", c.Name)
			continue
		}
		for n := c.MinPoints; n <= 4*c.MinPoints; n++ {
			if err := fits(c, n); err != nil {
				t.Errorf("%s on %d points (MinPoints %d): %v", c.Name, n, c.MinPoints, err)
			}
		}
		if c.MinPoints > 1 && fits(c, c.MinPoints-1) == nil {
			t.Errorf("%s fits on %d points, fewer than its MinPoints %d", c.Name, c.MinPoints-1, c.MinPoints)
		}
		if _, err := bench.Measure(c, c.MinPoints-1, 1, bench.Options{Runs: 1, RunTime: time.Millisecond}); err == nil {
			t.Errorf("%s: Measure on %d points, below MinPoints, did not refuse", c.Name, c.MinPoints-1)
		}
	}
}

// benchRun times b.N epochs of a fit and reports ns per point and the
// process's CPU time per point (over all its threads, setup included):
// on a shared machine the CPU time shows the work done, the wall time
// also the waits for a core.
func benchRun(b *testing.B, prob *fit.Problem, opt fit.Optimizer, threads int) {
	b.ReportAllocs()
	cpu := bench.CPUTime()
	res, err := fit.Run(b.Context(), prob, fit.Options{Optimizer: opt, Epochs: b.N, Engine: fit.Engine{Threads: threads}})
	if err != nil || res.Status != fit.MaxEpochs {
		b.Fatal(err, res.Status)
	}
	n := float64(b.N) * float64(prob.Grid.Len())
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/point")
	b.ReportMetric(float64((bench.CPUTime()-cpu).Nanoseconds())/n, "cpu-ns/point")
}

// BenchmarkRatios runs every case that takes a size on 10^5 points and
// one thread: the ratios are each case's ns/point over normal's,
// read from one run (go test -bench Ratios -count 5 ./bench).
func BenchmarkRatios(b *testing.B) {
	for _, c := range bench.Cases() {
		if c.Fixed != 0 {
			continue
		}
		prob, opt, err := c.Problem(100_000)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.Name, func(b *testing.B) { benchRun(b, prob, opt, 1) })
	}
}

// BenchmarkThreads runs the passes the pool splits on 1 and 2 threads:
// normal (the recurrence) on 10^4 to 10^6 points; reverse (the general
// pass by recurrence), renyi (the Rényi and Hellinger pass) and mixture
// (the general pass) on 10^4 and 10^5. Run it idle and with a busy loop
// on one core.
func BenchmarkThreads(b *testing.B) {
	sizes := map[string][]int{"normal": {10_000, 100_000, 1_000_000}, "reverse": {10_000, 100_000},
		"renyi": {10_000, 100_000}, "mixture": {10_000, 100_000}}
	for _, c := range bench.Cases() {
		for _, n := range sizes[c.Name] {
			prob, opt, err := c.Problem(n)
			if err != nil {
				b.Fatal(err)
			}
			for _, threads := range []int{1, 2} {
				b.Run(fmt.Sprintf("%s/points=%d/threads=%d", c.Name, prob.Grid.Len(), threads), func(b *testing.B) {
					benchRun(b, prob, opt, threads)
				})
			}
		}
	}
}
