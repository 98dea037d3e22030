// Package gitlab keeps the merge request of a cvetrail report branch on
// GitLab: one merge request per report branch, found or created, its title,
// description and labels kept in line with the report, merged (or set to
// auto-merge) when nothing needs a human, and closed together with its
// branch when the report returns to what the base has.
//
// It implements forge.Forge on the GitLab REST API (v4) through
// gitlab.com/gitlab-org/api/client-go. The library's own retries and rate
// limiter are switched off: every call goes through one bounded retry loop
// (see RetryPolicy) whose waits go through an injectable Sleep.
//
// # Tokens
//
// A private token (GITLAB_TOKEN: a project, group or personal access token,
// sent as PRIVATE-TOKEN) needs the scope `api` and at least the Developer
// role on the project; merging into a protected target branch needs a role
// allowed to merge there.
//
// A CI/CD job token (CI_JOB_TOKEN, sent as JOB-TOKEN) reaches only a short
// list of endpoints (packages, releases, deployments, jobs, …). It cannot
// list, create, update or merge merge requests, manage labels, add notes or
// delete branches, so every call Sync and Close make fails with it on
// current GitLab versions; the error then carries a hint to set
// GITLAB_TOKEN. It can push the report branch where the project allows Git
// pushes with job tokens (GitLab 17.2 and later, off by default), so
// PushEnv supports it.
//
// # A merge request closed by hand
//
// When no merge request is open for the report branch but the newest one
// for the same source and target branch was closed without being merged,
// Sync reopens it (state_event=reopen) rather than creating another: the
// branch keeps a single merge request with its whole discussion, and
// closing it by hand is not a way to dismiss findings (acknowledging them
// with `cvetrail ack` is). If GitLab refuses to reopen it, Sync creates a
// new one. When the newest one was merged at exactly the requested head
// commit, the report is already in the base and Sync writes nothing.
package gitlab

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go/v2"

	"github.com/cvetrail/cvetrail/internal/forge"
)

// Token kinds.
const (
	TokenPrivate = "private" // GITLAB_TOKEN, header PRIVATE-TOKEN
	TokenJob     = "job"     // CI_JOB_TOKEN, header JOB-TOKEN
)

// DefaultBaseURL is the API of gitlab.com.
const DefaultBaseURL = "https://gitlab.com/api/v4"

// Limits GitLab enforces on a merge request.
const (
	MaxTitle       = 255       // characters
	MaxDescription = 1_048_576 // characters
)

// Config says which GitLab project to talk to and how.
type Config struct {
	// BaseURL is the API root, CI_API_V4_URL in GitLab CI, for example
	// https://gitlab.com/api/v4. Empty means DefaultBaseURL.
	BaseURL string
	// Token is GITLAB_TOKEN or CI_JOB_TOKEN. It is sent only in a header
	// and never appears in errors.
	Token string
	// TokenKind is TokenPrivate (the default) or TokenJob.
	TokenKind string
	// Project is the numeric project ID (CI_PROJECT_ID) or its path
	// ("group/subgroup/project").
	Project string
	// HTTPClient is used for every call; nil means a client with a
	// two-minute timeout.
	HTTPClient *http.Client
	// Retry bounds retries of 5xx and 429 answers.
	Retry RetryPolicy
	// Sleep waits between attempts; nil means a timer honouring ctx.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock used to read RateLimit-Reset and HTTP-date
	// Retry-After headers; nil means time.Now.
	Now func() time.Time
	// Getenv reads the environment git push will inherit, so that
	// PushEnv extends its GIT_CONFIG_COUNT; nil means an empty one.
	Getenv func(string) string
}

// Client is a forge.Forge for one GitLab project.
type Client struct {
	api     *gl.Client
	project string
	token   string
	kind    string
	retry   RetryPolicy
	sleep   func(context.Context, time.Duration) error
	now     func() time.Time
	jitter  func() float64
	web     *url.URL // scheme (lower case) and host of BaseURL: where PushEnv sends the token
	getenv  func(string) string
}

var _ forge.Forge = (*Client)(nil)

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	if cfg.Token == "" {
		return nil, errors.New("configuring gitlab: no token: set GITLAB_TOKEN (scope api)")
	}
	kind := cfg.TokenKind
	if kind == "" {
		kind = TokenPrivate
	}
	if kind != TokenPrivate && kind != TokenJob {
		return nil, fmt.Errorf("configuring gitlab: token kind %q: want %q or %q", kind, TokenPrivate, TokenJob)
	}
	if strings.TrimSpace(cfg.Project) == "" {
		return nil, errors.New("configuring gitlab: no project: set CI_PROJECT_ID or a project path")
	}
	base := cfg.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("configuring gitlab: base URL %q: want http(s)://host/api/v4", base)
	}
	httpClient := cfg.HTTPClient
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 2 * time.Minute}
	}
	opts := []gl.ClientOptionFunc{
		// Set first: the library would otherwise warn through slog.Default.
		gl.WithURLWarningLogger(slog.New(slog.DiscardHandler)),
		gl.WithBaseURL(base),
		gl.WithHTTPClient(httpClient),
		// One retry loop, ours: bounded, honouring Retry-After, with an
		// injectable sleep. The library's own would retry 5xx and 429
		// again underneath it, and its limiter would sleep unseen.
		gl.WithoutRetries(),
		gl.WithCustomRetryMax(0),
		gl.WithCustomLimiter(noLimit{}),
		gl.WithUserAgent("cvetrail"),
	}
	var api *gl.Client
	if kind == TokenJob {
		api, err = gl.NewJobClient(cfg.Token, opts...)
	} else {
		api, err = gl.NewClient(cfg.Token, opts...)
	}
	if err != nil {
		return nil, fmt.Errorf("configuring gitlab: %s", redact(err.Error(), cfg.Token))
	}
	c := &Client{
		api:     api,
		project: strings.Trim(strings.TrimSpace(cfg.Project), "/"),
		token:   cfg.Token,
		kind:    kind,
		retry:   cfg.Retry.withDefaults(),
		sleep:   cfg.Sleep,
		now:     cfg.Now,
		jitter:  randFloat,
		web:     &url.URL{Scheme: strings.ToLower(u.Scheme), Host: u.Host},
		getenv:  cfg.Getenv,
	}
	if c.getenv == nil {
		c.getenv = func(string) string { return "" }
	}
	if c.sleep == nil {
		c.sleep = sleepCtx
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c, nil
}

