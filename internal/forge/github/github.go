// Package github keeps the pull request of a cvetrail report branch on
// GitHub (github.com or GitHub Enterprise Server) in the state the daily
// run asks for: one kept pull request per report branch, its title, body
// and labels, and its merge through the REST API, GitHub's native
// auto-merge, or not at all. It implements forge.Forge with go-github for
// REST and githubv4 for the two GraphQL-only calls (enabling and
// disabling auto-merge).
//
// Every call goes through a transport that retries 5xx answers and rate
// limits with bounded, jittered exponential backoff, honouring
// Retry-After and x-ratelimit-reset. Writes that are not idempotent are
// never repeated blindly: after a lost pull-request creation or merge the
// state is read again first, so a rerun after any failure converges
// without duplicates.
//
// A pull request closed without merging by a human is reopened on the
// next Sync, so its discussion stays in one place; GitHub refuses that
// when the branch was force-pushed or recreated since, and then a new pull
// request is created with a comment pointing at the old one.
package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	gh "github.com/google/go-github/v93/github"
	"github.com/shurcooL/githubv4"

	"github.com/cvetrail/cvetrail/internal/forge"
)

// MaxBodyChars is GitHub's limit on a pull request body, in characters.
const MaxBodyChars = 65536

// Client is a forge.Forge for one GitHub repository.
type Client struct {
	cfg   Config
	rest  *gh.Client
	gql   *githubv4.Client
	retry *retryTransport
	web   *url.URL
	scrub *strings.Replacer
}

var _ forge.Forge = (*Client)(nil)

// New checks cfg and returns a client for its repository.
func New(cfg Config) (*Client, error) {
	cfg.withDefaults()
	if cfg.Token == "" {
		return nil, errors.New("configuring github: no token")
	}
	if cfg.Owner == "" || cfg.Repo == "" {
		return nil, errors.New("configuring github: owner and repository are required")
	}
	api, err := url.Parse(cfg.APIURL)
	if err != nil || api.Host == "" || (api.Scheme != "https" && api.Scheme != "http") {
		return nil, fmt.Errorf("configuring github: API URL %q is not an http(s) URL", cfg.APIURL)
	}
	web := webURL(api)
	if cfg.ServerURL != "" {
		w, err := url.Parse(cfg.ServerURL)
		if err != nil || w.Host == "" {
			return nil, fmt.Errorf("configuring github: server URL %q is not a URL", cfg.ServerURL)
		}
		web = w
	}

	base := http.DefaultTransport
	var timeout time.Duration
	if cfg.HTTPClient != nil {
		if cfg.HTTPClient.Transport != nil {
			base = cfg.HTTPClient.Transport
		}
		timeout = cfg.HTTPClient.Timeout
	}
	retry := &retryTransport{base: base, policy: cfg.Retry, sleep: cfg.Sleep, rand: cfg.Rand, now: cfg.Now}
	restHTTP := &http.Client{Transport: retry, Timeout: timeout}
	rest, err := gh.NewClient(
		gh.WithHTTPClient(restHTTP),
		gh.WithURLs(&cfg.APIURL, &cfg.APIURL),
		gh.WithAuthToken(cfg.Token),
		gh.WithUserAgent("cvetrail"),
		gh.WithDisableRateLimitCheck(), // the transport waits; go-github would refuse calls instead
	)
	if err != nil {
		return nil, fmt.Errorf("configuring github: %w", err)
	}
	gqlHTTP := &http.Client{
		Transport: &authTransport{base: retry, host: api.Host, value: "Bearer " + cfg.Token},
		Timeout:   timeout,
	}
	return &Client{
		cfg:   cfg,
		rest:  rest,
		gql:   githubv4.NewEnterpriseClient(graphqlURL(api), gqlHTTP),
		retry: retry,
		web:   web,
		scrub: secrets(cfg.Token),
	}, nil
}

// Name is "github".
func (c *Client) Name() string { return "github" }

// do runs one REST operation with its own call record, turning a failure
// into a *forge.Error naming op.
func (c *Client) do(ctx context.Context, op string, need scope, mark func(*call), f func(context.Context) (*gh.Response, error)) error {
	info := &call{}
	if mark != nil {
		mark(info)
	}
	resp, err := f(context.WithValue(ctx, callKey{}, info))
	if err == nil {
		return nil
	}
	return c.failure(op, need, info, resp, err)
}

