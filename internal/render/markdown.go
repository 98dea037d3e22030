package render

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/cvetrail/cvetrail/internal/diff"
	"github.com/cvetrail/cvetrail/internal/report"
	"github.com/cvetrail/cvetrail/internal/triage"
)

// GitHubLimit is the largest pull request body GitHub accepts, in
// characters; as a byte limit it is always safe.
const GitHubLimit = 65536

// Meta is what the Markdown body says about the comparison besides the
// changes.
type Meta struct {
	// Scanners and DBs name the scanners and vulnerability databases that
	// produced the head reports, such as "trivy 0.74.0" and
	// "trivy-db 2026-03-10".
	Scanners []string
	DBs      []string
	// Base and Head name the compared revisions, such as "main" and
	// "cvetrail/report".
	Base, Head string
	// LedgerURL points to the committed ledger files; it is linked when
	// the body had to be shortened. May be empty.
	LedgerURL string
	// AckCommand is the command that records a decision; default
	// "cvetrail ack".
	AckCommand string
}

// Markdown writes r as the body of a pull or merge request: a summary line;
// a table of what needs review, gravest first, with the command to
// acknowledge each; the escalations and expired decisions with what was decided; collapsed
// sections for the fixes now available, severity changes, new findings
// the policy does not ask about, stale decisions, acknowledged findings,
// resolved findings and detail updates; and a footer naming the scanners
// and databases.
//
// The body stays within limit bytes (limit ≤ 0: no limit; GitHubLimit for
// GitHub). When it would not, rows are left out from the least important
// section up (updates first, the table of what needs review last), each
// shortened section says how many rows it left out, and a note points to
// m.LedgerURL. A limit too small for even the summary gives the summary
// cut at a character boundary.
//
// Untrusted text is made inert: no HTML, no Markdown links or images from
// titles, no table breaks, no @mentions, no #123 or GH-123 references, and
// only http(s) advisory URLs become links. The acknowledge commands quote
// every value for a POSIX shell.
func Markdown(w io.Writer, r diff.Result, m Meta, limit int) error {
	if _, err := io.WriteString(w, buildMarkdown(r, m, limit).fit(limit)); err != nil {
		return fmt.Errorf("writing the diff as Markdown: %w", err)
	}
	return nil
}

// A section is a part of the body whose rows can be left out to fit.
type section struct {
	open  string // always written when the section has rows
	head  string // written before the rows, when any is shown
	tail  string // written after the rows, when any is shown
	close string // always written when the section has rows
	// n is the number of rows; rows holds the first of them rendered,
	// possibly fewer than n when the rest could not fit in any case.
	n    int
	rows []string
	// note says that left rows were left out.
	note func(left int) string
	// importance: sections are shortened from the lowest up.
	importance int
	// with ties this section's row count to another's (the ack commands
	// follow the table rows they belong to): it never shows more rows than
	// that section. Such rows are not counted in the closing note.
	with *section

	shown int
	sum   []int // sum[k] is the length of the first k rows
}

// add renders the n rows of the section with row, stopping once they
// exceed limit bytes (limit ≤ 0: none), since the rest could never be
// shown.
func (s *section) add(n, limit int, row func(i int) string) {
	s.n = n
	size := 0
	for i := 0; i < n && (limit <= 0 || size <= limit); i++ {
		r := row(i)
		s.rows = append(s.rows, r)
		size += len(r)
	}
}

func (s *section) prepare() {
	s.shown = len(s.rows)
	s.sum = make([]int, len(s.rows)+1)
	for i, r := range s.rows {
		s.sum[i+1] = s.sum[i] + len(r)
	}
}

// size is the length of the section showing k rows.
func (s *section) size(k int) int {
	if s.n == 0 {
		return 0
	}
	size := len(s.open) + len(s.close) + s.sum[k]
	if k > 0 {
		size += len(s.head) + len(s.tail)
	}
	if k < s.n {
		size += len(s.note(s.n - k))
	}
	return size
}

func (s *section) render(b *strings.Builder) {
	if s.n == 0 {
		return
	}
	b.WriteString(s.open)
	if s.shown > 0 {
		b.WriteString(s.head)
		for _, r := range s.rows[:s.shown] {
			b.WriteString(r)
		}
		b.WriteString(s.tail)
	}
	if s.shown < s.n {
		b.WriteString(s.note(s.n - s.shown))
	}
	b.WriteString(s.close)
}

