package diff

import (
	"fmt"
	"strings"

	"github.com/cvetrail/cvetrail/internal/report"
	"github.com/cvetrail/cvetrail/internal/triage"
)

// Class is the kind of a change.
type Class string

// The classes of change, as in the JSON summary.
const (
	New             Class = "new"
	NewAcknowledged Class = "new-acknowledged"
	Escalated       Class = "escalated"
	Expired         Class = "expired"
	SeverityChanged Class = "severity-changed"
	FixAvailable    Class = "fix-available"
	Updated         Class = "updated"
	Resolved        Class = "resolved"
	StaleDecision   Class = "stale-decision"
)

// Classes returns every class, in the order of the JSON summary.
func Classes() []Class {
	return []Class{New, NewAcknowledged, Escalated, Expired, SeverityChanged, FixAvailable, Updated, Resolved, StaleDecision}
}

// rank orders classes for people: within the changes that need review and
// within those that do not, fix-available comes first (a fix is the most
// useful news among the non-blocking changes), then new findings, the
// changes about decisions, severity changes, and the routine rest.
func rank(c Class) int {
	switch c {
	case FixAvailable:
		return 0
	case New:
		return 1
	case Escalated:
		return 2
	case Expired:
		return 3
	case SeverityChanged:
		return 4
	case NewAcknowledged:
		return 5
	case Updated:
		return 6
	case Resolved:
		return 7
	}
	return 8
}

const nRanks = 9

// Policy narrows which changes need a human. The zero value asks about
// every new finding, expired decision and escalation.
type Policy struct {
	// MinSeverity: findings below it never need review.
	MinSeverity report.Severity
	// OnlyFixable: findings without a fixed version never need review.
	OnlyFixable bool
	// IgnoreWontFix: findings the vendor will not fix never need review.
	IgnoreWontFix bool
	// BlockSeverityRise makes a severity rise of a finding no decision
	// covers need review. By default such a rise is shown, not blocking.
	BlockSeverityRise bool
	// CVSSThreshold, when above zero, escalates a decided finding whose
	// CVSS score crosses it between base and head, when the decision was
	// recorded at a severity below the threshold's CVSS band.
	CVSSThreshold float64
}

// excuse returns why f needs no review under p, or "" when it may.
func (p Policy) excuse(f *report.Finding) string {
	switch {
	case f.Suppressed != "":
		return "the scanner suppressed it (" + f.Suppressed + ")"
	case f.Severity < p.MinSeverity:
		return f.Severity.String() + " is below the policy's minimum severity " + p.MinSeverity.String()
	case p.OnlyFixable && !hasFix(f):
		return "no fix is available and the policy asks only about fixable findings"
	case p.IgnoreWontFix && f.FixState == report.WontFix:
		return "the vendor will not fix it and the policy ignores those"
	}
	return ""
}

// Change is one classified difference between the base and the head report
// of an image.
type Change struct {
	Class Class
	Image string
	// Key is the head finding's key; for a resolved finding, the base's.
	Key report.Key
	// Finding is the head finding; nil for a resolved one.
	Finding *report.Finding
	// Base is the base finding; nil for a new one. Its key differs from
	// Key when the two were paired by a shared id or alias.
	Base *report.Finding
	// Decision is the most specific decision covering the finding, if any.
	// For a resolved finding it is the decision that covered it.
	Decision *triage.Decision
	// NeedsReview is set when a human must look at the change.
	NeedsReview bool
	// Why is one line saying why the change needs review, or why a change
	// that would have needed it does not (the policy, a scanner
	// suppression). Empty otherwise.
	Why string
}

// Current returns the finding as it is now: the head finding, or the base
// finding for a resolved one.
func (c *Change) Current() *report.Finding {
	if c.Finding != nil {
		return c.Finding
	}
	return c.Base
}

// ImageDiff is the comparison of one image.
type ImageDiff struct {
	Image string
	// Base and Head are the headers of the two reports; nil for a report
	// that does not exist (an image added or removed).
	Base, Head *report.Header
	// Changes are sorted: those needing review first, then by class (see
	// the package documentation), then by key.
	Changes []Change
}

