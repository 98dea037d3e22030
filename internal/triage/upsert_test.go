package triage

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cvetrail/cvetrail/internal/report"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/upsert")

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	if name == "" {
		return nil
	}
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestUpsertGolden(t *testing.T) {
	newCVE := Decision{
		ID: "CVE-2025-1111", Packages: []string{"zlib1g"}, Images: []string{"registry/app:*", "registry/worker:1.2"},
		Status: Accepted, Reason: "only reachable with local access: we accept it", Severity: report.Medium,
		Expires: date("2026-12-31"), Ticket: "https://tracker.example/T-9",
	}
	tests := []struct {
		name    string
		in      string // file in testdata; "" for an absent file
		d       Decision
		updated bool
	}{
		{"append-hand", "hand.yaml", newCVE, false},
		{"append-different-scope", "hand.yaml", Decision{ID: "CVE-2023-0464", Packages: []string{"openssl"},
			Status: UnderInvestigation, Reason: "is the CLI exposed?", Severity: report.High}, false},
		{"update-hand", "hand.yaml", Decision{ID: "CVE-2024-0002", Status: Accepted,
			Reason: "risk accepted by the security team", Severity: report.High, Expires: date("2027-06-30")}, true},
		{"update-scope-any-order", "hand.yaml", Decision{ID: "cve-2023-0464", Packages: []string{"libssl3", "libssl3"},
			Images: []string{"registry/app:*"}, Severity: report.Critical, Ticket: "https://tracker.example/T-1"}, true},
		{"update-drops-justification", "hand.yaml", Decision{ID: "CVE-2023-0464", Packages: []string{"libssl3"},
			Images: []string{"registry/app:*"}, Status: Fixing, Reason: "the API is reachable after all", Severity: report.High}, true},
		{"append-bare", "bare.yaml", newCVE, false},
		{"update-bare", "bare.yaml", Decision{ID: "GHSA-35jh-r3h4-6jhm", Packages: []string{"lodash"},
			Status: Accepted, Reason: "only used at build time: see #12", Severity: report.Critical, Ticket: "T-3"}, true},
		{"absent", "", newCVE, false},
		{"comments-only", "comments-only.yaml", newCVE, false},
		{"empty-flow", "empty-flow.yaml", newCVE, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := readTestdata(t, tt.in)
			orig := bytes.Clone(in)
			out, updated, err := Upsert(decisionsPath, in, tt.d)
			if err != nil {
				t.Fatalf("Upsert: %v", err)
			}
			if !bytes.Equal(in, orig) {
				t.Errorf("Upsert modified its input")
			}
			if updated != tt.updated {
				t.Errorf("updated = %v, want %v", updated, tt.updated)
			}
			golden := filepath.Join("testdata", "upsert", tt.name+".yaml")
			if *update {
				if err := os.WriteFile(golden, out, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(out)); diff != "" {
				t.Errorf("Upsert output (-want +got):\n%s", diff)
			}
			checkUpsert(t, in, out, tt.d, updated)

			// Recording the same decision again changes nothing.
			again, updated2, err := Upsert(decisionsPath, out, tt.d)
			if err != nil || !updated2 || !bytes.Equal(again, out) {
				t.Errorf("second Upsert = updated %v, err %v, same bytes %v; want an update that changes nothing", updated2, err, bytes.Equal(again, out))
			}
		})
	}
}

