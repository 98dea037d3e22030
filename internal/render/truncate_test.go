package render

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/cvetrail/cvetrail/internal/diff"
	"github.com/cvetrail/cvetrail/internal/report"
	"github.com/cvetrail/cvetrail/internal/triage"
)

// large compares two reports giving 5,000 changes: review new ones, then
// escalations, fixes, resolved and updated findings.
func large(t *testing.T, review, escalated int) diff.Result {
	t.Helper()
	const total = 5000
	var base, head []report.Finding
	var decisions []triage.Decision
	long := "libexample: a flaw in the parser allows denial of service, "
	for i := 0; i < total; i++ {
		id := fmt.Sprintf("CVE-2026-%05d", i)
		f := fnd(id, "deb", fmt.Sprintf("libexample%d", i%50), report.Severity(1+i%4), title(long+id), versions("1.2.3-4"))
		switch {
		case i < review: // new, needs review
			head = append(head, f)
		case i < review+escalated: // escalated
			base = append(base, f)
			g := f
			g.Severity = report.Critical
			head = append(head, g)
			decisions = append(decisions, triage.Decision{ID: id, Status: triage.Accepted, Reason: "reviewed " + id, Severity: report.Low})
		case i < review+escalated+500: // fix available
			base = append(base, f)
			g := f
			g.Fixed, g.FixState = []string{"1.2.3-5"}, report.Fixed
			head = append(head, g)
		case i < review+escalated+1700: // resolved
			base = append(base, f)
		default: // updated
			base = append(base, f)
			g := f
			g.Versions = []string{"1.2.3-4+b1"}
			head = append(head, g)
		}
	}
	r, err := diff.Compare(map[string]*report.Report{app: rep(app, nil, base...)}, map[string]*report.Report{app: rep(app, nil, head...)},
		&triage.File{Decisions: decisions}, diff.Policy{}, now)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range r.Images {
		n += len(d.Changes)
	}
	if n != total {
		t.Fatalf("%d changes, want %d", n, total)
	}
	return r
}

var leftOutNote = regexp.MustCompile(`> (\d+) rows? (?:was|were) left out to keep this description under its size limit`)

// sections splits a body into its sections by heading, counting table
// rows (after the header separator) and command lines.
func sections(body string) (rows map[string]int, cmds map[string]int) {
	rows, cmds = map[string]int{}, map[string]int{}
	cur := "top"
	for _, line := range strings.Split(body, "\n") {
		switch {
		case strings.HasPrefix(line, "### "):
			cur = strings.TrimPrefix(line, "### ")
		case strings.HasPrefix(line, "<details><summary>"):
			cur = strings.TrimPrefix(line, "<details><summary>")
			cur = cur[:strings.Index(cur, " (")]
		case strings.HasPrefix(line, "| ") && !strings.HasPrefix(line, "| Severity") && !strings.HasPrefix(line, "| Decision"):
			rows[cur]++
		case strings.HasPrefix(line, "cvetrail ack "):
			cmds[cur]++
		}
	}
	return rows, cmds
}