type markdownDoc struct {
	top      string
	sections []*section // in document order
	footer   string
	omitted  func(rows int) string // the closing note when rows were left out
}

func (d *markdownDoc) fit(limit int) string {
	for _, s := range d.sections {
		s.prepare()
	}
	total := func() int {
		n := len(d.top) + len(d.footer) + len(d.omittedNow())
		for _, s := range d.sections {
			n += s.size(s.shown)
		}
		return n
	}
	if limit > 0 && total() > limit {
		// Leave rows out from the least important section up, keeping room
		// for the longest closing note so that it never pushes the body
		// over.
		rows := 0
		for _, s := range d.sections {
			if s.with == nil {
				rows += s.n
			}
		}
		reserve := len(d.omitted(rows))
		excess := func() int { return total() - len(d.omittedNow()) + reserve - limit }
		order := slices.Clone(d.sections)
		slices.SortStableFunc(order, func(a, b *section) int { return cmp.Compare(a.importance, b.importance) })
		for _, s := range order {
			if e := excess(); e > 0 {
				s.shrink(e)
			}
			for _, t := range d.sections {
				if t.with == s {
					t.shown = min(t.shown, s.shown)
				}
			}
		}
	}
	var b strings.Builder
	b.Grow(total())
	b.WriteString(d.top)
	for _, s := range d.sections {
		s.render(&b)
	}
	b.WriteString(d.omittedNow())
	b.WriteString(d.footer)
	out := b.String()
	if limit > 0 && len(out) > limit {
		// Not even the headings fit: keep the summary, cut at a character
		// boundary.
		out = d.top
		if len(out) > limit {
			out = out[:limit]
			for len(out) > 0 && !utf8.ValidString(out) {
				out = out[:len(out)-1]
			}
		}
	}
	return out
}

// omittedNow is the closing note for the rows left out so far, or "".
func (d *markdownDoc) omittedNow() string {
	left := 0
	for _, s := range d.sections {
		if s.with == nil {
			left += s.n - s.shown
		}
	}
	if left == 0 {
		return ""
	}
	return d.omitted(left)
}

// shrink leaves out rows until the section is at least excess bytes
// smaller, or empty.
func (s *section) shrink(excess int) {
	want := s.size(s.shown) - excess
	k := s.shown
	for k > 0 && s.size(k) > want {
		k--
	}
	s.shown = k
}

