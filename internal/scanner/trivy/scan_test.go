package trivy

import (
	"strconv"
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

// TestTenths checks the fast path for scores against strconv.
func TestTenths(t *testing.T) {
	for _, s := range []string{"0", "1", "7", "10", "99", "0.0", "0.1", "7.5", "9.8", "10.0", "4.3", "5.55", "01", "1.", ".5", "-1", "1e1", "100", "3.14"} {
		f, ok := tenths([]byte(s))
		want, err := strconv.ParseFloat(s, 64)
		if ok && (err != nil || f != want) {
			t.Errorf("tenths(%q) = %v, strconv says %v (%v)", s, f, want, err)
		}
	}
	for _, s := range []string{"0", "7", "7.5", "9.8", "10.0", "0.1"} {
		if _, ok := tenths([]byte(s)); !ok {
			t.Errorf("tenths(%q) is not on the fast path", s)
		}
	}
	for n := 0; n <= 999; n++ {
		s := strconv.Itoa(n/10) + "." + strconv.Itoa(n%10)
		f, ok := tenths([]byte(s))
		want, _ := strconv.ParseFloat(s, 64)
		if n/10 < 100 && (!ok || f != want) {
			t.Fatalf("tenths(%q) = %v, %v; want %v", s, f, ok, want)
		}
	}
}
