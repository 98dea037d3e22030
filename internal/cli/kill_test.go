//go:build linux

package cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The tests in this file run the real cvetrail binary, built once per
// test, against real git repositories, and stop or kill it between (and
// during) the steps of the daily run. CVETRAIL_TEST_STEP_DELAY makes the
// run sleep at each named step after logging it ("step name=…" with -v),
// so a kill can land exactly there.

// buildCvetrail builds cmd/cvetrail into a temporary directory.
func buildCvetrail(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("no go binary on PATH to build cvetrail: %v", err)
	}
	out := filepath.Join(t.TempDir(), "cvetrail")
	cmd := exec.Command(goBin, "build", "-o", out, "github.com/cvetrail/cvetrail/cmd/cvetrail")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building cvetrail: %v\n%s", err, b)
	}
	return out
}

// fakeTrivy stands in for Trivy: "version" prints a fixed version, and a
// scan of …/NAME:TAG prints $FAKE_SCANS/NAME.json.
const fakeTrivy = `#!/bin/sh
if [ "$1" = version ]; then
	echo '{"Version":"0.74.0","VulnerabilityDB":{"Version":2,"UpdatedAt":"2026-11-01T06:00:00Z"}}'
	exit 0
fi
for ref; do :; done
name=${ref##*/}
name=${name%%:*}
exec cat "$FAKE_SCANS/$name.json"
`

// killWorld is a directory with the fake scanner, its reports per day, and
// the repositories of a test.
type killWorld struct {
	t       *testing.T
	bin     string
	root    string
	scanner string
}

func newKillWorld(t *testing.T) *killWorld {
	w := &killWorld{t: t, bin: buildCvetrail(t), root: t.TempDir()}
	for _, d := range []string{"home", "tmp", "scans"} {
		if err := os.MkdirAll(filepath.Join(w.root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	w.scanner = filepath.Join(w.root, "fake-trivy")
	w.write(w.scanner, fakeTrivy, 0o755)
	return w
}

func (w *killWorld) write(path, content string, perm fs.FileMode) {
	w.t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), perm); err != nil {
		w.t.Fatal(err)
	}
}

// env is the environment of everything run on date: a fixed identity and
// clock, the scanner's reports of that date, no system or user git
// configuration.
func (w *killWorld) env(date string, extra ...string) []string {
	home := filepath.Join(w.root, "home")
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home, "XDG_CONFIG_HOME=" + home,
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=Ada Reviewer", "GIT_AUTHOR_EMAIL=ada@example.com",
		"GIT_COMMITTER_NAME=Ada Reviewer", "GIT_COMMITTER_EMAIL=ada@example.com",
		"GIT_AUTHOR_DATE=" + date + "T06:00:00Z", "GIT_COMMITTER_DATE=" + date + "T06:00:00Z",
		"CVETRAIL_NOW=" + date,
		"TMPDIR=" + filepath.Join(w.root, "tmp"),
		"FAKE_SCANS=" + filepath.Join(w.root, "scans", date),
	}
	return append(env, extra...)
}

// git runs git in dir and returns its trimmed output.
func (w *killWorld) git(dir, date string, args ...string) string {
	w.t.Helper()
	out, err := w.gitErr(dir, date, args...)
	if err != nil {
		w.t.Fatal(err)
	}
	return out
}

func (w *killWorld) gitErr(dir, date string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = w.env(date)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("git %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

// cvetrail runs the binary to completion and returns its exit code and
// combined output.
func (w *killWorld) cvetrail(dir string, env []string, args ...string) (int, string) {
	w.t.Helper()
	cmd := exec.Command(w.bin, args...)
	cmd.Dir = dir
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, string(out)
	case errors.As(err, &ee) && ee.ExitCode() >= 0:
		return ee.ExitCode(), string(out)
	}
	w.t.Fatalf("cvetrail %s: %v\n%s", strings.Join(args, " "), err, out)
	return 0, ""
}

// newRepo creates a repository at dir whose main branch has a
// cvetrail.yaml for the images app and web, scanned by the fake scanner.
func (w *killWorld) newRepo(dir string) {
	w.t.Helper()
	w.git(w.root, "2026-11-01", "init", "-q", "-b", "main", dir)
	w.write(filepath.Join(dir, "cvetrail.yaml"), `schemaVersion: 1
images:
  - ref: registry.example/team/app:1.4
    name: app
  - ref: registry.example/team/web:7
    name: web
scanner:
  name: trivy
  path: `+w.scanner+`
  timeout: 1m
`, 0o644)
	w.write(filepath.Join(dir, "README.md"), "# images\n", 0o644)
	w.git(dir, "2026-11-01", "add", "cvetrail.yaml", "README.md")
	w.git(dir, "2026-11-01", "commit", "-q", "-m", "configure cvetrail")
}

// killVuln is one finding of a hand-written Trivy report.
type killVuln struct{ id, pkg, version, severity string }

// scans writes the reports the fake scanner gives on date.
func (w *killWorld) scans(date string, images map[string][]killVuln) {
	w.t.Helper()
	for name, vulns := range images {
		var b strings.Builder
		fmt.Fprintf(&b, `{"SchemaVersion": 2, "ArtifactName": "registry.example/team/%s", "Results": [{"Target": "%s", "Class": "os-pkgs", "Type": "debian", "Vulnerabilities": [`, name, name)
		for i, v := range vulns {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, "\n"+`{"VulnerabilityID": %q, "PkgName": %q, "InstalledVersion": %q, "Severity": %q, "Title": "a flaw in %s"}`, v.id, v.pkg, v.version, v.severity, v.pkg)
		}
		b.WriteString("]}]}\n")
		w.write(filepath.Join(w.root, "scans", date, name+".json"), b.String(), 0o644)
	}
}

