package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cvetrail/cvetrail/internal/config"
	"github.com/cvetrail/cvetrail/internal/ledger"
)

func init() { commands = append(commands, newInitCmd) }

type initOpts struct {
	ci      string
	mergify bool
	force   bool
	branch  string
	label   string
	// branchSet and labelSet tell whether --branch and --label were
	// given; otherwise an existing cvetrail.yaml names them.
	branchSet, labelSet bool
}

// Paths init writes, relative to the repository root.
const (
	githubWorkflowFile = ".github/workflows/cvetrail.yml"
	gitlabCIFile       = ".gitlab-ci.yml"
	mergifyFile        = ".mergify.yml"
)

// GitHubWorkflow is the workflow `cvetrail init --ci github` writes: a
// daily run and a manual trigger, one run at a time, least-privilege
// permissions (contents to push the report branch and merge,
// pull-requests to keep the pull request, issues to create the labels),
// the checkout and the action. It must stay at most 15 lines.
const GitHubWorkflow = `name: cvetrail
on:
  schedule: [{cron: "23 4 * * *"}]
  workflow_dispatch:
concurrency: {group: cvetrail, cancel-in-progress: true}
permissions: {contents: write, pull-requests: write, issues: write}
jobs:
  report:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v5
      - uses: cvetrail/cvetrail@v1
`

// GitLabJob is the job `cvetrail init --ci gitlab` writes into
// .gitlab-ci.yml; it runs from a pipeline schedule (or by hand), one at a
// time, and reports "needs review" (exit 1) as a warning, not a failure.
const GitLabJob = `# cvetrail: the daily vulnerability report. Create a pipeline schedule
# (Build > Pipeline schedules) and store a project access token with scope
# api and role Developer as the masked CI/CD variable GITLAB_TOKEN.
cvetrail:
  image: golang:1.26
  rules:
    - if: $CI_PIPELINE_SOURCE == "schedule" || $CI_PIPELINE_SOURCE == "web"
  resource_group: cvetrail
  variables:
    GIT_DEPTH: "0"
    TRIVY_CACHE_DIR: .cache/trivy
    GIT_AUTHOR_NAME: cvetrail
    GIT_AUTHOR_EMAIL: cvetrail@noreply.$CI_SERVER_HOST
    GIT_COMMITTER_NAME: cvetrail
    GIT_COMMITTER_EMAIL: cvetrail@noreply.$CI_SERVER_HOST
  cache:
    key: cvetrail-trivy-db
    paths: [.cache/trivy]
  before_script:
    - go install github.com/cvetrail/cvetrail/cmd/cvetrail@latest
    - curl -sfL https://raw.githubusercontent.com/aquasecurity/trivy/main/contrib/install.sh | sh -s -- -b /usr/local/bin
    - git remote set-url origin "$CI_PROJECT_URL.git"
    - git checkout -B "$CI_DEFAULT_BRANCH" "origin/$CI_DEFAULT_BRANCH"
  script:
    - cvetrail run
  allow_failure:
    exit_codes: [1]
`

// mergifyRule is the .mergify.yml rule for merge mode none: merge the
// report branch when it is not labelled for review. Each condition is one
// quoted YAML string ("label!=new CVE"), which Mergify splits at the
// operator.
func mergifyRule(branch, label string) string {
	return fmt.Sprintf(`pull_request_rules:
  - name: merge the cvetrail report when nothing needs review
    conditions:
      - %s
      - %s
    actions:
      merge:
        method: merge
`, yamlQuote("head="+branch), yamlQuote("label!="+label))
}

func yamlQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

func newInitCmd(a *app) *cobra.Command {
	o := &initOpts{}
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write cvetrail.yaml, and optionally a CI workflow and a Mergify rule",
		Long: `Init writes a commented cvetrail.yaml at the repository root.

--ci github also writes .github/workflows/cvetrail.yml, a daily run of the
cvetrail action in at most 15 lines, and sets forge: github; --ci gitlab
adds a scheduled job to .gitlab-ci.yml (appended when the file exists) and
sets forge: gitlab. --mergify writes .mergify.yml merging the report branch
when it is not labelled for review, and sets merge.mode none so that the
merge is left to Mergify. --branch and --label name the report branch and
the review label in both files.

Existing files are refused unless --force; an existing cvetrail.yaml is
kept (and read for the branch and the label) when only CI files or the
Mergify rule are asked for. --force on .gitlab-ci.yml replaces only its
cvetrail job.` + exitCodesHelp,
		Example: `  cvetrail init --ci github
  cvetrail init --ci gitlab
  cvetrail init --ci github --mergify --label needs-triage`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.branchSet, o.labelSet = cmd.Flags().Changed("branch"), cmd.Flags().Changed("label")
			return runInit(cmd.Context(), a, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.ci, "ci", "", "also write a CI workflow: github or gitlab")
	f.BoolVar(&o.mergify, "mergify", false, "also write .mergify.yml (and set merge.mode none)")
	f.BoolVar(&o.force, "force", false, "overwrite existing files")
	f.StringVar(&o.branch, "branch", config.DefaultBranch, "the report `BRANCH`")
	f.StringVar(&o.label, "label", config.DefaultReviewLabel, "the review `LABEL`")
	return cmd
}

