package github_test

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cvetrail/cvetrail/internal/forge/github"
)

func pushClient(t *testing.T, apiURL string, env map[string]string) *github.Client {
	t.Helper()
	c, err := github.New(github.Config{
		APIURL: apiURL,
		Token:  "ghs_pushToken",
		Owner:  owner,
		Repo:   repo,
		Getenv: func(k string) string { return env[k] },
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestPushEnv(t *testing.T) {
	header := "AUTHORIZATION: basic " + base64.StdEncoding.EncodeToString([]byte("x-access-token:ghs_pushToken"))
	for _, tc := range []struct {
		name   string
		api    string
		env    map[string]string
		remote string
		want   []string
	}{
		{
			name:   "github.com",
			api:    "",
			remote: "https://github.com/acme/images.git",
			want: []string{
				"GIT_CONFIG_KEY_0=http.https://github.com/.extraheader", "GIT_CONFIG_VALUE_0=",
				"GIT_CONFIG_KEY_1=http.https://github.com/.extraheader", "GIT_CONFIG_VALUE_1=" + header,
				"GIT_CONFIG_COUNT=2",
			},
		},
		{
			name:   "continues an existing GIT_CONFIG_COUNT",
			env:    map[string]string{"GIT_CONFIG_COUNT": "3"},
			remote: "https://github.com/acme/images",
			want: []string{
				"GIT_CONFIG_KEY_3=http.https://github.com/.extraheader", "GIT_CONFIG_VALUE_3=",
				"GIT_CONFIG_KEY_4=http.https://github.com/.extraheader", "GIT_CONFIG_VALUE_4=" + header,
				"GIT_CONFIG_COUNT=5",
			},
		},
		{
			name:   "enterprise server",
			api:    "https://ghe.example.com/api/v3/",
			remote: "https://GHE.example.com/acme/images.git",
			want: []string{
				"GIT_CONFIG_KEY_0=http.https://ghe.example.com/.extraheader", "GIT_CONFIG_VALUE_0=",
				"GIT_CONFIG_KEY_1=http.https://ghe.example.com/.extraheader", "GIT_CONFIG_VALUE_1=" + header,
				"GIT_CONFIG_COUNT=2",
			},
		},
		{name: "another host never gets the token", remote: "https://gitlab.com/acme/images.git"},
		{name: "a look-alike host", remote: "https://github.com.evil.example/acme/images.git"},
		{name: "plain http to github.com", remote: "http://github.com/acme/images.git"},
		{name: "ssh authenticates itself", remote: "git@github.com:acme/images.git"},
		{name: "ssh URL", remote: "ssh://git@github.com/acme/images.git"},
		{name: "local bare repository", remote: "/tmp/remote.git"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api := tc.api
			if api == "" {
				api = github.DefaultAPIURL
			}
			got := pushClient(t, api, tc.env).PushEnv(tc.remote)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("PushEnv(%q) (-want +got):\n%s", tc.remote, diff)
			}
		})
	}
}

// TestPushEnvWithRealGit runs git against a local HTTP server standing in
// for GitHub: exactly our header arrives, even when the repository
// carries one persisted by actions/checkout, and an earlier
// GIT_CONFIG_COUNT entry still applies.
func TestPushEnvWithRealGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	var mu sync.Mutex
	var auths, agents []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auths = append(auths, r.Header.Values("Authorization")...)
		agents = append(agents, r.UserAgent())
		mu.Unlock()
		http.NotFound(w, r)
	}))
	defer srv.Close()

	dir := t.TempDir()
	repoDir := filepath.Join(dir, "repo")
	base := []string{
		"HOME=" + dir, "XDG_CONFIG_HOME=" + dir, "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0",
		"PATH=" + os.Getenv("PATH"),
		"GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=http.userAgent", "GIT_CONFIG_VALUE_0=cvetrail-test",
	}
	git := func(env []string, args ...string) (string, error) {
		cmd := exec.Command("git", args...)
		cmd.Env = env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		return out.String(), err
	}
	if out, err := git(base, "init", "-q", repoDir); err != nil {
		t.Fatalf("git init: %v\n%s", err, out)
	}
	// What actions/checkout persists.
	if out, err := git(base, "-C", repoDir, "config", "--local", "http."+srv.URL+"/.extraheader", "AUTHORIZATION: basic b2xkOm9sZA=="); err != nil {
		t.Fatalf("git config: %v\n%s", err, out)
	}

	env := map[string]string{"GIT_CONFIG_COUNT": "1"}
	c := pushClient(t, srv.URL+"/api/v3/", env)
	remote := srv.URL + "/acme/images.git"
	extra := c.PushEnv(remote)
	if len(extra) == 0 {
		t.Fatal("PushEnv gave nothing for the server's own host")
	}
	lsRemote := func(env []string) []string {
		t.Helper()
		mu.Lock()
		auths, agents = nil, nil
		mu.Unlock()
		if out, err := git(env, "-C", repoDir, "ls-remote", remote); err == nil {
			t.Fatalf("ls-remote against a 404 server succeeded:\n%s", out)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(auths) == 0 {
			t.Fatal("git sent no request")
		}
		for _, a := range agents {
			if a != "cvetrail-test" {
				t.Errorf("User-Agent %q: the existing GIT_CONFIG entry was lost", a)
			}
		}
		return auths
	}
	want := "basic " + base64.StdEncoding.EncodeToString([]byte("x-access-token:ghs_pushToken"))

	// Control: without the reset, git sends checkout's header too.
	control := append(base[:len(base):len(base)],
		"GIT_CONFIG_KEY_1=http."+srv.URL+"/.extraheader", "GIT_CONFIG_VALUE_1=AUTHORIZATION: "+want, "GIT_CONFIG_COUNT=2")
	if got := lsRemote(control); len(got) < 2 {
		t.Fatalf("control run sent %q; the test cannot see a duplicate header", got)
	}

	for _, a := range lsRemote(append(base, extra...)) {
		if a != want {
			t.Errorf("server got Authorization %q; want only %q", a, want)
		}
	}
	cfg, err := os.ReadFile(filepath.Join(repoDir, ".git", "config"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(cfg), "ghs_pushToken") || strings.Contains(string(cfg), want) {
		t.Error("the token reached .git/config")
	}
}
