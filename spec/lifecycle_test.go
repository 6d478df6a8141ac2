package spec_test

import (
	"context"
	"errors"
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
