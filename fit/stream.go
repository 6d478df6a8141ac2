package fit

import (
	"io"
	"sync"
	"time"
)

// CSVStreamer is an Observer that writes a fit's history as CSV while the
// fit runs, so that a process killed at any moment leaves a valid CSV of
// every state up to its last flush. Rows are collected in a buffer and
// written whole, when the buffer is full and by a background goroutine
// every flush interval (at most a second by default); only whole rows ever
// reach w. Two buffers take turns, so the fit goes on filling one while
// the other is written. Observe allocates nothing once the buffers have
// grown.
//
// The rows are those of History.WriteCSV: a file streamed to the end is
// the same, byte for byte, as one written from the history afterwards.
type CSVStreamer struct {
	mu  sync.Mutex // guards buf
	buf []byte
	// wmu serializes writes; it guards spare, w and err.
	wmu   sync.Mutex
	spare []byte
	w     io.Writer
	err   error
	stop  chan struct{}
	done  chan struct{}
	// stopTicker stops the ticker of a streamer made by NewCSVStreamer.
	stopTicker func()
	// params selects the parameters written (History.CSVParams).
	params []int
}

// DefaultFlushInterval is how often a CSVStreamer writes what it holds.
const DefaultFlushInterval = time.Second

// csvBufferSize is the size at which Observe has the buffer written.
const csvBufferSize = 64 << 10

// NewCSVStreamer returns a streamer writing to w, with the given header
// (History.CSVHeader), flushing every interval (DefaultFlushInterval when
// it is 0). Call Close when the fit ends.
func NewCSVStreamer(w io.Writer, header []string, interval time.Duration) *CSVStreamer {
	if interval <= 0 {
		interval = DefaultFlushInterval
	}
	t := time.NewTicker(interval)
	return newCSVStreamer(w, header, t.C, t.Stop)
}

// NewCSVStreamerFor is NewCSVStreamer for the rows of h, a fit's own
// history: its header is h.CSVHeader(), and its rows hold the parameters
// h.CSVParams selects, as h.WriteCSV writes them. The rows of a history
// given to WriteHistory get the same selection.
func NewCSVStreamerFor(w io.Writer, h *History, interval time.Duration) *CSVStreamer {
	if interval <= 0 {
		interval = DefaultFlushInterval
	}
	t := time.NewTicker(interval)
	c := newCSVStreamer(w, h.CSVHeader(), t.C, t.Stop)
	c.params = append([]int(nil), h.CSVParams...)
	if h.CSVParams == nil {
		c.params = nil
	}
	return c
}

// NewCSVStreamerTicks is NewCSVStreamer on a clock the caller controls:
// the streamer writes what it holds each time it receives from tick (and,
// as always, when its buffer is full and when it is closed). A receive
// returns once the previous write is done.
func NewCSVStreamerTicks(w io.Writer, header []string, tick <-chan time.Time) *CSVStreamer {
	return newCSVStreamer(w, header, tick, nil)
}

func newCSVStreamer(w io.Writer, header []string, tick <-chan time.Time, stopTicker func()) *CSVStreamer {
	c := &CSVStreamer{stopTicker: stopTicker, w: w, buf: make([]byte, 0, csvBufferSize+512), spare: make([]byte, 0, csvBufferSize+512),
		stop: make(chan struct{}), done: make(chan struct{})}
	for i, name := range header {
		if i > 0 {
			c.buf = append(c.buf, ',')
		}
		c.buf = append(c.buf, name...)
	}
	c.buf = append(c.buf, '\n')
	c.Flush()
	go c.loop(tick)
	return c
}

func (c *CSVStreamer) loop(tick <-chan time.Time) {
	defer close(c.done)
	if c.stopTicker != nil {
		defer c.stopTicker()
	}
	for {
		select {
		case <-c.stop:
			return
		case <-tick:
			c.Flush()
		}
	}
}

// WriteHistory streams rows already computed: those of a checkpoint a fit
// resumes from.
func (c *CSVStreamer) WriteHistory(h *History) {
	for r := range h.Len() {
		c.mu.Lock()
		c.buf = h.appendReport(appendCSVRow(c.buf, c.params, r, h.Loss(r), h.Row(r)), r)
		full := len(c.buf) >= csvBufferSize
		c.mu.Unlock()
		if full {
			c.Flush()
		}
	}
}

// Observe implements Observer.
func (c *CSVStreamer) Observe(ev *Event) {
	c.mu.Lock()
	c.buf = appendColumns(appendCSVRow(c.buf, c.params, ev.Epoch, ev.Loss, ev.Theta), ev.Report)
	full := len(c.buf) >= csvBufferSize
	c.mu.Unlock()
	if full {
		c.Flush()
	}
}

// Flush writes the rows held so far and returns the first write error.
func (c *CSVStreamer) Flush() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.mu.Lock()
	c.buf, c.spare = c.spare[:0], c.buf
	c.mu.Unlock()
	if len(c.spare) > 0 && c.err == nil {
		_, c.err = c.w.Write(c.spare)
	}
	c.spare = c.spare[:0]
	return c.err
}

// Close stops the background flushing, writes what remains and returns the
// first write error. It does not close w.
func (c *CSVStreamer) Close() error {
	close(c.stop)
	<-c.done
	return c.Flush()
}
