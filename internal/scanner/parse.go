package scanner

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/cvetrail/cvetrail/internal/report"
	"github.com/cvetrail/cvetrail/internal/scanner/grype"
	"github.com/cvetrail/cvetrail/internal/scanner/trivy"
)

// Options tunes Parse.
type Options struct {
	// Format forces the report format; "" or Auto sniffs it.
	Format Format
	// PkgType is the package-URL type of the findings of a report that does
	// not tell it (Trivy's flat vulnerability list).
	PkgType string
}

// A ParseError is a report that could not be read. Problems at a known
// place carry their byte offset and, from ParseFile, their line and column.
type ParseError struct {
	Path   string // the file; empty for a stream
	Format Format // the format it was read as; empty when it is not a report
	Offset int64  // byte offset of the problem; -1 when unknown
	Line   int    // 1-based line of the problem; 0 when unknown
	Column int    // 1-based column (in characters) of the problem
	Err    error  // the problem
}

// Error renders the error as "path: line L, column C: format report: what".
func (e *ParseError) Error() string {
	var b strings.Builder
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	switch {
	case e.Line > 0:
		fmt.Fprintf(&b, "line %d, column %d: ", e.Line, e.Column)
	case e.Offset >= 0:
		fmt.Fprintf(&b, "byte offset %d: ", e.Offset)
	}
	if e.Format != "" {
		fmt.Fprintf(&b, "%s report: ", e.Format)
	}
	b.WriteString(withoutPosition(e.Err).Error())
	return b.String()
}

// Unwrap returns the underlying error.
func (e *ParseError) Unwrap() error { return e.Err }

type offsetter interface{ Offset() int64 }

// withoutPosition returns the part of err that does not repeat the byte
// offset, for the parsers' errors that carry one.
func withoutPosition(err error) error {
	var o offsetter
	if errors.As(err, &o) {
		if oe, ok := o.(error); ok {
			if inner := errors.Unwrap(oe); inner != nil {
				return inner
			}
		}
	}
	return err
}

func newParseError(f Format, err error) *ParseError {
	pe := &ParseError{Format: f, Offset: -1, Err: err}
	var o offsetter
	if errors.As(err, &o) {
		pe.Offset = o.Offset()
	}
	return pe
}

// Parse reads a Trivy or Grype report from r and returns it normalized.
// The format is sniffed unless opts.Format forces it. On error the report
// is nil and the error is a *ParseError.
//
// When the first SniffWindow bytes do not decide the format, Parse decides
// while streaming the input and then reads it again: by seeking back when r
// is an io.Seeker, else from a temporary copy of what the decision read.
func Parse(r io.Reader, opts Options) (*report.Report, error) {
	f, err := ParseFormat(string(opts.Format))
	if err != nil {
		return nil, &ParseError{Offset: -1, Err: err}
	}
	var start int64 = -1
	if s, ok := r.(io.Seeker); ok {
		if pos, err := s.Seek(0, io.SeekCurrent); err == nil {
			start = pos
		}
	}
	br := bufio.NewReaderSize(r, SniffWindow)
	var src io.Reader = br
	if f == Auto {
		f, err = Sniff(br)
		if errors.Is(err, ErrUndecided) {
			var cleanup func()
			f, src, cleanup, err = decideStreaming(r, br, start)
			defer cleanup()
		}
		if err != nil {
			return nil, newParseError("", err)
		}
	}
	var rep *report.Report
	switch f {
	case Trivy:
		rep, err = trivy.Parse(src, trivy.Options{PkgType: opts.PkgType})
	case Grype:
		rep, err = grype.Parse(src, grype.Options{})
	}
	if err != nil {
		return nil, newParseError(f, err)
	}
	return rep, nil
}

// decideStreaming reads br until the format is known and returns a reader
// of the whole input again.
func decideStreaming(r io.Reader, br *bufio.Reader, start int64) (Format, io.Reader, func(), error) {
	nop := func() {}
	if start >= 0 {
		f, err := decide(jsontext.NewDecoder(br, jsontext.AllowDuplicateNames(true)), true)
		if err != nil {
			return "", nil, nop, err
		}
		if _, err := r.(io.Seeker).Seek(start, io.SeekStart); err != nil {
			return "", nil, nop, fmt.Errorf("rewinding the report: %w", err)
		}
		return f, bufio.NewReaderSize(r, SniffWindow), nop, nil
	}
	spool, err := os.CreateTemp("", "cvetrail-report-*.json")
	if err != nil {
		return "", nil, nop, fmt.Errorf("spooling the report: %w", err)
	}
	cleanup := func() {
		spool.Close()
		os.Remove(spool.Name())
	}
	f, err := decide(jsontext.NewDecoder(io.TeeReader(br, spool), jsontext.AllowDuplicateNames(true)), true)
	if err != nil {
		cleanup()
		return "", nil, nop, err
	}
	if _, err := spool.Seek(0, io.SeekStart); err != nil {
		cleanup()
		return "", nil, nop, fmt.Errorf("spooling the report: %w", err)
	}
	return f, io.MultiReader(spool, br), cleanup, nil
}

// ParseFile opens path and parses it like Parse. On error the message
// starts with path, and a byte offset is turned into a line and column by
// reading the file again up to it.
func ParseFile(path string, opts Options) (*report.Report, error) {
	fh, err := os.Open(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, &ParseError{Path: path, Offset: -1, Err: fmt.Errorf("cannot open: %w", err)}
	}
	defer fh.Close()
	if st, err := fh.Stat(); err == nil && st.IsDir() {
		return nil, &ParseError{Path: path, Offset: -1, Err: errors.New("is a directory, not a report file")}
	}
	rep, err := Parse(fh, opts)
	if err == nil {
		return rep, nil
	}
	pe, ok := err.(*ParseError)
	if !ok {
		pe = newParseError("", err)
	}
	pe.Path = path
	if pe.Offset >= 0 {
		if line, col, err := lineColumn(path, pe.Offset); err == nil {
			pe.Line, pe.Column = line, col
		}
	}
	return nil, pe
}

// lineColumn returns the 1-based line and column (in characters) of a byte
// offset of the file.
func lineColumn(path string, offset int64) (line, col int, err error) {
	fh, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer fh.Close()
	br := bufio.NewReaderSize(io.LimitReader(fh, offset), 64<<10)
	line, col = 1, 1
	for {
		b, err := br.ReadSlice('\n')
		if len(b) > 0 && b[len(b)-1] == '\n' {
			line++
			col = 1
		} else {
			// Count characters by their first bytes, so that a character
			// split between two reads counts once.
			for _, c := range b {
				if !utf8.RuneStart(c) {
					continue
				}
				col++
			}
		}
		if err == io.EOF {
			return line, col, nil
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return 0, 0, err
		}
	}
}
