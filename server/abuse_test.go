package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/spec"
)

// rawRequest sends a POST's header, declaring length bytes of body, and
// the first bytes of body, on a new connection to addr.
func rawRequest(t *testing.T, addr, path, contentType string, length int, body []byte) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", path, contentType, length)
	c.Write(body)
	return c
}

// readResponse reads the answer on c, with its body.
func readResponse(t *testing.T, c net.Conn) (*http.Response, string) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// waitFor waits until cond holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still not %s after 10 s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestUploadBudget: the uploads held at once are capped server-wide.
// Two uploads being received hold their declared length; a third that
// would exceed the cap gets 503 with Retry-After before a byte of its
// body is sent; the two then finish their fits, and every byte held is
// given back once they are done, the files removed.
func TestUploadBudget(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	specText := `{"grid":{"start":-3,"stop":3,"step":0.1},"target":{"samples":"data.csv"},"model":{"family":"normal","init":{"mean":1,"variance":2}},"epochs":5}`
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("spec", specText)
	fw, _ := mw.CreateFormFile("data", "data.csv")
	io.WriteString(fw, "x\n"+strings.Repeat("0.5\n-0.25\n", 5500))
	mw.Close()
	body, ct := buf.Bytes(), mw.FormDataContentType()
	n := len(body)

	cfg := Config{MaxBodyBytes: 4096, MaxUploadBytes: 60_000}
	cfg.MaxUploadTotal = cfg.withDefaults().multipartBytes() // 2 bodies fit, not 3
	if int64(2*n) > cfg.MaxUploadTotal || int64(3*n) <= cfg.MaxUploadTotal {
		t.Fatalf("a body of %d bytes: the cap %d must hold 2, not 3", n, cfg.MaxUploadTotal)
	}
	s := New(cfg)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close) // after the connections close
	addr := ts.Listener.Addr().String()

	a := rawRequest(t, addr, "/api/fit", ct, n, body[:n/2])
	b := rawRequest(t, addr, "/api/fit", ct, n, body[:n/2])
	waitFor(t, "holding two uploads", func() bool { return s.uploads.Held() == int64(2*n) })

	c := rawRequest(t, addr, "/api/fit", ct, n, nil)
	res, msg := readResponse(t, c)
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") != "5" ||
		!strings.Contains(msg, "the server is busy: it holds as many uploads as it may") {
		t.Errorf("a third upload: %d, Retry-After %q, %s", res.StatusCode, res.Header.Get("Retry-After"), msg)
	}

	for _, c := range []net.Conn{a, b} {
		c.Write(body[n/2:])
		if res, msg := readResponse(t, c); res.StatusCode != http.StatusOK {
			t.Errorf("an upload within the cap: %d %s", res.StatusCode, msg)
		}
	}
	waitFor(t, "holding nothing", func() bool { return s.uploads.Held() == 0 })
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("uploads left behind: %v", left)
	}
}

// TestRefusedBeforeReading: what would be refused once read is refused
// from the request's header alone: a declared length over the caps, and
// a body of a type the server does not read.
func TestRefusedBeforeReading(t *testing.T) {
	s := New(Config{MaxBodyBytes: 4096, MaxUploadBytes: 10_000})
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close) // after the connections close
	addr := ts.Listener.Addr().String()
	for _, c := range []struct {
		ct     string
		length int
		status int
		msg    string
	}{
		{"application/json", 5000, 413, "the spec is larger than this server accepts (4096 bytes)"},
		{"multipart/form-data; boundary=x", 100_000, 413, "the multipart request is larger than this server accepts (79632 bytes)"},
		{"text/plain", 10, 415, `Content-Type "text/plain": send the spec as application/json or application/yaml`},
		{"application/x-www-form-urlencoded", 10, 415, "with curl: -H 'Content-Type: application/yaml'"},
	} {
		conn := rawRequest(t, addr, "/api/fit", c.ct, c.length, nil)
		res, body := readResponse(t, conn)
		var e errorBody
		json.Unmarshal([]byte(body), &e)
		if res.StatusCode != c.status || !strings.Contains(e.Error, c.msg) {
			t.Errorf("%s, %d bytes: %d %s, want %d %q", c.ct, c.length, res.StatusCode, body, c.status, c.msg)
		}
	}
	if held := s.uploads.Held(); held != 0 {
		t.Errorf("%d bytes held", held)
	}
}

