package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klfit/klfit/server"
)

// TestLoad sends 200 short fits at once to a server on a loopback port,
// half of them streamed: every one must succeed with the same answer as
// a fit alone, and once the server is shut down no goroutine may be left
// behind. The load is bounded: 200 requests, a 2-minute deadline.
func TestLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("the load test takes a few seconds; not with -short")
	}
	before := runtime.NumGoroutine()
	s := server.New(server.Config{MaxConcurrent: 4, MaxQueued: 256, QueueTimeout: time.Minute})
	ln := listen(t)
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	url := "http://" + ln.Addr().String()

	text := strings.Replace(notebookSpec(t), `"epochs":1000`, `"epochs":100`, 1)
	want := noWallTime(post(s, "/api/fit", "application/json", text).Body.Bytes())

	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 0, MaxIdleConnsPerHost: 200}}
	deadline, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const n = 200
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			path := "/api/fit"
			if i%2 == 1 {
				path = "/api/fit/stream"
			}
			req, _ := http.NewRequestWithContext(deadline, http.MethodPost, url+path, strings.NewReader(text))
			req.Header.Set("Content-Type", "application/json")
			res, err := client.Do(req)
			if err != nil {
				errs <- fmt.Errorf("request %d: %w", i, err)
				return
			}
			defer res.Body.Close()
			body, err := io.ReadAll(res.Body)
			if err != nil || res.StatusCode != http.StatusOK {
				errs <- fmt.Errorf("request %d: %d %v %.200s", i, res.StatusCode, err, body)
				return
			}
			got := string(body)
			if path == "/api/fit/stream" {
				evs := readEvents(t, strings.NewReader(got))
				got = evs[len(evs)-1].Data + "\n"
				if n := len(evs); n != 103 { // start, 101 states, summary
					errs <- fmt.Errorf("request %d: %d events", i, n)
				}
			}
			if noWallTime([]byte(got)) != want {
				errs <- fmt.Errorf("request %d: a different answer:\n%s", i, got)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	client.CloseIdleConnections()
	stop()
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
	if s.Running() != 0 {
		t.Errorf("%d fits still running", s.Running())
	}
	// Goroutines end asynchronously (connections closing): wait a little.
	var after int
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if after = runtime.NumGoroutine(); after <= before {
			break
		}
	}
	if after > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines before, %d after:\n%s", before, after, buf[:runtime.Stack(buf, true)])
	}
}
