package trivy

import (
	"encoding/binary"
	"math/bits"
	"strconv"
	"unicode/utf8"
)

// where names the place in the report that a message is about, such as
// `result 2 ("app/package-lock.json"), vulnerability 5`.
type where struct {
	result int    // 1-based index of the result; 0 outside results
	target string // the result's Target, when already read
	kind   string // "vulnerability" or "suppressed finding"
	index  int    // 1-based index of the vulnerability
	id     string // the vulnerability id, when already read
}

func (w *where) String() string {
	var b []byte
	if w.result > 0 {
		b = append(b, "result "...)
		b = strconv.AppendInt(b, int64(w.result), 10)
		if w.target != "" {
			b = append(b, " ("...)
			b = strconv.AppendQuote(b, clip(w.target))
			b = append(b, ')')
		}
	}
	if w.kind != "" {
		if len(b) > 0 {
			b = append(b, ", "...)
		}
		b = append(b, w.kind...)
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(w.index), 10)
		if w.id != "" {
			b = append(b, " ("...)
			b = append(b, clip(w.id)...)
			b = append(b, ')')
		}
	}
	if len(b) == 0 {
		return "report"
	}
	return string(b)
}

// clip shortens s for a message, at a character boundary.
func clip(s string) string {
	if len(s) > 120 {
		n := 117
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		return s[:n] + "..."
	}
	return s
}

// kindName names the kind of JSON value that starts with c.
func kindName(c byte) string {
	switch {
	case c == '"':
		return "a string"
	case c == '-' || c >= '0' && c <= '9':
		return "a number"
	case c == '{':
		return "an object"
	case c == '[':
		return "an array"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == 'n':
		return "null"
	}
	return "something else"
}

// isValueStart reports whether c can start a JSON value.
func isValueStart(c byte) bool {
	switch c {
	case '"', '{', '[', 't', 'f', 'n', '-':
		return true
	}
	return c >= '0' && c <= '9'
}

// typeErr reports a value of the wrong kind, starting with c, at the
// current position. If c starts no JSON value, the error is the syntax
// error.
func (p *parser) typeErr(w *where, field, want string, c byte) error {
	if !isValueStart(c) {
		return p.s.charErr("at start of value")
	}
	if field != "" {
		return errAt(p.s.offset(), "%s: %s: want %s, got %s", w, field, want, kindName(c))
	}
	return errAt(p.s.offset(), "%s: want %s, got %s", w, want, kindName(c))
}

// peek returns the first byte of the next token; at the end of the input
// it returns the error that says why the input ended.
func (p *parser) peek(inside string) (byte, error) {
	c := p.s.peek()
	if c == 0 {
		return 0, p.s.endErr(inside)
	}
	return c, nil
}

// skip skips the next value.
func (p *parser) skip() error { return p.s.skip() }

// open reads the opening delimiter of an object or array, or null. It
// reports whether a delimiter (and not null) was read.
func (p *parser) open(w *where, field string, delim byte) (bool, error) {
	c, err := p.peek("an object")
	if err != nil {
		return false, err
	}
	switch c {
	case delim:
		return true, p.s.enter()
	case 'n':
		_, err := p.s.literal()
		return false, err
	}
	want := "an object"
	if delim == '[' {
		want = "an array"
	}
	return false, p.typeErr(w, field, want, c)
}

// next reads the next object member's name and the colon after it, or the
// closing '}' in which case it returns nil. *first tells whether no member
// was read yet. The name is valid until the next read.
func (p *parser) next(first *bool) ([]byte, error) {
	c, err := p.peek("an object")
	if err != nil {
		return nil, err
	}
	if c == '}' {
		p.s.leave()
		return nil, nil
	}
	if !*first {
		if c != ',' {
			return nil, p.s.charErr("after object value (expecting ',' or '}')")
		}
		p.s.pos++
		if c, err = p.peek("an object"); err != nil {
			return nil, err
		}
	}
	if c != '"' {
		return nil, p.s.charErr("where an object member name is expected")
	}
	*first = false
	raw, escaped, _, err := p.s.str()
	if err != nil {
		return nil, err
	}
	if escaped {
		raw = p.s.unescape(raw)
	}
	if s := p.s; s.pos < len(s.buf) && s.buf[s.pos] == ':' {
		s.pos++
		return nonNil(raw), nil
	}
	// Reading on may move the buffer that raw points into.
	if !escaped {
		p.s.scratch = append(p.s.scratch[:0], raw...)
		raw = p.s.scratch
	}
	if err := p.s.expect(':', "after object member name (expecting ':')", "an object"); err != nil {
		return nil, err
	}
	return nonNil(raw), nil
}