func safe(c *call) { c.safe = true }
func once(c *call) { c.once = true }

// run is the state of one Sync.
type run struct {
	c   *Client
	req forge.Request
	res forge.Result
}

func (r *run) wrote() { r.res.Writes++ }

// Sync makes the pull request of req.Head look like req. See forge.Forge.
func (c *Client) Sync(ctx context.Context, req forge.Request) (forge.Result, error) {
	if err := validate(&req); err != nil {
		return forge.Result{}, err
	}
	r := &run{c: c, req: req}
	err := r.sync(ctx)
	r.res.AlreadyUpToDate = r.res.Writes == 0 && err == nil
	return r.res, err
}

func validate(req *forge.Request) error {
	switch {
	case req.Head == "":
		return errors.New("syncing pull request: no head branch")
	case req.Base == "":
		return errors.New("syncing pull request: no base branch")
	case req.Head == req.Base:
		return fmt.Errorf("syncing pull request: head and base are both %q", req.Head)
	case strings.TrimSpace(req.Title) == "":
		return errors.New("syncing pull request: empty title")
	case utf8.RuneCountInString(req.Body) > MaxBodyChars:
		return fmt.Errorf("syncing pull request: body has %d characters, GitHub allows %d", utf8.RuneCountInString(req.Body), MaxBodyChars)
	}
	if req.Merge == "" {
		req.Merge = forge.MergeNone
	}
	switch req.Merge {
	case forge.MergeAPI, forge.MergeAuto, forge.MergeNone:
	default:
		return fmt.Errorf("syncing pull request: unknown merge mode %q (want api, auto or none)", req.Merge)
	}
	if req.Method == "" {
		req.Method = "merge"
	}
	switch req.Method {
	case "merge", "squash", "rebase":
	default:
		return fmt.Errorf("syncing pull request: unknown merge method %q (want merge, squash or rebase)", req.Method)
	}
	if req.Merge != forge.MergeNone && !req.NeedsReview && req.HeadSHA == "" {
		return errors.New("syncing pull request: merging needs the head commit (HeadSHA)")
	}
	return nil
}

func (r *run) sync(ctx context.Context) error {
	pr, err := r.pullRequest(ctx)
	if err != nil {
		return err
	}
	r.res.Number = pr.GetNumber()
	r.res.URL = pr.GetHTMLURL()
	r.res.AutoMerge = pr.AutoMerge != nil
	if pr.MergedAt != nil {
		r.res.Merged = true // this very commit was merged by an earlier run
		return nil
	}

	// A request that came to need review must not be merged by an
	// auto-merge enabled earlier: switch it off before anything else.
	if r.req.NeedsReview && pr.AutoMerge != nil {
		if err := r.disableAutoMerge(ctx, pr); err != nil {
			return err
		}
	}
	if err := r.text(ctx, pr); err != nil {
		return err
	}
	if err := r.labels(ctx, pr); err != nil {
		return err
	}
	if r.req.NeedsReview || r.req.Merge == forge.MergeNone {
		return nil
	}
	return r.merge(ctx, pr)
}

