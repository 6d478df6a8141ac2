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
	// Raise says, for an address-space or data-segment limit, what raises
	// it: "ulimit -v".
	Raise string
	// Used is, for an address-space or data-segment limit, what the
	// process has mapped of it already (0 where it is not known).
	Used int64
}

// Fallback is the budget when no bound on memory is known (a system
// whose physical memory this package cannot read, with no limit set).
const Fallback = 8 << 30

// Slack is the address space kept, under an address-space or
// data-segment limit, for what a Go process maps beyond its heap after
// the budget is computed: more threads (each with its stack and, in a
// cgo binary, up to a 64 MiB malloc arena) and the runtime's metadata for
// a larger heap.
const Slack = 512 << 20

// Budget returns the memory, in bytes, that a fit may plan to use, says
// in words where it comes from, and says how to allow more ("" when only
// a smaller fit helps).
//
// The budget is half the least of the physical memory and the
// container's memory limit (cgroup), the other half left to the
// collector's headroom (the heap grows to twice what is live between
// collections) and to other programs; GOMEMLIMIT, when set, replaces that
// half (Go's collector keeps the heap under it), up to the least of them.
// Under an address-space or data-segment limit (ulimit -v, ulimit -d),
// which counts every byte the process maps, the budget is at most half of
// what that limit leaves once the address space the process has mapped
// already (klfit reserves 1.2 to 1.9 GiB before its heap grows) and
// Slack are taken off, whatever GOMEMLIMIT says: the collector keeps the
// heap under GOMEMLIMIT only when it can, and the address space the heap
// once took stays mapped. Fallback when no bound is known.
func Budget() (bytes int64, why, more string) {
	return budget(debug.SetMemoryLimit(-1), Limits(), rlimits())
}

// budget is Budget for a GOMEMLIMIT of goLimit (math.MaxInt64: not set),
// the memory limits and the address-space and data-segment limits rlim.
func budget(goLimit int64, limits, rlim []Limit) (bytes int64, why, more string) {
	least := Limit{Bytes: math.MaxInt64}
	for _, l := range limits {
		if l.Bytes > 0 && l.Bytes < least.Bytes {
			least = l
		}
	}
	switch {
	case goLimit > 0 && goLimit < math.MaxInt64 && goLimit <= least.Bytes:
		bytes, why, more = goLimit, "GOMEMLIMIT", "set GOMEMLIMIT higher to allow more"
	case goLimit > 0 && goLimit < math.MaxInt64:
		bytes, why = least.Bytes, fmt.Sprintf("%s, %s, less than GOMEMLIMIT", least.What, Bytes(least.Bytes))
	case least.Bytes == math.MaxInt64:
		bytes, why, more = Fallback, "klfit's default where the physical memory is not known", "set GOMEMLIMIT to allow more"
	default:
		bytes, why, more = least.Bytes/2, fmt.Sprintf("half of %s, %s", least.What, Bytes(least.Bytes)), "set GOMEMLIMIT to allow more"
	}
	for _, r := range rlim {
		if r.Bytes <= 0 || r.Bytes >= math.MaxInt64 {
			continue
		}
		if b := max(0, r.Bytes-r.Used-Slack) / 2; b < bytes {
			bytes, more = b, "raise "+r.Raise
			why = fmt.Sprintf("half of what %s, %s, leaves after the %s the process has mapped and %s of slack", r.What, Bytes(r.Bytes), Bytes(r.Used), Bytes(Slack))
			if goLimit > 0 && goLimit < math.MaxInt64 {
				why += ", less than GOMEMLIMIT"
			}
		}
	}
	return bytes, why, more
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