// copyTree copies the directory src to dst (which must not exist).
func (w *killWorld) copyTree(src, dst string) {
	w.t.Helper()
	if out, err := exec.Command("cp", "-a", src, dst).CombinedOutput(); err != nil {
		w.t.Fatalf("copying %s: %v\n%s", src, err, out)
	}
}

// proc is a cvetrail process started in the background; its stderr is
// read line by line and the steps it logs are sent on steps.
type proc struct {
	cmd   *exec.Cmd
	steps chan string
	done  chan struct{} // closed when stderr is drained
	mu    sync.Mutex
	log   strings.Builder
}

func (w *killWorld) start(dir string, env []string, args ...string) *proc {
	w.t.Helper()
	cmd := exec.Command(w.bin, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		w.t.Fatal(err)
	}
	p := &proc{cmd: cmd, steps: make(chan string, 64), done: make(chan struct{})}
	cmd.Stdout = &lockedWriter{p: p}
	if err := cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	go func() {
		defer close(p.done)
		defer close(p.steps)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.log.WriteString(line + "\n")
			p.mu.Unlock()
			if step, ok := strings.CutPrefix(line, "cvetrail: debug: step name="); ok {
				p.steps <- step
			}
		}
	}()
	return p
}

type lockedWriter struct{ p *proc }

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.p.mu.Lock()
	defer l.p.mu.Unlock()
	return l.p.log.Write(b)
}

// waitStep waits until the process logs step, and reports whether it did
// (false: it ended first).
func (p *proc) waitStep(step string) bool {
	for s := range p.steps {
		if s == step {
			return true
		}
	}
	return false
}

// wait waits for the process to end and returns its exit code, -1 when a
// signal ended it.
func (p *proc) wait() int {
	<-p.done
	err := p.cmd.Wait()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	return -2
}

func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

// kill sends SIGKILL to the cvetrail process alone, as `kill -9 PID` does:
// the git commands it started run to their end.
func (p *proc) kill() { _ = syscall.Kill(p.cmd.Process.Pid, syscall.SIGKILL) }

