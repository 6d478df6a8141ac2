package sysmem

import (
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Limits returns the bounds on the process's memory that the system
// states: the physical memory and a cgroup's memory limit; those not set
// are left out. The address-space and data-segment limits are apart
// (rlimits): they count address space, not memory.
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
	return out
}

// mapped returns what the process has mapped of the resource res that
// an rlimit bounds: its address space (VmSize in /proc/self/status) for
// RLIMIT_AS, its data segment and other private writable mappings
// (VmData) for RLIMIT_DATA; 0 when it cannot be read.
func mapped(res int) int64 {
	key := "VmSize:"
	if res == unix.RLIMIT_DATA {
		key = "VmData:"
	}
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == key && f[2] == "kB" {
			if n, err := strconv.ParseInt(f[1], 10, 64); err == nil {
				return n << 10
			}
		}
	}
	return 0
}
