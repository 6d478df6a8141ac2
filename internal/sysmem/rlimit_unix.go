//go:build unix

package sysmem

import "golang.org/x/sys/unix"

// rlimits returns the address-space and data-segment limits that are set,
// with what the process has mapped of each.
func rlimits() []Limit {
	var out []Limit
	for _, r := range []struct {
		res         int
		what, raise string
	}{{unix.RLIMIT_AS, "the address-space limit (ulimit -v)", "ulimit -v"}, {unix.RLIMIT_DATA, "the data-segment limit (ulimit -d)", "ulimit -d"}} {
		var lim unix.Rlimit
		if unix.Getrlimit(r.res, &lim) == nil && uint64(lim.Cur) != uint64(unix.RLIM_INFINITY) {
			out = append(out, Limit{Bytes: clamp(uint64(lim.Cur)), What: r.what, Raise: r.raise, Used: mapped(r.res)})
		}
	}
	return out
}
