package server_test

import (
	"net/http"
	"strings"
	"testing"

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
