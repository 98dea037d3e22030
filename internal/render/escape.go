package render

import (
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Everything a scanner or a vulnerability database wrote (titles, package
// names, versions, ids, URLs) is untrusted: it may try to break a table,
// inject HTML or Markdown, ping people, link issues, or smuggle terminal
// escape sequences. The functions here make such text inert for the place
// it is written to.

// zwj is a zero-width joiner, inserted to stop GitHub from turning "@name"
// into a mention and "#123" or "GH-123" into an issue link.
const zwj = "\u200d"

// isInvisibleControl reports whether r is a control or format character
// that must not reach a reader: C0 and C1 controls, DEL, and the Unicode
// bidirectional overrides and isolates that can reorder what is displayed.
func isInvisibleControl(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true
	}
	return r == utf8.RuneError
}

// oneLine replaces every control character, line break and bidi control of
// s with a space, and trims it.
func oneLine(s string) string {
	if !strings.ContainsFunc(s, isInvisibleControl) {
		return strings.TrimSpace(s)
	}
	var b strings.Builder
	for _, r := range s {
		if isInvisibleControl(r) {
			r = ' '
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}

// mdText escapes s as inline Markdown text for GitHub and GitLab, safe in a
// table cell: one line, no HTML, no emphasis, code, links or images, no
// table cell breaks, no mentions and no issue references.
func mdText(s string) string {
	s = oneLine(s)
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		next, _ := utf8.DecodeRuneInString(s[i+n:])
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '\\', '`', '*', '_', '[', ']', '(', ')', '!', '~', '|', '{', '}', '$':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '@':
			b.WriteRune(r)
			if isNameChar(next) {
				b.WriteString(zwj)
			}
		case '#':
			b.WriteRune(r)
			if next >= '0' && next <= '9' {
				b.WriteString(zwj)
			}
		case 'G', 'g':
			b.WriteRune(r)
			if i+n+2 < len(s) && (s[i+n] == 'H' || s[i+n] == 'h') && s[i+n+1] == '-' && s[i+n+2] >= '0' && s[i+n+2] <= '9' {
				b.WriteByte(s[i+n])
				b.WriteString(zwj)
				n++
			}
		default:
			b.WriteRune(r)
		}
		i += n
	}
	return b.String()
}

func isNameChar(r rune) bool {
	return r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

// mdCode renders s as an inline code span, safe in a table cell: nothing in
// a code span is interpreted, so only the cell separator, line breaks and
// the span's own delimiter need care.
func mdCode(s string) string {
	s = strings.ReplaceAll(oneLine(s), "|", `\|`)
	if s == "" {
		return ""
	}
	run, longest := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if s[0] == '`' || s[len(s)-1] == '`' || s[0] == ' ' && s[len(s)-1] == ' ' {
		s = " " + s + " "
	}
	return fence + s + fence
}

// safeURL returns u made safe as a Markdown link destination, or "" when u
// is not an absolute http or https URL.
func safeURL(u string) string {
	u = strings.TrimSpace(u)
	p, err := url.Parse(u)
	if err != nil || p.Host == "" || (!strings.EqualFold(p.Scheme, "https") && !strings.EqualFold(p.Scheme, "http")) {
		return ""
	}
	var b strings.Builder
	for i := 0; i < len(u); i++ {
		c := u[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("<>()[]|`\"'\\*_~{}", c) >= 0 {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// mdLink renders text as a link to u when u is a safe http(s) URL, and as
// plain text otherwise.
func mdLink(text, u string) string {
	if dest := safeURL(u); dest != "" {
		return "[" + mdText(text) + "](" + dest + ")"
	}
	return mdText(text)
}

// fence returns a code fence longer than any run of backticks in s.
func fence(s string) string {
	run, longest := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return strings.Repeat("`", max(3, longest+1))
}

// shellSafe reports whether s can be written unquoted in a POSIX shell.
func shellSafe(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("._-/:+,=@%", c) >= 0) {
			return false
		}
	}
	return s[0] != '-'
}

// shellQuote quotes s as one shell word: bare when it is made of safe
// characters only, in single quotes otherwise, and in ANSI-C quotes ($'…',
// bash, zsh, ksh) when it holds control characters, which a single line
// could not carry.
func shellQuote(s string) string {
	if shellSafe(s) {
		return s
	}
	return shellQuoteAlways(s)
}

// shellQuoteAlways quotes s like shellQuote, but never leaves it bare.
func shellQuoteAlways(s string) string {
	if !strings.ContainsFunc(s, isInvisibleControl) {
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	var b strings.Builder
	b.WriteString("$'")
	for _, r := range s {
		switch {
		case r == '\'' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case isInvisibleControl(r) && r < 0x80:
			b.WriteString(`\x`)
			b.WriteByte("0123456789abcdef"[r>>4])
			b.WriteByte("0123456789abcdef"[r&15])
		case isInvisibleControl(r):
			// Bidi controls and C1 controls: written as \u escapes.
			b.WriteString(`\u`)
			for shift := 12; shift >= 0; shift -= 4 {
				b.WriteByte("0123456789abcdef"[(r>>shift)&15])
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// termText makes s safe for a terminal: one line, no escape sequences, no
// bidi controls, cut to max runes with an ellipsis (max 0: no cut).
func termText(s string, max int) string {
	s = oneLine(s)
	if max > 0 && utf8.RuneCountInString(s) > max {
		r := []rune(s)
		s = string(r[:max-1]) + "…"
	}
	return s
}