// pullRequest finds the open pull request from Head into Base, reopens
// the newest one a human closed without merging, or creates one. When the
// newest one was merged at HeadSHA it is returned as is: an earlier run
// already did the job.
func (r *run) pullRequest(ctx context.Context) (*gh.PullRequest, error) {
	open, err := r.c.list(ctx, r.req.Head, r.req.Base, "open", 100)
	if err != nil {
		return nil, err
	}
	if len(open) > 0 {
		return open[0], nil
	}
	closed, err := r.c.list(ctx, r.req.Head, r.req.Base, "closed", 1)
	if err != nil {
		return nil, err
	}
	previous := 0
	if len(closed) == 1 && closed[0].MergedAt != nil && closed[0].GetHead().GetSHA() == r.req.HeadSHA && r.req.HeadSHA != "" {
		// A rerun after the merge went through (its answer lost, or a
		// later step failed): the request is already fulfilled.
		return closed[0], nil
	}
	if len(closed) == 1 && closed[0].MergedAt == nil {
		pr, err := r.reopen(ctx, closed[0])
		if err == nil {
			return pr, nil
		}
		if statusOf(err) != http.StatusUnprocessableEntity {
			return nil, err
		}
		previous = closed[0].GetNumber() // GitHub refused: the branch moved on
	}
	pr, err := r.create(ctx)
	if err != nil {
		return nil, err
	}
	if previous != 0 && r.res.Created {
		body := fmt.Sprintf("Continues #%d, which was closed without merging; GitHub could not reopen it because its branch was force-pushed or recreated since.", previous)
		err := r.c.do(ctx, "commenting on pull request", scopePR, nil, func(ctx context.Context) (*gh.Response, error) {
			_, resp, err := r.c.rest.Issues.CreateComment(ctx, r.c.cfg.Owner, r.c.cfg.Repo, pr.GetNumber(), gh.IssueCommentRequest{Body: body})
			return resp, err
		})
		if err != nil {
			return nil, err
		}
		r.wrote()
	}
	return pr, nil
}

// list returns the pull requests from head into base in state, newest
// first. base may be empty.
func (c *Client) list(ctx context.Context, head, base, state string, perPage int) ([]*gh.PullRequest, error) {
	var prs []*gh.PullRequest
	err := c.do(ctx, "listing pull requests", scopePRRead, nil, func(ctx context.Context) (*gh.Response, error) {
		var resp *gh.Response
		var err error
		prs, resp, err = c.rest.PullRequests.List(ctx, c.cfg.Owner, c.cfg.Repo, &gh.PullRequestListOptions{
			State:       state,
			Head:        c.cfg.Owner + ":" + head,
			Base:        base,
			Sort:        "created",
			Direction:   "desc",
			ListOptions: gh.ListOptions{PerPage: perPage},
		})
		return resp, err
	})
	return prs, err
}

func (r *run) reopen(ctx context.Context, closed *gh.PullRequest) (*gh.PullRequest, error) {
	var pr *gh.PullRequest
	err := r.c.do(ctx, fmt.Sprintf("reopening pull request #%d", closed.GetNumber()), scopePR, nil, func(ctx context.Context) (*gh.Response, error) {
		var resp *gh.Response
		var err error
		pr, resp, err = r.c.rest.PullRequests.Edit(ctx, r.c.cfg.Owner, r.c.cfg.Repo, closed.GetNumber(), &gh.PullRequest{State: new("open")})
		return resp, err
	})
	if err != nil {
		return nil, err
	}
	r.wrote()
	r.res.Reopened = true
	return pr, nil
}

// create opens the pull request. A creation lost in transit (5xx, broken
// connection) may still have happened, so the open pull requests are read
// again before another try; GitHub's "already exists" answer is resolved
// the same way. No duplicate can result.
func (r *run) create(ctx context.Context) (*gh.PullRequest, error) {
	for attempt := 1; ; attempt++ {
		var pr *gh.PullRequest
		err := r.c.do(ctx, "creating pull request", scopePR, nil, func(ctx context.Context) (*gh.Response, error) {
			var resp *gh.Response
			var err error
			pr, resp, err = r.c.rest.PullRequests.Create(ctx, r.c.cfg.Owner, r.c.cfg.Repo, gh.CreatePullRequest{
				Title: &r.req.Title,
				Head:  r.req.Head,
				Base:  r.req.Base,
				Body:  &r.req.Body,
			})
			return resp, err
		})
		if err == nil {
			r.wrote()
			r.res.Created = true
			return pr, nil
		}
		exists := statusOf(err) == http.StatusUnprocessableEntity && strings.Contains(messageOf(err), "already exists")
		if !exists && !transient(err) {
			return nil, err
		}
		open, lerr := r.c.list(ctx, r.req.Head, r.req.Base, "open", 100)
		if lerr != nil {
			return nil, errors.Join(err, lerr)
		}
		if len(open) > 0 {
			if transient(err) {
				// Our lost request is the one that created it.
				r.wrote()
				r.res.Created = true
			}
			return open[0], nil
		}
		if attempt >= r.c.cfg.Retry.MaxAttempts {
			return nil, err
		}
		if serr := r.c.cfg.Sleep(ctx, r.c.retry.backoff(attempt)); serr != nil {
			return nil, serr
		}
	}
}

