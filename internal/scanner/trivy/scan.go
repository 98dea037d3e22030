package trivy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"unicode/utf8"

	"github.com/cvetrail/cvetrail/internal/jsonword"
)

// scanner is a streaming, validating JSON tokenizer. It accepts exactly the
// JSON texts that jsontext accepts with duplicate names allowed (RFC 8259
// with valid UTF-8 and no lone surrogates, nested at most 10000 deep),
// which the fuzz test checks. It exists because reading Trivy reports is
// dominated by skipping long strings (descriptions, references) and
// indentation, which it does eight bytes at a time, with one read buffer
// and no per-token allocation.
//
// Slices it returns are valid until the next call.
type scanner struct {
	r     io.Reader
	buf   []byte
	pos   int   // next unread byte of buf
	off   int64 // input offset of buf[0]
	pin   int   // when >= 0, fill keeps buf[pin:], for capture
	rerr  error // the error that ended reading: io.EOF, a *nulError, or a read error
	empty int   // consecutive reads that returned nothing

	depth   int    // open objects and arrays
	stack   []byte // open containers of skipContainer
	scratch []byte // unescaped strings
}

// The read buffer starts at firstBuf bytes, so that small inputs cost
// little, and grows to readSize, the size of reads from large inputs, and
// beyond when a single token needs more.
const (
	firstBuf = 4 << 10
	readSize = 64 << 10
)

// newScanner returns a scanner reading r. It skips a UTF-8 byte order mark
// and refuses UTF-16 and UTF-32 text with a message saying so.
func newScanner(r io.Reader) (*scanner, error) {
	s := &scanner{r: r, buf: make([]byte, 0, firstBuf), pin: -1}
	// Look at the first bytes before fill cuts them at a NUL.
	n, err := io.ReadAtLeast(r, s.buf[:4], 4)
	head := s.buf[:n]
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		s.rerr = io.EOF
	case err != nil:
		return nil, fmt.Errorf("reading the report: %w", err)
	}
	switch {
	case bytes.HasPrefix(head, []byte{0, 0, 0xFE, 0xFF}), bytes.HasPrefix(head, []byte{0xFF, 0xFE, 0, 0}):
		return nil, errAt(0, "the report is UTF-32 text: convert it to UTF-8")
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}),
		len(head) >= 2 && (head[0] == 0) != (head[1] == 0):
		return nil, errAt(0, "the report is UTF-16 text (as written by Windows PowerShell's \">\"): convert it to UTF-8")
	}
	s.buf = head
	if i := bytes.IndexByte(head, 0); i >= 0 {
		s.buf = head[:i]
		s.rerr = &nulError{offset: int64(i)}
	}
	if bytes.HasPrefix(s.buf, []byte{0xEF, 0xBB, 0xBF}) {
		s.pos = 3 // a UTF-8 byte order mark, as PowerShell writes
	}
	return s, nil
}

// newBytesScanner returns a scanner reading b, whose first byte is at
// input offset off.
func newBytesScanner(b []byte, off int64) *scanner {
	return &scanner{buf: b, off: off, pin: -1, rerr: io.EOF}
}

// fill reads until at least n bytes follow pos, or reading ends. It
// reports whether n bytes are available.
func (s *scanner) fill(n int) bool {
	for len(s.buf)-s.pos < n {
		if s.rerr != nil {
			return false
		}
		keep := s.pos
		if s.pin >= 0 {
			keep = s.pin
		}
		if keep > 0 && keep >= len(s.buf)/2 || cap(s.buf)-len(s.buf) < cap(s.buf)/4 {
			// Move the bytes still needed to the front, growing the buffer
			// up to the read size, and beyond when they would fill more
			// than half of it.
			need := len(s.buf) - keep
			want := s.pos - keep + n
			size := cap(s.buf)
			if size < readSize {
				size *= 2
			}
			for size-need < size/2 || size < want+size/4 {
				size *= 2
			}
			nb := s.buf[:0]
			if size != cap(s.buf) {
				nb = make([]byte, 0, size)
			}
			nb = append(nb, s.buf[keep:]...)
			s.buf = nb
			s.off += int64(keep)
			s.pos -= keep
			if s.pin >= 0 {
				s.pin -= keep
			}
		}
		m, err := s.r.Read(s.buf[len(s.buf):cap(s.buf)])
		if m < 0 || m > cap(s.buf)-len(s.buf) {
			s.rerr = errors.New("invalid read count")
			return false
		}
		got := s.buf[len(s.buf) : len(s.buf)+m]
		if i := bytes.IndexByte(got, 0); i >= 0 {
			s.buf = s.buf[:len(s.buf)+i]
			s.rerr = &nulError{offset: s.off + int64(len(s.buf))}
			break
		}
		s.buf = s.buf[:len(s.buf)+m]
		switch {
		case err != nil:
			s.rerr = err
		case m > 0:
			s.empty = 0
		default:
			if s.empty++; s.empty >= 100 {
				s.rerr = io.ErrNoProgress
			}
		}
	}
	return len(s.buf)-s.pos >= n
}

