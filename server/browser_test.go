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

var states = flag.String("states", "", "the directory where TestBrowser saves screenshots of other states of the page (an error, a long fit), for review; default: a temporary one")

var screenshots = flag.String("screenshots", "", "the directory where TestBrowser saves its screenshots of the page, playground.png (1280 x 900) and playground-phone.png (390 x 844); default: a temporary one")

// chromium returns the path of a Chromium (or Chrome) binary, or "".
func chromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// TestBrowser drives headless Chromium through the page, as a user would,
// at 1280 x 900 and on a phone's 390 x 844 (and 360 px): the page never
// scrolls sideways; before Run it shows the preset's description, its
// target and initial model; it runs the notebook preset and shows the
// mean, variance and loss `klfit fit` prints, to 6 significant digits
// (summary.json to the last); it pauses, steps, stops, runs two fits side
// by side, shows a bad value's error next to its field, refuses a spec
// that is not JSON and a link whose spec is not an object, saying so,
// clears the charts when the preset changes, hides the 1-D grid fields of
// a 2-D preset, shows a formula target's formula, runs a 2-D fit and a
// preset on the phone, checks that the page threw no script error, and
// saves the screenshots.
func TestBrowser(t *testing.T) {
	bin := chromium()
	if bin == "" {
		t.Skip("SKIPPED: no Chromium binary found (chromium, chromium-browser, google-chrome): the end-to-end browser test did not run; install Debian's chromium package")
	}
	if testing.Short() {
		t.Skip("a real browser: skipped under -short")
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
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	ctx, cancel := context.WithTimeout(bctx, 3*time.Minute)
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
	eval := func(js string) any {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[any](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	// noOverflow checks that the page does not scroll sideways.
	noOverflow := func(where string) {
		t.Helper()
		if v := eval(`[document.documentElement.scrollWidth, window.innerWidth]`).([]any); v[0].(float64) > v[1].(float64) {
			t.Errorf("%s: the page is %v px wide in a %v px window", where, v[0], v[1])
		}
	}
	dir := *screenshots
	if dir == "" {
		dir = t.TempDir()
	}
	tmp := *states
	if tmp == "" {
		tmp = t.TempDir()
	}
	save := func(name string) {
		t.Helper()
		shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		png := filepath.Join(dir, name)
		if name != "playground.png" && name != "playground-phone.png" {
			png = filepath.Join(tmp, name)
		}
		if err := os.WriteFile(png, shot, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", png)
	}
	// drawn counts the pixels of the target's blue and the model's red
	// on the first fit chart.
	drawn := func() (blue, red int) {
		v := eval(`(() => {
			const c = document.querySelector('#lane-0 .fit-canvas');
			const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
			let blue = 0, red = 0;
			for (let i = 0; i < d.length; i += 4) {
				if (d[i] === 0x4c && d[i + 1] === 0x72 && d[i + 2] === 0xb0) blue++;
				if (d[i] === 255 && d[i + 1] === 0 && d[i + 2] === 0) red++;
			}
			return [blue, red];
		})()`).([]any)
		return int(v[0].(float64)), int(v[1].(float64))
	}
	notebook := server.Presets()[0]
	// ready is visible once the page has loaded its menus and answers
	// clicks: the static page is visible before.
	const ready = `body[data-ready="yes"]`

	// First sight, at 1280 x 900: the preset's description, its target
	// and initial model drawn, Run the next step.
	do("opening the page at 1280 x 900",
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(base+"#preset=notebook"),
		chromedp.WaitVisible(`#presets button.current`),
	)
	waitFor("the preview", func() bool { return text(`#state`) == "ready: press Run" })
	if d := text(`#preset-description`); d != notebook.Description {
		t.Errorf("the page shows the description %q, want %q", d, notebook.Description)
	}
	if e := text(`#epoch`); e != "epoch 0 / 1000" {
		t.Errorf("before Run, the page shows %q", e)
	}
	// The legend alone has 18 x 4 pixels of each color: the curves
	// have hundreds more.
	if blue, red := drawn(); blue < 300 || red < 150 {
		t.Errorf("before Run, the chart has %d pixels of the target's blue and %d of the model's red", blue, red)
	}
	noOverflow("the notebook's preview at 1280 px")

	// The notebook, as fast as it runs.
	do("running the notebook in the browser",
		chromedp.SetValue(`#speed`, "0"),
		chromedp.Click(`#run`),
		chromedp.WaitVisible(`#lane-0 .summary`),
	)
	mean, variance, loss := text(`#lane-0 [data-param="mean"]`), text(`#lane-0 [data-param="variance"]`), text(`#lane-0 [data-field="loss"]`)
	for _, c := range []struct {
		what, shown string
		want        float64
	}{{"mean", mean, cliSum.Params["mean"]}, {"variance", variance, cliSum.Params["variance"]}, {"loss", loss, cliSum.Loss}} {
		want, _ := strconv.ParseFloat(strconv.FormatFloat(c.want, 'g', 6, 64), 64)
		if got, err := strconv.ParseFloat(c.shown, 64); err != nil || got != want || sigDigits(c.shown) > 6 {
			t.Errorf("the page shows %s %q; klfit fit prints %v, %v to 6 digits", c.what, c.shown, c.want, want)
		}
	}
	var pageSum struct {
		Loss   float64            `json:"loss"`
		Params map[string]float64 `json:"params"`
	}
	if js, err := chromedp.Run(ctx, chromedp.TextContent(`#lane-0 .summary-json`)); err != nil || json.Unmarshal([]byte(js), &pageSum) != nil ||
		pageSum.Loss != cliSum.Loss || pageSum.Params["mean"] != cliSum.Params["mean"] || pageSum.Params["variance"] != cliSum.Params["variance"] {
		t.Errorf("the page's summary.json: %+v (%v); klfit fit prints %+v", pageSum, err, cliSum)
	}
	if status, state, epoch := text(`#lane-0 [data-field="status"]`), text(`#state`), text(`#epoch`); status != "max_epochs" || state != "max_epochs" || epoch != "epoch 1000 / 1000" {
		t.Errorf("the page shows status %q, state %q and %q; want max_epochs, max_epochs and epoch 1000 / 1000", status, state, epoch)
	}
	noOverflow("the notebook's fit at 1280 px")
	save("playground.png")

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

	// Another preset: the last run's charts give way to its preview.
	do("another preset", chromedp.Click(`#presets button[data-preset="bimodal"]`))
	waitFor("the bimodal preview", func() bool { return text(`#epoch`) == "epoch 0 / 1500" && text(`#state`) == "ready: press Run" })
	if n := eval(`document.querySelectorAll('#lanes .summary:not([hidden]), #lanes .notices p').length`); n != 0.0 {
		t.Errorf("after switching preset, %v summaries and notices of the last run are still shown", n)
	}

	// Text that is not JSON in the spec editor: Run says so and runs
	// nothing.
	eval(`(() => {
		const e = document.querySelector('#spec');
		e.value = '{"grid": ';
		e.dispatchEvent(new Event('input'));
	})()`)
	do("running a spec that is not JSON", chromedp.Click(`#run`), chromedp.WaitVisible(`#error`))
	if msg, status := text(`#error`), text(`#spec-status`); !strings.Contains(msg, "not valid JSON") || !strings.HasPrefix(status, "The spec is not valid JSON: ") {
		t.Errorf("a spec that is not JSON: the page says %q and %q", msg, status)
	}
	if s := text(`#state`); s != "ready: press Run" {
		t.Errorf("a spec that is not JSON: the state is %q", s)
	}

	// Side by side: the same spec under a second divergence, from a link
	// (both sides use kl here, and must agree to the digit), next to each
	// other at 1280 px.
	do("two fits side by side",
		chromedp.Navigate(base+"?compare#spec="+urlEscape(notebookSpec(t))+"&compare=kl"),
		chromedp.WaitVisible(ready),
		chromedp.SetValue(`#speed`, "0"),
		chromedp.Click(`#run`),
		chromedp.WaitVisible(`#lane-0 .summary`),
		chromedp.WaitVisible(`#lane-1 .summary`),
	)
	if a, b := text(`#lane-0 .summary-json`), text(`#lane-1 .summary-json`); a != b {
		t.Errorf("side by side, the summaries differ:\n%s\n%s", a, b)
	}
	if v := eval(`[document.querySelector('#lane-0').offsetTop, document.querySelector('#lane-1').offsetTop]`).([]any); v[0] != v[1] {
		t.Errorf("at 1280 px, the two fits are not side by side: their tops are at %v and %v", v[0], v[1])
	}
	noOverflow("two fits at 1280 px")

	// A bad value: the error next to its field, in the page's words.
	do("a bad value",
		chromedp.Navigate(base+"?bad#preset=notebook"), // a new query: a new page
		chromedp.WaitVisible(`#presets button.current`),
	)
	eval(`(() => {
		const i = document.querySelector('#model-params [data-key="model.init.variance"]');
		i.value = '-1';
		i.dispatchEvent(new Event('input'));
	})()`)
	do("running a bad spec", chromedp.Click(`#run`), chromedp.WaitVisible(`#model-params .field-error`))
	if msg, all := text(`#model-params .field-error`), text(`#error`); msg != "must be > 0, got -1" || all != "Model q, variance: must be > 0, got -1" {
		t.Errorf("the page shows the error %q next to the field and %q under Run", msg, all)
	}
	if cls := eval(`document.querySelector('#model-params [data-key="model.init.variance"]').className`); cls != "bad" {
		t.Errorf("the variance field's class is %q, want bad", cls)
	}
	save("error.png")

	// A fit that diverges says so; 20,000 epochs label the epoch axes
	// without overlap.
	// (gd at rate 100 from variance 10 steps the raw variance below 0.)
	diverging := strings.NewReplacer(`"learning_rate":0.01`, `"learning_rate":100`, `"init":{"mean":5,"variance":1}`, `"init":{"mean":0,"variance":10}`).Replace(notebookSpec(t))
	do("a diverging fit",
		chromedp.Navigate(base+"?diverge#spec="+urlEscape(diverging)),
		chromedp.WaitVisible(ready),
		chromedp.SetValue(`#speed`, "0"),
		chromedp.Click(`#run`),
		chromedp.WaitVisible(`#lane-0 .summary`),
	)
	if status, state := text(`#lane-0 [data-field="status"]`), text(`#state`); status != "diverged" || state != "diverged" {
		t.Errorf("a diverging fit: the summary says %q, the state %q", status, state)
	}
	long := strings.Replace(notebookSpec(t), `"epochs":1000`, `"epochs":20000`, 1)
	do("20,000 epochs",
		chromedp.Navigate(base+"?long#spec="+urlEscape(long)),
		chromedp.WaitVisible(ready),
		chromedp.SetValue(`#speed`, "0"),
		chromedp.Click(`#run`),
		chromedp.WaitVisible(`#lane-0 .summary`),
	)
	save("long.png")

	// A link whose spec is null: the page says so and opens the first
	// preset, which runs.
	do("a link to a null spec",
		chromedp.Navigate(base+"?null#spec=null"),
		chromedp.WaitVisible(`#presets button.current`),
	)
	if s := text(`#spec-status`); !strings.HasPrefix(s, "The link's spec is null, not a JSON object") {
		t.Errorf("a link to a null spec: the page says %q", s)
	}
	do("running after a null link", chromedp.SetValue(`#speed`, "0"), chromedp.Click(`#run`), chromedp.WaitVisible(`#lane-0 .summary`))

	// The 2-D preset hides the 1-D grid fields; the formula preset shows
	// its formula, to edit.
	do("the 2-D preset", chromedp.Navigate(base+"?2dp#preset=2d"), chromedp.WaitVisible(ready), chromedp.WaitVisible(`#grid-2d`))
	if d := eval(`getComputedStyle(document.querySelector('#grid-1d')).display`); d != "none" {
		t.Errorf("the 2-D preset shows the 1-D grid fields (display %v)", d)
	}
	do("the formula preset", chromedp.Click(`#presets button[data-preset="formula"]`), chromedp.WaitVisible(`#target-formula`))
	if f := eval(`document.querySelector('#target-formula').value`); f != "exp(-x^2/2) * (1 + sin(3*x)^2)" {
		t.Errorf("the formula field holds %q", f)
	}

	// A 2-D fit, opened from a link holding its spec.
	spec2D := `{"grid":{"x":{"start":-4,"stop":4,"step":0.2},"y":{"start":-4,"stop":4,"step":0.2}},` +
		`"target":{"family":"test_plane","params":{"mx":1,"my":-1,"variance":1.5}},` +
		`"model":{"family":"test_plane","init":{"mx":-1,"my":1,"variance":0.5}},"optimizer":{"name":"gd","learning_rate":0.5},"epochs":200}`
	do("running a 2-D fit in the browser",
		chromedp.Navigate(base+"?2d#spec="+urlEscape(spec2D)),
		chromedp.WaitVisible(ready),
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

	// A phone: 360 px wide, then 390 x 844, where forward and reverse KL
	// run one above the other, each chart as wide as the screen.
	do("a 360 px phone",
		chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile),
		chromedp.Navigate(base+"?phone#preset=notebook"),
		chromedp.WaitVisible(`#presets button.current`),
	)
	waitFor("the preview on a phone", func() bool { return text(`#state`) == "ready: press Run" })
	noOverflow("the notebook's preview at 360 px")
	do("a 390 px phone",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		chromedp.Navigate(base+"?phone2#preset=kl-directions"),
		chromedp.WaitVisible(`#presets button.current`),
	)
	noOverflow("the kl-directions preset at 390 px")
	do("running forward and reverse KL on a phone",
		chromedp.SetValue(`#speed`, "0"),
		chromedp.Click(`#run`),
		chromedp.WaitVisible(`#lane-0 .summary`),
		chromedp.WaitVisible(`#lane-1 .summary`),
	)
	noOverflow("forward and reverse KL at 390 px")
	if v := eval(`[...document.querySelectorAll('#lanes canvas')].map((c) => c.getBoundingClientRect().right).concat([document.querySelector('#lane-1').offsetTop > document.querySelector('#lane-0').offsetTop, window.innerWidth])`).([]any); len(v) < 3 {
		t.Errorf("no charts: %v", v)
	} else {
		width := v[len(v)-1].(float64)
		if v[len(v)-2] != true {
			t.Error("at 390 px, the two fits are not one above the other")
		}
		for _, r := range v[:len(v)-2] {
			if r.(float64) > width {
				t.Errorf("at 390 px, a chart ends at %v px", r)
			}
		}
	}
	eval(`document.querySelector('#views').scrollIntoView()`)
	save("playground-phone.png")

	mu.Lock()
	defer mu.Unlock()
	for _, e := range jsErrors {
		t.Errorf("the page threw: %s", e)
	}
}

// sigDigits counts the significant digits of a number written as the
// page writes it ("-5.73965e-5": 6).
func sigDigits(s string) int {
	mantissa, _, _ := strings.Cut(s, "e")
	return len(strings.TrimLeft(strings.NewReplacer("-", "", ".", "").Replace(mantissa), "0"))
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
