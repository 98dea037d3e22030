package github_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/cvetrail/cvetrail/internal/forge/github"
)

func TestParseRemote(t *testing.T) {
	for _, tc := range []struct {
		remote            string
		host, owner, repo string
	}{
		{"https://github.com/acme/images.git", "github.com", "acme", "images"},
		{"https://github.com/acme/images", "github.com", "acme", "images"},
		{"https://github.com/acme/images/", "github.com", "acme", "images"},
		{"https://x-access-token:secret@github.com/acme/images.git", "github.com", "acme", "images"},
		{"git@github.com:acme/images.git", "github.com", "acme", "images"},
		{"github.com:acme/images", "github.com", "acme", "images"},
		{"ssh://git@github.com/acme/images.git", "github.com", "acme", "images"},
		{"ssh://git@ghe.example.com:2222/acme/images", "ghe.example.com", "acme", "images"},
		{"https://GHE.example.com/acme/images.git", "ghe.example.com", "acme", "images"},
		{"https://ghe.example.com:8443/acme/images.git", "ghe.example.com:8443", "acme", "images"},
	} {
		host, o, r, err := github.ParseRemote(tc.remote)
		if err != nil || host != tc.host || o != tc.owner || r != tc.repo {
			t.Errorf("ParseRemote(%q) = %q, %q, %q, %v; want %q, %q, %q", tc.remote, host, o, r, err, tc.host, tc.owner, tc.repo)
		}
	}
	for _, bad := range []string{"", "/srv/git/images.git", "file:///srv/images.git", "https://github.com/acme", "https://github.com/a/b/c", "git@github.com:images.git"} {
		if _, _, _, err := github.ParseRemote(bad); err == nil {
			t.Errorf("ParseRemote(%q) accepted", bad)
		}
	}
	_, _, _, err := github.ParseRemote("https://user:hunter2@github.com/only-owner")
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("err = %v, want an error without the password", err)
	}
}

func TestConfigFromEnv(t *testing.T) {
	for _, tc := range []struct {
		name   string
		env    map[string]string
		origin string
		want   github.Config
	}{
		{
			name:   "GitHub Actions",
			env:    map[string]string{"GITHUB_TOKEN": "t1", "GITHUB_REPOSITORY": "acme/images", "GITHUB_API_URL": "https://api.github.com", "GITHUB_SERVER_URL": "https://github.com"},
			origin: "https://github.com/acme/images",
			want:   github.Config{Token: "t1", Owner: "acme", Repo: "images", APIURL: "https://api.github.com", ServerURL: "https://github.com"},
		},
		{
			name:   "developer with gh's token and an ssh origin",
			env:    map[string]string{"GH_TOKEN": "t2"},
			origin: "git@github.com:acme/images.git",
			want:   github.Config{Token: "t2", Owner: "acme", Repo: "images", APIURL: "https://api.github.com/"},
		},
		{
			name:   "GITHUB_TOKEN wins over GH_TOKEN, GITHUB_REPOSITORY over the origin",
			env:    map[string]string{"GITHUB_TOKEN": "t1", "GH_TOKEN": "t2", "GITHUB_REPOSITORY": "acme/other"},
			origin: "https://github.com/acme/images.git",
			want:   github.Config{Token: "t1", Owner: "acme", Repo: "other", APIURL: "https://api.github.com/"},
		},
		{
			name:   "enterprise server from the origin",
			env:    map[string]string{"GITHUB_TOKEN": "t1"},
			origin: "https://ghe.example.com/acme/images.git",
			want:   github.Config{Token: "t1", Owner: "acme", Repo: "images", APIURL: "https://ghe.example.com/api/v3/", ServerURL: "https://ghe.example.com/"},
		},
		{
			name: "enterprise server from GITHUB_SERVER_URL",
			env:  map[string]string{"GITHUB_TOKEN": "t1", "GITHUB_REPOSITORY": "acme/images", "GITHUB_SERVER_URL": "https://ghe.example.com"},
			want: github.Config{Token: "t1", Owner: "acme", Repo: "images", APIURL: "https://ghe.example.com/api/v3/", ServerURL: "https://ghe.example.com"},
		},
		{
			name:   "an origin that is no URL is fine with GITHUB_REPOSITORY",
			env:    map[string]string{"GITHUB_TOKEN": "t1", "GITHUB_REPOSITORY": "acme/images"},
			origin: "/srv/git/images.git",
			want:   github.Config{Token: "t1", Owner: "acme", Repo: "images", APIURL: "https://api.github.com/"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := github.ConfigFromEnv(func(k string) string { return tc.env[k] }, tc.origin)
			if err != nil {
				t.Fatal(err)
			}
			if got.Getenv == nil {
				t.Error("Getenv not kept for PushEnv")
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.IgnoreFields(github.Config{}, "Getenv")); diff != "" {
				t.Errorf("Config (-want +got):\n%s", diff)
			}
			if _, err := github.New(got); err != nil {
				t.Errorf("New: %v", err)
			}
		})
	}
}

func TestConfigFromEnvErrors(t *testing.T) {
	const secret = "ghs_verySecret"
	for _, tc := range []struct {
		name   string
		env    map[string]string
		origin string
		want   string
	}{
		{"no token", map[string]string{"GITHUB_REPOSITORY": "acme/images"}, "", "GITHUB_TOKEN nor GH_TOKEN"},
		{"no repository", map[string]string{"GITHUB_TOKEN": secret}, "", "GITHUB_REPOSITORY"},
		{"bad repository", map[string]string{"GITHUB_TOKEN": secret, "GITHUB_REPOSITORY": "images"}, "", "owner/repo"},
		{"origin not on a forge", map[string]string{"GITHUB_TOKEN": secret}, "/srv/git/images.git", "not a GitHub repository URL"},
		{"origin with a password", map[string]string{"GITHUB_TOKEN": secret}, "https://x:" + secret + "@github.com/acme", "not a GitHub repository URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := github.ConfigFromEnv(func(k string) string { return tc.env[k] }, tc.origin)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("the token leaked: %v", err)
			}
		})
	}
}
