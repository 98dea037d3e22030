package render

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/cvetrail/cvetrail/internal/diff"
	"github.com/cvetrail/cvetrail/internal/report"
)

// Terminal colours. Every row starts with a code of the same length, so
// that text/tabwriter, which counts the codes as text, still aligns the
// columns; the reset goes after the last, unaligned, column.
const (
	colorReview  = "\x1b[31m" // red
	colorFix     = "\x1b[32m" // green
	colorQuiet   = "\x1b[90m" // grey
	colorDefault = "\x1b[39m"
	colorHeading = "\x1b[01m" // bold
	colorReset   = "\x1b[0m"
)

const maxTitle = 72

// Table writes r as aligned text for a terminal: per image with changes,
// those needing review first (marked "!"), then the stale decisions, then
// one line of counts. With color, rows are coloured by what they need.
// Untrusted text is stripped of control characters, so a title cannot
// move the cursor or change colours.
func Table(w io.Writer, r diff.Result, color bool) error {
	bw := bufio.NewWriter(w)
	tw := tabwriter.NewWriter(bw, 0, 4, 2, ' ', 0)
	t := &tableWriter{w: tw, color: color}
	changed := 0
	for i := range r.Images {
		d := &r.Images[i]
		if len(d.Changes) == 0 {
			continue
		}
		if changed > 0 {
			t.line("")
		}
		changed++
		t.heading(imageHeading(d))
		t.row(colorHeading, "", "CLASS", "SEVERITY", "ID", "PACKAGE", "VERSION", "FIXED", "WHY / TITLE")
		for j := range d.Changes {
			t.change(&d.Changes[j])
		}
	}
	if len(r.Stale) > 0 {
		if changed > 0 {
			t.line("")
		}
		t.heading("stale decisions (they cover no finding; remove them or narrow their scope)")
		t.row(colorHeading, "", "ID", "STATUS", "SCOPE", "LINE", "REASON")
		for _, s := range r.Stale {
			line := "-"
			if s.Line > 0 {
				line = fmt.Sprint(s.Line)
			}
			t.row(colorQuiet, "", termText(s.ID, 0), string(s.Status), termText(scope(s.Packages, s.Images), 60), line, termText(s.Reason, maxTitle))
		}
	}
	if changed > 0 || len(r.Stale) > 0 {
		t.line("")
	}
	t.line(countsLine(r, len(r.Images), changed))
	if t.err == nil {
		t.err = tw.Flush()
	}
	if t.err == nil {
		t.err = bw.Flush()
	}
	if t.err != nil {
		return fmt.Errorf("writing the diff as a table: %w", t.err)
	}
	return nil
}

type tableWriter struct {
	w     io.Writer
	color bool
	err   error
}

func (t *tableWriter) line(s string) {
	if t.err == nil {
		_, t.err = io.WriteString(t.w, s+"\n")
	}
}

func (t *tableWriter) heading(s string) {
	if t.color {
		s = colorHeading + s + colorReset
	}
	t.line(s)
}

// row writes tab-separated cells, coloured by code when colours are on.
func (t *tableWriter) row(code string, cells ...string) {
	s := strings.Join(cells, "\t")
	if t.color {
		s = code + s + colorReset
	}
	t.line(s)
}

func (t *tableWriter) change(c *diff.Change) {
	f := c.Current()
	mark, code := "", colorDefault
	switch {
	case c.NeedsReview:
		mark, code = "!", colorReview
	case c.Class == diff.FixAvailable:
		code = colorFix
	case c.Class == diff.Resolved || c.Class == diff.NewAcknowledged:
		code = colorQuiet
	}
	sev := f.Severity.String()
	if prev := previousSeverity(c); prev != nil {
		sev = prev.String() + "→" + sev
	}
	// The last column is not aligned, so it may be long: the reason for a
	// review is never cut, a title is.
	text := termText(f.Title, maxTitle)
	switch {
	case c.Why != "":
		text = termText(c.Why, 0)
	case c.Class == diff.Updated && c.Base != nil:
		text = termText("changed: "+changedFields(c.Base, c.Finding), maxTitle)
	}
	t.row(code, mark, string(c.Class), sev, termText(f.ID, 0), termText(f.Type+"/"+f.Pkg, 48),
		termText(versionText(c), 48), termText(strings.Join(f.Fixed, ","), 32), text)
}

