package server_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/klfit/klfit/server"
)

// BenchmarkFit measures POST /api/fit on the notebook's spec (1000 epochs
// on 200 points): parsing, building, the fit and the summary.
func BenchmarkFit(b *testing.B) { benchmarkAPI(b, "/api/fit") }

// BenchmarkStream measures POST /api/fit/stream on the same spec: the fit
// plus 1001 states, each with the model's density at 200 points.
func BenchmarkStream(b *testing.B) { benchmarkAPI(b, "/api/fit/stream") }

func benchmarkAPI(b *testing.B, path string) {
	h := server.New(server.Config{})
	text := notebookSpec(b)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, path, strings.NewReader(text)))
		if w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
		io.Copy(io.Discard, w.Body)
	}
}
