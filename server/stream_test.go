package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/server"
	"github.com/klfit/klfit/spec"
)

// directFit runs a spec the way the command line does, for reference.
func directFit(t *testing.T, text string) (*spec.Built, *fit.Result) {
	t.Helper()
	s, err := spec.Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Build(context.Background(), spec.Env{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := fit.Run(context.Background(), b.Problem, b.Options())
	if err != nil {
		t.Fatal(err)
	}
	return b, res
}

// checkStream checks a stream's events against a direct run of the same
// spec: a start event, states at the expected epochs holding exactly the
// history's losses and parameters and the model's density at the view's
// points, then the summary /api/fit answers.
func checkStream(t *testing.T, h http.Handler, evs []event, text string, wantEpochs []int) {
	t.Helper()
	b, res := directFit(t, text)
	if len(evs) < 2 || evs[0].Name != "start" || evs[len(evs)-1].Name != "summary" {
		t.Fatalf("%d events, first %q, last %q", len(evs), evs[0].Name, evs[len(evs)-1].Name)
	}
	var start streamStart
	if err := json.Unmarshal([]byte(evs[0].Data), &start); err != nil {
		t.Fatal(err)
	}
	if start.Epochs != b.Epochs || strings.Join(start.Names, ",") != strings.Join(res.History.Names, ",") {
		t.Errorf("start: %d epochs, names %v", start.Epochs, start.Names)
	}
	var got []int
	for _, e := range evs[1 : len(evs)-1] {
		if e.Name != "state" {
			continue
		}
		var s streamState
		if err := json.Unmarshal([]byte(e.Data), &s); err != nil {
			t.Fatal(err)
		}
		got = append(got, s.Epoch)
		row := res.History.Row(s.Epoch)
		if s.Loss != res.History.Loss(s.Epoch) || len(s.Params) != len(row) {
			t.Fatalf("epoch %d: loss %v, history %v", s.Epoch, s.Loss, res.History.Loss(s.Epoch))
		}
		for j := range row {
			if s.Params[j] != row[j] {
				t.Fatalf("epoch %d: params %v, history %v", s.Epoch, s.Params, row)
			}
		}
		if start.Dim == 1 {
			checkDensity(t, s, b, row, start.QX, nil)
		} else {
			checkDensity(t, s, b, row, start.X, start.Y)
		}
	}
	if len(wantEpochs) > 0 && !equalInts(got, wantEpochs) {
		t.Errorf("states at epochs %v..., want %v...", head(got), head(wantEpochs))
	}
	w := post(h, "/api/fit", "application/json", text)
	if noWallTime([]byte(evs[len(evs)-1].Data+"\n")) != noWallTime(w.Body.Bytes()) {
		t.Errorf("the summary event differs from /api/fit's answer:\n%s", evs[len(evs)-1].Data)
	}
}

// checkDensity checks a state's model density against the family's, to
// the 4 significant digits it is sent with (relative 5e-4).
func checkDensity(t *testing.T, s streamState, b *spec.Built, theta, xs, ys []float64) {
	t.Helper()
	var px, py []float64
	if ys == nil {
		px = xs
	} else {
		for _, y := range ys {
			for _, x := range xs {
				px, py = append(px, x), append(py, y)
			}
		}
	}
	logp := make([]float64, len(px))
	b.Problem.Family.Eval(theta, px, py, logp, nil)
	if len(s.Q) != len(px) {
		t.Fatalf("epoch %d: %d densities for %d points", s.Epoch, len(s.Q), len(px))
	}
	for i, l := range logp {
		want := math.Exp(l)
		if s.Q[i] == nil || math.Abs(*s.Q[i]-want) > 5e-4*want {
			t.Fatalf("epoch %d: q at point %d = %v, want %v", s.Epoch, i, s.Q[i], want)
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func head(v []int) []int { return v[:min(len(v), 8)] }

func epochsEvery(step, last int) []int {
	var out []int
	for e := 0; e <= last; e += step {
		out = append(out, e)
	}
	if out[len(out)-1] != last {
		out = append(out, last)
	}
	return out
}

func TestStream(t *testing.T) {
	h := server.New(server.Config{MaxStreamEvents: 100})
	plane := `{"grid":{"x":{"start":-3,"stop":3,"step":0.25},"y":{"start":-3,"stop":3,"step":0.125}},` +
		`"target":{"family":"test_plane","params":{"mx":1,"my":-1,"variance":1.5}},` +
		`"model":{"family":"test_plane","init":{"mx":-1,"my":1,"variance":0.5}},"optimizer":{"name":"gd","learning_rate":0.3},"epochs":%d}`
	for _, c := range []struct {
		name, spec string
		epochs     []int
	}{
		{"every epoch", strings.Replace(notebookSpec(t), `"epochs":1000`, `"epochs":100`, 1), epochsEvery(1, 100)},
		{"every 5th and the last", strings.Replace(notebookSpec(t), `"epochs":1000`, `"epochs":499`, 1), epochsEvery(5, 499)},
		{"diverged", fitSpecs["diverges"], []int{0}},
		{"2-D, every 5th", strings.Replace(plane, "%d", "100", 1), epochsEvery(5, 100)}, // 2-D: a fifth of MaxStreamEvents
	} {
		t.Run(c.name, func(t *testing.T) {
			w := post(h, "/api/fit/stream", "application/json", c.spec)
			if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "text/event-stream" {
				t.Fatalf("%d %s: %s", w.Code, w.Header().Get("Content-Type"), w.Body)
			}
			checkStream(t, h, readEvents(t, w.Body), c.spec, c.epochs)
		})
	}
}

// slowWriter is a ResponseWriter that takes a while over every write, as
// a slow connection does.
type slowWriter struct {
	*httptest.ResponseRecorder
	delay time.Duration
}

func (w *slowWriter) Write(b []byte) (int, error) {
	time.Sleep(w.delay)
	return w.ResponseRecorder.Write(b)
}

// TestStreamSlowClient checks that a client slower than the fit gets a
// subset of the states, each exact, and the last one, the summary, and a
// notice of what it missed: the fit did not wait for it.
func TestStreamSlowClient(t *testing.T) {
	h := server.New(server.Config{StreamBuffer: 4})
	text := notebookSpec(t)
	w := &slowWriter{ResponseRecorder: httptest.NewRecorder(), delay: 2 * time.Millisecond}
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/api/fit/stream", strings.NewReader(text)))
	evs := readEvents(t, w.Body)
	var epochs []int
	var notice string
	for _, e := range evs {
		switch e.Name {
		case "state":
			var s streamState
			json.Unmarshal([]byte(e.Data), &s)
			if len(epochs) > 0 && s.Epoch <= epochs[len(epochs)-1] {
				t.Fatalf("epoch %d after %d", s.Epoch, epochs[len(epochs)-1])
			}
			epochs = append(epochs, s.Epoch)
		case "notice":
			notice = e.Data
		}
	}
	if len(epochs) >= 1001 || epochs[len(epochs)-1] != 1000 || !strings.Contains(notice, "states were not sent") {
		t.Errorf("%d states, the last at epoch %d, notice %q; want some skipped, the last at 1000, and a notice", len(epochs), epochs[len(epochs)-1], notice)
	}
	checkStream(t, h, evs, text, nil) // what was sent is exact, and the summary whole
}

// longSpec is a fit that runs until it is stopped: a fine grid and many
// epochs.
const longSpec = `{"grid":{"start":-10,"stop":10,"step":0.0002},"target":{"family":"normal","params":{"mean":0,"variance":7}},` +
	`"model":{"family":"normal","init":{"mean":5,"variance":1}},"divergence":"kl","optimizer":{"name":"gd","learning_rate":0.01},"epochs":100000}`

// waitRunning waits until the server runs n fits.
func waitRunning(t *testing.T, s *server.Server, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s.Running() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d fits running, want %d", s.Running(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestStreamClientGone checks that a fit stops when its client goes away.
func TestStreamClientGone(t *testing.T) {
	s := server.New(server.Config{})
	ts := httptest.NewServer(s)
	defer ts.Close()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, ts.URL+"/api/fit/stream", strings.NewReader(longSpec))
	res, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(res.Body)
	for i := 0; i < 10; i++ { // the start event and a few states
		if _, err := br.ReadString('\n'); err != nil {
			t.Fatal(err)
		}
	}
	waitRunning(t, s, 1)
	cancel()
	res.Body.Close()
	waitRunning(t, s, 0)
}

// TestBusy checks the bound on fits at once: beyond it and its queue, 503
// with Retry-After.
func TestBusy(t *testing.T) {
	for _, c := range []struct {
		name  string
		queue int
		wait  time.Duration
		msg   string
	}{
		{"no queue", -1, 0, "the server is busy: 1 fit is running, as many as it runs at once, and it queues no request; retry in a few seconds"},
		{"queue timeout", 1, 30 * time.Millisecond, "the server is busy: 1 fit is running, as many as it runs at once, and its queue (1 request) is full or moved too slowly; retry in a few seconds"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := server.New(server.Config{MaxConcurrent: 1, MaxQueued: c.queue, QueueTimeout: c.wait})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan struct{})
			go func() {
				defer close(done)
				r := httptest.NewRequestWithContext(ctx, http.MethodPost, "/api/fit", strings.NewReader(longSpec))
				s.ServeHTTP(httptest.NewRecorder(), r)
			}()
			waitRunning(t, s, 1)
			start := time.Now()
			w := post(s, "/api/fit", "application/json", notebookSpec(t))
			if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "5" {
				t.Errorf("%d, Retry-After %q", w.Code, w.Header().Get("Retry-After"))
			}
			if e := decodeError(t, w.Body.Bytes()); e.Error != c.msg {
				t.Errorf("%q\nwant %q", e.Error, c.msg)
			}
			if time.Since(start) < c.wait {
				t.Errorf("answered after %v, before the queue timeout %v", time.Since(start), c.wait)
			}
			cancel()
			<-done
			if w := post(s, "/api/fit", "application/json", notebookSpec(t)); w.Code != http.StatusOK {
				t.Errorf("once the long fit is gone: %d", w.Code)
			}
		})
	}
}

// TestTimeLimit checks that a fit stops at the time limit and still
// answers its summary, saying why it stopped.
func TestTimeLimit(t *testing.T) {
	s := server.New(server.Config{FitTimeout: 100 * time.Millisecond})
	start := time.Now()
	w := post(s, "/api/fit", "application/json", longSpec)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"status": "interrupted"`) {
		t.Fatalf("%d: %s", w.Code, w.Body)
	}
	if n := w.Header().Get("Klfit-Notice"); !strings.Contains(n, "time limit (100ms)") {
		t.Errorf("Klfit-Notice %q", n)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("a fit limited to 100ms took %v", d)
	}
	w = post(s, "/api/fit/stream", "application/json", longSpec)
	evs := readEvents(t, w.Body)
	var sawNotice bool
	for _, e := range evs {
		sawNotice = sawNotice || e.Name == "notice" && strings.Contains(e.Data, "time limit")
	}
	if !sawNotice || evs[len(evs)-1].Name != "summary" || !strings.Contains(evs[len(evs)-1].Data, `"status": "interrupted"`) {
		t.Errorf("a stream stopped by the time limit: notice %v, last event %q", sawNotice, evs[len(evs)-1].Name)
	}
}

// TestShutdown checks Serve's graceful shutdown: a short request in
// progress ends normally, a long fit is cancelled after the grace period
// and its client still gets the summary of what was computed, and Serve
// returns nil.
func TestShutdown(t *testing.T) {
	s := server.New(server.Config{ShutdownGrace: 300 * time.Millisecond})
	ln := listen(t)
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	url := "http://" + ln.Addr().String()

	res, err := http.Post(url+"/api/fit/stream", "application/json", strings.NewReader(longSpec))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	waitRunning(t, s, 1)
	stop()
	evs := readEvents(t, res.Body)
	last := evs[len(evs)-1]
	if last.Name != "summary" || !strings.Contains(last.Data, `"status": "interrupted"`) {
		t.Errorf("the stream ended with %q: %.200s", last.Name, last.Data)
	}
	var notice string
	for _, e := range evs {
		if e.Name == "notice" {
			notice = e.Data
		}
	}
	if !strings.Contains(notice, "shutting down") {
		t.Errorf("notice %q", notice)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return")
	}
	if _, err := http.Get(url + "/healthz"); err == nil {
		t.Error("the server still answers after shutting down")
	}
}

// TestConcurrentStreamsAgree runs the same stream several times at once:
// every client gets the same states.
func TestConcurrentStreamsAgree(t *testing.T) {
	h := server.New(server.Config{})
	text := strings.Replace(notebookSpec(t), `"epochs":1000`, `"epochs":200`, 1)
	var wg sync.WaitGroup
	out := make([]string, 4)
	for i := range out {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := post(h, "/api/fit/stream", "application/json", text)
			var b strings.Builder
			for _, e := range readEvents(t, w.Body) {
				if e.Name == "state" {
					var s streamState
					json.Unmarshal([]byte(e.Data), &s)
					s.T = 0 // the one thing that differs
					j, _ := json.Marshal(s)
					b.Write(j)
				}
			}
			out[i] = b.String()
		}()
	}
	wg.Wait()
	for i := range out {
		if out[i] != out[0] || out[i] == "" {
			t.Errorf("stream %d differs from stream 0", i)
		}
	}
}
