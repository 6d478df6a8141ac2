package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/klfit/klfit/bench"
)

// TestBenchReportsMedianSpreadAndSpeedup runs klfit bench on a small
// budget and checks what it reports: the runs asked for, a median within
// its spread, the workers an evaluation uses, and a speedup only where
// the work is split over more than one of them.
func TestBenchReportsMedianSpreadAndSpeedup(t *testing.T) {
	code, out, errOut := run(t, context.Background(), false, "bench", "--json", "--cases", "notebook,normal",
		"--sizes", "5e4", "--threads", "1,2", "--runs", "3", "--run-time", "5ms")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rs []bench.Result
	if err := json.Unmarshal([]byte(out), &rs); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(rs) != 4 {
		t.Fatalf("%d results, want 4 (notebook and normal on 1 and 2 threads): %s", len(rs), out)
	}
	for _, r := range rs {
		if r.Runs != 3 || r.Epochs < 1 {
			t.Errorf("%+v: want 3 runs of at least 1 epoch", r)
		}
		if !(r.NsMin <= r.NsPerEpoch && r.NsPerEpoch <= r.NsMax) || r.NsPerEpoch <= 0 {
			t.Errorf("%+v: the median is not within the spread", r)
		}
		wantWorkers := 1
		if r.Case == "normal" && r.Threads == 2 {
			wantWorkers = 2 // 50000 points: 13 chunks
		}
		if r.Workers != wantWorkers {
			t.Errorf("%+v: %d workers, want %d", r, r.Workers, wantWorkers)
		}
		if (r.Speedup > 0) != (r.Workers > 1) {
			t.Errorf("%+v: a speedup is reported where the work is not split, or the reverse", r)
		}
	}
}

func TestBenchBadFlags(t *testing.T) {
	for _, args := range [][]string{{"--runs", "0"}, {"--run-time", "0s"}, {"--sizes", "1.5"}, {"--sizes", "1e9"}, {"--cases", "nope"},
		{"--sizes", "1"}, {"--sizes", "1e4,8", "--cases", "normal,mixture"}} {
		code, _, errOut := run(t, context.Background(), false, append([]string{"bench"}, args...)...)
		if code != 2 || !strings.Contains(errOut, strings.TrimPrefix(args[0], "--")) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%v: exit %d, %q; want 2 and a one-line message naming the flag", args, code, errOut)
		}
	}
	// Below a case's smallest size, the message names it and the case.
	for _, c := range []struct{ sizes, cases, want string }{
		{"1e4,8", "normal,mixture", "klfit: --sizes: 8 points is too few for the mixture case, which takes 9 at least\n"},
		{"1", "", "klfit: --sizes: 1 point is too few for the mixture case, which takes 9 at least\n"},
		{"1", "normal", "klfit: --sizes: 1 point is too few for the normal case, which takes 2 at least\n"},
	} {
		code, _, errOut := run(t, context.Background(), false, "bench", "--sizes", c.sizes, "--cases", c.cases)
		if code != 2 || errOut != c.want {
			t.Errorf("--sizes %s --cases %q: exit %d, %q, want %q", c.sizes, c.cases, code, errOut, c.want)
		}
	}
}
