package cli

// End-to-end tests of `cvetrail run` on a forge: cli.Main in-process
// against the stateful fakes of GitHub and GitLab, the report branch
// pushed over HTTP (git http-backend) into a real bare repository that an
// authenticating git server guards and the fake reads its branches from.
// Every day of a scenario works in a fresh clone, as a CI job does.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/cvetrail/cvetrail/internal/config"
	"github.com/cvetrail/cvetrail/internal/forge"
	"github.com/cvetrail/cvetrail/internal/forge/github"
	"github.com/cvetrail/cvetrail/internal/forge/github/fakegithub"
	"github.com/cvetrail/cvetrail/internal/forge/gitlab/fakegitlab"
	"github.com/cvetrail/cvetrail/internal/gitrepo"
	"github.com/cvetrail/cvetrail/internal/ledger"
)

const (
	testImage   = "registry.example/app:1"
	reportHead  = "cvetrail/daily-report"
	reviewLabel = "new CVE"
)

// fvuln is one vulnerability of a hand-written Trivy report.
type fvuln struct {
	id, pkg, severity, title, fixed string
}

var (
	oldLow  = fvuln{"CVE-2025-0100", "zlib1g", "LOW", "zlib: an old, known issue", ""}
	newHigh = fvuln{"CVE-2026-0001", "openssl", "HIGH", "openssl: a new denial of service", "3.0.13-1"}
	newLow  = fvuln{"CVE-2026-0002", "libc6", "LOW", "glibc: a minor issue", ""}
)

// forgeTrivyReport writes a Trivy SchemaVersion 2 report of testImage.
func forgeTrivyReport(vulns ...fvuln) []byte {
	type tv struct {
		VulnerabilityID  string
		PkgName          string
		InstalledVersion string
		FixedVersion     string `json:",omitempty"`
		Status           string
		Severity         string
		Title            string
		PrimaryURL       string
	}
	list := []tv{}
	for _, v := range vulns {
		status := "affected"
		if v.fixed != "" {
			status = "fixed"
		}
		list = append(list, tv{v.id, v.pkg, "1.0-1", v.fixed, status, v.severity, v.title,
			"https://avd.aquasec.com/nvd/" + strings.ToLower(v.id)})
	}
	doc := map[string]any{
		"SchemaVersion": 2,
		"CreatedAt":     "2026-03-01T05:00:00Z",
		"ArtifactName":  testImage,
		"ArtifactType":  "container_image",
		"Trivy":         map[string]any{"Version": "0.74.0"},
		"Metadata":      map[string]any{"OS": map[string]any{"Family": "debian", "Name": "12.5"}},
		"Results": []any{map[string]any{
			"Target": testImage + " (debian 12.5)", "Class": "os-pkgs", "Type": "debian",
			"Vulnerabilities": list,
		}},
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		panic(err)
	}
	return b
}

// realGitPath is the git binary, found before the argv-recording wrapper goes
// first on PATH.
var realGitPath = func() string {
	p, err := exec.LookPath("git")
	if err != nil {
		return ""
	}
	return p
}()

func needRealGit(t *testing.T) {
	t.Helper()
	if realGitPath == "" {
		t.Skip("git not installed")
	}
}

// gitIdentity is the environment of every git command of a test: a private
// HOME, no system configuration, fixed names and dates.
func gitIdentity(home string) []string {
	return []string{
		"HOME=" + home, "XDG_CONFIG_HOME=" + home, "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=Ada Reviewer", "GIT_AUTHOR_EMAIL=ada@example.com", "GIT_AUTHOR_DATE=2026-03-01T06:00:00Z",
		"GIT_COMMITTER_NAME=Ada Reviewer", "GIT_COMMITTER_EMAIL=ada@example.com", "GIT_COMMITTER_DATE=2026-03-01T06:00:00Z",
	}
}

