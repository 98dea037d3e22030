package gitrepo

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestLogTrailers(t *testing.T) {
	ctx, r := newRepo(t)
	c1 := commit(t, r, "first", nil, map[string]string{"cvetrail/app.jsonl": "1\n"})
	msg := "chore(cvetrail): vulnerability report 2026-03-02\n\n" +
		"New: 1, resolved: 1.\nSecond line of the summary.\n\n" +
		"Cvetrail-Scanner: trivy 0.74.0\n" +
		"Cvetrail-DB: 2 (2026-03-02T00:00:00Z)\n" +
		"cvetrail-needs-review: yes\n" +
		"Co-authored-by: Bob <bob@example.com>\n" +
		"Co-authored-by: Carol <carol@example.com>\n"
	env := []string{"GIT_AUTHOR_NAME=Bob Builder", "GIT_AUTHOR_EMAIL=bob@example.com", "GIT_AUTHOR_DATE=2026-03-02T08:30:00-05:00"}
	c2 := commit(t, r, msg, env, map[string]string{"cvetrail/app.jsonl": "2\n"})
	c3 := commit(t, r, "unrelated", nil, map[string]string{"README": "r\n"})

	commits, err := r.Log(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	if len(commits) != 3 || commits[0].ID != c3 || commits[1].ID != c2 || commits[2].ID != c1 {
		t.Fatalf("Log returned %d commits: %+v", len(commits), commits)
	}
	got := commits[1]
	want := Commit{
		ID:             c2,
		Parents:        []string{c1},
		Author:         "Bob Builder",
		AuthorEmail:    "bob@example.com",
		AuthorDate:     time.Date(2026, 3, 2, 8, 30, 0, 0, time.FixedZone("", -5*3600)),
		Committer:      "cvetrail",
		CommitterEmail: "cvetrail@example.com",
		CommitterDate:  time.Date(2026, 3, 1, 10, 0, 0, 0, time.FixedZone("", 2*3600)),
		Subject:        "chore(cvetrail): vulnerability report 2026-03-02",
		Body: "New: 1, resolved: 1.\nSecond line of the summary.\n\n" +
			"Cvetrail-Scanner: trivy 0.74.0\nCvetrail-DB: 2 (2026-03-02T00:00:00Z)\ncvetrail-needs-review: yes\n" +
			"Co-authored-by: Bob <bob@example.com>\nCo-authored-by: Carol <carol@example.com>",
		Trailers: map[string][]string{
			"Cvetrail-Scanner":      {"trivy 0.74.0"},
			"Cvetrail-DB":           {"2 (2026-03-02T00:00:00Z)"},
			"cvetrail-needs-review": {"yes"},
			"Co-authored-by":        {"Bob <bob@example.com>", "Carol <carol@example.com>"},
		},
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) && a.Format(time.RFC3339) == b.Format(time.RFC3339) })); diff != "" {
		t.Errorf("commit (-want +got):\n%s", diff)
	}
	if v := got.Trailer("Cvetrail-Needs-Review"); len(v) != 1 || v[0] != "yes" {
		t.Errorf("Trailer(Cvetrail-Needs-Review) = %q", v)
	}
	if v := commits[0].Trailer("Cvetrail-Scanner"); v != nil || commits[0].Trailers != nil {
		t.Errorf("a commit without trailers has %q", commits[0].Trailers)
	}

	onLedger, err := r.Log(ctx, "main", "cvetrail/app.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if len(onLedger) != 2 || onLedger[0].ID != c2 || onLedger[1].ID != c1 {
		t.Errorf("Log of the ledger = %v", ids(onLedger))
	}
}

func ids(cs []Commit) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.ID[:7]+" "+c.Subject)
	}
	return out
}

