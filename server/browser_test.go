package server_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/klfit/klfit/server"
)

var screenshot = flag.String("screenshot", "", "where TestBrowser saves its screenshot of the page (default: a temporary file)")

// chromium returns the path of a Chromium (or Chrome) binary, or "".
func chromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// TestBrowser drives headless Chromium through the page, as a user would:
// it opens the page served on a free loopback port, runs the notebook
// preset, waits for the final summary and checks that the mean, variance
// and loss shown are those `klfit fit` prints for the same spec; then it
// runs it again slowly to check pause and step, runs a 2-D fit, checks
// that the page threw no script error, and saves a screenshot.
func TestBrowser(t *testing.T) {
	bin := chromium()
	if bin == "" {
		t.Skip("SKIPPED: no Chromium binary found (chromium, chromium-browser, google-chrome): the end-to-end browser test did not run; install Debian's chromium package")
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(server.Config{LoopbackHosts: true})
	sctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(sctx, ln) }()
	defer func() {
		stop()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	base := "http://" + ln.Addr().String() + "/"

	// What the command line prints for the notebook's spec.
	out, _ := runCLI(t, notebookSpec(t), "--no-figures")
	var cliSum struct {
		Loss   float64            `json:"loss"`
		Params map[string]float64 `json:"params"`
	}
	if err := json.Unmarshal(out, &cliSum); err != nil {
		t.Fatalf("klfit fit --json: %v: %s", err, out)
	}

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1440, 1080),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	ctx, cancel := context.WithTimeout(bctx, 2*time.Minute)
	defer cancel()

	// Every script error and uncaught exception of the page, collected
	// until the end of the test.
	var mu sync.Mutex
	var jsErrors []string
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			// The browser logs the bad spec's 400 answer, on purpose.
			if m.IsException() || m.Type == "error" && !strings.Contains(m.Text, "status of 400") {
				mu.Lock()
				jsErrors = append(jsErrors, m.String())
				mu.Unlock()
			}
		}
	}()

	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			t.Fatalf("reading %s: %v", sel, err)
		}
		return s
	}
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}

	// The notebook, as fast as it runs.
	do("running the notebook in the browser",
		chromedp.Navigate(base+"#preset=notebook"),
		chromedp.WaitVisible(`#presets button.current`),
		chromedp.SetValue(`#speed`, "0"),
		chromedp.Click(`#run`),
		chromedp.WaitVisible(`#lane-0 .summary`),
	)
	mean, variance, loss := text(`#lane-0 [data-param="mean"]`), text(`#lane-0 [data-param="variance"]`), text(`#lane-0 [data-field="loss"]`)
	for _, c := range []struct {
		what, shown string
		want        float64
	}{{"mean", mean, cliSum.Params["mean"]}, {"variance", variance, cliSum.Params["variance"]}, {"loss", loss, cliSum.Loss}} {
		got, err := strconv.ParseFloat(c.shown, 64)
		if err != nil || got != c.want {
			t.Errorf("the page shows %s %q, klfit fit prints %v", c.what, c.shown, c.want)
		}
	}
	if status, epoch := text(`#lane-0 [data-field="status"]`), text(`#epoch`); status != "max_epochs" || epoch != "epoch 1000 / 1000" {
		t.Errorf("the page shows status %q and %q; want max_epochs and epoch 1000 / 1000", status, epoch)
	}

	png := *screenshot
	if png == "" {
		png = filepath.Join(t.TempDir(), "playground.png")
	}
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(png, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of the page: %s", png)

	// Slowly, to pause and step one epoch.
	shownEpoch := func() int {
		f := strings.Fields(text(`#epoch`))
		if len(f) < 2 {
			return -1
		}
		n, err := strconv.Atoi(f[1])
		if err != nil {
			return -1
		}
		return n
	}
	waitFor := func(what string, cond func() bool) {
		deadline := time.Now().Add(20 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	do("a slow run", chromedp.SetValue(`#speed`, "20"), chromedp.Click(`#run`))
	waitFor("the slow run to reach epoch 3", func() bool { return shownEpoch() >= 3 })
	do("pause", chromedp.Click(`#pause`))
	time.Sleep(200 * time.Millisecond) // let the frame drawn before the pause land
	paused := shownEpoch()
	time.Sleep(300 * time.Millisecond)
	if e := shownEpoch(); e != paused {
		t.Errorf("paused at epoch %d, the view moved on to %d", paused, e)
	}
	if s := text(`#state`); s != "paused" {
		t.Errorf("paused, the page says %q", s)
	}
	do("step", chromedp.Click(`#step`))
	waitFor("a step", func() bool { return shownEpoch() != paused })
	if e := shownEpoch(); e != paused+1 {
		t.Errorf("one step from epoch %d shows epoch %d", paused, e)
	}
	do("stop", chromedp.Click(`#stop`))
	waitFor("the stop", func() bool { return text(`#state`) == "stopped" })

	// Side by side: the same spec under a second divergence, from a link
	// (the library here has one divergence, so both sides use it and must
	// agree to the digit).
	do("two fits side by side",
		chromedp.Navigate(base+"?compare#spec="+urlEscape(notebookSpec(t))+"&compare=kl"),
		chromedp.WaitVisible(`#spec`),
		chromedp.SetValue(`#speed`, "0"),
		chromedp.Click(`#run`),
		chromedp.WaitVisible(`#lane-0 .summary`),
		chromedp.WaitVisible(`#lane-1 .summary`),
	)
	if a, b := text(`#lane-0 [data-param="variance"]`), text(`#lane-1 [data-param="variance"]`); a != b || !near(a, cliSum.Params["variance"], 0) {
		t.Errorf("side by side, the variances shown are %q and %q; klfit fit prints %v", a, b, cliSum.Params["variance"])
	}

	// A bad value: the error, naming the key, and the field marked.
	do("a bad value",
		chromedp.Navigate(base+"?bad#preset=notebook"), // a new query: a new page
		chromedp.WaitVisible(`#presets button.current`),
	)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](`(() => {
		const i = document.querySelector('#model-params [data-key="model.init.variance"]');
		i.value = '-1';
		i.dispatchEvent(new Event('input'));
	})()`)); err != nil {
		t.Fatal(err)
	}
	do("running a bad spec", chromedp.Click(`#run`), chromedp.WaitVisible(`#lane-0 .lane-error`))
	if msg := text(`#lane-0 .lane-error`); msg != "spec line 1: model.init.variance: must be > 0, got -1" {
		t.Errorf("the page shows the error %q", msg)
	}
	if cls, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#model-params [data-key="model.init.variance"]').className`)); err != nil || cls != "bad" {
		t.Errorf("the variance field's class is %q (%v), want bad", cls, err)
	}

	// A 2-D fit, opened from a link holding its spec.
	spec2D := `{"grid":{"x":{"start":-4,"stop":4,"step":0.2},"y":{"start":-4,"stop":4,"step":0.2}},` +
		`"target":{"family":"test_plane","params":{"mx":1,"my":-1,"variance":1.5}},` +
		`"model":{"family":"test_plane","init":{"mx":-1,"my":1,"variance":0.5}},"optimizer":{"name":"gd","learning_rate":0.5},"epochs":200}`
	do("running a 2-D fit in the browser",
		chromedp.Navigate(base+"?2d#spec="+urlEscape(spec2D)),
		chromedp.WaitVisible(`#grid-2d`),
		chromedp.SetValue(`#speed`, "0"),
		chromedp.Click(`#run`),
		chromedp.WaitVisible(`#lane-0 .summary`),
	)
	// gd with learning rate 0.5 on the mean contracts its error by a
	// factor 1 - 0.5/variance per step: 200 steps leave nothing visible.
	if mx := text(`#lane-0 [data-param="mx"]`); !near(mx, 1, 1e-3) {
		t.Errorf("2-D fit: the page shows mx %q; the target's is 1", mx)
	}
	if shot, err = chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
		png2 := filepath.Join(t.TempDir(), "playground-2d.png")
		os.WriteFile(png2, shot, 0o644)
		t.Logf("screenshot of the 2-D fit: %s", png2)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, e := range jsErrors {
		t.Errorf("the page threw: %s", e)
	}
}

func urlEscape(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// near reports whether the text s is a number within tol of want.
func near(s string, want, tol float64) bool {
	v, err := strconv.ParseFloat(s, 64)
	return err == nil && v >= want-tol && v <= want+tol
}