// gitOK runs the real git in dir and returns its trimmed output.
func gitOK(t testing.TB, env []string, dir string, args ...string) string {
	t.Helper()
	out, err := gitRun(env, dir, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func gitRun(env []string, dir string, args ...string) (string, error) {
	cmd := exec.Command(realGitPath, append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("git %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return strings.TrimSpace(out.String()), nil
}

// recordArgv puts a git wrapper first on PATH that appends every command
// line cvetrail runs to the returned file.
func recordArgv(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	log := filepath.Join(dir, "argv.log")
	script := fmt.Sprintf("#!/bin/sh\nprintf '%%s\\n' \"$*\" >> '%s'\nexec '%s' \"$@\"\n", log, realGitPath)
	if err := os.WriteFile(filepath.Join(dir, "git"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return log
}

// gitServer serves the bare repositories below a directory over smart
// HTTP (git http-backend) and answers 401 to any request that does not
// carry exactly one Basic authorization with the expected credentials.
type gitServer struct {
	*httptest.Server
	mu      sync.Mutex
	refused int
	pushes  int
}

func newGitServer(t *testing.T, root, home, user, token string) *gitServer {
	t.Helper()
	execPath := gitOK(t, nil, root, "--exec-path")
	if _, err := os.Stat(filepath.Join(execPath, "git-http-backend")); err != nil {
		t.Skipf("git http-backend is not installed: %v", err)
	}
	backend := &cgi.Handler{
		Path: filepath.Join(execPath, "git-http-backend"),
		Root: "/",
		Env:  append(gitIdentity(home), "GIT_PROJECT_ROOT="+root, "GIT_HTTP_EXPORT_ALL=1", "REMOTE_USER="+user),
	}
	want := base64.StdEncoding.EncodeToString([]byte(user + ":" + token))
	g := &gitServer{}
	g.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Values("Authorization")
		ok := len(auth) == 1
		if ok {
			scheme, cred, _ := strings.Cut(auth[0], " ")
			ok = strings.EqualFold(scheme, "basic") && cred == want
		}
		g.mu.Lock()
		if !ok {
			g.refused++
		} else if strings.HasSuffix(r.URL.Path, "/git-receive-pack") {
			g.pushes++
		}
		g.mu.Unlock()
		if !ok {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		backend.ServeHTTP(w, r)
	}))
	t.Cleanup(g.Close)
	return g
}

func (g *gitServer) counts() (pushes, refused int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.pushes, g.refused
}

// forgeWorld is a repository on a forge: a bare repository served over HTTP,
// the forge's fake, and the environment a CI job would have.
type forgeWorld struct {
	t      *testing.T
	dir    string
	home   string
	bare   string
	origin string
	git    *gitServer
	env    map[string]string
	client *http.Client
	argv   string
	// staleHeader, when set, is persisted into every clone's .git/config
	// the way actions/checkout persists its credentials.
	staleHeader string
	now         time.Time

	mu      sync.Mutex
	runs    int
	sleeps  []time.Duration
	outputs []string // every stdout and stderr, for the token check
	clones  []string
}

// runResult is what one cvetrail command gave.
type runResult struct {
	code           int
	stdout, stderr string
	dir            string
}

// newForgeWorld makes the bare repository acme/images with cvetrail.yaml
// (cfg) and the ledger of testImage holding base, on main.
func newForgeWorld(t *testing.T, user, token, cfg string, base ...fvuln) *forgeWorld {
	t.Helper()
	needRealGit(t)
	w := &forgeWorld{t: t, dir: t.TempDir(), env: map[string]string{}, now: time.Date(2026, 3, 1, 6, 0, 0, 0, time.UTC)}
	w.argv = recordArgv(t)
	w.home = filepath.Join(w.dir, "home")
	root := filepath.Join(w.dir, "remotes")
	w.bare = filepath.Join(root, "acme", "images.git")
	for _, d := range []string{w.home, filepath.Dir(w.bare)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	gitOK(t, gitIdentity(w.home), w.dir, "init", "-q", "--bare", "-b", "main", w.bare)
	w.git = newGitServer(t, root, w.home, user, token)
	w.origin = w.git.URL + "/acme/images.git"

	seed := filepath.Join(w.dir, "seed")
	gitOK(t, gitIdentity(w.home), w.dir, "init", "-q", "-b", "main", seed)
	writeTestFile(t, filepath.Join(seed, ledger.ConfigFile), cfg)
	if len(base) > 0 {
		in := w.reports(base...)
		res := w.main(seed, "scan", "--from", filepath.Join(in, "app.json"))
		if res.code != 0 {
			t.Fatalf("seeding the ledger: exit %d\n%s", res.code, res.stderr)
		}
	}
	gitOK(t, gitIdentity(w.home), seed, "add", "-A")
	gitOK(t, gitIdentity(w.home), seed, "commit", "-q", "-m", "Adopt cvetrail")
	gitOK(t, gitIdentity(w.home), seed, "push", "-q", w.bare, "main")
	return w
}

func writeTestFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// reports writes a directory holding one Trivy report of testImage.
func (w *forgeWorld) reports(vulns ...fvuln) string {
	dir, err := os.MkdirTemp(w.dir, "reports-")
	if err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "app.json"), forgeTrivyReport(vulns...), 0o644); err != nil {
		w.t.Fatal(err)
	}
	return dir
}

// clone checks the repository out the way a CI job does: a fresh clone
// of main, origin on the HTTP server.
func (w *forgeWorld) clone() string {
	w.t.Helper()
	dir, err := os.MkdirTemp(w.dir, "work-")
	if err != nil {
		w.t.Fatal(err)
	}
	env := gitIdentity(w.home)
	gitOK(w.t, env, w.dir, "clone", "-q", "-b", "main", w.bare, dir)
	gitOK(w.t, env, dir, "remote", "set-url", "origin", w.origin)
	if w.staleHeader != "" {
		gitOK(w.t, env, dir, "config", "http."+w.git.URL+"/.extraheader", w.staleHeader)
	}
	w.mu.Lock()
	w.clones = append(w.clones, dir)
	w.mu.Unlock()
	return dir
}

// main runs cvetrail in dir.
func (w *forgeWorld) main(dir string, args ...string) runResult {
	w.t.Helper()
	var stdout, stderr bytes.Buffer
	// Every run commits at its own time, as CI jobs on different days
	// and reruns do: identical reports must be recognised as such, not
	// by luck of identical commit ids.
	w.mu.Lock()
	w.runs++
	stamp := w.now.Add(time.Duration(w.runs) * time.Minute).Format(time.RFC3339)
	w.mu.Unlock()
	gitEnv := append(gitIdentity(w.home), "GIT_AUTHOR_DATE="+stamp, "GIT_COMMITTER_DATE="+stamp)
	env := Env{
		Stdout: &stdout, Stderr: &stderr,
		Dir:        dir,
		Getenv:     func(k string) string { return w.env[k] },
		Environ:    func() []string { return gitEnv },
		Now:        func() time.Time { return w.now },
		HTTPClient: w.client,
		sleep: func(ctx context.Context, d time.Duration) error {
			w.mu.Lock()
			defer w.mu.Unlock()
			w.sleeps = append(w.sleeps, d)
			return ctx.Err()
		},
	}
	code := Main(context.Background(), args, env)
	w.mu.Lock()
	w.outputs = append(w.outputs, stdout.String(), stderr.String())
	w.mu.Unlock()
	return runResult{code: code, stdout: stdout.String(), stderr: stderr.String(), dir: dir}
}

// run is the daily job on day (1 = the day after the seed) ingesting a
// report of vulns, in a fresh clone.
func (w *forgeWorld) run(day int, vulns []fvuln, args ...string) runResult {
	w.t.Helper()
	w.now = time.Date(2026, 3, 1+day, 6, 0, 0, 0, time.UTC)
	in := w.reports(vulns...)
	return w.main(w.clone(), append([]string{"run", "--from-dir", in}, args...)...)
}

// wantExit fails the test unless res exited with code.
func (w *forgeWorld) wantExit(what string, res runResult, code int) {
	w.t.Helper()
	if res.code != code {
		w.t.Fatalf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", what, res.code, code, res.stdout, res.stderr)
	}
}

// onMain commits what change does to a clone of main and pushes it, as a
// person merging a pull request of their own would.
func (w *forgeWorld) onMain(msg string, change func(dir string)) {
	w.t.Helper()
	dir := w.clone()
	change(dir)
	env := gitIdentity(w.home)
	gitOK(w.t, env, dir, "add", "-A")
	if st := gitOK(w.t, env, dir, "status", "--porcelain"); st != "" {
		gitOK(w.t, env, dir, "commit", "-q", "-m", msg)
	}
	gitOK(w.t, env, dir, "push", "-q", w.bare, "main")
}

// ack records a decision for id on main with `cvetrail ack`.
func (w *forgeWorld) ack(id string) {
	w.t.Helper()
	w.onMain("Acknowledge "+id, func(dir string) {
		res := w.main(dir, "ack", id, "--status", "not_affected", "--justification", "vulnerable_code_not_in_execute_path",
			"--reason", "the service never parses untrusted certificates", "--force", "--severity", "HIGH", "--commit")
		w.wantExit("cvetrail ack", res, 0)
	})
}

// remoteBranch returns the tip of branch in the bare repository, "" when
// it has none.
func (w *forgeWorld) remoteBranch(branch string) string {
	out, err := gitRun(nil, w.bare, "rev-parse", "--verify", "-q", "refs/heads/"+branch)
	if err != nil {
		return ""
	}
	return out
}

// remoteLedger returns the ledger of testImage on rev in the bare repository.
func (w *forgeWorld) remoteLedger(rev string) string {
	p, err := ledger.Path(testImage)
	if err != nil {
		w.t.Fatal(err)
	}
	out, _ := gitRun(nil, w.bare, "show", rev+":"+p)
	return out
}

func (w *forgeWorld) pushes() int {
	n, _ := w.git.counts()
	return n
}

// noToken checks that the token, in any form it is sent in, is nowhere a
// user or another process could read it: cvetrail's output, the command
// lines of the git commands it ran, the configuration of every clone and
// of the remote, and extra (what the forge received).
func (w *forgeWorld) noToken(token string, extra ...string) {
	w.t.Helper()
	forms := []string{token}
	for _, user := range []string{"x-access-token", "oauth2", "gitlab-ci-token"} {
		forms = append(forms, base64.StdEncoding.EncodeToString([]byte(user+":"+token)))
	}
	check := func(where, s string) {
		for _, f := range forms {
			if strings.Contains(s, f) {
				w.t.Errorf("the token leaked into %s", where)
			}
		}
	}
	w.mu.Lock()
	outputs, clones := slices.Clone(w.outputs), slices.Clone(w.clones)
	w.mu.Unlock()
	for i, o := range outputs {
		check(fmt.Sprintf("output %d", i), o)
	}
	argv, err := os.ReadFile(w.argv)
	if err != nil {
		w.t.Fatalf("reading the recorded git command lines: %v", err)
	}
	if !strings.Contains(string(argv), "push") {
		w.t.Error("the argv log has no git push: the wrapper recorded nothing")
	}
	check("a git command line", string(argv))
	for _, dir := range append(clones, w.bare) {
		check("git config --list of "+dir, gitOK(w.t, gitIdentity(w.home), dir, "config", "--list", "--show-origin"))
		cfg, err := os.ReadFile(filepath.Join(gitDirOf(dir), "config"))
		if err != nil {
			w.t.Fatal(err)
		}
		check(".git/config of "+dir, string(cfg))
	}
	for i, e := range extra {
		check(fmt.Sprintf("forge data %d", i), e)
	}
	if _, refused := w.git.counts(); refused != 0 {
		w.t.Errorf("the git server refused %d unauthenticated requests", refused)
	}
}

func gitDirOf(dir string) string {
	if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
		return filepath.Join(dir, ".git")
	}
	return dir // bare
}

func (w *forgeWorld) takeSleeps() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.sleeps
	w.sleeps = nil
	return s
}

// --- GitHub ---

func githubConfig(mode string, extra string) string {
	return fmt.Sprintf(`schemaVersion: 1
forge: github
merge: {mode: %s, method: merge}
labels: {review: %s, extra: [security]}
%s`, mode, reviewLabel, extra)
}

// newGitHub is a forgeWorld on the fake GitHub, its branches those of the bare
// repository, with actions/checkout's persisted (stale) credentials in
// every clone.
func newGitHub(t *testing.T, mode, extra string) (*forgeWorld, *fakegithub.Server) {
	t.Helper()
	w := newForgeWorld(t, "x-access-token", fakegithub.Token, githubConfig(mode, extra), oldLow)
	fake := fakegithub.New(t, "acme", "images")
	fake.UseGitRepo(w.bare)
	w.client = fake.Client()
	w.env = map[string]string{
		"GITHUB_TOKEN":      fakegithub.Token,
		"GITHUB_REPOSITORY": "acme/images",
		"GITHUB_API_URL":    fake.APIURL(),
		"GITHUB_SERVER_URL": w.git.URL + "/",
	}
	w.staleHeader = "AUTHORIZATION: basic " + base64.StdEncoding.EncodeToString([]byte("x-access-token:ghs_staleTokenOfTheCheckout"))
	return w, fake
}

func onlyPR(t *testing.T, fake *fakegithub.Server) fakegithub.PR {
	t.Helper()
	prs := fake.PRs()
	if len(prs) != 1 {
		t.Fatalf("the fake has %d pull requests, want 1: %+v", len(prs), prs)
	}
	return prs[0]
}

func hasLabel(labels []string, name string) bool {
	return slices.ContainsFunc(labels, func(l string) bool { return strings.EqualFold(l, name) })
}

func githubData(fake *fakegithub.Server) []string {
	var out []string
	for _, pr := range fake.PRs() {
		out = append(out, pr.Title, pr.Body, strings.Join(pr.Comments, "\n"), strings.Join(pr.Labels, "\n"))
	}
	for _, l := range fake.Labels() {
		out = append(out, l.Name, l.Description)
	}
	return out
}

// TestForgeGitHubLifecycle: day 1 a new CVE opens the pull request with
// the review label (created with its colour), exit 1; a rerun writes
// nothing and pushes nothing; the CVE is acknowledged on main; day 2 the
// label goes and the pull request is merged (exit 0); day 3 the report
// equals main and the leftover branch is deleted; a rerun writes nothing.
// The token is never where it could be read.
func TestForgeGitHubLifecycle(t *testing.T) {
	w, fake := newGitHub(t, "api", "")

	day1 := w.run(1, []fvuln{oldLow, newHigh})
	w.wantExit("day 1", day1, ExitReview)
	pr := onlyPR(t, fake)
	tip := w.remoteBranch(reportHead)
	if pr.State != "open" || pr.Head != reportHead || pr.Base != "main" || pr.HeadSHA != tip || tip == "" {
		t.Fatalf("day 1: pull request %+v, remote branch at %q", pr, tip)
	}
	if !hasLabel(pr.Labels, reviewLabel) || !hasLabel(pr.Labels, "security") {
		t.Errorf("day 1: labels %q, want %q and security", pr.Labels, reviewLabel)
	}
	var created *fakegithub.Label
	for _, l := range fake.Labels() {
		if l.Name == reviewLabel {
			created = &l
		}
	}
	if created == nil || created.Color != reviewLabelColor || created.Description == "" {
		t.Errorf("day 1: repository label %+v, want %q created with colour %s and a description", created, reviewLabel, reviewLabelColor)
	}
	if !strings.Contains(w.remoteLedger(reportHead), newHigh.id) {
		t.Errorf("day 1: the pushed ledger lacks %s", newHigh.id)
	}
	for _, want := range []string{newHigh.id, "cvetrail ack", "openssl"} {
		if !strings.Contains(pr.Body, want) {
			t.Errorf("day 1: body lacks %q:\n%s", want, pr.Body)
		}
	}
	if !strings.Contains(pr.Title, "needs review") {
		t.Errorf("day 1: title %q", pr.Title)
	}
	if want := fmt.Sprintf("/acme/images/pull/%d", pr.Number); !strings.Contains(day1.stdout, "opened pull request ") || !strings.Contains(day1.stdout, want) {
		t.Errorf("day 1: stdout %q, want the URL of the new pull request (%s)", day1.stdout, want)
	}
	if !strings.Contains(day1.stdout, "awaiting review") {
		t.Errorf("day 1: stdout %q does not say the pull request awaits review", day1.stdout)
	}

	// The same input again, in a fresh checkout: no API write, no push.
	writes, writeCalls, pushes := fake.Writes(), fake.WriteCalls(), w.pushes()
	rerun := w.run(1, []fvuln{oldLow, newHigh})
	w.wantExit("day 1 rerun", rerun, ExitReview)
	if fake.Writes() != writes || fake.WriteCalls() != writeCalls {
		t.Errorf("rerun: %d writes in %d write calls, want none", fake.Writes()-writes, fake.WriteCalls()-writeCalls)
	}
	if w.pushes() != pushes || w.remoteBranch(reportHead) != tip {
		t.Errorf("rerun pushed: %d pushes, branch %s → %s", w.pushes()-pushes, tip, w.remoteBranch(reportHead))
	}
	if !strings.Contains(rerun.stdout, "unchanged pull request") {
		t.Errorf("rerun: stdout %q", rerun.stdout)
	}

	// A person acknowledges the CVE on main; the next day is clean.
	w.ack(newHigh.id)
	day2 := w.run(2, []fvuln{oldLow, newHigh})
	w.wantExit("day 2", day2, ExitOK)
	pr = onlyPR(t, fake)
	if !pr.Merged || pr.State != "closed" {
		t.Fatalf("day 2: pull request %+v, want merged", pr)
	}
	if hasLabel(pr.Labels, reviewLabel) || !hasLabel(pr.Labels, "security") {
		t.Errorf("day 2: labels %q, want security without %q", pr.Labels, reviewLabel)
	}
	if !strings.Contains(w.remoteLedger("main"), newHigh.id) {
		t.Error("day 2: main on the remote lacks the merged report")
	}
	if !strings.Contains(day2.stdout, "(merged)") {
		t.Errorf("day 2: stdout %q", day2.stdout)
	}

	// Day 3: the ledgers equal main; the merged branch goes.
	day3 := w.run(3, []fvuln{oldLow, newHigh})
	w.wantExit("day 3", day3, ExitOK)
	if b := w.remoteBranch(reportHead); b != "" {
		t.Errorf("day 3: the report branch is still on the remote at %s", b)
	}
	if !strings.Contains(day3.stdout, "no change") {
		t.Errorf("day 3: stdout %q", day3.stdout)
	}
	writes, writeCalls = fake.Writes(), fake.WriteCalls()
	w.wantExit("day 3 rerun", w.run(3, []fvuln{oldLow, newHigh}), ExitOK)
	if fake.Writes() != writes || fake.WriteCalls() != writeCalls {
		t.Errorf("day 3 rerun: %d writes, want none", fake.WriteCalls()-writeCalls)
	}
	if n := len(fake.PRs()); n != 1 {
		t.Errorf("%d pull requests, want 1", n)
	}
	w.noToken(fakegithub.Token, githubData(fake)...)
}

// TestForgeGitHubClosedWhenEqual: the new CVE is gone the next day, so the
// report equals main: the pull request is closed with a comment and the
// branch deleted.
func TestForgeGitHubClosedWhenEqual(t *testing.T) {
	w, fake := newGitHub(t, "api", "")
	w.wantExit("day 1", w.run(1, []fvuln{oldLow, newHigh}), ExitReview)
	day2 := w.run(2, []fvuln{oldLow})
	w.wantExit("day 2", day2, ExitOK)
	pr := onlyPR(t, fake)
	if pr.State != "closed" || pr.Merged || pr.ClosedBy != "api" {
		t.Fatalf("day 2: pull request %+v, want closed through the API", pr)
	}
	if len(pr.Comments) != 1 || !strings.Contains(pr.Comments[0], "nothing to report") {
		t.Errorf("day 2: comments %q", pr.Comments)
	}
	if b := w.remoteBranch(reportHead); b != "" {
		t.Errorf("day 2: the report branch is still on the remote at %s", b)
	}
	if !strings.Contains(day2.stdout, "closed the pull request") {
		t.Errorf("day 2: stdout %q", day2.stdout)
	}
	writes := fake.WriteCalls()
	w.wantExit("day 2 rerun", w.run(2, []fvuln{oldLow}), ExitOK)
	if fake.WriteCalls() != writes {
		t.Errorf("rerun: %d write calls, want none", fake.WriteCalls()-writes)
	}
}

// TestForgeLocalReportBranch: on a machine that keeps its clone, a
// decision committed on the local report branch ahead of the forge's is
// built on and pushed as a fast-forward; a local branch with such commits
// that the forge's has moved away from stops the run (exit 2) instead of
// overwriting either.
func TestForgeLocalReportBranch(t *testing.T) {
	w, fake := newGitHub(t, "api", "")
	env := gitIdentity(w.home)
	dir := w.clone()
	daily := func(day int, vulns ...fvuln) runResult {
		w.now = time.Date(2026, 3, 1+day, 6, 0, 0, 0, time.UTC)
		return w.main(dir, "run", "--from-dir", w.reports(vulns...))
	}
	w.wantExit("day 1", daily(1, oldLow, newHigh), ExitReview)
	first := w.remoteBranch(reportHead)

	// A person acknowledges the CVE on the report branch, locally.
	gitOK(t, env, dir, "switch", "-q", reportHead)
	w.wantExit("ack", w.main(dir, "ack", newHigh.id, "--status", "accepted", "--reason", "fixed in the next release", "--expires", "30d"), ExitOK)
	gitOK(t, env, dir, "add", "-A")
	gitOK(t, env, dir, "commit", "-q", "-m", "Accept "+newHigh.id)
	human := gitOK(t, env, dir, "rev-parse", "HEAD")
	gitOK(t, env, dir, "switch", "-q", "main")

	w.wantExit("day 2", daily(2, oldLow, newHigh), ExitOK)
	if pr := onlyPR(t, fake); !pr.Merged {
		t.Fatalf("day 2: %+v, want merged", pr)
	}
	if _, err := gitRun(nil, w.bare, "merge-base", "--is-ancestor", first, human); err != nil {
		t.Fatal(err)
	}
	if _, err := gitRun(nil, w.bare, "merge-base", "--is-ancestor", human, "main"); err != nil {
		t.Errorf("the decision committed on the branch did not reach main: %v", err)
	}

	// Diverged: the forge's branch moved on, the local one has a commit
	// of a person.
	w.wantExit("day 3 elsewhere", w.run(3, []fvuln{oldLow, newHigh, newLow}), ExitReview)
	gitOK(t, env, dir, "branch", "-f", reportHead, human)
	gitOK(t, env, dir, "switch", "-q", reportHead)
	writeTestFile(t, filepath.Join(dir, "NOTES"), "a note\n")
	gitOK(t, env, dir, "add", "NOTES")
	gitOK(t, env, dir, "commit", "-q", "-m", "A note on the branch")
	gitOK(t, env, dir, "switch", "-q", "main")
	remote := w.remoteBranch(reportHead)
	res := daily(3, oldLow, newHigh, newLow)
	if res.code != ExitUsage || !strings.Contains(res.stderr, "differs here and on origin") {
		t.Errorf("diverged: exit %d, %s", res.code, res.stderr)
	}
	if w.remoteBranch(reportHead) != remote {
		t.Error("the diverged run pushed")
	}
}

// TestForgeConfigFromEnvironment: CVETRAIL_CONFIG (the action's config
// input) names the configuration file; a missing one is a usage error
// naming it.
func TestForgeConfigFromEnvironment(t *testing.T) {
	w, fake := newGitHub(t, "api", "")
	w.onMain("Move the configuration", func(dir string) {
		gitOK(t, gitIdentity(w.home), dir, "mv", ledger.ConfigFile, "ci.cvetrail.yaml")
	})
	res := w.run(1, []fvuln{oldLow, newHigh})
	if res.code != ExitUsage || !strings.Contains(res.stderr, ledger.ConfigFile+": no configuration") {
		t.Fatalf("without the file: exit %d, %s", res.code, res.stderr)
	}
	w.env["CVETRAIL_CONFIG"] = "ci.cvetrail.yaml"
	w.wantExit("with CVETRAIL_CONFIG", w.run(1, []fvuln{oldLow, newHigh}), ExitReview)
	if pr := onlyPR(t, fake); !hasLabel(pr.Labels, "security") {
		t.Errorf("the labels of ci.cvetrail.yaml were not used: %+v", pr.Labels)
	}
	res = w.run(1, []fvuln{oldLow, newHigh}, "--config", "nowhere.yaml")
	if res.code != ExitUsage || !strings.Contains(res.stderr, "nowhere.yaml: no configuration") {
		t.Errorf("--config beats CVETRAIL_CONFIG: exit %d, %s", res.code, res.stderr)
	}
}

// TestForgeGitHubMergeAuto: with merge mode auto and required checks
// pending, a clean report enables auto-merge; when it comes to need
// review auto-merge is disabled and the label added; clean again, it is
// enabled again, and GitHub merges once the checks pass.
func TestForgeGitHubMergeAuto(t *testing.T) {
	w, fake := newGitHub(t, "auto", "policy: {minSeverity: HIGH}\n")
	fake.SetChecksPending(true)

	day1 := w.run(1, []fvuln{oldLow, newLow})
	w.wantExit("day 1", day1, ExitOK)
	if pr := onlyPR(t, fake); pr.AutoMerge == "" || pr.Merged || hasLabel(pr.Labels, reviewLabel) {
		t.Fatalf("day 1: pull request %+v, want auto-merge enabled, no review label", pr)
	}
	if !strings.Contains(day1.stdout, "auto-merge enabled") {
		t.Errorf("day 1: stdout %q", day1.stdout)
	}

	w.wantExit("day 2", w.run(2, []fvuln{oldLow, newLow, newHigh}), ExitReview)
	if pr := onlyPR(t, fake); pr.AutoMerge != "" || pr.Merged || !hasLabel(pr.Labels, reviewLabel) {
		t.Fatalf("day 2: pull request %+v, want auto-merge off and the review label", pr)
	}

	w.wantExit("day 3", w.run(3, []fvuln{oldLow, newLow}), ExitOK)
	pr := onlyPR(t, fake)
	if pr.AutoMerge == "" || hasLabel(pr.Labels, reviewLabel) {
		t.Fatalf("day 3: pull request %+v, want auto-merge on again", pr)
	}
	fake.CompleteChecks()
	if pr = onlyPR(t, fake); !pr.Merged || !strings.Contains(w.remoteLedger("main"), newLow.id) {
		t.Fatalf("after the checks: %+v, main:\n%s", pr, w.remoteLedger("main"))
	}
}

// TestForgeGitHubMergeNoneAndMergify: with merge mode none the pull
// request is never merged by cvetrail; the rule `cvetrail init --mergify`
// writes matches it exactly when it is clean. --merge api overrides the
// file.
func TestForgeGitHubMergeNoneAndMergify(t *testing.T) {
	w, fake := newGitHub(t, "none", "")
	dir := w.clone()
	w.wantExit("init --mergify", w.main(dir, "init", "--mergify", "--force"), ExitOK)
	rule := parseMergify(t, filepath.Join(dir, ".mergify.yml"))

	w.wantExit("day 1", w.run(1, []fvuln{oldLow, newHigh}), ExitReview)
	if pr := onlyPR(t, fake); rule.matches(t, pr) {
		t.Errorf("day 1: the Mergify rule matches a pull request that needs review: %+v", pr)
	}
	w.ack(newHigh.id)
	day2 := w.run(2, []fvuln{oldLow, newHigh})
	w.wantExit("day 2", day2, ExitOK)
	pr := onlyPR(t, fake)
	if pr.Merged || pr.State != "open" || pr.AutoMerge != "" {
		t.Fatalf("day 2: merge mode none merged: %+v", pr)
	}
	if !rule.matches(t, pr) {
		t.Errorf("day 2: the Mergify rule %v does not match the clean pull request %+v", rule.conditions, pr)
	}
	if !strings.Contains(day2.stdout, "(open)") {
		t.Errorf("day 2: stdout %q", day2.stdout)
	}
	w.wantExit("day 2 --merge api", w.run(2, []fvuln{oldLow, newHigh}, "--merge", "api"), ExitOK)
	if pr := onlyPR(t, fake); !pr.Merged {
		t.Errorf("--merge api did not merge: %+v", pr)
	}
}

type mergifyConds struct{ conditions []string }

func parseMergify(t *testing.T, path string) mergifyConds {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Rules []struct {
			Name       string         `yaml:"name"`
			Conditions []string       `yaml:"conditions"`
			Actions    map[string]any `yaml:"actions"`
		} `yaml:"pull_request_rules"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(doc.Rules) != 1 || doc.Rules[0].Actions["merge"] == nil {
		t.Fatalf("%s: want one rule with a merge action, got %+v", path, doc.Rules)
	}
	return mergifyConds{conditions: doc.Rules[0].Conditions}
}

// matches evaluates the rule's head= and label!= conditions on pr, as
// Mergify would.
func (m mergifyConds) matches(t *testing.T, pr fakegithub.PR) bool {
	t.Helper()
	for _, c := range m.conditions {
		if attr, val, ok := strings.Cut(c, "!="); ok {
			if attr != "label" {
				t.Fatalf("unexpected condition %q", c)
			}
			if hasLabel(pr.Labels, val) {
				return false
			}
			continue
		}
		attr, val, ok := strings.Cut(c, "=")
		if !ok || attr != "head" {
			t.Fatalf("unexpected condition %q", c)
		}
		if pr.Head != val {
			return false
		}
	}
	return len(m.conditions) > 0
}

// TestForgeGitHubFaultStorm: under storms of 5xx answers (some after the
// write took effect), 429s and secondary rate limits, reruns converge:
// one pull request, the right labels, merged once clean.
func TestForgeGitHubFaultStorm(t *testing.T) {
	for _, seed := range []uint64{3, 11} {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			w, fake := newGitHub(t, "api", "")
			converge := func(day int, vulns []fvuln, want int) {
				t.Helper()
				fake.Storm(seed+uint64(day), 0.3)
				var last runResult
				for i := 0; i < 10; i++ {
					if last = w.run(day, vulns); last.code != ExitExternal {
						break
					}
				}
				fake.Storm(0, 0)
				w.wantExit(fmt.Sprintf("day %d under the storm", day), last, want)
			}
			converge(1, []fvuln{oldLow, newHigh}, ExitReview)
			pr := onlyPR(t, fake)
			if pr.State != "open" || !hasLabel(pr.Labels, reviewLabel) || !hasLabel(pr.Labels, "security") || pr.HeadSHA != w.remoteBranch(reportHead) {
				t.Fatalf("day 1: %+v", pr)
			}
			if len(w.takeSleeps()) == 0 {
				t.Error("the storm caused no retry")
			}
			writes := fake.WriteCalls()
			w.wantExit("calm rerun", w.run(1, []fvuln{oldLow, newHigh}), ExitReview)
			if fake.WriteCalls() != writes {
				t.Errorf("calm rerun: %d write calls, want none", fake.WriteCalls()-writes)
			}

			w.ack(newHigh.id)
			converge(2, []fvuln{oldLow, newHigh}, ExitOK)
			pr = onlyPR(t, fake)
			if !pr.Merged || hasLabel(pr.Labels, reviewLabel) {
				t.Fatalf("day 2: %+v", pr)
			}
			w.noToken(fakegithub.Token, githubData(fake)...)
		})
	}
}

// TestForgeGitHubBodyTruncation: 5,000 new findings still give a body
// within GitHub's 65,536 characters, saying rows were left out and
// linking the committed ledgers.
func TestForgeGitHubBodyTruncation(t *testing.T) {
	w, fake := newGitHub(t, "api", "")
	vulns := []fvuln{oldLow}
	for i := range 5000 {
		vulns = append(vulns, fvuln{fmt.Sprintf("CVE-2026-%05d", 10000+i), fmt.Sprintf("pkg-%04d", i), "HIGH",
			strings.Repeat("a long advisory title ", 8), "2.0-1"})
	}
	w.wantExit("day 1", w.run(1, vulns), ExitReview)
	pr := onlyPR(t, fake)
	if n := utf8.RuneCountInString(pr.Body); n > github.MaxBodyChars || n < github.MaxBodyChars/2 {
		t.Fatalf("body has %d characters, want at most %d (and not almost empty)", n, github.MaxBodyChars)
	}
	link := w.git.URL + "/acme/images/tree/" + w.remoteBranch(reportHead) + "/cvetrail"
	if !strings.Contains(pr.Body, "left out") || !strings.Contains(pr.Body, "]("+link+")") {
		t.Errorf("the shortened body lacks the note or the link %s; its end:\n%s", link, pr.Body[max(0, len(pr.Body)-800):])
	}
}

// TestForgeGitHubHostileTitles: advisory titles that try to break the
// table, inject HTML, ping people and link issues arrive inert in the
// body GitHub received.
func TestForgeGitHubHostileTitles(t *testing.T) {
	w, fake := newGitHub(t, "api", "")
	w.wantExit("day 1", w.run(1, []fvuln{oldLow,
		{"CVE-2026-0101", "openssl", "CRITICAL", "<script>alert(1)</script> breaks | the | table", "3.1"},
		{"CVE-2026-0102", "curl", "HIGH", "ping @octocat and @acme/security about #123 and GH-456", "8.0"},
		{"CVE-2026-0103", "bash", "HIGH", "</details><img src=x onerror=alert(1)> [x](javascript:alert(1))", ""},
	}), ExitReview)
	body := onlyPR(t, fake).Body
	prose := stripCode(body)
	for _, bad := range []*regexp.Regexp{
		regexp.MustCompile(`(?i)<script|<img|</details><img|onerror=alert\(1\)>`),
		regexp.MustCompile(`@[A-Za-z0-9]`),
		regexp.MustCompile(`(#|(?i)gh-)[0-9]`),
		regexp.MustCompile(`\]\(javascript:`),
	} {
		if m := bad.FindString(prose); m != "" {
			t.Errorf("the body holds %q live:\n%s", m, body)
		}
	}
	// Every row of a table has as many cell separators as its header.
	var want int
	for _, line := range strings.Split(prose, "\n") {
		if !strings.HasPrefix(line, "|") {
			want = 0
			continue
		}
		n := len(regexp.MustCompile(`(^|[^\\])\|`).FindAllString(line, -1))
		if want == 0 {
			want = n
		} else if n != want {
			t.Errorf("a table row has %d cells separators, its header %d: %q", n, want, line)
		}
	}
	for _, id := range []string{"CVE-2026-0101", "CVE-2026-0102", "CVE-2026-0103"} {
		if !strings.Contains(body, id) {
			t.Errorf("the body lacks %s", id)
		}
	}
}

// stripCode drops fenced code blocks and inline code spans, where
// Markdown renders nothing live.
func stripCode(s string) string {
	var out []string
	in := false
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			in = !in
			continue
		}
		if !in {
			out = append(out, regexp.MustCompile("`+[^`]*`+").ReplaceAllString(line, ""))
		}
	}
	return strings.Join(out, "\n")
}

