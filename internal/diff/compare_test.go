package diff

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cvetrail/cvetrail/internal/report"
	"github.com/cvetrail/cvetrail/internal/triage"
)

const img = "registry.example/app:1"

// got is a change reduced to what the table tests check.
type got struct {
	Class    Class
	Key      string
	Review   bool
	Decision string // the decision's id, "" for none
}

func summarize(d ImageDiff) []got {
	var out []got
	for _, c := range d.Changes {
		g := got{Class: c.Class, Key: c.Key.String(), Review: c.NeedsReview}
		if c.Decision != nil {
			g.Decision = c.Decision.ID
		}
		out = append(out, g)
	}
	return out
}

func TestClassify(t *testing.T) {
	const (
		k1 = "CVE-2024-0001 deb/openssl"
		k2 = "CVE-2024-0002 deb/openssl"
	)
	accepted := func(id string, sev report.Severity) triage.Decision {
		return triage.Decision{ID: id, Status: triage.Accepted, Reason: "not reachable", Severity: sev, Line: 3}
	}
	expiring := func(d triage.Decision, on string) triage.Decision { d.Expires = date(on); return d }
	c1 := fnd("CVE-2024-0001", report.High)
	tests := []struct {
		name       string
		base, head []report.Finding
		dec        decisions
		policy     Policy
		now        time.Time
		want       []got
	}{
		{name: "identical", base: []report.Finding{c1}, head: []report.Finding{c1}},
		{name: "identical with an active decision", base: []report.Finding{c1}, head: []report.Finding{c1},
			dec: decisions{accepted("CVE-2024-0001", report.High)}},
		{name: "new", head: []report.Finding{c1},
			want: []got{{New, k1, true, ""}}},
		{name: "new covered by an active decision", head: []report.Finding{c1},
			dec:  decisions{accepted("CVE-2024-0001", report.Critical)},
			want: []got{{NewAcknowledged, k1, false, "CVE-2024-0001"}}},
		{name: "new covered by a decision through an alias", head: []report.Finding{fnd("CVE-2024-0001", report.High, aliases("GHSA-aaaa-bbbb-cccc"))},
			dec:  decisions{accepted("ghsa-AAAA-bbbb-cccc", report.High)},
			want: []got{{NewAcknowledged, k1, false, "ghsa-AAAA-bbbb-cccc"}}},
		{name: "new covered by a decision for another package", head: []report.Finding{c1},
			dec:  decisions{{ID: "CVE-2024-0001", Packages: []string{"libssl3"}, Status: triage.Accepted, Severity: report.Critical}},
			want: []got{{New, k1, true, ""}}},
		{name: "new covered by a decision for another image", head: []report.Finding{c1},
			dec:  decisions{{ID: "CVE-2024-0001", Images: []string{"registry.example/other:*"}, Status: triage.Accepted, Severity: report.Critical}},
			want: []got{{New, k1, true, ""}}},
		{name: "new covered by an expired decision", head: []report.Finding{c1},
			dec:  decisions{expiring(accepted("CVE-2024-0001", report.High), "2026-03-09")},
			want: []got{{Expired, k1, true, "CVE-2024-0001"}}},
		{name: "new above the severity of its decision", head: []report.Finding{c1},
			dec:  decisions{accepted("CVE-2024-0001", report.Medium)},
			want: []got{{Escalated, k1, true, "CVE-2024-0001"}}},
		{name: "resolved", base: []report.Finding{c1},
			want: []got{{Resolved, k1, false, ""}}},
		{name: "resolved keeps the decision that covered it", base: []report.Finding{c1},
			dec:  decisions{accepted("CVE-2024-0001", report.High)},
			want: []got{{Resolved, k1, false, "CVE-2024-0001"}}},
		{name: "unchanged, decision expires today", base: []report.Finding{c1}, head: []report.Finding{c1},
			dec: decisions{expiring(accepted("CVE-2024-0001", report.High), "2026-03-10")}},
		{name: "unchanged, decision expired yesterday", base: []report.Finding{c1}, head: []report.Finding{c1},
			dec:  decisions{expiring(accepted("CVE-2024-0001", report.High), "2026-03-09")},
			want: []got{{Expired, k1, true, "CVE-2024-0001"}}},
		{name: "unchanged, decided below its severity", base: []report.Finding{c1}, head: []report.Finding{c1},
			dec:  decisions{accepted("CVE-2024-0001", report.Low)},
			want: []got{{Escalated, k1, true, "CVE-2024-0001"}}},
		{name: "decided finding rises", base: []report.Finding{fnd("CVE-2024-0001", report.Medium)}, head: []report.Finding{fnd("CVE-2024-0001", report.Critical)},
			dec:  decisions{accepted("CVE-2024-0001", report.Medium)},
			want: []got{{Escalated, k1, true, "CVE-2024-0001"}}},
		{name: "decided finding falls", base: []report.Finding{fnd("CVE-2024-0001", report.Critical)}, head: []report.Finding{fnd("CVE-2024-0001", report.Medium)},
			dec:  decisions{accepted("CVE-2024-0001", report.Critical)},
			want: []got{{SeverityChanged, k1, false, "CVE-2024-0001"}}},
		{name: "decided finding rises within its decision", base: []report.Finding{fnd("CVE-2024-0001", report.Low)}, head: []report.Finding{fnd("CVE-2024-0001", report.High)},
			dec: decisions{accepted("CVE-2024-0001", report.Critical)}, policy: Policy{BlockSeverityRise: true},
			want: []got{{SeverityChanged, k1, false, "CVE-2024-0001"}}},
		{name: "undecided finding rises", base: []report.Finding{fnd("CVE-2024-0001", report.Medium)}, head: []report.Finding{fnd("CVE-2024-0001", report.Critical)},
			want: []got{{SeverityChanged, k1, false, ""}}},
		{name: "undecided finding rises, policy blocks rises", base: []report.Finding{fnd("CVE-2024-0001", report.Medium)}, head: []report.Finding{fnd("CVE-2024-0001", report.Critical)},
			policy: Policy{BlockSeverityRise: true},
			want:   []got{{SeverityChanged, k1, true, ""}}},
		{name: "undecided finding falls, policy blocks rises", base: []report.Finding{fnd("CVE-2024-0001", report.Critical)}, head: []report.Finding{fnd("CVE-2024-0001", report.Medium)},
			policy: Policy{BlockSeverityRise: true},
			want:   []got{{SeverityChanged, k1, false, ""}}},
		{name: "fix appears", base: []report.Finding{c1}, head: []report.Finding{fnd("CVE-2024-0001", report.High, fixed("3.0.13-1"))},
			want: []got{{FixAvailable, k1, false, ""}}},
		{name: "fix appears on a decided finding", base: []report.Finding{c1}, head: []report.Finding{fnd("CVE-2024-0001", report.High, fixed("3.0.13-1"))},
			dec:  decisions{accepted("CVE-2024-0001", report.High)},
			want: []got{{FixAvailable, k1, false, "CVE-2024-0001"}}},
		{name: "another fixed version", base: []report.Finding{fnd("CVE-2024-0001", report.High, fixed("3.0.13-1"))}, head: []report.Finding{fnd("CVE-2024-0001", report.High, fixed("3.0.13-1", "3.1.5-1"))},
			want: []got{{Updated, k1, false, ""}}},
		{name: "fix disappears", base: []report.Finding{fnd("CVE-2024-0001", report.High, fixed("3.0.13-1"))}, head: []report.Finding{c1},
			want: []got{{Updated, k1, false, ""}}},
		{name: "installed version bumps", base: []report.Finding{c1}, head: []report.Finding{fnd("CVE-2024-0001", report.High, versions("3.0.11-2"))},
			want: []got{{Updated, k1, false, ""}}},
		{name: "title changes", base: []report.Finding{c1}, head: []report.Finding{fnd("CVE-2024-0001", report.High, title("another"))},
			want: []got{{Updated, k1, false, ""}}},
		{name: "alias added", base: []report.Finding{c1}, head: []report.Finding{fnd("CVE-2024-0001", report.High, aliases("GHSA-aaaa-bbbb-cccc"))},
			want: []got{{Updated, k1, false, ""}}},
		{name: "wont-fix becomes not-fixed", base: []report.Finding{fnd("CVE-2024-0001", report.High, wontFix())}, head: []report.Finding{c1},
			want: []got{{Updated, k1, false, ""}}},
		{name: "scanner stops suppressing", base: []report.Finding{fnd("CVE-2024-0001", report.High, suppressed("trivyignore"))}, head: []report.Finding{c1},
			want: []got{{Updated, k1, false, ""}}},

		// Precedence: expired > escalated > severity-changed > fix-available > updated.
		{name: "expired wins over escalated, fix and update", base: []report.Finding{fnd("CVE-2024-0001", report.Medium)},
			head: []report.Finding{fnd("CVE-2024-0001", report.Critical, fixed("3.0.13-1"), versions("3.0.11-2"))},
			dec:  decisions{expiring(accepted("CVE-2024-0001", report.Medium), "2026-01-31")},
			want: []got{{Expired, k1, true, "CVE-2024-0001"}}},
		{name: "escalated wins over fix and update", base: []report.Finding{fnd("CVE-2024-0001", report.Medium)},
			head: []report.Finding{fnd("CVE-2024-0001", report.Critical, fixed("3.0.13-1"), versions("3.0.11-2"))},
			dec:  decisions{expiring(accepted("CVE-2024-0001", report.Medium), "2026-12-31")},
			want: []got{{Escalated, k1, true, "CVE-2024-0001"}}},
		{name: "severity-changed wins over fix and update", base: []report.Finding{fnd("CVE-2024-0001", report.Medium)},
			head: []report.Finding{fnd("CVE-2024-0001", report.Critical, fixed("3.0.13-1"), versions("3.0.11-2"))},
			want: []got{{SeverityChanged, k1, false, ""}}},
		{name: "fix-available wins over update", base: []report.Finding{c1},
			head: []report.Finding{fnd("CVE-2024-0001", report.High, fixed("3.0.13-1"), versions("3.0.11-2"), title("other"))},
			want: []got{{FixAvailable, k1, false, ""}}},

		// CVSS threshold.
		{name: "cvss crosses the threshold on a decided finding", base: []report.Finding{fnd("CVE-2024-0001", report.High, cvss(8.1))},
			head: []report.Finding{fnd("CVE-2024-0001", report.High, cvss(9.8))},
			dec:  decisions{accepted("CVE-2024-0001", report.High)}, policy: Policy{CVSSThreshold: 9},
			want: []got{{Escalated, k1, true, "CVE-2024-0001"}}},
		{name: "cvss crosses the threshold, decision made in its band", base: []report.Finding{fnd("CVE-2024-0001", report.High, cvss(8.1))},
			head: []report.Finding{fnd("CVE-2024-0001", report.High, cvss(9.8))},
			dec:  decisions{accepted("CVE-2024-0001", report.Critical)}, policy: Policy{CVSSThreshold: 9},
			want: []got{{Updated, k1, false, "CVE-2024-0001"}}},
		{name: "cvss above the threshold already", base: []report.Finding{fnd("CVE-2024-0001", report.High, cvss(9.1))},
			head: []report.Finding{fnd("CVE-2024-0001", report.High, cvss(9.8))},
			dec:  decisions{accepted("CVE-2024-0001", report.High)}, policy: Policy{CVSSThreshold: 9},
			want: []got{{Updated, k1, false, "CVE-2024-0001"}}},
		{name: "cvss rises without a threshold", base: []report.Finding{fnd("CVE-2024-0001", report.High, cvss(8.1))},
			head: []report.Finding{fnd("CVE-2024-0001", report.High, cvss(9.8))},
			dec:  decisions{accepted("CVE-2024-0001", report.High)},
			want: []got{{Updated, k1, false, "CVE-2024-0001"}}},
		{name: "cvss crosses the threshold, undecided", base: []report.Finding{fnd("CVE-2024-0001", report.High, cvss(8.1))},
			head: []report.Finding{fnd("CVE-2024-0001", report.High, cvss(9.8))}, policy: Policy{CVSSThreshold: 9},
			want: []got{{Updated, k1, false, ""}}},

		// Scanner suppression and policy narrowing.
		{name: "new, suppressed by the scanner", head: []report.Finding{fnd("CVE-2024-0001", report.Critical, suppressed("vex"))},
			want: []got{{New, k1, false, ""}}},
		{name: "new below the minimum severity", head: []report.Finding{fnd("CVE-2024-0001", report.Medium), fnd("CVE-2024-0002", report.High)},
			policy: Policy{MinSeverity: report.High},
			want:   []got{{New, k2, true, ""}, {New, k1, false, ""}}},
		{name: "new without fix, only fixable", head: []report.Finding{c1, fnd("CVE-2024-0002", report.Low, fixed("3.0.13-1"))},
			policy: Policy{OnlyFixable: true},
			want:   []got{{New, k2, true, ""}, {New, k1, false, ""}}},
		{name: "new wont-fix, ignored", head: []report.Finding{fnd("CVE-2024-0001", report.Critical, wontFix()), fnd("CVE-2024-0002", report.Low)},
			policy: Policy{IgnoreWontFix: true},
			want:   []got{{New, k2, true, ""}, {New, k1, false, ""}}},
		{name: "wont-fix kept by default", head: []report.Finding{fnd("CVE-2024-0001", report.Critical, wontFix())},
			want: []got{{New, k1, true, ""}}},
		{name: "expired decision below the minimum severity", base: []report.Finding{fnd("CVE-2024-0001", report.Low)}, head: []report.Finding{fnd("CVE-2024-0001", report.Low)},
			dec: decisions{expiring(accepted("CVE-2024-0001", report.Low), "2026-01-31")}, policy: Policy{MinSeverity: report.Medium},
			want: []got{{Expired, k1, false, "CVE-2024-0001"}}},
		{name: "escalation suppressed by the scanner", base: []report.Finding{fnd("CVE-2024-0001", report.Low)}, head: []report.Finding{fnd("CVE-2024-0001", report.High, suppressed("trivyignore"))},
			dec:  decisions{accepted("CVE-2024-0001", report.Low)},
			want: []got{{Escalated, k1, false, "CVE-2024-0001"}}},

		// Alias pairing.
		{name: "head gains a CVE alias: same vulnerability", base: []report.Finding{fnd("GHSA-aaaa-bbbb-cccc", report.High)},
			head: []report.Finding{fnd("GHSA-aaaa-bbbb-cccc", report.High, aliases("CVE-2024-0001"))},
			want: []got{{Updated, k1, false, ""}}},
		{name: "base had the CVE alias: same vulnerability", base: []report.Finding{fnd("GHSA-aaaa-bbbb-cccc", report.High, aliases("CVE-2024-0001"))},
			head: []report.Finding{fnd("GHSA-aaaa-bbbb-cccc", report.High)},
			want: []got{{Updated, "GHSA-aaaa-bbbb-cccc deb/openssl", false, ""}}},
		{name: "alias pairing ignores case", base: []report.Finding{fnd("GHSA-AAAA-BBBB-CCCC", report.High)},
			head: []report.Finding{fnd("CVE-2024-0001", report.High, aliases("GHSA-aaaa-bbbb-cccc"))},
			want: []got{{Updated, k1, false, ""}}},
		{name: "a shared alias in another package is another finding", base: []report.Finding{fnd("GHSA-aaaa-bbbb-cccc", report.High, pkg("deb", "libssl3"))},
			head: []report.Finding{fnd("GHSA-aaaa-bbbb-cccc", report.High, aliases("CVE-2024-0001"))},
			want: []got{{New, k1, true, ""}, {Resolved, "GHSA-aaaa-bbbb-cccc deb/libssl3", false, ""}}},
		{name: "alias pairing still checks the decision", base: []report.Finding{fnd("GHSA-aaaa-bbbb-cccc", report.Medium)},
			head: []report.Finding{fnd("GHSA-aaaa-bbbb-cccc", report.Critical, aliases("CVE-2024-0001"))},
			dec:  decisions{accepted("GHSA-aaaa-bbbb-cccc", report.Medium)},
			want: []got{{Escalated, k1, true, "GHSA-aaaa-bbbb-cccc"}}},
		{name: "a base finding pairs once", base: []report.Finding{fnd("GHSA-aaaa-bbbb-cccc", report.High)},
			head: []report.Finding{fnd("CVE-2024-0001", report.High, aliases("GHSA-aaaa-bbbb-cccc")), fnd("CVE-2024-0001", report.High, aliases("GHSA-aaaa-bbbb-cccc"), pkg("deb", "zlib"))},
			want: []got{{New, "CVE-2024-0001 deb/zlib", true, ""}, {Updated, k1, false, ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := tt.now
			if now.IsZero() {
				now = day
			}
			var d Decisions
			if tt.dec != nil {
				d = tt.dec
			}
			var base, head Source
			if tt.base != nil {
				base = ReportSource(rep(img, tt.base...))
			}
			if tt.head != nil {
				head = ReportSource(rep(img, tt.head...))
			}
			res, err := CompareImage(img, base, head, d, tt.policy, now)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, summarize(res)); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
			for _, c := range res.Changes {
				if c.NeedsReview && c.Why == "" {
					t.Errorf("%s %s needs review without saying why", c.Class, c.Key)
				}
				if !c.NeedsReview && (c.Class == New || c.Class == Expired || c.Class == Escalated) && !strings.Contains(c.Why, ", but ") {
					t.Errorf("%s %s needs no review without saying why not: %q", c.Class, c.Key, c.Why)
				}
				if (c.Finding == nil) != (c.Class == Resolved) {
					t.Errorf("%s %s: head finding %v", c.Class, c.Key, c.Finding)
				}
				if (c.Base == nil) != (c.Class == New || c.Class == NewAcknowledged || (c.Class == Expired || c.Class == Escalated) && tt.base == nil) {
					t.Errorf("%s %s: base finding %v", c.Class, c.Key, c.Base)
				}
			}
		})
	}
}

