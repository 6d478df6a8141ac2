// Package sysmem says how much memory a klfit process may plan to use: the
// budget against which a fit's estimated memory is checked before it
// allocates anything large.
package sysmem

import (
	"fmt"
	"math"
	"runtime/debug"
)

// Limit is a bound on the process's memory, and where it comes from.
type Limit struct {
	Bytes int64
	// What names the bound: "the physical memory", "the address-space
	// limit (ulimit -v)"...
	What string
}

// Fallback is the budget when no bound on memory is known (a system
// whose physical memory this package cannot read, with no limit set).
const Fallback = 8 << 30

// Budget returns the memory, in bytes, that a fit may plan to use, and
// says in words where it comes from: half the least of the physical
// memory, the container's memory limit (cgroup), and the process's
// address-space and data-segment limits (ulimit -v, ulimit -d), the other
// half left to the collector's headroom (the heap grows to twice what is
// live between collections) and to other programs; Fallback when none of
// them is known. GOMEMLIMIT, when set, replaces that half (Go's collector
// keeps the heap under it), up to the least limit.
func Budget() (int64, string) {
	return budget(debug.SetMemoryLimit(-1), Limits())
}

// budget is Budget for a GOMEMLIMIT of goLimit (math.MaxInt64: not set)
// and the system's limits.
func budget(goLimit int64, limits []Limit) (int64, string) {
	least := Limit{Bytes: math.MaxInt64}
	for _, l := range limits {
		if l.Bytes > 0 && l.Bytes < least.Bytes {
			least = l
		}
	}
	if goLimit > 0 && goLimit < math.MaxInt64 {
		if goLimit <= least.Bytes {
			return goLimit, "GOMEMLIMIT"
		}
		return least.Bytes, fmt.Sprintf("%s, %s, less than GOMEMLIMIT", least.What, Bytes(least.Bytes))
	}
	if least.Bytes == math.MaxInt64 {
		return Fallback, "klfit's default where the physical memory is not known; set GOMEMLIMIT to change it"
	}
	return least.Bytes / 2, fmt.Sprintf("half of %s, %s", least.What, Bytes(least.Bytes))
}

// Bytes formats n bytes for people: "512 MiB", "3.8 GiB".
func Bytes(n int64) string {
	switch v := float64(n); {
	case v >= 1<<40:
		return fmt.Sprintf("%.3g TiB", v/(1<<40))
	case v >= 1<<30:
		return fmt.Sprintf("%.3g GiB", v/(1<<30))
	case v >= 1<<20:
		return fmt.Sprintf("%.3g MiB", v/(1<<20))
	case v >= 1<<10:
		return fmt.Sprintf("%.3g KiB", v/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// clamp converts n to an int64, saturating.
func clamp(n uint64) int64 {
	if n > 1<<62 {
		return 1 << 62
	}
	return int64(n)
}
