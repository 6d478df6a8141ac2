package spec_test

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/klfit/klfit/spec"
)

// aliasSpec returns a spec whose target.params.mean is a list of n
// aliases of the anchored list of k numbers (the anchor written as the
// list's first element).
func aliasSpec(n, k int) string {
	var b strings.Builder
	b.WriteString("grid: {start: -5, stop: 5, step: 0.1}\n")
	b.WriteString("target:\n  family: normal\n  params:\n    variance: 1\n    mean: [&r [")
	for i := range k {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%d", i%10)
	}
	b.WriteString("]")
	for range n {
		b.WriteString(", *r")
	}
	b.WriteString("]\nmodel: {family: normal, init: {mean: 1, variance: 2}}\n")
	return b.String()
}

// laughs returns a spec whose model.init.mean is a nested alias bomb:
// levels lists of ten aliases of the level below.
func laughs(levels int) string {
	var b strings.Builder
	b.WriteString("grid: {start: -5, stop: 5, step: 0.1}\ntarget: {family: normal, params: {mean: 0, variance: 1}}\n")
	b.WriteString("model:\n  family: normal\n  init:\n    variance: [&l0 [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]")
	for i := 1; i <= levels; i++ {
		fmt.Fprintf(&b, ", &l%d [%s]", i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d, ", i-1), 10), ", "))
	}
	b.WriteString("]\n    mean: 0\n")
	return b.String()
}

// TestAliasExpansion: specs whose aliases stand for far more values than
// they write out are refused by Parse, before anything is decoded from
// them, in time and memory proportional to their length; a spec whose
// aliases add little parses as written.
func TestAliasExpansion(t *testing.T) {
	for _, c := range []struct {
		name  string
		src   string
		extra int64 // the values the aliases add; 0 for a spec that parses
	}{
		// 400 KB of aliases of a 40-number list: 4 million values.
		{"alias list", aliasSpec(100_000, 40), 100_000 * 40},
		// 60,000 aliases of a 1000-number list: 60 million values.
		{"60000 aliases", aliasSpec(60_000, 1000), 60_000 * 1000},
		// More than 10^10 values in a few hundred bytes.
		{"nested", laughs(9), 12_345_678_900},
		// Within the limits: the values are the spec's own.
		{"few aliases", aliasSpec(90, 1000), 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.name == "60000 aliases" {
				if n := len(c.src); n < 200_000 || n > 300_000 {
					t.Fatalf("the spec has %d bytes, not about 242 KB", n)
				}
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			s, err := spec.Parse([]byte(c.src))
			runtime.ReadMemStats(&after)
			// The yaml node tree takes about 200 bytes a node written
			// (at most 100,000 here); decoding the expansion would take
			// 8 bytes a value, 32 MB to 8 GB here.
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
				t.Errorf("Parse allocated %d MB", alloc>>20)
			}
			if c.extra == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if got := len(s.Target.Params[0].Value) + len(s.Target.Params[1].Value); got != 1+91*1000 {
					t.Errorf("%d values, want %d", got, 1+91*1000)
				}
				return
			}
			var se *spec.Error
			if !errors.As(err, &se) {
				t.Fatalf("error %v (%T), want a *spec.Error", err, err)
			}
			const prefix = "spec line 6: the spec's aliases expand it to "
			suffix := fmt.Sprintf(" values, %d more than it writes out; at most 100000 more are allowed", c.extra)
			if msg := err.Error(); !strings.HasPrefix(msg, prefix) || !strings.HasSuffix(msg, suffix) {
				t.Errorf("error:\n  %s\nwant\n  %s...%s", msg, prefix, suffix)
			}
		})
	}
}