// waitOrphans waits until no live process is left in the process group
// of p (the git commands a killed run had started). Zombies do not count:
// nothing may reap them here.
func (w *killWorld) waitOrphans(p *proc) {
	w.t.Helper()
	pgid := p.cmd.Process.Pid
	for i := 0; ; i++ {
		if !groupAlive(pgid) {
			return
		}
		if i == 10000 {
			w.t.Fatalf("processes of group %d still run after the kill", pgid)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// groupAlive reports whether a process of group pgid that is not a zombie
// exists.
func groupAlive(pgid int) bool {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp …; comm may hold spaces and parens.
		i := strings.LastIndexByte(string(b), ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) > 2 && f[0] != "Z" && f[2] == strconv.Itoa(pgid) {
			return true
		}
	}
	return false
}

// repoState is what an uninterrupted run must leave and a killed run plus
// its rerun must leave too.
type repoState struct {
	Head  string            // what HEAD points to
	Refs  map[string]string // branch → commit id
	Trees map[string]string // branch → tree id
	Files map[string]string // working tree files (outside .git) → content
}

func (w *killWorld) state(dir, date string) repoState {
	w.t.Helper()
	s := repoState{Head: w.git(dir, date, "symbolic-ref", "HEAD"), Refs: map[string]string{}, Trees: map[string]string{}, Files: map[string]string{}}
	for _, line := range strings.Split(w.git(dir, date, "for-each-ref", "--format=%(refname) %(objectname) %(tree)", "refs/"), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			w.t.Fatalf("git for-each-ref: unexpected line %q", line)
		}
		s.Refs[f[0]], s.Trees[f[0]] = f[1], f[2]
	}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if d.IsDir() && rel == ".git" {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			s.Files[filepath.ToSlash(rel)] = string(b)
		}
		return nil
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return s
}

// checkConsistent checks what must hold at any moment, even right after a
// kill: git objects and refs are sound, HEAD is on main, and the working
// tree differs from HEAD at most in cvetrail/, and then only while a merge
// journal says the run was writing it.
func (w *killWorld) checkConsistent(dir, date, what string) {
	w.t.Helper()
	if out, err := w.gitErr(dir, date, "fsck", "--strict", "--no-dangling", "--no-progress"); err != nil {
		w.t.Fatalf("%s: git fsck: %v\n%s", what, err, out)
	}
	if h := w.git(dir, date, "symbolic-ref", "HEAD"); h != "refs/heads/main" {
		w.t.Fatalf("%s: HEAD is %s", what, h)
	}
	for _, line := range strings.Split(w.git(dir, date, "for-each-ref", "--format=%(objecttype) %(refname)"), "\n") {
		if !strings.HasPrefix(line, "commit ") {
			w.t.Fatalf("%s: ref does not point to a commit: %s", what, line)
		}
	}
	status := w.git(dir, date, "status", "--porcelain", "--untracked-files=all", "--ignored")
	if status == "" {
		return
	}
	_, err := os.Stat(filepath.Join(dir, ".git", "cvetrail-merge.json"))
	merging := err == nil
	for _, line := range strings.Split(status, "\n") {
		path := line[3:]
		temp := strings.HasPrefix(filepath.Base(path), ".cvetrail-") && strings.HasSuffix(path, ".tmp")
		if !strings.HasPrefix(path, "cvetrail/") || !temp && !merging {
			w.t.Fatalf("%s: the working tree has a change no journal accounts for: %q\n%s", what, line, status)
		}
	}
}

// checkClean checks that a completed run left nothing behind: a clean
// working tree and index, and no lock, journal or temporary file of
// cvetrail or git under .git.
func (w *killWorld) checkClean(dir, date, what string) {
	w.t.Helper()
	if st := w.git(dir, date, "status", "--porcelain", "--untracked-files=all", "--ignored"); st != "" {
		w.t.Fatalf("%s: git status is not clean:\n%s", what, st)
	}
	gitDir := filepath.Join(dir, ".git")
	err := filepath.WalkDir(gitDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if strings.HasSuffix(name, ".lock") || strings.HasPrefix(name, "cvetrail-") || strings.HasPrefix(name, ".cvetrail-") {
			rel, _ := filepath.Rel(gitDir, path)
			w.t.Fatalf("%s: left in .git: %s", what, rel)
		}
		return nil
	})
	if err != nil {
		w.t.Fatal(err)
	}
}

// killDay is one day of the crash test: what people do first, then the
// run that is killed.
type killDay struct {
	date     string
	args     []string
	prep     func(w *killWorld, dir string)
	wantExit int
}

// ack records a decision on the report branch and commits it, as a
// reviewer does: check the branch out, ack, check main out again.
func ack(author, id, pkg string) func(w *killWorld, dir string) {
	return func(w *killWorld, dir string) {
		w.git(dir, "2026-11-01", "checkout", "-q", "cvetrail/daily-report")
		name, email, _ := strings.Cut(author, " <")
		env := append(w.env("2026-11-01"), "GIT_AUTHOR_NAME="+name, "GIT_AUTHOR_EMAIL="+strings.TrimSuffix(email, ">"))
		if code, out := w.cvetrail(dir, env, "ack", id, "--pkg", pkg, "--status", "accepted", "--reason", "reviewed", "--commit"); code != 0 {
			w.t.Fatalf("ack %s: exit %d\n%s", id, code, out)
		}
		w.git(dir, "2026-11-01", "checkout", "-q", "main")
	}
}