// TestContentTypes: JSON, YAML, multipart and no Content-Type are read;
// every other type gets 415.
func TestContentTypes(t *testing.T) {
	s := New(Config{})
	text := `{"grid":{"start":-3,"stop":3,"step":0.5},"target":{"family":"normal","params":{"mean":0,"variance":1}},"model":{"family":"normal","init":{"mean":1,"variance":1}},"epochs":3}`
	for ct, want := range map[string]int{
		"": 200, "application/json": 200, "application/json; charset=utf-8": 200, "application/yaml": 200,
		"application/x-yaml": 200, "text/yaml": 200, "application/spec+json": 200,
		"text/plain": 415, "application/x-www-form-urlencoded": 415, "image/png": 415, "application/xml": 415, "nonsense/": 415,
	} {
		for _, path := range []string{"/api/fit", "/api/fit/stream", "/api/fit/files/history.csv"} {
			r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(text))
			if ct != "" {
				r.Header.Set("Content-Type", ct)
			}
			w := httptest.NewRecorder()
			s.ServeHTTP(w, r)
			if w.Code != want {
				t.Errorf("%s as %q: %d, want %d: %.200s", path, ct, w.Code, want, w.Body)
			}
		}
	}
}

// TestFigureCheckedFirst: a figure the fit will not draw is refused before
// the fit runs (the request log shows no fit), and the names it lists are
// those plot.Figures draws, in 1-D and in 2-D.
func TestFigureCheckedFirst(t *testing.T) {
	var log bytes.Buffer
	s := New(Config{Logger: slog.New(slog.NewTextHandler(&log, nil))})
	long := `{"grid":{"start":-3,"stop":3,"step":0.01},"target":{"family":"normal","params":{"mean":0,"variance":1}},"model":{"family":"normal","init":{"mean":1,"variance":1}},"epochs":100000}`
	r := httptest.NewRequest(http.MethodPost, "/api/fit/files/nosuch.png", strings.NewReader(long))
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), `this fit has no figure \"nosuch.png\" (it has: fit, endpoints, mean, variance, loss, each .png or .svg)`) {
		t.Errorf("%d %s", w.Code, w.Body)
	}
	if line := log.String(); !strings.Contains(line, "path=/api/fit/files/nosuch.png status=404") || strings.Contains(line, "fit=") {
		t.Errorf("log: %s", line)
	}
}

// TestAliasAmplification: a spec of YAML aliases that stands for millions
// of values gets a 400 of one line, the size of the spec's own, before
// anything is decoded or built from it: the 400 KB list of 100,000
// aliases of a 40-number list, and the 242 KB list of 60,000 aliases of a
// 1000-number list under target.params.mean.
func TestAliasAmplification(t *testing.T) {
	s := New(Config{})
	for _, c := range []struct{ aliases, numbers int }{{100_000, 40}, {60_000, 1000}} {
		row := strings.TrimSuffix(strings.Repeat("1.5, ", c.numbers), ", ")
		text := "grid: {start: -5, stop: 5, step: 0.1}\nmodel: {family: normal, init: {mean: 1, variance: 2}}\n" +
			"target:\n  family: normal\n  params:\n    variance: 1\n    mean: [&r [" + row + "]" + strings.Repeat(", *r", c.aliases) + "]\n"
		r := httptest.NewRequest(http.MethodPost, "/api/fit", strings.NewReader(text))
		r.Header.Set("Content-Type", "application/yaml")
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		want := fmt.Sprintf("values, %d more than it writes out; at most 100000 more are allowed", c.aliases*c.numbers)
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "spec line 7: the spec's aliases expand it to ") ||
			!strings.Contains(w.Body.String(), want) || w.Body.Len() > 300 {
			t.Errorf("%d bytes of %d aliases of %d numbers: %d %.300s", len(text), c.aliases, c.numbers, w.Code, w.Body)
		}
	}
}

// TestFigureNames: the figure names checked before a fit are those
// plot.Figures draws after it, for every preset (1-D and 2-D) and a
// family of more parameters.
func TestFigureNames(t *testing.T) {
	specs := map[string]string{"three parameters": `{"grid":{"start":-5,"stop":5,"step":0.1},"target":{"family":"normal","params":{"mean":0,"variance":1}},` +
		`"model":{"family":"skew_normal","init":{"loc":0,"scale":1,"alpha":1}},"epochs":2}`}
	for _, p := range Presets() {
		specs[p.Name] = string(p.Spec)
	}
	for name, text := range specs {
		sp, err := spec.Parse([]byte(text))
		if err != nil {
			t.Fatal(err)
		}
		sp.Epochs = 2
		b, err := sp.Build(context.Background(), spec.Env{})
		if err != nil {
			t.Fatal(err)
		}
		res, err := fit.Run(context.Background(), b.Problem, b.Options())
		if err != nil {
			t.Fatal(err)
		}
		out := outputs{b: b, res: res}
		var drawn []string
		for _, f := range out.figures() {
			drawn = append(drawn, f.Name)
		}
		if got, want := strings.Join(figureNames(b), " "), strings.Join(drawn, " "); got != want {
			t.Errorf("%s: figures checked %s, drawn %s", name, got, want)
		}
	}
}
