package vulndb

import (
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	ok := func() Vulnerability {
		return Vulnerability{ID: "CVE-2024-0727", Severity: "MEDIUM", Title: "t", Published: time.Unix(0, 0),
			Affected: []Affected{{Ecosystem: Debian, Release: "12", Package: "openssl", Fixed: "1", State: Fixed}}}
	}
	tests := []struct {
		name    string
		edit    func(v *Vulnerability)
		wantErr string
	}{
		{"valid", func(*Vulnerability) {}, ""},
		{"not a CVE", func(v *Vulnerability) { v.ID = "GHSA-xxxx" }, "must be a CVE id"},
		{"bad severity", func(v *Vulnerability) { v.Severity = "Moderate" }, "unknown severity"},
		{"no title", func(v *Vulnerability) { v.Title = "" }, "title"},
		{"no package", func(v *Vulnerability) { v.Affected = nil }, "affects no package"},
		{"debian without release", func(v *Vulnerability) { v.Affected[0].Release = "" }, "without release"},
		{"pypi without GHSA", func(v *Vulnerability) { v.Affected[0].Ecosystem = PyPI }, "needs a GHSA id"},
		{"npm without fix", func(v *Vulnerability) {
			v.GHSA = "GHSA-1"
			v.Affected[0] = Affected{Ecosystem: Npm, Package: "semver", State: NotFixed}
		}, "needs a fixed version"},
		{"fixed without version", func(v *Vulnerability) { v.Affected[0].Fixed = "" }, "does not match"},
		{"version without fixed state", func(v *Vulnerability) { v.Affected[0].State = WontFix }, "does not match"},
		{"unknown ecosystem", func(v *Vulnerability) { v.Affected[0].Ecosystem = "cargo" }, "unknown ecosystem"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := ok()
			tt.edit(&v)
			err := Validate([]Vulnerability{v})
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
	if err := Validate([]Vulnerability{ok(), ok()}); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("duplicate ids: %v", err)
	}
}

func TestSortedDoesNotChangeTheInput(t *testing.T) {
	in := []Vulnerability{{ID: "CVE-2"}, {ID: "CVE-1"}}
	out := Sorted(in)
	if out[0].ID != "CVE-1" || in[0].ID != "CVE-2" {
		t.Fatalf("Sorted = %v, input now %v", out, in)
	}
}