// Name is "gitlab".
func (c *Client) Name() string { return "gitlab" }

// noLimit disables the library's client-side rate limiter, which would
// otherwise configure itself from RateLimit-Limit and sleep on its own clock.
type noLimit struct{}

func (noLimit) Wait(ctx context.Context) error { return ctx.Err() }

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// ConfigFromEnv builds a Config from GitLab CI's variables, falling back to
// originURL (the `origin` remote) for the API host and the project path:
//
//   - token: GITLAB_TOKEN (private), else CI_JOB_TOKEN (job)
//   - API: CI_API_V4_URL, else CI_SERVER_URL + /api/v4, else the origin's
//     host + /api/v4, else gitlab.com
//   - project: CI_PROJECT_ID, else CI_PROJECT_PATH, else the origin's path
//
// A GitLab served under a relative URL root (https://host/gitlab/…) needs
// the CI variables: the origin's path cannot tell root from group.
func ConfigFromEnv(getenv func(string) string, originURL string) (Config, error) {
	cfg := Config{Getenv: getenv}
	switch {
	case getenv("GITLAB_TOKEN") != "":
		cfg.Token, cfg.TokenKind = getenv("GITLAB_TOKEN"), TokenPrivate
	case getenv("CI_JOB_TOKEN") != "":
		cfg.Token, cfg.TokenKind = getenv("CI_JOB_TOKEN"), TokenJob
	default:
		return Config{}, errors.New("reading gitlab settings: no token: set GITLAB_TOKEN to an access token with scope api (CI_JOB_TOKEN cannot manage merge requests)")
	}
	host, path := parseRemote(originURL)
	switch {
	case getenv("CI_API_V4_URL") != "":
		cfg.BaseURL = strings.TrimRight(getenv("CI_API_V4_URL"), "/")
	case getenv("CI_SERVER_URL") != "":
		cfg.BaseURL = strings.TrimRight(getenv("CI_SERVER_URL"), "/") + "/api/v4"
	case host != "":
		cfg.BaseURL = host + "/api/v4"
	default:
		cfg.BaseURL = DefaultBaseURL
	}
	switch {
	case getenv("CI_PROJECT_ID") != "":
		cfg.Project = getenv("CI_PROJECT_ID")
	case getenv("CI_PROJECT_PATH") != "":
		cfg.Project = getenv("CI_PROJECT_PATH")
	case path != "":
		cfg.Project = path
	default:
		return Config{}, fmt.Errorf("reading gitlab settings: no project: set CI_PROJECT_ID or use an origin remote of the form https://host/group/project.git (origin is %q)", stripUserinfo(originURL))
	}
	return cfg, nil
}

// parseRemote returns the API-side "scheme://host[:port]" and the project
// path of a Git remote URL: https://host/group/project.git,
// ssh://git@host:22/group/project.git or git@host:group/project.git.
// Credentials in the URL are dropped.
func parseRemote(remote string) (hostURL, path string) {
	remote = strings.TrimSpace(remote)
	if remote == "" {
		return "", ""
	}
	trim := func(p string) string {
		p = strings.Trim(p, "/")
		p = strings.TrimSuffix(p, ".git")
		return strings.Trim(p, "/")
	}
	if strings.Contains(remote, "://") {
		u, err := url.Parse(remote)
		if err != nil || u.Hostname() == "" {
			return "", ""
		}
		switch u.Scheme {
		case "http", "https":
			return u.Scheme + "://" + u.Host, trim(u.Path)
		case "ssh", "git+ssh":
			// The SSH port says nothing about the web port.
			return "https://" + u.Hostname(), trim(u.Path)
		}
		return "", ""
	}
	// scp-like: [user@]host:path
	at := strings.LastIndex(remote, "@")
	rest := remote[at+1:]
	host, p, ok := strings.Cut(rest, ":")
	if !ok || host == "" || strings.Contains(host, "/") {
		return "", ""
	}
	return "https://" + host, trim(p)
}

func stripUserinfo(remote string) string {
	if u, err := url.Parse(remote); err == nil && u.User != nil {
		u.User = nil
		return u.String()
	}
	return remote
}
