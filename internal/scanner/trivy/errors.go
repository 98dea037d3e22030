package trivy

import (
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/go-json-experiment/json/jsontext"
)

// Error is a problem found at a position of the input, such as malformed
// or truncated JSON or a vulnerability without an id.
type Error struct {
	// ByteOffset is the offset in the input, from its first byte, at which
	// the problem was found.
	ByteOffset int64
	// Err describes the problem, without the position.
	Err error
}

// Error returns the offset and the description.
func (e *Error) Error() string {
	return "offset " + strconv.FormatInt(e.ByteOffset, 10) + ": " + e.Err.Error()
}

// Offset returns the byte offset of the problem, for callers that turn it
// into a line and column.
func (e *Error) Offset() int64 { return e.ByteOffset }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// nulError is returned by input when it meets a NUL byte.
type nulError struct{ offset int64 }

func (e *nulError) Error() string { return "NUL byte in input" }

// errAt returns an *Error at offset off.
func errAt(off int64, format string, args ...any) error {
	return &Error{ByteOffset: off, Err: fmt.Errorf(format, args...)}
}

// wrap turns an error of the JSON decoder into an *Error with a clear
// message, or into a read error.
func (p *parser) wrap(err error) error {
	var ne *nulError
	if errors.As(err, &ne) {
		return &Error{ByteOffset: ne.offset, Err: errors.New("NUL byte: this is not a JSON text file (binary data, or UTF-16/UTF-32 text?)")}
	}
	var se *jsontext.SyntacticError
	if errors.As(err, &se) {
		off := p.base + se.ByteOffset
		where := ""
		if se.JSONPointer != "" {
			where = " inside " + string(se.JSONPointer)
		}
		if errors.Is(se.Err, io.ErrUnexpectedEOF) {
			return &Error{ByteOffset: off, Err: fmt.Errorf("truncated JSON: the input ends%s", where)}
		}
		msg := "invalid JSON"
		if se.Err != nil {
			msg = "invalid JSON: " + se.Err.Error()
		}
		if se.JSONPointer != "" {
			msg += " (at " + string(se.JSONPointer) + ")"
		}
		return &Error{ByteOffset: off, Err: errors.New(msg)}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || err == io.EOF {
		return &Error{ByteOffset: p.base + p.dec.InputOffset(), Err: errors.New("truncated JSON: the input ends early")}
	}
	if u := errors.Unwrap(err); u != nil {
		err = u // jsontext wraps read errors in its own text
	}
	return fmt.Errorf("reading the report: %w", err)
}
