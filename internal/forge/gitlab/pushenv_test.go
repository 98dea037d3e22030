package gitlab_test

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cvetrail/cvetrail/internal/forge/gitlab"
)

func newClientAt(t *testing.T, token, kind, base string, env map[string]string) *gitlab.Client {
	t.Helper()
	c, err := gitlab.New(gitlab.Config{Token: token, TokenKind: kind, Project: "group/app", BaseURL: base,
		Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestPushEnv(t *testing.T) {
	basic := func(user, token string) string {
		return "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+token))
	}
	const base, port = "https://gitlab.example.com/api/v4", "https://gitlab.example.com:8443/api/v4"
	tests := []struct {
		name, kind, base, remote string
		env                      map[string]string
		want                     []string
	}{
		{"private token", gitlab.TokenPrivate, base, "https://gitlab.example.com/group/app.git", nil, []string{
			"GIT_CONFIG_KEY_0=http.https://gitlab.example.com/.extraheader",
			"GIT_CONFIG_VALUE_0=",
			"GIT_CONFIG_KEY_1=http.https://gitlab.example.com/.extraheader",
			"GIT_CONFIG_VALUE_1=" + basic("oauth2", "tok-123"),
			"GIT_CONFIG_COUNT=2",
		}},
		{"job token, a port", gitlab.TokenJob, port, "https://GitLab.example.com:8443/group/app.git", nil, []string{
			"GIT_CONFIG_KEY_0=http.https://gitlab.example.com:8443/.extraheader",
			"GIT_CONFIG_VALUE_0=",
			"GIT_CONFIG_KEY_1=http.https://gitlab.example.com:8443/.extraheader",
			"GIT_CONFIG_VALUE_1=" + basic("gitlab-ci-token", "tok-123"),
			"GIT_CONFIG_COUNT=2",
		}},
		{"after the environment's own entries", gitlab.TokenPrivate, base, "https://gitlab.example.com/group/app.git", map[string]string{"GIT_CONFIG_COUNT": "3"}, []string{
			"GIT_CONFIG_KEY_3=http.https://gitlab.example.com/.extraheader",
			"GIT_CONFIG_VALUE_3=",
			"GIT_CONFIG_KEY_4=http.https://gitlab.example.com/.extraheader",
			"GIT_CONFIG_VALUE_4=" + basic("oauth2", "tok-123"),
			"GIT_CONFIG_COUNT=5",
		}},
		{"ssh remote", gitlab.TokenPrivate, base, "git@gitlab.example.com:group/app.git", nil, nil},
		{"another host: no token", gitlab.TokenPrivate, base, "https://mirror.example.org/group/app.git", nil, nil},
		{"another port: no token", gitlab.TokenPrivate, base, "https://gitlab.example.com:8443/group/app.git", nil, nil},
		{"plain http to an https GitLab: no token", gitlab.TokenPrivate, base, "http://gitlab.example.com/group/app.git", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := newClientAt(t, "tok-123", tt.kind, tt.base, tt.env).PushEnv(tt.remote)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("PushEnv =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			for _, kv := range got {
				if strings.Contains(kv, "tok-123") {
					t.Errorf("token in clear in %q", kv)
				}
			}
		})
	}
}

// gitServer serves bare repositories under root through git-http-backend,
// letting in only requests that carry want as their Authorization.
type gitServer struct {
	*httptest.Server
	mu     sync.Mutex
	seen   []string // request URIs
	denied int
}

func newGitServer(t *testing.T, root, want string) *gitServer {
	t.Helper()
	execPath, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		t.Fatalf("git --exec-path: %v", err)
	}
	backend := &cgi.Handler{
		Path: filepath.Join(strings.TrimSpace(string(execPath)), "git-http-backend"),
		Env:  []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1", "REMOTE_USER=cvetrail"},
	}
	gs := &gitServer{}
	gs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gs.mu.Lock()
		gs.seen = append(gs.seen, r.RequestURI)
		ok := r.Header.Get("Authorization") == want
		if !ok {
			gs.denied++
		}
		gs.mu.Unlock()
		if !ok {
			w.Header().Set("WWW-Authenticate", `Basic realm="GitLab"`)
			http.Error(w, "HTTP Basic: Access denied", http.StatusUnauthorized)
			return
		}
		backend.ServeHTTP(w, r)
	}))
	t.Cleanup(gs.Close)
	return gs
}

