package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
}

// GitHubWorkflow is the workflow `cvetrail init --ci github` writes: a daily
// run with least-privilege permissions. It must stay at most 15 lines.
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
      - uses: actions/checkout@v4
      - uses: cvetrail/cvetrail@v1
`

// GitLabJob is the job `cvetrail init --ci gitlab` writes into
// .gitlab-ci.yml; it runs from a pipeline schedule.
const GitLabJob = `# cvetrail: the daily vulnerability report. Create a pipeline schedule
# (CI/CD > Schedules) and a project access token with the api scope in the
# GITLAB_TOKEN variable (role Developer).
cvetrail:
  image: golang:1.26
  rules:
    - if: $CI_PIPELINE_SOURCE == "schedule" || $CI_PIPELINE_SOURCE == "web"
  variables:
    GIT_DEPTH: "0"
    TRIVY_CACHE_DIR: .cache/trivy
  cache:
    key: cvetrail-trivy-db
    paths: [.cache/trivy]
  before_script:
    - go install github.com/cvetrail/cvetrail/cmd/cvetrail@latest
    - curl -sfL https://raw.githubusercontent.com/aquasecurity/trivy/main/contrib/install.sh | sh -s -- -b /usr/local/bin v0.74.0
    - git checkout -B "$CI_DEFAULT_BRANCH" "origin/$CI_DEFAULT_BRANCH"
  script:
    - cvetrail run
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
		Long: `Init writes a commented cvetrail.yaml at the repository root. --ci github
writes .github/workflows/cvetrail.yml (a daily run, 12 lines); --ci gitlab
writes a scheduled job into .gitlab-ci.yml (appended when the file exists);
--mergify writes .mergify.yml merging the report branch when it is not
labelled for review (use with merge: {mode: none}). Existing files are
kept unless --force.` + exitCodesHelp,
		Example: `  cvetrail init --ci github
  cvetrail init --ci gitlab
  cvetrail init --mergify --force`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runInit(cmd.Context(), a, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.ci, "ci", "", "also write a CI workflow: github or gitlab")
	f.BoolVar(&o.mergify, "mergify", false, "also write .mergify.yml")
	f.BoolVar(&o.force, "force", false, "overwrite existing files")
	f.StringVar(&o.branch, "branch", config.DefaultBranch, "report branch for the Mergify rule")
	f.StringVar(&o.label, "label", config.DefaultReviewLabel, "review label for the Mergify rule")
	return cmd
}

func runInit(ctx context.Context, a *app, o *initOpts) error {
	if o.ci != "" && o.ci != "github" && o.ci != "gitlab" {
		return usageErr(fmt.Errorf("--ci %q: want github or gitlab", o.ci))
	}
	root, err := repoRoot(ctx, a)
	if err != nil {
		return err
	}
	type file struct {
		path, content string
		appendTo      bool
	}
	files := []file{{path: ledger.ConfigFile, content: config.Template}}
	switch o.ci {
	case "github":
		files = append(files, file{path: ".github/workflows/cvetrail.yml", content: GitHubWorkflow})
	case "gitlab":
		files = append(files, file{path: ".gitlab-ci.yml", content: GitLabJob, appendTo: true})
	}
	if o.mergify {
		files = append(files, file{path: ".mergify.yml", content: mergifyRule(o.branch, o.label)})
	}
	// Check every file before writing any.
	var exists []string
	for _, f := range files {
		if f.path == ledger.ConfigFile && !o.force {
			if _, err := os.Stat(filepath.Join(root, f.path)); err == nil && len(files) > 1 {
				continue // keep an existing configuration when only adding CI files
			}
		}
		if _, err := os.Stat(filepath.Join(root, f.path)); err == nil && !o.force && !f.appendTo {
			exists = append(exists, f.path)
		}
	}
	if len(exists) > 0 {
		return usageErr(fmt.Errorf("%s already exists", strings.Join(exists, ", ")), "pass --force to overwrite")
	}
	for _, f := range files {
		full := filepath.Join(root, f.path)
		content := f.content
		old, err := os.ReadFile(full)
		switch {
		case err == nil && f.path == ledger.ConfigFile && !o.force:
			continue
		case err == nil && f.appendTo:
			if strings.Contains(string(old), "\ncvetrail:") || strings.HasPrefix(string(old), "cvetrail:") {
				if !o.force {
					a.log.Info(f.path + " already has a cvetrail job")
					continue
				}
			} else {
				content = strings.TrimRight(string(old), "\n") + "\n\n" + f.content
			}
		case err != nil && !errors.Is(err, os.ErrNotExist):
			return usageErr(fmt.Errorf("reading %s: %w", f.path, err))
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return usageErr(err)
		}
		if err := ledger.AtomicWriteFile(ctx, full, []byte(content), 0o644); err != nil {
			return usageErr(fmt.Errorf("writing %s: %w", f.path, err))
		}
		fmt.Fprintf(a.env.Stdout, "wrote %s\n", f.path)
	}
	return nil
}
