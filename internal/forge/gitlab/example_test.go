package gitlab_test

import (
	"fmt"

	"github.com/cvetrail/cvetrail/internal/forge/gitlab"
)

func ExampleConfigFromEnv() {
	// The variables of a GitLab CI job with a project access token stored
	// as the masked variable GITLAB_TOKEN.
	env := map[string]string{
		"GITLAB_TOKEN":  "glpat-example",
		"CI_JOB_TOKEN":  "job-example",
		"CI_API_V4_URL": "https://gitlab.example.com/api/v4",
		"CI_PROJECT_ID": "1234",
	}
	cfg, err := gitlab.ConfigFromEnv(func(k string) string { return env[k] }, "")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.BaseURL, cfg.Project, cfg.TokenKind)

	// Outside CI the origin remote names host and project.
	local := func(k string) string {
		if k == "GITLAB_TOKEN" {
			return "glpat-example"
		}
		return ""
	}
	cfg, _ = gitlab.ConfigFromEnv(local, "git@gitlab.example.com:group/app.git")
	fmt.Println(cfg.BaseURL, cfg.Project)
	// Output:
	// https://gitlab.example.com/api/v4 1234 private
	// https://gitlab.example.com/api/v4 group/app
}
