package server_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/divergence"
	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/server"
	"github.com/klfit/klfit/spec"
)

func TestHealthzAndPage(t *testing.T) {
	h := server.New(server.Config{})
	for _, c := range []struct {
		path, contentType, contains string
	}{
		{"/healthz", "text/plain; charset=utf-8", "ok"},
		{"/", "text/html; charset=utf-8", `<script src="/static/app.js"`},
		{"/static/app.js", "text/javascript; charset=utf-8", "api/fit/stream"},
		{"/static/style.css", "text/css; charset=utf-8", "--seaborn"},
		{"/static/favicon.svg", "image/svg+xml", "<svg"},
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, c.path, nil))
		if w.Code != http.StatusOK || w.Header().Get("Content-Type") != c.contentType || !strings.Contains(w.Body.String(), c.contains) {
			t.Errorf("GET %s: %d %q, body has %q: %v", c.path, w.Code, w.Header().Get("Content-Type"), c.contains, strings.Contains(w.Body.String(), c.contains))
		}
		if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
			t.Errorf("GET %s: Content-Security-Policy %q", c.path, csp)
		}
	}
	// The page loads nothing from elsewhere: no URL with a host in it.
	for _, name := range []string{"index.html", "app.js", "style.css", "favicon.svg"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/static/"+name, nil))
		body := strings.ReplaceAll(w.Body.String(), "http://www.w3.org/2000/svg", "")
		if strings.Contains(body, "http://") || strings.Contains(body, "https://") || strings.Contains(body, "//cdn") {
			t.Errorf("%s refers to another site", name)
		}
	}
}

// TestRegistries checks that the menus are the library's registries.
func TestRegistries(t *testing.T) {
	h := server.New(server.Config{})
	get := func(path string, v any) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/json" {
			t.Fatalf("GET %s: %d %s", path, w.Code, w.Header().Get("Content-Type"))
		}
		if err := json.Unmarshal(w.Body.Bytes(), v); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
	}
	var fams []server.Family
	get("/api/families", &fams)
	if len(fams) != len(dist.Names()) {
		t.Errorf("%d families, the registry has %d", len(fams), len(dist.Names()))
	}
	for i, f := range fams {
		if f.Name != dist.Names()[i] {
			t.Errorf("family %d is %q, the registry's is %q", i, f.Name, dist.Names()[i])
		}
		if f.Name == "normal" {
			want := []server.FamilyParam{{Name: "mean", Constraint: "real"}, {Name: "variance", Constraint: "positive"}}
			if f.Dim != 1 || len(f.Params) != 2 || f.Params[0] != want[0] || f.Params[1] != want[1] {
				t.Errorf("normal: %+v", f)
			}
		}
	}
	var divs []server.Divergence
	get("/api/divergences", &divs)
	if len(divs) != len(divergence.Names()) || divs[0].Name != divergence.Names()[0] {
		t.Errorf("divergences %+v, registry %v", divs, divergence.Names())
	}
	for _, d := range divs {
		if d.Name == "kl" && (d.Symbol != "KL(P||Q)" || !strings.Contains(d.Direction, "forward")) {
			t.Errorf("kl: %+v", d)
		}
	}
	var opts []server.Optimizer
	get("/api/optimizers", &opts)
	if len(opts) != len(fit.OptimizerNames()) {
		t.Errorf("%d optimizers, registry %v", len(opts), fit.OptimizerNames())
	}
	for _, o := range opts {
		info, err := fit.LookupOptimizer(o.Name)
		if err != nil || len(o.Settings) != len(info.Settings) {
			t.Errorf("optimizer %+v: %v", o, err)
			continue
		}
		for i, st := range o.Settings {
			if st.Name != info.Settings[i].Name || float64(st.Default) != info.Settings[i].Default {
				t.Errorf("optimizer %s setting %d: %+v, registry %+v", o.Name, i, st, info.Settings[i])
			}
		}
	}
	var limits server.Limits
	get("/api/limits", &limits)
	if limits.MaxBodyBytes != server.DefaultMaxBodyBytes || limits.MaxEpochs != server.DefaultMaxEpochs {
		t.Errorf("limits %+v", limits)
	}
	var presets []server.Preset
	get("/api/presets", &presets)
	if len(presets) != len(server.Presets()) || presets[0].Name != "notebook" {
		t.Errorf("presets %+v", presets)
	}
	for i, p := range presets {
		want := server.Presets()[i]
		var got bytes.Buffer
		json.Compact(&got, p.Spec)
		if p.Name != want.Name || p.Compare != want.Compare || got.String() != string(want.Spec) {
			t.Errorf("preset %d: %s %q %s, want %s %q %s", i, p.Name, p.Compare, got.Bytes(), want.Name, want.Compare, want.Spec)
		}
	}
}