// text updates the title and the body when they differ.
func (r *run) text(ctx context.Context, pr *gh.PullRequest) error {
	edit := &gh.PullRequest{}
	changed := false
	if pr.GetTitle() != r.req.Title {
		edit.Title = &r.req.Title
		changed = true
	}
	if normalizeBody(pr.GetBody()) != normalizeBody(r.req.Body) {
		edit.Body = &r.req.Body
		changed = true
	}
	if !changed {
		return nil
	}
	err := r.c.do(ctx, fmt.Sprintf("updating pull request #%d", pr.GetNumber()), scopePR, nil, func(ctx context.Context) (*gh.Response, error) {
		_, resp, err := r.c.rest.PullRequests.Edit(ctx, r.c.cfg.Owner, r.c.cfg.Repo, pr.GetNumber(), edit)
		return resp, err
	})
	if err != nil {
		return err
	}
	r.wrote()
	return nil
}

func normalizeBody(s string) string {
	return strings.TrimRight(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
}

// labels adds the wanted labels the pull request lacks (creating managed
// ones missing from the repository) and removes managed labels no longer
// wanted. Names compare case-insensitively, as GitHub's do.
func (r *run) labels(ctx context.Context, pr *gh.PullRequest) error {
	var have []string
	for _, l := range pr.Labels {
		have = append(have, l.Name)
	}
	var add, remove []string
	for _, want := range r.req.Labels {
		if want != "" && !containsFold(have, want) && !containsFold(add, want) {
			add = append(add, want)
		}
	}
	for _, m := range r.req.Managed {
		if !containsFold(r.req.Labels, m.Name) && containsFold(have, m.Name) && !containsFold(remove, m.Name) {
			remove = append(remove, m.Name)
		}
	}
	for _, name := range add {
		i := slices.IndexFunc(r.req.Managed, func(l forge.Label) bool { return strings.EqualFold(l.Name, name) })
		if i < 0 {
			continue // GitHub creates unknown labels itself when adding them
		}
		if err := r.ensureLabel(ctx, r.req.Managed[i]); err != nil {
			return err
		}
	}
	if len(add) > 0 {
		err := r.c.do(ctx, fmt.Sprintf("adding labels to pull request #%d", pr.GetNumber()), scopeLabels, safe, func(ctx context.Context) (*gh.Response, error) {
			_, resp, err := r.c.rest.Issues.AddLabelsToIssue(ctx, r.c.cfg.Owner, r.c.cfg.Repo, pr.GetNumber(), add)
			return resp, err
		})
		if err != nil {
			return err
		}
		r.wrote()
		r.res.LabelsAdded = add
	}
	for _, name := range remove {
		err := r.c.do(ctx, fmt.Sprintf("removing label %q from pull request #%d", name, pr.GetNumber()), scopeLabels, nil, func(ctx context.Context) (*gh.Response, error) {
			return r.c.rest.Issues.RemoveLabelForIssue(ctx, r.c.cfg.Owner, r.c.cfg.Repo, pr.GetNumber(), url.PathEscape(name))
		})
		if statusOf(err) == http.StatusNotFound {
			continue // already gone
		}
		if err != nil {
			return err
		}
		r.wrote()
		r.res.LabelsRemoved = append(r.res.LabelsRemoved, name)
	}
	return nil
}

// ensureLabel creates a managed label missing from the repository.
func (r *run) ensureLabel(ctx context.Context, l forge.Label) error {
	err := r.c.do(ctx, fmt.Sprintf("reading label %q", l.Name), scopeLabels, nil, func(ctx context.Context) (*gh.Response, error) {
		_, resp, err := r.c.rest.Issues.GetLabel(ctx, r.c.cfg.Owner, r.c.cfg.Repo, url.PathEscape(l.Name))
		return resp, err
	})
	if statusOf(err) != http.StatusNotFound {
		return err
	}
	create := gh.CreateIssueLabelRequest{Name: l.Name}
	if c := strings.TrimPrefix(l.Color, "#"); c != "" {
		create.Color = &c
	}
	if l.Description != "" {
		create.Description = &l.Description
	}
	err = r.c.do(ctx, fmt.Sprintf("creating label %q", l.Name), scopeLabels, safe, func(ctx context.Context) (*gh.Response, error) {
		_, resp, err := r.c.rest.Issues.CreateLabel(ctx, r.c.cfg.Owner, r.c.cfg.Repo, create)
		return resp, err
	})
	if statusOf(err) == http.StatusUnprocessableEntity && strings.Contains(messageOf(err), "already_exists") {
		return nil // created meanwhile, or by our own lost request
	}
	if err != nil {
		return err
	}
	r.wrote()
	r.res.LabelsCreated = append(r.res.LabelsCreated, l.Name)
	return nil
}

func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, s) })
}

