package fakegithub_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/cvetrail/cvetrail/internal/forge/github/fakegithub"
)

// recorder collects what the fake reports instead of failing the test.
type recorder struct {
	testing.TB
	mu       sync.Mutex
	errs     []string
	cleanups []func()
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recorder) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }

func (r *recorder) finish() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
}

func (r *recorder) reported() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.errs, "\n")
}

type call struct {
	method, path, body string
	header             map[string]string
}

func do(t *testing.T, s *fakegithub.Server, c call) (int, map[string]any, string) {
	t.Helper()
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	req, err := http.NewRequest(c.method, strings.TrimSuffix(s.URL(), "/")+c.path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+fakegithub.Token)
	req.Header.Set("Accept", "application/vnd.github.v3+json")
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	if c.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range c.header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var obj map[string]any
	_ = json.Unmarshal(data, &obj)
	return resp.StatusCode, obj, string(data)
}

const repoPath = "/api/v3/repos/acme/images/"

func TestFakeReportsWhatItDoesNotImplement(t *testing.T) {
	for _, tc := range []struct {
		name string
		call call
		want string
	}{
		{"unknown endpoint", call{method: "GET", path: repoPath + "issues"}, "unexpected request"},
		{"another repository", call{method: "GET", path: "/api/v3/repos/acme/other/pulls"}, "unexpected request"},
		{"wrong method", call{method: "DELETE", path: repoPath + "pulls/1"}, "unexpected request"},
		{"no API version", call{method: "GET", path: repoPath + "pulls", header: map[string]string{"X-GitHub-Api-Version": ""}}, "X-GitHub-Api-Version"},
		{"undocumented field", call{method: "POST", path: repoPath + "pulls", body: `{"title":"t","head":"x","base":"main","colour":"red"}`}, "unknown field"},
		{"unknown list parameter", call{method: "GET", path: repoPath + "pulls?labels=x"}, "unknown parameter"},
		{"head without owner", call{method: "GET", path: repoPath + "pulls?head=x"}, "user:ref-name"},
		{"unknown GraphQL", call{method: "POST", path: "/api/graphql", body: `{"query":"query{viewer{login}}"}`}, "unexpected operation"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{TB: t}
			s := fakegithub.New(rec, "acme", "images")
			do(t, s, tc.call)
			rec.finish()
			if got := rec.reported(); !strings.Contains(got, tc.want) {
				t.Errorf("reported %q, want %q", got, tc.want)
			}
		})
	}
}

func TestFakeReportsUnusedFaults(t *testing.T) {
	rec := &recorder{TB: t}
	s := fakegithub.New(rec, "acme", "images")
	s.Fail(fakegithub.ServerErrors("GET", "pulls", 2))
	do(t, s, call{method: "GET", path: repoPath + "pulls"})
	rec.finish()
	if got := rec.reported(); !strings.Contains(got, "not used up (1 left)") {
		t.Errorf("reported %q", got)
	}
}

func TestFakeChecksTheToken(t *testing.T) {
	rec := &recorder{TB: t}
	s := fakegithub.New(rec, "acme", "images")
	for _, auth := range []string{"", "Bearer wrong", "Basic " + fakegithub.Token} {
		status, obj, _ := do(t, s, call{method: "GET", path: repoPath + "pulls", header: map[string]string{"Authorization": auth}})
		if status != 401 || obj["message"] != "Bad credentials" {
			t.Errorf("Authorization %q: %d %v", auth, status, obj)
		}
	}
	status, _, _ := do(t, s, call{method: "GET", path: repoPath + "pulls", header: map[string]string{"Authorization": "token " + fakegithub.Token}})
	if status != 200 {
		t.Errorf("token scheme: %d", status)
	}
	rec.finish()
	if rec.reported() != "" {
		t.Errorf("a 401 is an answer, not a test failure: %s", rec.reported())
	}
}

