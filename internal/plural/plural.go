// Package plural writes counts in words: "1 sample", "2 samples".
package plural

import "strconv"

// Count returns n followed by one when n is 1 or -1, else by many.
func Count(n int, one, many string) string {
	w := many
	if n == 1 || n == -1 {
		w = one
	}
	return strconv.Itoa(n) + " " + w
}