// TestForgeGitHubFailures: a token lacking a permission and a bad token
// end the run with exit 3 and a hint naming what to change; 5xx answers
// until the retries give up end it with exit 3 and a clear message. The
// token is never printed.
func TestForgeGitHubFailures(t *testing.T) {
	tests := []struct {
		name  string
		fault fakegithub.Fault
		want  []string
	}{
		{"missing pull-requests permission", fakegithub.Forbidden("POST", "pulls", "pull_requests=write"),
			[]string{"cvetrail: error: github: creating pull request: HTTP 403", "cvetrail: hint:", "`pull-requests: write`"}},
		{"bad token", fakegithub.BadCredentials("GET", "pulls"),
			[]string{"HTTP 401", "cvetrail: hint: GitHub rejected the token"}},
		{"server errors", fakegithub.ServerErrors("GET", "pulls", 6),
			[]string{"cvetrail: error: github: listing pull requests: HTTP 502", "gave up after 6 attempts"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, fake := newGitHub(t, "api", "")
			fake.Fail(tt.fault)
			res := w.run(1, []fvuln{oldLow, newHigh})
			w.wantExit(tt.name, res, ExitExternal)
			for _, want := range tt.want {
				if !strings.Contains(res.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, res.stderr)
				}
			}
			if tt.fault.Status >= 500 && len(w.takeSleeps()) != 5 {
				t.Error("the server errors were not retried 5 times")
			}
			// The failure is transient for the next run: it converges.
			w.wantExit("rerun", w.run(1, []fvuln{oldLow, newHigh}), ExitReview)
			if pr := onlyPR(t, fake); !hasLabel(pr.Labels, reviewLabel) {
				t.Errorf("rerun: %+v", pr)
			}
			w.noToken(fakegithub.Token)
		})
	}
}