// fitSpecs are specs whose /api/fit answer must be what klfit fit --json
// prints: the notebook, the default parameterization and optimizer
// settings filled in, a fit that diverges (a raw variance stepped below
// zero), no epochs at all, YAML instead of JSON, and a grid of 40000
// points, which klfit fit splits over its threads and the server does not.
var fitSpecs = map[string]string{
	"large grid": `{"grid":{"start":-10,"stop":10,"step":0.0005},"target":{"mixture":[{"weight":0.3,"family":"normal","params":{"mean":-2,"variance":1}},` +
		`{"weight":0.7,"family":"normal","params":{"mean":2,"variance":0.5}}]},"divergence":"reverse_kl",` +
		`"model":{"family":"normal","init":{"mean":0.5,"variance":1}},"optimizer":{"name":"gd","learning_rate":0.1},"epochs":30}`,
	"defaults": `{"grid":{"start":-8,"stop":8,"step":0.05},"target":{"family":"normal","params":{"mean":1,"variance":2}},` +
		`"model":{"family":"normal","init":{"mean":-1,"variance":0.5}},"epochs":300}`,
	"diverges": `{"grid":{"start":-10,"stop":10,"step":0.1},"target":{"family":"normal","params":{"mean":0,"variance":7}},` +
		`"target_weights":"density","model":{"family":"normal","init":{"mean":0,"variance":20},"parameterization":"raw"},` +
		`"optimizer":{"name":"gd","learning_rate":200},"epochs":50}`,
	"no epochs": `{"grid":{"start":-3,"stop":3,"step":0.5},"target":{"family":"normal","params":{"mean":0,"variance":1}},` +
		`"model":{"family":"normal","init":{"mean":1,"variance":1}},"epochs":0}`,
	"yaml": "grid: {start: -5, stop: 5, step: 0.25}\ntarget: {family: normal, params: {mean: 0.5, variance: 1}}\n" +
		"model: {family: normal, init: {mean: 0, variance: 3}}\noptimizer: {name: gd, learning_rate: 0.2}\nepochs: 40\n",
}

// TestFitMatchesCLI checks that POST /api/fit answers byte for byte what
// klfit fit --json prints, wall time aside. klfit fit runs on
// GOMAXPROCS threads, 2 at least here, the server on one.
func TestFitMatchesCLI(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(max(2, runtime.GOMAXPROCS(0))))
	h := server.New(server.Config{})
	specs := map[string]string{"notebook": notebookSpec(t)}
	for k, v := range fitSpecs {
		specs[k] = v
	}
	for name, text := range specs {
		t.Run(name, func(t *testing.T) {
			w := post(h, "/api/fit", "application/json", text)
			if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/json" {
				t.Fatalf("%d: %s", w.Code, w.Body)
			}
			cli, _ := runCLI(t, text, "--no-figures")
			if got, want := noWallTime(w.Body.Bytes()), noWallTime(cli); got != want {
				t.Errorf("/api/fit answered\n%s\nklfit fit --json printed\n%s", got, want)
			}
			if name == "diverges" && !strings.Contains(w.Body.String(), `"status": "diverged"`) {
				t.Errorf("the fit was meant to diverge:\n%s", w.Body)
			}
		})
	}
}

