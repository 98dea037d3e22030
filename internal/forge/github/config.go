package github

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultAPIURL is GitHub.com's REST API.
const DefaultAPIURL = "https://api.github.com/"

// Config says which repository to work on and how to reach it.
type Config struct {
	// APIURL is the REST base: https://api.github.com/ (the default) or,
	// for GitHub Enterprise Server, https://HOST/api/v3/. GraphQL is
	// reached next to it (https://api.github.com/graphql,
	// https://HOST/api/graphql).
	APIURL string
	// ServerURL is the web URL remotes are cloned from (https://github.com/);
	// derived from APIURL when empty. PushEnv authenticates only remotes
	// on this host.
	ServerURL string
	// Token is sent as a bearer token to APIURL's host only. It is never
	// logged and never part of an error.
	Token       string
	Owner, Repo string
	// HTTPClient supplies the transport and timeout; nil means
	// http.DefaultTransport and no timeout beyond the context's.
	HTTPClient *http.Client
	// Retry bounds retries; zero fields take DefaultRetry's.
	Retry RetryPolicy
	// Sleep waits between retries; nil means a timer honouring ctx.
	Sleep func(ctx context.Context, d time.Duration) error
	// Rand returns a number in [0,1) for jitter; nil means math/rand/v2.
	Rand func() float64
	// Now is the clock used to turn x-ratelimit-reset into a delay; nil
	// means time.Now.
	Now func() time.Time
	// Getenv reads the environment git push will inherit, so that PushEnv
	// can continue an existing GIT_CONFIG_COUNT; nil means an empty one.
	Getenv func(string) string
}

// ConfigFromEnv builds a Config the way a GitHub Actions step (or a
// developer with gh's GH_TOKEN) would expect: the token from GITHUB_TOKEN,
// then GH_TOKEN; the API from GITHUB_API_URL, else from the origin's
// host; the repository from GITHUB_REPOSITORY, else from originURL
// (https://github.com/o/r.git, git@github.com:o/r.git,
// ssh://git@host/o/r, any GitHub Enterprise host). originURL may be empty
// when GITHUB_REPOSITORY is set. The token is never part of an error.
func ConfigFromEnv(getenv func(string) string, originURL string) (Config, error) {
	cfg := Config{Getenv: getenv}
	cfg.Token = strings.TrimSpace(getenv("GITHUB_TOKEN"))
	if cfg.Token == "" {
		cfg.Token = strings.TrimSpace(getenv("GH_TOKEN"))
	}
	if cfg.Token == "" {
		return Config{}, errors.New("reading github token: neither GITHUB_TOKEN nor GH_TOKEN is set")
	}
	var originHost string
	if originURL != "" {
		host, owner, repo, err := ParseRemote(originURL)
		if err != nil {
			if getenv("GITHUB_REPOSITORY") == "" {
				return Config{}, err
			}
		} else {
			originHost, cfg.Owner, cfg.Repo = host, owner, repo
		}
	}
	if r := strings.TrimSpace(getenv("GITHUB_REPOSITORY")); r != "" {
		owner, repo, ok := strings.Cut(r, "/")
		if !ok || owner == "" || repo == "" || strings.Contains(repo, "/") {
			return Config{}, fmt.Errorf("reading GITHUB_REPOSITORY %q: want owner/repo", r)
		}
		cfg.Owner, cfg.Repo = owner, repo
	}
	if cfg.Owner == "" {
		return Config{}, errors.New("finding the github repository: set GITHUB_REPOSITORY or an origin remote on GitHub")
	}
	cfg.ServerURL = strings.TrimSpace(getenv("GITHUB_SERVER_URL"))
	switch api := strings.TrimSpace(getenv("GITHUB_API_URL")); {
	case api != "":
		cfg.APIURL = api
	case cfg.ServerURL != "":
		u, err := url.Parse(cfg.ServerURL)
		if err != nil || u.Host == "" {
			return Config{}, fmt.Errorf("reading GITHUB_SERVER_URL %q: not a URL", cfg.ServerURL)
		}
		cfg.APIURL = apiForHost(u.Scheme, u.Host)
	case originHost != "":
		cfg.APIURL = apiForHost("https", originHost)
	default:
		cfg.APIURL = DefaultAPIURL
	}
	if cfg.ServerURL == "" && originHost != "" && !strings.EqualFold(originHost, "github.com") {
		cfg.ServerURL = "https://" + originHost + "/"
	}
	return cfg, nil
}

