package diff

import (
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cvetrail/cvetrail/internal/report"
	"github.com/cvetrail/cvetrail/internal/triage"
)

// A loaded decisions file is what the command line passes.
var _ Decisions = (*triage.File)(nil)

func TestLoadedDecisions(t *testing.T) {
	f, err := triage.Load("cvetrail/decisions.yaml", []byte(`schemaVersion: 1
decisions:
  - id: CVE-2024-0001
    status: accepted
    reason: not reachable in any image
    severity: HIGH
  - id: CVE-2024-0001
    packages: [libssl3]
    images: ["registry.example/app:*"]
    status: fixing
    reason: upgrade scheduled
    severity: MEDIUM
  - id: GHSA-aaaa-bbbb-cccc
    status: false_positive
    reason: the scanner misreads the version
    severity: LOW
  - id: CVE-2019-9999
    status: accepted
    reason: gone long ago
    severity: LOW
`))
	if err != nil {
		t.Fatal(err)
	}
	base := rep(img, fnd("CVE-2024-0001", report.High), fnd("CVE-2024-0001", report.Medium, pkg("deb", "libssl3")))
	head := rep(img, fnd("CVE-2024-0001", report.High), fnd("CVE-2024-0001", report.High, pkg("deb", "libssl3")),
		fnd("CVE-2024-0002", report.Low, aliases("GHSA-aaaa-bbbb-cccc")))
	res := compareOne(t, base, head, f, Policy{})
	var gotChanges []string
	for _, c := range res.Images[0].Changes {
		if c.Decision == nil {
			t.Fatalf("%s %s: no decision", c.Class, c.Key)
		}
		gotChanges = append(gotChanges, string(c.Class)+" "+c.Key.String()+" by line "+strconv.Itoa(c.Decision.Line))
	}
	// The package- and image-scoped decision speaks for libssl3, recorded at
	// MEDIUM: the rise to HIGH escalates it although the broader decision
	// was made at HIGH.
	want := []string{
		"escalated CVE-2024-0001 deb/libssl3 by line 7",
		"new-acknowledged CVE-2024-0002 deb/openssl by line 13",
	}
	if diff := cmp.Diff(want, gotChanges); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	if len(res.Stale) != 1 || res.Stale[0].ID != "CVE-2019-9999" {
		t.Errorf("stale: %+v", res.Stale)
	}
}

func TestNilFile(t *testing.T) {
	var f *triage.File
	r := rep(img, fnd("CVE-2024-0001", report.High))
	res := compareOne(t, rep(img), r, f, Policy{})
	if res.Summary[New] != 1 || len(res.Stale) != 0 {
		t.Errorf("with a nil file: %v, stale %v", res.Summary, res.Stale)
	}
}
