package spec_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/spec"
)

// build parses and builds a spec that must be valid.
func build(t *testing.T, src string) *spec.Built {
	t.Helper()
	s, err := spec.Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Build(context.Background(), spec.Env{})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// runSpec builds a valid spec and runs its fit.
func runSpec(t *testing.T, src string) (*spec.Built, *fit.Result) {
	t.Helper()
	b := build(t, src)
	res, err := fit.Run(context.Background(), b.Problem, b.Options())
	if err != nil {
		t.Fatal(err)
	}
	return b, res
}

// checkSpecError checks that src fails to parse or build with one line
// starting with want, as a *spec.Error.
func checkSpecError(t *testing.T, src, want string) {
	t.Helper()
	s, err := spec.Parse([]byte(src))
	if err == nil {
		_, err = s.Build(context.Background(), spec.Env{})
	}
	if err == nil {
		t.Fatal("no error")
	}
	var se *spec.Error
	if !errors.As(err, &se) {
		t.Errorf("error %v is a %T, not a *spec.Error", err, err)
	}
	if msg := err.Error(); !strings.HasPrefix(msg, want) || strings.Contains(msg, "\n") {
		t.Errorf("error:\n  %s\nwant it to start with:\n  %s", msg, want)
	}
}
