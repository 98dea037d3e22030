package diff_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/cvetrail/cvetrail/internal/diff"
	"github.com/cvetrail/cvetrail/internal/report"
	"github.com/cvetrail/cvetrail/internal/triage"
)

func ExampleCompare() {
	const image = "registry.example/app:latest"
	finding := func(id string, sev report.Severity, version string) report.Finding {
		return report.Finding{ID: id, Type: "deb", Pkg: "libssl3", Versions: []string{version}, FixState: report.NotFixed, Severity: sev}
	}
	yesterday := &report.Report{Header: report.Header{Image: image}, Findings: []report.Finding{
		finding("CVE-2023-0464", report.High, "3.0.11-1"),
		finding("CVE-2023-0465", report.Medium, "3.0.11-1"),
	}}
	today := &report.Report{Header: report.Header{Image: image}, Findings: []report.Finding{
		finding("CVE-2023-0464", report.High, "3.0.13-1"),     // rebuilt: an update
		finding("CVE-2023-0465", report.Critical, "3.0.13-1"), // worse than decided
		finding("CVE-2024-0727", report.Medium, "3.0.13-1"),   // new
	}}
	yesterday.Normalize()
	today.Normalize()
	decisions := &triage.File{Decisions: []triage.Decision{
		{ID: "CVE-2023-0465", Status: triage.Accepted, Reason: "internal traffic only", Severity: report.Medium},
	}}
	r, err := diff.Compare(map[string]*report.Report{image: yesterday}, map[string]*report.Report{image: today},
		decisions, diff.Policy{}, time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range r.Images[0].Changes {
		fmt.Println(strings.TrimSpace(fmt.Sprintf("%-9s %s review=%v %s", c.Class, c.Key.ID, c.NeedsReview, c.Why)))
	}
	fmt.Println("needs review:", r.NeedsReview)
	// Output:
	// new       CVE-2024-0727 review=true new MEDIUM finding, no decision covers it
	// escalated CVE-2023-0465 review=true severity rose to CRITICAL; the decision on CVE-2023-0465 was made at MEDIUM
	// updated   CVE-2023-0464 review=false
	// needs review: true
}
