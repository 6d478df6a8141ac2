package cli

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/spec"
)

// terminal is the observer that shows a fit to a person: a progress bar on
// stderr when it is a terminal, and the parameters ten times during the
// fit, on the notebook's schedule (after steps 11, 111, ..., 911 of 1000).
type terminal struct {
	w        io.Writer
	bar      *progressbar.ProgressBar
	last     time.Time
	epochs   int
	every    int
	offset   int
	names    []string
	lossName string
	notebook bool
}

func newTerminal(ios *IOStreams, w io.Writer, b *spec.Built, o runOptions) *terminal {
	t := &terminal{w: w, epochs: b.Epochs, notebook: o.Notebook, lossName: b.Divergence().Name()}
	t.every = max(b.Epochs/10, 1)
	t.offset = 10 % t.every
	if b.MonteCarlo != nil {
		t.names = b.MonteCarlo.Names()
	} else {
		for _, p := range b.Problem.Family.Params() {
			t.names = append(t.names, p.Name)
		}
	}
	if ios.ErrTTY && !o.Quiet && b.Epochs > 0 {
		t.bar = progressbar.NewOptions(b.Epochs,
			progressbar.OptionSetWriter(ios.ErrOut),
			progressbar.OptionSetDescription("fitting"),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("it"),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionSetWidth(30),
		)
	}
	return t
}

// Observe implements fit.Observer.
func (t *terminal) Observe(ev *fit.Event) {
	if ev.Epoch >= 1 && (ev.Epoch-1)%t.every == t.offset {
		if t.bar != nil {
			t.bar.Clear()
		}
		fmt.Fprintln(t.w, t.line(ev))
	}
	if t.bar == nil {
		return
	}
	if now := time.Now(); now.Sub(t.last) >= 100*time.Millisecond || ev.Epoch == t.epochs {
		t.last = now
		t.bar.Describe(fmt.Sprintf("%s %.6g", t.lossName, ev.Loss))
		t.bar.Set(ev.Epoch)
	}
}

func (t *terminal) line(ev *fit.Event) string {
	if t.notebook {
		parts := make([]string, len(ev.Theta))
		for i, v := range ev.Theta {
			parts[i] = pyFloat(v)
		}
		return strings.Join(parts, " ")
	}
	return fmt.Sprintf("epoch %d: %s=%s, %s", ev.Epoch, t.lossName, pyFloat(ev.Loss), formatParams(t.names, ev.Theta))
}

// finish removes the progress bar.
func (t *terminal) finish() {
	if t.bar != nil {
		t.bar.Clear()
	}
}
