package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var servingAt = regexp.MustCompile(`klfit playground at (http://\S+/) `)

// serve runs klfit serve with args until the returned stop is called; it
// waits for the URL to be printed and returns it, with stop returning the
// exit code and what was printed on stdout and stderr.
func serve(t *testing.T, args ...string) (url string, stop func() (int, string, string)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	code := make(chan int, 1)
	go func() {
		code <- Run(ctx, append([]string{"serve"}, args...), &IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if m := servingAt.FindStringSubmatch(out.String()); m != nil {
			url = m[1]
			break
		}
		select {
		case c := <-code:
			t.Fatalf("klfit serve exited %d: %s%s", c, out.String(), errOut.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("klfit serve printed no URL: %s%s", out.String(), errOut.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	return url, func() (int, string, string) {
		cancel()
		select {
		case c := <-code:
			return c, out.String(), errOut.String()
		case <-time.After(15 * time.Second):
			t.Fatal("klfit serve did not stop")
			return 0, "", ""
		}
	}
}

// TestServe starts klfit serve on a free loopback port, fits the demo
// through it, and stops it as Ctrl-C does: exit 0.
func TestServe(t *testing.T) {
	url, stop := serve(t, "--addr", "127.0.0.1:0", "--max-epochs", "2000")
	res, err := http.Get(url + "healthz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET /healthz: %v %v", err, res)
	}
	res.Body.Close()
	res, err = http.Post(url+"api/fit", "application/json", strings.NewReader(string(demoSpecText(t))))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	// The demo's final loss: 23.03961666859499 in the independent
	// recomputation (fit/testdata/notebook_history.csv), to 1e-9.
	var sum struct {
		Loss float64 `json:"loss"`
	}
	if res.StatusCode != http.StatusOK || json.Unmarshal(body, &sum) != nil || abs(sum.Loss-23.03961666859499) > 1e-9*23 {
		t.Errorf("POST /api/fit: %d %s", res.StatusCode, body)
	}
	// Bound to loopback, it answers loopback names only.
	req, _ := http.NewRequest(http.MethodGet, url+"healthz", nil)
	req.Host = "rebound.example"
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusForbidden {
		t.Errorf("a request for another host: %v %v", err, res)
	}
	code, out, errOut := stop()
	if code != ExitOK || !strings.Contains(out, "klfit playground stopped") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// One log line per request, in order, on stderr, and nothing else.
	lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
	want := []string{
		`level=INFO msg=request method=GET path=/healthz status=200 duration=\S+$`,
		`level=INFO msg=request method=POST path=/api/fit status=200 duration=\S+ fit=max_epochs$`,
		`level=INFO msg=request method=GET path=/healthz status=403 duration=\S+$`,
	}
	if len(lines) != len(want) {
		t.Fatalf("stderr has %d lines, want %d:\n%s", len(lines), len(want), errOut)
	}
	for i, w := range want {
		if !regexp.MustCompile(`^time=\S+ ` + w).MatchString(lines[i]) {
			t.Errorf("log line %d:\n  %s\nwant it to match\n  %s", i+1, lines[i], w)
		}
	}
}

// demoSpecText is the demo's spec, as klfit demo --print-spec prints it.
func demoSpecText(t *testing.T) []byte {
	code, out, errOut := run(t, context.Background(), false, "demo", "--print-spec")
	if code != 0 {
		t.Fatal(errOut)
	}
	return []byte(out) // YAML, which the API reads as it reads JSON
}

// TestServePublic checks that a public address needs --public, and that
// with it klfit warns.
func TestServePublic(t *testing.T) {
	code, _, errOut := run(t, context.Background(), false, "serve", "--addr", "0.0.0.0:0")
	if code != ExitUsage || !strings.Contains(errOut, "is not a loopback address") || !strings.Contains(errOut, "--public") {
		t.Errorf("exit %d: %s", code, errOut)
	}
	url, stop := serve(t, "--addr", "0.0.0.0:0", "--public")
	// Listening on every interface, it prints a URL that opens here.
	if !regexp.MustCompile(`^http://127\.0\.0\.1:[1-9][0-9]*/$`).MatchString(url) {
		t.Errorf("printed the URL %q, want http://127.0.0.1:PORT/", url)
	}
	if res, err := http.Get(url + "healthz"); err != nil || res.StatusCode != http.StatusOK {
		t.Errorf("GET %shealthz: %v %v", url, err, res)
	} else {
		res.Body.Close()
	}
	code, out, errOut := stop()
	if code != ExitOK || !strings.Contains(out, "(listening on every interface; Ctrl-C to stop)") ||
		!strings.Contains(errOut, "klfit: warning: serving on every interface, open to every machine") || !strings.Contains(errOut, "no authentication") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// TestOpenURL checks the URL printed for each kind of address listened
// on.
func TestOpenURL(t *testing.T) {
	for _, c := range []struct {
		ip, host, want string
		everywhere     bool
	}{
		{"127.0.0.1", "127.0.0.1", "http://127.0.0.1:8080/", false},
		{"::1", "::1", "http://[::1]:8080/", false},
		{"192.0.2.7", "192.0.2.7", "http://192.0.2.7:8080/", false},
		{"::", "0.0.0.0", "http://127.0.0.1:8080/", true},
		{"0.0.0.0", "", "http://127.0.0.1:8080/", true},
		{"::", "::", "http://[::1]:8080/", true},
	} {
		url, everywhere := openURL(&net.TCPAddr{IP: net.ParseIP(c.ip), Port: 8080}, c.host)
		if url != c.want || everywhere != c.everywhere {
			t.Errorf("%s asked as %q: %q %v, want %q %v", c.ip, c.host, url, everywhere, c.want, c.everywhere)
		}
	}
}

func TestServeBadFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--addr", "nonsense"}, `--addr "nonsense"`},
		{[]string{"--addr", "0.0.0.0:99999"}, `--addr 0.0.0.0:99999: invalid port "99999": want a number from 0 to 65535`},
		{[]string{"--addr", "127.0.0.1:-1"}, `invalid port "-1"`},
		{[]string{"--addr", "127.0.0.1:http"}, `invalid port "http"`},
		{[]string{"--max-uploads", "0"}, "--max-uploads must be > 0"},
		{[]string{"--max-epochs", "0"}, "--max-epochs must be > 0"},
		{[]string{"--max-fit-memory", "-1"}, "--max-fit-memory must be > 0"},
		{[]string{"--max-expression", "0"}, "--max-expression must be > 0"},
		{[]string{"--time-limit", "-1s"}, "--time-limit must be > 0"},
		{[]string{"--max-fits", "-2"}, "--max-fits must be >= 0"},
		{[]string{"--time-limit", "soon"}, `invalid argument "soon"`},
	} {
		code, _, errOut := run(t, context.Background(), false, append([]string{"serve"}, c.args...)...)
		if code != ExitUsage || !strings.Contains(errOut, c.msg) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%v: exit %d, %q", c.args, code, errOut)
		}
	}
}
