package story

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cvetrail/cvetrail/e2e/internal/vulndb"
)

func TestDaysTellTheStory(t *testing.T) {
	days := Days()
	if len(days) != 5 {
		t.Fatalf("%d days", len(days))
	}
	ids := func(vs []vulndb.Vulnerability) []string {
		var out []string
		for _, v := range vs {
			out = append(out, v.ID)
		}
		slices.Sort(out)
		return out
	}
	for i, d := range days {
		if d.N != i+1 || (i > 0 && !d.Date.After(days[i-1].Date)) {
			t.Errorf("day %d: number or date out of order", i+1)
		}
		if err := vulndb.Validate(d.Vulns); err != nil {
			t.Errorf("day %d: %v", d.N, err)
		}
	}
	if slices.Contains(ids(days[0].Vulns), NewCVE) || !slices.Contains(ids(days[1].Vulns), NewCVE) {
		t.Errorf("%s must appear on day 2, not day 1", NewCVE)
	}
	if !cmp.Equal(days[0].Image, days[1].Image) || cmp.Equal(days[1].Image, days[2].Image) {
		t.Error("days 1 and 2 must scan one image, day 3 another")
	}
	for _, d := range days[3:] {
		if !cmp.Equal(d.Image, days[2].Image) {
			t.Errorf("day %d must scan the day 3 image", d.N)
		}
	}
	if !days[3].CorruptDB || days[4].Scanner != "grype" {
		t.Error("day 4 must have the corrupt database and day 5 use grype")
	}
	if Expectations()[2].Exit != 1 || !slices.Equal(Expectations()[2].New, []string{NewCVE}) {
		t.Errorf("day 2 expectation = %+v", Expectations()[2])
	}
}

func TestSameReportIgnoresOnlyVolatileFields(t *testing.T) {
	base := `{"SchemaVersion":2,"CreatedAt":"2026-01-01T00:00:00Z","ReportID":"a","Results":[{"Target":"x"}]}`
	tests := []struct {
		name, other string
		want        bool
	}{
		{"new time and id", `{"SchemaVersion":2,"CreatedAt":"2026-02-02T00:00:00Z","ReportID":"b","Results":[{"Target":"x"}]}`, true},
		{"different results", `{"SchemaVersion":2,"CreatedAt":"2026-01-01T00:00:00Z","ReportID":"a","Results":[{"Target":"y"}]}`, false},
		{"not json", `{`, false},
	}
	for _, tt := range tests {
		if got := sameReport([]byte(base), []byte(tt.other)); got != tt.want {
			t.Errorf("%s: sameReport = %v, want %v", tt.name, got, tt.want)
		}
	}
	g1 := `{"descriptor":{"name":"grype","timestamp":"2026-01-01T00:00:00Z"},"matches":[]}`
	g2 := `{"descriptor":{"name":"grype","timestamp":"2026-02-02T00:00:00Z"},"matches":[]}`
	g3 := `{"descriptor":{"name":"grype","timestamp":"2026-02-02T00:00:00Z"},"matches":[{}]}`
	if !sameReport([]byte(g1), []byte(g2)) || sameReport([]byte(g1), []byte(g3)) {
		t.Error("grype descriptor.timestamp must be the only ignored field")
	}
}

func TestSameFailureIgnoresLogTimes(t *testing.T) {
	a := `{"command":["trivy"],"exitCode":1,"stderr":"2026-12-03T17:08:34Z\tFATAL\tfailed to open db\n"}`
	b := `{"command":["trivy"],"exitCode":1,"stderr":"2026-12-04T01:02:03Z\tFATAL\tfailed to open db\n"}`
	c := `{"command":["trivy"],"exitCode":2,"stderr":"2026-12-04T01:02:03Z\tFATAL\tfailed to open db\n"}`
	if !sameFailure([]byte(a), []byte(b)) || sameFailure([]byte(a), []byte(c)) {
		t.Error("only log times may differ")
	}
}

func TestParseReport(t *testing.T) {
	trivy := `{"SchemaVersion":2,"Results":[
	 {"Target":"app.tar (debian 12.5)","Type":"debian","Vulnerabilities":[{"VulnerabilityID":"CVE-2","PkgName":"libssl3","InstalledVersion":"3"}]},
	 {"Target":"Python","Type":"python-pkg","Vulnerabilities":[{"VulnerabilityID":"CVE-1","VendorIDs":["GHSA-1"],"PkgName":"requests","PkgPath":"p/METADATA","InstalledVersion":"2.31.0"}]}]}`
	got, err := ParseReport("trivy", []byte(trivy))
	if err != nil {
		t.Fatal(err)
	}
	want := []Reported{
		{ID: "CVE-1", Related: []string{"GHSA-1"}, Pkg: "requests", Version: "2.31.0", Type: "python-pkg", Path: "p/METADATA"},
		{ID: "CVE-2", Pkg: "libssl3", Version: "3", Type: "debian"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("trivy (-want +got):\n%s", diff)
	}
	grype := `{"descriptor":{"name":"grype"},"matches":[{"vulnerability":{"id":"GHSA-1"},"relatedVulnerabilities":[{"id":"CVE-1"}],
	 "artifact":{"name":"requests","version":"2.31.0","type":"python","locations":[{"path":"/p/METADATA"}]}}]}`
	gotG, err := Findings("grype", []byte(grype))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(gotG, []string{"GHSA-1 requests 2.31.0"}) {
		t.Errorf("grype findings = %v", gotG)
	}
	for name, bad := range map[string][2]string{
		"trivy legacy": {"trivy", `{"Results":[]}`},
		"not grype":    {"grype", `{"descriptor":{"name":"syft"}}`},
		"not json":     {"trivy", `[`},
		"unknown":      {"clair", `{}`},
	} {
		if _, err := ParseReport(bad[0], []byte(bad[1])); err == nil {
			t.Errorf("%s: no error", name)
		} else if !strings.Contains(err.Error(), "report") {
			t.Errorf("%s: error %q does not name the report", name, err)
		}
	}
}
