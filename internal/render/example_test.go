package render_test

import (
	"os"
	"time"

	"github.com/cvetrail/cvetrail/internal/diff"
	"github.com/cvetrail/cvetrail/internal/render"
	"github.com/cvetrail/cvetrail/internal/report"
)

func ExampleTable() {
	const image = "registry.example/app:latest"
	yesterday := &report.Report{Header: report.Header{Image: image}}
	today := &report.Report{Header: report.Header{Image: image}, Findings: []report.Finding{
		{ID: "CVE-2024-0727", Type: "deb", Pkg: "libssl3", Versions: []string{"3.0.13-1"}, Fixed: []string{"3.0.13-2"},
			FixState: report.Fixed, Severity: report.Medium, Title: "openssl: denial of service via null dereference"},
	}}
	r, err := diff.Compare(map[string]*report.Report{image: yesterday}, map[string]*report.Report{image: today},
		nil, diff.Policy{}, time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC))
	if err != nil {
		panic(err)
	}
	if err := render.Table(os.Stdout, r, false); err != nil {
		panic(err)
	}
	// Output:
	// registry.example/app:latest
	//    CLASS  SEVERITY  ID             PACKAGE      VERSION   FIXED     WHY / TITLE
	// !  new    MEDIUM    CVE-2024-0727  deb/libssl3  3.0.13-1  3.0.13-2  new MEDIUM finding, no decision covers it
	//
	// 1 image compared, 1 with changes: 1 new. 1 change needs review.
}
