package github_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cvetrail/cvetrail/internal/forge"
	"github.com/cvetrail/cvetrail/internal/forge/github"
	"github.com/cvetrail/cvetrail/internal/forge/github/fakegithub"
)

const (
	owner = "acme"
	repo  = "images"
	head  = "cvetrail/daily-report"
	base  = "main"
)

var (
	sha1 = strings.Repeat("1", 40)
	sha2 = strings.Repeat("2", 40)
	sha3 = strings.Repeat("3", 40)
	now  = time.Date(2026, 3, 1, 6, 0, 0, 0, time.UTC)
)

var newCVE = forge.Label{Name: "new CVE", Color: "d73a4a", Description: "A vulnerability needs a human decision"}

// harness is a client wired to a fake GitHub, recording its sleeps.
type harness struct {
	t      *testing.T
	fake   *fakegithub.Server
	client *github.Client

	mu     sync.Mutex
	sleeps []time.Duration
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{t: t, fake: fakegithub.New(t, owner, repo)}
	h.fake.SetBranch(head, sha1)
	h.client = h.newClient(github.RetryPolicy{MaxAttempts: 6, BaseDelay: time.Second, MaxDelay: time.Minute})
	return h
}

func (h *harness) newClient(p github.RetryPolicy) *github.Client {
	h.t.Helper()
	c, err := github.New(github.Config{
		APIURL:     h.fake.APIURL(),
		Token:      fakegithub.Token,
		Owner:      owner,
		Repo:       repo,
		HTTPClient: h.fake.Client(),
		Retry:      p,
		Sleep: func(ctx context.Context, d time.Duration) error {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.sleeps = append(h.sleeps, d)
			return ctx.Err()
		},
		Rand: func() float64 { return 0.5 },
		Now:  func() time.Time { return now },
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

func (h *harness) takeSleeps() []time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.sleeps
	h.sleeps = nil
	return s
}

// request is the daily run's request: review wanted or not.
func request(review bool, mode forge.MergeMode, sha string) forge.Request {
	r := forge.Request{
		Head:    head,
		Base:    base,
		Title:   "cvetrail: daily report",
		Body:    "## Summary\n\nNothing needs review.\n",
		HeadSHA: sha,
		Managed: []forge.Label{newCVE},
		Merge:   mode,
		Method:  "squash",
	}
	if review {
		r.Title = "cvetrail: 1 new CVE"
		r.Body = "## Summary\n\n1 finding needs review: CVE-2026-0001 in libssl3.\n"
		r.Labels = []string{"new CVE"}
		r.NeedsReview = true
	}
	return r
}

func (h *harness) sync(req forge.Request) forge.Result {
	h.t.Helper()
	res, err := h.client.Sync(context.Background(), req)
	if err != nil {
		h.t.Fatalf("Sync: %v", err)
	}
	noToken(h.t, fmt.Sprintf("%+v", res))
	return res
}

func (h *harness) onlyPR() fakegithub.PR {
	h.t.Helper()
	prs := h.fake.PRs()
	if len(prs) != 1 {
		h.t.Fatalf("fake has %d pull requests, want 1: %+v", len(prs), prs)
	}
	return prs[0]
}

// noToken fails when s holds the token in any form it is sent in.
func noToken(t *testing.T, s string) {
	t.Helper()
	basic := base64.StdEncoding.EncodeToString([]byte("x-access-token:" + fakegithub.Token))
	if strings.Contains(s, fakegithub.Token) || strings.Contains(s, basic) {
		t.Errorf("the token leaked into %q", s)
	}
}

// rerunIsIdempotent syncs req again and checks nothing was written.
func (h *harness) rerunIsIdempotent(req forge.Request) {
	h.t.Helper()
	before, beforeCalls := h.fake.Writes(), h.fake.WriteCalls()
	res := h.sync(req)
	if res.Writes != 0 || !res.AlreadyUpToDate {
		h.t.Errorf("rerun: Writes = %d, AlreadyUpToDate = %v; want 0, true (%+v)", res.Writes, res.AlreadyUpToDate, res)
	}
	if w, c := h.fake.Writes()-before, h.fake.WriteCalls()-beforeCalls; w != 0 || c != 0 {
		h.t.Errorf("rerun: fake saw %d writes in %d write calls, want none", w, c)
	}
}

func TestFirstRunCreatesPullRequestAndLabel(t *testing.T) {
	h := newHarness(t)
	req := request(true, forge.MergeAPI, sha1)
	res := h.sync(req)

	want := forge.Result{
		Number:        1,
		URL:           h.fake.URL() + "acme/images/pull/1",
		Created:       true,
		Writes:        3, // create the pull request, create the label, add it
		LabelsAdded:   []string{"new CVE"},
		LabelsCreated: []string{"new CVE"},
	}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("Result (-want +got):\n%s", diff)
	}
	pr := h.onlyPR()
	if pr.State != "open" || pr.Head != head || pr.Base != base || pr.Title != req.Title || pr.Body != req.Body || pr.HeadSHA != sha1 {
		t.Errorf("pull request = %+v", pr)
	}
	if diff := cmp.Diff([]string{"new CVE"}, pr.Labels); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]fakegithub.Label{{Name: "new CVE", Color: "d73a4a", Description: newCVE.Description}}, h.fake.Labels()); diff != "" {
		t.Errorf("repository labels (-want +got):\n%s", diff)
	}
	if h.fake.Writes() != 3 {
		t.Errorf("fake counted %d writes, want 3", h.fake.Writes())
	}
	h.rerunIsIdempotent(req)
}