func apiForHost(scheme, host string) string {
	if strings.EqualFold(host, "github.com") {
		return DefaultAPIURL
	}
	if scheme == "" {
		scheme = "https"
	}
	return scheme + "://" + host + "/api/v3/"
}

// ParseRemote splits a git remote URL into host, owner and repository:
// https://github.com/o/r(.git), git@github.com:o/r.git,
// ssh://git@host[:port]/o/r(.git), with any host.
func ParseRemote(remote string) (host, owner, repo string, err error) {
	fail := func() (string, string, string, error) {
		return "", "", "", fmt.Errorf("parsing remote %q: not a GitHub repository URL", redactURL(remote))
	}
	var p string
	if strings.Contains(remote, "://") {
		u, perr := url.Parse(remote)
		if perr != nil || u.Host == "" {
			return fail()
		}
		switch strings.ToLower(u.Scheme) {
		case "https", "http", "ssh", "git":
		default:
			return fail()
		}
		host, p = u.Host, u.Path
		if strings.EqualFold(u.Scheme, "ssh") || strings.EqualFold(u.Scheme, "git") {
			host = u.Hostname() // the ssh port says nothing about the web host
		}
	} else {
		// scp-like: [user@]host:owner/repo.git
		at := strings.LastIndex(remote, "@")
		rest := remote[at+1:]
		h, path, ok := strings.Cut(rest, ":")
		if !ok || h == "" || strings.Contains(h, "/") {
			return fail()
		}
		host, p = h, path
	}
	p = strings.TrimSuffix(strings.Trim(p, "/"), ".git")
	parts := strings.Split(p, "/")
	if len(parts) != 2 || parts[0] == "" || parts[1] == "" {
		return fail()
	}
	return strings.ToLower(host), parts[0], parts[1], nil
}

// redactURL drops user information (a token in https://x:TOKEN@host/…)
// from a URL meant for an error message.
func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil && u.User != nil {
		u.User = nil
		return u.String()
	}
	if at := strings.LastIndex(s, "@"); at >= 0 && !strings.Contains(s, "://") {
		return s[at+1:]
	}
	return s
}

// graphqlURL derives the GraphQL endpoint from the REST base.
func graphqlURL(api *url.URL) string {
	u := *api
	if strings.HasSuffix(u.Path, "/api/v3/") {
		u.Path = strings.TrimSuffix(u.Path, "v3/") + "graphql"
	} else {
		u.Path += "graphql"
	}
	return u.String()
}

// webURL derives the web host from the REST base: api.github.com →
// github.com, api.SUB.ghe.com → SUB.ghe.com, HOST/api/v3 → HOST.
func webURL(api *url.URL) *url.URL {
	u := &url.URL{Scheme: api.Scheme, Host: api.Host, Path: "/"}
	if strings.HasPrefix(strings.ToLower(api.Host), "api.") && !strings.HasSuffix(api.Path, "/api/v3/") {
		u.Host = api.Host[len("api."):]
	}
	return u
}

func (cfg *Config) withDefaults() {
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
	}
	if !strings.HasSuffix(cfg.APIURL, "/") {
		cfg.APIURL += "/"
	}
	if cfg.Retry.MaxAttempts <= 0 {
		cfg.Retry.MaxAttempts = DefaultRetry.MaxAttempts
	}
	if cfg.Retry.BaseDelay <= 0 {
		cfg.Retry.BaseDelay = DefaultRetry.BaseDelay
	}
	if cfg.Retry.MaxDelay <= 0 {
		cfg.Retry.MaxDelay = DefaultRetry.MaxDelay
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleepCtx
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Float64
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Getenv == nil {
		cfg.Getenv = func(string) string { return "" }
	}
}
