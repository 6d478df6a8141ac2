package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/spec"
)

// TestFamiliesList checks the table: a header, then one line per family
// with its parameters and support.
func TestFamiliesList(t *testing.T) {
	code, out, errOut := run(t, context.Background(), false, "families")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 1+len(dist.Catalog()) || !strings.HasPrefix(lines[0], "FAMILY") {
		t.Fatalf("table of %d lines:\n%s", len(lines), out)
	}
	if !strings.Contains(out, "shape (positive), rate (positive)") || !strings.Contains(out, "mean (real), covariance (spd)") {
		t.Errorf("table lacks parameters:\n%s", out)
	}
}

// TestFamiliesJSON checks the JSON list: exactly the keys name, params
// (each with name and constraint), support and description.
func TestFamiliesJSON(t *testing.T) {
	code, out, errOut := run(t, context.Background(), false, "families", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var list []map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("not a JSON list: %v\n%s", err, out)
	}
	if len(list) < 16 {
		t.Fatalf("%d families", len(list))
	}
	for _, f := range list {
		if len(f) != 4 || f["name"] == nil || f["params"] == nil || f["support"] == nil || f["description"] == nil {
			t.Errorf("entry with keys %v", keys(f))
		}
	}
	var typed []familyJSON
	json.Unmarshal([]byte(out), &typed)
	for _, f := range typed {
		if f.Name != "gamma" {
			continue
		}
		want := []paramJSON{{"shape", "positive"}, {"rate", "positive"}}
		if len(f.Params) != 2 || f.Params[0] != want[0] || f.Params[1] != want[1] || f.Support != "(0, inf)" {
			t.Errorf("gamma: %+v", f)
		}
	}
}

func keys(m map[string]json.RawMessage) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

// TestFamilyShow checks one family's page and its JSON form.
func TestFamilyShow(t *testing.T) {
	code, out, _ := run(t, context.Background(), false, "families", "von_mises")
	if code != 0 || !strings.Contains(out, "support: [-pi, pi) (circular)") || !strings.Contains(out, "kappa  positive") ||
		!strings.Contains(out, "grid: {circular: true, points: 360}") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	code, out, _ = run(t, context.Background(), false, "families", "mixture", "--json")
	var f familyJSON
	if err := json.Unmarshal([]byte(out), &f); code != 0 || err != nil || f.Name != "mixture" || !strings.Contains(f.Example, "components: 2") {
		t.Errorf("exit %d, %v: %s", code, err, out)
	}
}

// TestFamiliesErrors checks bad uses: one line, exit code 2.
func TestFamiliesErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"families", "gauss"}, `klfit: unknown family "gauss" (known: beta, categorical, cauchy`},
		{[]string{"families", "--example"}, "klfit: --example needs a family NAME"},
		{[]string{"families", "a", "b"}, "klfit: families takes at most one family name, got 2"},
	} {
		code, out, errOut := run(t, context.Background(), false, tc.args...)
		if code != ExitUsage || out != "" || !strings.HasPrefix(errOut, tc.want) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", tc.args, code, out, errOut)
		}
	}
}

// TestExamplesConverge runs every family's example spec to the end and
// checks that it reaches its target: the model family contains the target
// in every example, so the loss must fall to (nearly) zero. 1e-6 is what
// the slowest example (the skew-normal, whose alpha is weakly determined)
// reaches with room to spare; the others end below 1e-8.
func TestExamplesConverge(t *testing.T) {
	for _, in := range dist.Catalog() {
		src, ok := example(in.Name)
		if !ok {
			t.Errorf("the %s family has no example spec", in.Name)
			continue
		}
		s, err := spec.Parse([]byte(src))
		if err != nil {
			t.Errorf("%s example: %v", in.Name, err)
			continue
		}
		b, err := s.Build(context.Background(), spec.Env{})
		if err != nil {
			t.Errorf("%s example: %v", in.Name, err)
			continue
		}
		if b.Problem.Family.Name() != in.Name {
			t.Errorf("the %s example fits a %s model", in.Name, b.Problem.Family.Name())
		}
		res, err := fit.Run(context.Background(), b.Problem, b.Options())
		if err != nil || res.Status != fit.MaxEpochs || !(res.Loss() < 1e-6) {
			t.Errorf("%s example: %v, %s, final loss %v", in.Name, err, res.Status, res.Loss())
		}
	}
}

// TestFitExampleFromStdin pipes an example into klfit fit - as the help
// text suggests, on a 2-D grid, and checks the contour figures and the
// summary.
func TestFitExampleFromStdin(t *testing.T) {
	ex, _ := example("mvnormal")
	dir := t.TempDir()
	ex = strings.Replace(ex, "epochs: 500", "epochs: 20", 1)
	code, out, errOut := runIn(t, ex, "fit", "-", "--out", dir, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var sum struct {
		Params map[string]float64 `json:"params"`
	}
	if err := json.Unmarshal([]byte(out), &sum); err != nil || len(sum.Params) != 5 {
		t.Fatalf("summary %v: %s", err, out)
	}
	for _, f := range []string{"fit.png", "endpoints.svg", "params.png", "params.svg", "loss.png", "history.csv"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
	hist, _ := os.ReadFile(filepath.Join(dir, "history.csv"))
	if !strings.HasPrefix(string(hist), "epoch,kl,mean[0],mean[1],covariance[0][0],covariance[0][1],covariance[1][1]\n") {
		t.Errorf("history header %q", strings.SplitN(string(hist), "\n", 2)[0])
	}
}

// runIn runs klfit with stdin holding in.
func runIn(t *testing.T, in string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut strings.Builder
	code := Run(context.Background(), args, &IOStreams{In: strings.NewReader(in), Out: &out, ErrOut: &errOut})
	return code, out.String(), errOut.String()
}