// TestForgePushEnvReachesGit: the credentials the forge gives reach git
// through GIT_CONFIG_* entries numbered after those already in the
// environment, which keep working; nothing lands in .git/config.
func TestForgePushEnvReachesGit(t *testing.T) {
	needRealGit(t)
	dir := t.TempDir()
	gitOK(t, gitIdentity(dir), dir, "init", "-q", "-b", "main")
	inherited := []string{"GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=core.quotepath", "GIT_CONFIG_VALUE_0=off"}
	envMap := map[string]string{"GIT_CONFIG_COUNT": "1"}
	c, err := github.New(github.Config{
		APIURL: "https://ghe.example/api/v3/", Token: fakegithub.Token, Owner: "acme", Repo: "images",
		Getenv: func(k string) string { return envMap[k] },
	})
	if err != nil {
		t.Fatal(err)
	}
	origin := "https://ghe.example/acme/images.git"
	r := &dailyRun{repo: &gitrepo.Repo{Dir: dir, Env: append(gitIdentity(dir), inherited...)}}
	p := r.pushRepo(&reportRemote{f: c, origin: origin})
	ctx := context.Background()
	out, err := p.Git(ctx, "config", "--get-all", "http.https://ghe.example/.extraheader")
	if err != nil {
		t.Fatal(err)
	}
	want := "AUTHORIZATION: basic " + base64.StdEncoding.EncodeToString([]byte("x-access-token:"+fakegithub.Token))
	if got := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n"); len(got) != 2 || got[0] != "" || got[1] != want {
		t.Errorf("git sees the extra headers %q, want a reset and the token's header", got)
	}
	if out, err := p.Git(ctx, "config", "--get", "core.quotepath"); err != nil || strings.TrimSpace(string(out)) != "off" {
		t.Errorf("the inherited GIT_CONFIG entry is lost: %q, %v", out, err)
	}
	if out, _ := r.repo.Git(ctx, "config", "--get-all", "http.https://ghe.example/.extraheader"); len(out) != 0 {
		t.Errorf("the repository itself sees %q: credentials leaked beyond the push", out)
	}
	cfg, _ := os.ReadFile(filepath.Join(dir, ".git", "config"))
	if strings.Contains(string(cfg), "extraheader") {
		t.Errorf(".git/config holds the header:\n%s", cfg)
	}
}

