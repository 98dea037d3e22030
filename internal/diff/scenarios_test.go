package diff

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cvetrail/cvetrail/internal/report"
	"github.com/cvetrail/cvetrail/internal/triage"
)

// The scenarios a user relies on, at the level of the library.

func compareOne(t *testing.T, base, head *report.Report, d Decisions, p Policy) Result {
	t.Helper()
	res, err := Compare(map[string]*report.Report{base.Image: base}, map[string]*report.Report{head.Image: head}, d, p, day)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func classes(r Result) map[Class]int {
	out := map[Class]int{}
	for c, n := range r.Summary {
		if n > 0 {
			out[c] = n
		}
	}
	return out
}

// baseImageUpdate is an image before and after its base image moved from
// Debian 11.6 to 12.1 and Python from 3.11 to 3.12: the same
// vulnerabilities, other installed versions and paths.
func baseImageUpdate() (before, after *report.Report) {
	const app = "registry.example/app:latest"
	before = withOS(rep(app,
		fnd("CVE-2023-0464", report.High, pkg("deb", "libssl3"), versions("3.0.11-1~deb11u1")),
		fnd("CVE-2023-0465", report.Medium, pkg("deb", "libssl3"), versions("3.0.11-1~deb11u1"), fixed("3.0.11-1~deb11u2")),
		fnd("CVE-2022-40897", report.Medium, pkg("pypi", "setuptools"), versions("65.5.0"),
			paths("usr/local/lib/python3.11/site-packages/setuptools-65.5.0.dist-info/METADATA"), fixed("65.5.1")),
	), "debian", "11.6")
	after = withOS(rep(app,
		fnd("CVE-2023-0464", report.High, pkg("deb", "libssl3"), versions("3.0.13-1~deb12u1")),
		fnd("CVE-2023-0465", report.Medium, pkg("deb", "libssl3"), versions("3.0.13-1~deb12u1"), fixed("3.0.13-1~deb12u2")),
		fnd("CVE-2022-40897", report.Medium, pkg("pypi", "setuptools"), versions("65.5.0"),
			paths("usr/local/lib/python3.12/site-packages/setuptools-65.5.0.dist-info/METADATA"), fixed("65.5.1")),
	), "debian", "12.1")
	return before, after
}

func TestScenarioBaseImageUpdate(t *testing.T) {
	before, after := baseImageUpdate()
	res := compareOne(t, before, after, nil, Policy{})
	if diff := cmp.Diff(map[Class]int{Updated: 3}, classes(res)); diff != "" {
		t.Errorf("classes (-want +got):\n%s", diff)
	}
	if res.NeedsReview {
		t.Error("a base-image update needs review")
	}
	d := res.Images[0]
	if d.Base.OS.Version != "11.6" || d.Head.OS.Version != "12.1" {
		t.Errorf("headers: base %+v head %+v", d.Base.OS, d.Head.OS)
	}
}

func TestScenarioDecisionSurvivesUpdate(t *testing.T) {
	before, after := baseImageUpdate()
	dec := decisions{{ID: "CVE-2023-0464", Packages: []string{"libssl3"}, Images: []string{"registry.example/app:*"},
		Status: triage.NotAffected, Justification: "vulnerable_code_not_in_execute_path", Reason: "no X.509 policy checks", Severity: report.High}}
	res := compareOne(t, before, after, dec, Policy{})
	if res.NeedsReview || len(res.Stale) != 0 {
		t.Fatalf("needs review %v, stale %v", res.NeedsReview, res.Stale)
	}
	for _, c := range res.Images[0].Changes {
		if c.Key.ID == "CVE-2023-0464" && (c.Class != Updated || c.Decision == nil || c.Decision.Reason != "no X.509 policy checks") {
			t.Errorf("decided finding after the update: %s, decision %v", c.Class, c.Decision)
		}
	}
	// The same decision still covers the finding when the image is seen for
	// the first time with the new base.
	res = compareOne(t, rep(after.Image), after, dec, Policy{})
	if got := classes(res); got[NewAcknowledged] != 1 || got[New] != 2 {
		t.Errorf("first sight of the updated image: %v", got)
	}
}

func TestScenarioOneNewOneResolved(t *testing.T) {
	before := rep(img, fnd("CVE-2024-0001", report.High), fnd("CVE-2024-0002", report.Low))
	after := rep(img, fnd("CVE-2024-0002", report.Low), fnd("CVE-2024-0003", report.High))
	if len(before.Findings) != len(after.Findings) {
		t.Fatal("the scenario needs equal counts")
	}
	res := compareOne(t, before, after, nil, Policy{})
	if !res.NeedsReview {
		t.Error("one new and one resolved finding: no review needed")
	}
	if diff := cmp.Diff(map[Class]int{New: 1, Resolved: 1}, classes(res)); diff != "" {
		t.Errorf("classes (-want +got):\n%s", diff)
	}
}

func TestScenarioSeverity(t *testing.T) {
	dec := decisions{{ID: "CVE-2024-0001", Status: triage.Accepted, Reason: "behind auth", Severity: report.Medium}}
	medium := rep(img, fnd("CVE-2024-0001", report.Medium))
	critical := rep(img, fnd("CVE-2024-0001", report.Critical))
	low := rep(img, fnd("CVE-2024-0001", report.Low))

	res := compareOne(t, medium, critical, dec, Policy{})
	if diff := cmp.Diff(map[Class]int{Escalated: 1}, classes(res)); diff != "" || !res.NeedsReview {
		t.Errorf("rise MEDIUM → CRITICAL (needs review %v):\n%s", res.NeedsReview, diff)
	}
	res = compareOne(t, medium, low, dec, Policy{})
	if diff := cmp.Diff(map[Class]int{SeverityChanged: 1}, classes(res)); diff != "" || res.NeedsReview {
		t.Errorf("fall MEDIUM → LOW (needs review %v):\n%s", res.NeedsReview, diff)
	}
}

func TestScenarioExpired(t *testing.T) {
	r := rep(img, fnd("CVE-2024-0001", report.High))
	dec := decisions{{ID: "CVE-2024-0001", Status: triage.Accepted, Reason: "until the next release", Severity: report.High, Expires: date("2026-03-09")}}
	res := compareOne(t, r, r, dec, Policy{})
	if diff := cmp.Diff(map[Class]int{Expired: 1}, classes(res)); diff != "" || !res.NeedsReview {
		t.Errorf("expired decision (needs review %v):\n%s", res.NeedsReview, diff)
	}
	dec[0].Expires = date("2026-03-10")
	if res := compareOne(t, r, r, dec, Policy{}); len(classes(res)) != 0 || res.NeedsReview {
		t.Errorf("decision expiring today: %v", classes(res))
	}
}

func TestScenarioScannerSwitch(t *testing.T) {
	const app = "registry.example/app:latest"
	// Trivy names a vulnerability of a Python package by its GHSA id and
	// another by its CVE; Grype names both by GHSA id with the CVE as a
	// related vulnerability, and spells the package differently.
	trivy := rep(app,
		fnd("GHSA-r9hx-vwmv-q579", report.High, pkg("pypi", "setuptools"), versions("65.5.0")),
		fnd("CVE-2023-43804", report.Medium, pkg("pypi", "urllib3"), versions("1.26.17"), fixed("1.26.18")),
		fnd("CVE-2023-0464", report.High, pkg("deb", "libssl3"), versions("3.0.11-1")),
	)
	grype := rep(app,
		fnd("GHSA-r9hx-vwmv-q579", report.High, pkg("pypi", "Setuptools"), versions("65.5.0"), aliases("CVE-2022-40897")),
		fnd("GHSA-v845-jxx5-vc9f", report.Medium, pkg("pypi", "URLLib3"), versions("1.26.17"), aliases("CVE-2023-43804"), fixed("1.26.18")),
		fnd("CVE-2023-0464", report.High, pkg("deb", "libssl3"), versions("3.0.11-1"), title("another title")),
	)
	for _, tt := range []struct {
		name       string
		base, head *report.Report
	}{{"trivy to grype", trivy, grype}, {"grype to trivy", grype, trivy}} {
		t.Run(tt.name, func(t *testing.T) {
			res := compareOne(t, tt.base, tt.head, nil, Policy{})
			if diff := cmp.Diff(map[Class]int{Updated: 3}, classes(res)); diff != "" || res.NeedsReview {
				t.Errorf("classes (-want +got), needs review %v:\n%s", res.NeedsReview, diff)
			}
		})
	}
}

func TestScenarioFixAvailableFirst(t *testing.T) {
	before := rep(img, fnd("CVE-2024-0001", report.High), fnd("CVE-2024-0002", report.Low), fnd("CVE-2024-0003", report.Low))
	after := rep(img, fnd("CVE-2024-0001", report.High, versions("3.0.11-2")), fnd("CVE-2024-0002", report.Low, versions("3.0.11-2")),
		fnd("CVE-2024-0003", report.Low, fixed("3.0.13-1")), fnd("CVE-2024-0004", report.Critical))
	res := compareOne(t, before, after, nil, Policy{})
	var order []Class
	for _, c := range res.Images[0].Changes {
		order = append(order, c.Class)
	}
	if diff := cmp.Diff([]Class{New, FixAvailable, Updated, Updated}, order); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}
