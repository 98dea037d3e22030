package ledger

import (
	"context"
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cvetrail/cvetrail/internal/report"
)

// mapTree is a TreeReader over an in-memory revision.
type mapTree map[string]string

func (m mapTree) ListFiles(_ context.Context, rev, dir string) ([]string, error) {
	if rev != "r1" {
		return nil, fmt.Errorf("unknown revision %s", rev)
	}
	var out []string
	for p := range m {
		if strings.HasPrefix(p, dir+"/") {
			out = append(out, p)
		}
	}
	return out, nil
}

func (m mapTree) ReadFile(_ context.Context, rev, p string) ([]byte, error) {
	s, ok := m[p]
	if !ok {
		return nil, fmt.Errorf("%s at %s: %w", p, rev, fs.ErrNotExist)
	}
	return []byte(s), nil
}

func TestLoadRevFake(t *testing.T) {
	ctx := context.Background()
	a := rep("registry.example.com/a:1", "CVE-2024-0001")
	tree := mapTree{
		mustPath(t, a.Image):       string(encoded(t, a)),
		DecisionsFile:              "- id: CVE-1\n",
		"cvetrail/nested/x.jsonl":  "not a ledger",
		"cvetrail.yaml":            "images: []\n",
		"cvetrail/.cvetrail-1.tmp": "partial",
	}
	got, err := LoadRev(ctx, tree, "r1")
	if err != nil {
		t.Fatal(err)
	}
	a.SchemaVersion = report.SchemaVersion
	if diff := cmp.Diff(map[string]*report.Report{a.Image: a}, got); diff != "" {
		t.Errorf("LoadRev (-want +got):\n%s", diff)
	}

	if got, err := LoadRev(ctx, mapTree{}, "r1"); err != nil || len(got) != 0 {
		t.Errorf("LoadRev without ledgers: %v, %v; want an empty map", got, err)
	}
	if _, err := LoadRev(ctx, tree, "nope"); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("LoadRev of an unknown revision: %v", err)
	}
	tree["cvetrail/wrong.jsonl"] = string(encoded(t, rep("b")))
	if _, err := LoadRev(ctx, tree, "r1"); err == nil || !strings.Contains(err.Error(), "cvetrail/wrong.jsonl") || !strings.Contains(err.Error(), "r1") {
		t.Errorf("LoadRev with a misplaced ledger: %v, want an error naming the file and revision", err)
	}
}
