package sysmem

import (
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Limits returns the bounds on the process's memory that the system
// states: the physical memory, a cgroup's memory limit, and the
// address-space and data-segment limits; those not set are left out.
func Limits() []Limit {
	var out []Limit
	var info unix.Sysinfo_t
	if unix.Sysinfo(&info) == nil {
		out = append(out, Limit{Bytes: clamp(uint64(info.Totalram) * uint64(info.Unit)), What: "the physical memory"})
	}
	for _, f := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		if b, err := os.ReadFile(f); err == nil {
			if n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64); err == nil {
				out = append(out, Limit{Bytes: clamp(n), What: "the container's memory limit (" + f + ")"})
			}
		}
	}
	return append(out, rlimits()...)
}
