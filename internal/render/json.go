package render

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/cvetrail/cvetrail/internal/diff"
	"github.com/cvetrail/cvetrail/internal/par"
	"github.com/cvetrail/cvetrail/internal/report"
	"github.com/cvetrail/cvetrail/internal/triage"
)

// JSONSchemaVersion is the version of the document JSON writes.
const JSONSchemaVersion = 1

// parallelChanges is the number of changes of an image from which they
// are written on all cores, changesRun of them to a core at a time.
const (
	parallelChanges = 8192
	changesRun      = 4096
)

// changes writes the elements of an image's "changes" array.
func (jw *jsonWriter) changes(cs []diff.Change) {
	if len(cs) < parallelChanges {
		jw.buf = appendChanges(jw.buf[:0], cs, 0, len(cs))
		jw.write(jw.buf)
		return
	}
	bufs := make([][]byte, par.Cores())
	par.Ordered(len(cs), changesRun, func(slot, lo, hi int) {
		bufs[slot] = appendChanges(bufs[slot][:0], cs, lo, hi)
	}, func(slot int) error {
		jw.write(bufs[slot])
		return jw.err
	})
}

// appendChanges appends changes lo to hi of cs, each after its separator.
func appendChanges(b []byte, cs []diff.Change, lo, hi int) []byte {
	for j := lo; j < hi; j++ {
		if j > 0 {
			b = append(b, ',')
		}
		b = append(b, "\n        "...)
		jc := newJSONChange(&cs[j])
		b = appendChange(b, &jc, "        ")
	}
	return b
}

// JSON writes r as the stable JSON document of `cvetrail diff --format
// json`:
//
//	{
//	  "schemaVersion": 1,
//	  "needsReview": true,
//	  "images": [
//	    {"image": "registry.example/app:latest",
//	     "changes": [
//	       {"class": "new", "id": "CVE-2024-0001", "aliases": [], "type": "deb", "pkg": "openssl",
//	        "severity": "HIGH", "previousSeverity": null, "versions": ["3.0.11-1"], "fixed": ["3.0.13-1"],
//	        "needsReview": true, "why": "new HIGH finding, no decision covers it",
//	        "decision": null, "title": "…", "url": "…"}
//	     ]}
//	  ],
//	  "decisions": [
//	    {"class": "stale-decision", "id": "CVE-2020-1234", "packages": [], "images": [],
//	     "status": "accepted", "reason": "…", "line": 12}
//	  ],
//	  "summary": {"new": 1, "new-acknowledged": 0, "escalated": 0, "expired": 0, "severity-changed": 0,
//	              "fix-available": 0, "updated": 0, "resolved": 0, "stale-decision": 1}
//	}
//
// The fields:
//
//   - needsReview: true when any change needs a human (what `cvetrail
//     check` exits 1 for).
//   - images: the images with at least one change, sorted by reference;
//     images without changes are left out. Their changes are sorted: those
//     needing review first, then fix-available, new, escalated, expired,
//     severity-changed, new-acknowledged, updated, resolved, then by id,
//     type and package. Unchanged findings are not listed.
//   - class: new, new-acknowledged, escalated, expired, severity-changed,
//     fix-available, updated or resolved.
//   - id, aliases, type, pkg, severity, versions, fixed, title, url: the
//     finding as it is now; for a resolved finding, as it was. aliases,
//     versions and fixed are arrays, empty when there is nothing; title and
//     url are strings, empty when unknown. severity is one of UNKNOWN, LOW,
//     MEDIUM, HIGH, CRITICAL.
//   - previousSeverity: the severity in the base report when it differs,
//     else null.
//   - needsReview: whether this change needs a human. why: one line saying
//     why it does, or why a change that would have needed review does not
//     (the policy, a scanner suppression); absent otherwise.
//   - decision: null, or the decision covering the finding: {"id",
//     "status", "justification", "reason", "severity", "expires", "ticket"};
//     severity is the one recorded with the decision, expires a date
//     (YYYY-MM-DD) or null, justification and ticket empty strings when not
//     given.
//   - decisions: the stale decisions, covering no finding of any image, in
//     the order of the decisions file, with their scope (packages, images:
//     arrays, empty for no restriction) and their line in it (0 when
//     unknown).
//   - summary: the number of changes of every class, zeros included, and
//     of stale decisions.
//
// Within schemaVersion 1 fields are only ever added, never removed or
// changed in meaning.
//
// The document is written as it is built, a few thousand changes at a
// time (on all cores for an image with many), so a diff of a million
// findings does not need its JSON held in memory.
func JSON(w io.Writer, r diff.Result) error {
	jw := &jsonWriter{w: bufio.NewWriterSize(w, 64<<10)}
	jw.raw("{\n  \"schemaVersion\": ")
	jw.value(JSONSchemaVersion, "")
	jw.raw(",\n  \"needsReview\": ")
	jw.value(r.NeedsReview, "")
	jw.raw(",\n  \"images\": [")
	n := 0
	for i := range r.Images {
		d := &r.Images[i]
		if len(d.Changes) == 0 {
			continue
		}
		if n > 0 {
			jw.raw(",")
		}
		n++
		jw.raw("\n    {\n      \"image\": ")
		jw.value(d.Image, "")
		jw.raw(",\n      \"changes\": [")
		jw.changes(d.Changes)
		jw.raw("\n      ]\n    }")
	}
	if n > 0 {
		jw.raw("\n  ")
	}
	jw.raw("],\n  \"decisions\": ")
	stale := make([]jsonStale, 0, len(r.Stale))
	for i := range r.Stale {
		s := &r.Stale[i]
		stale = append(stale, jsonStale{
			Class: string(diff.StaleDecision), ID: s.ID, Packages: nonNil(s.Packages), Images: nonNil(s.Images),
			Status: string(s.Status), Reason: s.Reason, Line: s.Line,
		})
	}
	jw.value(stale, "  ")
	jw.raw(",\n  \"summary\": ")
	jw.value(jsonSummary{
		New: r.Summary[diff.New], NewAcknowledged: r.Summary[diff.NewAcknowledged],
		Escalated: r.Summary[diff.Escalated], Expired: r.Summary[diff.Expired],
		SeverityChanged: r.Summary[diff.SeverityChanged], FixAvailable: r.Summary[diff.FixAvailable],
		Updated: r.Summary[diff.Updated], Resolved: r.Summary[diff.Resolved],
		StaleDecision: r.Summary[diff.StaleDecision],
	}, "  ")
	jw.raw("\n}\n")
	if jw.err == nil {
		jw.err = jw.w.Flush()
	}
	if jw.err != nil {
		return fmt.Errorf("writing the diff as JSON: %w", jw.err)
	}
	return nil
}

