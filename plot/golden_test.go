package plot_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/plot"
	"github.com/klfit/klfit/spec"
)

var regen = flag.Bool("regen", false, "rewrite the golden images in testdata/golden")

// goldenDelta is how far a pixel's colour may differ from the golden
// image's, per channel in 0..255: enough for anti-aliasing that differs in
// the last bits between platforms, not for a line, a tick or a letter
// that moved. goldenPixels is the share of pixels that may differ more.
const (
	goldenDelta  = 24
	goldenPixels = 1e-4
)

// TestGolden draws the notebook's five figures from the demo's fit, and
// the 2-D fit figure of a bivariate normal, and compares them with the
// PNGs in testdata/golden. go test ./plot -run Golden -regen rewrites
// them; review the change as images.
func TestGolden(t *testing.T) {
	demo := figuresOf(t, spec.Demo())
	mv, err := spec.Parse([]byte(`grid: {x: {start: -6, stop: 6, step: 0.05}, y: {start: -6, stop: 6, step: 0.05}}
target: {family: mvnormal, params: {mean: [1, -1], covariance: [[1, 0.6], [0.6, 2]]}}
model: {family: mvnormal, init: {mean: [-1, 1], covariance: [[1, 0], [0, 1]]}}
optimizer: {name: gd, learning_rate: 0.2}
epochs: 40
`))
	if err != nil {
		t.Fatal(err)
	}
	twoD := figuresOf(t, mv)
	cases := map[string]plot.Figure{"fit_2d": twoD[0]}
	for _, f := range demo {
		cases[f.Name] = f
	}
	for _, name := range []string{"fit", "endpoints", "mean", "variance", "loss", "fit_2d"} {
		f, ok := cases[name]
		if !ok {
			t.Fatalf("no figure %s", name)
		}
		var got bytes.Buffer
		if err := f.Render(&got, "png"); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata", "golden", name+".png")
		if *regen {
			// Stored at the best compression: the same pixels, smaller.
			img, err := png.Decode(bytes.NewReader(got.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			var small bytes.Buffer
			if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&small, img); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, small.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (go test ./plot -run Golden -regen writes it)", err)
		}
		if msg := compareImages(t, got.Bytes(), want); msg != "" {
			out := filepath.Join(t.TempDir(), name+".png")
			_ = os.WriteFile(out, got.Bytes(), 0o644)
			t.Errorf("%s differs from %s: %s; drawn as %s", name, path, msg, out)
		}
	}
}

// figuresOf runs the fit s describes and returns its figures.
func figuresOf(t *testing.T, s *spec.Spec) []plot.Figure {
	t.Helper()
	return plot.Figures(inputOf(t, s))
}

// inputOf runs the fit s describes and returns what its figures are drawn
// from.
func inputOf(t testing.TB, s *spec.Spec) plot.Input {
	t.Helper()
	b, err := s.Build(context.Background(), spec.Env{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := fit.Run(context.Background(), b.Problem, b.Options())
	if err != nil {
		t.Fatal(err)
	}
	return plot.Input{Grid: b.Problem.Grid, Target: b.TargetDensity(), Family: b.Problem.Family,
		History: res.History, Symbol: b.Problem.Divergence.Symbol(), Source: b.Target}
}

// compareImages returns what differs between two PNG images beyond the
// golden tolerance, or "".
func compareImages(t *testing.T, a, b []byte) string {
	t.Helper()
	ia, err := png.Decode(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	ib, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if ia.Bounds() != ib.Bounds() {
		return "size " + ia.Bounds().String() + " against " + ib.Bounds().String()
	}
	r := ia.Bounds()
	bad, worst, at := 0, 0.0, image.Point{}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			r1, g1, b1, a1 := ia.At(x, y).RGBA()
			r2, g2, b2, a2 := ib.At(x, y).RGBA()
			d := 0.0
			for _, p := range [][2]uint32{{r1, r2}, {g1, g2}, {b1, b2}, {a1, a2}} {
				d = math.Max(d, math.Abs(float64(p[0])-float64(p[1]))/257)
			}
			if d > goldenDelta {
				bad++
			}
			if d > worst {
				worst, at = d, image.Pt(x, y)
			}
		}
	}
	if float64(bad) > goldenPixels*float64(r.Dx()*r.Dy()) {
		return fmt.Sprintf("%d pixels differ by more than %d (up to %.0f at %v)", bad, goldenDelta, worst, at)
	}
	return ""
}

// BenchmarkSaveDemo draws and writes the demo's figures, on one thread
// (the reference) and on GOMAXPROCS threads, as Save does: compare the
// two ns/op for the gain of drawing concurrently.
func BenchmarkSaveDemo(b *testing.B) {
	in := inputOf(b, spec.Demo())
	dir := b.TempDir()
	for _, procs := range []int{1, runtime.GOMAXPROCS(0)} {
		b.Run(fmt.Sprintf("threads=%d", procs), func(b *testing.B) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			for b.Loop() {
				if _, err := plot.Save(dir, plot.Figures(in)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
