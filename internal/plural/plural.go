// Package plural writes counts in words: "1 sample", "2 samples".
package plural

import "strconv"

// Count returns n followed by one when n is 1 or -1, else by many.
func Count(n int, one, many string) string {
	return strconv.Itoa(n) + " " + Word(n, one, many)
}

// Word returns one when n is 1 or -1, else many.
func Word(n int, one, many string) string {
	if n == 1 || n == -1 {
		return one
	}
	return many
}