// jsonWriter writes a JSON document piece by piece, remembering the first
// error.
type jsonWriter struct {
	w   *bufio.Writer
	err error
	buf []byte // reused by appendChange
}

func (j *jsonWriter) write(b []byte) {
	if j.err == nil {
		_, j.err = j.w.Write(b)
	}
}

func (j *jsonWriter) raw(s string) {
	if j.err == nil {
		_, j.err = j.w.WriteString(s)
	}
}

// value writes v indented by two spaces per level, its nested lines
// prefixed by prefix.
func (j *jsonWriter) value(v any, prefix string) {
	if j.err != nil {
		return
	}
	// Not HTML-escaped: the document is data for programs and people, and
	// "<", ">" and "&" in titles and URLs stay readable.
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent(prefix, "  ")
	if err := enc.Encode(v); err != nil {
		j.err = err
		return
	}
	_, j.err = j.w.Write(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}

type jsonChange struct {
	Class            string        `json:"class"`
	ID               string        `json:"id"`
	Aliases          []string      `json:"aliases"`
	Type             string        `json:"type"`
	Pkg              string        `json:"pkg"`
	Severity         string        `json:"severity"`
	PreviousSeverity *string       `json:"previousSeverity"`
	Versions         []string      `json:"versions"`
	Fixed            []string      `json:"fixed"`
	NeedsReview      bool          `json:"needsReview"`
	Why              string        `json:"why,omitempty"`
	Decision         *jsonDecision `json:"decision"`
	Title            string        `json:"title"`
	URL              string        `json:"url"`
}

type jsonDecision struct {
	ID            string  `json:"id"`
	Status        string  `json:"status"`
	Justification string  `json:"justification"`
	Reason        string  `json:"reason"`
	Severity      string  `json:"severity"`
	Expires       *string `json:"expires"`
	Ticket        string  `json:"ticket"`
}

type jsonStale struct {
	Class    string   `json:"class"`
	ID       string   `json:"id"`
	Packages []string `json:"packages"`
	Images   []string `json:"images"`
	Status   string   `json:"status"`
	Reason   string   `json:"reason"`
	Line     int      `json:"line"`
}

type jsonSummary struct {
	New             int `json:"new"`
	NewAcknowledged int `json:"new-acknowledged"`
	Escalated       int `json:"escalated"`
	Expired         int `json:"expired"`
	SeverityChanged int `json:"severity-changed"`
	FixAvailable    int `json:"fix-available"`
	Updated         int `json:"updated"`
	Resolved        int `json:"resolved"`
	StaleDecision   int `json:"stale-decision"`
}

func newJSONChange(c *diff.Change) jsonChange {
	f := c.Current()
	j := jsonChange{
		Class: string(c.Class), ID: f.ID, Aliases: nonNil(f.Aliases), Type: f.Type, Pkg: f.Pkg,
		Severity: f.Severity.String(), Versions: nonNil(f.Versions), Fixed: nonNil(f.Fixed),
		NeedsReview: c.NeedsReview, Why: c.Why, Decision: newJSONDecision(c.Decision),
		Title: f.Title, URL: f.URL,
	}
	if prev := previousSeverity(c); prev != nil {
		s := prev.String()
		j.PreviousSeverity = &s
	}
	return j
}

// previousSeverity returns the base severity of c when it differs from the
// current one.
func previousSeverity(c *diff.Change) *report.Severity {
	if c.Base == nil || c.Finding == nil || c.Base.Severity == c.Finding.Severity {
		return nil
	}
	return &c.Base.Severity
}

func newJSONDecision(d *triage.Decision) *jsonDecision {
	if d == nil {
		return nil
	}
	j := &jsonDecision{ID: d.ID, Status: string(d.Status), Justification: d.Justification, Reason: d.Reason,
		Severity: d.Severity.String(), Ticket: d.Ticket}
	if !d.Expires.IsZero() {
		s := d.Expires.Format("2006-01-02")
		j.Expires = &s
	}
	return j
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
