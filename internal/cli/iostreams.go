package cli

import (
	"io"
	"os"

	"golang.org/x/term"
)

// IOStreams holds the command's standard streams and what is known about
// them. Progress indicators appear only when ErrOut is a terminal; machine
// readable output goes to Out alone.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// ErrTTY reports whether ErrOut is a terminal.
	ErrTTY bool
}

// System returns the process's standard streams.
func System() *IOStreams {
	return &IOStreams{
		In:     os.Stdin,
		Out:    os.Stdout,
		ErrOut: os.Stderr,
		ErrTTY: term.IsTerminal(int(os.Stderr.Fd())),
	}
}
