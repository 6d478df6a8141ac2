package spec_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/klfit/klfit/spec"
)

// TestBuildStops builds a formula that takes hours on a million points
// under a context that ends after 20 ms: Build must return an error
// wrapping the context's within a few seconds (it looks every 16 points;
// the bound leaves room for a loaded machine).
func TestBuildStops(t *testing.T) {
	s, err := spec.Parse([]byte("grid: {start: -5, stop: 5, step: 0.00001}\ntarget: {expression: '(0..999990)[0] + exp(-x*x)'}\nmodel: {family: normal}\n"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = s.Build(ctx, spec.Env{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want one wrapping context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Build returned %v after its context ended", d)
	}
}

// TestSpecWithoutGrid builds specs without a grid: the grid is chosen
// from the target (and recorded in the built spec), a circular target
// gets a circular grid, and samples, which have no range before they
// are read, are refused naming the grid.
func TestSpecWithoutGrid(t *testing.T) {
	for _, c := range []struct {
		text     string
		circular bool
		err      string
	}{
		{"target: {family: normal, params: {mean: 0, variance: 7}}\nmodel: {family: normal}\n", false, ""},
		{"target: 'von_mises(mu=1, kappa=2)'\nmodel: {family: von_mises}\n", true, ""},
		{"target: {expression: 'exp(-abs(x))'}\nmodel: {family: normal}\n", false, ""},
		{"target: {samples: x.csv}\nmodel: {family: normal}\n", false, "grid: none given"},
	} {
		s, err := spec.Parse([]byte(c.text))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Check(); err != nil {
			t.Errorf("%s: Check: %v", c.text, err)
		}
		b, err := s.Build(context.Background(), spec.Env{Dir: t.TempDir()})
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want %q", c.text, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.text, err)
			continue
		}
		if b.Spec.Grid.IsZero() || b.Spec.Grid.Circular != c.circular || b.Problem.Grid.Circular() != c.circular {
			t.Errorf("%s: grid %+v", c.text, b.Spec.Grid)
		}
	}
}

// TestCheckReadsNothing checks a spec naming a file that does not exist:
// Check finds nothing wrong with its text, Build says the file cannot be
// read, and a spec error in the text is found by both.
func TestCheckReadsNothing(t *testing.T) {
	s, err := spec.Parse([]byte("grid: {start: 0, stop: 1, step: 0.1}\ntarget: {table: nosuch.csv}\nmodel: {family: normal}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Check(); err != nil {
		t.Errorf("Check: %v", err)
	}
	if _, err := s.Build(context.Background(), spec.Env{Dir: t.TempDir()}); err == nil {
		t.Error("Build read a table that does not exist")
	}
	s, err = spec.Parse([]byte("grid: {start: 0, stop: 1, step: 0.1}\ntarget: {table: nosuch.csv}\nmodel: {family: normal, init: {mean: 0, variance: -1}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Check(); err == nil || !strings.Contains(err.Error(), "model.init.variance") {
		t.Errorf("Check: %v, want model.init.variance", err)
	}
}

// TestAutoGrid checks the grids chosen for targets a new user tried: a
// narrow mixture component is resolved (at least 50 cells across its
// interquartile range of 0.135), a support bound is kept half a step out
// of the grid (the exponential's 0, where a gamma model has no density),
// a heavy tail gets at most 1e5 points, still 20 across its core's
// interquartile range of 1.53,
// and a target the grid cannot resolve is warned about.
func TestAutoGrid(t *testing.T) {
	for _, c := range []struct {
		target   string
		maxStep  float64
		minStart float64
	}{
		{"0.5*normal(mean=-5, variance=0.01) + 0.5*normal(mean=5, variance=1)", 0.135 / 50, math.Inf(-1)},
		{"exponential(rate=1)", 0.1, 0},
		{"gamma(shape=0.5, rate=1)", 0.1, 0},
		{"student_t(df=3, loc=0, scale=1)", 1.53 / 20, math.Inf(-1)},
	} {
		tg, err := spec.ParseTarget(c.target)
		if err != nil {
			t.Fatal(err)
		}
		s := &spec.Spec{Target: tg}
		tt, err := s.BuildTarget(spec.Env{})
		if err != nil {
			t.Fatal(err)
		}
		g, err := spec.AutoGrid(context.Background(), tt)
		if err != nil {
			t.Errorf("%s: %v", c.target, err)
			continue
		}
		if g.Step > c.maxStep || !(g.Start > c.minStart) || (g.Stop-g.Start)/g.Step > 1e5+1 {
			t.Errorf("%s: grid %+v: want a step of at most %v starting above %v, at most 1e5 points", c.target, g, c.maxStep, c.minStart)
		}
	}
	s, err := spec.Parse([]byte("target: 'lognormal(mu=0, sigma=2)'\nmodel: {family: lognormal}\n"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Build(context.Background(), spec.Env{})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Warnings) == 0 || !strings.Contains(b.Warnings[len(b.Warnings)-1], "the grid does not resolve the target") {
		t.Errorf("warnings %q", b.Warnings)
	}
}

// TestKeySuggestions checks that a mistyped key or optimizer setting gets
// the closest known name.
func TestKeySuggestions(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"grid: {start: -1, stop: 1, step: 0.1}\ntarget: 'normal(mean=0, variance=1)'\nmodel: {family: normal}\nepoch: 10\n", "did you mean epochs?"},
		{"grid: {start: -1, stop: 1, step: 0.1}\ntarget: 'normal(mean=0, variance=1)'\nmodel: {family: normal}\noptimizer: {name: gd, learning_rat: 0.1}\n", "did you mean learning_rate?"},
	} {
		s, err := spec.Parse([]byte(c.text))
		if err == nil {
			_, err = s.Build(context.Background(), spec.Env{})
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.text, err, c.want)
		}
	}
}
