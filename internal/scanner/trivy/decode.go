package trivy

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/go-json-experiment/json/jsontext"
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

// clip shortens s for a message.
func clip(s string) string {
	if len(s) > 120 {
		return s[:117] + "..."
	}
	return s
}

// kindName names a JSON kind for messages.
func kindName(k jsontext.Kind) string {
	switch k {
	case '"':
		return "a string"
	case '0':
		return "a number"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "something else"
}

// valueOffset returns the offset of the next value, after whitespace and
// the colon that follows an object name. It must follow a PeekKind.
func (p *parser) valueOffset() int64 {
	buf := p.dec.UnreadBuffer()
	i := 0
	for i < len(buf) && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n' || buf[i] == ':' || buf[i] == ',') {
		i++
	}
	return p.base + p.dec.InputOffset() + int64(i)
}

// typeErr reports a value of the wrong kind.
func (p *parser) typeErr(w *where, field, want string, got jsontext.Kind) error {
	if field != "" {
		return errAt(p.valueOffset(), "%s: %s: want %s, got %s", w, field, want, kindName(got))
	}
	return errAt(p.valueOffset(), "%s: want %s, got %s", w, want, kindName(got))
}

// peek returns the kind of the next value; on a decoding error it returns
// that error.
func (p *parser) peek() (jsontext.Kind, error) {
	k := p.dec.PeekKind()
	if k == jsontext.KindInvalid {
		_, err := p.dec.ReadToken()
		if err == nil {
			return 0, fmt.Errorf("internal error: PeekKind failed but ReadToken did not")
		}
		return 0, p.wrap(err)
	}
	return k, nil
}

// token reads the next token, which is a delimiter or a literal.
func (p *parser) token() (jsontext.Token, error) {
	t, err := p.dec.ReadToken()
	if err != nil {
		return t, p.wrap(err)
	}
	return t, nil
}

// skip skips the next value.
func (p *parser) skip() error {
	if err := p.dec.SkipValue(); err != nil {
		return p.wrap(err)
	}
	return nil
}

// open reads the opening delimiter of an object or array, or null. It
// reports whether a delimiter (and not null) was read.
func (p *parser) open(w *where, field string, delim jsontext.Kind) (bool, error) {
	k, err := p.peek()
	if err != nil {
		return false, err
	}
	switch k {
	case delim:
	case 'n':
		_, err := p.token()
		return false, err
	default:
		want := "an object"
		if delim == '[' {
			want = "an array"
		}
		return false, p.typeErr(w, field, want, k)
	}
	_, err = p.token()
	return err == nil, err
}

// next reads the next object member's name, or the closing '}' in which
// case it returns nil. The name is valid until the next read.
func (p *parser) next() ([]byte, error) {
	k, err := p.peek()
	if err != nil {
		return nil, err
	}
	if k == '}' {
		_, err := p.token()
		return nil, err
	}
	v, err := p.dec.ReadValue()
	if err != nil {
		return nil, p.wrap(err)
	}
	return p.unquote(v)
}

// more reports whether an array has another element, reading its closing
// ']' when it does not.
func (p *parser) more() (bool, error) {
	k, err := p.peek()
	if err != nil {
		return false, err
	}
	if k == ']' {
		_, err := p.token()
		return false, err
	}
	return true, nil
}

// unquote returns the content of the JSON string v, unescaped. The result
// is valid until the next read.
func (p *parser) unquote(v jsontext.Value) ([]byte, error) {
	b := v[1 : len(v)-1]
	if bytes.IndexByte(b, '\\') < 0 {
		return b, nil
	}
	var err error
	p.scratch, err = jsontext.AppendUnquote(p.scratch[:0], v)
	if err != nil {
		return nil, errAt(p.base+p.dec.InputOffset()-int64(len(v)), "invalid JSON string: %v", err)
	}
	return p.scratch, nil
}

// bytes reads a string value, or null (ok false). The result is valid
// until the next read.
func (p *parser) bytes(w *where, field string) (b []byte, ok bool, err error) {
	k, err := p.peek()
	if err != nil {
		return nil, false, err
	}
	switch k {
	case '"':
	case 'n':
		_, err := p.token()
		return nil, false, err
	default:
		return nil, false, p.typeErr(w, field, "a string", k)
	}
	v, err := p.dec.ReadValue()
	if err != nil {
		return nil, false, p.wrap(err)
	}
	b, err = p.unquote(v)
	return b, err == nil, err
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
	if s, ok := p.strs[string(b)]; ok {
		return s
	}
	s := string(b)
	p.strs[s] = s
	return s
}

// number reads a number value, or null (ok false).
func (p *parser) number(w *where, field string) (f float64, ok bool, err error) {
	k, err := p.peek()
	if err != nil {
		return 0, false, err
	}
	switch k {
	case '0':
	case 'n':
		_, err := p.token()
		return 0, false, err
	default:
		return 0, false, p.typeErr(w, field, "a number", k)
	}
	off := p.valueOffset()
	t, err := p.token()
	if err != nil {
		return 0, false, err
	}
	f, err = t.Float()
	if err != nil {
		return 0, false, errAt(off, "%s: %s: %v", w, field, err)
	}
	return f, true, nil
}
