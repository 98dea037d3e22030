package fakegitlab_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/cvetrail/cvetrail/internal/forge/gitlab/fakegitlab"
)

// recorder catches what the fake reports as test failures.
type recorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recorder) failures() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.errs...)
}

func do(t *testing.T, s *fakegitlab.Server, method, path, body string, header map[string]string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data), resp.Header
}

func TestFakeFailsTheTestOnWhatItDoesNotImplement(t *testing.T) {
	tok := map[string]string{"PRIVATE-TOKEN": fakegitlab.DefaultToken}
	tests := []struct {
		name, method, path, body string
		header                   map[string]string
		status                   int
		failure                  string
	}{
		{"unknown endpoint", "GET", "/projects/acme%2Fapp/pipelines", "", tok, 404, "unexpected call"},
		{"outside projects", "GET", "/user", "", tok, 404, "unexpected call"},
		{"unknown parameter", "GET", "/projects/acme%2Fapp/merge_requests?scope=all", "", tok, 400, `parameter "scope"`},
		{"unknown body field", "PUT", "/projects/acme%2Fapp/merge_requests/1", `{"assignee_id":3}`, tok, 400, `parameter "assignee_id"`},
		{"project path not encoded", "GET", "/projects/acme/app/merge_requests", "", tok, 404, "not URL-encoded"},
		{"no token", "GET", "/projects/acme%2Fapp/merge_requests", "", nil, 404, "neither PRIVATE-TOKEN nor JOB-TOKEN"},
		{"token in the URL", "GET", "/projects/acme%2Fapp/merge_requests?private_token=" + fakegitlab.DefaultToken, "", tok, 400, "token in the URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{TB: t}
			s := fakegitlab.New(rec, "acme/app")
			status, _, _ := do(t, s, tt.method, tt.path, tt.body, tt.header)
			if status != tt.status {
				t.Errorf("status = %d, want %d", status, tt.status)
			}
			fails := rec.failures()
			if len(fails) == 0 || !strings.Contains(strings.Join(fails, "\n"), tt.failure) {
				t.Errorf("failures = %q, want one mentioning %q", fails, tt.failure)
			}
		})
	}
}

func TestFakeAuthentication(t *testing.T) {
	tests := []struct {
		name        string
		header      map[string]string
		jobTokenAPI bool
		status      int
	}{
		{"private token", map[string]string{"PRIVATE-TOKEN": fakegitlab.DefaultToken}, false, 200},
		{"wrong private token", map[string]string{"PRIVATE-TOKEN": "nope"}, false, 401},
		{"job token where GitLab ignores it", map[string]string{"JOB-TOKEN": fakegitlab.DefaultJobToken}, false, 404},
		{"job token where allowed", map[string]string{"JOB-TOKEN": fakegitlab.DefaultJobToken}, true, 200},
		{"wrong job token", map[string]string{"JOB-TOKEN": "nope"}, true, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := fakegitlab.New(t, "acme/app")
			s.JobTokenAPI = tt.jobTokenAPI
			for _, p := range []string{"/projects/acme%2Fapp/merge_requests", fmt.Sprintf("/projects/%d/merge_requests", s.ProjectID)} {
				if status, body, _ := do(t, s, "GET", p, "", tt.header); status != tt.status {
					t.Errorf("GET %s = %d %s, want %d", p, status, body, tt.status)
				}
			}
		})
	}
}

