//go:build !unix

package sysmem

func rlimits() []Limit { return nil }
