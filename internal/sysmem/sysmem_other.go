//go:build !linux && !darwin

package sysmem

// Limits returns the bounds on the process's memory that this package
// knows for the system: none (Budget then falls back to Fallback, or to
// the address-space and data-segment limits on other Unix systems).
func Limits() []Limit { return nil }
