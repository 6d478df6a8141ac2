package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/internal/cli"
	"github.com/klfit/klfit/server"
)

// plane is a test-only 2-D family, an isotropic normal on the plane with
// parameters (mx, my, variance):
//
//	log q(x, y) = -((x-mx)^2 + (y-my)^2)/(2 variance) - log(2 pi variance)
//
// It lets the 2-D paths of the server (the coarse view, the stream) run
// before the library has 2-D families of its own. Its score is checked
// against central differences in TestPlaneScore.
type plane struct{}

func (plane) Name() string        { return "test_plane" }
func (plane) Description() string { return "isotropic normal on the plane (tests only)" }
func (plane) Dim() int            { return 2 }
func (plane) Support() string     { return "R^2" }
func (plane) Params() []dist.Param {
	return []dist.Param{{Name: "mx", Constraint: dist.Real}, {Name: "my", Constraint: dist.Real}, {Name: "variance", Constraint: dist.Positive}}
}

func (plane) Eval(theta, x, y, logp []float64, score [][]float64) {
	mx, my, v := theta[0], theta[1], theta[2]
	c := -math.Log(2 * math.Pi * v)
	for i := range x {
		dx, dy := x[i]-mx, y[i]-my
		r2 := dx*dx + dy*dy
		logp[i] = c - r2/(2*v)
		if score != nil {
			score[0][i] = dx / v
			score[1][i] = dy / v
			score[2][i] = r2/(2*v*v) - 1/v
		}
	}
}

func init() { dist.Register(plane{}) }

// TestPlaneScore checks the test family's score against central
// differences of its log-density. Step 1e-5 on values of order 1: the
// error is O(h^2) ~ 1e-10 plus rounding ~ 1e-16/1e-5 ~ 1e-11, so 1e-7 is
// a safe bound.
func TestPlaneScore(t *testing.T) {
	theta := []float64{0.3, -0.7, 1.9}
	x, y := []float64{-1, 0.5, 2}, []float64{0.2, -2, 1}
	logp := make([]float64, 3)
	score := [][]float64{make([]float64, 3), make([]float64, 3), make([]float64, 3)}
	plane{}.Eval(theta, x, y, logp, score)
	for k := range theta {
		const h = 1e-5
		up, dn := append([]float64(nil), theta...), append([]float64(nil), theta...)
		up[k] += h
		dn[k] -= h
		lu, ld := make([]float64, 3), make([]float64, 3)
		plane{}.Eval(up, x, y, lu, nil)
		plane{}.Eval(dn, x, y, ld, nil)
		for i := range x {
			fd := (lu[i] - ld[i]) / (2 * h)
			if math.Abs(fd-score[k][i]) > 1e-7 {
				t.Errorf("d/dtheta[%d] at point %d: score %v, central difference %v", k, i, score[k][i], fd)
			}
		}
	}
}

// notebookSpec is the notebook preset's spec.
func notebookSpec(t testing.TB) string {
	for _, p := range server.Presets() {
		if p.Name == "notebook" {
			return string(p.Spec)
		}
	}
	t.Fatal("no notebook preset")
	return ""
}

// post sends body to the handler and returns the recorded response.
func post(h http.Handler, path, contentType, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

var wallTime = regexp.MustCompile(`"wall_time_seconds": [0-9.e+-]+`)

// noWallTime blanks the wall time of a summary: the one thing that
// differs between two runs of the same fit.
func noWallTime(b []byte) string {
	return wallTime.ReplaceAllString(string(b), `"wall_time_seconds": X`)
}

// runCLI runs `klfit fit SPEC --json --quiet --out DIR` in-process on the
// spec's text and returns what it printed and the output directory.
func runCLI(t testing.TB, specText string, extra ...string) (stdout []byte, dir string) {
	t.Helper()
	dir = t.TempDir()
	path := filepath.Join(dir, "spec.json")
	if err := os.WriteFile(path, []byte(specText), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	args := append([]string{"fit", path, "--json", "--quiet", "--out", filepath.Join(dir, "out")}, extra...)
	code := cli.Run(context.Background(), args, &cli.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	if code != cli.ExitOK && code != cli.ExitFailure {
		t.Fatalf("klfit fit: exit %d: %s", code, errOut.String())
	}
	return out.Bytes(), filepath.Join(dir, "out")
}

// apiErr is the JSON body of an error answer.
type apiErr struct {
	Error string `json:"error"`
	Key   string `json:"key"`
	Line  int    `json:"line"`
}

// decodeError checks that an answer is a JSON error {error, key} on one
// line, its key left out when empty, and returns it.
func decodeError(t *testing.T, body []byte) apiErr {
	t.Helper()
	var raw map[string]any
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatalf("error body is not JSON: %q", body)
	}
	if k, ok := raw["key"]; ok && k == "" {
		t.Errorf("error body has an empty key (leave it out): %s", body)
	}
	var e apiErr
	json.Unmarshal(body, &e)
	if e.Error == "" || strings.Contains(e.Error, "\n") {
		t.Errorf("error message must be one non-empty line: %q", e.Error)
	}
	return e
}

// event is one Server-Sent Event.
type event struct {
	Name string
	Data string
}

// readEvents reads Server-Sent Events until the stream ends.
func readEvents(t testing.TB, r io.Reader) []event {
	t.Helper()
	var evs []event
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	var cur event
	var data []string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if cur.Name != "" || data != nil {
				cur.Data = strings.Join(data, "\n")
				evs = append(evs, cur)
			}
			cur, data = event{}, nil
		case strings.HasPrefix(line, "event: "):
			cur.Name = line[len("event: "):]
		case strings.HasPrefix(line, "data: "):
			data = append(data, line[len("data: "):])
		default:
			t.Fatalf("not a Server-Sent Events line: %q", line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return evs
}

// streamState is the JSON of a state event.
type streamState struct {
	Epoch  int        `json:"epoch"`
	Loss   float64    `json:"loss"`
	Params []float64  `json:"params"`
	T      float64    `json:"t"`
	Q      []*float64 `json:"q"`
}

// streamStart is the JSON of a start event.
type streamStart struct {
	Epochs int             `json:"epochs"`
	Stride int             `json:"stride"`
	Dim    int             `json:"dim"`
	Names  []string        `json:"names"`
	Spec   json.RawMessage `json:"spec"`
	X      []float64       `json:"x"`
	Y      []float64       `json:"y"`
	QX     []float64       `json:"qx"`
	Target []float64       `json:"target"`
}

// listen returns a listener on a free loopback port.
func listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}
