package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cvetrail/cvetrail/internal/demo"
	"github.com/cvetrail/cvetrail/internal/gitrepo"
	"github.com/cvetrail/cvetrail/internal/ledger"
	"github.com/cvetrail/cvetrail/internal/scanner"
)

func init() { commands = append(commands, newDemoCmd) }

type demoOpts struct {
	dir     string
	reports bool
	trivy   string
}

func newDemoCmd(a *app) *cobra.Command {
	o := &demoOpts{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run five days of the daily lifecycle in a temporary repository",
		Long: `Demo creates a git repository and runs cvetrail's daily job on one image over
five days, narrating each:

  day 1  first scan, adopted as the baseline
  day 2  the vulnerability database gains a CVE: the report waits for review;
         it is acknowledged with 'cvetrail ack', and the next run merges
  day 3  base-image update (Debian 12.5 → 12.6, python3.11 → 3.12):
         nothing is new, the decision still holds
  day 4  the vulnerability database is corrupt: the run stops, nothing changes
  day 5  the same image scanned with Grype instead of Trivy: nothing is new

It uses the real Trivy when one is on PATH (or --trivy), with the story's own
small vulnerability database; otherwise the reports Trivy and Grype produced
from the story's images. No network is needed. It ends by printing where
the repository is, to explore with git log.

Exit codes:
  0  every day went as the story expects
  1  a day did not (the narration says which)
  2  usage error
  3  external failure (git)`,
		Example: `  cvetrail demo
  cvetrail demo --dir /tmp/story && git -C /tmp/story/repo log --stat`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runDemo(cmd.Context(), a, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.dir, "dir", "", "create the demo in `DIR` (default: a new temporary directory)")
	f.BoolVar(&o.reports, "reports", false, "use the recorded reports even when Trivy is installed")
	f.StringVar(&o.trivy, "trivy", "", "the Trivy binary to use (default: trivy on PATH)")
	return cmd
}

// demoRun holds the state of one demo.
type demoRun struct {
	a      *app
	w      io.Writer
	base   string // the demo directory
	repo   *gitrepo.Repo
	trivy  string // "" in report mode
	now    time.Time
	failed []string
}

func runDemo(ctx context.Context, a *app, o *demoOpts) error {
	m, err := demo.LoadManifest()
	if err != nil {
		return externalErr(err)
	}
	base := o.dir
	if base == "" {
		if base, err = os.MkdirTemp("", "cvetrail-demo-"); err != nil {
			return externalErr(err)
		}
	} else {
		base = a.abs(base)
		if entries, err := os.ReadDir(base); err == nil && len(entries) > 0 {
			return usageErr(fmt.Errorf("--dir %s is not empty", base))
		}
	}
	d := &demoRun{a: a, w: a.env.Stdout, base: base}
	if err := fs.WalkDir(demo.Story(), ".", d.extract); err != nil {
		return externalErr(fmt.Errorf("writing the story files: %w", err))
	}
	if !o.reports {
		d.trivy = d.findTrivy(ctx, o.trivy)
	}

	repoDir := filepath.Join(base, "repo")
	if err := os.MkdirAll(repoDir, 0o755); err != nil {
		return externalErr(err)
	}
	d.now, _ = time.Parse("2006-01-02", m.Days[0].Date)
	d.now = d.now.Add(-24 * time.Hour)
	if d.repo, err = gitrepo.Init(ctx, repoDir, "main"); err != nil {
		return externalErr(err)
	}
	d.repo.Env = d.environ("cvetrail demo", "demo@cvetrail.invalid")

	fmt.Fprintf(d.w, "cvetrail demo: five days of %s in a new repository, %s\n", m.Image, repoDir)
	if d.trivy != "" {
		fmt.Fprintf(d.w, "scanner: the real Trivy at %s, with the story's own vulnerability database\n", d.trivy)
	} else {
		var names []string
		for _, s := range m.Scanners {
			names = append(names, s.Name+" "+s.Version)
		}
		fmt.Fprintf(d.w, "scanner: no Trivy found (or --reports): ingesting the reports %s produced from the story's images\n", strings.Join(names, " and "))
	}
	if err := d.writeConfig(ctx, m, "trivy", "chore: configure cvetrail"); err != nil {
		return err
	}

	for _, day := range m.Days {
		if err := d.day(ctx, m, day); err != nil {
			return err
		}
	}
	return d.epilogue(ctx, m)
}

// extract writes one embedded story file under the demo directory.
func (d *demoRun) extract(path string, e fs.DirEntry, err error) error {
	if err != nil {
		return err
	}
	dst := filepath.Join(d.base, "story", filepath.FromSlash(path))
	if e.IsDir() {
		return os.MkdirAll(dst, 0o755)
	}
	b, err := fs.ReadFile(demo.Story(), path)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}

// findTrivy returns a working Trivy binary, or "".
func (d *demoRun) findTrivy(ctx context.Context, path string) string {
	if path == "" {
		path = d.a.env.Getenv("CVETRAIL_TRIVY")
	}
	if path == "" {
		p, err := exec.LookPath("trivy")
		if err != nil {
			return ""
		}
		path = p
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := scanner.Version(ctx, scanner.Spec{Name: "trivy", Path: path}); err != nil {
		d.a.log.Warn("not using Trivy: " + err.Error())
		return ""
	}
	return path
}

// environ is the environment of the demo's commands: a fixed identity and
// the story's clock for git.
func (d *demoRun) environ(name, email string) []string {
	stamp := d.now.UTC().Format(time.RFC3339)
	return []string{
		"GIT_AUTHOR_NAME=" + name, "GIT_AUTHOR_EMAIL=" + email,
		"GIT_COMMITTER_NAME=" + name, "GIT_COMMITTER_EMAIL=" + email,
		"GIT_AUTHOR_DATE=" + stamp, "GIT_COMMITTER_DATE=" + stamp,
	}
}

// writeConfig commits the cvetrail.yaml of the given scanner.
func (d *demoRun) writeConfig(ctx context.Context, m *demo.Manifest, scannerName, msg string) error {
	var cfg string
	if scannerName == "trivy" && d.trivy != "" {
		work := filepath.Join(d.base, "work")
		cfg = fmt.Sprintf(`schemaVersion: 1
images:
  - ref: %s
    name: %s
scanner:
  name: trivy
  path: %s
  args: ["--cache-dir", %s, "--skip-db-update", "--skip-java-db-update", "--offline-scan", "--skip-version-check"]
  timeout: 2m
forge: none
`, yamlQuote("docker-archive:"+filepath.Join(work, "app.tar")), yamlQuote(m.Image), yamlQuote(d.trivy), yamlQuote(filepath.Join(work, "trivy-cache")))
	} else {
		// The recorded reports name the scanned tarball "app.tar".
		cfg = fmt.Sprintf(`schemaVersion: 1
images:
  - ref: app.tar
    name: %s
scanner:
  name: %s
forge: none
`, yamlQuote(m.Image), scannerName)
	}
	path := filepath.Join(d.repo.Dir, ledger.ConfigFile)
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		return externalErr(err)
	}
	if _, err := d.repo.Git(ctx, "add", "--", ledger.ConfigFile); err != nil {
		return externalErr(err)
	}
	if _, err := d.repo.Git(ctx, "commit", "-q", "-m", msg, "--", ledger.ConfigFile); err != nil {
		return externalErr(err)
	}
	return nil
}

// cvetrail runs a cvetrail command in the demo repository, echoing it and
// its output indented, and returns its exit code.
func (d *demoRun) cvetrail(ctx context.Context, env []string, args ...string) int {
	fmt.Fprintf(d.w, "\n  $ cvetrail %s\n", strings.Join(quoteArgs(args), " "))
	out := &indenter{w: d.w, prefix: "    "}
	overlay := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		overlay[k] = v
	}
	e := Env{
		Stdout: out, Stderr: out, Dir: d.repo.Dir,
		Getenv: func(k string) string {
			if v, ok := overlay[k]; ok {
				return v
			}
			if k == "CVETRAIL_NOW" || k == "CVETRAIL_REPO" || k == "CVETRAIL_TEST_STEP_DELAY" {
				return ""
			}
			return d.a.env.Getenv(k)
		},
		Environ: func() []string { return append(d.a.env.Environ(), env...) },
		Now:     func() time.Time { return d.now },
	}
	code := Main(ctx, args, e)
	out.flush()
	return code
}