// killDays is a week of daily runs covering every path of a local run:
// a baseline merged into the checked-out main, reports left for review,
// decisions committed on the report branch and merged by fast-forward or,
// after main moved, by a merge commit, a report branch deleted because
// the ledgers equal main again, and runs that change nothing.
func killDays(w *killWorld) []killDay {
	app := []killVuln{{"CVE-2026-1001", "libssl3", "3.0.11-1", "HIGH"}, {"CVE-2026-1002", "zlib1g", "1.2.13", "LOW"}, {"CVE-2026-1003", "libcurl4", "7.88.1", "MEDIUM"}}
	web := []killVuln{{"CVE-2026-2001", "busybox", "1.36.1", "MEDIUM"}, {"CVE-2026-2002", "musl", "1.2.5", "LOW"}, {"CVE-2026-2003", "libcrypto3", "3.3.1", "HIGH"}}
	app2 := append(slices.Clone(app), killVuln{"CVE-2026-1101", "libexpat1", "2.5.0", "CRITICAL"})
	web3 := []killVuln{web[0], web[2]}
	web4 := append(slices.Clone(web3), killVuln{"CVE-2026-2101", "libxml2", "2.12.7", "HIGH"})
	app6 := append(slices.Clone(app2), killVuln{"CVE-2026-1201", "sqlite", "3.45.1", "MEDIUM"})

	w.scans("2026-11-02", map[string][]killVuln{"app": app, "web": web})
	w.scans("2026-11-03", map[string][]killVuln{"app": app2, "web": web})
	w.scans("2026-11-04", map[string][]killVuln{"app": app2, "web": web3})
	w.scans("2026-11-05", map[string][]killVuln{"app": app2, "web": web4})
	w.scans("2026-11-06", map[string][]killVuln{"app": app2, "web": web4})
	w.scans("2026-11-07", map[string][]killVuln{"app": app6, "web": web4})
	w.scans("2026-11-08", map[string][]killVuln{"app": app2, "web": web4})
	w.scans("2026-11-09", map[string][]killVuln{"app": app2, "web": web4})
	return []killDay{
		{date: "2026-11-02", args: []string{"run", "--baseline"}, wantExit: 0},
		{date: "2026-11-03", args: []string{"run"}, wantExit: 1},
		{date: "2026-11-04", args: []string{"run"}, wantExit: 0, prep: ack("Bea Decider <bea@example.com>", "CVE-2026-1101", "libexpat1")},
		{date: "2026-11-05", args: []string{"run"}, wantExit: 1},
		{date: "2026-11-06", args: []string{"run"}, wantExit: 0, prep: func(w *killWorld, dir string) {
			ack("Carl Owner <carl@example.com>", "CVE-2026-2101", "libxml2")(w, dir)
			w.write(filepath.Join(dir, "README.md"), "# images\n\nScanned daily.\n", 0o644)
			w.git(dir, "2026-11-05", "commit", "-q", "-m", "say how images are scanned", "README.md")
		}},
		{date: "2026-11-07", args: []string{"run"}, wantExit: 1},
		{date: "2026-11-08", args: []string{"run"}, wantExit: 0},
		{date: "2026-11-09", args: []string{"run"}, wantExit: 0},
	}
}

// killPoint says when to kill a run: when it logs step, or after delay;
// and, when again is set, when to kill the next run too.
type killPoint struct {
	day   int
	step  string
	after time.Duration
	again time.Duration
}

func (k killPoint) String() string {
	s := fmt.Sprintf("day %d after %v", k.day+1, k.after)
	if k.step != "" {
		s = fmt.Sprintf("day %d at step %s", k.day+1, k.step)
	}
	if k.again > 0 {
		s += fmt.Sprintf(", the next run after %v", k.again)
	}
	return s
}

