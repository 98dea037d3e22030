// Package jsonword holds the word-at-a-time byte test that cvetrail's
// hand-written JSON readers and writers share: finding, eight bytes at a
// time, where a JSON string needs a closer look.
package jsonword

import "math/bits"

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
