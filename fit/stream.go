package fit

import (
	"io"
	"sync"
	"time"
)

// CSVStreamer is an Observer that writes a fit's history as CSV while the
// fit runs, so that a process killed at any moment leaves a valid CSV of
// every state up to its last flush. Rows are collected in a buffer and
// written whole, by Observe when the buffer is full and by a background
// goroutine every flush interval (at most a second by default); only whole
// rows ever reach w. Observe allocates nothing once the buffer has grown.
//
// The rows are those of History.WriteCSV: a file streamed to the end is
// the same, byte for byte, as one written from the history afterwards.
type CSVStreamer struct {
	mu   sync.Mutex
	w    io.Writer
	buf  []byte
	err  error
	stop chan struct{}
	done chan struct{}
}

// DefaultFlushInterval is how often a CSVStreamer writes what it holds.
const DefaultFlushInterval = time.Second

// csvBufferSize is the size at which Observe writes the buffer itself.
const csvBufferSize = 64 << 10

// NewCSVStreamer returns a streamer writing to w, with the given header
// (History.CSVHeader), flushing every interval (DefaultFlushInterval when
// it is 0). Call Close when the fit ends.
func NewCSVStreamer(w io.Writer, header []string, interval time.Duration) *CSVStreamer {
	if interval <= 0 {
		interval = DefaultFlushInterval
	}
	c := &CSVStreamer{w: w, buf: make([]byte, 0, csvBufferSize+512), stop: make(chan struct{}), done: make(chan struct{})}
	for i, name := range header {
		if i > 0 {
			c.buf = append(c.buf, ',')
		}
		c.buf = append(c.buf, name...)
	}
	c.buf = append(c.buf, '\n')
	c.flushLocked()
	go c.loop(interval)
	return c
}

func (c *CSVStreamer) loop(interval time.Duration) {
	defer close(c.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			c.Flush()
		}
	}
}

// WriteHistory streams rows already computed: those of a checkpoint a fit
// resumes from.
func (c *CSVStreamer) WriteHistory(h *History) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for r := range h.Loss {
		c.buf = AppendCSVRow(c.buf, r, h.Loss[r], h.Row(r))
		if len(c.buf) >= csvBufferSize {
			c.flushLocked()
		}
	}
}

// Observe implements Observer.
func (c *CSVStreamer) Observe(ev *Event) {
	c.mu.Lock()
	c.buf = AppendCSVRow(c.buf, ev.Epoch, ev.Loss, ev.Theta)
	if len(c.buf) >= csvBufferSize {
		c.flushLocked()
	}
	c.mu.Unlock()
}

// Flush writes the rows held so far and returns the first write error.
func (c *CSVStreamer) Flush() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.flushLocked()
	return c.err
}

func (c *CSVStreamer) flushLocked() {
	if len(c.buf) == 0 || c.err != nil {
		c.buf = c.buf[:0]
		return
	}
	_, c.err = c.w.Write(c.buf)
	c.buf = c.buf[:0]
}

// Close stops the background flushing, writes what remains and returns the
// first write error. It does not close w.
func (c *CSVStreamer) Close() error {
	close(c.stop)
	<-c.done
	return c.Flush()
}
