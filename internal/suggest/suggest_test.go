package suggest

import "testing"

func TestClosest(t *testing.T) {
	known := []string{"beta", "gamma", "kl", "normal", "reverse_kl", "skew_normal", "student_t", "lbfgs", "gd", "momentum"}
	for _, c := range []struct{ name, want string }{
		{"nromal", "normal"}, // swapped letters
		{"Normal", "normal"}, // case
		{"noraml", "normal"}, // swap
		{"reverse-kl", "reverse_kl"},
		{"studnet_t", "student_t"},
		{"kld", "kl"},
		{"lbgfs", "lbfgs"},
		{"moment", "momentum"}, // a prefix of one name
		{"mom", "momentum"},
		{"gauss", ""}, // nothing close
		{"xy", ""},
		{"normal", ""}, // known
		{"n", ""},
	} {
		if got := Closest(c.name, known); got != c.want {
			t.Errorf("Closest(%q) = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		d    int
	}{
		{"", "", 0}, {"a", "", 1}, {"", "abc", 3}, {"kitten", "sitting", 3}, {"ab", "ba", 1}, {"abc", "acb", 1}, {"ca", "abc", 3},
	} {
		if d := distance(c.a, c.b); d != c.d {
			t.Errorf("distance(%q, %q) = %d, want %d", c.a, c.b, d, c.d)
		}
		if d := distance(c.b, c.a); d != c.d {
			t.Errorf("distance(%q, %q) = %d, want %d", c.b, c.a, d, c.d)
		}
	}
}
