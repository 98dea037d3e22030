// Package diff classifies the changes between two reports of the same
// images: what is new, what a decision already covers, what got worse
// since a decision was made, what was fixed upstream, what merely changed
// in detail after a rebuild, and what disappeared.
//
// The comparison is a single merge-join over two streams of findings in key
// order, so it is linear in the number of findings and holds in memory only
// the changes and the findings left unmatched by key. Unmatched findings of
// the same package that share an id or alias are then paired, so that a
// scanner switch that changes the canonical id of a vulnerability is an
// update, not a new finding plus a resolved one.
//
// # Classes
//
// For a finding present in the head report, a covering decision is looked
// up first (the most specific one, as triage defines it):
//
//   - expired: the covering decision has expired. Needs review.
//   - escalated: the head severity is above the severity the decision was
//     recorded at; or, with Policy.CVSSThreshold set, the CVSS score crossed
//     the threshold between base and head while the decision was recorded at
//     a severity below the threshold's band. Needs review. A fall never
//     escalates.
//
// These two apply whether or not the finding changed between base and head:
// a decision that expires today on an unchanged finding is reported. Then:
//
//   - new: absent from the base, no decision covers it. Needs review unless
//     the policy narrows it out.
//   - new-acknowledged: absent from the base, an active decision covers it.
//   - severity-changed: the severity rose or fell. Needs review only with
//     Policy.BlockSeverityRise, for a rise, when no decision covers the
//     finding (a covering decision that still stands is not re-opened).
//   - fix-available: the base had no fixed version and the head has one.
//   - updated: any other detail changed (versions, paths, fixed versions,
//     fix state, CVSS, title, URL, aliases, the canonical id after alias
//     pairing, …).
//   - resolved: present in the base, absent from the head.
//   - stale-decision: a decision that covers no finding of any head image
//     compared (see Comparer.Result).
//
// Unchanged findings whose decision still stands are not listed. When
// several classes apply to one finding, the first of expired, escalated,
// severity-changed, fix-available, updated wins.
//
// # Policy
//
// A Policy narrows what needs a human; its zero value asks about
// everything. A finding below Policy.MinSeverity, without a fix under
// Policy.OnlyFixable, marked will-not-fix under Policy.IgnoreWontFix, or
// suppressed by the scanner itself (report.Finding.Suppressed) never needs
// review, whatever its class; Change.Why then says why not.
package diff