func quoteArgs(args []string) []string {
	out := make([]string, len(args))
	for i, s := range args {
		if s == "" || strings.ContainsAny(s, " '\"$;&|<>*?()") {
			s = "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
		}
		out[i] = s
	}
	return out
}

func (d *demoRun) expect(day demo.Day, what string, got, want int) {
	if got == want {
		return
	}
	msg := fmt.Sprintf("day %d: %s exited %d, the story expects %d", day.Day, what, got, want)
	d.failed = append(d.failed, msg)
	fmt.Fprintf(d.w, "  !! %s\n", msg)
}

func (d *demoRun) day(ctx context.Context, m *demo.Manifest, day demo.Day) error {
	t, err := time.Parse("2006-01-02", day.Date)
	if err != nil {
		return externalErr(fmt.Errorf("story day %d: %w", day.Day, err))
	}
	d.now = t.Add(6 * time.Hour)
	d.repo.Env = d.environ("cvetrail demo", "demo@cvetrail.invalid")
	fmt.Fprintf(d.w, "\n── Day %d · %s — %s\n", day.Day, day.Date, day.Story)
	env := d.repo.Env

	if day.Scanner == "grype" {
		fmt.Fprintln(d.w, "  The team switches cvetrail.yaml to Grype; this demo ingests the report Grype produced from this image.")
		if err := d.writeConfig(ctx, m, "grype", "chore: scan with Grype"); err != nil {
			return err
		}
	}

	args := []string{"run"}
	if day.Day == 1 {
		fmt.Fprintln(d.w, "  Adopting cvetrail on an image with known findings: --baseline records them in one commit,")
		fmt.Fprintln(d.w, "  merged without review; they stay undecided (see 'cvetrail status') but are not new.")
		args = append(args, "--baseline")
	}
	if extra, err := d.prepare(day); err != nil {
		return err
	} else {
		args = append(args, extra...)
	}
	code := d.cvetrail(ctx, env, args...)
	d.expect(day, "cvetrail run", code, day.Expect.Exit)

	switch {
	case code == ExitReview && m.Ack.ID != "":
		fmt.Fprintf(d.w, "\n  A human looks at %s and records a decision, reviewed as a commit:\n", m.Ack.ID)
		reviewer := d.environ("Ada Reviewer", "ada@example.com")
		c := d.cvetrail(ctx, reviewer, "ack", m.Ack.ID, "--status", m.Ack.Status, "--reason", m.Ack.Reason, "--expires", "90d", "--commit")
		d.expect(day, "cvetrail ack", c, 0)
		fmt.Fprintln(d.w, "\n  The next run finds the decision and merges:")
		c = d.cvetrail(ctx, env, args...)
		d.expect(day, "cvetrail run after the decision", c, 0)
	case code == ExitExternal:
		fmt.Fprintln(d.w, "  Nothing was committed and no ledger changed: a broken scan never resolves findings.")
	}
	return nil
}