// offset returns the input offset of the next unread byte.
func (s *scanner) offset() int64 { return s.off + int64(s.pos) }

// syntaxError is the Err of an *Error about malformed JSON.
type syntaxError struct{ msg string }

func (e *syntaxError) Error() string { return e.msg }

func (s *scanner) syntaxErr(off int64, format string, args ...any) error {
	return &Error{ByteOffset: off, Err: &syntaxError{msg: fmt.Sprintf(format, args...)}}
}

// endErr explains why the input ended at the current position, inside
// what.
func (s *scanner) endErr(inside string) error {
	var ne *nulError
	switch {
	case errors.As(s.rerr, &ne):
		return &Error{ByteOffset: ne.offset, Err: &syntaxError{msg: "NUL byte: this is not a JSON text file (binary data, or UTF-16/UTF-32 text?)"}}
	case s.rerr == io.EOF || s.rerr == nil:
		return s.syntaxErr(s.off+int64(len(s.buf)), "truncated JSON: the input ends inside %s", inside)
	}
	return fmt.Errorf("reading the report: %w", s.rerr)
}

// charErr reports an unexpected character at the current position.
func (s *scanner) charErr(where string) error {
	c := s.buf[s.pos]
	q := fmt.Sprintf("%q", c)
	if c >= 0x80 {
		r, _ := utf8.DecodeRune(s.buf[s.pos:])
		q = fmt.Sprintf("%q", r)
	}
	return s.syntaxErr(s.offset(), "invalid JSON: unexpected character %s %s", q, where)
}

// peek skips whitespace and returns the next byte, or 0 at the end of the
// input.
func (s *scanner) peek() byte {
	if s.pos < len(s.buf) {
		if c := s.buf[s.pos]; c > ' ' {
			return c
		}
	}
	return s.peekSlow()
}

func (s *scanner) peekSlow() byte {
	const spaces = 0x2020202020202020
	// Indented JSON: a line break, or not, then spaces, then the token,
	// all in the buffer. Anything else goes the general way.
	if b, i := s.buf, s.pos; i+9 <= len(b) {
		if b[i] == '\n' {
			i++
		}
		x := binary.LittleEndian.Uint64(b[i:]) ^ spaces
		for x == 0 && i+16 <= len(b) {
			i += 8
			x = binary.LittleEndian.Uint64(b[i:]) ^ spaces
		}
		if x != 0 {
			i += bits.TrailingZeros64(x) >> 3
			if c := b[i]; c > ' ' {
				s.pos = i
				return c
			}
		}
	}
	for {
		b := s.buf
		i := s.pos
	scan:
		for i < len(b) {
			switch c := b[i]; c {
			case ' ':
				// Indentation: count the spaces eight at a time.
				if i+8 > len(b) {
					i++
					continue
				}
				for i+8 <= len(b) {
					if x := binary.LittleEndian.Uint64(b[i:]) ^ spaces; x != 0 {
						i += bits.TrailingZeros64(x) >> 3
						continue scan
					}
					i += 8
				}
			case '\n', '\t', '\r':
				i++
			default:
				s.pos = i
				return c
			}
		}
		s.pos = i
		if !s.fill(1) {
			return 0
		}
	}
}

// expect consumes the byte c, which must come next after whitespace.
func (s *scanner) expect(c byte, where, inside string) error {
	switch s.peek() {
	case c:
		s.pos++
		return nil
	case 0:
		return s.endErr(inside)
	}
	return s.charErr(where)
}

