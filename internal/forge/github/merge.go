package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	gh "github.com/google/go-github/v93/github"
	"github.com/shurcooL/githubv4"

	"github.com/cvetrail/cvetrail/internal/forge"
)

// merge merges a clean pull request according to req.Merge.
//
//   - api: PUT /pulls/{n}/merge for HeadSHA only. When GitHub answers 405
//     because required checks (or a required review) are still pending,
//     auto-merge is enabled instead and the reason recorded.
//   - auto: enablePullRequestAutoMerge; when GitHub refuses because the
//     request is already mergeable ("clean status"), it is merged
//     through REST right away, as gh pr merge --auto does.
//
// An auto-merge already enabled with the requested method is left alone,
// so a rerun writes nothing.
func (r *run) merge(ctx context.Context, pr *gh.PullRequest) error {
	if am := pr.AutoMerge; am != nil && strings.EqualFold(am.GetMergeMethod(), r.req.Method) {
		r.res.AutoMerge = true
		r.res.MergeDeferredWhy = "auto-merge is enabled; GitHub merges once the branch protection requirements are met"
		return nil
	}
	if r.req.Merge == forge.MergeAPI {
		return r.mergeNow(ctx, pr, true)
	}
	err := r.enableAutoMerge(ctx, pr)
	if err != nil && mergeableNow(messageOf(err)) {
		return r.mergeNow(ctx, pr, false)
	}
	return err
}

// mergeNow merges through REST. A merge lost in transit may have
// happened, so the pull request is read again before another try.
func (r *run) mergeNow(ctx context.Context, pr *gh.PullRequest, fallback bool) error {
	n := pr.GetNumber()
	op := fmt.Sprintf("merging pull request #%d", n)
	for attempt := 1; ; attempt++ {
		var res *gh.PullRequestMergeResult
		err := r.c.do(ctx, op, scopeMerge, once, func(ctx context.Context) (*gh.Response, error) {
			var resp *gh.Response
			var err error
			res, resp, err = r.c.rest.PullRequests.Merge(ctx, r.c.cfg.Owner, r.c.cfg.Repo, n, "", &gh.PullRequestOptions{
				SHA:         r.req.HeadSHA,
				MergeMethod: r.req.Method,
			})
			return resp, err
		})
		if err == nil {
			if !res.GetMerged() {
				return &forge.Error{Op: op, Status: http.StatusOK, Err: errors.New(r.c.scrub.Replace("GitHub did not merge: " + res.GetMessage()))}
			}
			r.wrote()
			r.res.Merged = true
			r.res.AutoMerge = false
			return nil
		}
		status, msg := statusOf(err), messageOf(err)
		switch {
		case status == http.StatusMethodNotAllowed && (waitingOnChecks(msg) || waitingOnReview(msg)):
			if !fallback {
				r.res.MergeDeferredWhy = msg
				return nil
			}
			if err := r.enableAutoMerge(ctx, pr); err != nil {
				return err
			}
			r.res.MergeDeferredWhy = msg + "; auto-merge enabled instead"
			return nil
		case status == http.StatusConflict || (status == http.StatusMethodNotAllowed && strings.Contains(msg, "was modified")):
			// The head (or base) moved since HeadSHA: never merge unseen
			// commits; the next run sees them.
			r.res.MergeDeferredWhy = "not merged: " + msg
			return nil
		case transient(err) || status == http.StatusMethodNotAllowed:
			cur, gerr := r.c.get(ctx, n)
			if gerr != nil {
				return errors.Join(err, gerr)
			}
			if cur.GetMerged() {
				if transient(err) {
					r.wrote() // our lost request merged it
				}
				r.res.Merged = true
				r.res.AutoMerge = false
				return nil
			}
			if status == http.StatusMethodNotAllowed || attempt >= r.c.cfg.Retry.MaxAttempts {
				return err
			}
			if serr := r.c.cfg.Sleep(ctx, r.c.retry.backoff(attempt)); serr != nil {
				return serr
			}
		default:
			return err
		}
	}
}

func (c *Client) get(ctx context.Context, n int) (*gh.PullRequest, error) {
	var pr *gh.PullRequest
	err := c.do(ctx, fmt.Sprintf("reading pull request #%d", n), scopePRRead, nil, func(ctx context.Context) (*gh.Response, error) {
		var resp *gh.Response
		var err error
		pr, resp, err = c.rest.PullRequests.Get(ctx, c.cfg.Owner, c.cfg.Repo, n)
		return resp, err
	})
	return pr, err
}