// TestForgeMergeModePrecedence: --no-merge beats --merge, which beats
// CVETRAIL_MERGE, which beats merge.mode; a bad value is a usage error
// naming where it came from.
func TestForgeMergeModePrecedence(t *testing.T) {
	tests := []struct {
		noMerge          bool
		flag, env, yaml  string
		want             forge.MergeMode
		wantErrMentioned string
	}{
		{yaml: "api", want: forge.MergeAPI},
		{env: "auto", yaml: "api", want: forge.MergeAuto},
		{flag: "none", env: "auto", yaml: "api", want: forge.MergeNone},
		{noMerge: true, flag: "api", yaml: "api", want: forge.MergeNone},
		{env: "squash", yaml: "api", wantErrMentioned: "CVETRAIL_MERGE"},
		{flag: "sometimes", yaml: "api", wantErrMentioned: "--merge"},
	}
	for _, tt := range tests {
		r := &dailyRun{
			a:   &app{env: Env{Getenv: func(k string) string { return map[string]string{"CVETRAIL_MERGE": tt.env}[k] }}},
			o:   &runOpts{noMerge: tt.noMerge, merge: tt.flag},
			cfg: config.Default(),
		}
		r.cfg.Merge.Mode = tt.yaml
		got, err := r.mergeMode()
		if tt.wantErrMentioned != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErrMentioned) {
				t.Errorf("%+v: err = %v, want one naming %s", tt, err, tt.wantErrMentioned)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%+v: %q, %v; want %q", tt, got, err, tt.want)
		}
	}
}