// checkUpsert checks what Upsert promises, independently of the goldens:
// the result loads, holds the decision once, keeps every other decision,
// and outside the new or updated entry is the input byte for byte.
func checkUpsert(t *testing.T, in, out []byte, d Decision, updated bool) {
	t.Helper()
	before, err := Load(decisionsPath, in)
	if err != nil {
		t.Fatalf("input does not load: %v", err)
	}
	after, err := Load(decisionsPath, out)
	if err != nil {
		t.Fatalf("output does not load: %v\n%s", err, out)
	}
	d = normalized(d)
	var found []int
	for i := range after.Decisions {
		if sameScope(&after.Decisions[i], &d) {
			found = append(found, i)
		}
	}
	if len(found) != 1 {
		t.Fatalf("output holds %d entries for the decision's scope, want 1", len(found))
	}
	got := after.Decisions[found[0]]
	if got.Severity != d.Severity || (d.Status != "" && got.Status != d.Status) || (d.Reason != "" && got.Reason != d.Reason) ||
		(d.Ticket != "" && got.Ticket != d.Ticket) || (!d.Expires.IsZero() && !got.Expires.Equal(d.Expires)) {
		t.Errorf("recorded decision = %+v, want the fields of %+v", got, d)
	}
	others := func(f *File, skip int) []Decision {
		var out []Decision
		for i, d := range f.Decisions {
			if i != skip {
				d.Line, d.EndLine = 0, 0
				out = append(out, d)
			}
		}
		return out
	}
	skipBefore := -1
	if updated {
		skipBefore = slicesIndexFunc(before.Decisions, func(x Decision) bool { return sameScope(&x, &d) })
		if len(after.Decisions) != len(before.Decisions) {
			t.Errorf("update changed the number of decisions from %d to %d", len(before.Decisions), len(after.Decisions))
		}
	} else if len(after.Decisions) != len(before.Decisions)+1 {
		t.Errorf("append changed the number of decisions from %d to %d", len(before.Decisions), len(after.Decisions))
	}
	if diff := cmp.Diff(others(before, skipBefore), others(after, found[0])); diff != "" {
		t.Errorf("other decisions changed (-before +after):\n%s", diff)
	}

	inLines := strings.SplitAfter(string(in), "\n")
	outLines := strings.SplitAfter(string(out), "\n")
	if updated {
		// Lines before and after the entry are unchanged.
		e := before.Decisions[skipBefore]
		ae := after.Decisions[found[0]]
		if diff := cmp.Diff(inLines[:e.Line-1], outLines[:ae.Line-1]); diff != "" {
			t.Errorf("lines before the updated entry changed:\n%s", diff)
		}
		if diff := cmp.Diff(inLines[e.EndLine:], outLines[ae.EndLine:]); diff != "" {
			t.Errorf("lines after the updated entry changed:\n%s", diff)
		}
		return
	}
	if len(in) == 0 || before.Decisions == nil && !bytes.Contains(in, []byte("[]")) {
		if !bytes.HasPrefix(out, in) {
			t.Errorf("the output does not start with the whole input")
		}
		return
	}
	if len(before.Decisions) == 0 {
		return // "[]" was replaced
	}
	// An append inserts whole lines: removing them gives the input back.
	// A blank line before it, setting it apart, belongs to the new entry.
	ae := after.Decisions[found[0]]
	restOf := func(start int) string {
		return strings.Join(outLines[:start], "") + strings.Join(outLines[ae.EndLine:], "")
	}
	rest := restOf(ae.Line - 1)
	if rest != string(in) && rest != string(in)+"\n" && ae.Line > 1 && strings.TrimSpace(outLines[ae.Line-2]) == "" {
		rest = restOf(ae.Line - 2)
	}
	if rest != string(in) && rest != string(in)+"\n" {
		t.Errorf("outside the new entry the output differs from the input:\n%s", cmp.Diff(string(in), rest))
	}
}

func slicesIndexFunc(s []Decision, f func(Decision) bool) int {
	for i := range s {
		if f(s[i]) {
			return i
		}
	}
	return -1
}

