package triage

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/cvetrail/cvetrail/internal/report"
)

const decisionsPath = "cvetrail/decisions.yaml"

// entry renders a valid entry with extra lines, for error tests.
const validEntry = `  - id: CVE-2023-0464
    status: accepted
    reason: never reached
    severity: HIGH
`

func TestLoadProblems(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // every problem, in order, as "line: text"
	}{
		{
			name: "unknown key with suggestion",
			src: `schemaVersion: 1
decisions:
  - id: CVE-2023-0464
    status: accepted
    reason: never reached
    severity: HIGH
    expiry: 2027-03-01
`,
			want: []string{`7: unknown key "expiry" (did you mean "expires"?)`},
		},
		{
			name: "unknown key without suggestion lists the keys",
			src:  validEntry[:len(validEntry)-1] + "\n    colour: red\n",
			want: []string{`5: unknown key "colour" (known keys: id, packages, images, status, justification, reason, severity, expires, ticket)`},
		},
		{
			name: "unknown top-level key",
			src:  "schemaVersion: 1\ndecision:\n" + validEntry,
			want: []string{`2: unknown key "decision" (did you mean "decisions"?)`},
		},
		{
			name: "bad date",
			src:  "schemaVersion: 1\ndecisions:\n" + validEntry + "    expires: 2027-13-01\n",
			want: []string{"7: expires: 2027-13-01 is not a date (YYYY-MM-DD)"},
		},
		{
			name: "date without leading zeros",
			src:  "schemaVersion: 1\ndecisions:\n" + validEntry + "    expires: 2027-3-1\n",
			want: []string{"7: expires: 2027-3-1 is not a date (YYYY-MM-DD)"},
		},
		{
			name: "timestamp is not a date",
			src:  "schemaVersion: 1\ndecisions:\n" + validEntry + "    expires: 2027-03-01T10:00:00Z\n",
			want: []string{"7: expires: 2027-03-01T10:00:00Z is not a date (YYYY-MM-DD)"},
		},
		{
			name: "unknown status",
			src:  "schemaVersion: 1\ndecisions:\n" + strings.Replace(validEntry, "accepted", "ignored", 1),
			want: []string{`4: unknown status "ignored" (one of not_affected, accepted, false_positive, fixing, under_investigation)`},
		},
		{
			name: "not_affected without justification",
			src:  "schemaVersion: 1\ndecisions:\n" + strings.Replace(validEntry, "accepted", "not_affected", 1),
			want: []string{"4: status not_affected needs a justification (one of component_not_present, vulnerable_code_not_present, vulnerable_code_not_in_execute_path, vulnerable_code_cannot_be_controlled_by_adversary, inline_mitigations_already_exist)"},
		},
		{
			name: "invalid justification",
			src:  "schemaVersion: 1\ndecisions:\n" + strings.Replace(validEntry, "accepted", "not_affected\n    justification: code_not_reachable", 1),
			want: []string{`5: unknown justification "code_not_reachable" (one of component_not_present, vulnerable_code_not_present, vulnerable_code_not_in_execute_path, vulnerable_code_cannot_be_controlled_by_adversary, inline_mitigations_already_exist)`},
		},
		{
			name: "justification with another status",
			src:  "schemaVersion: 1\ndecisions:\n" + strings.Replace(validEntry, "accepted", "accepted\n    justification: component_not_present", 1),
			want: []string{"5: a justification is only given with status not_affected, not accepted"},
		},
		{
			name: "missing id, status, reason, severity",
			src:  "schemaVersion: 1\ndecisions:\n  - ticket: T-1\n",
			want: []string{
				"3: missing id (the vulnerability id, such as CVE-2023-0464)",
				"3: missing status (one of not_affected, accepted, false_positive, fixing, under_investigation)",
				"3: missing reason (why this decision was made)",
				"3: missing severity (the severity when decided: UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL)",
			},
		},
		{
			name: "empty values are missing",
			src:  "schemaVersion: 1\ndecisions:\n  - id: CVE-1\n    status:\n    reason: ~\n    severity: \"\"\n",
			want: []string{
				"4: missing status (one of not_affected, accepted, false_positive, fixing, under_investigation)",
				"5: missing reason (why this decision was made)",
				"6: missing severity (the severity when decided: UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL)",
			},
		},
		{
			name: "severity not one of the five names",
			src:  "schemaVersion: 1\ndecisions:\n" + strings.Replace(validEntry, "HIGH", "SEVERE", 1),
			want: []string{`6: unknown severity "SEVERE" (one of UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL)`},
		},
		{
			name: "severity spelled like a scanner",
			src:  "schemaVersion: 1\ndecisions:\n" + strings.Replace(validEntry, "HIGH", "moderate", 1),
			want: []string{`6: unknown severity "moderate"; did you mean "MEDIUM"? (one of UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL)`},
		},
		{
			name: "wrong YAML types",
			src: `schemaVersion: 1
decisions:
  - id: [CVE-1]
    packages: libssl3
    images: {a: b}
    status: accepted
    reason:
      why: because
    severity: HIGH
  - just a string
  - [a, list]
`,
			want: []string{
				"3: id must be a single value, not a list",
				`4: packages must be a list, such as packages: [libssl3], not a string`,
				`5: images must be a list, such as images: ["registry/app:*"], not a mapping`,
				"8: reason must be a single value, not a mapping",
				"10: a decision must be a mapping (id: …, status: …, reason: …), not a string",
				"11: a decision must be a mapping (id: …, status: …, reason: …), not a list",
			},
		},
		{
			name: "list items of the wrong type",
			src:  "schemaVersion: 1\ndecisions:\n" + validEntry + "    packages: [libssl3, [x], ~]\n",
			want: []string{"7: packages must list names, not a list", "7: packages must list names, not a null value"},
		},
		{
			name: "decisions not a list",
			src:  "schemaVersion: 1\ndecisions: CVE-1\n",
			want: []string{"2: decisions must be a list, not a string"},
		},
		{
			name: "top level is a string",
			src:  "CVE-1\n",
			want: []string{"1: a decisions file is a mapping (schemaVersion: 1, decisions: …) or a list of decisions, not a string"},
		},
		{
			name: "schemaVersion of the wrong type",
			src:  "schemaVersion: \"1\"\ndecisions:\n" + validEntry,
			want: []string{"1: schemaVersion must be a whole number, not a string"},
		},
		{
			name: "unknown schemaVersion",
			src:  "schemaVersion: 2\ndecisions:\n  - whatever: new format\n",
			want: []string{"1: unsupported schemaVersion 2 (this cvetrail reads schemaVersion 1)"},
		},
		{
			name: "missing schemaVersion",
			src:  "decisions:\n" + validEntry,
			want: []string{`1: missing schemaVersion (add "schemaVersion: 1")`},
		},
		{
			name: "duplicate entries",
			src: "schemaVersion: 1\ndecisions:\n" + validEntry + `  - id: CVE-2023-0465
    status: fixing
    reason: other id
    severity: LOW
  - id: cve-2023-0464
    status: fixing
    reason: same id, same (empty) scope
    severity: LOW
`,
			want: []string{"11: duplicate decision for cve-2023-0464 with the same scope as line 3"},
		},
		{
			name: "duplicate scope in another order",
			src: `- id: CVE-1
  packages: [a, b]
  images: ["x:*", "y:*"]
  status: accepted
  reason: r
  severity: LOW
- id: CVE-1
  packages: [b, a]
  images: ["y:*", "x:*", "x:*"]
  status: accepted
  reason: r
  severity: LOW
- id: CVE-1
  packages: [a]
  images: ["y:*", "x:*"]
  status: accepted
  reason: narrower, not a duplicate
  severity: LOW
`,
			want: []string{"7: duplicate decision for CVE-1 with the same scope as line 1"},
		},
		{
			name: "duplicate key",
			src:  "schemaVersion: 1\ndecisions:\n" + validEntry + "    reason: again\n",
			want: []string{`7: duplicate key "reason" (first at line 5)`},
		},
		{
			name: "bad glob",
			src:  "schemaVersion: 1\ndecisions:\n" + validEntry + "    images: [\"app:[\"]\n",
			want: []string{`7: image glob "app:[": malformed glob: syntax error in pattern`},
		},
		{
			name: "aliases refused",
			src:  "schemaVersion: 1\ndecisions:\n  - &a\n    id: CVE-1\n    status: accepted\n    reason: r\n    severity: LOW\n  - *a\n",
			want: []string{"8: aliases (*a) are not supported in a decisions file; write the value out"},
		},
		{
			name: "custom tag refused",
			src:  "schemaVersion: 1\ndecisions:\n" + validEntry + "    ticket: !url https://x\n",
			want: []string{"7: unsupported YAML tag !url"},
		},
		{
			name: "syntax error",
			src:  "schemaVersion: 1\ndecisions:\n  - id: CVE-1\n   status: [\n",
			want: []string{"4: invalid YAML: did not find expected '-' indicator"},
		},
		{
			name: "unterminated quote",
			src:  "schemaVersion: 1\ndecisions:\n  - id: CVE-1\n    status: accepted\n    reason: \"unterminated\n    severity: LOW\n",
			want: []string{"5: invalid YAML: found unexpected end of stream"},
		},
		{
			name: "tab indentation",
			src:  "schemaVersion: 1\ndecisions:\n  - id: CVE-1\n    status: accepted\n\tseverity: LOW\n",
			want: []string{"5: invalid YAML: found a tab character that violates indentation"},
		},
		{
			name: "unknown anchor",
			src:  "schemaVersion: 1\ndecisions:\n" + validEntry + "    ticket: *nowhere\n",
			want: []string{"7: invalid YAML: unknown anchor 'nowhere' referenced"},
		},
		{
			name: "two documents",
			src:  "schemaVersion: 1\n---\nschemaVersion: 1\n",
			want: []string{"2: a second YAML document (---): a decisions file holds one"},
		},
		{
			name: "many problems at once",
			src: `schemaVersion: 1
decisions:
  - id: CVE-2023-0464
    status: not_affected
    reason: x
    severity: HIGH
    expiry: 2027-03-01
  - id: CVE-2023-0465
    status: wontfix
    severity: high
    expires: 2027-02-30
`,
			want: []string{
				"4: status not_affected needs a justification (one of component_not_present, vulnerable_code_not_present, vulnerable_code_not_in_execute_path, vulnerable_code_cannot_be_controlled_by_adversary, inline_mitigations_already_exist)",
				`7: unknown key "expiry" (did you mean "expires"?)`,
				"8: missing reason (why this decision was made)",
				`9: unknown status "wontfix" (one of not_affected, accepted, false_positive, fixing, under_investigation)`,
				`10: unknown severity "high"; did you mean "HIGH"? (one of UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL)`,
				"11: expires: 2027-02-30 is not a date (YYYY-MM-DD)",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Load(decisionsPath, []byte(tt.src))
			if err == nil {
				t.Fatalf("Load succeeded with %d decisions, want problems %q", len(f.Decisions), tt.want)
			}
			if f != nil {
				t.Errorf("Load returned a File along with an error")
			}
			var inv *InvalidError
			if !errors.As(err, &inv) {
				t.Fatalf("error %v (%T) is not an *InvalidError", err, err)
			}
			var want []string
			for _, w := range tt.want {
				want = append(want, decisionsPath+":"+w)
			}
			got := strings.Split(err.Error(), "\n")
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if len(inv.Problems) != len(tt.want) {
				t.Errorf("%d problems, want %d", len(inv.Problems), len(tt.want))
			}
			var p Problem
			if !errors.As(err, &p) || p.Path != decisionsPath || p.Line == 0 {
				t.Errorf("errors.As(Problem) = %+v, want a problem with path and line", p)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	ignoreIndex := cmpopts.IgnoreUnexported(File{})
	full := Decision{
		ID: "CVE-2023-0464", Packages: []string{"libssl3"}, Images: []string{"registry/app:*"},
		Status: NotAffected, Justification: "vulnerable_code_not_in_execute_path",
		Reason: "we never call the affected API", Severity: report.High,
		Expires: date("2027-03-01"), Ticket: "https://tracker.example/T-1",
	}
	tests := []struct {
		name string
		src  string
		want []Decision
	}{
		{"empty", "", nil},
		{"blank and comments", "\n# nothing decided yet\n\n", nil},
		{"null document", "---\n...\n", nil},
		{"mapping without decisions", "schemaVersion: 1\n", nil},
		{"null decisions", "schemaVersion: 1\ndecisions:\n", nil},
		{"empty list", "schemaVersion: 1\ndecisions: []\n", nil},
		{"bare empty list", "[]\n", nil},
		{
			name: "mapping form",
			src: `# comments anywhere
schemaVersion: 1
decisions:
  # the openssl one
  - id: CVE-2023-0464
    packages: [libssl3]          # optional scope
    images: ["registry/app:*"]   # optional scope, glob
    status: not_affected
    justification: vulnerable_code_not_in_execute_path
    reason: we never call the affected API
    severity: HIGH
    expires: 2027-03-01
    ticket: https://tracker.example/T-1

  - id: GHSA-35jh-r3h4-6jhm
    status: fixing
    reason: |
      upgrade planned
      next sprint
    severity: MEDIUM
# trailing comment
`,
			want: []Decision{
				withLines(full, 5, 13),
				{ID: "GHSA-35jh-r3h4-6jhm", Status: Fixing, Reason: "upgrade planned\nnext sprint\n", Severity: report.Medium, Line: 15, EndLine: 20},
			},
		},
		{
			name: "bare list, schemaVersion after decisions",
			src: `- id: CVE-1
  status: accepted
  reason: 42
  severity: LOW
  ticket: 1234
`,
			want: []Decision{{ID: "CVE-1", Status: Accepted, Reason: "42", Severity: report.Low, Ticket: "1234", Line: 1, EndLine: 5}},
		},
		{
			name: "schemaVersion last, entry ends before it",
			src: `decisions:
- id: CVE-1
  status: accepted
  reason: r
  severity: UNKNOWN

# why the version is last

schemaVersion: 1
`,
			want: []Decision{{ID: "CVE-1", Status: Accepted, Reason: "r", Severity: report.Unknown, Line: 2, EndLine: 5}},
		},
		{
			name: "byte order mark and CRLF",
			src:  "\xef\xbb\xbfschemaVersion: 1\r\ndecisions:\r\n  - id: CVE-1\r\n    status: accepted\r\n    reason: r\r\n    severity: LOW\r\n",
			want: []Decision{{ID: "CVE-1", Status: Accepted, Reason: "r", Severity: report.Low, Line: 3, EndLine: 6}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Load(decisionsPath, []byte(tt.src))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			want := &File{Path: decisionsPath, Decisions: tt.want}
			if diff := cmp.Diff(want, f, ignoreIndex, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Load (-want +got):\n%s", diff)
			}
		})
	}
}

func withLines(d Decision, line, end int) Decision {
	d.Line, d.EndLine = line, end
	return d
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	absent := filepath.Join(dir, "cvetrail", "decisions.yaml")
	f, err := LoadFile(absent)
	if err != nil || f == nil || len(f.Decisions) != 0 || f.Path != absent {
		t.Fatalf("LoadFile(absent) = %+v, %v; want an empty File and no error", f, err)
	}

	present := filepath.Join(dir, "decisions.yaml")
	if err := os.WriteFile(present, []byte("schemaVersion: 1\ndecisions:\n"+validEntry), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err = LoadFile(present)
	if err != nil || len(f.Decisions) != 1 || f.Decisions[0].ID != "CVE-2023-0464" {
		t.Fatalf("LoadFile(present) = %+v, %v", f, err)
	}

	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("schemaVersion: 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFile(bad); err == nil || !strings.HasPrefix(err.Error(), bad+":1: unsupported schemaVersion 3") {
		t.Errorf("LoadFile(bad) = %v, want the path and line of the problem", err)
	}

	if _, err := LoadFile(dir); err == nil || !strings.Contains(err.Error(), "reading decisions") {
		t.Errorf("LoadFile(a directory) = %v, want a read error", err)
	}
}