// NeedsReview reports whether any change of the image needs review.
func (d *ImageDiff) NeedsReview() bool {
	for i := range d.Changes {
		if d.Changes[i].NeedsReview {
			return true
		}
	}
	return false
}

// Result is the comparison of every image.
type Result struct {
	// Images holds every image compared, sorted by name, including those
	// without changes.
	Images []ImageDiff
	// Stale are the decisions that cover no finding of any head image,
	// in the order the decisions were given.
	Stale []triage.Decision
	// NeedsReview is set when any change needs review.
	NeedsReview bool
	// Summary counts the changes of every class, zeros included; stale
	// decisions are counted under StaleDecision.
	Summary map[Class]int
}

func hasFix(f *report.Finding) bool { return len(f.Fixed) > 0 || f.FixState == report.Fixed }

// sameDetails reports whether a and b are equal in everything, their keys
// included.
func sameDetails(a, b *report.Finding) bool {
	return a.ID == b.ID && a.Type == b.Type && a.Pkg == b.Pkg &&
		a.FixState == b.FixState && a.Severity == b.Severity && a.SeveritySource == b.SeveritySource &&
		a.Title == b.Title && a.URL == b.URL && a.Published == b.Published && a.Suppressed == b.Suppressed &&
		sameCVSS(a.CVSS, b.CVSS) &&
		equalStrings(a.Aliases, b.Aliases) && equalStrings(a.Versions, b.Versions) &&
		equalStrings(a.Paths, b.Paths) && equalStrings(a.Fixed, b.Fixed)
}

func sameCVSS(a, b *report.CVSS) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// cvssBand is the lowest severity a CVSS v3 score belongs to.
func cvssBand(score float64) report.Severity {
	switch {
	case score >= 9:
		return report.Critical
	case score >= 7:
		return report.High
	case score >= 4:
		return report.Medium
	case score > 0:
		return report.Low
	}
	return report.Unknown
}

// whyNew is the reason a new finding needs review, one per severity, built
// once so that classifying many new findings allocates nothing.
var whyNew = func() (w [report.Critical + 1]string) {
	for s := report.Unknown; s <= report.Critical; s++ {
		w[s] = "new " + s.String() + " finding, no decision covers it"
	}
	return w
}()

func decisionName(d *triage.Decision) string {
	if d.Line > 0 {
		return fmt.Sprintf("the decision on %s (line %d)", d.ID, d.Line)
	}
	return "the decision on " + d.ID
}

func whyExpired(d *triage.Decision) string {
	return decisionName(d) + " expired on " + d.Expires.Format("2006-01-02")
}

func whyEscalated(d *triage.Decision, f *report.Finding) string {
	return "severity rose to " + f.Severity.String() + "; " + decisionName(d) + " was made at " + d.Severity.String()
}

func whyCVSS(d *triage.Decision, b, h *report.Finding, t float64) string {
	was := "none"
	if b.CVSS != nil {
		was = fmt.Sprint(b.CVSS.Score)
	}
	return fmt.Sprintf("CVSS %v crossed the policy threshold %v (was %s); %s was made at %s", h.CVSS.Score, t, was, decisionName(d), d.Severity)
}

func whyRise(b, h *report.Finding) string {
	return "severity rose from " + b.Severity.String() + " to " + h.Severity.String() + " and no decision covers it"
}

// foldID upper-cases an id for case-insensitive lookups, without allocating
// when it is upper case already (CVE ids are).
func foldID(id string) string {
	for i := 0; i < len(id); i++ {
		if c := id[i]; c >= 'a' && c <= 'z' || c >= 0x80 {
			return strings.ToUpper(id)
		}
	}
	return id
}

// lookupFolded looks id up, folded as foldID does, in a map keyed by folded
// ids, without allocating for ASCII ids of usual length.
func lookupFolded[V any](m map[string]V, id string) (V, bool) {
	var buf [96]byte
	if len(id) > len(buf) {
		v, ok := m[foldID(id)]
		return v, ok
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c >= 0x80 {
			v, ok := m[foldID(id)]
			return v, ok
		}
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		buf[i] = c
	}
	v, ok := m[string(buf[:len(id)])]
	return v, ok
}