func TestNextDayCleanRemovesLabelAndMerges(t *testing.T) {
	h := newHarness(t)
	h.sync(request(true, forge.MergeAPI, sha1))

	h.fake.SetBranch(head, sha2) // the next day's report commit
	req := request(false, forge.MergeAPI, sha2)
	res := h.sync(req)
	if !res.Merged || res.Created || res.Number != 1 {
		t.Errorf("Result = %+v, want pull request #1 merged", res)
	}
	if diff := cmp.Diff([]string{"new CVE"}, res.LabelsRemoved); diff != "" {
		t.Errorf("LabelsRemoved (-want +got):\n%s", diff)
	}
	if res.Writes != 3 { // title+body, label removal, merge
		t.Errorf("Writes = %d, want 3", res.Writes)
	}
	pr := h.onlyPR()
	if !pr.Merged || pr.MergeMethod != "squash" || len(pr.Labels) != 0 || pr.Title != req.Title || pr.Body != req.Body {
		t.Errorf("pull request = %+v, want merged by squash, no labels, new text", pr)
	}
	if sha, _ := h.fake.Branch(base); sha != pr.MergeSHA {
		t.Errorf("base at %s, want the merge %s", sha, pr.MergeSHA)
	}
	if len(h.fake.Labels()) != 1 {
		t.Errorf("the repository label must stay: %+v", h.fake.Labels())
	}
	// A rerun of the same day (its answer was lost, say) finds the merge
	// done and opens nothing new.
	h.rerunIsIdempotent(req)
	if res := h.sync(req); !res.Merged || res.Number != 1 {
		t.Errorf("rerun after merge = %+v", res)
	}
	h.onlyPR()
}

func TestRerunIsIdempotent(t *testing.T) {
	for _, tc := range []struct {
		name    string
		review  bool
		mode    forge.MergeMode
		pending bool
	}{
		{"review api", true, forge.MergeAPI, false},
		{"review auto", true, forge.MergeAuto, true},
		{"review none", true, forge.MergeNone, false},
		{"clean none", false, forge.MergeNone, false},
		{"clean api pending checks", false, forge.MergeAPI, true},
		{"clean auto pending checks", false, forge.MergeAuto, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.fake.SetChecksPending(tc.pending)
			req := request(tc.review, tc.mode, sha1)
			if res := h.sync(req); res.Writes == 0 {
				t.Fatalf("first run wrote nothing: %+v", res)
			}
			h.rerunIsIdempotent(req)
			h.rerunIsIdempotent(req)
		})
	}
}

