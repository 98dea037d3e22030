package render

import (
	"strings"
	"testing"
)

func TestMDText(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"plain text 1.2.3", "plain text 1.2.3"},
		{"a | b", `a \| b`},
		{"<script>alert(1)</script>", `&lt;script&gt;alert\(1\)&lt;/script&gt;`},
		{"AT&T", "AT&amp;T"},
		{"ping @org/team and @user", "ping @\u200dorg/team and @\u200duser"},
		{"mail a@ b", "mail a@ b"},
		{"see #123 and GH-45 and gh-6", "see #\u200d123 and GH\u200d-45 and gh\u200d-6"},
		{"# not a heading", "# not a heading"},
		{"[x](javascript:alert(1))", `\[x\]\(javascript:alert\(1\)\)`},
		{"![img](https://evil.example/p.png)", `\!\[img\]\(https://evil.example/p.png\)`},
		{"`code` *em* _em_ ~~del~~ $x$", "\\`code\\` \\*em\\* \\_em\\_ \\~\\~del\\~\\~ \\$x\\$"},
		{"line one\nline two\r\n\tend", "line one line two   end"},
		{"esc \x1b[31mred\x1b[0m", "esc  \\[31mred \\[0m"},
		{"bidi \u202eevil", "bidi  evil"},
		{`back\slash`, `back\\slash`},
	} {
		if got := mdText(tt.in); got != tt.want {
			t.Errorf("mdText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMDCode(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"openssl", "`openssl`"},
		{"", ""},
		{"a|b", "`a\\|b`"},
		{"a`b", "``a`b``"},
		{"`x`", "`` `x` ``"},
		{"two\nlines", "`two lines`"},
		{"<b>@org #1</b>", "`<b>@org #1</b>`"},
	} {
		if got := mdCode(tt.in); got != tt.want {
			t.Errorf("mdCode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSafeURL(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"https://nvd.nist.gov/vuln/detail/CVE-2024-0001", "https://nvd.nist.gov/vuln/detail/CVE-2024-0001"},
		{"HTTP://example.com/a", "HTTP://example.com/a"},
		{"javascript:alert(1)", ""},
		{"JavaScript://example.com/%0aalert(1)", ""},
		{"data:text/html,<script>", ""},
		{"//example.com/x", ""},
		{"/relative", ""},
		{"https://", ""},
		{"https://e.example/a b)c](d)<e>|f`g\"h'i\\j", "https://e.example/a%20b%29c%5D%28d%29%3Ce%3E%7Cf%60g%22h%27i%5Cj"},
		{"https://e.example/é", "https://e.example/%C3%A9"},
	} {
		if got := safeURL(tt.in); got != tt.want {
			t.Errorf("safeURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := mdLink("CVE-1", "javascript:alert(1)"); got != "CVE-1" {
		t.Errorf("a javascript: URL became a link: %q", got)
	}
}

func TestShellQuote(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"CVE-2024-0001", "CVE-2024-0001"},
		{"golang.org/x/net", "golang.org/x/net"},
		{"@babel/core", "@babel/core"},
		{"", "''"},
		{"-rf", "'-rf'"},
		{"a b", "'a b'"},
		{"it's", `'it'\''s'`},
		{"$(touch pwned)", "'$(touch pwned)'"},
		{"`id`", "'`id`'"},
		{"a;b&c|d>e<f*g?h[i]", "'a;b&c|d>e<f*g?h[i]'"},
		{"two\nlines", `$'two\x0alines'`},
		{"q'\\\x1b", `$'q\'\\\x1b'`},
		{"bidi\u202e", `$'bidi\u202e'`},
	} {
		if got := shellQuote(tt.in); got != tt.want {
			t.Errorf("shellQuote(%q) = %s, want %s", tt.in, got, tt.want)
		}
		if strings.ContainsAny(shellQuote(tt.in), "\n\r") {
			t.Errorf("shellQuote(%q) spans lines", tt.in)
		}
	}
	if got := shellQuoteAlways("registry/app:1"); got != "'registry/app:1'" {
		t.Errorf("shellQuoteAlways = %s", got)
	}
}

func TestTermText(t *testing.T) {
	for _, tt := range []struct {
		in   string
		max  int
		want string
	}{
		{"plain", 0, "plain"},
		{"\x1b[2J\x1b[31mred\x07", 0, "[2J [31mred"},
		{"a\tb\nc", 0, "a b c"},
		{"\u009b31m csi", 0, "31m csi"},
		{"ünïcödé title", 6, "ünïcö…"},
	} {
		if got := termText(tt.in, tt.max); got != tt.want {
			t.Errorf("termText(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}