func TestWhy(t *testing.T) {
	dec := decisions{{ID: "CVE-2024-0001", Status: triage.Accepted, Severity: report.Medium, Expires: date("2026-02-28"), Line: 7},
		{ID: "CVE-2024-0002", Status: triage.Accepted, Severity: report.Medium, Line: 12}}
	base := rep(img, fnd("CVE-2024-0001", report.High), fnd("CVE-2024-0002", report.Medium), fnd("CVE-2024-0004", report.Low))
	head := rep(img, fnd("CVE-2024-0001", report.High), fnd("CVE-2024-0002", report.Critical), fnd("CVE-2024-0003", report.High),
		fnd("CVE-2024-0004", report.High), fnd("CVE-2024-0005", report.Low), fnd("CVE-2024-0006", report.Critical, suppressed("trivyignore")))
	res, err := CompareImage(img, ReportSource(base), ReportSource(head), dec, Policy{MinSeverity: report.Medium, BlockSeverityRise: true}, day)
	if err != nil {
		t.Fatal(err)
	}
	why := map[string]string{}
	for _, c := range res.Changes {
		why[c.Key.ID] = c.Why
	}
	want := map[string]string{
		"CVE-2024-0001": "the decision on CVE-2024-0001 (line 7) expired on 2026-02-28",
		"CVE-2024-0002": "severity rose to CRITICAL; the decision on CVE-2024-0002 (line 12) was made at MEDIUM",
		"CVE-2024-0003": "new HIGH finding, no decision covers it",
		"CVE-2024-0004": "severity rose from LOW to HIGH and no decision covers it",
		"CVE-2024-0005": "new, but LOW is below the policy's minimum severity MEDIUM",
		"CVE-2024-0006": "new, but the scanner suppressed it (trivyignore)",
	}
	if diff := cmp.Diff(want, why); diff != "" {
		t.Errorf("why (-want +got):\n%s", diff)
	}
}