func buildMarkdown(r diff.Result, m Meta, limit int) *markdownDoc {
	ack := m.AckCommand
	if ack == "" {
		ack = "cvetrail ack"
	}
	var review, decided, fixes, sevChanged, newQuiet, acked, resolved, updated []*diff.Change
	reviewCount := 0
	for i := range r.Images {
		for j := range r.Images[i].Changes {
			c := &r.Images[i].Changes[j]
			if c.NeedsReview {
				reviewCount++
			}
			switch {
			case c.Class == diff.Escalated || c.Class == diff.Expired:
				decided = append(decided, c)
			case c.NeedsReview:
				review = append(review, c)
			case c.Class == diff.FixAvailable:
				fixes = append(fixes, c)
			case c.Class == diff.SeverityChanged:
				sevChanged = append(sevChanged, c)
			case c.Class == diff.New:
				newQuiet = append(newQuiet, c)
			case c.Class == diff.NewAcknowledged:
				acked = append(acked, c)
			case c.Class == diff.Resolved:
				resolved = append(resolved, c)
			default:
				updated = append(updated, c)
			}
		}
	}
	bySeverity := func(a, b *diff.Change) int {
		if c := cmp.Compare(b.Current().Severity, a.Current().Severity); c != 0 {
			return c
		}
		if a.NeedsReview != b.NeedsReview {
			if a.NeedsReview {
				return -1
			}
			return 1
		}
		if c := strings.Compare(a.Image, b.Image); c != 0 {
			return c
		}
		return a.Key.Compare(b.Key)
	}
	slices.SortStableFunc(review, bySeverity)
	slices.SortStableFunc(decided, bySeverity)

	d := &markdownDoc{}
	d.top = summary(r, reviewCount)
	ledger := "the ledger files committed on the branch"
	if u := safeURL(m.LedgerURL); u != "" {
		ledger = "[the ledger files](" + u + ")"
	} else if m.LedgerURL != "" {
		ledger = "the ledger files at " + mdCode(m.LedgerURL)
	}
	d.omitted = func(rows int) string {
		return fmt.Sprintf("\n> [!NOTE]\n> %s left out to keep this description under its size limit. "+
			"Everything is in %s; `cvetrail diff` shows it all.\n", plural(rows, "row was", "rows were"), ledger)
	}
	leftOut := func(left int) string {
		return fmt.Sprintf("\n_…and %d more, left out to fit._\n", left)
	}

	commandsLeftOut := func(left int) string {
		return fmt.Sprintf("\n_%s for the rows further down left out to fit._\n", plural(left, "command", "commands"))
	}
	// table adds a section listing changes; with cmd, a block of commands,
	// one for each row, follows it.
	table := func(open, head string, importance int, changes []*diff.Change, row func(*diff.Change) string, intro string, cmd func(*diff.Change) string) {
		if len(changes) == 0 {
			return
		}
		t := &section{open: open, head: "\n" + head, note: leftOut, importance: importance}
		if strings.HasPrefix(open, "\n<details>") {
			t.close = "\n</details>\n"
		}
		t.add(len(changes), limit, func(i int) string { return row(changes[i]) })
		d.sections = append(d.sections, t)
		if cmd == nil {
			return
		}
		a := &section{open: intro, note: commandsLeftOut, importance: importance - 2, with: t}
		a.add(len(changes), limit, func(i int) string { return cmd(changes[i]) + "\n" })
		f := fence(strings.Join(a.rows, ""))
		a.head, a.tail = "\n"+f+"sh\n", f+"\n"
		d.sections = append(d.sections, a)
	}
	details := func(title string, n int) string {
		return fmt.Sprintf("\n<details><summary>%s (%d)</summary>\n", title, n)
	}

	table("\n### Needs review\n",
		"| Severity | Vulnerability | Package | Installed → fixed | Image | Title |\n|---|---|---|---|---|---|\n", 10, review,
		func(c *diff.Change) string {
			f := c.Current()
			title := mdText(f.Title)
			if c.Class != diff.New {
				// Say why a change other than a new finding is here.
				title = "_" + mdText(c.Why) + "_ " + title
			}
			return "| " + severityCell(c) + " | " + idCell(f) + " | " + pkgCell(f) + " | " + versionsCell(c) + " | " + mdCode(c.Image) + " | " + title + " |\n"
		},
		"\nTo acknowledge one, run its line with STATUS replaced by one of "+
			"`not_affected` (add `--justification`), `accepted`, `false_positive`, `fixing`, `under_investigation`, "+
			"and REASON by a sentence for the reviewers; add `--expires 90d` to revisit it:\n",
		func(c *diff.Change) string { return ackNew(ack, c) })
	table("\n### Escalations and expired decisions\n",
		"| Severity now | Vulnerability | Package | Image | Decision | What happened |\n|---|---|---|---|---|---|\n", 9, decided,
		func(c *diff.Change) string {
			f := c.Current()
			what := mdText(c.Why)
			if !c.NeedsReview {
				what = "(no review needed) " + what
			}
			return "| " + severityCell(c) + " | " + idCell(f) + " | " + pkgCell(f) + " | " + mdCode(c.Image) + " | " + decisionCell(c.Decision) + " | " + what + " |\n"
		},
		"\nTo renew a decision that still holds, run its line (the severity recorded becomes today's); "+
			"otherwise change the status and reason, or fix the finding:\n",
		func(c *diff.Change) string { return ackRenew(ack, c) })
	table(details("Fix available", len(fixes)),
		"| Severity | Vulnerability | Package | Installed → fixed | Image | Title |\n|---|---|---|---|---|---|\n", 6, fixes,
		func(c *diff.Change) string {
			f := c.Finding
			return "| " + severityCell(c) + " | " + idCell(f) + " | " + pkgCell(f) + " | " + versionsCell(c) + " | " + mdCode(c.Image) + " | " + mdText(f.Title) + " |\n"
		}, "", nil)
	table(details("Severity changed", len(sevChanged)),
		"| Severity | Vulnerability | Package | Image | Decision | Title |\n|---|---|---|---|---|---|\n", 5, sevChanged,
		func(c *diff.Change) string {
			f := c.Finding
			return "| " + severityCell(c) + " | " + idCell(f) + " | " + pkgCell(f) + " | " + mdCode(c.Image) + " | " + decisionCell(c.Decision) + " | " + mdText(f.Title) + " |\n"
		}, "", nil)
	table(details("New, not asked about", len(newQuiet)),
		"| Severity | Vulnerability | Package | Image | Why not |\n|---|---|---|---|---|\n", 4, newQuiet,
		func(c *diff.Change) string {
			f := c.Finding
			return "| " + severityCell(c) + " | " + idCell(f) + " | " + pkgCell(f) + " | " + mdCode(c.Image) + " | " + mdText(c.Why) + " |\n"
		}, "", nil)
	if len(r.Stale) > 0 {
		s := &section{
			open:       details("Stale decisions", len(r.Stale)) + "\nThese decisions cover no finding any more; remove them or narrow their scope.\n",
			head:       "\n| Decision | Scope | Status | Reason | Line |\n|---|---|---|---|---|\n",
			close:      "\n</details>\n",
			note:       leftOut,
			importance: 3,
		}
		s.add(len(r.Stale), limit, func(i int) string {
			st := &r.Stale[i]
			line := ""
			if st.Line > 0 {
				line = fmt.Sprint(st.Line)
			}
			return "| " + mdCode(st.ID) + " | " + mdText(scope(st.Packages, st.Images)) + " | " + mdText(string(st.Status)) + " | " + mdText(st.Reason) + " | " + line + " |\n"
		})
		d.sections = append(d.sections, s)
	}
	table(details("Acknowledged", len(acked)),
		"| Severity | Vulnerability | Package | Image | Decision |\n|---|---|---|---|---|\n", 2, acked,
		func(c *diff.Change) string {
			f := c.Finding
			return "| " + severityCell(c) + " | " + idCell(f) + " | " + pkgCell(f) + " | " + mdCode(c.Image) + " | " + decisionCell(c.Decision) + " |\n"
		}, "", nil)
	table(details("Resolved", len(resolved)),
		"| Severity | Vulnerability | Package | Version | Image |\n|---|---|---|---|---|\n", 1, resolved,
		func(c *diff.Change) string {
			f := c.Base
			return "| " + severityCell(c) + " | " + idCell(f) + " | " + pkgCell(f) + " | " + codeList(f.Versions) + " | " + mdCode(c.Image) + " |\n"
		}, "", nil)
	table(details("Updated", len(updated)),
		"| Severity | Vulnerability | Package | Installed | Image | Changed |\n|---|---|---|---|---|---|\n", 0, updated,
		func(c *diff.Change) string {
			f := c.Finding
			return "| " + severityCell(c) + " | " + idCell(f) + " | " + pkgCell(f) + " | " + versionsChange(c) + " | " + mdCode(c.Image) + " | " + mdText(changedFields(c.Base, c.Finding)) + " |\n"
		}, "", nil)
	d.footer = footer(r, m)
	return d
}

