package report

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestNormalizeCutWarningsStayShort checks that the warnings about
// over-long fields name the finding without repeating its over-long id or
// package name, and still say what was cut and by how much.
func TestNormalizeCutWarningsStayShort(t *testing.T) {
	longID := "CVE-" + strings.Repeat("9", 100_000)
	longPkg := strings.Repeat("é", 50_000) // two bytes a character
	r := &Report{Header: Header{Image: "app"}, Findings: []Finding{{
		ID: longID, Type: "deb", Pkg: longPkg, Title: strings.Repeat("A", 2<<20),
	}}}
	r.Normalize()
	want := []string{"id truncated from 100004 to 4096 bytes", "package name truncated from 100000 to 4096 bytes", "title truncated from 2097152 to 512 bytes"}
	if len(r.Warnings) != len(want) {
		t.Fatalf("%d warnings, want %d: %.300q", len(r.Warnings), len(want), r.Warnings)
	}
	for i, w := range r.Warnings {
		if len(w) > 400 {
			t.Errorf("warning %d is %d bytes long: %.200q…", i, len(w), w)
		}
		if !strings.HasSuffix(w, want[i]) {
			t.Errorf("warning %d = %.200q…, want it to end in %q", i, w, want[i])
		}
		if !strings.HasPrefix(w, "CVE-999") || !strings.Contains(w, " in éé") {
			t.Errorf("warning %d = %.200q does not name the finding", i, w)
		}
		if !utf8.ValidString(w) {
			t.Errorf("warning %d is not valid UTF-8", i)
		}
	}
}