func TestMergeModeAutoTogglesAutoMerge(t *testing.T) {
	h := newHarness(t)
	h.fake.SetChecksPending(true)

	res := h.sync(request(false, forge.MergeAuto, sha1))
	if !res.AutoMerge || res.Merged {
		t.Fatalf("day 1: %+v, want auto-merge enabled, not merged", res)
	}
	if pr := h.onlyPR(); pr.AutoMerge != "SQUASH" {
		t.Fatalf("day 1: fake auto-merge = %q, want SQUASH", pr.AutoMerge)
	}

	h.fake.SetBranch(head, sha2)
	res = h.sync(request(true, forge.MergeAuto, sha2))
	if res.AutoMerge {
		t.Errorf("day 2 needs review: %+v, want auto-merge off", res)
	}
	if pr := h.onlyPR(); pr.AutoMerge != "" || len(pr.Labels) != 1 {
		t.Errorf("day 2: fake = %+v, want auto-merge off and labelled", pr)
	}
	h.rerunIsIdempotent(request(true, forge.MergeAuto, sha2))

	h.fake.SetBranch(head, sha3)
	res = h.sync(request(false, forge.MergeAuto, sha3))
	if !res.AutoMerge || len(res.LabelsRemoved) != 1 {
		t.Errorf("day 3: %+v, want auto-merge on again and the label removed", res)
	}
	h.rerunIsIdempotent(request(false, forge.MergeAuto, sha3))

	h.fake.CompleteChecks()
	if pr := h.onlyPR(); !pr.Merged || pr.MergeMethod != "squash" {
		t.Errorf("after the checks: %+v, want merged by GitHub", pr)
	}
}

func TestMergeModeAutoOnCleanPullRequestMergesNow(t *testing.T) {
	h := newHarness(t) // no required checks pending: GitHub refuses auto-merge ("clean status")
	res := h.sync(request(false, forge.MergeAuto, sha1))
	if !res.Merged || res.AutoMerge {
		t.Errorf("Result = %+v, want merged right away", res)
	}
	if pr := h.onlyPR(); !pr.Merged {
		t.Errorf("pull request not merged: %+v", pr)
	}
}

func TestPendingChecksEnableAutoMergeInstead(t *testing.T) {
	h := newHarness(t)
	h.fake.SetChecksPending(true)
	req := request(false, forge.MergeAPI, sha1)
	res := h.sync(req)
	if res.Merged || !res.AutoMerge || !strings.Contains(res.MergeDeferredWhy, `Required status check "cvetrail" is expected`) {
		t.Errorf("Result = %+v, want auto-merge enabled and the reason recorded", res)
	}
	if pr := h.onlyPR(); pr.AutoMerge != "SQUASH" || pr.Merged {
		t.Errorf("pull request = %+v, want auto-merge SQUASH", pr)
	}
	h.rerunIsIdempotent(req)

	// The next day a new CVE appears: the earlier auto-merge must not
	// merge it.
	h.fake.SetBranch(head, sha2)
	res = h.sync(request(true, forge.MergeAPI, sha2))
	if res.AutoMerge {
		t.Errorf("needs review: %+v, want auto-merge disabled", res)
	}
	h.fake.CompleteChecks()
	if pr := h.onlyPR(); pr.Merged || pr.AutoMerge != "" {
		t.Errorf("pull request needing review = %+v, must not merge", pr)
	}
}

func TestMergeNeverTakesUnseenCommits(t *testing.T) {
	h := newHarness(t)
	h.sync(request(true, forge.MergeAPI, sha1))
	h.fake.SetBranch(head, sha2) // someone pushed after the run computed sha1
	res := h.sync(request(false, forge.MergeAPI, sha1))
	if res.Merged || !strings.Contains(res.MergeDeferredWhy, "Head branch was modified") {
		t.Errorf("Result = %+v, want no merge and the reason", res)
	}
	if h.onlyPR().Merged {
		t.Error("merged a commit the run did not see")
	}
}

func TestMergeModeNoneNeverMerges(t *testing.T) {
	h := newHarness(t)
	res := h.sync(request(false, forge.MergeNone, sha1))
	if res.Merged || res.AutoMerge {
		t.Errorf("Result = %+v", res)
	}
	for _, c := range h.fake.Calls() {
		if strings.HasSuffix(c.Route, "/merge") || strings.HasPrefix(c.Route, "graphql:") {
			t.Errorf("merge mode none called %s %s", c.Method, c.Route)
		}
	}
}