// safe marks the bytes that may appear in a string without a closer look:
// printable ASCII other than '"' and '\\'.
var safe = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// str scans the string that starts at pos, validating it, and returns its
// raw content between the quotes, whether that contains escapes, and the
// input offset of the opening quote.
func (s *scanner) str() (raw []byte, escaped bool, start int64, err error) {
	start = s.offset()
	i := 1 // relative to pos
	for {
		b := s.buf[s.pos:]
		for {
			for i+8 <= len(b) {
				if m := jsonword.Special(binary.LittleEndian.Uint64(b[i:])); m != 0 {
					i += bits.TrailingZeros64(m) >> 3
					break
				}
				i += 8
			}
			for i < len(b) && safe[b[i]] {
				i++
			}
			if i >= len(b) {
				break
			}
			c := b[i]
			if c == '"' {
				s.pos += i + 1
				return b[1:i], escaped, start, nil
			}
			if (c == '\\' || c >= 0x80) && len(b)-i < 12 && s.rerr == nil {
				break // a sequence may continue in the next read
			}
			switch {
			case c == '\\':
				n, ok := escapeLen(b[i:])
				if !ok {
					if len(b)-i < 12 && s.rerr != nil && plausibleEscape(b[i:]) {
						return nil, false, start, s.endErr("a string")
					}
					return nil, false, start, s.syntaxErr(s.off+int64(s.pos+i), "invalid JSON: invalid escape sequence %q in string", b[i:i+badEscapeLen(b[i:])])
				}
				escaped = true
				i += n
			case c < 0x20:
				return nil, false, start, s.syntaxErr(s.off+int64(s.pos+i), "invalid JSON: control character %q in string (it must be escaped)", c)
			default:
				r, n := utf8.DecodeRune(b[i:])
				if r == utf8.RuneError && n == 1 {
					if !utf8.FullRune(b[i:]) && s.rerr != nil {
						return nil, false, start, s.endErr("a string")
					}
					return nil, false, start, s.syntaxErr(s.off+int64(s.pos+i), "invalid JSON: invalid UTF-8 in string")
				}
				i += n
			}
		}
		if !s.fill(i + 12) {
			if len(s.buf)-s.pos <= i {
				return nil, false, start, s.endErr("a string")
			}
		}
	}
}

// escapeLen returns the length of the valid escape sequence at the start
// of b: 2 for \n and the like, 6 for \uXXXX, 12 for a surrogate pair.
func escapeLen(b []byte) (int, bool) {
	_, n, ok := jsonword.Unescape(b)
	return n, ok
}

// badEscapeLen returns the length of the invalid escape sequence at the
// start of b, up to the first byte that makes it invalid.
func badEscapeLen(b []byte) int {
	n := min(len(b), 2)
	if n < 2 || b[1] != 'u' {
		return n
	}
	hex := func(from int) (int, bool) { // the end of four hex digits
		for j := from; j < from+4; j++ {
			if j >= len(b) {
				return j, false
			}
			if !isHex(b[j]) {
				return j + 1, false
			}
		}
		return from + 4, true
	}
	end, ok := hex(2)
	if !ok {
		return end
	}
	r, _ := jsonword.Hex4(b[2:])
	if r >= 0xDC00 || len(b) < 8 || b[6] != '\\' || b[7] != 'u' {
		return 6 // a low surrogate first, or a high one alone
	}
	end, _ = hex(8)
	return min(end, 12)
}

