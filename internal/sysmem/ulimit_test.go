//go:build linux

package sysmem

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestBudgetFitsUnderUlimit runs this test binary again under ulimit -v
// 3000000 (2.86 GiB), with GOMEMLIMIT unset, at 3 GiB and at 10 GiB; the
// child keeps Budget's bytes live, 32 MiB at a time, making as much
// garbage as it goes (the collector lets the heap grow to twice what is
// live), and must end cleanly. The budget was half the limit, or
// GOMEMLIMIT up to the limit itself, which left no room for the 1.8 GiB a
// Go process reserves before its heap grows: the runtime's "fatal error:
// out of memory".
func TestBudgetFitsUnderUlimit(t *testing.T) {
	if os.Getenv("KLFIT_SYSMEM_CHILD") == "1" {
		fillBudget(t)
		return
	}
	if testing.Short() {
		t.Skip("allocates up to a GiB in a child process")
	}
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_AS, &lim); err != nil || lim.Max != unix.RLIM_INFINITY && lim.Max < 3000000<<10 {
		t.Skipf("the address-space limit cannot be raised to 3000000 KiB here (%v, %v)", lim, err)
	}
	for _, gomemlimit := range []string{"", "3GiB", "10GiB"} {
		cmd := exec.Command("sh", "-c", `ulimit -v 3000000 && exec "$0" -test.run='^TestBudgetFitsUnderUlimit$' -test.v`, os.Args[0])
		cmd.Env = append(os.Environ(), "KLFIT_SYSMEM_CHILD=1", "GOMEMLIMIT="+gomemlimit)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("GOMEMLIMIT=%q: %v\n%s", gomemlimit, err, firstLines(string(out), 6))
			continue
		}
		t.Logf("GOMEMLIMIT=%q: %s", gomemlimit, firstLines(string(out), 2))
	}
}

// fillBudget keeps Budget's bytes live, with as much garbage made on the
// way, touching every page.
func fillBudget(t *testing.T) {
	b, why, _ := Budget()
	t.Logf("budget %s (%s)", Bytes(b), why)
	const chunk = 32 << 20
	var live [][]byte
	for n := int64(0); n+chunk <= b; n += chunk {
		for _, keep := range []bool{true, false} {
			c := make([]byte, chunk)
			for i := 0; i < len(c); i += 4096 {
				c[i] = 1
			}
			if keep {
				live = append(live, c)
			}
		}
	}
	t.Logf("kept %d chunks of 32 MiB", len(live))
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	return strings.Join(lines[:min(n, len(lines))], "\n")
}