// TestKill kills `cvetrail run` with SIGKILL at every step of every day of
// killDays, and at random moments, then checks that the repository is
// consistent, that the next run is not blocked, and that it ends in
// exactly the state an uninterrupted run of that day leaves.
func TestKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds cvetrail and runs it a few hundred times")
	}
	const (
		delay        = 40 * time.Millisecond // per step, so kills land inside a step
		randomPerDay = 2
		seed         = 20261102
		wantKills    = 20 // kills that must really interrupt a run
	)
	w := newKillWorld(t)
	days := killDays(w)

	// The uninterrupted week, keeping a copy of the repository before each
	// run and the state after it.
	ref := filepath.Join(w.root, "ref")
	w.newRepo(ref)
	snaps := make([]string, len(days))
	want := make([]repoState, len(days))
	for i, d := range days {
		if d.prep != nil {
			d.prep(w, ref)
		}
		snaps[i] = filepath.Join(w.root, fmt.Sprintf("before-day%d", i+1))
		w.copyTree(ref, snaps[i])
		code, out := w.cvetrail(ref, w.env(d.date), d.args...)
		if code != d.wantExit {
			t.Fatalf("day %d: exit %d, want %d\n%s", i+1, code, d.wantExit, out)
		}
		w.checkClean(ref, d.date, fmt.Sprintf("day %d", i+1))
		want[i] = w.state(ref, d.date)
	}
	if want[4].Refs["refs/heads/main"] == "" || !strings.Contains(w.git(ref, "2026-11-09", "log", "--merges", "--format=%s", "main"), "Merge branch 'cvetrail/daily-report' into main") {
		t.Fatal("the week has no merge commit; day 5 should merge after main moved")
	}

	// The same week slowed down: the same results, the steps each day goes
	// through, and how long it takes.
	var points []killPoint
	rng := rand.New(rand.NewPCG(seed, seed))
	for i, d := range days {
		dir := filepath.Join(w.root, fmt.Sprintf("slow-day%d", i+1))
		w.copyTree(snaps[i], dir)
		started := time.Now()
		p := w.start(dir, w.env(d.date, "CVETRAIL_TEST_STEP_DELAY="+delay.String()), append([]string{"-v"}, d.args...)...)
		var steps []string
		for s := range p.steps {
			steps = append(steps, s)
		}
		if code := p.wait(); code != d.wantExit {
			t.Fatalf("day %d, slowed: exit %d, want %d\n%s", i+1, code, d.wantExit, p.output())
		}
		took := time.Since(started)
		if diff := cmp.Diff(want[i], w.state(dir, d.date)); diff != "" {
			t.Fatalf("day %d, slowed: the state differs from the uninterrupted run (-want +got):\n%s", i+1, diff)
		}
		if len(steps) < 3 {
			t.Fatalf("day %d logged the steps %v; CVETRAIL_TEST_STEP_DELAY does not work", i+1, steps)
		}
		if i == len(days)-1 {
			continue // a run that changes nothing again: day 7 has its kills
		}
		for _, s := range steps {
			points = append(points, killPoint{day: i, step: s})
		}
		for n := range randomPerDay {
			k := killPoint{day: i, after: time.Duration(rng.Int64N(int64(took)))}
			if n == 1 {
				k.again = time.Duration(rng.Int64N(int64(took)))
			}
			points = append(points, k)
		}
	}

	// Each kill point on a copy of the repository as it was before its
	// day, two at a time: the runs mostly sleep.
	var killed atomic.Int32
	t.Run("points", func(t *testing.T) {
		for n, k := range points {
			t.Run(fmt.Sprintf("%02d", n), func(t *testing.T) {
				t.Parallel()
				w := &killWorld{t: t, bin: w.bin, root: w.root, scanner: w.scanner}
				if w.killAndRerun(filepath.Join(w.root, fmt.Sprintf("kill%d", n)), snaps[k.day], days[k.day], k, want[k.day], delay) {
					killed.Add(1)
				}
			})
		}
	})
	t.Logf("%d kill points, %d of them interrupted a run", len(points), killed.Load())
	if !t.Failed() && killed.Load() < wantKills {
		t.Fatalf("only %d kills interrupted a run, want at least %d", killed.Load(), wantKills)
	}
}

// killAndRerun runs day d on a copy of snap at dir, killing it at k, and
// checks the repository after the kill and after the next run, which must
// end in the state want. It reports whether the kill interrupted the run.
func (w *killWorld) killAndRerun(dir, snap string, d killDay, k killPoint, want repoState, delay time.Duration) bool {
	t := w.t
	w.copyTree(snap, dir)
	p, killed := w.killRun(dir, d, k.step, k.after, delay, k.String())
	if k.again > 0 {
		p2, _ := w.killRun(dir, d, "", k.again, delay, k.String())
		p.mu.Lock()
		p.log.WriteString("next run, killed too:\n" + p2.output())
		p.mu.Unlock()
	}

	code, out := w.cvetrail(dir, w.env(d.date), d.args...)
	if code != d.wantExit {
		t.Fatalf("%s: the next run exited %d, want %d\nkilled run:\n%s\nnext run:\n%s", k, code, d.wantExit, p.output(), out)
	}
	if strings.Contains(out, "another 'cvetrail run'") {
		t.Fatalf("%s: the next run was blocked by the lock:\n%s", k, out)
	}
	if diff := cmp.Diff(want, w.state(dir, d.date)); diff != "" {
		t.Fatalf("%s: the next run ends in another state than an uninterrupted run (-want +got):\n%s\nkilled run:\n%s\nnext run:\n%s", k, diff, p.output(), out)
	}
	w.checkClean(dir, d.date, k.String()+", after the next run")
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	return killed
}

