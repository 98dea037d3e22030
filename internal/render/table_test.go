package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/cvetrail/cvetrail/internal/diff"
	"github.com/cvetrail/cvetrail/internal/report"
)

// TestTableHeadingOSChange checks the heading of an image whose detected
// OS changed, including to or from none (a scan that found no OS).
func TestTableHeadingOSChange(t *testing.T) {
	deb11 := &report.OS{Family: "debian", Version: "11.6"}
	deb12 := &report.OS{Family: "debian", Version: "12.1"}
	f := fnd("CVE-2024-0001", "deb", "zlib1g", report.High)
	tests := []struct {
		base, head *report.OS
		want       string
	}{
		{deb11, deb12, "app (debian 11.6 → debian 12.1)"},
		{nil, deb12, "app (no OS → debian 12.1)"},
		{deb11, nil, "app (debian 11.6 → no OS)"},
		{deb12, deb12, "app (debian 12.1)"},
		{nil, nil, "app"},
	}
	for _, tt := range tests {
		g := f
		g.Versions = []string{"2.0"} // a change, so the image is listed
		base := map[string]*report.Report{"app": rep("app", tt.base, f)}
		head := map[string]*report.Report{"app": rep("app", tt.head, g)}
		r, err := diff.Compare(base, head, nil, diff.Policy{}, now)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := Table(&b, r, false); err != nil {
			t.Fatal(err)
		}
		if got, _, _ := strings.Cut(b.String(), "\n"); got != tt.want {
			t.Errorf("base %v, head %v: heading %q, want %q", tt.base, tt.head, got, tt.want)
		}
	}
}
