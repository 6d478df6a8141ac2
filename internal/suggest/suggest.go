// Package suggest finds, among known names, the one a mistyped name most
// likely meant: "nromal" is normal, "reverse-kl" is reverse_kl.
package suggest

import "strings"

// Closest returns the known name closest to name: the one at the smallest
// edit distance (insertions, deletions, substitutions and swaps of
// adjacent letters, case ignored) if that distance is at most a third of
// name's length (at least 1), else the only known name that name is a
// prefix of (3 letters or more). It returns "" when no name is close, or
// name itself is known.
func Closest(name string, known []string) string {
	lower := strings.ToLower(name)
	best, bestD := "", -1
	var prefixed []string
	for _, k := range known {
		if k == name {
			return ""
		}
		d := distance(lower, strings.ToLower(k))
		if bestD < 0 || d < bestD {
			best, bestD = k, d
		}
		if len(lower) >= 3 && strings.HasPrefix(strings.ToLower(k), lower) {
			prefixed = append(prefixed, k)
		}
	}
	if bestD >= 0 && bestD <= max(1, len([]rune(name))/3) {
		return best
	}
	if len(prefixed) == 1 {
		return prefixed[0]
	}
	return ""
}

// Hint returns "; did you mean X?" for the known name closest to name, or
// "" when there is none.
func Hint(name string, known []string) string {
	if c := Closest(name, known); c != "" {
		return "; did you mean " + c + "?"
	}
	return ""
}

// distance is the optimal-string-alignment distance between a and b: the
// fewest insertions, deletions, substitutions and swaps of adjacent
// runes that turn a into b.
func distance(a, b string) int {
	s, t := []rune(a), []rune(b)
	d := make([][]int, len(s)+1)
	for i := range d {
		d[i] = make([]int, len(t)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(s); i++ {
		for j := 1; j <= len(t); j++ {
			cost := 1
			if s[i-1] == t[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && s[i-1] == t[j-2] && s[i-2] == t[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(s)][len(t)]
}
