package target

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Progress is told how far the reading of a data file has got: done bytes
// of total (total is 0 when unknown, as for a pipe). It is called about
// every megabyte and once at the end.
type Progress func(path string, done, total int64)

// FileError is a problem with a data file, naming the file and, when it is
// about one record, its line.
type FileError struct {
	Path string
	Line int
	Msg  string
	Err  error
}

func (e *FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s line %d: %s", e.Path, e.Line, e.Msg)
	}
	return e.Path + ": " + e.Msg
}

// Unwrap returns the underlying error.
func (e *FileError) Unwrap() error { return e.Err }

// csvSource reads the numeric columns of a CSV file (or of a file with one
// number per line), record by record, without keeping the records.
type csvSource struct {
	path string
	// want names the columns wanted, in order, when the file has a header;
	// without a header they are taken by position.
	want []string
	// skipInvalid skips records with a field that is not a number instead
	// of stopping at the first.
	skipInvalid bool
	progress    Progress
	// byName: want[0] is a column the user named, which needs a header
	// unless the file has a single column.
	byName bool
	// anyColumn: no column was named; a file with a single column is
	// read whatever its header says.
	anyColumn bool

	headerColumns []int

	skipped     int
	firstBad    int
	firstBadMsg string
	records     int
}

type countingReader struct {
	r        io.Reader
	n, next  int64
	total    int64
	path     string
	progress Progress
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.progress != nil && c.n >= c.next {
		c.progress(c.path, c.n, c.total)
		c.next = c.n + 1<<20
	}
	return n, err
}

// each opens the file and calls fn with the wanted fields of every data
// record and its line. fn's error stops the reading and is returned as is.
func (s *csvSource) each(fn func(line int, v []float64) error) error {
	f, err := os.Open(s.path)
	if err != nil {
		return &FileError{Path: s.path, Msg: "cannot open: " + unwrapPathError(err), Err: err}
	}
	defer f.Close()
	var total int64
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		total = st.Size()
	}
	cr := &countingReader{r: f, total: total, path: s.path, progress: s.progress}
	return s.read(cr, fn)
}

func unwrapPathError(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func (s *csvSource) read(r io.Reader, fn func(line int, v []float64) error) error {
	br := bufio.NewReaderSize(r, 1<<16)
	if head, _ := br.Peek(3); bytes.Equal(head, []byte{0xEF, 0xBB, 0xBF}) {
		br.Discard(3) // a UTF-8 byte order mark
	}
	cr := csv.NewReader(br)
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = true
	cr.Comment = '#'
	cols := []int(nil)
	vals := make([]float64, len(s.want))
	first := true
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				msg := pe.Err.Error()
				if errors.Is(pe.Err, csv.ErrFieldCount) {
					msg = fmt.Sprintf("has %d fields, the first record had a different number", len(rec))
				}
				if s.skipInvalid && errors.Is(pe.Err, csv.ErrFieldCount) {
					s.skip(pe.Line, msg)
					continue
				}
				return &FileError{Path: s.path, Line: pe.Line, Msg: msg, Err: err}
			}
			return &FileError{Path: s.path, Msg: "reading: " + err.Error(), Err: err}
		}
		for _, field := range rec {
			if !utf8.ValidString(field) {
				return &FileError{Path: s.path, Line: line, Msg: "not UTF-8 text (is this a CSV file?)"}
			}
		}
		if first {
			first = false
			if cols, err = s.columns(rec, line); err != nil {
				return err
			}
			if cols == nil { // a header: the data starts on the next record
				cols = s.headerColumns
				continue
			}
		}
		bad := ""
		for k, c := range cols {
			if c >= len(rec) {
				bad = fmt.Sprintf("has %d fields, fewer than expected", len(rec))
				break
			}
			field := strings.TrimSpace(rec[c])
			v, err := strconv.ParseFloat(field, 64)
			if err != nil {
				bad = fmt.Sprintf("%q is not a number", field)
				if len(cols) > 1 || len(rec) > 1 {
					bad = fmt.Sprintf("column %s: %s", s.colName(k), bad)
				}
				break
			}
			vals[k] = v
		}
		if bad != "" {
			if s.skipInvalid {
				s.skip(line, bad)
				continue
			}
			return &FileError{Path: s.path, Line: line, Msg: bad + " (skip_invalid: true skips such lines)"}
		}
		s.records++
		if err := fn(line, vals); err != nil {
			return err
		}
	}
	if cr, ok := r.(*countingReader); ok && cr.progress != nil {
		cr.progress(cr.path, cr.n, cr.total)
	}
	if first {
		return &FileError{Path: s.path, Msg: "the file is empty"}
	}
	if s.records == 0 {
		msg := "the file has no numeric data"
		if s.skipped > 0 {
			msg += fmt.Sprintf(" (%d lines skipped as invalid, the first at line %d: %s)", s.skipped, s.firstBad, s.firstBadMsg)
		}
		return &FileError{Path: s.path, Msg: msg}
	}
	return nil
}

func (s *csvSource) skip(line int, msg string) {
	if s.skipped == 0 {
		s.firstBad, s.firstBadMsg = line, msg
	}
	s.skipped++
}

func (s *csvSource) colName(k int) string { return s.want[k] }

// columns decides from the first record whether the file has a header.
// It returns the wanted columns' indexes for a headerless file (the first
// record is then data), or nil with s.headerColumns set for a header.
func (s *csvSource) columns(rec []string, line int) ([]int, error) {
	numeric := true
	for _, f := range rec {
		if _, err := strconv.ParseFloat(strings.TrimSpace(f), 64); err != nil {
			numeric = false
			break
		}
	}
	if numeric {
		if len(rec) < len(s.want) {
			return nil, &FileError{Path: s.path, Line: line, Msg: fmt.Sprintf("has %d columns and no header; expected %s", len(rec), strings.Join(s.want, ","))}
		}
		if s.byName && len(rec) != 1 {
			return nil, &FileError{Path: s.path, Line: line, Msg: fmt.Sprintf("has no header, so column %q cannot be found", s.want[0])}
		}
		cols := make([]int, len(s.want))
		for i := range cols {
			cols[i] = i
		}
		return cols, nil
	}
	index := map[string]int{}
	for i, f := range rec {
		index[strings.TrimSpace(f)] = i
	}
	s.headerColumns = make([]int, len(s.want))
	for k, name := range s.want {
		i, ok := index[name]
		switch {
		case ok:
		case s.anyColumn && len(rec) == 1:
			i = 0
		case s.anyColumn:
			return nil, &FileError{Path: s.path, Line: line, Msg: fmt.Sprintf("has columns %s: say which holds the samples with column:", strings.Join(trimAll(rec), ", "))}
		default:
			return nil, &FileError{Path: s.path, Line: line, Msg: fmt.Sprintf("has no column %q (columns: %s)", name, strings.Join(trimAll(rec), ", "))}
		}
		s.headerColumns[k] = i
	}
	return nil, nil
}

func trimAll(rec []string) []string {
	out := make([]string, len(rec))
	for i, f := range rec {
		out[i] = strings.TrimSpace(f)
	}
	return out
}
