//go:build duckdb

package target_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/klfit/klfit/target"
)

// TestSQL checks that a query binned inside DuckDB gives the same histogram
// as the same file read as samples by klfit, including the samples
// outside the grid and the rows that are NULL or not numbers.
func TestSQL(t *testing.T) {
	xs := normalDraws(3000, 9)
	var b strings.Builder
	b.WriteString("id,x\n")
	for i, x := range xs {
		fmt.Fprintf(&b, "%d,%v\n", i, x)
	}
	b.WriteString("3000,\n3001,n/a\n3002,nan\n3003,inf\n3004,-inf\n") // skipped, NaN and infinities too
	p := write(t, "events.csv", b.String())
	g := grid1(t, -3, 4, 0.1)
	q, err := target.NewSQL(fmt.Sprintf("SELECT x FROM read_csv('%s', all_varchar = true)", p))
	if err != nil {
		t.Fatal(err)
	}
	got := density(t, q, g)
	s := &target.Samples{Path: p, Column: "x", SkipInvalid: true}
	want := density(t, s, g)
	for i := range want {
		// Both divide the same whole counts by the same n and step.
		if math.Abs(got[i]-want[i]) > 1e-15 {
			t.Errorf("cell %d: sql %v, samples %v", i, got[i], want[i])
		}
	}
	if q.Stats.N != 3000 || q.Stats.Skipped != 5 || q.Stats.Below+q.Stats.Above != s.Stats.Below+s.Stats.Above {
		t.Errorf("sql stats %+v, samples stats %+v", q.Stats, s.Stats)
	}
	if math.Abs(q.Stats.Mean-s.Stats.Mean) > 1e-12 || math.Abs(q.Stats.Variance-s.Stats.Variance) > 1e-12 {
		t.Errorf("moments: sql %v %v, samples %v %v", q.Stats.Mean, q.Stats.Variance, s.Stats.Mean, s.Stats.Variance)
	}
	bad, _ := target.NewSQL("SELECT x FROM no_such_table")
	err = bad.Density(make([]float64, g.Len()), g)
	if err == nil || !strings.Contains(err.Error(), "the query failed") || strings.Contains(err.Error(), "\n") {
		t.Errorf("bad query: %v", err)
	}
}