func TestCloseWhenReportEqualsBase(t *testing.T) {
	h := newHarness(t)
	h.sync(request(true, forge.MergeAPI, sha1))
	ctx := context.Background()

	closed, err := h.client.Close(ctx, head, "The report is back to what main has.")
	if err != nil || !closed {
		t.Fatalf("Close = %v, %v; want true, nil", closed, err)
	}
	pr := h.onlyPR()
	if pr.State != "closed" || pr.Merged || pr.ClosedBy != "api" {
		t.Errorf("pull request = %+v, want closed", pr)
	}
	if diff := cmp.Diff([]string{"The report is back to what main has."}, pr.Comments); diff != "" {
		t.Errorf("comments (-want +got):\n%s", diff)
	}
	if _, ok := h.fake.Branch(head); ok {
		t.Error("branch not deleted")
	}

	before := h.fake.WriteCalls()
	closed, err = h.client.Close(ctx, head, "The report is back to what main has.")
	if err != nil || closed {
		t.Errorf("second Close = %v, %v; want false, nil", closed, err)
	}
	if d := h.fake.WriteCalls() - before; d != 0 {
		t.Errorf("second Close made %d write calls", d)
	}
}

func TestCloseConvergesAfterFailures(t *testing.T) {
	h := newHarness(t)
	h.sync(request(true, forge.MergeAPI, sha1))
	h.client = h.newClient(github.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Second, MaxDelay: time.Minute})
	ctx := context.Background()
	comment := "Closed: nothing differs from main."

	// The comment is posted but its answer lost; then deleting the
	// branch fails twice (every attempt).
	h.fake.Fail(
		fakegithub.LostAnswer("POST", "issues/1/comments"),
		fakegithub.ServerErrors("DELETE", "git/refs/heads/"+head, 2),
	)
	if _, err := h.client.Close(ctx, head, comment); statusOf(err) != http.StatusBadGateway {
		t.Fatalf("Close = %v, want the lost comment's 502", err)
	}
	if _, err := h.client.Close(ctx, head, comment); statusOf(err) != http.StatusBadGateway {
		t.Fatalf("Close = %v, want the branch deletion's 502", err)
	}
	if pr := h.onlyPR(); pr.State != "closed" {
		t.Fatalf("pull request = %+v, want closed", pr)
	}
	if closed, err := h.client.Close(ctx, head, comment); err != nil || closed {
		t.Fatalf("third Close = %v, %v; want false, nil", closed, err)
	}
	if _, ok := h.fake.Branch(head); ok {
		t.Error("branch left behind")
	}
	if pr := h.onlyPR(); len(pr.Comments) != 1 {
		t.Errorf("comments = %q, want exactly one", pr.Comments)
	}
}

func TestCloseWithoutPullRequestWritesNothing(t *testing.T) {
	h := newHarness(t)
	h.fake.DeleteBranch(head)
	closed, err := h.client.Close(context.Background(), head, "bye")
	if err != nil || closed {
		t.Errorf("Close = %v, %v", closed, err)
	}
	if h.fake.WriteCalls() != 0 {
		t.Errorf("%d write calls", h.fake.WriteCalls())
	}
}

func TestHumanClosedPullRequest(t *testing.T) {
	for _, tc := range []struct {
		name       string
		push       func(*fakegithub.Server)
		wantNumber int
		reopened   bool
	}{
		{
			name:       "branch moved on: reopened, discussion kept",
			push:       func(f *fakegithub.Server) { f.SetBranch(head, sha2) },
			wantNumber: 1,
			reopened:   true,
		},
		{
			name:       "branch force-pushed: GitHub refuses, a new one links the old",
			push:       func(f *fakegithub.Server) { f.ForcePushBranch(head, sha2) },
			wantNumber: 2,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.sync(request(true, forge.MergeAPI, sha1))
			h.fake.ClosePR(1)
			tc.push(h.fake)

			req := request(true, forge.MergeAPI, sha2)
			res := h.sync(req)
			if res.Number != tc.wantNumber || res.Reopened != tc.reopened || res.Created == tc.reopened {
				t.Fatalf("Result = %+v", res)
			}
			pr, _ := h.fake.PR(tc.wantNumber)
			if pr.State != "open" || pr.HeadSHA != sha2 || len(pr.Labels) != 1 {
				t.Errorf("pull request = %+v, want open at %s with its label", pr, sha2)
			}
			open := 0
			for _, p := range h.fake.PRs() {
				if p.State == "open" {
					open++
				}
			}
			if open != 1 {
				t.Errorf("%d open pull requests, want 1", open)
			}
			if !tc.reopened && (len(pr.Comments) != 1 || !strings.Contains(pr.Comments[0], "#1")) {
				t.Errorf("new pull request comments = %q, want a pointer to #1", pr.Comments)
			}
			h.rerunIsIdempotent(req)
		})
	}
}

