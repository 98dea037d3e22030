package github

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RetryPolicy bounds how failed calls are retried.
type RetryPolicy struct {
	// MaxAttempts is the number of tries per call, the first included.
	MaxAttempts int
	// BaseDelay is the first backoff delay; it doubles on each retry.
	BaseDelay time.Duration
	// MaxDelay caps every delay, including those GitHub asks for through
	// Retry-After or x-ratelimit-reset.
	MaxDelay time.Duration
}

// DefaultRetry is used for the zero fields of Config.Retry.
var DefaultRetry = RetryPolicy{MaxAttempts: 6, BaseDelay: time.Second, MaxDelay: time.Minute}

// secondaryDefaultWait is how long GitHub asks clients to wait after a
// secondary rate limit that names no time ("wait for at least one minute").
const secondaryDefaultWait = time.Minute

// call carries what one API operation learnt from its HTTP exchanges. The
// operation puts it in the request context; the transport fills it in.
type call struct {
	// safe marks a POST that may be repeated after a 5xx or a broken
	// connection: it is idempotent in effect (adding labels, creating a
	// label that then already exists, a GraphQL query or toggle).
	safe bool
	// once marks a PUT that must not be repeated blindly (a merge): the
	// operation re-reads the state instead.
	once bool

	attempts    int
	status      int
	rateLimited bool      // the last response was a primary or secondary rate limit
	rateReset   time.Time // primary limit: when it resets
	accepted    string    // x-accepted-github-permissions of the last response
}

type callKey struct{}

func callFrom(ctx context.Context) *call {
	c, _ := ctx.Value(callKey{}).(*call)
	return c
}

// retryTransport retries 5xx answers, rate limits and broken connections
// with bounded exponential backoff and jitter, honouring the delays GitHub
// names. Requests that are not idempotent are repeated only when GitHub
// rejected them before acting (429, 403 rate limits) or when the
// operation marked them safe; everything else is the operation's to
// decide (see Client.createPR).
type retryTransport struct {
	base   http.RoundTripper
	policy RetryPolicy
	sleep  func(context.Context, time.Duration) error
	rand   func() float64
	now    func() time.Time
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	info := callFrom(ctx)
	if info == nil {
		info = &call{}
	}
	repeatable := (idempotent(req.Method) || info.safe) && !info.once
	for attempt := 1; ; attempt++ {
		r := req
		if attempt > 1 {
			r = req.Clone(ctx)
			if req.Body != nil && req.Body != http.NoBody {
				body, err := req.GetBody()
				if err != nil {
					return nil, err
				}
				r.Body = body
			}
		}
		resp, err := t.base.RoundTrip(r)
		info.attempts = attempt
		wait, retry := t.judge(ctx, info, resp, err, repeatable, attempt)
		if retry && req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
			retry = false // the body cannot be sent again
		}
		if !retry || attempt >= t.policy.MaxAttempts {
			return resp, err
		}
		if resp != nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
		}
		if err := t.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// judge says whether to retry and after how long, and records what the
// response says in info.
func (t *retryTransport) judge(ctx context.Context, info *call, resp *http.Response, err error, repeatable bool, attempt int) (time.Duration, bool) {
	backoff := t.backoff(attempt)
	if err != nil {
		info.status = 0
		if ctx.Err() != nil {
			return 0, false
		}
		return backoff, repeatable
	}
	info.status = resp.StatusCode
	info.rateLimited = false
	info.accepted = resp.Header.Get("X-Accepted-Github-Permissions")
	switch code := resp.StatusCode; {
	case code == http.StatusInternalServerError, code == http.StatusBadGateway,
		code == http.StatusServiceUnavailable, code == http.StatusGatewayTimeout:
		if d, ok := t.retryAfter(resp); ok {
			return t.capped(d), repeatable
		}
		return backoff, repeatable
	case code == http.StatusTooManyRequests:
		info.rateLimited = true
		return t.rateLimitWait(info, resp, backoff, attempt), true
	case code == http.StatusForbidden:
		if resp.Header.Get("X-Ratelimit-Remaining") == "0" || resp.Header.Get("Retry-After") != "" || secondaryLimit(resp) {
			info.rateLimited = true
			return t.rateLimitWait(info, resp, backoff, attempt), true
		}
	}
	return 0, false
}

// rateLimitWait follows GitHub's documented order: retry-after, then
// x-ratelimit-reset when x-ratelimit-remaining is 0, otherwise at least a
// minute (growing with the attempts), all capped by MaxDelay.
func (t *retryTransport) rateLimitWait(info *call, resp *http.Response, backoff time.Duration, attempt int) time.Duration {
	if d, ok := t.retryAfter(resp); ok {
		return t.capped(d)
	}
	if resp.Header.Get("X-Ratelimit-Remaining") == "0" {
		if sec, err := strconv.ParseInt(resp.Header.Get("X-Ratelimit-Reset"), 10, 64); err == nil {
			info.rateReset = time.Unix(sec, 0).UTC()
			d := info.rateReset.Sub(t.now()) + time.Second
			if d < 0 {
				d = 0
			}
			return t.capped(d)
		}
	}
	grow := secondaryDefaultWait << min(attempt-1, 10)
	return t.capped(max(grow, backoff))
}

func (t *retryTransport) retryAfter(resp *http.Response) (time.Duration, bool) {
	v := strings.TrimSpace(resp.Header.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if sec, err := strconv.ParseInt(v, 10, 64); err == nil && sec >= 0 {
		return time.Duration(sec) * time.Second, true
	}
	if when, err := http.ParseTime(v); err == nil {
		return max(when.Sub(t.now()), 0), true
	}
	return 0, false
}

// backoff is BaseDelay·2^(attempt-1) with "equal jitter": a random point
// in its upper half, then capped.
func (t *retryTransport) backoff(attempt int) time.Duration {
	d := float64(t.policy.BaseDelay) * math.Pow(2, float64(attempt-1))
	d = d/2 + t.rand()*d/2
	if d > float64(t.policy.MaxDelay) {
		return t.policy.MaxDelay
	}
	return time.Duration(d)
}

func (t *retryTransport) capped(d time.Duration) time.Duration {
	return min(d, t.policy.MaxDelay)
}

// secondaryLimit reports whether a 403 body is GitHub's secondary rate
// limit message; the body is left readable for the caller.
func secondaryLimit(resp *http.Response) bool {
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(data))
	if err != nil {
		return false
	}
	var body struct {
		Message          string `json:"message"`
		DocumentationURL string `json:"documentation_url"`
	}
	_ = json.Unmarshal(data, &body)
	msg := strings.ToLower(body.Message)
	return strings.Contains(msg, "secondary rate limit") || strings.Contains(msg, "abuse detection") ||
		strings.HasSuffix(body.DocumentationURL, "secondary-rate-limits") ||
		strings.HasSuffix(body.DocumentationURL, "#abuse-rate-limits")
}

func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// sleepCtx waits for d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// authTransport adds the token to requests for one host only, so a
// redirect or a URL from a response never carries it elsewhere.
type authTransport struct {
	base  http.RoundTripper
	host  string
	value string
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !strings.EqualFold(req.URL.Host, t.host) {
		return t.base.RoundTrip(req)
	}
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", t.value)
	return t.base.RoundTrip(r)
}