func TestFileHistory(t *testing.T) {
	ctx, r := newRepo(t)
	const ledger = "cvetrail/app.jsonl"
	line := func(id, sev string) string {
		return `{"id":"` + id + `","type":"deb","pkg":"openssl","fixState":"fixed","severity":"` + sev + `"}` + "\n"
	}
	c1 := commit(t, r, "day 1", nil, map[string]string{ledger: line("CVE-2024-0001", "MEDIUM")})
	c2 := commit(t, r, "day 2", nil, map[string]string{ledger: line("CVE-2024-0001", "MEDIUM") + line("CVE-2024-0002", "LOW")})
	c3 := commit(t, r, "day 3", nil, map[string]string{ledger: line("CVE-2024-0001", "CRITICAL") + line("CVE-2024-0002", "LOW")})
	commit(t, r, "elsewhere", nil, map[string]string{"README": "CVE-2024-0001\n"})
	c5 := commit(t, r, "day 5", nil, map[string]string{ledger: line("CVE-2024-0001", "CRITICAL")})

	for _, tt := range []struct {
		name string
		opt  HistoryOptions
		want []string
	}{
		{"all", HistoryOptions{}, []string{c5, c3, c2, c1}},
		{"pickaxe first seen", HistoryOptions{Pickaxe: "CVE-2024-0001"}, []string{c1}},
		{"pickaxe added and resolved", HistoryOptions{Pickaxe: "CVE-2024-0002"}, []string{c5, c2}},
		{"regex sees changed lines", HistoryOptions{Regex: `"CVE-2024-0001"`}, []string{c3, c1}},
		{"regex", HistoryOptions{Regex: `CVE-2024-000[12]".*LOW`}, []string{c5, c2}},
	} {
		got, err := r.FileHistory(ctx, "HEAD", ledger, tt.opt)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		var gotIDs []string
		for _, c := range got {
			gotIDs = append(gotIDs, c.ID)
			if c.Patch != "" {
				t.Errorf("%s: Patch filled without being asked", tt.name)
			}
		}
		if diff := cmp.Diff(tt.want, gotIDs); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}

	got, err := r.FileHistory(ctx, "HEAD", ledger, HistoryOptions{Regex: "CVE-2024-0001", Patch: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != c3 || got[0].Subject != "day 3" || got[1].ID != c1 {
		t.Fatalf("FileHistory with patches = %v", ids(got))
	}
	p := got[0].Patch
	if !strings.HasPrefix(p, "diff --git a/"+ledger) ||
		!strings.Contains(p, "\n-"+strings.TrimSuffix(line("CVE-2024-0001", "MEDIUM"), "\n")+"\n") ||
		!strings.Contains(p, "\n+"+strings.TrimSuffix(line("CVE-2024-0001", "CRITICAL"), "\n")+"\n") {
		t.Errorf("patch of day 3:\n%s", p)
	}
	if strings.Contains(got[1].Patch, "CRITICAL") || !strings.Contains(got[1].Patch, "+"+strings.TrimSuffix(line("CVE-2024-0001", "MEDIUM"), "\n")) {
		t.Errorf("patch of day 1:\n%s", got[1].Patch)
	}
	if _, err := r.FileHistory(ctx, "HEAD", "../x", HistoryOptions{}); err == nil {
		t.Error("FileHistory accepted a path outside the tree")
	}
}

func TestBlame(t *testing.T) {
	ctx, r := newRepo(t)
	const f = "cvetrail/decisions.yaml"
	alice := []string{"GIT_AUTHOR_NAME=Alice Author", "GIT_AUTHOR_EMAIL=alice@example.com", "GIT_AUTHOR_DATE=2026-03-01T10:00:00+02:00"}
	bob := []string{"GIT_AUTHOR_NAME=Bob Builder", "GIT_AUTHOR_EMAIL=bob@example.com", "GIT_AUTHOR_DATE=2026-03-05T09:15:00-05:00"}
	c1 := commit(t, r, "ack CVE-1", alice, map[string]string{f: "- id: CVE-1\n  reason: not reachable\n"})
	c2 := commit(t, r, "ack CVE-2", bob, map[string]string{f: "- id: CVE-1\n  reason: not reachable\n- id: CVE-2\n"})

	got, err := r.Blame(ctx, "HEAD", f)
	if err != nil {
		t.Fatal(err)
	}
	aliceTime := time.Date(2026, 3, 1, 10, 0, 0, 0, time.FixedZone("", 2*3600))
	bobTime := time.Date(2026, 3, 5, 9, 15, 0, 0, time.FixedZone("", -5*3600))
	want := []BlameLine{
		{Line: 1, Commit: c1, Author: "Alice Author", AuthorEmail: "alice@example.com", AuthorTime: aliceTime, Summary: "ack CVE-1", Text: "- id: CVE-1"},
		{Line: 2, Commit: c1, Author: "Alice Author", AuthorEmail: "alice@example.com", AuthorTime: aliceTime, Summary: "ack CVE-1", Text: "  reason: not reachable"},
		{Line: 3, Commit: c2, Author: "Bob Builder", AuthorEmail: "bob@example.com", AuthorTime: bobTime, Summary: "ack CVE-2", Text: "- id: CVE-2"},
	}
	timeEq := cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) && a.Format(time.RFC3339) == b.Format(time.RFC3339) })
	if diff := cmp.Diff(want, got, timeEq); diff != "" {
		t.Errorf("Blame (-want +got):\n%s", diff)
	}
	old, err := r.Blame(ctx, c1, f)
	if err != nil || len(old) != 2 {
		t.Errorf("Blame at the first commit = %v, %v", old, err)
	}

	// An uncommitted edit: the changed and the new line are not committed.
	writeFile(t, r.Dir, f, "- id: CVE-1\n  reason: edited\n- id: CVE-2\n- id: CVE-3\n")
	wt, err := r.BlameWorktree(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	var summary []string
	for _, l := range wt {
		who := l.Author
		if !l.Committed() {
			who = "uncommitted"
			if strings.Trim(l.Commit, "0") != "" {
				t.Errorf("line %d: uncommitted with commit %s", l.Line, l.Commit)
			}
		}
		summary = append(summary, who+": "+l.Text)
	}
	wantSummary := []string{"Alice Author: - id: CVE-1", "uncommitted:   reason: edited", "Bob Builder: - id: CVE-2", "uncommitted: - id: CVE-3"}
	if diff := cmp.Diff(wantSummary, summary); diff != "" {
		t.Errorf("BlameWorktree (-want +got):\n%s", diff)
	}

	if _, err := r.Blame(ctx, "HEAD", "missing.yaml"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Blame of a missing file: %v, want fs.ErrNotExist", err)
	}
	if _, err := r.Blame(ctx, "no-such-rev", f); !errors.Is(err, ErrNotFound) {
		t.Errorf("Blame at a missing revision: %v, want ErrNotFound", err)
	}
}

func TestParseBlameRejectsGarbage(t *testing.T) {
	for _, in := range []string{"not blame output\n", "0123456789012345678901234567890123456789 1 1 1\nauthor x\n"} {
		if _, err := parseBlame([]byte(in)); err == nil {
			t.Errorf("parseBlame(%q) succeeded", in)
		}
	}
}
