package gitlab

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go/v2"

	"github.com/cvetrail/cvetrail/internal/forge"
)

// RetryPolicy bounds the retries of answers that say "try again": 5xx
// (but 501) and 429, and transport errors. A wait the server asks for
// (Retry-After, else RateLimit-Reset) is honoured, never shortened; when
// it is longer than MaxDelay the call gives up at once instead of waiting.
type RetryPolicy struct {
	// MaxAttempts counts the first try; 0 means 5.
	MaxAttempts int
	// BaseDelay is the first backoff; it doubles each attempt, with
	// jitter in [d/2, d]. 0 means 1s.
	BaseDelay time.Duration
	// MaxDelay caps one wait. 0 means 60s.
	MaxDelay time.Duration
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 5
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = time.Second
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 60 * time.Second
	}
	if p.BaseDelay > p.MaxDelay {
		p.BaseDelay = p.MaxDelay
	}
	return p
}

func randFloat() float64 { return rand.Float64() }

// callFunc makes one attempt of an API call.
type callFunc func(opts ...gl.RequestOptionFunc) (*gl.Response, error)

// apiError is GitLab's answer to a failed call, with the token redacted.
type apiError struct {
	status  int
	message string
}

func (e *apiError) Error() string { return e.message }

// call runs f with bounded retries. Its error is always a *forge.Error;
// its Status is GitLab's answer (0 for a transport error) so that callers
// can act on documented answers (404, 405, 409, …). 401 and 403 wrap
// forge.ErrPermission and carry a hint.
//
// idempotent=false marks a call whose repetition after a 5xx or a
// transport error could duplicate its effect (a note); it is then retried
// only on 429, which GitLab answers before doing anything.
func (c *Client) call(ctx context.Context, op string, idempotent bool, f callFunc) (*gl.Response, error) {
	for attempt := 1; ; attempt++ {
		resp, err := f(gl.WithContext(ctx))
		if err == nil {
			return resp, nil
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return resp, &forge.Error{Op: op, Err: ctxErr}
		}
		status := 0
		if resp != nil && resp.Response != nil {
			status = resp.StatusCode
		}
		retry := status == http.StatusTooManyRequests ||
			(idempotent && (status == 0 || (status >= 500 && status != http.StatusNotImplemented)))
		if !retry {
			return resp, c.fail(op, status, err)
		}
		wait, serverWait := c.backoff(attempt, resp)
		if serverWait > c.retry.MaxDelay {
			return resp, &forge.Error{Op: op, Status: status,
				Hint: "GitLab's rate limit resets later than cvetrail waits; run again later",
				Err: fmt.Errorf("rate limited: GitLab asks to wait %s, longer than the %s limit: %s",
					serverWait.Round(time.Second), c.retry.MaxDelay, c.message(status, err))}
		}
		if attempt >= c.retry.MaxAttempts {
			return resp, &forge.Error{Op: op, Status: status,
				Err: fmt.Errorf("giving up after %d attempts: %s", attempt, c.message(status, err))}
		}
		if err := c.sleep(ctx, wait); err != nil {
			return resp, &forge.Error{Op: op, Err: err}
		}
	}
}

// backoff returns the wait before the next attempt and the wait the
// server asked for (0 when it did not).
func (c *Client) backoff(attempt int, resp *gl.Response) (wait, server time.Duration) {
	p := c.retry
	d := p.BaseDelay
	for i := 1; i < attempt && d < p.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, p.MaxDelay)
	wait = d/2 + time.Duration(c.jitter()*float64(d/2))
	if resp == nil || resp.Response == nil {
		return wait, 0
	}
	server = serverWait(resp.Header, c.now())
	if server <= 0 {
		return wait, 0
	}
	// Honour the server's wait, plus a little jitter so that parallel
	// runs do not return in lockstep, and never more than MaxDelay.
	extra := min(p.BaseDelay, p.MaxDelay-server)
	if extra < 0 {
		extra = 0
	}
	return server + time.Duration(c.jitter()*float64(extra)), server
}

// serverWait reads Retry-After (seconds or an HTTP date), else
// RateLimit-Reset (Unix seconds).
func serverWait(h http.Header, now time.Time) time.Duration {
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if s, err := strconv.ParseInt(v, 10, 64); err == nil && s >= 0 {
			return time.Duration(s) * time.Second
		}
		if t, err := http.ParseTime(v); err == nil {
			return t.Sub(now)
		}
	}
	if v := strings.TrimSpace(h.Get("RateLimit-Reset")); v != "" {
		if s, err := strconv.ParseInt(v, 10, 64); err == nil && s > 0 {
			return time.Unix(s, 0).Sub(now)
		}
	}
	return 0
}

// fail turns a failed attempt into a *forge.Error.
func (c *Client) fail(op string, status int, err error) error {
	e := &forge.Error{Op: op, Status: status, Err: &apiError{status: status, message: c.message(status, err)}}
	switch status {
	case http.StatusUnauthorized, http.StatusForbidden:
		e.Err = fmt.Errorf("%w: %s", forge.ErrPermission, c.message(status, err))
		e.Hint = c.permissionHint(op, status)
	}
	return e
}

// message is GitLab's error message (or the transport error) without the
// token.
func (c *Client) message(status int, err error) string {
	var msg string
	var er *gl.ErrorResponse
	switch {
	case errors.As(err, &er) && er.Message != "":
		msg = er.Message
	case status != 0:
		msg = http.StatusText(status)
	default:
		msg = err.Error()
	}
	return redact(msg, c.token)
}

func (c *Client) permissionHint(op string, status int) string {
	if c.kind == TokenJob {
		return fmt.Sprintf("CI_JOB_TOKEN cannot do this (%s): GitLab's job token does not reach the merge request, label, note or branch APIs; "+
			"store a project access token with scope `api` and role Developer as the masked CI/CD variable GITLAB_TOKEN", op)
	}
	if status == http.StatusUnauthorized {
		return "GitLab rejected GITLAB_TOKEN: it is invalid, expired or revoked; create a project access token with scope `api` and role Developer"
	}
	return fmt.Sprintf("GITLAB_TOKEN may not do this (%s) on %s: it needs scope `api` (read_api is not enough) and at least the Developer role; "+
		"merging into a protected branch needs a role allowed to merge there", op, c.project)
}

// redact removes the token from s.
func redact(s, token string) string {
	if token == "" {
		return s
	}
	return strings.ReplaceAll(s, token, "[REDACTED]")
}

// statusOf is the HTTP status carried by err, 0 when none.
func statusOf(err error) int {
	var fe *forge.Error
	if errors.As(err, &fe) {
		return fe.Status
	}
	return 0
}