func TestUpsertRefuses(t *testing.T) {
	hand := readTestdata(t, "hand.yaml")
	valid := Decision{ID: "CVE-2025-1", Status: Accepted, Reason: "r", Severity: report.Low}
	tests := []struct {
		name     string
		in       []byte
		d        Decision
		want     string
		editable bool // false: refused because of the file's layout
	}{
		{"not_affected without justification", hand, Decision{ID: "CVE-2025-1", Status: NotAffected, Reason: "r", Severity: report.Low},
			"invalid decision for CVE-2025-1: status not_affected needs a justification", true},
		{"unknown status", hand, Decision{ID: "CVE-2025-1", Status: "wontfix", Reason: "r"}, `unknown status "wontfix"`, true},
		{"no reason for a new decision", hand, Decision{ID: "CVE-2025-1", Status: Accepted}, "missing reason", true},
		{"no id", hand, Decision{Status: Accepted, Reason: "r"}, "missing id", true},
		{"bad glob", hand, Decision{ID: "CVE-2025-1", Images: []string{"a["}, Status: Accepted, Reason: "r"}, `image glob "a["`, true},
		{"justification kept on an update to accepted is dropped, but a new one is refused", hand,
			Decision{ID: "CVE-2024-0002", Status: Accepted, Justification: "component_not_present"}, "only given with status not_affected", true},
		{"invalid UTF-8", hand, Decision{ID: "CVE-2025-1", Status: Accepted, Reason: "r\xff", Severity: report.Low}, "not valid UTF-8", true},
		{"file with problems", []byte("schemaVersion: 1\ndecisions:\n  - id: CVE-1\n    expiry: 2027-01-01\n"), valid,
			"not recording the decision: cvetrail/decisions.yaml:3: missing status", true},
		{"flow list", []byte("schemaVersion: 1\ndecisions: [{id: CVE-1, status: accepted, reason: r, severity: LOW}]\n"), valid,
			"written in flow style", false},
		{"flow entry", []byte("- {id: CVE-2025-1, status: accepted, reason: r, severity: LOW}\n"), Decision{ID: "CVE-2025-1", Status: Fixing, Severity: report.Low},
			"written in flow style", false},
		{"lone carriage returns", []byte("schemaVersion: 1\rdecisions:\r"), valid, "line breaks other than", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orig := bytes.Clone(tt.in)
			out, _, err := Upsert(decisionsPath, tt.in, tt.d)
			if err == nil {
				t.Fatalf("Upsert succeeded:\n%s", out)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if errors.Is(err, errNotEditable) == tt.editable {
				t.Errorf("errors.Is(err, errNotEditable) = %v for %v", !tt.editable, err)
			}
			if out != nil {
				t.Errorf("Upsert returned output with an error")
			}
			if !bytes.Equal(tt.in, orig) {
				t.Errorf("Upsert modified its input")
			}
		})
	}
}

