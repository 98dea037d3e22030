package grype

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/go-json-experiment/json/jsontext"
)

// An Error is a problem at a known byte offset of the input: invalid JSON,
// a value of the wrong type, or a match that lacks what its identity needs.
type Error struct {
	offset int64
	err    error
}

// Error returns the message with its byte offset.
func (e *Error) Error() string {
	return fmt.Sprintf("byte offset %d: %v", e.offset, e.err)
}

// Offset returns the byte offset of the input at which the problem is.
func (e *Error) Offset() int64 { return e.offset }

// Unwrap returns the problem without its position.
func (e *Error) Unwrap() error { return e.err }

// reader wraps a streaming JSON decoder with the few typed reads the parser
// needs. Values are read token by token; nothing but the current token is
// buffered beyond the decoder's window.
type reader struct {
	d    *jsontext.Decoder
	base int64 // bytes before the decoder's input (a byte order mark)
	tmp  []byte
}

// newReader reads r, skipping a UTF-8 byte order mark (PowerShell writes
// one).
func newReader(r io.Reader) (*reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var base int64
	head, err := br.Peek(3)
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("reading report: %w", err)
	}
	if bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}) {
		base = 3
		if _, err := br.Discard(3); err != nil {
			return nil, fmt.Errorf("reading report: %w", err)
		}
	}
	return &reader{d: jsontext.NewDecoder(br, jsontext.AllowDuplicateNames(true)), base: base}, nil
}

// errorf returns an *Error at offset of the decoder's input.
func (p *reader) errorf(offset int64, format string, args ...any) error {
	return &Error{offset: p.base + offset, err: fmt.Errorf(format, args...)}
}

// wrap turns a decoder error into an *Error with its position.
func (p *reader) wrap(err error) error {
	if err == nil {
		return nil
	}
	var se *jsontext.SyntacticError
	if errors.As(err, &se) {
		msg := "invalid JSON"
		if errors.Is(se.Err, io.ErrUnexpectedEOF) {
			msg = "unexpected end of input (truncated file?)"
		} else if se.Err != nil {
			msg = "invalid JSON: " + se.Err.Error()
		}
		if se.JSONPointer != "" {
			msg += " in " + string(se.JSONPointer)
		}
		return &Error{offset: p.base + se.ByteOffset, err: errors.New(msg)}
	}
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return &Error{offset: p.base + p.d.InputOffset(), err: errors.New("unexpected end of input (truncated file?)")}
	}
	return fmt.Errorf("reading report: %w", err)
}

func kindName(k jsontext.Kind) string {
	switch k {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case '0':
		return "a number"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "nothing"
}

func (p *reader) typeError(v jsontext.Value, want string) error {
	off := p.d.InputOffset() - int64(len(v))
	return p.errorf(off, "%s: expected %s, found %s", p.d.StackPointer(), want, kindName(v.Kind()))
}

// nextOffset returns the offset of the next token, past the white space and
// separators before it. It must follow a PeekKind.
func (p *reader) nextOffset() int64 {
	b := p.d.UnreadBuffer()
	n := 0
	for n < len(b) && (b[n] == ' ' || b[n] == '\t' || b[n] == '\n' || b[n] == '\r' || b[n] == ',' || b[n] == ':') {
		n++
	}
	return p.d.InputOffset() + int64(n)
}

// name reads an object member name. The result is valid until the next read.
func (p *reader) name() ([]byte, error) {
	v, err := p.d.ReadValue()
	if err != nil {
		return nil, p.wrap(err)
	}
	return p.unquoteBytes(v), nil
}

func (p *reader) unquoteBytes(v jsontext.Value) []byte {
	if bytes.IndexByte(v, '\\') < 0 {
		return v[1 : len(v)-1]
	}
	b, err := jsontext.AppendUnquote(p.tmp[:0], v)
	if err != nil { // cannot happen: the decoder validated the string
		return v[1 : len(v)-1]
	}
	p.tmp = b
	return b
}

// str reads a string; null reads as "".
func (p *reader) str() (string, error) {
	v, err := p.d.ReadValue()
	if err != nil {
		return "", p.wrap(err)
	}
	switch v.Kind() {
	case '"':
		return string(p.unquoteBytes(v)), nil
	case 'n':
		return "", nil
	}
	return "", p.typeError(v, "a string")
}

// scalar reads a string or a number as text; null reads as "". It is used
// where Grype changed a field's type between versions (schemaVersion).
func (p *reader) scalar() (string, error) {
	v, err := p.d.ReadValue()
	if err != nil {
		return "", p.wrap(err)
	}
	switch v.Kind() {
	case '"':
		return string(p.unquoteBytes(v)), nil
	case '0':
		return string(v), nil
	case 'n':
		return "", nil
	}
	return "", p.typeError(v, "a string or a number")
}

// number reads a number (or a string holding one); null reads as 0.
func (p *reader) number() (float64, error) {
	v, err := p.d.ReadValue()
	if err != nil {
		return 0, p.wrap(err)
	}
	var s []byte
	switch v.Kind() {
	case '0':
		s = v
	case '"':
		s = p.unquoteBytes(v)
	case 'n':
		return 0, nil
	default:
		return 0, p.typeError(v, "a number")
	}
	f, err := strconv.ParseFloat(string(s), 64)
	if err != nil {
		return 0, p.typeError(v, "a number")
	}
	return f, nil
}

// begin reads the start of an object or array of the given kind ('{' or
// '['). ok is false for null, which stands for an absent value.
func (p *reader) begin(kind jsontext.Kind) (ok bool, err error) {
	switch p.d.PeekKind() {
	case kind:
		_, err := p.d.ReadToken()
		return err == nil, p.wrap(err)
	case 'n':
		_, err := p.d.ReadValue()
		return false, p.wrap(err)
	}
	v, err := p.d.ReadValue()
	if err != nil {
		return false, p.wrap(err)
	}
	return false, p.typeError(v, kindName(kind))
}

// more reports whether the current object or array has another member.
func (p *reader) more() bool {
	k := p.d.PeekKind()
	return k != '}' && k != ']' && k != 0
}

// end reads the end of the current object or array.
func (p *reader) end() error {
	_, err := p.d.ReadToken()
	return p.wrap(err)
}

// skip skips the next value.
func (p *reader) skip() error { return p.wrap(p.d.SkipValue()) }

// strings appends the strings of an array (null is empty) to dst.
func (p *reader) strings(dst []string) ([]string, error) {
	ok, err := p.begin('[')
	if !ok || err != nil {
		return dst, err
	}
	for p.more() {
		s, err := p.str()
		if err != nil {
			return dst, err
		}
		dst = append(dst, s)
	}
	return dst, p.end()
}

// object reads an object, calling member for each member name. member must
// consume the value.
func (p *reader) object(member func(name []byte) error) error {
	ok, err := p.begin('{')
	if !ok || err != nil {
		return err
	}
	for p.more() {
		n, err := p.name()
		if err != nil {
			return err
		}
		if err := member(n); err != nil {
			return err
		}
	}
	return p.end()
}

// array reads an array, calling elem for each element. elem must consume
// the element.
func (p *reader) array(elem func() error) error {
	ok, err := p.begin('[')
	if !ok || err != nil {
		return err
	}
	for p.more() {
		if err := elem(); err != nil {
			return err
		}
	}
	return p.end()
}