// prepare lays out the day's inputs and returns the extra run arguments.
func (d *demoRun) prepare(day demo.Day) ([]string, error) {
	story := filepath.Join(d.base, "story")
	if d.trivy != "" && day.Scanner == "trivy" {
		work := filepath.Join(d.base, "work")
		if err := os.RemoveAll(work); err != nil {
			return nil, externalErr(err)
		}
		if err := copyDir(filepath.Join(story, filepath.FromSlash(day.TrivyCache)), filepath.Join(work, "trivy-cache")); err != nil {
			return nil, externalErr(err)
		}
		if err := copyFile(filepath.Join(story, filepath.FromSlash(day.Image)), filepath.Join(work, "app.tar")); err != nil {
			return nil, externalErr(err)
		}
		return nil, nil
	}
	dir := filepath.Join(d.base, "reports", fmt.Sprintf("day%d", day.Day))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, externalErr(err)
	}
	switch {
	case day.Report != "":
		if err := copyFile(filepath.Join(story, filepath.FromSlash(day.Report)), filepath.Join(dir, filepath.Base(day.Report))); err != nil {
			return nil, externalErr(err)
		}
	case day.Failure != "":
		// The recorded failure: the scanner died before writing its report.
		var f demo.Failure
		if b, err := os.ReadFile(filepath.Join(story, filepath.FromSlash(day.Failure))); err == nil {
			_ = jsonUnmarshal(b, &f)
		}
		fmt.Fprintf(d.w, "  Recorded: %s exited %d: %s\n", strings.Join(f.Command[:min(2, len(f.Command))], " "), f.ExitCode, strings.TrimSpace(lastLine(f.Stderr)))
		fmt.Fprintln(d.w, "  Replayed here as the half-written report such a scanner leaves behind.")
		if err := os.WriteFile(filepath.Join(dir, "trivy.json"), []byte(`{"SchemaVersion": 2, "ArtifactName": "app.tar", "Results": [`), 0o644); err != nil {
			return nil, externalErr(err)
		}
	}
	return []string{"--from-dir", dir}, nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