// TestFiles checks every file of POST /api/fit/files against what
// klfit fit --out writes for the same spec.
func TestFiles(t *testing.T) {
	h := server.New(server.Config{})
	text := notebookSpec(t)
	_, dir := runCLI(t, text)
	files := map[string][]byte{}
	for _, name := range []string{"history.csv", "summary.json", "spec.yaml", "fit.png", "fit.svg", "endpoints.png", "mean.svg", "variance.png", "loss.svg"} {
		w := post(h, "/api/fit/files/"+name, "application/json", text)
		if w.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", name, w.Code, w.Body)
		}
		if cd := w.Header().Get("Content-Disposition"); cd != `attachment; filename="`+name+`"` {
			t.Errorf("%s: Content-Disposition %q", name, cd)
		}
		files[name] = w.Body.Bytes()
		var want []byte
		if name == "spec.yaml" {
			b, err := spec.Demo().Build(context.Background(), spec.Env{})
			if err != nil {
				t.Fatal(err)
			}
			want = b.Spec.YAML() // the notebook's spec with every default written
		} else {
			want = readFile(t, filepath.Join(dir, name))
		}
		if name == "summary.json" {
			if noWallTime(w.Body.Bytes()) != noWallTime(want) {
				t.Errorf("summary.json differs from klfit fit's:\n%s", w.Body)
			}
			continue
		}
		if !bytes.Equal(w.Body.Bytes(), want) {
			t.Errorf("%s differs from klfit fit's (%d bytes, klfit fit %d)", name, w.Body.Len(), len(want))
		}
	}

	// fit.zip holds them all, dated with the time of the fit.
	before := time.Now().Truncate(2 * time.Second) // zip times are to 2 s
	w := post(h, "/api/fit/files/fit.zip", "application/json", text)
	after := time.Now()
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/zip" {
		t.Fatalf("fit.zip: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	zr, err := zip.NewReader(bytes.NewReader(w.Body.Bytes()), int64(w.Body.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		if m := f.Modified; m.Before(before) || m.After(after) {
			t.Errorf("fit.zip's %s is dated %v, not between %v and %v", f.Name, m, before, after)
		}
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		if want, ok := files[f.Name]; ok && f.Name != "summary.json" && !bytes.Equal(b, want) {
			t.Errorf("fit.zip's %s differs from the file alone", f.Name)
		}
	}
	want := "spec.yaml history.csv summary.json fit.png fit.svg endpoints.png endpoints.svg mean.png mean.svg variance.png variance.svg loss.png loss.svg"
	if strings.Join(names, " ") != want {
		t.Errorf("fit.zip holds %v, want %s", names, want)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestErrors checks every error path of the API: the status, the JSON
// {error, key} body, the key and line named.
func TestErrors(t *testing.T) {
	small := server.Config{MaxBodyBytes: 4096, MaxGridPoints: 1000, MaxEpochs: 500}
	h := server.New(small)
	good := `{"grid":{"start":-3,"stop":3,"step":0.5},"target":{"family":"normal","params":{"mean":0,"variance":1}},"model":{"family":"normal","init":{"mean":1,"variance":1}},"epochs":10}`
	for _, c := range []struct {
		name, method, path, body string
		status                   int
		key                      string
		line                     int
		msg                      string
	}{
		{"not JSON", "POST", "/api/fit", `{"grid": [`, 400, "", 1, "not valid YAML or JSON"},
		{"empty", "POST", "/api/fit", ``, 400, "", 0, "the spec is empty"},
		{"unknown key", "POST", "/api/fit", strings.Replace(good, `"epochs"`, `"epoch"`, 1), 400, "epoch", 1, "unknown key"},
		{"bad value, line", "POST", "/api/fit", "grid: {start: -3, stop: 3, step: 0.5}\ntarget: {family: normal, params: {mean: 0, variance: 1}}\nmodel:\n  family: normal\n  init: {mean: 1, variance: -1}\nepochs: 10\n", 400, "model.init.variance", 5, "must be > 0, got -1"},
		{"unknown family", "POST", "/api/fit", strings.Replace(good, `"family":"normal","init"`, `"family":"nope","init"`, 1), 400, "model.family", 1, `unknown family "nope"`},
		{"grid too large", "POST", "/api/fit", strings.Replace(good, `"step":0.5`, `"step":0.001`, 1), 400, "grid", 0, "6000 points is more than this server allows (1000)"},
		{"2-D grid too large", "POST", "/api/fit", strings.Replace(good, `{"start":-3,"stop":3,"step":0.5}`, `{"x":{"start":0,"stop":1,"step":0.01},"y":{"start":0,"stop":1,"step":0.01}}`, 1), 400, "grid", 0, "10000 points"},
		{"circular grid too large", "POST", "/api/fit", strings.Replace(good, `{"start":-3,"stop":3,"step":0.5}`, `{"circular":true,"points":40000000}`, 1), 400, "grid", 0, "40000000 points is more than this server allows (1000)"},
		{"too many epochs", "POST", "/api/fit", strings.Replace(good, `"epochs":10`, `"epochs":501`, 1), 400, "epochs", 0, "501 is more than this server allows (500)"},
		{"body too large", "POST", "/api/fit", good + strings.Repeat(" ", 5000), 413, "", 0, "larger than this server accepts (4096 bytes)"},
		{"stream: bad spec", "POST", "/api/fit/stream", strings.Replace(good, `"init":{"mean":1,"variance":1}`, `"init":{"mean":1,"variance":0}`, 1), 400, "model.init.variance", 1, "must be > 0"},
		{"stream: too large", "POST", "/api/fit/stream", good + strings.Repeat(" ", 5000), 413, "", 0, "larger than"},
		{"files: bad spec", "POST", "/api/fit/files/history.csv", `{}`, 400, "target", 1, "required key is missing"},
		{"files: unknown file", "POST", "/api/fit/files/passwd", good, 404, "", 0, `no such file "passwd"`},
		{"files: no such figure", "POST", "/api/fit/files/nope.png", good, 404, "", 0, `this fit has no figure "nope.png" (it has: fit, endpoints, mean, variance, loss, each .png or .svg)`},
		{"grid beyond the grid package's limit", "POST", "/api/fit", strings.Replace(good, `"step":0.5`, `"step":1e-8`, 1), 400, "grid", 0, "grid: 600000000 points is more than this server allows (1000)"},
		{"GET a POST endpoint", "GET", "/api/fit", "", 405, "", 0, "method not allowed (allowed: POST)"},
		{"POST a GET endpoint", "POST", "/api/families", "", 405, "", 0, "allowed: GET, HEAD"},
		{"unknown endpoint", "GET", "/api/nope", "", 404, "", 0, "no such endpoint: /api/nope"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != c.status {
				t.Fatalf("status %d, want %d: %s", w.Code, c.status, w.Body)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			e := decodeError(t, w.Body.Bytes())
			if e.Key != c.key || e.Line != c.line || !strings.Contains(e.Error, c.msg) {
				t.Errorf("got %+v, want key %q line %d and a message with %q", e, c.key, c.line, c.msg)
			}
			if c.status == 405 && w.Header().Get("Allow") == "" {
				t.Error("405 without Allow")
			}
		})
	}
}

// TestCrossSiteAndHosts checks that other sites' pages cannot post to the
// API, and that a loopback server answers only requests to a loopback
// name.
func TestCrossSiteAndHosts(t *testing.T) {
	h := server.New(server.Config{LoopbackHosts: true})
	r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8080/api/fit", strings.NewReader(notebookSpec(t)))
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	r.Header.Set("Origin", "http://evil.example")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusForbidden || w.Header().Get("Content-Type") != "application/json" {
		t.Errorf("a cross-site POST got %d, %q", w.Code, w.Header().Get("Content-Type"))
	}
	if e := decodeError(t, w.Body.Bytes()); !strings.Contains(e.Error, "POST /api/fit: cross-origin request refused") {
		t.Errorf("a cross-site POST: %+v", e)
	}
	for host, want := range map[string]int{"127.0.0.1:8080": 200, "localhost:8080": 200, "[::1]:8080": 200, "127.0.0.2": 200,
		"evil.example:8080": 403, "10.0.0.1:8080": 403, "": 403} {
		r := httptest.NewRequest(http.MethodGet, "/healthz", nil)
		r.Host = host
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != want {
			t.Errorf("Host %q: %d, want %d", host, w.Code, want)
		}
		if want == 403 {
			decodeError(t, w.Body.Bytes())
		}
	}
}

// multipartBody builds a multipart request body with the given fields;
// a field whose name starts with "@" is sent as a file called file.
func multipartBody(t *testing.T, fields [][3]string) (string, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range fields {
		var w io.Writer
		var err error
		if strings.HasPrefix(f[0], "@") {
			w, err = mw.CreateFormFile(f[0][1:], f[1])
		} else {
			w, err = mw.CreateFormField(f[0])
		}
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, f[2])
	}
	mw.Close()
	return buf.String(), mw.FormDataContentType()
}

