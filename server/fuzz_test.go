package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/klfit/klfit/server"
)

// FuzzFitJSON sends arbitrary bodies to POST /api/fit, the JSON spec
// decoding path (spec.Parse, the server's size and file checks,
// Spec.Build, then the fit): no input may crash the server; every answer
// is a summary (200) or a JSON error {error, key} on one line with a
// client-error status. Limits are small so that each input runs fast.
func FuzzFitJSON(f *testing.F) {
	for _, p := range server.Presets() {
		f.Add(string(p.Spec))
	}
	for _, s := range fitSpecs {
		f.Add(s)
	}
	for _, s := range []string{
		``, `{}`, `null`, `[]`, `"normal(mean=0, variance=1)"`, `{"grid":`, `{"grid":{"start":1e308,"stop":-1e308,"step":1e-308}}`,
		`{"grid":{"start":-1,"stop":1,"step":0.1},"target":{"samples":"/etc/passwd"},"model":{"family":"normal","init":{"mean":0,"variance":1}}}`,
		`{"grid":{"x":{"start":0,"stop":1,"step":0.1},"y":{"start":0,"stop":1,"step":0.1}},"target":{"family":"test_plane","params":{"mx":0,"my":0,"variance":1}},"model":{"family":"test_plane","init":{"mx":1,"my":1,"variance":2}},"epochs":3}`,
		`{"grid":{"start":-1,"stop":1,"step":0.5},"target":{"family":"normal","params":{"mean":0,"variance":1}},"model":{"family":"normal","init":{"mean":0,"variance":1}},"epochs":-1}`,
		`{"grid":{"start":-1,"stop":1,"step":0.5},"target":{"family":"normal","params":{"mean":[1,2],"variance":1}},"model":{"family":"normal","init":{"mean":0,"variance":1}}}`,
		`{"grid":{"start":-1,"stop":1,"step":0.5},"target":{"family":"normal","params":{"mean":0,"variance":1}},"model":{"family":"normal","init":{"mean":0,"variance":1}},"optimizer":{"name":"gd","learning_rate":-1}}`,
		"grid: &a {start: 0, stop: 1, step: 0.5}\ntarget: *a\n",
	} {
		f.Add(s)
	}
	h := server.New(server.Config{MaxBodyBytes: 1 << 16, MaxGridPoints: 2000, MaxEpochs: 20})
	f.Fuzz(func(t *testing.T, body string) {
		w := post(h, "/api/fit", "application/json", body)
		switch w.Code {
		case http.StatusOK:
			var sum map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &sum); err != nil || sum["status"] == nil {
				t.Fatalf("200 with %q: %v", w.Body, err)
			}
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			var e struct {
				Error *string `json:"error"`
				Key   *string `json:"key"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error == nil || e.Key != nil && *e.Key == "" {
				t.Fatalf("%d with %q: %v", w.Code, w.Body, err)
			}
			if *e.Error == "" || strings.Contains(*e.Error, "\n") {
				t.Fatalf("error message %q", *e.Error)
			}
		default:
			t.Fatalf("status %d for %q: %s", w.Code, body, w.Body)
		}
	})
}