func (d *demoRun) epilogue(ctx context.Context, m *demo.Manifest) error {
	fmt.Fprintln(d.w, "\n── Where things stand")
	d.cvetrail(ctx, d.repo.Env, "status")
	d.cvetrail(ctx, d.repo.Env, "show")
	log, err := d.repo.Git(ctx, "log", "--oneline", "--graph", "main")
	if err != nil {
		return externalErr(err)
	}
	fmt.Fprintln(d.w, "\n  $ git log --oneline --graph")
	(&indenter{w: d.w, prefix: "    "}).write(log)
	if p, err := ledger.Path(m.Image); err == nil {
		out, err := d.repo.Git(ctx, "log", "-p", "--reverse", "--format=%n%h %ad %s", "--date=short", "main", "--", p)
		if err == nil {
			fmt.Fprintf(d.w, "\n  $ git log -p --reverse -- %s    # one line per finding: a reviewable history\n", p)
			(&indenter{w: d.w, prefix: "    "}).write(out)
		}
	}
	fmt.Fprintf(d.w, "\nThe repository is %s — explore it with git log, cvetrail status, cvetrail diff.\n", d.repo.Dir)
	if len(d.failed) > 0 {
		return &exitError{code: ExitReview, err: errors.New("the story did not go as expected: " + strings.Join(d.failed, "; "))}
	}
	return nil
}

// indenter writes lines with a prefix.
type indenter struct {
	w      io.Writer
	prefix string
	buf    bytes.Buffer
}

func (i *indenter) Write(p []byte) (int, error) {
	i.buf.Write(p)
	for {
		line, err := i.buf.ReadBytes('\n')
		if err != nil {
			i.buf.Write(line)
			return len(p), nil
		}
		fmt.Fprintf(i.w, "%s%s", i.prefix, line)
	}
}

func (i *indenter) write(p []byte) { _, _ = i.Write(p); i.flush() }

func (i *indenter) flush() {
	if i.buf.Len() > 0 {
		fmt.Fprintf(i.w, "%s%s\n", i.prefix, i.buf.String())
		i.buf.Reset()
	}
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}

func copyDir(src, dst string) error {
	return filepath.WalkDir(src, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if e.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		return copyFile(p, filepath.Join(dst, rel))
	})
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
