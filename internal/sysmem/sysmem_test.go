package sysmem

import (
	"math"
	"strings"
	"testing"
)

// TestBudget checks the budget's rule: half the least limit, GOMEMLIMIT
// instead when set (up to the least limit), the fallback when no limit
// is known.
func TestBudget(t *testing.T) {
	const g = 1 << 30
	phys := Limit{Bytes: 24 * g, What: "the physical memory"}
	as := Limit{Bytes: 4 * g, What: "the address-space limit (ulimit -v)"}
	for _, c := range []struct {
		goLimit int64
		limits  []Limit
		want    int64
		why     string
	}{
		{math.MaxInt64, []Limit{phys}, 12 * g, "half of the physical memory, 24 GiB"},
		{math.MaxInt64, []Limit{phys, as}, 2 * g, "half of the address-space limit (ulimit -v), 4 GiB"},
		{math.MaxInt64, []Limit{as, phys}, 2 * g, "half of the address-space limit (ulimit -v), 4 GiB"},
		{5 * g, []Limit{phys}, 5 * g, "GOMEMLIMIT"},
		{5 * g, []Limit{phys, as}, 4 * g, "the address-space limit (ulimit -v), 4 GiB, less than GOMEMLIMIT"},
		{20 * g, []Limit{phys}, 20 * g, "GOMEMLIMIT"},
		{math.MaxInt64, nil, Fallback, "klfit's default where the physical memory is not known"},
		{3 * g, nil, 3 * g, "GOMEMLIMIT"},
	} {
		got, why := budget(c.goLimit, c.limits)
		if got != c.want || !strings.HasPrefix(why, c.why) {
			t.Errorf("GOMEMLIMIT %d, limits %v: %d (%s), want %d (%s)", c.goLimit, c.limits, got, why, c.want, c.why)
		}
	}
	if b, why := Budget(); b <= 0 || why == "" {
		t.Errorf("this machine's budget: %d (%s)", b, why)
	}
}

func TestBytes(t *testing.T) {
	for n, want := range map[int64]string{512: "512 bytes", 3 << 20: "3 MiB", 3<<30 + 800<<20: "3.78 GiB", 2 << 40: "2 TiB"} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
}