func imageHeading(d *diff.ImageDiff) string {
	h := termText(d.Image, 0)
	switch {
	case d.Base == nil:
		h += " (new image)"
	case d.Head == nil:
		h += " (image removed)"
	default:
		if b, n := osName(d.Base.OS), osName(d.Head.OS); b != n {
			h += " (" + termText(cmp.Or(b, "no OS"), 40) + " → " + termText(cmp.Or(n, "no OS"), 40) + ")"
		} else if n != "" {
			h += " (" + termText(n, 40) + ")"
		}
	}
	return h
}

func osName(o *report.OS) string {
	if o == nil {
		return ""
	}
	return strings.TrimSpace(o.Family + " " + o.Version)
}

// versionText is the installed version, or the change of it.
func versionText(c *diff.Change) string {
	now := strings.Join(c.Current().Versions, ",")
	if c.Base != nil && c.Finding != nil {
		if was := strings.Join(c.Base.Versions, ","); was != now {
			return was + " → " + now
		}
	}
	return now
}

func scope(pkgs, images []string) string {
	var parts []string
	if len(pkgs) > 0 {
		parts = append(parts, "packages "+strings.Join(pkgs, ","))
	}
	if len(images) > 0 {
		parts = append(parts, "images "+strings.Join(images, ","))
	}
	if len(parts) == 0 {
		return "all"
	}
	return strings.Join(parts, "; ")
}

// changedFields names what differs between two findings of one
// vulnerability.
func changedFields(a, b *report.Finding) string {
	var out []string
	add := func(changed bool, name string) {
		if changed {
			out = append(out, name)
		}
	}
	add(a.ID != b.ID, "id "+a.ID+" → "+b.ID)
	add(!equal(a.Versions, b.Versions), "versions")
	add(!equal(a.Paths, b.Paths), "paths")
	add(!equal(a.Fixed, b.Fixed), "fixed versions")
	add(a.FixState != b.FixState, "fix state "+string(a.FixState)+" → "+string(b.FixState))
	add(a.SeveritySource != b.SeveritySource, "severity source")
	add(!sameCVSS(a.CVSS, b.CVSS), "cvss")
	add(!equal(a.Aliases, b.Aliases), "aliases")
	add(a.Title != b.Title, "title")
	add(a.URL != b.URL, "url")
	add(a.Published != b.Published, "published")
	add(a.Suppressed != b.Suppressed, "suppression")
	add(a.Severity != b.Severity, "severity")
	if len(out) == 0 {
		return "nothing"
	}
	return strings.Join(out, ", ")
}

func equal(a, b []string) bool {
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

func sameCVSS(a, b *report.CVSS) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// countsLine is the closing line: what was compared, the counts of every
// class that occurred, and whether anything needs review.
func countsLine(r diff.Result, images, changed int) string {
	var parts []string
	for _, c := range diff.Classes() {
		if n := r.Summary[c]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, c))
		}
	}
	review := 0
	for i := range r.Images {
		for j := range r.Images[i].Changes {
			if r.Images[i].Changes[j].NeedsReview {
				review++
			}
		}
	}
	s := fmt.Sprintf("%s compared, %d with changes", plural(images, "image"), changed)
	if len(parts) > 0 {
		s += ": " + strings.Join(parts, ", ")
	} else {
		s += ", no changes"
	}
	if review > 0 {
		s += fmt.Sprintf(". %s review.", plural(review, "change needs", "changes need"))
	} else {
		s += ". Nothing needs review."
	}
	return s
}

// plural renders n with the singular or plural form of a noun; the plural
// adds "s" unless given.
func plural(n int, one string, many ...string) string {
	if n == 1 {
		return "1 " + one
	}
	if len(many) > 0 {
		return fmt.Sprintf("%d %s", n, many[0])
	}
	return fmt.Sprintf("%d %ss", n, one)
}