func TestFakeAnswersInGitHubsShapes(t *testing.T) {
	s := fakegithub.New(t, "acme", "images")
	s.SetBranch("report", strings.Repeat("1", 40))
	status, pr, raw := do(t, s, call{method: "POST", path: repoPath + "pulls", body: `{"title":"t","head":"acme:report","base":"main","body":"b"}`})
	if status != 201 {
		t.Fatalf("create: %d %s", status, raw)
	}
	for _, k := range []string{"number", "node_id", "html_url", "state", "title", "body", "labels", "head", "base", "auto_merge", "merged", "draft", "user"} {
		if _, ok := pr[k]; !ok {
			t.Errorf("pull request lacks %q: %s", k, raw)
		}
	}
	if pr["auto_merge"] != nil || pr["state"] != "open" || pr["head"].(map[string]any)["ref"] != "report" {
		t.Errorf("pull request = %s", raw)
	}
	status, obj, raw := do(t, s, call{method: "POST", path: repoPath + "pulls", body: `{"title":"t","head":"report","base":"main"}`})
	errs, _ := obj["errors"].([]any)
	if status != 422 || len(errs) != 1 || !strings.Contains(fmt.Sprint(errs[0]), "A pull request already exists for acme:report.") {
		t.Errorf("duplicate: %d %s", status, raw)
	}
	// The label endpoints take escaped names and the documented bodies.
	if status, _, raw := do(t, s, call{method: "POST", path: repoPath + "issues/1/labels", body: `{"labels":["new CVE"]}`}); status != 200 || !strings.Contains(raw, `"name":"new CVE"`) {
		t.Errorf("add labels: %d %s", status, raw)
	}
	if status, _, raw := do(t, s, call{method: "GET", path: repoPath + "labels/new%20CVE"}); status != 200 || !strings.Contains(raw, `"color":"ededed"`) {
		t.Errorf("get label: %d %s", status, raw)
	}
	if status, _, raw := do(t, s, call{method: "DELETE", path: repoPath + "issues/1/labels/new%20CVE"}); status != 200 || raw != "[]" {
		t.Errorf("remove label: %d %s", status, raw)
	}
	if status, obj, _ := do(t, s, call{method: "DELETE", path: repoPath + "issues/1/labels/new%20CVE"}); status != 404 || obj["message"] != "Label does not exist" {
		t.Errorf("remove missing label: %d %v", status, obj)
	}
	if status, _, _ := do(t, s, call{method: "DELETE", path: repoPath + "git/refs/heads/report"}); status != 204 {
		t.Errorf("delete ref: %d", status)
	}
	if p, _ := s.PR(1); p.State != "closed" || p.ClosedBy != "branch" {
		t.Errorf("deleting the head branch must close its pull request: %+v", p)
	}
	if status, obj, _ := do(t, s, call{method: "DELETE", path: repoPath + "git/refs/heads/report"}); status != 422 || obj["message"] != "Reference does not exist" {
		t.Errorf("delete missing ref: %d %v", status, obj)
	}
	if s.Writes() != 4 { // create, add label (and create it), remove label, delete ref
		t.Errorf("Writes = %d, want 4", s.Writes())
	}
}

func TestFakeGraphQL(t *testing.T) {
	s := fakegithub.New(t, "acme", "images")
	s.SetBranch("report", strings.Repeat("1", 40))
	do(t, s, call{method: "POST", path: repoPath + "pulls", body: `{"title":"t","head":"report","base":"main"}`})
	pr, _ := s.PR(1)
	mutation := func(field, typ, input string) string {
		q := fmt.Sprintf(`mutation($input:%s!){%s(input: $input){pullRequest{autoMergeRequest{mergeMethod},number}}}`, typ, field)
		b, _ := json.Marshal(map[string]any{"query": q, "variables": map[string]json.RawMessage{"input": json.RawMessage(input)}})
		return string(b)
	}
	enable := mutation("enablePullRequestAutoMerge", "EnablePullRequestAutoMergeInput", `{"pullRequestId":"`+pr.NodeID+`","mergeMethod":"REBASE"}`)

	_, _, raw := do(t, s, call{method: "POST", path: "/api/graphql", body: enable})
	if !strings.Contains(raw, "clean status") {
		t.Errorf("enable without pending checks: %s", raw)
	}
	s.SetChecksPending(true)
	_, _, raw = do(t, s, call{method: "POST", path: "/api/graphql", body: enable})
	if want := `{"data":{"enablePullRequestAutoMerge":{"pullRequest":{"autoMergeRequest":{"mergeMethod":"REBASE"},"number":1}}}}`; raw != want {
		t.Errorf("enable = %s, want %s", raw, want)
	}
	disable := mutation("disablePullRequestAutoMerge", "DisablePullRequestAutoMergeInput", `{"pullRequestId":"`+pr.NodeID+`"}`)
	_, _, raw = do(t, s, call{method: "POST", path: "/api/graphql", body: disable})
	if want := `{"data":{"disablePullRequestAutoMerge":{"pullRequest":{"autoMergeRequest":null,"number":1}}}}`; raw != want {
		t.Errorf("disable = %s, want %s", raw, want)
	}
}