func git(t *testing.T, dir string, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(gitEnv(t), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func gitEnv(t *testing.T) []string {
	home := t.TempDir()
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GIT_") && !strings.HasPrefix(kv, "HOME=") {
			env = append(env, kv)
		}
	}
	return append(env,
		"HOME="+home, "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0", "GIT_ASKPASS=/bin/false",
		"GIT_AUTHOR_NAME=cvetrail", "GIT_AUTHOR_EMAIL=cvetrail@example.com", "GIT_AUTHOR_DATE=2026-03-01T06:00:00Z",
		"GIT_COMMITTER_NAME=cvetrail", "GIT_COMMITTER_EMAIL=cvetrail@example.com", "GIT_COMMITTER_DATE=2026-03-01T06:00:00Z",
	)
}

func TestPushEnvAuthenticatesARealPush(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	const token = "glpat-PUSHsecret0123456789"
	for _, kind := range []string{gitlab.TokenPrivate, gitlab.TokenJob} {
		t.Run(kind, func(t *testing.T) {
			user := "oauth2"
			if kind == gitlab.TokenJob {
				user = "gitlab-ci-token"
			}
			root := t.TempDir()
			if out, err := git(t, root, nil, "init", "-q", "--bare", "app.git"); err != nil {
				t.Fatalf("git init --bare: %v\n%s", err, out)
			}
			srv := newGitServer(t, root, "Basic "+base64.StdEncoding.EncodeToString([]byte(user+":"+token)))
			remote := srv.URL + "/app.git"

			work := t.TempDir()
			for _, args := range [][]string{
				{"init", "-q", "-b", "main"},
				{"commit", "-q", "--allow-empty", "-m", "report"},
			} {
				if out, err := git(t, work, nil, args...); err != nil {
					t.Fatalf("git %v: %v\n%s", args, err, out)
				}
			}

			if out, err := git(t, work, nil, "push", remote, "HEAD:refs/heads/cvetrail/report"); err == nil {
				t.Fatalf("push without PushEnv succeeded:\n%s", out)
			}
			env := newClientAt(t, token, kind, srv.URL+"/api/v4", nil).PushEnv(remote)
			if out, err := git(t, work, env, "push", remote, "HEAD:refs/heads/cvetrail/report"); err != nil {
				t.Fatalf("push with PushEnv: %v\n%s", err, out)
			}

			pushed, err := git(t, filepath.Join(root, "app.git"), nil, "rev-parse", "refs/heads/cvetrail/report")
			if err != nil {
				t.Fatalf("branch not on the remote: %v\n%s", err, pushed)
			}
			local, _ := git(t, work, nil, "rev-parse", "HEAD")
			if pushed != local {
				t.Errorf("remote has %s, local HEAD %s", pushed, local)
			}
			cfg, err := os.ReadFile(filepath.Join(work, ".git", "config"))
			if err != nil {
				t.Fatal(err)
			}
			enc := base64.StdEncoding.EncodeToString([]byte(user + ":" + token))
			if strings.Contains(string(cfg), token) || strings.Contains(string(cfg), enc) {
				t.Errorf(".git/config holds the token:\n%s", cfg)
			}
			srv.mu.Lock()
			defer srv.mu.Unlock()
			for _, uri := range srv.seen {
				if strings.Contains(uri, token) {
					t.Errorf("token in request URI %q", uri)
				}
			}
		})
	}
}
