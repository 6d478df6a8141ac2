package sysmem

import "golang.org/x/sys/unix"

// Limits returns the bounds on the process's memory that the system
// states: the physical memory, and the address-space and data-segment
// limits; those not set are left out.
func Limits() []Limit {
	var out []Limit
	if n, err := unix.SysctlUint64("hw.memsize"); err == nil {
		out = append(out, Limit{Bytes: clamp(n), What: "the physical memory"})
	}
	return append(out, rlimits()...)
}