// --- GitLab ---

// glMirror keeps the fake GitLab and the bare repository in step around
// every API call: the fake learns the branches that were pushed; the
// repository loses the branches the fake deleted and gains a real merge
// commit for every merge request the fake merged.
type glMirror struct {
	t      *testing.T
	w      *forgeWorld
	fake   *fakegitlab.Server
	base   http.RoundTripper
	api    *url.URL // where the fake really listens
	mu     sync.Mutex
	landed map[int64]bool
}

// RoundTrip sends an API request to the fake. cvetrail is told that the API
// is on the git server's host, as on a real GitLab, where the push token
// goes only to the API's host.
func (m *glMirror) RoundTrip(req *http.Request) (*http.Response, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pull()
	req = req.Clone(req.Context())
	req.URL.Scheme, req.URL.Host, req.Host = m.api.Scheme, m.api.Host, ""
	resp, err := m.base.RoundTrip(req)
	m.push()
	return resp, err
}

func (m *glMirror) refs() map[string]string {
	out, err := gitRun(nil, m.w.bare, "for-each-ref", "--format=%(refname:lstrip=2) %(objectname)", "refs/heads/")
	if err != nil {
		m.t.Error(err)
	}
	refs := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if name, sha, ok := strings.Cut(line, " "); ok {
			refs[name] = sha
		}
	}
	return refs
}

