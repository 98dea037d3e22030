package bench

import (
	"io"
	"strconv"
	"unicode/utf8"
)

// jsonWriter writes indented JSON the way Go's json.MarshalIndent(v, "",
// "  ") lays it out, which is how Trivy writes its reports. It buffers,
// counts the bytes written and keeps the first write error.
type jsonWriter struct {
	w     io.Writer
	b     []byte
	n     int64  // bytes handed to w
	first []bool // per open container: nothing written in it yet
	key   bool   // a member name was just written; the value follows it
	err   error
}

func newJSONWriter(w io.Writer) *jsonWriter {
	return &jsonWriter{w: w, b: make([]byte, 0, 256<<10)}
}

// size returns the number of bytes written so far, flushed or not.
func (j *jsonWriter) size() int64 { return j.n + int64(len(j.b)) }

func (j *jsonWriter) flushIfFull() {
	if len(j.b) >= 192<<10 {
		j.flush()
	}
}

func (j *jsonWriter) flush() error {
	if j.err == nil && len(j.b) > 0 {
		var m int
		m, j.err = j.w.Write(j.b)
		j.n += int64(m)
	}
	j.b = j.b[:0]
	return j.err
}

func (j *jsonWriter) newline(depth int) {
	j.b = append(j.b, '\n')
	for range depth {
		j.b = append(j.b, ' ', ' ')
	}
}

// value prepares for a value: the separator and indentation of an array
// element, or nothing after a member name.
func (j *jsonWriter) value() {
	if j.key {
		j.key = false
		return
	}
	if n := len(j.first); n > 0 {
		if !j.first[n-1] {
			j.b = append(j.b, ',')
		}
		j.first[n-1] = false
		j.newline(n)
	}
}

func (j *jsonWriter) open(c byte) {
	j.value()
	j.b = append(j.b, c)
	j.first = append(j.first, true)
}

func (j *jsonWriter) close(c byte) {
	n := len(j.first)
	empty := j.first[n-1]
	j.first = j.first[:n-1]
	if !empty {
		j.newline(n - 1)
	}
	j.b = append(j.b, c)
	j.flushIfFull()
}

func (j *jsonWriter) objOpen()  { j.open('{') }
func (j *jsonWriter) objClose() { j.close('}') }
func (j *jsonWriter) arrOpen()  { j.open('[') }
func (j *jsonWriter) arrClose() { j.close(']') }

// name writes an object member name.
func (j *jsonWriter) name(k string) {
	j.value()
	j.b = appendJSONString(j.b, k)
	j.b = append(j.b, ':', ' ')
	j.key = true
}

func (j *jsonWriter) str(s string) {
	j.value()
	j.b = appendJSONString(j.b, s)
}

func (j *jsonWriter) int(n int) {
	j.value()
	j.b = strconv.AppendInt(j.b, int64(n), 10)
}

// score writes a CVSS score such as 7.5 the way Go encodes float64.
func (j *jsonWriter) score(tenths int) {
	j.value()
	j.b = strconv.AppendFloat(j.b, float64(tenths)/10, 'f', -1, 64)
}

func (j *jsonWriter) boolean(v bool) {
	j.value()
	j.b = strconv.AppendBool(j.b, v)
}

// Convenience for "name": value members.
func (j *jsonWriter) strField(k, v string) { j.name(k); j.str(v) }
func (j *jsonWriter) intField(k string, v int) {
	j.name(k)
	j.int(v)
}

// appendJSONString appends s quoted as Go's encoding/json does by default
// (HTML characters escaped as \u003c, \u003e, \u0026), as Trivy writes.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < utf8.RuneSelf && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
			}
			i++
			start = i
			continue
		}
		// Generated text is valid UTF-8; copy the character.
		_, n := utf8.DecodeRuneInString(s[i:])
		i += n
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
