package trivy

import (
	"fmt"
	"strconv"
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

// nulError ends the scanner's reading at a NUL byte.
type nulError struct{ offset int64 }

func (e *nulError) Error() string { return "NUL byte in input" }

// errAt returns an *Error at offset off.
func errAt(off int64, format string, args ...any) error {
	return &Error{ByteOffset: off, Err: fmt.Errorf(format, args...)}
}
