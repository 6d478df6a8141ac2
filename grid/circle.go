package grid

import (
	"fmt"
	"math"
)

// Circle returns the circular axis of n angles evenly spaced on
// [-pi, pi): x_i = -pi + i 2pi/n. Families of angles (von Mises) live on
// it; the point after the last is the first again.
func Circle(n int) (Axis, error) {
	if n < 2 {
		return Axis{}, &Error{Key: "points", Msg: fmt.Sprintf("must be at least 2, got %d", n)}
	}
	if n > MaxPoints {
		return Axis{}, &Error{Key: "points", Msg: fmt.Sprintf("more than the limit of %d", MaxPoints)}
	}
	d := 2 * math.Pi / float64(n)
	return Axis{Start: -math.Pi, Stop: math.Pi, Step: d, N: n, Delta: d, Circular: true}, nil
}

// Circular reports whether g is a 1-D grid on the circle.
func (g *Grid) Circular() bool { return len(g.Axes) == 1 && g.Axes[0].Circular }
