// Package jsonword holds what cvetrail's hand-written JSON readers and
// writers share: finding, eight bytes at a time, where a JSON string needs
// a closer look, and decoding its escape sequences.
package jsonword

import (
	"math/bits"
	"unicode/utf16"
	"unicode/utf8"
)

// Special returns a word with the high bit set in the lowest byte of x (in
// little-endian order) that is '"', '\\', below 0x20 or at or above 0x80,
// and possibly in higher bytes; zero when there is none. In a JSON string,
// every other byte stands for itself.
func Special(x uint64) uint64 {
	const ones = 0x0101010101010101
	const highs = 0x8080808080808080
	lt := (x - ones*0x20) &^ x // bytes below 0x20
	q := x ^ (ones * '"')
	bs := x ^ (ones * '\\')
	return (lt | (q-ones)&^q | (bs-ones)&^bs | x) & highs
}

// Plain returns the length of the run of bytes at the start of s that
// stand for themselves in a JSON string.
func Plain(s string) int {
	i := 0
	for i+8 <= len(s) {
		if m := Special(load(s, i)); m != 0 {
			return i + firstByte(m)
		}
		i += 8
	}
	for i < len(s) {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' {
			return i
		}
		i++
	}
	return i
}

// load returns the eight bytes of s at i as a little-endian word.
func load(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// firstByte returns the index of the lowest byte of m with its high bit
// set; m is not zero.
func firstByte(m uint64) int { return bits.TrailingZeros64(m) >> 3 }

// Unescape decodes the escape sequence at the start of b, which starts
// with a backslash: the character it stands for and its length, 2 for \n
// and the like, 6 for \uXXXX, 12 for a surrogate pair. ok is false for
// anything JSON does not allow, a lone surrogate included.
func Unescape(b []byte) (r rune, n int, ok bool) {
	if len(b) < 2 || b[0] != '\\' {
		return 0, 0, false
	}
	switch c := b[1]; c {
	case '"', '\\', '/':
		return rune(c), 2, true
	case 'b':
		return '\b', 2, true
	case 'f':
		return '\f', 2, true
	case 'n':
		return '\n', 2, true
	case 'r':
		return '\r', 2, true
	case 't':
		return '\t', 2, true
	case 'u':
		r, ok := Hex4(b[2:])
		if !ok {
			return 0, 0, false
		}
		if !utf16.IsSurrogate(r) {
			return r, 6, true
		}
		if len(b) < 12 || b[6] != '\\' || b[7] != 'u' {
			return 0, 0, false
		}
		r2, ok := Hex4(b[8:])
		if !ok {
			return 0, 0, false
		}
		if r = utf16.DecodeRune(r, r2); r == utf8.RuneError {
			return 0, 0, false
		}
		return r, 12, true
	}
	return 0, 0, false
}

// Hex4 reads the four hexadecimal digits at the start of b.
func Hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