func (m *glMirror) pull() {
	for name, sha := range m.refs() {
		if got, ok := m.fake.Branch(name); !ok || got != sha {
			m.fake.SetBranch(name, sha)
		}
	}
}

func (m *glMirror) push() {
	env := gitIdentity(m.w.home)
	for name := range m.refs() {
		if _, ok := m.fake.Branch(name); !ok {
			if _, err := gitRun(env, m.w.bare, "update-ref", "-d", "refs/heads/"+name); err != nil {
				m.t.Error(err)
			}
		}
	}
	for _, mr := range m.fake.MRs() {
		if mr.State != fakegitlab.Merged || m.landed[mr.IID] {
			continue
		}
		m.landed[mr.IID] = true
		target := m.refs()[mr.TargetBranch]
		tree, err := gitRun(env, m.w.bare, "merge-tree", "--write-tree", target, mr.SHA)
		if err == nil {
			var sha string
			sha, err = gitRun(env, m.w.bare, "commit-tree", strings.SplitN(tree, "\n", 2)[0], "-p", target, "-p", mr.SHA, "-m", "Merge branch '"+mr.SourceBranch+"'")
			if err == nil {
				_, err = gitRun(env, m.w.bare, "update-ref", "refs/heads/"+mr.TargetBranch, sha, target)
				m.fake.SetBranch(mr.TargetBranch, sha)
			}
		}
		if err != nil {
			m.t.Errorf("landing merge request !%d: %v", mr.IID, err)
		}
	}
}

func gitlabConfig(mode string) string {
	return fmt.Sprintf(`schemaVersion: 1
forge: gitlab
merge: {mode: %s, method: merge}
labels: {review: %s, extra: [security]}
`, mode, reviewLabel)
}

func newGitLab(t *testing.T, mode string) (*forgeWorld, *fakegitlab.Server) {
	t.Helper()
	w := newForgeWorld(t, "oauth2", fakegitlab.DefaultToken, gitlabConfig(mode), oldLow)
	fake := fakegitlab.New(t, "acme/images")
	api, err := url.Parse(fake.URL)
	if err != nil {
		t.Fatal(err)
	}
	m := &glMirror{t: t, w: w, fake: fake, base: fake.Client().Transport, api: api, landed: map[int64]bool{}}
	w.client = &http.Client{Transport: m}
	w.env = map[string]string{
		"GITLAB_TOKEN":   fakegitlab.DefaultToken,
		"CI_API_V4_URL":  w.git.URL + "/api/v4",
		"CI_PROJECT_ID":  fmt.Sprint(fake.ProjectID),
		"CI_PROJECT_URL": fake.WebURL,
	}
	m.pull()
	return w, fake
}