// waitingOnChecks recognises GitHub's 405 answers for required status
// checks that have not finished: `Required status check "x" is
// expected.`, `2 of 2 required status checks are expected.`, `… is in
// progress.`
func waitingOnChecks(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "status check") &&
		(strings.Contains(m, "expected") || strings.Contains(m, "in progress") || strings.Contains(m, "pending"))
}

// waitingOnReview recognises "At least 1 approving review is required by
// reviewers with write access."
func waitingOnReview(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "review") && strings.Contains(m, "required")
}

// mergeableNow recognises GraphQL's refusal to enable auto-merge on a pull
// request that can be merged right away ("Pull request Pull request is in
// clean status").
func mergeableNow(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "clean status") || strings.Contains(m, "unstable status")
}

func (r *run) enableAutoMerge(ctx context.Context, pr *gh.PullRequest) error {
	var m struct {
		EnablePullRequestAutoMerge struct {
			PullRequest struct {
				AutoMergeRequest *struct {
					MergeMethod githubv4.PullRequestMergeMethod
				}
			}
		} `graphql:"enablePullRequestAutoMerge(input: $input)"`
	}
	method := githubv4.PullRequestMergeMethod(strings.ToUpper(r.req.Method))
	input := githubv4.EnablePullRequestAutoMergeInput{
		PullRequestID: githubv4.ID(pr.GetNodeID()),
		MergeMethod:   &method,
	}
	if r.req.HeadSHA != "" {
		oid := githubv4.GitObjectID(r.req.HeadSHA)
		input.ExpectedHeadOid = &oid
	}
	op := fmt.Sprintf("enabling auto-merge on pull request #%d", pr.GetNumber())
	if err := r.c.mutate(ctx, op, &m, input); err != nil {
		var fe *forge.Error
		if errors.As(err, &fe) && fe.Hint == "" && strings.Contains(strings.ToLower(messageOf(err)), "auto merge is not allowed") {
			fe.Hint = "turn on \"Allow auto-merge\" in the repository settings, or use merge mode api or none"
		}
		return err
	}
	r.wrote()
	r.res.AutoMerge = m.EnablePullRequestAutoMerge.PullRequest.AutoMergeRequest != nil
	return nil
}

func (r *run) disableAutoMerge(ctx context.Context, pr *gh.PullRequest) error {
	var m struct {
		DisablePullRequestAutoMerge struct {
			PullRequest struct {
				AutoMergeRequest *struct {
					MergeMethod githubv4.PullRequestMergeMethod
				}
			}
		} `graphql:"disablePullRequestAutoMerge(input: $input)"`
	}
	input := githubv4.DisablePullRequestAutoMergeInput{PullRequestID: githubv4.ID(pr.GetNodeID())}
	op := fmt.Sprintf("disabling auto-merge on pull request #%d", pr.GetNumber())
	if err := r.c.mutate(ctx, op, &m, input); err != nil {
		return err
	}
	r.wrote()
	r.res.AutoMerge = m.DisablePullRequestAutoMerge.PullRequest.AutoMergeRequest != nil
	return nil
}

// mutate runs a GraphQL mutation. Both mutations used are toggles, safe
// to repeat after a lost answer.
func (c *Client) mutate(ctx context.Context, op string, m any, input githubv4.Input) error {
	info := &call{safe: true}
	err := c.gql.Mutate(context.WithValue(ctx, callKey{}, info), m, input, nil)
	if err == nil {
		return nil
	}
	if info.status == http.StatusOK {
		info.status = 0 // a GraphQL error, not an HTTP one
		return c.failure(op, scopeMerge, info, nil, &gqlError{msg: "GraphQL: " + err.Error(), err: err})
	}
	return c.failure(op, scopeMerge, info, nil, &gqlError{msg: graphqlHTTPMessage(err), err: err})
}

type gqlError struct {
	msg string
	err error
}

func (e *gqlError) Error() string { return e.msg }
func (e *gqlError) Unwrap() error { return e.err }

// graphqlHTTPMessage extracts GitHub's message from the GraphQL client's
// "non-200 OK status code: 502 Bad Gateway body: "…"" error.
func graphqlHTTPMessage(err error) string {
	s := err.Error()
	_, body, ok := strings.Cut(s, " body: ")
	if !ok {
		return s
	}
	raw, uerr := strconv.Unquote(body)
	if uerr != nil {
		return s
	}
	var msg struct {
		Message string `json:"message"`
	}
	if json.Unmarshal([]byte(raw), &msg) == nil && msg.Message != "" {
		return msg.Message
	}
	status, _, _ := strings.Cut(strings.TrimPrefix(s, "non-200 OK status code: "), " body: ")
	return status
}
