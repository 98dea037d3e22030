package ledger

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxSlug is the longest slug, in bytes. With the ".jsonl" extension and
// the temporary-file prefix the name stays far below the 255-byte limit of
// common filesystems.
const MaxSlug = 120

// hashLen is the number of hex digits of the SHA-256 of the reference that
// end a slug whose readable part differs from the reference.
const hashLen = 8

// Slug derives the file name stem of an image's ledger from its reference.
//
// A reference that is already a tidy file name is its own slug: only
// lower-case letters, digits, '.', '_' and '-'; starting and ending with a
// letter or digit; no ".." or "__"; not a Windows device name such as "con"
// or "nul"; at most MaxSlug bytes; not ending in something that looks like
// a hash suffix. Any other reference is mapped to a readable stem
// (lower-cased, every other character or run of them replaced by '_',
// leading and trailing punctuation dropped, a '_' after a device name,
// capped in length) followed by "-" and 8 hex digits of the SHA-256 of the
// exact reference:
//
//	"registry.example.com/team/app:1.2" -> "registry.example.com_team_app_1.2-<8 hex>"
//
// So a slug never names a path outside its directory, never starts with a
// dot or a dash, and two references get the same slug only if they are
// equal or, for two references that both need a suffix and share a stem,
// their hashes collide in 32 bits; Store detects that case rather than mix
// two images in one file.
//
// Empty references, references with surrounding white space, control
// characters or invalid UTF-8 are errors.
func Slug(image string) (string, error) {
	if err := checkImage(image); err != nil {
		return "", err
	}
	stem := sanitize(image)
	if stem == image && len(stem) <= MaxSlug && isAlnum(stem[len(stem)-1]) && !hasHashSuffix(stem) {
		return stem, nil
	}
	sum := sha256.Sum256([]byte(image))
	max := MaxSlug - 1 - hashLen
	if len(stem) > max {
		stem = strings.TrimRight(stem[:max], "._-")
	}
	return stem + "-" + hex.EncodeToString(sum[:])[:hashLen], nil
}

// Path returns the repository-relative path of an image's ledger,
// "cvetrail/<slug>.jsonl".
func Path(image string) (string, error) {
	s, err := Slug(image)
	if err != nil {
		return "", err
	}
	return path.Join(Dir, s+Ext), nil
}

func checkImage(image string) error {
	switch {
	case strings.TrimSpace(image) == "":
		return errors.New("empty image reference")
	case !utf8.ValidString(image):
		return fmt.Errorf("image reference %s is not valid UTF-8", quoteShort(image))
	}
	for _, r := range image {
		if unicode.IsControl(r) {
			return fmt.Errorf("image reference %s contains the control character %U", quoteShort(image), r)
		}
	}
	first, _ := utf8.DecodeRuneInString(image)
	last, _ := utf8.DecodeLastRuneInString(image)
	if unicode.IsSpace(first) || unicode.IsSpace(last) {
		return fmt.Errorf("image reference %s has leading or trailing white space", quoteShort(image))
	}
	return nil
}

// sanitize maps image to the readable stem of its slug: it always starts
// and ends with [a-z0-9] and holds only [a-z0-9._-], without ".." or "__".
func sanitize(image string) string {
	b := make([]byte, 0, len(image))
	var last byte
	for _, r := range image {
		var c byte
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9', r == '.', r == '-':
			c = byte(r)
		case 'A' <= r && r <= 'Z':
			c = byte(r - 'A' + 'a')
		default:
			c = '_'
		}
		if c == '.' && last == '.' {
			c = '_'
		}
		if c == '_' && last == '_' {
			continue
		}
		b = append(b, c)
		last = c
	}
	s := strings.Trim(string(b), "._-")
	if s == "" {
		s = "image"
	}
	// Windows refuses "con", "nul", … as the part of a file name before its
	// first dot, whatever follows.
	if first, _, _ := strings.Cut(s, "."); windowsReserved(first) {
		s = first + "_" + s[len(first):]
	}
	return s
}

func isAlnum(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }

func windowsReserved(name string) bool {
	switch name {
	case "con", "prn", "aux", "nul":
		return true
	}
	if len(name) == 4 && (strings.HasPrefix(name, "com") || strings.HasPrefix(name, "lpt")) {
		return '0' <= name[3] && name[3] <= '9'
	}
	return false
}

// hasHashSuffix reports whether s ends like a suffixed slug, "-" and
// hashLen lower-case hex digits. Such a reference always gets a suffix of
// its own, so a reference can never equal another one's suffixed slug.
func hasHashSuffix(s string) bool {
	if len(s) < hashLen+1 || s[len(s)-hashLen-1] != '-' {
		return false
	}
	for _, c := range []byte(s[len(s)-hashLen:]) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// quoteShort quotes s for an error message, cut to a readable length.
func quoteShort(s string) string {
	const max = 80
	if len(s) <= max {
		return fmt.Sprintf("%q", s)
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%q… (%d bytes)", s[:cut], len(s))
}
