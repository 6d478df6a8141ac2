package sysmem

import "golang.org/x/sys/unix"

// Limits returns the bounds on the process's memory that the system
// states: the physical memory. The address-space and data-segment limits
// are apart (rlimits): they count address space, not memory.
func Limits() []Limit {
	var out []Limit
	if n, err := unix.SysctlUint64("hw.memsize"); err == nil {
		out = append(out, Limit{Bytes: clamp(n), What: "the physical memory"})
	}
	return out
}
