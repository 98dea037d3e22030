package fakegithub

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path"
	"strconv"
	"time"
)

// Fault makes matching requests fail, or runs a hook before them.
type Fault struct {
	// Method matches the HTTP method; empty matches any. GraphQL calls
	// are POSTs.
	Method string
	// Route matches the unescaped path below /repos/OWNER/REPO/ ("pulls",
	// "pulls/1/merge", "labels/new CVE", "git/refs/heads/x") or
	// "graphql:enablePullRequestAutoMerge"; path.Match patterns work
	// ("pulls/*/merge", "graphql:*").
	Route string
	// Times is how many matching requests the fault applies to (0 = 1).
	Times int
	// Status is the answer; 0 with Before set only runs the hook.
	Status int
	Header http.Header
	// Body is the JSON answer; default {"message": <status text>}.
	Body string
	// After applies the request first and then answers with the fault:
	// an answer lost after the write took effect.
	After bool
	// Before runs before the request is handled, without the server's
	// lock: a human acting during a run.
	Before func(*Server)

	fired int
}

func (f *Fault) String() string { return fmt.Sprintf("%s %s → %d", f.Method, f.Route, f.Status) }

func (f *Fault) left() int {
	n := f.Times
	if n == 0 {
		n = 1
	}
	return n - f.fired
}

func (f *Fault) matches(method, route string) bool {
	if f.left() <= 0 || (f.Method != "" && f.Method != method) {
		return false
	}
	if f.Route == route {
		return true
	}
	ok, _ := path.Match(f.Route, route)
	return ok
}

// Fail registers faults; each must be used up by the end of the test.
func (s *Server) Fail(faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range faults {
		f := faults[i]
		s.faults = append(s.faults, &f)
	}
}

// ServerErrors fails n matching requests with 502 Bad Gateway.
func ServerErrors(method, route string, n int) Fault {
	return Fault{Method: method, Route: route, Times: n, Status: http.StatusBadGateway}
}

// LostAnswer applies one matching write and then answers 502.
func LostAnswer(method, route string) Fault {
	return Fault{Method: method, Route: route, Status: http.StatusBadGateway, After: true}
}

// TooManyRequests answers 429 with Retry-After: seconds.
func TooManyRequests(method, route string, seconds int) Fault {
	return Fault{Method: method, Route: route, Status: http.StatusTooManyRequests,
		Header: http.Header{"Retry-After": {strconv.Itoa(seconds)}},
		Body:   secondaryBody}
}

// SecondaryLimit answers 403 with GitHub's secondary rate limit message;
// with seconds > 0 it also sends Retry-After.
func SecondaryLimit(method, route string, seconds int) Fault {
	f := Fault{Method: method, Route: route, Status: http.StatusForbidden, Body: secondaryBody, Header: http.Header{}}
	if seconds > 0 {
		f.Header.Set("Retry-After", strconv.Itoa(seconds))
	}
	return f
}

// PrimaryLimit answers 403 with x-ratelimit-remaining: 0 and
// x-ratelimit-reset at reset.
func PrimaryLimit(method, route string, reset time.Time) Fault {
	return Fault{Method: method, Route: route, Status: http.StatusForbidden,
		Header: http.Header{
			"X-Ratelimit-Limit":     {"1000"},
			"X-Ratelimit-Remaining": {"0"},
			"X-Ratelimit-Used":      {"1000"},
			"X-Ratelimit-Reset":     {strconv.FormatInt(reset.Unix(), 10)},
			"X-Ratelimit-Resource":  {"core"},
		},
		Body: `{"message":"API rate limit exceeded for installation ID 4242.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-primary-rate-limits","status":"403"}`}
}

// Forbidden answers what GitHub answers a GITHUB_TOKEN lacking a
// permission; accepted is the x-accepted-github-permissions value
// ("pull_requests=write").
func Forbidden(method, route, accepted string) Fault {
	f := Fault{Method: method, Route: route, Status: http.StatusForbidden,
		Body: `{"message":"Resource not accessible by integration","documentation_url":"https://docs.github.com/rest/pulls/pulls","status":"403"}`}
	if accepted != "" {
		f.Header = http.Header{"X-Accepted-Github-Permissions": {accepted}}
	}
	return f
}

// BadCredentials answers 401.
func BadCredentials(method, route string) Fault {
	return Fault{Method: method, Route: route, Status: http.StatusUnauthorized, Body: badCredentials}
}

const (
	secondaryBody  = `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0000:1111:2222.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits","status":"403"}`
	badCredentials = `{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest","status":"401"}`
)

// storm fails a share of all requests with random faults.
type storm struct {
	rng  *rand.Rand
	rate float64
}

// Storm fails about rate of all further requests, chosen by a generator
// seeded with seed: 502 before or after the write took effect, 429 with
// Retry-After, 403 secondary rate limits with and without Retry-After.
// Storm(0, 0) stops it.
func (s *Server) Storm(seed uint64, rate float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rate <= 0 {
		s.storm = nil
		return
	}
	s.storm = &storm{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), rate: rate}
}

func (st *storm) pick(method, route string) *Fault {
	if st.rng.Float64() >= st.rate {
		return nil
	}
	var f Fault
	switch st.rng.IntN(5) {
	case 0:
		f = ServerErrors(method, route, 1)
	case 1:
		f = LostAnswer(method, route)
	case 2:
		f = TooManyRequests(method, route, 1+st.rng.IntN(3))
	case 3:
		f = SecondaryLimit(method, route, 1+st.rng.IntN(3))
	default:
		f = SecondaryLimit(method, route, 0)
	}
	return &f
}

// errorBody renders {"message": …} the way GitHub does.
func errorBody(status int, message, doc string) string {
	b, _ := json.Marshal(map[string]string{"message": message, "documentation_url": doc, "status": strconv.Itoa(status)})
	return string(b)
}