func TestUpsertEdits(t *testing.T) {
	base := "schemaVersion: 1\ndecisions:\n"
	tests := []struct {
		name string
		in   string
		d    Decision
		want string
	}{
		{
			name: "values that need quoting",
			in:   base,
			d:    Decision{ID: "CVE-1", Status: Accepted, Reason: "- yes: #1\nsecond line", Severity: report.Low, Ticket: "true"},
			want: base + "  - id: CVE-1\n    status: accepted\n    reason: \"- yes: #1\\nsecond line\"\n    severity: LOW\n    ticket: \"true\"\n",
		},
		{
			name: "unicode stays readable",
			in:   base,
			d:    Decision{ID: "CVE-1", Status: Accepted, Reason: "géré par l'équipe — ok", Severity: report.Low},
			want: base + "  - id: CVE-1\n    status: accepted\n    reason: géré par l'équipe — ok\n    severity: LOW\n",
		},
		{
			name: "empty value filled after the colon, comment kept",
			in:   "- id: CVE-1\n  status: accepted\n  reason: r\n  severity: LOW\n  ticket:   # later\n",
			d:    Decision{ID: "CVE-1", Severity: report.Low, Ticket: "T-1"},
			want: "- id: CVE-1\n  status: accepted\n  reason: r\n  severity: LOW\n  ticket: T-1   # later\n",
		},
		{
			name: "explicit null replaced",
			in:   "- id: CVE-1\n  status: accepted\n  reason: r\n  severity: LOW\n  ticket: ~ # later\n",
			d:    Decision{ID: "CVE-1", Severity: report.Low, Ticket: "T-1"},
			want: "- id: CVE-1\n  status: accepted\n  reason: r\n  severity: LOW\n  ticket: T-1 # later\n",
		},
		{
			name: "multi-line plain value replaced",
			in:   "- id: CVE-1\n  status: accepted\n  reason: a long\n    reason here   # c\n  severity: LOW\n",
			d:    Decision{ID: "CVE-1", Reason: "short", Severity: report.Low},
			want: "- id: CVE-1\n  status: accepted\n  reason: short\n  severity: LOW\n",
		},
		{
			name: "double-quoted value with escapes replaced, comment kept",
			in:   "- id: CVE-1\n  status: accepted\n  reason: \"a \\\" # b\" # c\n  severity: LOW\n",
			d:    Decision{ID: "CVE-1", Reason: "new", Severity: report.Low},
			want: "- id: CVE-1\n  status: accepted\n  reason: new # c\n  severity: LOW\n",
		},
		{
			name: "missing key inserted in the usual order",
			in:   "- id: CVE-1\n  status: not_affected\n  reason: r\n  severity: LOW\n  justification: component_not_present\n",
			d:    Decision{ID: "CVE-1", Severity: report.Low, Expires: date("2027-01-31")},
			want: "- id: CVE-1\n  status: not_affected\n  reason: r\n  severity: LOW\n  expires: 2027-01-31\n  justification: component_not_present\n",
		},
		{
			name: "CRLF kept",
			in:   "schemaVersion: 1\r\ndecisions:\r\n  - id: CVE-1\r\n    status: accepted\r\n    reason: r\r\n    severity: LOW\r\n",
			d:    Decision{ID: "CVE-2", Status: Fixing, Reason: "s", Severity: report.High},
			want: "schemaVersion: 1\r\ndecisions:\r\n  - id: CVE-1\r\n    status: accepted\r\n    reason: r\r\n    severity: LOW\r\n  - id: CVE-2\r\n    status: fixing\r\n    reason: s\r\n    severity: HIGH\r\n",
		},
		{
			name: "byte order mark kept",
			in:   "\xef\xbb\xbf- id: CVE-1\n  status: accepted\n  reason: r\n  severity: LOW\n",
			d:    Decision{ID: "CVE-1", Status: Fixing, Severity: report.Low},
			want: "\xef\xbb\xbf- id: CVE-1\n  status: fixing\n  reason: r\n  severity: LOW\n",
		},
		{
			name: "no final newline",
			in:   "- id: CVE-1\n  status: accepted\n  reason: r\n  severity: LOW",
			d:    Decision{ID: "CVE-2", Status: Fixing, Reason: "s", Severity: report.High},
			want: "- id: CVE-1\n  status: accepted\n  reason: r\n  severity: LOW\n- id: CVE-2\n  status: fixing\n  reason: s\n  severity: HIGH\n",
		},
		{
			name: "null decisions",
			in:   "schemaVersion: 1\ndecisions: ~   # none\n",
			d:    Decision{ID: "CVE-2", Status: Fixing, Reason: "s", Severity: report.High},
			want: "schemaVersion: 1\ndecisions:   # none\n  - id: CVE-2\n    status: fixing\n    reason: s\n    severity: HIGH\n",
		},
		{
			name: "mapping without decisions",
			in:   "schemaVersion: 1\n\n# footer\n",
			d:    Decision{ID: "CVE-2", Status: Fixing, Reason: "s", Severity: report.High},
			want: "schemaVersion: 1\ndecisions:\n  - id: CVE-2\n    status: fixing\n    reason: s\n    severity: HIGH\n\n# footer\n",
		},
		{
			name: "entries before a later top-level key",
			in:   "decisions:\n- id: CVE-1\n  status: accepted\n  reason: r\n  severity: LOW\n\nschemaVersion: 1\n",
			d:    Decision{ID: "CVE-2", Status: Fixing, Reason: "s", Severity: report.High},
			want: "decisions:\n- id: CVE-1\n  status: accepted\n  reason: r\n  severity: LOW\n- id: CVE-2\n  status: fixing\n  reason: s\n  severity: HIGH\n\nschemaVersion: 1\n",
		},
		{
			name: "document end marker",
			in:   "---\n- id: CVE-1\n  status: accepted\n  reason: r\n  severity: LOW\n...\n",
			d:    Decision{ID: "CVE-2", Status: Fixing, Reason: "s", Severity: report.High},
			want: "---\n- id: CVE-1\n  status: accepted\n  reason: r\n  severity: LOW\n- id: CVE-2\n  status: fixing\n  reason: s\n  severity: HIGH\n...\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := Upsert(decisionsPath, []byte(tt.in), tt.d)
			if err != nil {
				t.Fatalf("Upsert: %v", err)
			}
			if diff := cmp.Diff(tt.want, string(out)); diff != "" {
				t.Errorf("Upsert (-want +got):\n%s", diff)
			}
		})
	}
}

