// Package triage holds the human decisions about findings: it loads and
// validates cvetrail/decisions.yaml, matches decisions to findings, tells
// whether a decision is still active or stale, records new decisions
// without disturbing the comments and order of a hand-edited file, and
// tells who made each decision, and when, from git history.
package triage

import (
	"path"
	"slices"
	"strings"
	"time"

	"github.com/cvetrail/cvetrail/internal/report"
)

// Status is what was decided about a finding.
type Status string

// The statuses a decision may have.
const (
	NotAffected        Status = "not_affected"
	Accepted           Status = "accepted"
	FalsePositive      Status = "false_positive"
	Fixing             Status = "fixing"
	UnderInvestigation Status = "under_investigation"
)

// Decision is one entry of decisions.yaml.
type Decision struct {
	ID            string          // vulnerability id; matches a finding's id or any alias
	Packages      []string        // optional scope: package names
	Images        []string        // optional scope: image globs (path.Match syntax)
	Status        Status          //
	Justification string          // OpenVEX justification; required for not_affected
	Reason        string          //
	Severity      report.Severity // severity when decided; a rise re-opens it
	Expires       time.Time       // zero: never; otherwise expires at the end of that day (UTC)
	Ticket        string          //
	Line          int             // line of the entry in decisions.yaml, for messages
	EndLine       int             // last line of the entry; set by Load, used for provenance
}

// Statuses lists the valid statuses, in the order help text shows them.
var Statuses = []Status{NotAffected, Accepted, FalsePositive, Fixing, UnderInvestigation}

// Justifications lists the OpenVEX justifications a not_affected decision
// must give one of.
var Justifications = []string{
	"component_not_present",
	"vulnerable_code_not_present",
	"vulnerable_code_not_in_execute_path",
	"vulnerable_code_cannot_be_controlled_by_adversary",
	"inline_mitigations_already_exist",
}

// Valid reports whether s is one of Statuses.
func (s Status) Valid() bool { return slices.Contains(Statuses, s) }

// Covers reports whether d applies to finding f of image: its id is f's id
// or one of f's aliases, and its package and image scopes, when given,
// match. Covers says nothing about whether d is still active.
func (d *Decision) Covers(image string, f *report.Finding) bool {
	if !f.HasID(d.ID) {
		return false
	}
	if len(d.Packages) > 0 {
		ok := false
		pkg := report.CanonicalPkg(f.Type, f.Pkg)
		for _, p := range d.Packages {
			if p == f.Pkg || report.CanonicalPkg(f.Type, p) == pkg {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if len(d.Images) > 0 {
		ok := false
		for _, g := range d.Images {
			if MatchImage(g, image) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// MatchImage reports whether image matches the glob g. "*" matches any run
// of characters, including "/" and ":", so "registry/app:*" matches every
// tag of the app; a glob without wildcards must equal the image.
func MatchImage(g, image string) bool {
	if !strings.ContainsAny(g, "*?[") {
		return g == image
	}
	// path.Match stops "*" at "/"; image references are matched as one
	// string, so "/" is swapped for a byte that never occurs in references.
	const sep = "\x00"
	ok, err := path.Match(strings.ReplaceAll(g, "/", sep), strings.ReplaceAll(image, "/", sep))
	return err == nil && ok
}

// Expired reports whether d has expired at now. A decision expiring on a
// date is valid through the whole of that day, in UTC: it expires at the
// following midnight UTC. Only the calendar date of Expires counts, in
// the location it carries, so a time of day or a zone never shifts it.
func (d *Decision) Expired(now time.Time) bool {
	if d.Expires.IsZero() {
		return false
	}
	y, m, day := d.Expires.Date()
	return !now.Before(time.Date(y, m, day+1, 0, 0, 0, 0, time.UTC))
}

// Escalated reports whether the finding's severity now is above the
// severity d was recorded at.
func (d *Decision) Escalated(now report.Severity) bool { return now > d.Severity }

// Active reports whether d still stands for a finding now at severity sev.
func (d *Decision) Active(now time.Time, sev report.Severity) bool {
	return !d.Expired(now) && !d.Escalated(sev)
}
