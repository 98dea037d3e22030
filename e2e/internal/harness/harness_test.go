package harness

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

var when = time.Date(2026, 6, 1, 6, 0, 0, 0, time.UTC)

func TestRepoRoot(t *testing.T) {
	root, err := RepoRoot(".")
	if err != nil {
		t.Skipf("not inside a cvetrail checkout: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "e2e", "go.mod")); err != nil {
		t.Errorf("RepoRoot = %s, which has no e2e/go.mod", root)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/other\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := RepoRoot(dir); err == nil && got == dir {
		t.Errorf("RepoRoot accepted a module other than %s", Module)
	}
}

func TestRepoFixedIdentityAndSnapshot(t *testing.T) {
	ctx := context.Background()
	tmp := t.TempDir()
	r, err := InitRepo(ctx, filepath.Join(tmp, "repo"), filepath.Join(tmp, "home"), when,
		map[string][]byte{"cvetrail.yaml": []byte("schemaVersion: 1\n"), "cvetrail/a.jsonl": []byte("{}\n")})
	if err != nil {
		t.Fatal(err)
	}
	out, err := r.Git(ctx, when, "log", "-1", "--format=%an <%ae> %aI | %cn %cI | %s")
	if err != nil {
		t.Fatal(err)
	}
	want := "Ada Reviewer <ada@example.com> 2026-06-01T06:00:00+00:00 | Ada Reviewer 2026-06-01T06:00:00+00:00 | Start tracking vulnerabilities with cvetrail\n"
	if out != want {
		t.Errorf("first commit = %q, want %q", out, want)
	}
	if head, _ := r.Git(ctx, when, "rev-parse", "HEAD"); strings.TrimSpace(head) == "" {
		t.Fatal("no HEAD")
	}

	before, err := r.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	again, err := r.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, again); diff != "" {
		t.Fatalf("two snapshots of an unchanged repository differ:\n%s", diff)
	}
	changes := map[string]func() error{
		"ledger bytes": func() error { return r.WriteFile("cvetrail/a.jsonl", []byte("{} \n")) },
		"new branch":   func() error { _, err := r.Git(ctx, when, "branch", "cvetrail/daily-report"); return err },
		"untracked":    func() error { return r.WriteFile("stray.txt", []byte("x")) },
	}
	for _, name := range slices.Sorted(maps.Keys(changes)) {
		if err := changes[name](); err != nil {
			t.Fatal(err)
		}
		after, err := r.Snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if cmp.Equal(before, after) {
			t.Errorf("%s: the snapshot did not notice", name)
		}
		before = after
	}
	if err := r.Fsck(ctx); err != nil {
		t.Error(err)
	}
}

func TestLedgerKeys(t *testing.T) {
	ctx := context.Background()
	tmp := t.TempDir()
	ledger := `{"schemaVersion":1,"image":"example.com/app:latest","os":{"family":"debian","version":"12.5"}}
{"id":"CVE-2024-0727","type":"deb","pkg":"libssl3","fixState":"fixed","severity":"MEDIUM"}
{"id":"CVE-2022-25883","aliases":["GHSA-c2qf-rxjj-qqgw"],"type":"npm","pkg":"semver","fixState":"fixed","severity":"HIGH"}
`
	r, err := InitRepo(ctx, filepath.Join(tmp, "repo"), filepath.Join(tmp, "home"), when, map[string][]byte{
		"cvetrail/example.com_app_latest.jsonl": []byte(ledger),
		"cvetrail/decisions.yaml":               []byte("[]\n"),
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.LedgerKeys(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"CVE-2022-25883 npm/semver", "CVE-2024-0727 deb/libssl3"}; !slices.Equal(got, want) {
		t.Errorf("LedgerKeys = %v, want %v", got, want)
	}
	if err := r.WriteFile("cvetrail/bad.jsonl", []byte("{\"schemaVersion\":1}\n{\"id\":\"CVE-1\"}\n")); err != nil {
		t.Fatal(err)
	}
	if err := r.Commit(ctx, when, "bad", "cvetrail/bad.jsonl"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.LedgerKeys(ctx, "main"); err == nil || !strings.Contains(err.Error(), "bad.jsonl") {
		t.Errorf("a finding without type and package: %v", err)
	}
}

func TestConfigMarshal(t *testing.T) {
	b, err := Config{
		Images:  []ConfigImage{{Ref: "docker-archive:/x/app.tar", Name: "example.com/app:latest"}},
		Scanner: ConfigScanner{Name: "grype", Path: "/bin/grype", Timeout: "5m", Env: map[string]string{"GRYPE_DB_AUTO_UPDATE": "false"}},
	}.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := yaml.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"schemaVersion": 1,
		"forge":         "none",
		"images":        []any{map[string]any{"ref": "docker-archive:/x/app.tar", "name": "example.com/app:latest"}},
		"scanner": map[string]any{"name": "grype", "path": "/bin/grype", "timeout": "5m",
			"env": map[string]any{"GRYPE_DB_AUTO_UPDATE": "false"}},
	}
	if diff := cmp.Diff(want, back); diff != "" {
		t.Errorf("cvetrail.yaml (-want +got):\n%s\n%s", diff, b)
	}
}
