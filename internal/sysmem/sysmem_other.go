//go:build !linux && !darwin

package sysmem

// Limits returns the bounds on the process's memory that this package
// knows for the system: its address-space and data-segment limits on
// other Unix systems, nothing elsewhere (Budget then falls back to
// Fallback).
func Limits() []Limit { return rlimits() }