// TestUploads checks the multipart path: a spec alone works as a body
// does; an upload is capped, must be used by the target, and never
// outlives its request.
func TestUploads(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // where uploads are saved
	h := server.New(server.Config{MaxUploadBytes: 1000})
	good := notebookSpec(t)
	samples := "x\n" + strings.Repeat("0.5\n", 10)

	body, ct := multipartBody(t, [][3]string{{"spec", "", good}})
	w := post(h, "/api/fit", ct, body)
	cli, _ := runCLI(t, good, "--no-figures")
	if w.Code != 200 || noWallTime(w.Body.Bytes()) != noWallTime(cli) {
		t.Errorf("a multipart spec: %d\n%s", w.Code, w.Body)
	}

	for _, c := range []struct {
		name   string
		fields [][3]string
		status int
		key    string
		msg    string
	}{
		{"upload unused", [][3]string{{"spec", "", good}, {"@data", "data.csv", samples}}, 400, "target",
			`the data file "data.csv" was uploaded but the target does not read it`},
		{"upload too large", [][3]string{{"spec", "", good}, {"@data", "data.csv", strings.Repeat("1\n", 600)}}, 413, "",
			"the data file is larger than this server accepts (1000 bytes)"},
		{"no spec", [][3]string{{"@data", "data.csv", samples}}, 400, "", `no "spec" field`},
		{"two specs", [][3]string{{"spec", "", good}, {"spec", "", good}}, 400, "", `two "spec" fields`},
		{"two files", [][3]string{{"spec", "", good}, {"@data", "a.csv", samples}, {"@data", "b.csv", samples}}, 400, "", `two "data" files`},
		{"unknown field", [][3]string{{"spec", "", good}, {"other", "", "x"}}, 400, "", `unknown multipart field "other"`},
		{"file without a name", [][3]string{{"spec", "", good}, {"data", "", samples}}, 400, "", `must be a file with a name`},
		{"bad spec", [][3]string{{"spec", "", `{"grid":{}}`}, {"@data", "data.csv", samples}}, 400, "grid.start", "required key is missing"},
	} {
		t.Run(c.name, func(t *testing.T) {
			body, ct := multipartBody(t, c.fields)
			w := post(h, "/api/fit", ct, body)
			if w.Code != c.status {
				t.Fatalf("status %d, want %d: %s", w.Code, c.status, w.Body)
			}
			e := decodeError(t, w.Body.Bytes())
			if e.Key != c.key || !strings.Contains(e.Error, c.msg) {
				t.Errorf("got %+v, want key %q and %q", e, c.key, c.msg)
			}
		})
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("uploads left behind: %v", left)
	}
}

