package cli

import (
	"bytes"
	"context"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
	"gopkg.in/yaml.v3"

	"github.com/cvetrail/cvetrail/internal/config"
	"github.com/cvetrail/cvetrail/internal/ledger"
)

// initRepo is an empty git repository to run `cvetrail init` in.
func initRepo(t *testing.T) string {
	t.Helper()
	needRealGit(t)
	dir := t.TempDir()
	gitOK(t, gitIdentity(dir), dir, "init", "-q", "-b", "main")
	return dir
}

func runIn(t *testing.T, dir string, args ...string) runResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), args, Env{Dir: dir, Stdout: &stdout, Stderr: &stderr})
	return runResult{code: code, stdout: stdout.String(), stderr: stderr.String(), dir: dir}
}

func readTestFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// lintWorkflow lints a workflow with actionlint (without shellcheck and
// pyflakes) in the project at root, and returns the errors' messages.
func lintWorkflow(t *testing.T, root, path string, content []byte) []string {
	t.Helper()
	l, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var proj *actionlint.Project
	if root != "" {
		if proj, err = actionlint.NewProject(root); err != nil {
			t.Fatal(err)
		}
	}
	errs, err := l.Lint(path, content, proj)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}

// TestInitGitHubWorkflow: the workflow is at most 15 lines, passes
// actionlint, and has the daily cron, the manual trigger, a concurrency
// group cancelling the run in progress, least-privilege permissions, the
// checkout and the action; cvetrail.yaml says forge: github and parses.
func TestInitGitHubWorkflow(t *testing.T) {
	dir := initRepo(t)
	res := runIn(t, dir, "init", "--ci", "github")
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	data := readTestFile(t, filepath.Join(dir, ".github", "workflows", "cvetrail.yml"))
	if data != GitHubWorkflow {
		t.Error("the written workflow is not GitHubWorkflow")
	}
	if n := strings.Count(data, "\n"); n > 15 || !strings.HasSuffix(data, "\n") {
		t.Errorf("the workflow has %d lines, want at most 15", n)
	}
	if errs := lintWorkflow(t, dir, filepath.Join(dir, ".github", "workflows", "cvetrail.yml"), []byte(data)); len(errs) > 0 {
		t.Errorf("actionlint:\n%s", strings.Join(errs, "\n"))
	}

	var wf struct {
		On          map[string]yaml.Node `yaml:"on"`
		Concurrency struct {
			Group            string `yaml:"group"`
			CancelInProgress bool   `yaml:"cancel-in-progress"`
		} `yaml:"concurrency"`
		Permissions map[string]string `yaml:"permissions"`
		Jobs        map[string]struct {
			Steps []map[string]any `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal([]byte(data), &wf); err != nil {
		t.Fatal(err)
	}
	var schedule []map[string]string
	if n, ok := wf.On["schedule"]; !ok || n.Decode(&schedule) != nil || len(schedule) != 1 || len(strings.Fields(schedule[0]["cron"])) != 5 {
		t.Errorf("schedule %v, want one daily cron", schedule)
	}
	if _, ok := wf.On["workflow_dispatch"]; !ok || len(wf.On) != 2 {
		t.Errorf("triggers %v, want schedule and workflow_dispatch", slices.Collect(maps.Keys(wf.On)))
	}
	if wf.Concurrency.Group == "" || !wf.Concurrency.CancelInProgress {
		t.Errorf("concurrency %+v", wf.Concurrency)
	}
	want := map[string]string{"contents": "write", "pull-requests": "write", "issues": "write"}
	if !mapsEqual(wf.Permissions, want) {
		t.Errorf("permissions %v, want exactly %v", wf.Permissions, want)
	}
	var uses []string
	for _, j := range wf.Jobs {
		for _, s := range j.Steps {
			if u, ok := s["uses"].(string); ok {
				uses = append(uses, u)
			}
		}
	}
	if len(uses) != 2 || !strings.HasPrefix(uses[0], "actions/checkout@") || !strings.HasPrefix(uses[1], "cvetrail/cvetrail@") {
		t.Errorf("steps use %q, want the checkout, then the action", uses)
	}

	cfg, err := config.Load(filepath.Join(dir, ledger.ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Forge != "github" || cfg.Merge.Mode != "api" || cfg.Labels.Review != config.DefaultReviewLabel {
		t.Errorf("cvetrail.yaml: forge %q, merge %q, label %q", cfg.Forge, cfg.Merge.Mode, cfg.Labels.Review)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestActionlintCatchesMistakes: the linter used above does find errors
// in a broken workflow, so a clean result means something.
func TestActionlintCatchesMistakes(t *testing.T) {
	bad := strings.Replace(GitHubWorkflow, "pull-requests: write", "pull-request: write", 1)
	bad = strings.Replace(bad, `"23 4 * * *"`, `"23 25 * * *"`, 1)
	errs := lintWorkflow(t, "", "cvetrail.yml", []byte(bad))
	if len(errs) < 2 {
		t.Errorf("actionlint found %q in a workflow with a bad permission and a bad cron", errs)
	}
}

type gitlabJob struct {
	Image        string              `yaml:"image"`
	Rules        []map[string]string `yaml:"rules"`
	Script       []string            `yaml:"script"`
	BeforeScript []string            `yaml:"before_script"`
	Variables    map[string]string   `yaml:"variables"`
	Cache        struct {
		Paths []string `yaml:"paths"`
	} `yaml:"cache"`
	AllowFailure struct {
		ExitCodes []int `yaml:"exit_codes"`
	} `yaml:"allow_failure"`
}

func parseGitLabCI(t *testing.T, path string) map[string]yaml.Node {
	t.Helper()
	var doc map[string]yaml.Node
	if err := yaml.Unmarshal([]byte(readTestFile(t, path)), &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return doc
}

// TestInitGitLab: the job parses, runs `cvetrail run` from pipeline
// schedules with the full history and the Trivy cache, and is added to an
// existing .gitlab-ci.yml without touching its jobs; a second init is
// refused, and --force replaces only the cvetrail job.
func TestInitGitLab(t *testing.T) {
	dir := initRepo(t)
	ciFile := filepath.Join(dir, ".gitlab-ci.yml")
	existing := "stages: [test]\n\n# the unit tests\nunit:\n  script:\n    - make test\n"
	writeTestFile(t, ciFile, existing)
	if res := runIn(t, dir, "init", "--ci", "gitlab"); res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	check := func() {
		t.Helper()
		doc := parseGitLabCI(t, ciFile)
		if _, ok := doc["unit"]; !ok || !strings.HasPrefix(readTestFile(t, ciFile), existing) {
			t.Errorf("the existing jobs were changed:\n%s", readTestFile(t, ciFile))
		}
		n := doc["cvetrail"]
		var job gitlabJob
		if err := n.Decode(&job); err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(job.Script, "cvetrail run") {
			t.Errorf("script %q does not run cvetrail run", job.Script)
		}
		if len(job.Rules) == 0 || !strings.Contains(job.Rules[0]["if"], `$CI_PIPELINE_SOURCE == "schedule"`) {
			t.Errorf("rules %v do not run it on schedules", job.Rules)
		}
		if job.Variables["GIT_DEPTH"] != "0" || job.Variables["TRIVY_CACHE_DIR"] == "" || !slices.Contains(job.Cache.Paths, job.Variables["TRIVY_CACHE_DIR"]) {
			t.Errorf("variables %v, cache %v", job.Variables, job.Cache.Paths)
		}
		joined := strings.Join(job.BeforeScript, "\n")
		for _, want := range []string{"go install github.com/cvetrail/cvetrail/cmd/cvetrail@", "aquasecurity/trivy", "git checkout -B"} {
			if !strings.Contains(joined, want) {
				t.Errorf("before_script lacks %q", want)
			}
		}
		if !slices.Contains(job.AllowFailure.ExitCodes, ExitReview) {
			t.Errorf("allow_failure %v: a report awaiting review would fail the pipeline", job.AllowFailure.ExitCodes)
		}
	}
	check()
	cfg, err := config.Load(filepath.Join(dir, ledger.ConfigFile))
	if err != nil || cfg.Forge != "gitlab" {
		t.Fatalf("cvetrail.yaml: %+v, %v", cfg, err)
	}

	res := runIn(t, dir, "init", "--ci", "gitlab")
	if res.code != ExitUsage || !strings.Contains(res.stderr, "already exists") || !strings.Contains(res.stderr, "--force") {
		t.Errorf("second init: exit %d, %s", res.code, res.stderr)
	}
	// A hand-edited job is replaced whole by --force, the rest kept.
	writeTestFile(t, ciFile, readTestFile(t, ciFile)+"\nlint:\n  script: [make lint]\n")
	edited := strings.Replace(readTestFile(t, ciFile), "    - cvetrail run\n", "    - cvetrail run --keep-going\n    - echo old\n", 1)
	writeTestFile(t, ciFile, edited)
	if res := runIn(t, dir, "init", "--ci", "gitlab", "--force"); res.code != 0 {
		t.Fatalf("--force: exit %d: %s", res.code, res.stderr)
	}
	check()
	got := readTestFile(t, ciFile)
	if strings.Contains(got, "echo old") || strings.Count(got, "\ncvetrail:") != 1 || !strings.Contains(got, "lint:\n  script: [make lint]") {
		t.Errorf("--force did not replace just the cvetrail job:\n%s", got)
	}
}

// TestInitRefusesExistingFiles: every existing file is refused without
// --force, and nothing is written then; --force overwrites.
func TestInitRefusesExistingFiles(t *testing.T) {
	tests := []struct {
		name     string
		existing []string
		args     []string
		refused  string
	}{
		{"config", []string{ledger.ConfigFile}, []string{"init"}, ledger.ConfigFile},
		{"workflow", []string{githubWorkflowFile}, []string{"init", "--ci", "github"}, githubWorkflowFile},
		{"mergify", []string{mergifyFile}, []string{"init", "--mergify"}, mergifyFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := initRepo(t)
			for _, p := range tt.existing {
				writeTestFile(t, filepath.Join(dir, p), "# mine\n")
			}
			res := runIn(t, dir, tt.args...)
			if res.code != ExitUsage || !strings.Contains(res.stderr, tt.refused+" already exists") || !strings.Contains(res.stderr, "cvetrail: hint: pass --force") {
				t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
			}
			for _, p := range tt.existing {
				if got := readTestFile(t, filepath.Join(dir, p)); got != "# mine\n" {
					t.Errorf("%s was changed to %q", p, got)
				}
			}
			if tt.name != "config" {
				if _, err := os.Stat(filepath.Join(dir, ledger.ConfigFile)); err == nil {
					t.Error("cvetrail.yaml was written although the run was refused")
				}
			}
			if res := runIn(t, dir, append(tt.args, "--force")...); res.code != 0 {
				t.Fatalf("--force: exit %d: %s", res.code, res.stderr)
			}
			if got := readTestFile(t, filepath.Join(dir, tt.refused)); got == "# mine\n" {
				t.Errorf("--force left %s as it was", tt.refused)
			}
		})
	}
}

// TestInitMergifyFollowsConfig: --mergify names the branch and label of
// the flags, or of an existing cvetrail.yaml; it sets merge.mode none in a
// new one.
func TestInitMergifyFollowsConfig(t *testing.T) {
	dir := initRepo(t)
	if res := runIn(t, dir, "init", "--mergify", "--branch", "security/report", "--label", `needs "triage"`); res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	cfg, err := config.Load(filepath.Join(dir, ledger.ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Merge.Mode != "none" || cfg.Branch != "security/report" || cfg.Labels.Review != `needs "triage"` {
		t.Errorf("cvetrail.yaml: merge %q, branch %q, label %q", cfg.Merge.Mode, cfg.Branch, cfg.Labels.Review)
	}
	rule := parseMergify(t, filepath.Join(dir, mergifyFile))
	if want := []string{"head=security/report", `label!=needs "triage"`}; !slices.Equal(rule.conditions, want) {
		t.Errorf("conditions %q, want %q", rule.conditions, want)
	}

	// A kept configuration names them when the flags do not.
	writeTestFile(t, filepath.Join(dir, ledger.ConfigFile), "schemaVersion: 1\nbranch: reports/cve\nlabels: {review: triage}\nmerge: {mode: none}\n")
	if res := runIn(t, dir, "init", "--mergify", "--force"); res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	// --force rewrote cvetrail.yaml too: the defaults are back.
	rule = parseMergify(t, filepath.Join(dir, mergifyFile))
	if want := []string{"head=" + config.DefaultBranch, "label!=" + config.DefaultReviewLabel}; !slices.Equal(rule.conditions, want) {
		t.Errorf("after --force: %q, want %q", rule.conditions, want)
	}
	writeTestFile(t, filepath.Join(dir, ledger.ConfigFile), "schemaVersion: 1\nbranch: reports/cve\nlabels: {review: triage}\nmerge: {mode: none}\n")
	if err := os.Remove(filepath.Join(dir, mergifyFile)); err != nil {
		t.Fatal(err)
	}
	if res := runIn(t, dir, "init", "--mergify"); res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	rule = parseMergify(t, filepath.Join(dir, mergifyFile))
	if want := []string{"head=reports/cve", "label!=triage"}; !slices.Equal(rule.conditions, want) {
		t.Errorf("with a kept configuration: %q, want %q", rule.conditions, want)
	}
}

// TestInitConfigParses: the plain cvetrail.yaml parses with the config
// package and keeps the local default (forge: none).
func TestInitConfigParses(t *testing.T) {
	dir := initRepo(t)
	if res := runIn(t, dir, "init"); res.code != 0 || !strings.Contains(res.stdout, "wrote cvetrail.yaml") {
		t.Fatalf("exit %d: %s %s", res.code, res.stdout, res.stderr)
	}
	cfg, err := config.Load(filepath.Join(dir, ledger.ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Forge != "none" || cfg.Branch != config.DefaultBranch {
		t.Errorf("forge %q, branch %q", cfg.Forge, cfg.Branch)
	}
	if res := runIn(t, dir, "init", "--branch", "bad..name"); res.code != ExitUsage {
		t.Errorf("an invalid branch: exit %d, want %d", res.code, ExitUsage)
	}
}

// --- action.yml ---

type actionStep struct {
	Name  string            `yaml:"name"`
	ID    string            `yaml:"id"`
	Uses  string            `yaml:"uses"`
	Run   string            `yaml:"run"`
	Shell string            `yaml:"shell"`
	With  map[string]string `yaml:"with"`
	Env   map[string]string `yaml:"env"`
}

type actionMeta struct {
	Name   string `yaml:"name"`
	Inputs map[string]struct {
		Description string `yaml:"description"`
		Default     string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Value string `yaml:"value"`
	} `yaml:"outputs"`
	Runs struct {
		Using string       `yaml:"using"`
		Steps []actionStep `yaml:"steps"`
	} `yaml:"runs"`
}

// repoFile returns path below the directory holding go.mod.
func repoFile(t *testing.T, path string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, path)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

var pinned = regexp.MustCompile(`@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$`)

// TestAction checks action.yml: a composite action whose run steps name
// their shell; Go set up before cvetrail is installed at the action's
// version; Trivy installed with a pinned aquasecurity/setup-trivy; the
// vulnerability database cached where Trivy is told to keep it; `cvetrail
// run` given the token, the config path and the merge mode from inputs.
func TestAction(t *testing.T) {
	data := readTestFile(t, repoFile(t, "action.yml"))
	var a actionMeta
	dec := yaml.NewDecoder(strings.NewReader(data))
	dec.KnownFields(false)
	if err := dec.Decode(&a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	if a.Runs.Using != "composite" {
		t.Fatalf("runs.using %q, want composite", a.Runs.Using)
	}
	for _, in := range []string{"config", "merge", "token"} {
		if a.Inputs[in].Description == "" {
			t.Errorf("input %q is missing or undocumented", in)
		}
	}
	if a.Inputs["token"].Default != "${{ github.token }}" {
		t.Errorf("token defaults to %q", a.Inputs["token"].Default)
	}
	index := map[string]int{}
	for i, s := range a.Runs.Steps {
		if (s.Uses == "") == (s.Run == "") {
			t.Errorf("step %d (%s) must have exactly one of uses and run", i, s.Name)
		}
		if s.Run != "" && s.Shell == "" {
			t.Errorf("step %d (%s) runs a script without shell:", i, s.Name)
		}
		if s.Uses != "" && !pinned.MatchString(s.Uses) {
			t.Errorf("step %d uses %q, not pinned to a release or a commit", i, s.Uses)
		}
		switch {
		case strings.HasPrefix(s.Uses, "actions/setup-go@"):
			index["go"] = i
		case strings.Contains(s.Run, "go install github.com/cvetrail/cvetrail/cmd/cvetrail@"):
			index["install"] = i
			if s.Env["REF"] != "${{ github.action_ref }}" || !strings.Contains(s.Run, `cvetrail@$ref"`) || !strings.Contains(s.Run, "cvetrail@latest") {
				t.Errorf("the install step does not install the action's ref with a fallback to latest:\n%s", s.Run)
			}
		case strings.HasPrefix(s.Uses, "aquasecurity/setup-trivy@"):
			index["trivy"] = i
		case strings.HasPrefix(s.Uses, "actions/cache@"):
			index["cache"] = i
			if !strings.Contains(s.With["path"], "trivy") || s.With["key"] == "" || s.With["restore-keys"] == "" {
				t.Errorf("cache %v", s.With)
			}
		case strings.Contains(s.Run, "cvetrail run"):
			index["run"] = i
			for k, v := range map[string]string{
				"GITHUB_TOKEN": "${{ inputs.token }}", "CVETRAIL_CONFIG": "${{ inputs.config }}", "CVETRAIL_MERGE": "${{ inputs.merge }}",
			} {
				if s.Env[k] != v {
					t.Errorf("the run step has %s=%q, want %q", k, s.Env[k], v)
				}
			}
			if s.Env["TRIVY_CACHE_DIR"] == "" {
				t.Error("the run step does not point Trivy at the cached directory")
			}
		}
	}
	for _, k := range []string{"go", "install", "trivy", "cache", "run"} {
		if _, ok := index[k]; !ok {
			t.Errorf("no %s step", k)
		}
	}
	if !(index["go"] < index["install"] && index["trivy"] < index["run"] && index["cache"] < index["run"] && index["install"] < index["run"]) {
		t.Errorf("steps out of order: %v", index)
	}
	if c := a.Runs.Steps[index["cache"]]; c.With["path"] != a.Runs.Steps[index["run"]].Env["TRIVY_CACHE_DIR"] {
		t.Errorf("the cache keeps %q, Trivy uses %q", c.With["path"], a.Runs.Steps[index["run"]].Env["TRIVY_CACHE_DIR"])
	}
	if v := a.Outputs["needs-review"].Value; !strings.Contains(v, "steps.run.outputs.needs-review") {
		t.Errorf("output needs-review = %q", v)
	}
}

// TestActionlintAction lints action.yml with actionlint, which lints
// workflows rather than action metadata: a workflow using the action
// locally makes it parse action.yml and check the inputs given to it, and
// the composite steps, moved into a workflow job whose inputs are the
// action's, get its expression, shell and known-action checks.
func TestActionlintAction(t *testing.T) {
	data := readTestFile(t, repoFile(t, "action.yml"))
	root := t.TempDir()
	writeTestFile(t, filepath.Join(root, "action.yml"), data)
	writeTestFile(t, filepath.Join(root, ".git", "HEAD"), "ref: refs/heads/main\n")

	use := func(with string) []string {
		wf := "on: workflow_dispatch\njobs:\n  report:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v5\n      - uses: ./\n        with: {" + with + "}\n"
		path := filepath.Join(root, ".github", "workflows", "use.yml")
		writeTestFile(t, path, wf)
		return lintWorkflow(t, root, path, []byte(wf))
	}
	if errs := use("config: ci/cvetrail.yaml, merge: none, fail-on-review: true"); len(errs) > 0 {
		t.Errorf("a workflow using the action:\n%s", strings.Join(errs, "\n"))
	}
	if errs := use("configuration: x"); len(errs) == 0 || !strings.Contains(strings.Join(errs, "\n"), "configuration") {
		t.Errorf("an unknown input was not reported (%q): actionlint did not read action.yml", errs)
	}

	var a struct {
		Inputs map[string]struct {
			Description string `yaml:"description"`
			Default     string `yaml:"default"`
		} `yaml:"inputs"`
		Runs struct {
			Steps []map[string]any `yaml:"steps"`
		} `yaml:"runs"`
	}
	if err := yaml.Unmarshal([]byte(data), &a); err != nil {
		t.Fatal(err)
	}
	inputs := map[string]any{}
	for name, in := range a.Inputs {
		inputs[name] = map[string]any{"description": in.Description, "type": "string", "required": false}
	}
	wf := map[string]any{
		"on": map[string]any{"workflow_dispatch": map[string]any{"inputs": inputs}},
		"jobs": map[string]any{"action": map[string]any{
			"runs-on": "ubuntu-latest",
			"steps":   a.Runs.Steps,
		}},
	}
	b, err := yaml.Marshal(wf)
	if err != nil {
		t.Fatal(err)
	}
	if errs := lintWorkflow(t, "", "action-steps.yml", b); len(errs) > 0 {
		t.Errorf("the action's steps as a workflow:\n%s\n%s", strings.Join(errs, "\n"), b)
	}
}

// yamlBlocks returns the ```yaml blocks of the README section titled
// heading.
func yamlBlocks(t *testing.T, readme, heading string) []string {
	t.Helper()
	i := strings.Index(readme, "\n"+heading+"\n")
	if i < 0 {
		t.Fatalf("README.md has no %q section", heading)
	}
	section := readme[i+len(heading)+2:]
	if j := strings.Index(section, "\n## "); j >= 0 {
		section = section[:j]
	}
	var blocks []string
	for _, part := range strings.Split(section, "```yaml\n")[1:] {
		block, _, ok := strings.Cut(part, "```")
		if !ok {
			t.Fatalf("%s: an unclosed code block", heading)
		}
		blocks = append(blocks, block)
	}
	return blocks
}

// TestReadmeShowsWhatInitWrites: the README's GitHub quick start is the
// workflow init writes and a cvetrail.yaml that parses; its GitLab
// section is the job init writes.
func TestReadmeShowsWhatInitWrites(t *testing.T) {
	readme := readTestFile(t, repoFile(t, "README.md"))
	gh := yamlBlocks(t, readme, "## GitHub quick start")
	if len(gh) < 2 || gh[0] != GitHubWorkflow {
		t.Fatalf("the quick start's first block is not GitHubWorkflow:\n%s", strings.Join(gh, "\n---\n"))
	}
	cfg, err := config.Parse("README cvetrail.yaml", []byte(gh[1]))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Forge != "github" || len(cfg.Images) == 0 {
		t.Errorf("the quick start's cvetrail.yaml: forge %q, %d images", cfg.Forge, len(cfg.Images))
	}
	gl := yamlBlocks(t, readme, "## GitLab")
	_, job, _ := strings.Cut(GitLabJob, "\ncvetrail:\n")
	if len(gl) != 1 || gl[0] != "cvetrail:\n"+job {
		t.Errorf("the GitLab section does not show GitLabJob:\n%s", strings.Join(gl, "\n---\n"))
	}
}