// layouts are decisions files written in unusual but valid ways; Upsert
// must edit each correctly or decline with errNotEditable. They also seed
// FuzzLoad.
var layouts = []string{
	"- \"id\": CVE-1\n  'status': accepted\n  reason: r\n  severity: LOW\n",
	"- ? id\n  : CVE-1\n  status: accepted\n  reason: r\n  severity: LOW\n",
	"- id: CVE-1\n  ? status\n  : accepted\n  reason: r\n  severity: LOW\n",
	"- id: CVE-1\n  status:\taccepted\t# tabs\n  reason:\tr\n  severity: LOW\n",
	"- id: CVE-1\n  status: accepted\n  reason: |+\n    keep\n\n  severity: LOW\n",
	"- id: CVE-1\n  status: accepted\n  reason: \"multi\n    line\"   # c\n  severity: LOW\n",
	"- id: CVE-1\n  status: accepted\n  reason: 'it''s'\n  severity: LOW\n",
	"- id: CVE-1\n  severity: LOW\n  reason: r\n  status: accepted\n",
	"- id: CVE-1\n\n  # comment in the middle\n  status: accepted\n\n  reason: r\n  severity: LOW\n\n\n",
	"decisions:\n  - id: CVE-1\n    status: accepted\n    reason: r\n    severity: LOW\nschemaVersion: 1",
	"  - id: CVE-1\n    status: accepted\n    reason: r\n    severity: LOW\n",
	"schemaVersion: 1\ndecisions:\n- id: CVE-1\n  status: accepted\n  reason: r\n  severity: LOW\n",
	"schemaVersion: 1\ndecisions:\n\n  ~\n",
	"schemaVersion: 1\ndecisions: [\n]\n",
	"schemaVersion: 1\ndecisions: !!seq []\n",
	"schemaVersion: 1\ndecisions: null\n",
	"schemaVersion: 1\ndecisions:\n",
	"  schemaVersion: 1\n",
	"{schemaVersion: 1}\n",
	"{schemaVersion: 1, decisions: []}\n",
	"schemaVersion: 1 # x\ndecisions: # y\n# z\n",
	"- id: CVE-1\n  status: accepted\n  reason: r\n  severity: LOW\n  expires: 2020-01-01\n  ticket: \"\"\n",
	"- id: CVE-1\n  status: not_affected\n  justification: component_not_present\n  reason: r\n  severity: LOW\n",
	"- status: not_affected\n  justification: component_not_present\n  id: CVE-1\n  reason: r\n  severity: LOW\n",
	"- justification: component_not_present\n  status: not_affected\n  id: CVE-1\n  reason: r\n  severity: LOW\n",
	"- id: CVE-1\n  status: accepted\n  reason: r\n  severity: LOW\n...\n# after\n",
	"%YAML 1.1\n---\n- id: CVE-1\n  status: accepted\n  reason: r\n  severity: LOW\n",
	"- id: CVE-1\n  status: accepted\n  reason: >-\n    # looks like a comment\n  severity: LOW\n",
	"- id: CVE-1\n  status: accepted\n  severity: LOW\n  reason: >-\n    text\n    # looks like a comment\n",
	"- id: CVE-1\n  status: accepted\n  reason: r\n  severity: LOW\n  ticket: !!str 12\n",
	"- id: CVE-1\n  status: accepted\n  reason: r\n  severity: LOW\n  ticket: 12 #c\n",
	"- id: CVE-1\n  status: accepted\n  reason: r\n  severity: LOW\n  ticket:\n    T-1\n",
}

func TestUpsertLayouts(t *testing.T) {
	for _, s := range layouts {
		t.Run(fmt.Sprintf("%q", s), func(t *testing.T) {
			file, err := Load(decisionsPath, []byte(s))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			for _, d := range []Decision{
				{ID: "CVE-2099-12345", Status: NotAffected, Justification: Justifications[1], Reason: "x", Severity: report.High, Expires: date("2030-01-02"), Ticket: "T"},
				{ID: "CVE-1", Status: UnderInvestigation, Reason: "re-opened", Severity: report.Critical, Expires: date("2031-05-06"), Ticket: "T-2"},
				{ID: "CVE-1", Status: NotAffected, Justification: Justifications[2], Reason: "r2", Severity: report.Low},
			} {
				upsertKeeps(t, []byte(s), file, d)
			}
		})
	}
}
