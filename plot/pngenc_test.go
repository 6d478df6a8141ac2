package plot

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"testing"
)

// TestEncodePNG checks that encodePNG's files decode, with image/png, to
// the very pixels encoded: opaque RGBA images by its own path (random
// pixels, and flat areas as figures have), others by image/png's.
func TestEncodePNG(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	opaque := image.NewRGBA(image.Rect(0, 0, 301, 77))
	for i := range opaque.Pix {
		opaque.Pix[i] = uint8(rng.IntN(256))
		if i%4 == 3 || i > len(opaque.Pix)/2 {
			opaque.Pix[i] = 255
		}
	}
	translucent := image.NewNRGBA(image.Rect(0, 0, 20, 10))
	translucent.Set(3, 4, color.NRGBA{1, 2, 3, 4})
	for _, img := range []image.Image{opaque, translucent} {
		var buf bytes.Buffer
		if err := encodePNG(&buf, img); err != nil {
			t.Fatal(err)
		}
		back, err := png.Decode(&buf)
		if err != nil {
			t.Fatal(err)
		}
		b := img.Bounds()
		if back.Bounds() != b {
			t.Fatalf("bounds %v, want %v", back.Bounds(), b)
		}
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				if a, w := color.NRGBAModel.Convert(back.At(x, y)), color.NRGBAModel.Convert(img.At(x, y)); a != w {
					t.Fatalf("pixel (%d, %d) is %v, want %v", x, y, a, w)
				}
			}
		}
	}
}
