package github

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	gh "github.com/google/go-github/v93/github"

	"github.com/cvetrail/cvetrail/internal/forge"
)

// scope is what an operation needs from the workflow's permissions; it
// becomes the hint of a 401/403.
type scope struct {
	perms []string
	note  string
}

var (
	scopePRRead   = scope{perms: []string{"pull-requests: read"}}
	scopePR       = scope{perms: []string{"pull-requests: write"}}
	scopeLabels   = scope{perms: []string{"pull-requests: write"}, note: "creating a missing label may also need `issues: write`"}
	scopeContents = scope{perms: []string{"contents: write"}}
	scopeMerge    = scope{perms: []string{"contents: write", "pull-requests: write"}}
)

// apiError is the message of a failed call, already scrubbed of the
// token. It unwraps only to sentinels (forge.ErrPermission, context
// errors), never to an error whose text could still hold a secret.
type apiError struct {
	msg  string
	errs []error
}

func (e *apiError) Error() string   { return e.msg }
func (e *apiError) Unwrap() []error { return e.errs }

// secrets returns a replacer that blanks the token in every form it is
// sent in.
func secrets(token string) *strings.Replacer {
	if token == "" {
		return strings.NewReplacer()
	}
	basic := base64.StdEncoding.EncodeToString([]byte("x-access-token:" + token))
	return strings.NewReplacer(token, "[redacted]", basic, "[redacted]")
}

// failure turns what an operation got into a *forge.Error.
func (c *Client) failure(op string, need scope, info *call, resp *gh.Response, err error) *forge.Error {
	fe := &forge.Error{Op: op}
	var wrapped []error
	var msg string
	if resp != nil && resp.Response != nil {
		fe.Status = resp.StatusCode
	} else if info != nil {
		fe.Status = info.status
	}
	var er *gh.ErrorResponse
	var rl *gh.RateLimitError
	var ab *gh.AbuseRateLimitError
	switch {
	case errors.As(err, &er):
		msg = describe(er)
	case errors.As(err, &rl):
		msg = rl.Message
	case errors.As(err, &ab):
		msg = ab.Message
	default:
		msg = err.Error()
	}
	if msg == "" {
		msg = http.StatusText(fe.Status)
	}
	for _, sentinel := range []error{context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, sentinel) {
			wrapped = append(wrapped, sentinel)
		}
	}
	if info != nil && info.rateLimited {
		msg = "GitHub API rate limit exceeded: " + msg
		if !info.rateReset.IsZero() {
			msg += "; it resets at " + info.rateReset.Format(time.RFC3339)
		}
	}
	if info != nil && info.attempts > 1 {
		msg += fmt.Sprintf(" (gave up after %d attempts)", info.attempts)
	}
	if permissionDenied(fe.Status, info, msg) {
		wrapped = append(wrapped, forge.ErrPermission)
		fe.Hint = c.hint(fe.Status, need, info)
		msg = forge.ErrPermission.Error() + ": " + msg
	}
	fe.Err = &apiError{msg: c.scrub.Replace(msg), errs: wrapped}
	fe.Hint = c.scrub.Replace(fe.Hint)
	return fe
}

func permissionDenied(status int, info *call, msg string) bool {
	switch status {
	case http.StatusUnauthorized:
		return true
	case http.StatusForbidden:
		return info == nil || !info.rateLimited
	}
	return strings.Contains(msg, "Resource not accessible by")
}

func (c *Client) hint(status int, need scope, info *call) string {
	if status == http.StatusUnauthorized {
		return "GitHub rejected the token: check that GITHUB_TOKEN (or GH_TOKEN) is set for this step and has not expired"
	}
	h := "add `" + strings.Join(need.perms, "` and `") + "` to the workflow's `permissions:`"
	if need.note != "" {
		h += " (" + need.note + ")"
	}
	if info != nil && info.accepted != "" {
		h += "; GitHub asks for " + acceptedAsWorkflow(info.accepted)
	}
	return h + "; a personal access token needs the same repository permissions"
}

// acceptedAsWorkflow renders x-accepted-github-permissions
// ("contents=write; pull_requests=write,issues=write") in workflow syntax.
func acceptedAsWorkflow(header string) string {
	var sets []string
	for set := range strings.SplitSeq(header, ";") {
		var perms []string
		for p := range strings.SplitSeq(set, ",") {
			name, level, ok := strings.Cut(strings.TrimSpace(p), "=")
			if !ok || name == "" {
				continue
			}
			perms = append(perms, strings.ReplaceAll(name, "_", "-")+": "+level)
		}
		if len(perms) > 0 {
			sets = append(sets, "`"+strings.Join(perms, ", ")+"`")
		}
	}
	return strings.Join(sets, " or ")
}

// describe renders GitHub's error body: the message and the details.
func describe(er *gh.ErrorResponse) string {
	msg := er.Message
	var details []string
	for _, e := range er.Errors {
		switch {
		case e.Message != "":
			details = append(details, e.Message)
		case e.Field != "":
			details = append(details, fmt.Sprintf("%s %s: %s", e.Resource, e.Field, e.Code))
		case e.Code != "":
			details = append(details, e.Code)
		}
	}
	if len(details) > 0 {
		msg += ": " + strings.Join(details, "; ")
	}
	return msg
}

// statusOf returns the HTTP status of a *forge.Error, 0 otherwise.
func statusOf(err error) int {
	var fe *forge.Error
	if errors.As(err, &fe) {
		return fe.Status
	}
	return 0
}

// messageOf returns the scrubbed message of a failed call.
func messageOf(err error) string {
	var fe *forge.Error
	if errors.As(err, &fe) && fe.Err != nil {
		return fe.Err.Error()
	}
	if err == nil {
		return ""
	}
	return err.Error()
}

// transient reports whether a failed call may have been lost in transit
// (5xx, broken connection) rather than refused.
func transient(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	s := statusOf(err)
	return s == 0 || s >= 500
}
