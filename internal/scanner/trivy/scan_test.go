package trivy

import (
	"testing"
)

func TestBadEscapeLen(t *testing.T) {
	for in, want := range map[string]int{
		`\q`: 2, `\`: 1, `\u12x4`: 5, `\u`: 2, `\u12`: 4, `\udc00`: 6, `\ud800`: 6, `\ud800x`: 6,
		`\ud800\u12`: 10, `\ud800\uzzzz`: 9, `\ud800\u0041`: 12, `\ud800\ud800"}`: 12,
	} {
		if got := badEscapeLen([]byte(in)); got != want {
			t.Errorf("badEscapeLen(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestNumberGrammar(t *testing.T) {
	for in, want := range map[string]struct {
		n      int
		prefix bool
	}{
		"0": {1, true}, "-0": {2, true}, "12.5e-3": {7, true}, "1E+9": {4, true}, "-": {0, true},
		"01": {1, false}, "1.": {1, true}, "1.e5": {1, false}, "1e": {1, true}, "1e+": {1, true},
		"--1": {0, false}, "1-2": {1, false}, ".5": {0, false}, "1.5.5": {3, false},
	} {
		if n := numberLen([]byte(in)); n != want.n {
			t.Errorf("numberLen(%q) = %d, want %d", in, n, want.n)
		}
		if p := numberPrefix([]byte(in)); p != want.prefix {
			t.Errorf("numberPrefix(%q) = %v, want %v", in, p, want.prefix)
		}
	}
}
