package jsonword

import (
	"encoding/binary"
	"testing"
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
