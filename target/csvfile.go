package target

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"
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

// Error implements error.
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
	// fsys is where path is opened; nil means the operating system's
	// files.
	fsys fs.FS
	// ctx, when not nil, stops the reading when it ends.
	ctx context.Context
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
	ctx      context.Context
	r        io.Reader
	n, next  int64
	total    int64
	path     string
	progress Progress
}

func (c *countingReader) Read(p []byte) (int, error) {
	if c.ctx != nil {
		if err := c.ctx.Err(); err != nil {
			return 0, err
		}
	}
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
	f, err := Open(s.fsys, s.path)
	if err != nil {
		return &FileError{Path: s.path, Msg: "cannot open: " + unwrapPathError(err), Err: err}
	}
	defer f.Close()
	var total int64
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		total = st.Size()
	}
	cr := &countingReader{ctx: s.ctx, r: f, total: total, path: s.path, progress: s.progress}
	if err := s.read(cr, fn); err != nil {
		if s.ctx != nil && s.ctx.Err() != nil {
			return fmt.Errorf("reading %s: %w", s.path, s.ctx.Err())
		}
		return err
	}
	return nil
}

// Open opens the data file name from fsys, or from the operating system's
// files when fsys is nil: the one place targets open their files, so that
// a server can offer its uploads, and nothing else, through an fs.FS.
func Open(fsys fs.FS, name string) (fs.File, error) {
	if fsys == nil {
		return os.Open(name)
	}
	return fsys.Open(name)
}

func unwrapPathError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// read parses CSV as encoding/csv does with TrimLeadingSpace and Comment
// '#' (records of equal length, quoted fields, comment and empty lines
// skipped), line by line without allocating: a line without quotes is
// split at its commas in place and its numbers are parsed from the read
// buffer; one with quotes goes through encoding/csv. A quoted field cannot
// span lines (no number needs one).
func (s *csvSource) read(r io.Reader, fn func(line int, v []float64) error) error {
	br := bufio.NewReaderSize(r, 1<<16)
	if head, _ := br.Peek(3); bytes.Equal(head, []byte{0xEF, 0xBB, 0xBF}) {
		br.Discard(3) // a UTF-8 byte order mark
	}
	var cols []int
	vals := make([]float64, len(s.want))
	var fields [][]byte
	var long []byte // a line longer than the reader's buffer
	first := true
	nfields := 0
	for line := 1; ; line++ {
		raw, rerr := br.ReadSlice('\n')
		if rerr == bufio.ErrBufferFull {
			long = append(long[:0], raw...)
			for rerr == bufio.ErrBufferFull {
				if len(long) > maxLine {
					return &FileError{Path: s.path, Line: line, Msg: fmt.Sprintf("the line is longer than %d MiB: not a CSV of numbers (or its lines end in a lone CR, as old Mac files do)", maxLine>>20)}
				}
				raw, rerr = br.ReadSlice('\n')
				long = append(long, raw...)
			}
			raw = long
		}
		if rerr != nil && rerr != io.EOF {
			return &FileError{Path: s.path, Msg: "reading: " + rerr.Error(), Err: rerr}
		}
		text := bytes.TrimSuffix(bytes.TrimSuffix(raw, []byte{'\n'}), []byte{'\r'})
		if len(bytes.TrimSpace(text)) > 0 && text[0] != '#' {
			if !utf8.Valid(text) {
				return &FileError{Path: s.path, Line: line, Msg: "not UTF-8 text (is this a CSV file?)"}
			}
			var err error
			if fields, err = splitCSV(fields[:0], text); err != nil {
				return &FileError{Path: s.path, Line: line, Msg: err.Error(), Err: err}
			}
			if first {
				first, nfields = false, len(fields)
				rec := make([]string, len(fields))
				for i, f := range fields {
					rec[i] = string(f)
				}
				if cols, err = s.columns(rec, line); err != nil {
					return err
				}
				if cols == nil { // a header: the data starts on the next record
					cols = s.headerColumns
					continue
				}
			}
			if err := s.record(line, fields, nfields, cols, vals, fn); err != nil {
				return err
			}
		}
		if rerr == io.EOF {
			break
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

// record parses the wanted fields of one data record and hands them to fn.
func (s *csvSource) record(line int, fields [][]byte, nfields int, cols []int, vals []float64, fn func(int, []float64) error) error {
	bad := ""
	if len(fields) != nfields {
		bad = fmt.Sprintf("has %d fields, the first record had %d", len(fields), nfields)
	}
	for k, c := range cols {
		if bad != "" {
			break
		}
		field := bytes.TrimSpace(fields[c])
		v, ok := parseFloat(field)
		if !ok {
			bad = fmt.Sprintf("%q is not a number", field)
			if len(cols) > 1 || len(fields) > 1 {
				bad = fmt.Sprintf("column %s: %s", s.colName(k), bad)
			}
		}
		vals[k] = v
	}
	if bad != "" {
		if s.skipInvalid {
			s.skip(line, bad)
			return nil
		}
		return &FileError{Path: s.path, Line: line, Msg: bad + " (skip_invalid: true skips such lines)"}
	}
	s.records++
	return fn(line, vals)
}

// maxLine bounds a line's length: a file without newlines would otherwise
// be held whole (a 100 MB line took 795 MB).
const maxLine = 1 << 20

// maxListed bounds the columns an error lists.
const maxListed = 20

// splitCSV appends the fields of one CSV line to dst: split at commas in
// place when the line has no quotes, else parsed by encoding/csv.
func splitCSV(dst [][]byte, text []byte) ([][]byte, error) {
	if bytes.IndexByte(text, '"') < 0 {
		for {
			i := bytes.IndexByte(text, ',')
			if i < 0 {
				return append(dst, text), nil
			}
			dst = append(dst, text[:i])
			text = text[i+1:]
		}
	}
	cr := csv.NewReader(bytes.NewReader(text))
	cr.TrimLeadingSpace = true
	rec, err := cr.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return dst, pe.Err
		}
		return dst, err
	}
	for _, f := range rec {
		dst = append(dst, []byte(f))
	}
	return dst, nil
}

// parseFloat parses b as strconv.ParseFloat does, without copying it.
func parseFloat(b []byte) (float64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	v, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(b), len(b)), 64)
	return v, err == nil
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
			cols := trimAll(rec)
			if len(cols) > maxListed {
				cols = append(cols[:maxListed:maxListed], fmt.Sprintf("... (%d in all)", len(rec)))
			}
			return nil, &FileError{Path: s.path, Line: line, Msg: fmt.Sprintf("has no column %q (columns: %s)", name, strings.Join(cols, ", "))}
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
