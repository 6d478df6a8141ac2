package cli

import (
	"context"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// fitOutcome is what a klfit fit command did, in a form two runs of the
// same fit can be compared in: its exit code, its output with numbers and
// its directory's name masked (timings vary), the names of the files it
// wrote, and the content of those that are deterministic.
type fitOutcome struct {
	Code           int
	Stdout, Stderr string
	Files          []string
	Content        map[string]string
}

var numberRE = regexp.MustCompile(`[-+]?[0-9][0-9.]*(e[-+]?[0-9]+)?`)

func runOutcome(t *testing.T, dir string, args ...string) fitOutcome {
	t.Helper()
	for i := range args {
		args[i] = strings.ReplaceAll(args[i], "{dir}", dir)
	}
	code, stdout, stderr := run(t, context.Background(), false, args...)
	mask := func(s string) string { return numberRE.ReplaceAllString(strings.ReplaceAll(s, dir, "{dir}"), "#") }
	o := fitOutcome{Code: code, Stdout: mask(stdout), Stderr: mask(stderr), Content: map[string]string{}}
	for name, content := range dirState(t, dir) {
		if name == "s.yaml" {
			continue
		}
		o.Files = append(o.Files, name)
		switch filepath.Base(name) {
		case "spec.yaml", "history.csv", "lr_find.csv":
			o.Content[name] = content
		}
	}
	slices.Sort(o.Files)
	return o
}

// TestFitFlagsAlikeFromEverySource runs klfit fit with each of its flags,
// the fit given once by a spec file and once by --target and the flags
// describing it (the same fit: the spec file is the one --print-spec
// prints), and checks that both do the same: the same exit code, output
// and files. Every flag of the command must be listed here, or be one of
// those that describe a fit given by --target (lineFlags): a flag applied
// on one path only (as --checkpoint, --compare and --lr-find once were,
// silently ignored with --target) fails it.
func TestFitFlagsAlikeFromEverySource(t *testing.T) {
	line := []string{"--target", "normal(mean=0, variance=7)", "--model", "normal(mean=5, variance=1)",
		"--grid", "-10:10:0.1", "--optimizer", "gd(learning_rate=0.01)", "--epochs", "30"}
	cases := map[string]struct {
		// setup runs first, from the spec file, in the same directory.
		setup []string
		args  []string
	}{
		"out":               {args: []string{"--out", "{dir}/elsewhere"}},
		"json":              {args: []string{"--json"}},
		"quiet":             {args: []string{"--quiet"}},
		"no-figures":        {args: []string{"--no-figures"}},
		"checkpoint":        {args: []string{"--checkpoint", "{dir}/c.ckpt"}},
		"checkpoint-every":  {args: []string{"--checkpoint", "{dir}/c.ckpt", "--checkpoint-every", "7"}},
		"resume":            {setup: []string{"--checkpoint", "{dir}/c.ckpt", "--out", "{dir}/first"}, args: []string{"--resume", "{dir}/c.ckpt"}},
		"dsn":               {args: []string{"--dsn", "host=nowhere"}},
		"statement-timeout": {args: []string{"--statement-timeout", "5s"}},
		"compare":           {args: []string{"--compare", "gd,adam"}},
		"lr-find":           {args: []string{"--lr-find", "--lr-per-decade", "1", "--lr-find-epochs", "5"}},
		"lr-min":            {args: []string{"--lr-find", "--lr-per-decade", "1", "--lr-find-epochs", "5", "--lr-min", "1e-2"}},
		"lr-max":            {args: []string{"--lr-find", "--lr-per-decade", "1", "--lr-find-epochs", "5", "--lr-max", "1e-2"}},
		"lr-per-decade":     {args: []string{"--lr-find", "--lr-per-decade", "2", "--lr-find-epochs", "5"}},
		"lr-find-epochs":    {args: []string{"--lr-find", "--lr-per-decade", "1", "--lr-find-epochs", "3"}},
	}
	var flags []string
	newFitCmd(&IOStreams{}).Flags().VisitAll(func(f *pflag.Flag) {
		if f.Name != "target" && !slices.Contains(lineFlags, f.Name) {
			flags = append(flags, f.Name)
		}
	})
	for _, name := range flags {
		if _, ok := cases[name]; !ok {
			t.Errorf("--%s: no case here says whether it applies alike to a spec file and to --target: add one", name)
		}
	}

	code, specYAML, errOut := run(t, context.Background(), false, append([]string{"fit", "--print-spec"}, line...)...)
	if code != 0 {
		t.Fatalf("--print-spec: exit %d: %s", code, errOut)
	}
	outcome := func(fromFlags bool, setup, args []string) fitOutcome {
		dir := t.TempDir()
		specPath := filepath.Join(dir, "s.yaml")
		writeFile(t, specPath, specYAML)
		if setup != nil {
			if o := runOutcome(t, dir, append([]string{"fit", specPath, "--quiet"}, setup...)...); o.Code != 0 {
				t.Fatalf("setup %v: exit %d: %s", setup, o.Code, o.Stderr)
			}
		}
		given := []string{"fit", specPath}
		if fromFlags {
			given = append([]string{"fit"}, line...)
		}
		return runOutcome(t, dir, append(append(given, "--out", "{dir}/out"), args...)...)
	}
	base := outcome(false, nil, nil)
	if base.Code != 0 {
		t.Fatalf("the fit alone: exit %d: %s", base.Code, base.Stderr)
	}
	for _, name := range flags {
		c, ok := cases[name]
		if !ok {
			continue
		}
		t.Run(name, func(t *testing.T) {
			fromSpec := outcome(false, c.setup, slices.Clone(c.args))
			fromFlags := outcome(true, c.setup, slices.Clone(c.args))
			if reflect.DeepEqual(fromSpec, base) {
				t.Errorf("%v changed nothing: the case does not show the flag's effect", c.args)
			}
			if fromSpec.Code != fromFlags.Code {
				t.Errorf("%v: exit %d from the spec file, %d from --target (stderr %q, %q)", c.args, fromSpec.Code, fromFlags.Code, fromSpec.Stderr, fromFlags.Stderr)
			}
			if !slices.Equal(fromSpec.Files, fromFlags.Files) {
				t.Errorf("%v: wrote\n%v\nfrom the spec file, and\n%v\nfrom --target", c.args, fromSpec.Files, fromFlags.Files)
			}
			for f, content := range fromSpec.Content {
				if other, ok := fromFlags.Content[f]; ok && other != content {
					t.Errorf("%v: %s differs", c.args, f)
				}
			}
			if fromSpec.Stdout != fromFlags.Stdout || fromSpec.Stderr != fromFlags.Stderr {
				t.Errorf("%v: printed\n%s%s\nfrom the spec file, and\n%s%s\nfrom --target", c.args, fromSpec.Stdout, fromSpec.Stderr, fromFlags.Stdout, fromFlags.Stderr)
			}
		})
	}
}

// TestFitLineResume continues a fit given by --target: from its checkpoint
// alone, and with the same flags asking for more epochs. Both must write
// the history of the fit run whole; other flags are refused, naming the
// line that differs.
func TestFitLineResume(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	line := func(epochs string) []string {
		return []string{"fit", "--target", "normal(mean=0, variance=7)", "--model", "normal(mean=5, variance=1)",
			"--grid", "-10:10:0.1", "--optimizer", "gd(learning_rate=0.01)", "--epochs", epochs, "--quiet", "--no-figures"}
	}
	if code, _, e := run(t, ctx, false, append(line("600"), "--out", filepath.Join(dir, "whole"))...); code != 0 {
		t.Fatal(code, e)
	}
	whole := readFile(t, filepath.Join(dir, "whole", "history.csv"))
	cp := filepath.Join(dir, "c.ckpt")
	if code, _, e := run(t, ctx, false, append(line("300"), "--checkpoint", cp, "--out", filepath.Join(dir, "a"))...); code != 0 {
		t.Fatal(code, e)
	}
	if code, _, e := run(t, ctx, false, append(line("600"), "--resume", cp, "--out", filepath.Join(dir, "a"))...); code != 0 {
		t.Fatal(code, e)
	}
	if got := readFile(t, filepath.Join(dir, "a", "history.csv")); string(got) != string(whole) {
		t.Error("the continued history differs from the fit run whole")
	}
	cp600 := filepath.Join(dir, "c600.ckpt")
	if code, _, e := run(t, ctx, false, append(line("600"), "--checkpoint", cp600, "--out", filepath.Join(dir, "b"))...); code != 0 {
		t.Fatal(code, e)
	}
	if code, _, e := run(t, ctx, false, "fit", "--resume", cp600, "--quiet", "--no-figures", "--out", filepath.Join(dir, "b")); code != 0 {
		t.Fatal(code, e)
	}
	if got := readFile(t, filepath.Join(dir, "b", "history.csv")); string(got) != string(whole) {
		t.Error("the history resumed from the checkpoint alone differs from the fit run whole")
	}
	args := append(line("600"), "--resume", cp, "--out", filepath.Join(dir, "c"))
	args[slices.Index(args, "gd(learning_rate=0.01)")] = "gd(learning_rate=0.02)"
	code, _, errOut := run(t, ctx, false, args...)
	if code != ExitUsage || !strings.Contains(errOut, "the fit --target and --model describe is not the fit") ||
		!strings.Contains(errOut, "learning_rate: 0.02") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("another learning rate: exit %d, stderr %q", code, errOut)
	}
}
