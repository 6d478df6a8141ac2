package sysmem

import (
	"math"
	"strings"
	"testing"
)

// TestBudget checks the budget's rule: half the least memory limit,
// GOMEMLIMIT instead when set (up to the least limit), the fallback when
// no limit is known; under an address-space limit, half of what it leaves
// after the address space mapped and Slack, which GOMEMLIMIT may lower
// but never raise; and the advice names what can allow more.
func TestBudget(t *testing.T) {
	const g = 1 << 30
	phys := Limit{Bytes: 24 * g, What: "the physical memory"}
	as := Limit{Bytes: 4 * g, What: "the address-space limit (ulimit -v)", Raise: "ulimit -v", Used: 2*g - Slack}
	asRoom := int64(g) // (4 GiB - (2 GiB - Slack) - Slack) / 2
	data := Limit{Bytes: 3 * g, What: "the data-segment limit (ulimit -d)", Raise: "ulimit -d", Used: g}
	unset := int64(math.MaxInt64)
	for _, c := range []struct {
		goLimit   int64
		limits    []Limit
		rlim      []Limit
		want      int64
		why, more string
	}{
		{unset, []Limit{phys}, nil, 12 * g, "half of the physical memory, 24 GiB", "set GOMEMLIMIT to allow more"},
		{unset, []Limit{phys}, []Limit{as}, asRoom, "half of what the address-space limit (ulimit -v), 4 GiB, leaves after the 1.5 GiB the process has mapped and 512 MiB of slack", "raise ulimit -v"},
		{unset, []Limit{phys}, []Limit{as, data}, 3 * g / 4, "half of what the data-segment limit (ulimit -d), 3 GiB, leaves after the 1 GiB", "raise ulimit -d"},
		{unset, []Limit{phys}, []Limit{{Bytes: 1 * g, What: "the address-space limit (ulimit -v)", Raise: "ulimit -v", Used: 2 * g}}, 0, "half of what the address-space limit", "raise ulimit -v"},
		{5 * g, []Limit{phys}, nil, 5 * g, "GOMEMLIMIT", "set GOMEMLIMIT higher to allow more"},
		// GOMEMLIMIT does not raise the budget above what the address space allows...
		{3 * g, []Limit{phys}, []Limit{as}, asRoom, "half of what the address-space limit (ulimit -v), 4 GiB, leaves", "raise ulimit -v"},
		{10 * g, []Limit{phys}, []Limit{as}, asRoom, "half of what the address-space limit (ulimit -v), 4 GiB, leaves", "raise ulimit -v"},
		// ...and may lower it.
		{g / 2, []Limit{phys}, []Limit{as}, g / 2, "GOMEMLIMIT", "set GOMEMLIMIT higher to allow more"},
		{30 * g, []Limit{phys}, nil, 24 * g, "the physical memory, 24 GiB, less than GOMEMLIMIT", ""},
		{20 * g, []Limit{phys}, nil, 20 * g, "GOMEMLIMIT", "set GOMEMLIMIT higher to allow more"},
		{unset, nil, nil, Fallback, "klfit's default where the physical memory is not known", "set GOMEMLIMIT to allow more"},
		{unset, nil, []Limit{as}, asRoom, "half of what the address-space limit", "raise ulimit -v"},
		{3 * g, nil, nil, 3 * g, "GOMEMLIMIT", "set GOMEMLIMIT higher to allow more"},
	} {
		got, why, more := budget(c.goLimit, c.limits, c.rlim)
		if got != c.want || !strings.HasPrefix(why, c.why) || more != c.more {
			t.Errorf("GOMEMLIMIT %d, limits %v, %v: %d (%s; %q), want %d (%s; %q)", c.goLimit, c.limits, c.rlim, got, why, more, c.want, c.why, c.more)
		}
	}
	if b, why, _ := Budget(); b <= 0 || why == "" {
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