// initConfig is the template with the forge, the merge mode, the branch
// and the label init was asked for, checked to parse.
func initConfig(o *initOpts) (string, error) {
	s := config.Template
	set := func(pattern, value string) {
		s = regexp.MustCompile(`(?m)^`+pattern+`\b`).ReplaceAllLiteralString(s, value)
	}
	if o.ci != "" {
		set(`forge: none`, "forge: "+o.ci)
	}
	if o.mergify {
		set(`  mode: api`, "  mode: none")
	}
	if o.branch != config.DefaultBranch {
		set(`branch: `+regexp.QuoteMeta(config.DefaultBranch), "branch: "+yamlQuote(o.branch))
	}
	if o.label != config.DefaultReviewLabel {
		set(`  review: `+regexp.QuoteMeta(config.DefaultReviewLabel), "  review: "+yamlQuote(o.label))
	}
	if _, err := config.Parse(ledger.ConfigFile, []byte(s)); err != nil {
		return "", usageErr(err)
	}
	return s, nil
}

func runInit(ctx context.Context, a *app, o *initOpts) error {
	if o.ci != "" && o.ci != "github" && o.ci != "gitlab" {
		return usageErr(fmt.Errorf("--ci %q: want github or gitlab", o.ci))
	}
	root, err := repoRoot(ctx, a)
	if err != nil {
		return err
	}
	exists := func(p string) bool {
		_, err := os.Stat(filepath.Join(root, p))
		return err == nil
	}
	type file struct{ path, content string }
	var files []file
	var refused []string

	// cvetrail.yaml: kept when it exists and only other files are asked
	// for; its branch and label then go into the Mergify rule.
	onlyConfig := o.ci == "" && !o.mergify
	switch {
	case !exists(ledger.ConfigFile) || o.force:
		c, err := initConfig(o)
		if err != nil {
			return err
		}
		files = append(files, file{ledger.ConfigFile, c})
	case onlyConfig:
		refused = append(refused, ledger.ConfigFile)
	default:
		cfg, err := loadConfig(root, true)
		if err != nil {
			return err
		}
		if !o.branchSet {
			o.branch = cfg.Branch
		}
		if !o.labelSet {
			o.label = cfg.Labels.Review
		}
		if o.ci != "" && cfg.Forge != o.ci {
			a.log.Warn(fmt.Sprintf("kept %s, which has forge: %s; set forge: %s for the CI job to keep a %s", ledger.ConfigFile, cfg.Forge, o.ci, requestKind(o.ci)))
		}
		if o.mergify && cfg.Merge.Mode != "none" {
			a.log.Warn(fmt.Sprintf("kept %s, which has merge.mode %s; set it to none to leave merging to Mergify", ledger.ConfigFile, cfg.Merge.Mode))
		}
	}

	switch o.ci {
	case "github":
		if exists(githubWorkflowFile) && !o.force {
			refused = append(refused, githubWorkflowFile)
		}
		files = append(files, file{githubWorkflowFile, GitHubWorkflow})
	case "gitlab":
		content, err := gitlabCI(root, o.force)
		if errors.Is(err, errJobExists) {
			refused = append(refused, gitlabCIFile+" (its cvetrail job)")
		} else if err != nil {
			return err
		}
		files = append(files, file{gitlabCIFile, content})
	}
	if o.mergify {
		if exists(mergifyFile) && !o.force {
			refused = append(refused, mergifyFile)
		}
		files = append(files, file{mergifyFile, mergifyRule(o.branch, o.label)})
	}
	// Check every file before writing any.
	if len(refused) > 0 {
		return usageErr(fmt.Errorf("%s already exists", strings.Join(refused, ", ")), "pass --force to overwrite")
	}
	for _, f := range files {
		full := filepath.Join(root, filepath.FromSlash(f.path))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return usageErr(err)
		}
		if err := ledger.AtomicWriteFile(ctx, full, []byte(f.content), 0o644); err != nil {
			return usageErr(fmt.Errorf("writing %s: %w", f.path, err))
		}
		fmt.Fprintf(a.env.Stdout, "wrote %s\n", f.path)
	}
	return nil
}

func requestKind(forge string) string {
	if forge == "gitlab" {
		return "merge request"
	}
	return "pull request"
}

var errJobExists = errors.New("the cvetrail job exists")

// gitlabCI returns .gitlab-ci.yml with the cvetrail job: the job alone for
// a new file, appended to an existing one, or, with force, in place of the
// existing cvetrail job (its comment lines included), the other jobs left
// as they are.
func gitlabCI(root string, force bool) (string, error) {
	old, err := os.ReadFile(filepath.Join(root, gitlabCIFile))
	if errors.Is(err, os.ErrNotExist) {
		return GitLabJob, nil
	}
	if err != nil {
		return "", usageErr(fmt.Errorf("reading %s: %w", gitlabCIFile, err))
	}
	lines := strings.Split(strings.ReplaceAll(string(old), "\r\n", "\n"), "\n")
	start := -1
	for i, l := range lines {
		if l == "cvetrail:" || strings.HasPrefix(l, "cvetrail: ") || strings.HasPrefix(l, "cvetrail:#") {
			start = i
			break
		}
	}
	if start < 0 {
		return strings.TrimRight(string(old), "\n") + "\n\n" + GitLabJob, nil
	}
	if !force {
		return "", errJobExists
	}
	end := start + 1
	for end < len(lines) && (lines[end] == "" || strings.HasPrefix(lines[end], " ") || strings.HasPrefix(lines[end], "\t")) {
		end++
	}
	for start > 0 && strings.HasPrefix(lines[start-1], "#") {
		start--
	}
	before := strings.TrimRight(strings.Join(lines[:start], "\n"), "\n")
	after := strings.TrimLeft(strings.Join(lines[end:], "\n"), "\n")
	out := GitLabJob
	if before != "" {
		out = before + "\n\n" + out
	}
	if after != "" {
		out += "\n" + after
	}
	return out, nil
}