func TestFakeMergeRequestLifecycle(t *testing.T) {
	s := fakegitlab.New(t, "acme/app")
	tok := map[string]string{"PRIVATE-TOKEN": fakegitlab.DefaultToken}
	s.SetBranch("main", fakegitlab.SHA("base"))
	s.SetBranch("report", fakegitlab.SHA("r1"))

	if status, body, _ := do(t, s, "POST", "/projects/acme%2Fapp/merge_requests", `{"title":"t","source_branch":"report"}`, tok); status != 400 || !strings.Contains(body, "target_branch is missing") {
		t.Errorf("create without target = %d %s", status, body)
	}
	status, body, _ := do(t, s, "POST", "/projects/acme%2Fapp/merge_requests", `{"title":"t","source_branch":"report","target_branch":"main","labels":"a,b"}`, tok)
	if status != 201 || !strings.Contains(body, `"iid":1`) || !strings.Contains(body, `"labels":["a","b"]`) {
		t.Fatalf("create = %d %s", status, body)
	}
	if status, body, _ := do(t, s, "POST", "/projects/acme%2Fapp/merge_requests", `{"title":"t","source_branch":"report","target_branch":"main"}`, tok); status != 409 || !strings.Contains(body, "already exists") {
		t.Errorf("second create = %d %s", status, body)
	}
	if l, ok := s.Label("a"); !ok || l.Color != fakegitlab.DefaultLabelColor {
		t.Errorf("label named by the merge request = %+v, %v", l, ok)
	}
	if status, body, _ := do(t, s, "PUT", "/projects/acme%2Fapp/merge_requests/1/merge", `{"sha":"`+fakegitlab.SHA("old")+`"}`, tok); status != 409 || !strings.Contains(body, "SHA does not match") {
		t.Errorf("merge with a stale sha = %d %s", status, body)
	}
	if status, body, _ := do(t, s, "POST", "/projects/acme%2Fapp/merge_requests/1/cancel_merge_when_pipeline_succeeds", "", tok); status != 406 {
		t.Errorf("cancel without auto-merge = %d %s", status, body)
	}
	s.Update(1, func(mr *fakegitlab.MR) { mr.PipelineRunning = true })
	if status, body, _ := do(t, s, "PUT", "/projects/acme%2Fapp/merge_requests/1/merge", `{}`, tok); status != 405 {
		t.Errorf("merge while the pipeline runs = %d %s", status, body)
	}
	if status, body, _ := do(t, s, "PUT", "/projects/acme%2Fapp/merge_requests/1/merge", `{"auto_merge":true}`, tok); status != 200 || !strings.Contains(body, `"merge_when_pipeline_succeeds":true`) {
		t.Errorf("auto-merge = %d %s", status, body)
	}
	s.SetPipeline(1, false, true)
	if mr, _ := s.MR(1); mr.State != fakegitlab.Merged {
		t.Errorf("after the pipeline passed: %s", mr.State)
	}
	if status, body, _ := do(t, s, "DELETE", "/projects/acme%2Fapp/repository/branches/report", "", tok); status != 204 {
		t.Errorf("delete branch = %d %s", status, body)
	}
	if status, _, _ := do(t, s, "DELETE", "/projects/acme%2Fapp/repository/branches/report", "", tok); status != 404 {
		t.Errorf("delete again = %d", status)
	}
	writes := 0
	for _, c := range s.Calls() {
		if c.Write {
			writes++
		}
	}
	// create, auto-merge, delete branch
	if writes != 3 || s.Writes() != 3 {
		t.Errorf("writes = %d / %d, want 3", writes, s.Writes())
	}
}

func TestFakePagination(t *testing.T) {
	s := fakegitlab.New(t, "acme/app")
	for i := 0; i < 5; i++ {
		s.AddLabel(fakegitlab.Label{Name: fmt.Sprintf("label-%d", i), Color: "#000000"})
	}
	tok := map[string]string{"PRIVATE-TOKEN": fakegitlab.DefaultToken}
	status, body, h := do(t, s, "GET", "/projects/acme%2Fapp/labels?per_page=2&page=2", "", tok)
	if status != 200 || h.Get("X-Total") != "5" || h.Get("X-Next-Page") != "3" || h.Get("X-Total-Pages") != "3" {
		t.Errorf("page 2 = %d, headers %v", status, h)
	}
	if !strings.Contains(body, "label-2") || !strings.Contains(body, "label-3") || strings.Contains(body, "label-4") {
		t.Errorf("page 2 body = %s", body)
	}
	_, body, _ = do(t, s, "GET", "/projects/acme%2Fapp/labels?search=LABEL-4", "", tok)
	if !strings.Contains(body, "label-4") || strings.Contains(body, "label-1") {
		t.Errorf("search = %s", body)
	}
}

func TestFakeFaults(t *testing.T) {
	s := fakegitlab.New(t, "acme/app")
	s.SetBranch("main", fakegitlab.SHA("base"))
	s.SetBranch("report", fakegitlab.SHA("r1"))
	tok := map[string]string{"PRIVATE-TOKEN": fakegitlab.DefaultToken}
	s.Fail(fakegitlab.Fault{Route: fakegitlab.RouteCreateMR, Status: 502, AfterApply: true})
	s.Fail(fakegitlab.Fault{Route: fakegitlab.RouteListMRs, Status: 429, Header: http.Header{"Retry-After": {"3"}}, Times: 2})

	status, _, _ := do(t, s, "POST", "/projects/acme%2Fapp/merge_requests", `{"title":"t","source_branch":"report","target_branch":"main"}`, tok)
	if status != 502 || len(s.MRs()) != 1 {
		t.Errorf("lost answer: status %d, %d merge requests; want 502 and the write applied", status, len(s.MRs()))
	}
	for i := 0; i < 2; i++ {
		status, _, h := do(t, s, "GET", "/projects/acme%2Fapp/merge_requests", "", tok)
		if status != 429 || h.Get("Retry-After") != "3" {
			t.Errorf("rate limited call %d = %d, %v", i, status, h)
		}
	}
	if status, _, _ := do(t, s, "GET", "/projects/acme%2Fapp/merge_requests", "", tok); status != 200 || s.PendingFaults() != 0 {
		t.Errorf("after the faults: %d, %d pending", status, s.PendingFaults())
	}
	if s.Writes() != 1 {
		t.Errorf("writes = %d, want the applied create", s.Writes())
	}
}