func TestMarkdownLimit(t *testing.T) {
	r := large(t, 100, 50)
	var full bytes.Buffer
	if err := Markdown(&full, r, sampleMeta, 0); err != nil {
		t.Fatal(err)
	}
	fullRows, _ := sections(full.String())
	if full.Len() <= GitHubLimit {
		t.Fatalf("the unlimited body is only %d bytes: the test needs more", full.Len())
	}
	if leftOutNote.MatchString(full.String()) {
		t.Fatal("the unlimited body says rows were left out")
	}

	var b bytes.Buffer
	if err := Markdown(&b, r, sampleMeta, GitHubLimit); err != nil {
		t.Fatal(err)
	}
	body := b.String()
	if b.Len() > GitHubLimit {
		t.Fatalf("body is %d bytes, over the limit %d", b.Len(), GitHubLimit)
	}
	rows, cmds := sections(body)
	// What needs review survives whole: all its rows and commands.
	if rows["Needs review"] != 100 || cmds["Needs review"] != 100 {
		t.Errorf("needs review: %d rows, %d commands; want 100 of each", rows["Needs review"], cmds["Needs review"])
	}
	if esc := "Escalations and expired decisions"; rows[esc] != 50 || cmds[esc] != 50 {
		t.Errorf("escalations: %d rows, %d commands; want 50 of each", rows[esc], cmds[esc])
	}
	// Sections are shortened from the least important up: a shortened
	// section has only empty sections below it.
	order := []string{"Needs review", "Escalations and expired decisions", "Fix available", "Resolved", "Updated"}
	shortened := ""
	for _, s := range order {
		if shortened != "" && rows[s] > 0 {
			t.Errorf("%s keeps %d rows although the more important %s was shortened", s, rows[s], shortened)
		}
		if rows[s] < fullRows[s] && shortened == "" {
			shortened = s
		}
	}
	if shortened == "" {
		t.Fatal("nothing was shortened")
	}
	// The note counts what was left out and points to the ledger.
	m := leftOutNote.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no note about rows left out:\n%s", body[len(body)-2000:])
	}
	left, _ := strconv.Atoi(m[1])
	shown, all := 0, 0
	for s, n := range fullRows {
		all += n
		shown += rows[s]
	}
	if left != all-shown {
		t.Errorf("the note says %d rows left out; %d of %d were shown", left, shown, all)
	}
	if !strings.Contains(body, "(https://github.com/example/infra/tree/cvetrail/report/cvetrail)") {
		t.Error("the note does not link the ledger")
	}
	if !strings.HasSuffix(body, "</sub>\n") || strings.Count(body, "<details>") != strings.Count(body, "</details>") {
		t.Error("the body is cut mid-structure")
	}
}

func TestMarkdownLimitReviewTable(t *testing.T) {
	// When even what needs review does not fit, its rows are kept as long
	// as possible: every other section is empty, and the commands go
	// before the rows.
	r := large(t, 3000, 100)
	var b bytes.Buffer
	if err := Markdown(&b, r, Meta{}, GitHubLimit); err != nil {
		t.Fatal(err)
	}
	if b.Len() > GitHubLimit {
		t.Fatalf("body is %d bytes, over the limit", b.Len())
	}
	rows, cmds := sections(b.String())
	for s, n := range rows {
		if s != "Needs review" && n > 0 {
			t.Errorf("%s keeps %d rows while needs review is shortened", s, n)
		}
	}
	if rows["Needs review"] < 100 || rows["Needs review"] >= 3000 {
		t.Errorf("needs review shows %d rows", rows["Needs review"])
	}
	if cmds["Needs review"] != 0 {
		t.Errorf("%d commands kept while rows of what needs review were left out", cmds["Needs review"])
	}
	// Nearly all of the room is used.
	if b.Len() < GitHubLimit-1000 {
		t.Errorf("body is %d bytes: room left unused", b.Len())
	}
	if !strings.Contains(b.String(), "the ledger files committed on the branch") {
		t.Error("no pointer to the ledger without a LedgerURL")
	}
}

func TestMarkdownLimits(t *testing.T) {
	r := large(t, 200, 100)
	for _, limit := range []int{1, 50, 200, 1000, 4000, 20000, 65536, 200000} {
		var b bytes.Buffer
		if err := Markdown(&b, r, sampleMeta, limit); err != nil {
			t.Fatal(err)
		}
		if b.Len() > limit {
			t.Errorf("limit %d: %d bytes", limit, b.Len())
		}
		if !utf8.Valid(b.Bytes()) {
			t.Errorf("limit %d: invalid UTF-8", limit)
		}
		if limit >= 1000 && !strings.HasPrefix(b.String(), "## cvetrail: 300 changes need review") {
			t.Errorf("limit %d: no summary: %.80q", limit, b.String())
		}
	}
}