// killRun runs day d in dir and kills it when it logs step, or after
// after; it checks the repository after the kill.
func (w *killWorld) killRun(dir string, d killDay, step string, after, delay time.Duration, what string) (p *proc, killed bool) {
	t := w.t
	p = w.start(dir, w.env(d.date, "CVETRAIL_TEST_STEP_DELAY="+delay.String()), append([]string{"-v"}, d.args...)...)
	if step != "" {
		if !p.waitStep(step) {
			t.Fatalf("%s: the run ended before the step\n%s", what, p.output())
		}
		p.kill()
		after = time.Hour // killed already
	}
	timer := time.AfterFunc(after, p.kill)
	go func() {
		for range p.steps {
		}
	}()
	code := p.wait()
	timer.Stop()
	w.waitOrphans(p)
	killed = code == -1
	if !killed && code != d.wantExit {
		t.Fatalf("%s: the run ended by itself with exit %d, want %d\n%s", what, code, d.wantExit, p.output())
	}
	w.checkConsistent(dir, d.date, what+", after the kill")
	return p, killed
}

// writeLock writes the run lock of another process into the git directory
// of dir, as a killed run leaves it.
func writeLock(t *testing.T, dir string, pid int, host string, started time.Time) {
	t.Helper()
	b, err := json.Marshal(map[string]any{"pid": pid, "host": host, "started": started, "token": "0123456789abcdef"})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".git", "cvetrail-run.lock"), append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestKillLock checks the run lock with real processes: a second run
// while one holds the lock (here or in another worktree of the
// repository) fails at once and says who holds it; a lock left by a dead
// process, or an old one from another host, is taken over.
func TestKillLock(t *testing.T) {
	w := newKillWorld(t)
	days := killDays(w)
	day := days[0]
	base := filepath.Join(w.root, "base")
	w.newRepo(base)
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	repo := func(t *testing.T, name string) (*killWorld, string) {
		tw := &killWorld{t: t, bin: w.bin, root: w.root, scanner: w.scanner}
		dir := filepath.Join(w.root, name)
		tw.copyTree(base, dir)
		return tw, dir
	}
	// stopped starts a run in dir and stops it (SIGSTOP) while it holds
	// the lock, at its scan step; resume lets it finish and checks that
	// it succeeded.
	stopped := func(w *killWorld, dir string) (p *proc, resume func()) {
		p = w.stopAt(dir, day, "scan", func() bool {
			_, err := os.Stat(filepath.Join(dir, ".git", "cvetrail-run.lock"))
			return err == nil
		})
		return p, func() { w.resume(p, dir, day) }
	}
	refused := func(w *killWorld, dir string, holder string) {
		w.t.Helper()
		before := w.git(dir, day.date, "for-each-ref")
		code, out := w.cvetrail(dir, w.env(day.date), day.args...)
		if code != ExitExternal {
			w.t.Fatalf("the second run exited %d, want %d:\n%s", code, ExitExternal, out)
		}
		for _, want := range []string{"cvetrail-run.lock is held by process " + holder, "another 'cvetrail run' is working in this repository"} {
			if !strings.Contains(out, want) {
				w.t.Errorf("the second run does not say %q:\n%s", want, out)
			}
		}
		if after := w.git(dir, day.date, "for-each-ref"); after != before {
			w.t.Errorf("the refused run changed refs:\n%s\nto\n%s", before, after)
		}
	}

	t.Run("held by a running run", func(t *testing.T) {
		w, dir := repo(t, "held")
		p, resume := stopped(w, dir)
		refused(w, dir, strconv.Itoa(p.cmd.Process.Pid)+" on "+host)
		resume()
	})
	t.Run("held from another worktree", func(t *testing.T) {
		w, dir := repo(t, "worktrees")
		other := dir + "-side"
		w.git(dir, day.date, "worktree", "add", "-q", "-b", "side", other)
		p, resume := stopped(w, dir)
		refused(w, other, strconv.Itoa(p.cmd.Process.Pid)+" on "+host)
		resume()
	})
	t.Run("left by a dead process", func(t *testing.T) {
		w, dir := repo(t, "dead")
		gone := exec.Command("true")
		if err := gone.Run(); err != nil {
			t.Fatal(err)
		}
		writeLock(t, dir, gone.Process.Pid, host, time.Now().Add(-time.Minute))
		code, out := w.cvetrail(dir, w.env(day.date), day.args...)
		if code != day.wantExit {
			t.Fatalf("exit %d, want %d:\n%s", code, day.wantExit, out)
		}
		if want := fmt.Sprintf("took over the lock of an interrupted run (process %d on %s", gone.Process.Pid, host); !strings.Contains(out, want) {
			t.Errorf("the run does not say %q:\n%s", want, out)
		}
		w.checkClean(dir, day.date, "after the run")
	})
	t.Run("left on another host long ago", func(t *testing.T) {
		w, dir := repo(t, "old")
		writeLock(t, dir, 4242, "build-7", time.Now().Add(-13*time.Hour))
		code, out := w.cvetrail(dir, w.env(day.date), day.args...)
		if code != day.wantExit {
			t.Fatalf("exit %d, want %d:\n%s", code, day.wantExit, out)
		}
		if want := "took over the lock of an interrupted run (process 4242 on build-7"; !strings.Contains(out, want) {
			t.Errorf("the run does not say %q:\n%s", want, out)
		}
		w.checkClean(dir, day.date, "after the run")
	})
	t.Run("held on another host", func(t *testing.T) {
		w, dir := repo(t, "elsewhere")
		writeLock(t, dir, 4242, "build-7", time.Now().Add(-time.Minute))
		lock := filepath.Join(dir, ".git", "cvetrail-run.lock")
		before, err := os.ReadFile(lock)
		if err != nil {
			t.Fatal(err)
		}
		refused(w, dir, "4242 on build-7")
		if after, err := os.ReadFile(lock); err != nil || string(after) != string(before) {
			t.Errorf("the lock of the other host changed: %q, %v", after, err)
		}
	})
}

