package cli

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDemoReports runs the demo on the recorded reports and checks that
// every day went as the story says, and that the repository it leaves
// holds the decision and the merged reports.
func TestDemoReports(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	env := Env{
		Stdout: &out, Stderr: &out, Dir: dir,
		Getenv:  func(k string) string { return map[string]string{"HOME": dir, "GIT_CONFIG_NOSYSTEM": "1"}[k] },
		Environ: func() []string { return []string{"HOME=" + dir, "GIT_CONFIG_NOSYSTEM=1", "XDG_CONFIG_HOME=" + dir} },
		Now:     time.Now,
	}
	code := Main(context.Background(), []string{"demo", "--reports", "--dir", filepath.Join(dir, "d")}, env)
	text := out.String()
	if code != 0 {
		t.Fatalf("demo exited %d:\n%s", code, text)
	}
	for _, want := range []string{
		"Day 1", "merged into main: 4 new; baseline, merged without review",
		"Day 2", "1 new; needs review", "recorded CVE-2024-5535: accepted", "merged into main: 1 new-acknowledged",
		"Day 3", "merged into main: 3 updated, 1 resolved; nothing needs review",
		"Day 4", "truncated JSON", "Nothing was committed",
		"Day 5", "merged into main: 4 updated; nothing needs review",
		"by Ada Reviewer <ada@example.com> 2026-06-02",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if strings.Contains(text, "!!") {
		t.Errorf("a day did not go as the story expects:\n%s", text)
	}
	repo := filepath.Join(dir, "d", "repo")
	cmd := exec.Command("git", "log", "--format=%an|%s", "main")
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), "HOME="+dir, "GIT_CONFIG_NOSYSTEM=1")
	log, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), "Ada Reviewer|cvetrail: accepted CVE-2024-5535") {
		t.Errorf("the decision commit is missing from main:\n%s", log)
	}
	if n := strings.Count(string(log), "chore(cvetrail): vulnerability report"); n != 4 {
		t.Errorf("%d report commits on main, want 4 (days 1, 2, 3, 5):\n%s", n, log)
	}
}