func onlyMR(t *testing.T, fake *fakegitlab.Server) fakegitlab.MR {
	t.Helper()
	mrs := fake.MRs()
	if len(mrs) != 1 {
		t.Fatalf("the fake has %d merge requests, want 1: %+v", len(mrs), mrs)
	}
	return mrs[0]
}

func gitlabData(fake *fakegitlab.Server) []string {
	var out []string
	for _, mr := range fake.MRs() {
		out = append(out, mr.Title, mr.Description, strings.Join(mr.Notes, "\n"), strings.Join(mr.Labels, "\n"))
	}
	return out
}

// TestForgeGitLabLifecycle: the same core flow on merge requests: created
// with the review label (created in the project with its colour), a rerun
// writes nothing, clean after an acknowledgement → merged, then the
// leftover branch deleted.
func TestForgeGitLabLifecycle(t *testing.T) {
	w, fake := newGitLab(t, "api")
	day1 := w.run(1, []fvuln{oldLow, newHigh})
	w.wantExit("day 1", day1, ExitReview)
	mr := onlyMR(t, fake)
	if mr.State != fakegitlab.Opened || mr.SourceBranch != reportHead || mr.SHA != w.remoteBranch(reportHead) {
		t.Fatalf("day 1: %+v", mr)
	}
	if !slices.Contains(mr.Labels, reviewLabel) || !slices.Contains(mr.Labels, "security") {
		t.Errorf("day 1: labels %q", mr.Labels)
	}
	if l, ok := fake.Label(reviewLabel); !ok || l.Color != "#"+reviewLabelColor || l.Description == "" {
		t.Errorf("day 1: project label %+v, want it created with colour #%s", l, reviewLabelColor)
	}
	if !strings.Contains(mr.Description, newHigh.id) || !strings.Contains(day1.stdout, "opened merge request "+fake.WebURL) {
		t.Errorf("day 1: description or stdout wrong:\n%s\n%s", mr.Description, day1.stdout)
	}

	writes, pushes := fake.Writes(), w.pushes()
	w.wantExit("rerun", w.run(1, []fvuln{oldLow, newHigh}), ExitReview)
	if fake.Writes() != writes || w.pushes() != pushes {
		t.Errorf("rerun: %d writes, %d pushes; want none", fake.Writes()-writes, w.pushes()-pushes)
	}

	w.ack(newHigh.id)
	day2 := w.run(2, []fvuln{oldLow, newHigh})
	w.wantExit("day 2", day2, ExitOK)
	mr = onlyMR(t, fake)
	if mr.State != fakegitlab.Merged || slices.Contains(mr.Labels, reviewLabel) || !slices.Contains(mr.Labels, "security") {
		t.Fatalf("day 2: %+v", mr)
	}
	if !strings.Contains(w.remoteLedger("main"), newHigh.id) || !strings.Contains(day2.stdout, "(merged)") {
		t.Errorf("day 2: main lacks the report, or stdout %q", day2.stdout)
	}

	w.wantExit("day 3", w.run(3, []fvuln{oldLow, newHigh}), ExitOK)
	if _, ok := fake.Branch(reportHead); ok || w.remoteBranch(reportHead) != "" {
		t.Error("day 3: the merged report branch was not deleted")
	}
	writes = fake.Writes()
	w.wantExit("day 3 rerun", w.run(3, []fvuln{oldLow, newHigh}), ExitOK)
	if fake.Writes() != writes {
		t.Errorf("day 3 rerun: %d writes", fake.Writes()-writes)
	}
	w.noToken(fakegitlab.DefaultToken, gitlabData(fake)...)
}

// TestForgeGitLabAutoMerge: while the pipeline runs, a clean merge request
// is set to merge when it succeeds; GitLab then merges it.
func TestForgeGitLabAutoMerge(t *testing.T) {
	w, fake := newGitLab(t, "api")
	w.wantExit("day 1", w.run(1, []fvuln{oldLow, newHigh}), ExitReview)
	fake.SetPipeline(onlyMR(t, fake).IID, true, false)
	w.ack(newHigh.id)
	day2 := w.run(2, []fvuln{oldLow, newHigh})
	w.wantExit("day 2", day2, ExitOK)
	mr := onlyMR(t, fake)
	if !mr.MergeWhenPipelineSucceeds || mr.State != fakegitlab.Opened || slices.Contains(mr.Labels, reviewLabel) {
		t.Fatalf("day 2: %+v, want merge_when_pipeline_succeeds", mr)
	}
	if !strings.Contains(day2.stdout, "auto-merge enabled") {
		t.Errorf("day 2: stdout %q", day2.stdout)
	}
	writes := fake.Writes()
	w.wantExit("rerun", w.run(2, []fvuln{oldLow, newHigh}), ExitOK)
	if fake.Writes() != writes {
		t.Errorf("rerun: %d writes", fake.Writes()-writes)
	}
	fake.SetPipeline(mr.IID, false, true)
	if mr = onlyMR(t, fake); mr.State != fakegitlab.Merged {
		t.Errorf("after the pipeline: %+v", mr)
	}
}

// TestForgeGitLabClosedWhenEqual: the report returns to main: the merge
// request is closed with a note and its branch deleted.
func TestForgeGitLabClosedWhenEqual(t *testing.T) {
	w, fake := newGitLab(t, "auto")
	w.wantExit("day 1", w.run(1, []fvuln{oldLow, newHigh}), ExitReview)
	day2 := w.run(2, []fvuln{oldLow})
	w.wantExit("day 2", day2, ExitOK)
	mr := onlyMR(t, fake)
	if mr.State != fakegitlab.Closed || len(mr.Notes) != 1 || !strings.Contains(mr.Notes[0], "nothing to report") {
		t.Fatalf("day 2: %+v", mr)
	}
	if _, ok := fake.Branch(reportHead); ok || w.remoteBranch(reportHead) != "" {
		t.Error("day 2: the report branch was not deleted")
	}
	if !strings.Contains(day2.stdout, "closed the merge request") {
		t.Errorf("day 2: stdout %q", day2.stdout)
	}
}

// TestForgeGitLabPermissionHint: a token GitLab refuses ends the run with
// exit 3 and a hint naming the scope and role needed.
func TestForgeGitLabPermissionHint(t *testing.T) {
	w, fake := newGitLab(t, "api")
	fake.Fail(fakegitlab.Fault{Route: fakegitlab.RouteCreateMR, Status: http.StatusForbidden, Body: `{"message":"403 Forbidden"}`})
	res := w.run(1, []fvuln{oldLow, newHigh})
	w.wantExit("forbidden", res, ExitExternal)
	for _, want := range []string{"HTTP 403", "cvetrail: hint:", "scope `api`", "Developer"} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, res.stderr)
		}
	}
	w.noToken(fakegitlab.DefaultToken)
}
