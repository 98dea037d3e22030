package gitlab_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/cvetrail/cvetrail/internal/forge/gitlab"
)

func TestConfigFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		origin  string
		want    gitlab.Config
		wantErr string
	}{
		{
			name: "GitLab CI with a project access token",
			env: map[string]string{
				"GITLAB_TOKEN": "glpat-x", "CI_JOB_TOKEN": "job-x",
				"CI_API_V4_URL": "https://gitlab.example.com/api/v4", "CI_PROJECT_ID": "42",
				"CI_PROJECT_PATH": "group/app",
			},
			origin: "https://gitlab-ci-token:job-x@gitlab.example.com/group/app.git",
			want:   gitlab.Config{BaseURL: "https://gitlab.example.com/api/v4", Token: "glpat-x", TokenKind: gitlab.TokenPrivate, Project: "42"},
		},
		{
			name: "GitLab CI with only the job token",
			env: map[string]string{
				"CI_JOB_TOKEN": "job-x", "CI_SERVER_URL": "https://gitlab.example.com/", "CI_PROJECT_PATH": "group/app",
			},
			want: gitlab.Config{BaseURL: "https://gitlab.example.com/api/v4", Token: "job-x", TokenKind: gitlab.TokenJob, Project: "group/app"},
		},
		{
			name:   "outside CI, https origin with credentials",
			env:    map[string]string{"GITLAB_TOKEN": "glpat-x"},
			origin: "https://oauth2:s3cret@gitlab.example.com:8443/group/sub/app.git",
			want:   gitlab.Config{BaseURL: "https://gitlab.example.com:8443/api/v4", Token: "glpat-x", TokenKind: gitlab.TokenPrivate, Project: "group/sub/app"},
		},
		{
			name:   "scp-like ssh origin",
			env:    map[string]string{"GITLAB_TOKEN": "glpat-x"},
			origin: "git@gitlab.example.com:group/app.git",
			want:   gitlab.Config{BaseURL: "https://gitlab.example.com/api/v4", Token: "glpat-x", TokenKind: gitlab.TokenPrivate, Project: "group/app"},
		},
		{
			name:   "ssh URL origin with a port",
			env:    map[string]string{"GITLAB_TOKEN": "glpat-x"},
			origin: "ssh://git@gitlab.example.com:2222/group/app.git",
			want:   gitlab.Config{BaseURL: "https://gitlab.example.com/api/v4", Token: "glpat-x", TokenKind: gitlab.TokenPrivate, Project: "group/app"},
		},
		{
			name:    "no token",
			env:     map[string]string{"CI_PROJECT_ID": "42"},
			wantErr: "GITLAB_TOKEN",
		},
		{
			name:    "no project anywhere",
			env:     map[string]string{"GITLAB_TOKEN": "glpat-x"},
			origin:  "https://oauth2:s3cret@gitlab.example.com",
			wantErr: "CI_PROJECT_ID",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := gitlab.ConfigFromEnv(func(k string) string { return tt.env[k] }, tt.origin)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to mention %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "s3cret") {
					t.Errorf("error leaks the origin's password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ConfigFromEnv: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(gitlab.Config{}, "HTTPClient", "Sleep", "Now", "Getenv")); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
			if got.Getenv == nil || got.Getenv("GIT_CONFIG_COUNT") != tt.env["GIT_CONFIG_COUNT"] {
				t.Errorf("Getenv is not the environment read")
			}
		})
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  gitlab.Config
		want string
	}{
		{"no token", gitlab.Config{Project: "a/b"}, "token"},
		{"no project", gitlab.Config{Token: "t"}, "project"},
		{"bad kind", gitlab.Config{Token: "t", Project: "a/b", TokenKind: "oauth"}, "token kind"},
		{"bad URL", gitlab.Config{Token: "t", Project: "a/b", BaseURL: "gitlab.example.com/api/v4"}, "base URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := gitlab.New(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}
