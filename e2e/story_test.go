package e2e

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cvetrail/cvetrail/e2e/internal/grypedb"
	"github.com/cvetrail/cvetrail/e2e/internal/harness"
	"github.com/cvetrail/cvetrail/e2e/internal/imagegen"
	"github.com/cvetrail/cvetrail/e2e/internal/scanner"
	"github.com/cvetrail/cvetrail/e2e/internal/story"
)

// Exit codes of cvetrail run.
const (
	exitOK       = 0 // merged, or nothing changed
	exitReview   = 1 // awaiting review
	exitExternal = 3 // scanner, git or forge failed
)

// storyEnv is the world outside the repository: one image path and one
// scanner cache that each day overwrites, as a daily job on a build
// machine sees them.
type storyEnv struct {
	t          *testing.T
	ctx        context.Context
	bin        string
	repo       *harness.Repo
	image      string // docker-archive tarball, replaced each day
	trivyCache string
	grypeCache string
	trivy      string
	grype      string
}

// TestStory runs cvetrail's five-day story with the real scanners, the
// real git and the cvetrail binary: see internal/story for the days.
func TestStory(t *testing.T) {
	trivy, grype := needTrivy(t), needGrype(t)
	bin := cvetrailBinary(t, "run", "ack")
	ctx := context.Background()
	tmp := t.TempDir()
	e := &storyEnv{t: t, ctx: ctx, bin: bin, trivy: trivy, grype: grype,
		image:      filepath.Join(tmp, "images", "app.tar"),
		trivyCache: filepath.Join(tmp, "trivy-cache"),
		grypeCache: filepath.Join(tmp, "grype-cache"),
	}
	days := story.Days()
	start := days[0].Date.Add(-24 * time.Hour)
	cfg, err := e.config(scanner.Trivy).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	e.repo, err = harness.InitRepo(ctx, filepath.Join(tmp, "repo"), filepath.Join(tmp, "home"), start,
		map[string][]byte{"cvetrail.yaml": cfg, "README.md": []byte("# app\n")})
	if err != nil {
		t.Fatal(err)
	}

	day1Keys := []string{
		"CVE-2010-4756 deb/libc6",
		"CVE-2022-25883 npm/semver",
		"CVE-2024-0727 deb/libssl3",
		"CVE-2024-35195 pypi/requests",
	}
	day2Keys := sortedWith(day1Keys, story.NewCVE+" deb/libssl3")
	var decisions string // cvetrail/decisions.yaml after the ack
	day3Keys := sortedWith(slices.DeleteFunc(slices.Clone(day2Keys), func(k string) bool {
		return strings.HasPrefix(k, "CVE-2024-0727 ")
	}))

	step(t, "day1 first scan is committed and merged", func(t *testing.T) {
		d := days[0]
		e.prepare(d)
		// Adopting cvetrail on an image with known findings: the first
		// run records them as the baseline instead of asking for an ack
		// of each.
		e.run(t, d, exitOK, "--baseline")
		e.wantKeys(t, "main", day1Keys)
		e.wantClean(t)
	})

	step(t, "day2 a new CVE leaves the report branch for review", func(t *testing.T) {
		d := days[1]
		e.prepare(d)
		before := e.rev(t, "main")
		res := e.run(t, d, exitReview)
		if !strings.Contains(res.Stdout+res.Stderr, story.NewCVE) {
			t.Errorf("the summary does not name %s:\n%s", story.NewCVE, res)
		}
		if got := e.rev(t, "main"); got != before {
			t.Errorf("main moved from %s to %s although the report awaits review", before, got)
		}
		e.wantKeys(t, "main", day1Keys)
		e.wantKeys(t, "cvetrail/daily-report", day2Keys)
	})

	step(t, "day2 after the ack on main the next run merges", func(t *testing.T) {
		d := days[1]
		when := d.Date.Add(2 * time.Hour)
		ack := story.StoryAck
		// On main, although the finding is so far only on the report
		// branch: the reviewer answers the summary where they stand.
		res, err := e.repo.Cvetrail(e.ctx, e.bin, when, nil, "ack", ack.ID, "--pkg", "libssl3",
			"--status", ack.Status, "--reason", ack.Reason)
		if err != nil {
			t.Fatal(err)
		}
		if res.ExitCode != 0 {
			t.Fatalf("ack failed:\n%s", res)
		}
		if err := e.repo.Commit(e.ctx, when, "Accept "+ack.ID+" until the next base image", "cvetrail/decisions.yaml"); err != nil {
			t.Fatal(err)
		}
		decisions = e.show(t, "main", "cvetrail/decisions.yaml")
		e.runAt(t, when.Add(time.Hour), exitOK)
		e.wantKeys(t, "main", day2Keys)
		e.wantClean(t)
	})

	step(t, "day3 the base-image update brings nothing new and is merged", func(t *testing.T) {
		d := days[2]
		e.prepare(d)
		e.run(t, d, exitOK)
		e.wantKeys(t, "main", day3Keys)
		ledger := e.ledgerText(t, "main")
		for _, want := range []string{"python3.12", "2.36-9+deb12u7", "3.0.13-1~deb12u1"} {
			if !strings.Contains(ledger, want) {
				t.Errorf("the day 3 ledger lacks %q:\n%s", want, ledger)
			}
		}
		if strings.Contains(ledger, "python3.11") {
			t.Errorf("the day 3 ledger still names python3.11:\n%s", ledger)
		}
		if got := e.show(t, "main", "cvetrail/decisions.yaml"); got != decisions {
			t.Errorf("run changed cvetrail/decisions.yaml:\n%s", got)
		}
		e.wantClean(t)
	})

	step(t, "day4 a corrupt database fails the run and changes nothing", func(t *testing.T) {
		d := days[3]
		e.prepare(d)
		before, err := e.repo.Snapshot(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		res := e.run(t, d, exitExternal)
		if !strings.Contains(res.Stderr, "failed to open db") {
			t.Errorf("the error does not show what the scanner said:\n%s", res)
		}
		after, err := e.repo.Snapshot(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(before, after); diff != "" {
			t.Errorf("the failed run changed the repository (-before +after):\n%s", diff)
		}
		if err := e.repo.Fsck(e.ctx); err != nil {
			t.Error(err)
		}
	})

	step(t, "day5 switching to Grype brings nothing new", func(t *testing.T) {
		d := days[4]
		cfg, err := e.config(scanner.Grype).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if err := e.repo.WriteFile("cvetrail.yaml", cfg); err != nil {
			t.Fatal(err)
		}
		if err := e.repo.Commit(e.ctx, d.Date.Add(-time.Hour), "Scan with Grype", "cvetrail.yaml"); err != nil {
			t.Fatal(err)
		}
		e.prepare(d)
		e.run(t, d, exitOK)
		e.wantKeys(t, "main", day3Keys)
		e.wantClean(t)

		head := e.rev(t, "main")
		e.runAt(t, d.Date.Add(time.Hour), exitOK)
		if got := e.rev(t, "main"); got != head {
			t.Errorf("a second run with the same input moved main from %s to %s", head, got)
		}
	})

	if err := e.repo.Fsck(ctx); err != nil {
		t.Error(err)
	}
}

// config is cvetrail.yaml for the given scanner.
func (e *storyEnv) config(name string) harness.Config {
	c := harness.Config{
		Images: []harness.ConfigImage{{Ref: "docker-archive:" + e.image, Name: story.ImageName}},
		Forge:  "none",
	}
	switch name {
	case scanner.Trivy:
		c.Scanner = harness.ConfigScanner{Name: scanner.Trivy, Path: e.trivy,
			Args: scanner.TrivyOfflineArgs(e.trivyCache), Timeout: "5m"}
	case scanner.Grype:
		c.Scanner = harness.ConfigScanner{Name: scanner.Grype, Path: e.grype,
			Timeout: "5m", Env: scanner.GrypeEnv(e.grypeCache)}
	}
	return c
}

// prepare puts day d's image and database where cvetrail.yaml points.
func (e *storyEnv) prepare(d story.Day) {
	e.t.Helper()
	if err := os.MkdirAll(filepath.Dir(e.image), 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := imagegen.WriteDockerArchive(e.ctx, e.image, d.Image); err != nil {
		e.t.Fatal(err)
	}
	switch d.Scanner {
	case scanner.Trivy:
		if err := story.WriteTrivyDB(e.ctx, e.trivyCache, d); err != nil {
			e.t.Fatal(err)
		}
	case scanner.Grype:
		if err := grypedb.Write(e.ctx, e.grypeCache, d.Vulns, story.DBUpdated(d)); err != nil {
			e.t.Fatal(err)
		}
	}
}

func (e *storyEnv) run(t *testing.T, d story.Day, want int, flags ...string) harness.Result {
	t.Helper()
	return e.runAt(t, d.Date, want, flags...)
}

// runAt runs `cvetrail run` at when and fails the test unless it exits
// with want.
func (e *storyEnv) runAt(t *testing.T, when time.Time, want int, flags ...string) harness.Result {
	t.Helper()
	res, err := e.repo.Cvetrail(e.ctx, e.bin, when, nil, append([]string{"run"}, flags...)...)
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != want {
		t.Fatalf("want exit %d, got:\n%s", want, res)
	}
	t.Logf("%s", res)
	return res
}

func (e *storyEnv) rev(t *testing.T, ref string) string {
	t.Helper()
	out, err := e.repo.Git(e.ctx, time.Time{}, "rev-parse", "--verify", ref)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out)
}

func (e *storyEnv) wantKeys(t *testing.T, rev string, want []string) {
	t.Helper()
	got, err := e.repo.LedgerKeys(e.ctx, rev)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("finding keys on %s (-want +got):\n%s", rev, diff)
	}
}

// wantClean checks that main is checked out and the work tree has no
// changes: run commits what it writes and leaves nothing behind.
func (e *storyEnv) wantClean(t *testing.T) {
	t.Helper()
	head, err := e.repo.Git(e.ctx, time.Time{}, "symbolic-ref", "--short", "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(head) != "main" {
		t.Errorf("HEAD is %s, want main", strings.TrimSpace(head))
	}
	status, err := e.repo.Git(e.ctx, time.Time{}, "status", "--porcelain", "--untracked-files=all")
	if err != nil {
		t.Fatal(err)
	}
	if status != "" {
		t.Errorf("the work tree is not clean:\n%s", status)
	}
}

// show returns the file path at rev.
func (e *storyEnv) show(t *testing.T, rev, path string) string {
	t.Helper()
	out, err := e.repo.Git(e.ctx, time.Time{}, "show", rev+":"+path)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// ledgerText returns every ledger file at rev, concatenated.
func (e *storyEnv) ledgerText(t *testing.T, rev string) string {
	t.Helper()
	names, err := e.repo.Git(e.ctx, time.Time{}, "ls-tree", "--name-only", rev, "cvetrail/")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, name := range strings.Fields(names) {
		if strings.HasSuffix(name, ".jsonl") {
			body, err := e.repo.Git(e.ctx, time.Time{}, "show", rev+":"+name)
			if err != nil {
				t.Fatal(err)
			}
			b.WriteString(body)
		}
	}
	return b.String()
}

// step runs one step of the story as a subtest and stops the story when
// it fails: every later day builds on the repository this one left.
func step(t *testing.T, name string, fn func(t *testing.T)) {
	t.Helper()
	if !t.Run(name, fn) {
		t.Fatalf("the story stops at %q", name)
	}
}

func sortedWith(keys []string, more ...string) []string {
	out := append(slices.Clone(keys), more...)
	slices.Sort(out)
	return out
}