// nonNil returns b, or an empty slice for nil: next returns nil only at
// the end of an object, never for the empty name.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// more reports whether an array has another element, reading the ','
// before it, or the closing ']' when it has none. *first tells whether no
// element was read yet.
func (p *parser) more(first *bool) (bool, error) {
	c, err := p.peek("an array")
	if err != nil {
		return false, err
	}
	if c == ']' {
		p.s.leave()
		return false, nil
	}
	if !*first {
		if c != ',' {
			return false, p.s.charErr("after array element (expecting ',' or ']')")
		}
		p.s.pos++
	}
	*first = false
	return true, nil
}

// bytes reads a string value, or null (ok false). The result is valid
// until the next read.
func (p *parser) bytes(w *where, field string) (b []byte, ok bool, err error) {
	c, err := p.peek("an object")
	if err != nil {
		return nil, false, err
	}
	switch c {
	case '"':
	case 'n':
		_, err := p.s.literal()
		return nil, false, err
	default:
		return nil, false, p.typeErr(w, field, "a string", c)
	}
	raw, escaped, _, err := p.s.str()
	if err != nil {
		return nil, false, err
	}
	if escaped {
		raw = p.s.unescape(raw)
	}
	return raw, true, nil
}

// str reads a string value (or null, as "") into a new string.
func (p *parser) str(w *where, field string) (string, error) {
	b, _, err := p.bytes(w, field)
	if err != nil || len(b) == 0 {
		return "", err
	}
	return string(b), nil
}

// istr reads a string value (or null, as "") and interns it: values that
// repeat across findings, such as package names, versions and sources, are
// stored once.
func (p *parser) istr(w *where, field string) (string, error) {
	b, _, err := p.bytes(w, field)
	if err != nil {
		return "", err
	}
	return p.intern(b), nil
}

// maxInterned is the longest string interned; longer ones rarely repeat.
const maxInterned = 256

func (p *parser) intern(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > maxInterned {
		return string(b)
	}
	if p.recent == nil {
		p.recent = new([1 << recentBits]string)
	}
	slot := &p.recent[recentSlot(b)]
	if *slot == string(b) {
		return *slot
	}
	s, ok := p.strs[string(b)]
	if !ok {
		s = string(b)
		p.strs[s] = s
	}
	*slot = s
	return s
}

// recentBits is the log2 of the number of strings interned recently that
// a parser finds without a map lookup: package names, versions, severities
// and CVSS vectors repeat from one vulnerability to the next.
const recentBits = 12

// recentSlot picks the slot of b among the recent strings, from its length
// and a few of its bytes.
func recentSlot(b []byte) uint32 {
	n := len(b)
	var x uint64
	if n >= 8 {
		x = binary.LittleEndian.Uint64(b) ^ bits.RotateLeft64(binary.LittleEndian.Uint64(b[n-8:]), 29) ^ uint64(b[n/2])<<53
	} else {
		for _, c := range b {
			x = x<<8 | uint64(c)
		}
	}
	x = (x ^ uint64(n)) * 0x9E3779B97F4A7C15
	return uint32(x >> (64 - recentBits))
}

// tenths reads the numbers CVSS scores are written as, "7", "7.5" and
// "10.0", without strconv: n/10 is the double nearest to the decimal, as
// ParseFloat gives, since both are exact and division rounds correctly.
func tenths(b []byte) (float64, bool) {
	n, i := 0, 0
	for ; i < len(b) && i < 2 && b[i] >= '0' && b[i] <= '9'; i++ {
		n = n*10 + int(b[i]-'0')
	}
	switch {
	case i == 0 || b[0] == '0' && i > 1:
		return 0, false
	case i == len(b):
		return float64(n), true
	case i+2 == len(b) && b[i] == '.' && b[i+1] >= '0' && b[i+1] <= '9':
		return float64(n*10+int(b[i+1]-'0')) / 10, true
	}
	return 0, false
}

// number reads a number value, or null (ok false).
func (p *parser) number(w *where, field string) (f float64, ok bool, err error) {
	c, err := p.peek("an object")
	if err != nil {
		return 0, false, err
	}
	switch {
	case c == '-' || c >= '0' && c <= '9':
	case c == 'n':
		_, err := p.s.literal()
		return 0, false, err
	default:
		return 0, false, p.typeErr(w, field, "a number", c)
	}
	b, off, err := p.s.number()
	if err != nil {
		return 0, false, err
	}
	if f, ok := tenths(b); ok {
		return f, true, nil
	}
	f, err = strconv.ParseFloat(string(b), 64)
	if err != nil {
		return 0, false, errAt(off, "%s: %s: number %s is out of range", w, field, clipBytes(b, 40))
	}
	return f, true, nil
}