// stopAt starts day's run in dir and stops it (SIGSTOP) when it logs
// step. The signal must arrive while the run sleeps at that step; ok
// says whether it did (whether the run had not gone further). When it
// did not, the run is finished and started again on a copy with longer
// sleeps.
func (w *killWorld) stopAt(dir string, day killDay, step string, ok func() bool) *proc {
	w.t.Helper()
	orig := dir + ".orig"
	w.copyTree(dir, orig)
	for delay := 200 * time.Millisecond; ; delay *= 4 {
		p := w.start(dir, w.env(day.date, "CVETRAIL_TEST_STEP_DELAY="+delay.String()), append([]string{"-v"}, day.args...)...)
		if !p.waitStep(step) {
			w.t.Fatalf("the run ended before the step %s:\n%s", step, p.output())
		}
		if err := syscall.Kill(p.cmd.Process.Pid, syscall.SIGSTOP); err != nil {
			w.t.Fatal(err)
		}
		if ok() {
			return p
		}
		if delay > 10*time.Second {
			w.t.Fatalf("could not stop the run at step %s:\n%s", step, p.output())
		}
		w.t.Logf("stopped the run too late at %v per step; again, slower", delay)
		w.resume(p, dir, day)
		if err := os.RemoveAll(dir); err != nil {
			w.t.Fatal(err)
		}
		w.copyTree(orig, dir)
	}
}

// resume continues a stopped run and checks that it ends as day says and
// leaves a clean repository.
func (w *killWorld) resume(p *proc, dir string, day killDay) {
	w.t.Helper()
	if err := syscall.Kill(p.cmd.Process.Pid, syscall.SIGCONT); err != nil {
		w.t.Fatal(err)
	}
	go func() {
		for range p.steps {
		}
	}()
	if code := p.wait(); code != day.wantExit {
		w.t.Fatalf("the run exited %d after it was resumed, want %d:\n%s", code, day.wantExit, p.output())
	}
	w.checkClean(dir, day.date, "after the resumed run")
}

// TestKillLateCommit stops a run after it merged the report branch and
// before it deletes it, commits a decision on the branch meanwhile, and
// checks that the branch, with that commit, is kept for the next run,
// which merges it.
func TestKillLateCommit(t *testing.T) {
	w := newKillWorld(t)
	day := killDays(w)[0]
	dir := filepath.Join(w.root, "repo")
	w.newRepo(dir)
	ref := "refs/heads/cvetrail/daily-report"
	p := w.stopAt(dir, day, "cleanup", func() bool {
		_, err := w.gitErr(dir, day.date, "rev-parse", "--verify", "--quiet", ref)
		return err == nil
	})
	tip := w.git(dir, day.date, "rev-parse", ref)
	if main := w.git(dir, day.date, "rev-parse", "main"); main != tip {
		t.Fatalf("stopped at cleanup, main is %s, the report branch %s; want them merged", main, tip)
	}
	late := w.git(dir, day.date, "commit-tree", "-p", tip, "-m", "a decision made during the merge", tip+"^{tree}")
	w.git(dir, day.date, "update-ref", ref, late, tip)
	w.resume(p, dir, day)
	if got, err := w.gitErr(dir, day.date, "rev-parse", "--verify", "--quiet", ref); err != nil || got != late {
		t.Fatalf("the report branch is %q (%v) after the run, want the late commit %s kept:\n%s", got, err, late, p.output())
	}
	if !strings.Contains(p.output(), "kept cvetrail/daily-report") {
		t.Errorf("the run does not say it kept the branch:\n%s", p.output())
	}
	code, out := w.cvetrail(dir, w.env(day.date), "run")
	if code != 0 {
		t.Fatalf("the next run exited %d:\n%s", code, out)
	}
	if got := w.git(dir, day.date, "rev-parse", "main"); got != late {
		t.Errorf("main is %s after the next run, want the late commit %s merged:\n%s", got, late, out)
	}
	w.checkClean(dir, day.date, "after the next run")
}

