package spec_test

import (
	"context"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/klfit/klfit/spec"
)

// TestCheckMemory checks the refusal of Monte Carlo fits that would not
// fit in memory, from the spec's text alone (nothing that grows with the
// dimension is allocated: the estimate is arithmetic): a full-rank model
// in 2000 dimensions for 2 epochs under 1.9 GiB (the budget of a 3.8 GiB
// address-space limit) is refused naming the target's key, the estimate
// and what to change, and passes under 64 GiB; 1000 epochs of it are
// refused under 12 GiB for their history; the checkpoint of a long fit
// tips it over; an absurd number of epochs is refused, not overflowed;
// small fits, a mean-field model in 10,000 dimensions and a forward KL
// fit to many columns pass. The refusal is one line.
func TestCheckMemory(t *testing.T) {
	const gib = 1 << 30
	const d2000 = "target: {log_density: \"-x1^2/2\", dims: 2000}\nmodel: {family: mvnormal}\n"
	for _, c := range []struct {
		name       string
		src        string
		limit      int64
		checkpoint bool
		want       []string // the error's parts; none: no error
		below      int64    // with no error, the estimate must be below it
	}{
		{"small", "target: {log_density: \"-x1^2/2 - (x2 - x1^2)^2\", dims: 2}\nmodel: {family: mvnormal}\n", 1 << 20, false, nil, 1 << 20},
		{"2000 dims, 2 epochs, refused", d2000 + "epochs: 2\n", 19 * gib / 10, false, []string{
			"spec line 1: target.dims: this fit would need about ", " GiB of memory, more than the 1.9 GiB it may use here (the limit given): ",
			"the lbfgs optimizer and the fit's vectors ", "model mvnormal_diag (4000 parameters instead of 2003000)",
			"optimizer adam (it keeps 2 vectors of the parameters, L-BFGS 4 store + 9)"}, 0},
		{"2000 dims, 2 epochs, in 64 GiB", d2000 + "epochs: 2\n", 64 * gib, false, nil, 8 * gib},
		{"2000 dims, 1000 epochs", d2000 + "epochs: 1000\noptimizer: {name: adam}\n", 12 * gib, false, []string{
			"the history (1984 rows of 2003000 parameters, as allocated for 1000 epochs) 29.6 GiB",
			"fewer epochs (each adds a row of 15.3 MiB to the history)"}, 0},
		{"absurd epochs", d2000 + "epochs: 1e15\n", 64 * gib, false, []string{"fewer epochs"}, 0},
		{"a long fit without its checkpoint", "target: {log_density: \"-x1^2/2\", dims: 100}\nmodel: {family: mvnormal}\nepochs: 20000\n", 4 * gib, false, nil, 2 * gib},
		{"a long fit with its checkpoint", "target: {log_density: \"-x1^2/2\", dims: 100}\nmodel: {family: mvnormal}\nepochs: 20000\n", 4 * gib, true, []string{
			"the checkpoint's JSON ", "no --checkpoint"}, 0},
		{"mean-field, 10000 dims", "target: {log_density: \"-x1^2/2\", dims: 10000}\nmodel: {family: mvnormal_diag}\noptimizer: {name: adam}\n", 1 * gib, false, nil, 1 * gib},
		{"forward KL, 300 columns", "target: {samples: none.csv, columns: [" + columns(300) + "]}\nmodel: {family: mvnormal}\n", 1 * gib, false, nil, 1 * gib},
		{"an mvnormal target", "target: {family: mvnormal, params: {mean: [0, 0, 0], covariance: [[1, 0, 0], [0, 1, 0], [0, 0, 1]]}}\nmodel: {family: mvnormal}\n", 1 << 20, false, nil, 1 << 20},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := spec.Parse([]byte(c.src))
			if err != nil {
				t.Fatal(err)
			}
			est, err := s.MonteCarloMemory(c.checkpoint)
			if err != nil || est == nil {
				t.Fatal(err)
			}
			var sum int64
			for k, p := range est.Parts {
				sum += p.Bytes
				if k > 0 && p.Bytes > est.Parts[k-1].Bytes {
					t.Errorf("parts not largest first: %v", est.Parts)
				}
			}
			if d := sum - est.Bytes; d < -8 || d > 8 && est.Bytes < 1<<62 {
				t.Errorf("the parts sum to %d, the total is %d", sum, est.Bytes)
			}
			err = s.CheckMemory(c.limit, c.checkpoint)
			switch {
			case c.want == nil && err != nil:
				t.Fatalf("refused: %v", err)
			case c.want == nil && est.Bytes >= c.below:
				t.Errorf("estimated %d bytes, want below %d: %v", est.Bytes, c.below, est.Parts)
			case c.want == nil:
			case err == nil:
				t.Fatalf("not refused (estimated %d bytes, limit %d)", est.Bytes, c.limit)
			case strings.Contains(err.Error(), "\n"):
				t.Errorf("more than one line: %q", err)
			case strings.Contains(err.Error(), "GOMEMLIMIT") || strings.Contains(err.Error(), "ulimit"):
				t.Errorf("under the limit given, the refusal suggests raising another: %q", err)
			default:
				for _, w := range c.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q, want %q in it", err, w)
					}
				}
			}
		})
	}
	// A grid spec has no estimate, and passes.
	s, err := spec.Parse([]byte("target: {family: normal, params: {mean: 0, variance: 1}}\nmodel: {family: normal}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if est, err := s.MonteCarloMemory(false); est != nil || err != nil || s.CheckMemory(1, true) != nil {
		t.Errorf("a grid spec: %v, %v", est, err)
	}
}

// TestBuildRefusesBeforeAllocating builds a full-rank fit in 2000
// dimensions with a memory limit of 64 MiB: Build refuses it, and
// allocates less than one vector of its 2,003,000 parameters (16 MB) on
// the way. Under no limit given, Build checks against the machine's
// budget, which a small fit passes.
func TestBuildRefusesBeforeAllocating(t *testing.T) {
	s, err := spec.Parse([]byte("target: {log_density: \"-x1^2/2\", dims: 2000}\nmodel: {family: mvnormal}\nepochs: 2\n"))
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = s.Build(context.Background(), spec.Env{MemoryLimit: 64 << 20})
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "target.dims: this fit would need about ") {
		t.Fatalf("error %v", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 8<<20 {
		t.Errorf("Build allocated %d bytes before refusing", n)
	}
	build(t, "target: {log_density: \"-x1^2/2\", dims: 20}\nmodel: {family: mvnormal}\nepochs: 2\n")
}

// columns returns the names c1, ..., cn, comma separated.
func columns(n int) string {
	names := make([]string, n)
	for i := range names {
		names[i] = "c" + strconv.Itoa(i+1)
	}
	return strings.Join(names, ", ")
}
