package plot

import (
	"testing"

	"golang.org/x/image/font/sfnt"
	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
)

// TestGlyphs checks that the face the figures use has a glyph for every
// character beyond ASCII their text holds (a missing one draws as a box).
func TestGlyphs(t *testing.T) {
	_ = gplot.New() // registers the Liberation faces
	face := font.DefaultCache.Lookup(sans, 12)
	var buf sfnt.Buffer
	for _, r := range DisplaySymbol("KL(P||Q)") + " − ‖" {
		if i, err := face.Face.GlyphIndex(&buf, r); err != nil || i == 0 {
			t.Errorf("no glyph for %q (%U) in %v", r, r, face.Font)
		}
	}
}
