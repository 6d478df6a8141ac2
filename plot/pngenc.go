package plot

import (
	"bufio"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/png"
	"io"
)

// encodePNG writes img as a PNG file, fast: an opaque *image.RGBA (what
// gonum/plot's canvas draws into) is written as 8-bit RGB rows, each
// filtered with PNG's "Up" filter (a figure's flat areas and vertical
// repeats become zeros) and compressed at zlib's fastest level. Go's
// image/png tries five filters on every row, which costs more than the
// drawing of a simple figure. Other images go to image/png.
func encodePNG(w io.Writer, img image.Image) error {
	rgba, ok := img.(*image.RGBA)
	if !ok || !rgba.Opaque() {
		return (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(w, img)
	}
	b := rgba.Bounds()
	width, height := b.Dx(), b.Dy()
	bw := bufio.NewWriter(w)
	if _, err := io.WriteString(bw, "\x89PNG\r\n\x1a\n"); err != nil {
		return err
	}
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(width))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(height))
	ihdr[8], ihdr[9] = 8, 2 // 8 bits per channel, RGB; compression, filter, interlace 0
	if err := writeChunk(bw, "IHDR", ihdr[:]); err != nil {
		return err
	}
	idat := &chunkWriter{w: bw, typ: "IDAT"}
	zw, err := zlib.NewWriterLevel(idat, zlib.BestSpeed)
	if err != nil {
		return err
	}
	prev := make([]byte, 3*width)
	cur := make([]byte, 3*width)
	row := make([]byte, 1+3*width)
	row[0] = 2 // Up
	for y := 0; y < height; y++ {
		pix := rgba.Pix[y*rgba.Stride : y*rgba.Stride+4*width]
		for x := 0; x < width; x++ {
			cur[3*x], cur[3*x+1], cur[3*x+2] = pix[4*x], pix[4*x+1], pix[4*x+2]
		}
		for i, c := range cur {
			row[1+i] = c - prev[i]
		}
		if _, err := zw.Write(row); err != nil {
			return err
		}
		prev, cur = cur, prev
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := idat.flush(); err != nil {
		return err
	}
	if err := writeChunk(bw, "IEND", nil); err != nil {
		return err
	}
	return bw.Flush()
}

// chunkWriter collects data into chunks of type typ of up to 64 KiB.
type chunkWriter struct {
	w   io.Writer
	typ string
	buf []byte
}

func (c *chunkWriter) Write(p []byte) (int, error) {
	c.buf = append(c.buf, p...)
	if len(c.buf) >= 1<<16 {
		return len(p), c.flush()
	}
	return len(p), nil
}

func (c *chunkWriter) flush() error {
	if len(c.buf) == 0 {
		return nil
	}
	err := writeChunk(c.w, c.typ, c.buf)
	c.buf = c.buf[:0]
	return err
}

// writeChunk writes one PNG chunk: length, type, data, CRC of type and
// data.
func writeChunk(w io.Writer, typ string, data []byte) error {
	var head [8]byte
	binary.BigEndian.PutUint32(head[:4], uint32(len(data)))
	copy(head[4:], typ)
	crc := crc32.NewIEEE()
	crc.Write(head[4:])
	crc.Write(data)
	var tail [4]byte
	binary.BigEndian.PutUint32(tail[:], crc.Sum32())
	for _, b := range [][]byte{head[:], data, tail[:]} {
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}