func TestHumanClosesDuringRun(t *testing.T) {
	h := newHarness(t)
	h.sync(request(true, forge.MergeAPI, sha1))
	h.fake.SetBranch(head, sha2)
	// While the run updates the title, a human closes the pull request;
	// the merge then fails.
	h.fake.Fail(fakegithub.Fault{Method: "PATCH", Route: "pulls/1", Before: func(f *fakegithub.Server) { f.ClosePR(1) }})
	req := request(false, forge.MergeAPI, sha2)
	_, err := h.client.Sync(context.Background(), req)
	if statusOf(err) != http.StatusMethodNotAllowed {
		t.Fatalf("Sync = %v, want the refused merge", err)
	}
	res := h.sync(req) // the rerun converges
	if !res.Reopened || !res.Merged || res.Number != 1 {
		t.Errorf("rerun = %+v, want #1 reopened and merged", res)
	}
	if pr := h.onlyPR(); !pr.Merged {
		t.Errorf("pull request = %+v", pr)
	}
}

func TestLabels(t *testing.T) {
	t.Run("deleted by hand is created again", func(t *testing.T) {
		h := newHarness(t)
		req := request(true, forge.MergeAPI, sha1)
		h.sync(req)
		h.fake.DeleteLabel("new CVE")
		res := h.sync(req)
		if diff := cmp.Diff([]string{"new CVE"}, res.LabelsCreated); diff != "" {
			t.Errorf("LabelsCreated (-want +got):\n%s", diff)
		}
		if pr := h.onlyPR(); len(pr.Labels) != 1 {
			t.Errorf("labels = %q", pr.Labels)
		}
		if ls := h.fake.Labels(); len(ls) != 1 || ls[0].Color != "d73a4a" {
			t.Errorf("repository labels = %+v", ls)
		}
	})
	t.Run("removed from the pull request by hand is added again", func(t *testing.T) {
		h := newHarness(t)
		req := request(true, forge.MergeAPI, sha1)
		h.sync(req)
		h.fake.RemovePRLabel(1, "new CVE")
		res := h.sync(req)
		if len(res.LabelsAdded) != 1 || len(res.LabelsCreated) != 0 {
			t.Errorf("Result = %+v", res)
		}
	})
	t.Run("unmanaged labels are never touched", func(t *testing.T) {
		h := newHarness(t)
		h.sync(request(true, forge.MergeNone, sha1))
		h.fake.AddPRLabel(1, "keep me")
		h.sync(request(false, forge.MergeNone, sha1))
		if diff := cmp.Diff([]string{"keep me"}, h.onlyPR().Labels); diff != "" {
			t.Errorf("labels (-want +got):\n%s", diff)
		}
	})
	t.Run("names compare without case", func(t *testing.T) {
		h := newHarness(t)
		h.fake.AddLabel(fakegithub.Label{Name: "New CVE", Color: "000000"})
		req := request(true, forge.MergeAPI, sha1)
		if res := h.sync(req); len(res.LabelsCreated) != 0 {
			t.Errorf("created %q although the repository has New CVE", res.LabelsCreated)
		}
		h.rerunIsIdempotent(req)
	})
	t.Run("names with spaces, slashes and percent signs", func(t *testing.T) {
		h := newHarness(t)
		odd := []forge.Label{newCVE, {Name: "area/security scan", Color: "0e8a16"}, {Name: "100% sure?", Color: "fbca04"}}
		req := request(true, forge.MergeNone, sha1)
		req.Managed = odd
		req.Labels = []string{"new CVE", "area/security scan", "100% sure?"}
		res := h.sync(req)
		if len(res.LabelsCreated) != 3 || len(h.onlyPR().Labels) != 3 {
			t.Fatalf("Result = %+v, labels %q", res, h.onlyPR().Labels)
		}
		h.rerunIsIdempotent(req)
		req.Labels = []string{"new CVE"}
		res = h.sync(req)
		if diff := cmp.Diff([]string{"area/security scan", "100% sure?"}, res.LabelsRemoved); diff != "" {
			t.Errorf("LabelsRemoved (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"new CVE"}, h.onlyPR().Labels); diff != "" {
			t.Errorf("labels (-want +got):\n%s", diff)
		}
	})
	t.Run("extra labels", func(t *testing.T) {
		h := newHarness(t)
		security := forge.Label{Name: "security", Color: "5319e7", Description: "Vulnerability report"}
		req := request(false, forge.MergeNone, sha1)
		req.Managed = []forge.Label{newCVE, security}
		req.Labels = []string{"security"}
		h.sync(req)
		if diff := cmp.Diff([]string{"security"}, h.onlyPR().Labels); diff != "" {
			t.Errorf("labels (-want +got):\n%s", diff)
		}
	})
}

func TestPermissionErrorsNameTheWorkflowPermission(t *testing.T) {
	for _, tc := range []struct {
		name     string
		fault    fakegithub.Fault
		req      forge.Request
		close    bool
		status   int
		wantHint []string
	}{
		{
			name:     "creating the pull request",
			fault:    fakegithub.Forbidden("POST", "pulls", "pull_requests=write"),
			req:      request(true, forge.MergeAPI, sha1),
			status:   403,
			wantHint: []string{"`pull-requests: write`", "GitHub asks for `pull-requests: write`"},
		},
		{
			name:     "creating the label",
			fault:    fakegithub.Forbidden("POST", "labels", "issues=write; pull_requests=write"),
			req:      request(true, forge.MergeAPI, sha1),
			status:   403,
			wantHint: []string{"`pull-requests: write`", "`issues: write`"},
		},
		{
			name:     "merging",
			fault:    fakegithub.Forbidden("PUT", "pulls/1/merge", "contents=write"),
			req:      request(false, forge.MergeAPI, sha1),
			status:   403,
			wantHint: []string{"`contents: write`"},
		},
		{
			name:     "deleting the branch",
			fault:    fakegithub.Forbidden("DELETE", "git/refs/heads/"+head, "contents=write"),
			close:    true,
			status:   403,
			wantHint: []string{"`contents: write`"},
		},
		{
			name:     "bad credentials",
			fault:    fakegithub.BadCredentials("GET", "pulls"),
			req:      request(true, forge.MergeAPI, sha1),
			status:   401,
			wantHint: []string{"GITHUB_TOKEN"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.fake.Fail(tc.fault)
			var err error
			if tc.close {
				_, err = h.client.Close(context.Background(), head, "")
			} else {
				_, err = h.client.Sync(context.Background(), tc.req)
			}
			var fe *forge.Error
			if !errors.As(err, &fe) || !errors.Is(err, forge.ErrPermission) {
				t.Fatalf("err = %v, want a *forge.Error wrapping ErrPermission", err)
			}
			if fe.Status != tc.status {
				t.Errorf("Status = %d, want %d", fe.Status, tc.status)
			}
			for _, w := range tc.wantHint {
				if !strings.Contains(fe.Hint, w) {
					t.Errorf("Hint = %q, want it to name %s", fe.Hint, w)
				}
			}
			if len(h.takeSleeps()) != 0 {
				t.Error("a permission error was retried")
			}
			noToken(t, err.Error()+fe.Hint)
		})
	}
}

func TestAutoMergeNotAllowedSaysWhatToChange(t *testing.T) {
	h := newHarness(t)
	h.fake.SetChecksPending(true)
	h.fake.SetAutoMergeAllowed(false)
	_, err := h.client.Sync(context.Background(), request(false, forge.MergeAPI, sha1))
	var fe *forge.Error
	if !errors.As(err, &fe) || !strings.Contains(fe.Hint, "Allow auto-merge") || errors.Is(err, forge.ErrPermission) {
		t.Errorf("err = %v (%+v), want a hint about the repository setting", err, fe)
	}
	if h.onlyPR().Merged {
		t.Error("merged while checks were pending")
	}
}

func TestWrongTokenIsAPermissionError(t *testing.T) {
	h := newHarness(t)
	h.fake.SetToken("ghs_someOtherToken")
	_, err := h.client.Sync(context.Background(), request(true, forge.MergeAPI, sha1))
	if !errors.Is(err, forge.ErrPermission) || statusOf(err) != 401 {
		t.Fatalf("err = %v", err)
	}
	noToken(t, err.Error())
}

func TestRetries(t *testing.T) {
	sec := time.Second
	for _, tc := range []struct {
		name   string
		faults []fakegithub.Fault
		want   []time.Duration
	}{
		{
			name:   "5xx back off exponentially with jitter",
			faults: []fakegithub.Fault{fakegithub.ServerErrors("GET", "pulls", 3)},
			want:   []time.Duration{750 * time.Millisecond, 1500 * time.Millisecond, 3 * sec},
		},
		{
			name:   "429 honours Retry-After",
			faults: []fakegithub.Fault{fakegithub.TooManyRequests("GET", "pulls", 7)},
			want:   []time.Duration{7 * sec},
		},
		{
			name:   "Retry-After is capped",
			faults: []fakegithub.Fault{fakegithub.TooManyRequests("GET", "pulls", 3600)},
			want:   []time.Duration{time.Minute},
		},
		{
			name:   "secondary limit with Retry-After",
			faults: []fakegithub.Fault{fakegithub.SecondaryLimit("POST", "pulls", 5)},
			want:   []time.Duration{5 * sec},
		},
		{
			name:   "secondary limit without headers waits a minute",
			faults: []fakegithub.Fault{fakegithub.SecondaryLimit("POST", "pulls", 0)},
			want:   []time.Duration{time.Minute},
		},
		{
			name:   "primary limit waits for x-ratelimit-reset",
			faults: []fakegithub.Fault{fakegithub.PrimaryLimit("GET", "pulls", now.Add(30*sec))},
			want:   []time.Duration{31 * sec},
		},
		{
			name:   "primary limit far away is capped",
			faults: []fakegithub.Fault{fakegithub.PrimaryLimit("GET", "pulls", now.Add(time.Hour))},
			want:   []time.Duration{time.Minute},
		},
		{
			name:   "lost creation is found, not repeated",
			faults: []fakegithub.Fault{fakegithub.LostAnswer("POST", "pulls")},
			want:   nil,
		},
		{
			name:   "failed creation is tried again after reading the state",
			faults: []fakegithub.Fault{fakegithub.ServerErrors("POST", "pulls", 2)},
			want:   []time.Duration{750 * time.Millisecond, 1500 * time.Millisecond},
		},
		{
			name:   "lost label answers are repeated safely",
			faults: []fakegithub.Fault{fakegithub.LostAnswer("POST", "labels"), fakegithub.LostAnswer("POST", "issues/1/labels")},
			want:   []time.Duration{750 * time.Millisecond, 750 * time.Millisecond},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.fake.Fail(tc.faults...)
			res := h.sync(request(true, forge.MergeAPI, sha1))
			if diff := cmp.Diff(tc.want, h.takeSleeps()); diff != "" {
				t.Errorf("sleeps (-want +got):\n%s", diff)
			}
			if res.Number != 1 || !res.Created {
				t.Errorf("Result = %+v", res)
			}
			pr := h.onlyPR()
			if len(pr.Labels) != 1 || len(h.fake.Labels()) != 1 {
				t.Errorf("pull request = %+v, labels %+v", pr, h.fake.Labels())
			}
		})
	}
}

