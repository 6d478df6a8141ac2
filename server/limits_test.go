package server_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klfit/klfit/server"
)

// TestFitMemory checks the cap on a fit's memory, 8 bytes x points x
// (parameters + 6): on 4000 points (-10 to 10 by 0.005, the stop left
// out), a normal model (2 parameters, 8 x 4000 x 8 = 256000 bytes) fits
// under 1 MiB, a mixture of 10 normals (10 weights, 10 means, 10
// variances: 8 x 4000 x 36 = 1152000 bytes = 1.0986 MiB) does not.
func TestFitMemory(t *testing.T) {
	s := server.New(server.Config{MaxFitBytes: 1 << 20})
	head := `{"grid":{"start":-10,"stop":10,"step":0.005},"target":{"family":"normal","params":{"mean":0,"variance":1}},`
	w := post(s, "/api/fit", "application/json", head+`"model":{"family":"normal"},"epochs":1}`)
	if w.Code != http.StatusOK {
		t.Fatalf("a normal model: %d %s", w.Code, w.Body)
	}
	for _, path := range []string{"/api/fit", "/api/fit/stream", "/api/fit/files/history.csv"} {
		w = post(s, path, "application/json", head+`"model":{"family":"mixture","components":10,"component":"normal"},"epochs":1}`)
		if w.Code != http.StatusBadRequest {
			t.Fatalf("%s, a mixture of 10 normals: %d %s", path, w.Code, w.Body)
		}
		e := decodeError(t, w.Body.Bytes())
		want := "grid: a fit of 30 parameters (mixture) on 4000 points needs about 1.1 MiB, more than this server allows (1 MiB)"
		if e.Key != "grid" || !strings.Contains(e.Error, want) {
			t.Errorf("%s: got %+v, want key grid and %q", path, e, want)
		}
	}
}

// TestExpressionLength checks the cap on an expression target's formula:
// 2000 characters pass, 2001 do not, before anything is built.
func TestExpressionLength(t *testing.T) {
	s := server.New(server.Config{})
	spec := func(formula string) string {
		return `{"grid":{"start":-3,"stop":3,"step":0.5},"target":{"expression":"` + formula + `"},` +
			`"model":{"family":"normal","init":{"mean":0,"variance":1}},"epochs":1}`
	}
	// 11 + 180 x 11 = 1991 characters, and spaces in front.
	formula := "exp(-x^2/2)" + strings.Repeat(" + 0*sin(x)", 180)
	if w := post(s, "/api/fit", "application/json", spec(strings.Repeat(" ", 9)+formula)); w.Code != http.StatusOK {
		t.Errorf("a formula of 2000 characters: %d %s", w.Code, w.Body)
	}
	w := post(s, "/api/fit", "application/json", spec(strings.Repeat(" ", 10)+formula))
	e := decodeError(t, w.Body.Bytes())
	want := "target.expression: the formula has 2001 characters, more than this server allows (2000)"
	if w.Code != http.StatusBadRequest || e.Key != "target.expression" || !strings.Contains(e.Error, want) {
		t.Errorf("a formula of 2001 characters: %d %+v, want key target.expression and %q", w.Code, e, want)
	}
}

// TestBuildTimeLimit is the lockout a slow target once caused: two builds
// of a formula that takes hours on a million points, started at once
// under a time limit of 50 ms, fail naming the target, and their slots
// are free when they answer: a quick fit sent right after each answer is
// served (200), not refused as busy (503).
func TestBuildTimeLimit(t *testing.T) {
	s := server.New(server.Config{FitTimeout: 50 * time.Millisecond, MaxConcurrent: 2, MaxQueued: -1})
	slow := `{"grid":{"start":-5,"stop":5,"step":0.00001},"target":{"expression":"(0..999990)[0] + exp(-x*x)"},` +
		`"model":{"family":"normal","init":{"mean":0,"variance":1}},"epochs":1}`
	quick := `{"grid":{"start":-3,"stop":3,"step":0.5},"target":{"family":"normal","params":{"mean":0,"variance":1}},` +
		`"model":{"family":"normal","init":{"mean":0,"variance":1}},"epochs":1}`
	want := "target: building the target took longer than this server's time limit for a fit (50ms)"
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			w := post(s, "/api/fit", "application/json", slow)
			e := decodeError(t, w.Body.Bytes())
			if w.Code != http.StatusBadRequest || e.Key != "target" || !strings.Contains(e.Error, want) {
				t.Errorf("%d %+v, want key target and %q", w.Code, e, want)
			}
			if w := post(s, "/api/fit", "application/json", quick); w.Code != http.StatusOK {
				t.Errorf("right after a build stopped at the time limit: %d %s, want 200", w.Code, w.Body)
			}
		})
	}
	wg.Wait()
}
