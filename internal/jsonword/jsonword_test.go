package jsonword

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
)

func special(c byte) bool { return c < 0x20 || c >= 0x80 || c == '"' || c == '\\' }

// FuzzSpecial checks the word test against the byte test: the lowest
// flagged byte is the first special one, and no word with a special byte
// goes unflagged.
func FuzzSpecial(f *testing.F) {
	for _, s := range []string{"abcdefgh", "abc\"defg", "\x00\x00\x00\x00\x00\x00\x00\x00", "\\\\\\\\\\\\\\\\", "é1234567", "\x1f\x20\x21\x7f\x80\xff!!", "abcdefg\x01"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < 8 {
			b = append(b, make([]byte, 8-len(b))...)
		}
		w := b[:8]
		want := -1
		for i, c := range w {
			if special(c) {
				want = i
				break
			}
		}
		m := Special(binary.LittleEndian.Uint64(w))
		switch {
		case want < 0 && m != 0:
			t.Fatalf("%q: flagged %#x, nothing special", w, m)
		case want >= 0 && (m == 0 || firstByte(m) != want):
			t.Fatalf("%q: flagged %#x, want byte %d first", w, m, want)
		}
		if got, wantPlain := Plain(string(b)), plainBytes(b); got != wantPlain {
			t.Fatalf("Plain(%q) = %d, want %d", b, got, wantPlain)
		}
	})
}

func plainBytes(b []byte) int {
	for i, c := range b {
		if special(c) {
			return i
		}
	}
	return len(b)
}

// FuzzUnescape checks Unescape against jsontext: an escape it decodes is
// a valid JSON string on its own and means the character it returns; one
// it refuses is no valid string at any of the lengths an escape has.
func FuzzUnescape(f *testing.F) {
	for _, s := range []string{`\n`, `\"`, `\/`, `\u0041`, `\u00e9`, `\ud83d\ude00`, `\ud83d`, `\ude00`, `\ud83d\u0041`, `\x`, `\u12`, `\uZZZZ`, `\`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, n, ok := Unescape(b)
		if ok {
			var s string
			if err := json.Unmarshal(append(append([]byte{'"'}, b[:n]...), '"'), &s); err != nil || s != string(r) || !jsontext.Value(`"`+string(b[:n])+`"`).IsValid() {
				t.Fatalf("Unescape(%q) = %q, %d; the JSON string reads %q (%v)", b, r, n, s, err)
			}
			return
		}
		for _, k := range []int{2, 6, 12} {
			if k <= len(b) && len(b) > 0 && b[0] == '\\' && bytes.Count(b[:k], []byte{'\\'}) <= 2 &&
				!bytes.ContainsAny(b[1:k], "\"") && jsontext.Value(`"`+string(b[:k])+`"`).IsValid() {
				if _, m, _ := Unescape(b[:k]); m == 0 && isOneEscape(b[:k]) {
					t.Fatalf("Unescape(%q) refused a valid escape of %d bytes", b, k)
				}
			}
		}
	})
}

// isOneEscape reports whether b is exactly one escape sequence: a simple
// one, \uXXXX, or a pair of them.
func isOneEscape(b []byte) bool {
	switch len(b) {
	case 2:
		return b[1] != 'u'
	case 6:
		return b[1] == 'u'
	case 12:
		return b[1] == 'u' && b[6] == '\\' && b[7] == 'u'
	}
	return false
}