func TestOrder(t *testing.T) {
	base := rep(img,
		fnd("CVE-2024-0001", report.High),
		fnd("CVE-2024-0002", report.High),
		fnd("CVE-2024-0003", report.High),
		fnd("CVE-2024-0009", report.High),
	)
	head := rep(img,
		fnd("CVE-2024-0001", report.High, versions("3.0.11-2")),
		fnd("CVE-2024-0002", report.High, fixed("3.0.13-1")),
		fnd("CVE-2024-0003", report.Critical),
		fnd("CVE-2024-0004", report.Low),
		fnd("CVE-2024-0005", report.High),
		fnd("CVE-2024-0006", report.High),
		fnd("CVE-2024-0007", report.High),
	)
	dec := decisions{
		{ID: "CVE-2024-0003", Status: triage.Accepted, Severity: report.High},
		{ID: "CVE-2024-0006", Status: triage.Accepted, Severity: report.High},
		{ID: "CVE-2024-0007", Status: triage.Accepted, Severity: report.High, Expires: date("2026-01-01")},
	}
	res, err := CompareImage(img, ReportSource(base), ReportSource(head), dec, Policy{MinSeverity: report.Medium}, day)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, c := range res.Changes {
		order = append(order, fmt.Sprintf("%s %s %v", c.Key.ID, c.Class, c.NeedsReview))
	}
	want := []string{
		"CVE-2024-0005 new true",
		"CVE-2024-0003 escalated true",
		"CVE-2024-0007 expired true",
		"CVE-2024-0002 fix-available false",
		"CVE-2024-0004 new false",
		"CVE-2024-0006 new-acknowledged false",
		"CVE-2024-0001 updated false",
		"CVE-2024-0009 resolved false",
	}
	if diff := cmp.Diff(want, order); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

// TestOrderParallel checks that changes laid out on several cores come in
// the order TestOrder checks, the same as on one: every run of them split
// among the buckets of the classes.
func TestOrderParallel(t *testing.T) {
	defer func(n int) { parallelChanges = n }(parallelChanges)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	var base, head []report.Finding
	var dec decisions
	for i := range 400 {
		id := fmt.Sprintf("CVE-2024-%04d", i)
		switch i % 5 {
		case 0: // new
			head = append(head, fnd(id, report.High))
		case 1: // resolved
			base = append(base, fnd(id, report.Medium))
		case 2: // escalated
			base = append(base, fnd(id, report.High))
			head = append(head, fnd(id, report.Critical))
			dec = append(dec, triage.Decision{ID: id, Status: triage.Accepted, Severity: report.High})
		case 3: // fix available
			base = append(base, fnd(id, report.High))
			head = append(head, fnd(id, report.High, fixed("2.0")))
		case 4: // new, but low
			head = append(head, fnd(id, report.Low))
		}
	}
	run := func() []Change {
		res, err := CompareImage(img, ReportSource(rep(img, base...)), ReportSource(rep(img, head...)), dec, Policy{MinSeverity: report.Medium}, day)
		if err != nil {
			t.Fatal(err)
		}
		return res.Changes
	}
	want := run()
	if len(want) != 400 {
		t.Fatalf("%d changes, want 400", len(want))
	}
	parallelChanges = 1
	for _, procs := range []int{2, 3} {
		runtime.GOMAXPROCS(procs)
		if diff := cmp.Diff(want, run()); diff != "" {
			t.Fatalf("GOMAXPROCS %d: changes differ from one core's (-want +got):\n%s", procs, diff)
		}
	}
}

func TestCompareImages(t *testing.T) {
	base := map[string]*report.Report{
		"a:1": rep("a:1", fnd("CVE-2024-0001", report.High), fnd("CVE-2024-0002", report.Low)),
		"b:1": rep("b:1", fnd("CVE-2024-0001", report.High)),
		"c:1": rep("c:1", fnd("CVE-2024-0003", report.High)),
	}
	head := map[string]*report.Report{
		"a:1": rep("a:1", fnd("CVE-2024-0001", report.High)),
		"c:1": rep("c:1", fnd("CVE-2024-0003", report.High)),
		"d:1": rep("d:1", fnd("CVE-2024-0004", report.High), fnd("CVE-2024-0005", report.Low)),
	}
	dec := decisions{
		{ID: "CVE-2024-0001", Images: []string{"b:*"}, Status: triage.Accepted, Severity: report.High, Line: 1}, // only a removed image had it
		{ID: "CVE-2024-0003", Status: triage.Accepted, Severity: report.High, Line: 2},                          // covers c:1
		{ID: "CVE-2024-0005", Status: triage.Fixing, Severity: report.Low, Line: 3},                             // covers a new finding of d:1
		{ID: "CVE-2020-1234", Status: triage.FalsePositive, Severity: report.Low, Line: 4},                      // matches nothing
		{ID: "CVE-2024-0004", Packages: []string{"zlib"}, Status: triage.Accepted, Severity: report.High, Line: 5},
	}
	res, err := Compare(base, head, dec, Policy{}, day)
	if err != nil {
		t.Fatal(err)
	}
	var images []string
	per := map[string][]got{}
	for _, d := range res.Images {
		images = append(images, d.Image)
		per[d.Image] = summarize(d)
		if (d.Base == nil) != (base[d.Image] == nil) || (d.Head == nil) != (head[d.Image] == nil) {
			t.Errorf("%s: headers base %v head %v", d.Image, d.Base, d.Head)
		}
	}
	if diff := cmp.Diff([]string{"a:1", "b:1", "c:1", "d:1"}, images); diff != "" {
		t.Errorf("images (-want +got):\n%s", diff)
	}
	want := map[string][]got{
		"a:1": {{Resolved, "CVE-2024-0002 deb/openssl", false, ""}},
		"b:1": {{Resolved, "CVE-2024-0001 deb/openssl", false, "CVE-2024-0001"}},
		"d:1": {{New, "CVE-2024-0004 deb/openssl", true, ""}, {NewAcknowledged, "CVE-2024-0005 deb/openssl", false, "CVE-2024-0005"}},
	}
	for name, w := range want {
		if diff := cmp.Diff(w, per[name]); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
	if len(per["c:1"]) != 0 {
		t.Errorf("c:1 changed: %v", per["c:1"])
	}
	var stale []int
	for _, d := range res.Stale {
		stale = append(stale, d.Line)
	}
	if diff := cmp.Diff([]int{1, 4, 5}, stale); diff != "" {
		t.Errorf("stale decisions by line (-want +got):\n%s", diff)
	}
	wantSummary := map[Class]int{New: 1, NewAcknowledged: 1, Escalated: 0, Expired: 0, SeverityChanged: 0,
		FixAvailable: 0, Updated: 0, Resolved: 2, StaleDecision: 3}
	if diff := cmp.Diff(wantSummary, res.Summary); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	if !res.NeedsReview {
		t.Error("NeedsReview is false with a new finding")
	}
}

func TestSummaryZeros(t *testing.T) {
	r := rep(img, fnd("CVE-2024-0001", report.High))
	res, err := Compare(map[string]*report.Report{img: r}, map[string]*report.Report{img: r}, nil, Policy{}, day)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Summary) != len(Classes()) {
		t.Errorf("summary has %d classes, want %d: %v", len(res.Summary), len(Classes()), res.Summary)
	}
	for _, c := range Classes() {
		if n, ok := res.Summary[c]; !ok || n != 0 {
			t.Errorf("summary[%s] = %d, %v; want 0, true", c, n, ok)
		}
	}
	if res.NeedsReview || len(res.Stale) != 0 || len(res.Images) != 1 || len(res.Images[0].Changes) != 0 {
		t.Errorf("unchanged report: %+v", res)
	}
}

// errSource fails after its findings.
type errSource struct {
	Source
	err error
}

func (s errSource) Next(f *report.Finding) error {
	if err := s.Source.Next(f); err != io.EOF {
		return err
	}
	return s.err
}

func TestCompareErrors(t *testing.T) {
	sorted := ReportSource(rep(img, fnd("CVE-2024-0001", report.High), fnd("CVE-2024-0002", report.High)))
	unsorted := SliceSource(report.Header{Image: img}, []report.Finding{fnd("CVE-2024-0002", report.High), fnd("CVE-2024-0001", report.High)})
	_, err := CompareImage(img, sorted, unsorted, nil, Policy{}, day)
	if err == nil || !strings.Contains(err.Error(), "head report: finding 2: CVE-2024-0001 deb/openssl is not after CVE-2024-0002 deb/openssl") {
		t.Errorf("unsorted head: err = %v", err)
	}
	dup := SliceSource(report.Header{Image: img}, []report.Finding{fnd("CVE-2024-0001", report.High), fnd("CVE-2024-0001", report.High)})
	if _, err := CompareImage(img, dup, nil, nil, Policy{}, day); err == nil || !strings.Contains(err.Error(), "base report") {
		t.Errorf("duplicate key in base: err = %v", err)
	}
	boom := errors.New("line 7: unexpected end of JSON input")
	_, err = CompareImage(img, errSource{ReportSource(rep(img, fnd("CVE-2024-0001", report.High))), boom}, nil, nil, Policy{}, day)
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "comparing image "+img+": reading the base report: ") {
		t.Errorf("failing source: err = %v", err)
	}
	c := NewComparer(nil, Policy{}, day)
	if _, err := c.Add(img, nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Add(img, nil, nil); err == nil {
		t.Error("adding an image twice: no error")
	}
}

// TestDecoderSource compares ledger files streamed by report.Decoder, as
// the command line does, and checks it gives what the reports in memory
// give.
func TestDecoderSource(t *testing.T) {
	base := rep(img, fnd("CVE-2024-0001", report.High), fnd("CVE-2024-0002", report.High), fnd("CVE-2024-0003", report.High))
	head := rep(img, fnd("CVE-2024-0001", report.High, versions("3.0.11-2")), fnd("CVE-2024-0003", report.High), fnd("CVE-2024-0004", report.High))
	decode := func(r *report.Report) Source {
		var b strings.Builder
		if err := report.Encode(&b, r); err != nil {
			t.Fatal(err)
		}
		d, err := report.NewDecoder(strings.NewReader(b.String()))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	fromFiles, err := CompareImage(img, decode(base), decode(head), nil, Policy{}, day)
	if err != nil {
		t.Fatal(err)
	}
	inMemory, err := CompareImage(img, ReportSource(base), ReportSource(head), nil, Policy{}, day)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(inMemory, fromFiles); diff != "" {
		t.Errorf("decoded (-memory +files):\n%s", diff)
	}
	if len(fromFiles.Changes) != 3 {
		t.Errorf("got %d changes, want 3", len(fromFiles.Changes))
	}
}