// summary is the heading and the line of counts.
func summary(r diff.Result, review int) string {
	var b strings.Builder
	if review > 0 {
		fmt.Fprintf(&b, "## cvetrail: %s review\n\n", plural(review, "change needs", "changes need"))
	} else {
		b.WriteString("## cvetrail: nothing needs review\n\n")
	}
	var parts []string
	for _, c := range diff.Classes() {
		if n := r.Summary[c]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, c))
		}
	}
	if len(parts) == 0 {
		b.WriteString("No changes.")
	} else {
		b.WriteString(strings.Join(parts, " · "))
	}
	if review > 0 {
		fmt.Fprintf(&b, " — **%s review**.\n", plural(review, "needs", "need"))
	} else {
		b.WriteString(" — nothing needs review.\n")
	}
	return b.String()
}

func footer(r diff.Result, m Meta) string {
	var parts []string
	if m.Base != "" || m.Head != "" {
		parts = append(parts, "compared "+mdCode(cmp.Or(m.Base, "?"))+" → "+mdCode(cmp.Or(m.Head, "?")))
	}
	changed := 0
	for i := range r.Images {
		if len(r.Images[i].Changes) > 0 {
			changed++
		}
	}
	parts = append(parts, fmt.Sprintf("%s, %d with changes", plural(len(r.Images), "image"), changed))
	if len(m.Scanners) > 0 {
		parts = append(parts, "scanner "+mdTextList(m.Scanners))
	}
	if len(m.DBs) > 0 {
		parts = append(parts, "database "+mdTextList(m.DBs))
	}
	return "\n---\n<sub>" + strings.Join(parts, " · ") + "</sub>\n"
}