// TestPresets checks the presets: the notebook's is the demo's spec; every
// preset parses, builds and runs a few epochs, and so does its compared
// divergence, if any.
func TestPresets(t *testing.T) {
	demo, _ := spec.Demo().MarshalJSON()
	for _, p := range server.Presets() {
		t.Run(p.Name, func(t *testing.T) {
			if p.Name == "notebook" && string(p.Spec) != string(demo) {
				t.Errorf("the notebook preset is not the demo's spec:\n%s\n%s", p.Spec, demo)
			}
			if p.Title == "" || p.Description == "" {
				t.Error("a preset needs a title and a description")
			}
			s, err := spec.Parse(p.Spec)
			if err != nil {
				t.Fatal(err)
			}
			s.Epochs = 5
			b, err := s.Build(context.Background(), spec.Env{})
			if err != nil {
				t.Fatal(err)
			}
			res, err := fit.Run(t.Context(), b.Problem, b.Options())
			if err != nil || res.Status != fit.MaxEpochs {
				t.Fatalf("%v %v", err, res.Status)
			}
			if p.Compare != "" {
				s.Divergence = spec.Divergence{Name: p.Compare}
				b, err := s.Build(context.Background(), spec.Env{})
				if err != nil {
					t.Fatalf("the compared divergence: %v", err)
				}
				res, err := fit.Run(t.Context(), b.Problem, b.Options())
				if err != nil || res.Status != fit.MaxEpochs {
					t.Fatalf("the compared divergence: %v %v", err, res.Status)
				}
			}
		})
	}
}
