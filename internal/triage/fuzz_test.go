package triage

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/cvetrail/cvetrail/internal/report"
)

// FuzzLoad feeds arbitrary bytes to Load. Load must not panic; an error
// must be an *InvalidError and come without a File. A file that loads must
// take a new decision and an update of its first decision through Upsert
// (unless its layout is one Upsert declines to edit), and the result must
// load again, keep every previous decision and be stable when the same
// decision is recorded again.
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		"",
		"[]\n",
		"~\n",
		"---\n...\n",
		"schemaVersion: 1\n",
		"schemaVersion: 1\ndecisions:\n",
		"schemaVersion: 1\ndecisions: ~ # none\n",
		"- id: CVE-1\n  status: accepted\n  reason: r\n  severity: LOW\n  ticket:\n",
		"-\n  id: CVE-1\n  status: accepted\n  reason: r\n  severity: LOW\n",
		"- id: CVE-1\n  status: accepted\n  reason: |\n    a\n    # b\n  severity: LOW\n",
		"decisions:\n- {id: CVE-1, status: accepted, reason: r, severity: LOW}\nschemaVersion: 1\n",
		"- id: CVE-1\r\n  status: accepted\r\n  reason: \"a\r\n  b\"\r\n  severity: LOW\r\n",
	} {
		f.Add([]byte(s))
	}
	for _, s := range layouts {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Load(decisionsPath, data)
		if err != nil {
			var inv *InvalidError
			if !errors.As(err, &inv) || len(inv.Problems) == 0 {
				t.Fatalf("Load error %v (%T) is not an *InvalidError with problems", err, err)
			}
			if file != nil {
				t.Fatalf("Load returned a File with an error")
			}
			return
		}
		for i, d := range file.Decisions {
			if d.Line < 1 || d.EndLine < d.Line {
				t.Fatalf("decision %d has lines %d..%d", i, d.Line, d.EndLine)
			}
		}
		fresh := Decision{ID: "CVE-2099-12345", Packages: []string{"zlib1g"}, Images: []string{"registry/app:*"},
			Status: NotAffected, Justification: Justifications[1], Reason: "fuzz: \"quoted\" # not a comment",
			Severity: report.High, Expires: date("2030-01-02"), Ticket: "T-1"}
		upsertKeeps(t, data, file, fresh)
		if len(file.Decisions) > 0 {
			d := file.Decisions[0]
			upsertKeeps(t, data, file, Decision{ID: d.ID, Packages: d.Packages, Images: d.Images,
				Status: UnderInvestigation, Reason: "re-opened", Severity: report.Critical, Expires: date("2031-05-06"), Ticket: "T-2"})
		}
	})
}

func upsertKeeps(t *testing.T, data []byte, before *File, d Decision) {
	t.Helper()
	orig := bytes.Clone(data)
	out, updated, err := Upsert(decisionsPath, data, d)
	if !bytes.Equal(data, orig) {
		t.Fatalf("Upsert modified its input")
	}
	if err != nil {
		if errors.Is(err, errNotEditable) {
			return
		}
		t.Fatalf("Upsert of a loadable file failed: %v\ninput:\n%q", err, data)
	}
	after, err := Load(decisionsPath, out)
	if err != nil {
		t.Fatalf("Upsert output does not load: %v\ninput:\n%q\noutput:\n%q", err, data, out)
	}
	want := len(before.Decisions)
	if !updated {
		want++
	}
	if len(after.Decisions) != want {
		t.Fatalf("Upsert (updated %v) left %d decisions, want %d", updated, len(after.Decisions), want)
	}
	n := normalized(d)
	for i := range before.Decisions {
		if sameScope(&before.Decisions[i], &n) {
			continue
		}
		if !sameDecision(&before.Decisions[i], &after.Decisions[i]) {
			t.Fatalf("decision %d changed:\nbefore %+v\nafter  %+v\ninput:\n%q\noutput:\n%q", i, before.Decisions[i], after.Decisions[i], data, out)
		}
	}
	again, updated, err := Upsert(decisionsPath, out, d)
	if err != nil || !updated || !bytes.Equal(again, out) {
		t.Fatalf("recording the same decision again: updated %v, err %v, changed %v\nfirst:\n%q\nsecond:\n%q", updated, err, !bytes.Equal(again, out), out, again)
	}
}