func mdTextList(s []string) string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = mdText(v)
	}
	return strings.Join(out, ", ")
}

func severityCell(c *diff.Change) string {
	f := c.Current()
	s := f.Severity.String()
	if f.Severity >= report.High {
		s = "**" + s + "**"
	}
	if prev := previousSeverity(c); prev != nil {
		s = prev.String() + " → " + s
	}
	return s
}

func idCell(f *report.Finding) string {
	return mdLink(f.ID, f.URL)
}

func pkgCell(f *report.Finding) string {
	return mdCode(f.Pkg) + " " + mdText(f.Type)
}

func codeList(vs []string) string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = mdCode(v)
	}
	return strings.Join(out, ", ")
}

// versionsCell is "installed → fixed".
func versionsCell(c *diff.Change) string {
	f := c.Current()
	fixed := codeList(f.Fixed)
	switch {
	case fixed != "":
	case f.FixState == report.WontFix:
		fixed = "will not be fixed"
	default:
		fixed = "no fix yet"
	}
	return codeList(f.Versions) + " → " + fixed
}

// versionsChange is the installed version, or its change.
func versionsChange(c *diff.Change) string {
	if c.Base != nil && !equal(c.Base.Versions, c.Finding.Versions) {
		return codeList(c.Base.Versions) + " → " + codeList(c.Finding.Versions)
	}
	return codeList(c.Finding.Versions)
}

func decisionCell(d *triage.Decision) string {
	if d == nil {
		return ""
	}
	s := mdText(string(d.Status))
	if d.Justification != "" {
		s += " (" + mdText(d.Justification) + ")"
	}
	s += " at " + d.Severity.String()
	if !d.Expires.IsZero() {
		s += ", expires " + d.Expires.Format("2006-01-02")
	}
	if d.Reason != "" {
		s += ": " + mdText(d.Reason)
	}
	if d.Ticket != "" {
		s += " " + mdLink("ticket", d.Ticket)
	}
	return s
}

// ackNew is the command acknowledging a finding no decision covers yet:
// scoped to its package and image, with STATUS and REASON for the human to
// fill in (ack refuses STATUS, so pasting it unedited records nothing).
func ackNew(ack string, c *diff.Change) string {
	f := c.Current()
	return ack + " " + shellQuote(f.ID) + " --pkg " + shellQuote(f.Pkg) + " --image " + shellQuoteAlways(c.Image) +
		" --status STATUS --reason 'REASON'"
}

// ackRenew is the command renewing the decision of an escalated or expired
// finding: the same id and scope, so ack updates the entry instead of
// adding one, with its status, justification and reason, and for an
// expired one a new expiry.
func ackRenew(ack string, c *diff.Change) string {
	d := c.Decision
	var b strings.Builder
	b.WriteString(ack + " " + shellQuote(d.ID))
	for _, p := range d.Packages {
		b.WriteString(" --pkg " + shellQuote(p))
	}
	for _, g := range d.Images {
		b.WriteString(" --image " + shellQuoteAlways(g))
	}
	b.WriteString(" --status " + shellQuote(string(d.Status)))
	if d.Justification != "" {
		b.WriteString(" --justification " + shellQuote(d.Justification))
	}
	b.WriteString(" --reason " + shellQuoteAlways(cmp.Or(d.Reason, "REASON")))
	if c.Class == diff.Expired {
		b.WriteString(" --expires 90d")
	}
	return b.String()
}
