package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/klfit/klfit/target"
)

// TestSuggestions checks that a mistyped command, flag, family, divergence
// or optimizer gets the closest known name, and that a bad --report names
// the flag.
func TestSuggestions(t *testing.T) {
	tgt := []string{"fit", "--target", "normal(mean=0, variance=1)", "-q", "--no-figures", "--out", t.TempDir()}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"fitt"}, `klfit: unknown command "fitt" for "klfit"; did you mean fit?`},
		{[]string{"famlies"}, "did you mean families?"},
		{[]string{"fit", "--epoch", "10"}, "klfit: unknown flag: --epoch; did you mean --epochs?"},
		{[]string{"demo", "--qiet"}, "did you mean --quiet?"},
		{append(tgt, "--model", "nromal"), `--model: family: unknown family "nromal"; did you mean normal? (known: beta,`},
		{append(tgt, "--model", "normal", "-d", "revrese_kl"), `unknown divergence "revrese_kl"; did you mean reverse_kl?`},
		{append(tgt, "--model", "normal", "--optimizer", "lbgfs"), `--optimizer: name: unknown optimizer "lbgfs"; did you mean lbfgs?`},
		{append(tgt, "--model", "normal", "--report", "foo"), `klfit: --report: unknown divergence "foo" (known: `},
		{append(tgt, "--model", "normal", "--report", "js", "--report", "kld"), `klfit: --report: unknown divergence "kld"; did you mean kl?`},
	} {
		code, _, errOut := run(t, context.Background(), false, c.args...)
		if code != ExitUsage || !strings.HasPrefix(errOut, "klfit: ") || !strings.Contains(errOut, c.want) || strings.Contains(errOut, "spec: ") {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, code, errOut, c.want)
		}
	}
}

// TestVersion checks klfit version and --version: the same lines, with the
// Go version and whether sql targets are in this build.
func TestVersion(t *testing.T) {
	code, out, errOut := run(t, context.Background(), false, "version")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	sql := "sql targets: no (built without -tags duckdb)"
	if target.DuckDBAvailable {
		sql = "sql targets: yes (built with -tags duckdb)"
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "klfit ") || !strings.HasPrefix(lines[1], "commit ") ||
		!strings.HasPrefix(lines[2], "go1.") || lines[3] != sql {
		t.Errorf("version:\n%s", out)
	}
	code, out2, _ := run(t, context.Background(), false, "--version")
	if code != 0 || out2 != out {
		t.Errorf("--version (exit %d):\n%s\nwant\n%s", code, out2, out)
	}
}

// TestBuildInfoString checks the description of a build that recorded its
// commit.
func TestBuildInfoString(t *testing.T) {
	b := buildInfo{Version: "v1.2.0", Commit: "7d5fb6b", Time: "2026-11-30T07:00:00Z", Modified: true,
		GoVersion: "go1.26.8", Platform: "linux/amd64", DuckDB: true}
	want := "klfit v1.2.0\ncommit 7d5fb6b (2026-11-30T07:00:00Z, modified)\ngo1.26.8 linux/amd64\nsql targets: yes (built with -tags duckdb)\n"
	if got := b.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestCompletion checks the completion scripts and what they complete:
// names klfit knows after the flags that take them, spec files after fit.
func TestCompletion(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish"} {
		code, out, errOut := run(t, context.Background(), false, "completion", shell)
		if code != 0 || !strings.Contains(out, "klfit") || len(out) < 1000 {
			t.Errorf("completion %s: exit %d, %d bytes, stderr %q", shell, code, len(out), errOut)
		}
	}
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"fit", "--model", ""}, []string{"normal", "mvnormal", "mixture", ":4"}},
		{[]string{"fit", "--target", ""}, []string{"skew_normal"}},
		{[]string{"fit", "-d", ""}, []string{"kl", "reverse_kl", "renyi"}},
		{[]string{"fit", "--report", ""}, []string{"hellinger"}},
		{[]string{"fit", "--optimizer", ""}, []string{"lbfgs", "adam"}},
		{[]string{"fit", "--compare", "gd,"}, []string{"gd,lbfgs", "gd,momentum"}},
		{[]string{"fit", ""}, []string{"yaml", "json", ":8"}},
		{[]string{"div", ""}, []string{"cauchy"}},
		{[]string{"families", ""}, []string{"von_mises"}},
		{[]string{"bench", "--cases", ""}, []string{"notebook"}},
	} {
		code, out, errOut := run(t, context.Background(), false, append([]string{"__complete"}, c.args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", c.args, code, errOut)
		}
		words := strings.Fields(out)
		for _, w := range c.want {
			found := false
			for _, got := range words {
				found = found || got == w
			}
			if !found {
				t.Errorf("completing %v: %q lacks %s", c.args, out, w)
			}
		}
	}
}