// TestKillLeftovers gives a run what a run killed in the middle of a
// merge into the checked-out main leaves: main moved, its working tree
// and index only partly updated, the merge journal, temporary files of
// atomic writes in several directories and a private index. The next run
// completes the merge and removes them all.
func TestKillLeftovers(t *testing.T) {
	w := newKillWorld(t)
	day := killDays(w)[0]
	base := filepath.Join(w.root, "base")
	w.newRepo(base)
	if code, out := w.cvetrail(base, w.env(day.date), day.args...); code != 0 {
		t.Fatalf("day 1: exit %d\n%s", code, out)
	}
	old := w.git(base, day.date, "rev-parse", "HEAD")
	w.write(filepath.Join(base, "README.md"), "# images\n\nScanned daily.\n", 0o644)
	w.write(filepath.Join(base, "docs", "triage.md"), "How we triage.\n", 0o644)
	w.git(base, day.date, "add", "README.md", "docs/triage.md")
	w.git(base, day.date, "commit", "-q", "-m", "document the triage")
	merged := w.git(base, day.date, "rev-parse", "HEAD")
	// Back to the working tree and index of old, with main at merged.
	w.git(base, day.date, "read-tree", old)
	w.write(filepath.Join(base, "README.md"), "# images\n", 0o644)
	if err := os.Remove(filepath.Join(base, "docs", "triage.md")); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"docs/.cvetrail-1.tmp", "cvetrail/.cvetrail-2.tmp", ".cvetrail-3.tmp", ".git/.cvetrail-4.tmp", ".git/cvetrail-commit-5/index"} {
		w.write(filepath.Join(base, f), "partial", 0o644)
	}
	w.write(filepath.Join(base, ".git", "cvetrail-merge.json"), fmt.Sprintf(`{"base":"main","old":%q,"new":%q}`, old, merged), 0o644)

	t.Run("the merge is completed", func(t *testing.T) {
		w := &killWorld{t: t, bin: w.bin, root: w.root, scanner: w.scanner}
		dir := filepath.Join(w.root, "completed")
		w.copyTree(base, dir)
		code, out := w.cvetrail(dir, w.env(day.date), day.args...)
		if code != 0 {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		for _, want := range []string{"completing the merge into main that an earlier run left halfway", "no change in any ledger since main"} {
			if !strings.Contains(out, want) {
				t.Errorf("the run does not say %q:\n%s", want, out)
			}
		}
		if got := w.git(dir, day.date, "rev-parse", "main"); got != merged {
			t.Errorf("main is %s, want %s", got, merged)
		}
		w.checkClean(dir, day.date, "after the run")
		for f, want := range map[string]string{"README.md": "# images\n\nScanned daily.\n", "docs/triage.md": "How we triage.\n"} {
			if b, err := os.ReadFile(filepath.Join(dir, f)); err != nil || string(b) != want {
				t.Errorf("%s holds %q (%v), want %q", f, b, err, want)
			}
		}
	})
	t.Run("main is no longer checked out", func(t *testing.T) {
		w := &killWorld{t: t, bin: w.bin, root: w.root, scanner: w.scanner}
		dir := filepath.Join(w.root, "switched")
		w.copyTree(base, dir)
		w.git(dir, day.date, "checkout", "-q", "-b", "elsewhere")
		code, out := w.cvetrail(dir, w.env(day.date), day.args...)
		if code != ExitUsage || !strings.Contains(out, "main is no longer checked out here") || !strings.Contains(out, "uncommitted changes") {
			t.Errorf("exit %d, want %d: a warning about the merge and a refusal of the dirty tree:\n%s", code, ExitUsage, out)
		}
		if b, err := os.ReadFile(filepath.Join(dir, "README.md")); err != nil || string(b) != "# images\n" {
			t.Errorf("README.md of the branch elsewhere was rewritten: %q, %v", b, err)
		}
		if _, err := os.Stat(filepath.Join(dir, ".git", "cvetrail-merge.json")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("the merge journal is still there: %v", err)
		}
	})
}