// Close closes the open pull requests from head, with comment when it is
// not empty, and deletes the branch. With no open pull request it still
// deletes a branch left behind (by a run that failed half-way, or after a
// merge), so a rerun converges; with neither it writes nothing.
func (c *Client) Close(ctx context.Context, head, comment string) (bool, error) {
	if head == "" {
		return false, errors.New("closing pull request: no head branch")
	}
	open, err := c.list(ctx, head, "", "open", 100)
	if err != nil {
		return false, err
	}
	for _, pr := range open {
		n := pr.GetNumber()
		// Comment first, unless an earlier, interrupted Close already
		// did: the pull request stays open until the comment is there,
		// so a rerun finishes the job without a second comment.
		if comment != "" {
			if err := c.commentOnce(ctx, n, comment); err != nil {
				return false, err
			}
		}
		err := c.do(ctx, fmt.Sprintf("closing pull request #%d", n), scopePR, nil, func(ctx context.Context) (*gh.Response, error) {
			_, resp, err := c.rest.PullRequests.Edit(ctx, c.cfg.Owner, c.cfg.Repo, n, &gh.PullRequest{State: new("closed")})
			return resp, err
		})
		if err != nil {
			return false, err
		}
	}
	ref := "heads/" + head
	err = c.do(ctx, fmt.Sprintf("reading branch %q", head), scopeContents, nil, func(ctx context.Context) (*gh.Response, error) {
		_, resp, err := c.rest.Git.GetRef(ctx, c.cfg.Owner, c.cfg.Repo, ref)
		return resp, err
	})
	if statusOf(err) == http.StatusNotFound {
		return len(open) > 0, nil
	}
	if err != nil {
		return len(open) > 0, err
	}
	err = c.do(ctx, fmt.Sprintf("deleting branch %q", head), scopeContents, nil, func(ctx context.Context) (*gh.Response, error) {
		return c.rest.Git.DeleteRef(ctx, c.cfg.Owner, c.cfg.Repo, ref)
	})
	if s := statusOf(err); s == http.StatusNotFound || (s == http.StatusUnprocessableEntity && strings.Contains(messageOf(err), "does not exist")) {
		err = nil // gone meanwhile, or by our own lost request
	}
	return len(open) > 0, err
}

// commentOnce posts body on issue n unless its comments already hold it.
func (c *Client) commentOnce(ctx context.Context, n int, body string) error {
	opts := &gh.IssueListCommentsOptions{ListOptions: gh.ListOptions{PerPage: 100}}
	for {
		var comments []*gh.IssueComment
		var next int
		err := c.do(ctx, fmt.Sprintf("reading comments of pull request #%d", n), scopePRRead, nil, func(ctx context.Context) (*gh.Response, error) {
			var resp *gh.Response
			var err error
			comments, resp, err = c.rest.Issues.ListComments(ctx, c.cfg.Owner, c.cfg.Repo, n, opts)
			if resp != nil {
				next = resp.NextPage
			}
			return resp, err
		})
		if err != nil {
			return err
		}
		for _, cm := range comments {
			if normalizeBody(cm.GetBody()) == normalizeBody(body) {
				return nil
			}
		}
		if next == 0 {
			break
		}
		opts.Page = next
	}
	return c.do(ctx, fmt.Sprintf("commenting on pull request #%d", n), scopePR, nil, func(ctx context.Context) (*gh.Response, error) {
		_, resp, err := c.rest.Issues.CreateComment(ctx, c.cfg.Owner, c.cfg.Repo, n, gh.IssueCommentRequest{Body: body})
		return resp, err
	})
}