func TestLostMergeIsNotRepeated(t *testing.T) {
	h := newHarness(t)
	h.fake.Fail(fakegithub.LostAnswer("PUT", "pulls/1/merge"))
	res := h.sync(request(false, forge.MergeAPI, sha1))
	if !res.Merged {
		t.Errorf("Result = %+v, want merged", res)
	}
	merges := 0
	for _, c := range h.fake.Calls() {
		if c.Route == "pulls/1/merge" {
			merges++
		}
	}
	if merges != 1 {
		t.Errorf("%d merge calls, want 1", merges)
	}
}

func TestRetriesGiveUp(t *testing.T) {
	h := newHarness(t)
	h.fake.Fail(fakegithub.Fault{Method: "GET", Route: "pulls", Times: 6, Status: 503,
		Body: `{"message":"upstream failed for token ` + fakegithub.Token + `"}`})
	_, err := h.client.Sync(context.Background(), request(true, forge.MergeAPI, sha1))
	var fe *forge.Error
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v, want *forge.Error", err)
	}
	if fe.Status != 503 || fe.Op != "listing pull requests" || !strings.Contains(err.Error(), "gave up after 6 attempts") {
		t.Errorf("err = %v (%+v)", err, fe)
	}
	if errors.Is(err, forge.ErrPermission) {
		t.Error("a 503 is no permission error")
	}
	noToken(t, err.Error())
	sleeps := h.takeSleeps()
	if len(sleeps) != 5 {
		t.Errorf("slept %d times, want 5: %v", len(sleeps), sleeps)
	}
	for i := 1; i < len(sleeps); i++ {
		if sleeps[i] < sleeps[i-1] || sleeps[i] > time.Minute {
			t.Errorf("sleeps %v do not grow within the cap", sleeps)
		}
	}
}