// plausibleEscape reports whether b could be the start of a valid escape
// sequence cut off by the end of the input.
func plausibleEscape(b []byte) bool {
	if len(b) < 2 {
		return true
	}
	if b[1] != 'u' {
		return false
	}
	for i, c := range b[2:] {
		if i == 4 {
			return c == '\\'
		}
		if !isHex(c) {
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func clipBytes(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// unescape returns the content of a validated string with escapes.
func (s *scanner) unescape(raw []byte) []byte {
	out := s.scratch[:0]
	for len(raw) > 0 {
		i := bytes.IndexByte(raw, '\\')
		if i < 0 {
			out = append(out, raw...)
			break
		}
		out = append(out, raw[:i]...)
		r, n, _ := jsonword.Unescape(raw[i:]) // validated when read
		out = utf8.AppendRune(out, r)
		raw = raw[i+n:]
	}
	s.scratch = out
	return out
}

// number scans the number that starts at pos and returns its text.
func (s *scanner) number() ([]byte, int64, error) {
	start := s.offset()
	i := 0
	for {
		b := s.buf[s.pos:]
		for i < len(b) && isNumByte(b[i]) {
			i++
		}
		if i < len(b) || !s.fill(i+1) {
			break
		}
	}
	b := s.buf[s.pos : s.pos+i]
	if n := numberLen(b); n != len(b) || n == 0 {
		if s.pos+i == len(s.buf) && s.rerr != nil && numberPrefix(b) {
			return nil, start, s.endErr("a number")
		}
		return nil, start, s.syntaxErr(start+int64(n), "invalid JSON: malformed number %q", clipBytes(b, 40))
	}
	s.pos += i
	return b, start, nil
}

func isNumByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

// numberLen returns the length of the longest JSON number grammar prefix
// of b when that prefix is complete, else the length of the valid part.
func numberLen(b []byte) int {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return 0
	}
	if i < len(b) && b[i] == '.' {
		j := i + 1
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		if j == i+1 {
			return i
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		j := i + 1
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		k := j
		for k < len(b) && b[k] >= '0' && b[k] <= '9' {
			k++
		}
		if k == j {
			return i
		}
		i = k
	}
	return i
}

// numberPrefix reports whether b can be extended into a JSON number.
func numberPrefix(b []byte) bool {
	digits := func(i int) int {
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i
	}
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i == len(b):
		return true
	case b[i] == '0':
		i++
	case b[i] >= '1' && b[i] <= '9':
		i = digits(i)
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		if i++; i < len(b) && (b[i] < '0' || b[i] > '9') {
			return false
		}
		i = digits(i)
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		if i++; i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		i = digits(i)
	}
	return i == len(b)
}

// literal scans true, false or null.
func (s *scanner) literal() ([]byte, error) {
	var lit string
	switch s.buf[s.pos] {
	case 't':
		lit = "true"
	case 'f':
		lit = "false"
	default:
		lit = "null"
	}
	ok := s.fill(len(lit))
	b := s.buf[s.pos:min(len(s.buf), s.pos+len(lit))]
	for j := range b {
		if b[j] != lit[j] {
			s.pos += j
			return nil, s.charErr("in a literal (expecting " + lit + ")")
		}
	}
	if !ok {
		return nil, s.endErr("a literal")
	}
	s.pos += len(lit)
	return b, nil
}

// skip skips the value that comes next.
func (s *scanner) skip() error {
	switch c := s.peek(); c {
	case '"':
		_, _, _, err := s.str()
		return err
	case '{', '[':
		return s.skipContainer()
	case 't', 'f', 'n':
		_, err := s.literal()
		return err
	case 0:
		return s.endErr("the report")
	default:
		if c == '-' || c >= '0' && c <= '9' {
			_, _, err := s.number()
			return err
		}
		return s.charErr("at start of value")
	}
}

// skipContainer skips the object or array that starts at pos, without
// recursion.
func (s *scanner) skipContainer() error {
	const (
		afterOpen = iota
		wantValue
		afterValue
	)
	stack := append(s.stack[:0], s.buf[s.pos])
	if err := s.enter(); err != nil {
		return err
	}
	state := afterOpen
	for {
		c := s.peek()
		if c == 0 {
			if stack[len(stack)-1] == '{' {
				return s.endErr("an object")
			}
			return s.endErr("an array")
		}
		top := stack[len(stack)-1]
		closer := byte(']')
		if top == '{' {
			closer = '}'
		}
		switch state {
		case afterOpen, afterValue:
			if c == closer {
				s.leave()
				stack = stack[:len(stack)-1]
				if len(stack) == 0 {
					s.stack = stack
					return nil
				}
				state = afterValue
				continue
			}
			if state == afterValue {
				if c != ',' {
					if top == '{' {
						return s.charErr("after object value (expecting ',' or '}')")
					}
					return s.charErr("after array element (expecting ',' or ']')")
				}
				s.pos++
				if c = s.peek(); c == 0 {
					continue // reported at the top of the loop
				}
			}
			if top == '{' {
				if c != '"' {
					return s.charErr("where an object member name is expected")
				}
				if _, _, _, err := s.str(); err != nil {
					return err
				}
				if err := s.expect(':', "after object member name (expecting ':')", "an object"); err != nil {
					return err
				}
			}
			state = wantValue
		case wantValue:
			switch {
			case c == '{' || c == '[':
				stack = append(stack, c)
				if err := s.enter(); err != nil {
					return err
				}
				state = afterOpen
				continue
			case c == '"':
				if _, _, _, err := s.str(); err != nil {
					return err
				}
			case c == 't' || c == 'f' || c == 'n':
				if _, err := s.literal(); err != nil {
					return err
				}
			case c == '-' || c >= '0' && c <= '9':
				if _, _, err := s.number(); err != nil {
					return err
				}
			default:
				return s.charErr("at start of value")
			}
			state = afterValue
		}
	}
}

// maxDepth is the deepest nesting of objects and arrays accepted, as in
// jsontext.
const maxDepth = 10000

// enter consumes the '{' or '[' at pos.
func (s *scanner) enter() error {
	s.pos++
	if s.depth++; s.depth > maxDepth {
		return s.syntaxErr(s.offset()-1, "invalid JSON: nested deeper than %d levels", maxDepth)
	}
	return nil
}

// leave consumes the '}' or ']' at pos.
func (s *scanner) leave() {
	s.pos++
	s.depth--
}

// capture skips the next value and returns a copy of its text.
func (s *scanner) capture() ([]byte, int64, error) {
	s.peek()
	start := s.offset()
	s.pin = s.pos
	err := s.skip()
	raw := bytes.Clone(s.buf[s.pin:s.pos])
	s.pin = -1
	return raw, start, err
}