func TestRateLimitGiveUpSaysWhenItResets(t *testing.T) {
	h := newHarness(t)
	reset := now.Add(2 * time.Hour)
	f := fakegithub.PrimaryLimit("GET", "pulls", reset)
	f.Times = 6
	h.fake.Fail(f)
	_, err := h.client.Sync(context.Background(), request(true, forge.MergeAPI, sha1))
	if !strings.Contains(err.Error(), "rate limit") || !strings.Contains(err.Error(), reset.Format(time.RFC3339)) {
		t.Errorf("err = %v, want the reset time", err)
	}
	if errors.Is(err, forge.ErrPermission) {
		t.Error("a rate limit is no permission error")
	}
	for _, d := range h.takeSleeps() {
		if d != time.Minute {
			t.Errorf("slept %v, want the 1m cap", d)
		}
	}
}

func TestContextCancelStopsRetries(t *testing.T) {
	h := newHarness(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The first answer is a 502, and the run is interrupted meanwhile.
	h.fake.Fail(fakegithub.Fault{Method: "GET", Route: "pulls", Status: 502, Before: func(*fakegithub.Server) { cancel() }})
	_, err := h.client.Sync(ctx, request(true, forge.MergeAPI, sha1))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if n := len(h.fake.Calls()); n != 1 {
		t.Errorf("%d calls after the interrupt, want 1", n)
	}
}

func TestValidation(t *testing.T) {
	h := newHarness(t)
	long := request(true, forge.MergeAPI, sha1)
	long.Body = strings.Repeat("é", github.MaxBodyChars+1)
	noSHA := request(false, forge.MergeAPI, "")
	badMode := request(false, "yolo", sha1)
	for _, req := range []forge.Request{long, noSHA, badMode, {Head: head, Base: head, Title: "x"}} {
		if _, err := h.client.Sync(context.Background(), req); err == nil {
			t.Errorf("Sync(%.60q…) accepted", fmt.Sprint(req))
		}
	}
	if h.fake.WriteCalls() != 0 || len(h.fake.Calls()) != 0 {
		t.Errorf("invalid requests reached GitHub: %+v", h.fake.Calls())
	}
}

// The body at GitHub's limit, in characters not bytes, is accepted.
func TestBodyAtLimit(t *testing.T) {
	h := newHarness(t)
	req := request(true, forge.MergeNone, sha1)
	req.Body = strings.Repeat("é", github.MaxBodyChars)
	h.sync(req)
	h.rerunIsIdempotent(req)
}

func statusOf(err error) int {
	var fe *forge.Error
	if errors.As(err, &fe) {
		return fe.Status
	}
	return 0
}
