package gitlab_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cvetrail/cvetrail/internal/forge"
	"github.com/cvetrail/cvetrail/internal/forge/gitlab"
	"github.com/cvetrail/cvetrail/internal/forge/gitlab/fakegitlab"
)

const (
	project = "acme/platform/app"
	head    = "cvetrail/report"
	base    = "main"
)

var (
	clock   = time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)
	managed = []forge.Label{
		{Name: "new CVE", Color: "d73a4a", Description: "cvetrail: a finding needs a human"},
		{Name: "security", Color: "1d76db", Description: "cvetrail: vulnerability report"},
	}
)

// harness is a Client talking to a fake GitLab, recording its sleeps.
type harness struct {
	t   *testing.T
	srv *fakegitlab.Server
	c   *gitlab.Client

	mu     sync.Mutex
	sleeps []time.Duration
}

type option func(*gitlab.Config)

func newHarness(t *testing.T, opts ...option) *harness {
	t.Helper()
	h := &harness{t: t, srv: fakegitlab.New(t, project)}
	h.srv.SetBranch(base, fakegitlab.SHA("base"))
	cfg := gitlab.Config{
		BaseURL:    h.srv.URL,
		Token:      h.srv.Token,
		Project:    project,
		HTTPClient: h.srv.Client(),
		Retry:      gitlab.RetryPolicy{MaxAttempts: 5, BaseDelay: time.Second, MaxDelay: 30 * time.Second},
		Sleep:      h.sleep,
		Now:        func() time.Time { return clock },
	}
	for _, o := range opts {
		o(&cfg)
	}
	c, err := gitlab.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	h.c = c
	return h
}

func (h *harness) sleep(ctx context.Context, d time.Duration) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sleeps = append(h.sleeps, d)
	return ctx.Err()
}

func (h *harness) slept() []time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]time.Duration(nil), h.sleeps...)
}

// push points the report branch at the commit of day, as `git push` does.
func (h *harness) push(day string) string {
	sha := fakegitlab.SHA(day)
	h.srv.SetBranch(head, sha)
	return sha
}

func (h *harness) sync(req forge.Request) forge.Result {
	h.t.Helper()
	res, err := h.c.Sync(context.Background(), req)
	if err != nil {
		h.t.Fatalf("Sync: %v", err)
	}
	return res
}

// only returns the one merge request from head, failing if there is
// not exactly one.
func (h *harness) only() fakegitlab.MR {
	h.t.Helper()
	var mine []fakegitlab.MR
	for _, mr := range h.srv.MRs() {
		if mr.SourceBranch == head && mr.SourceProjectID == h.srv.ProjectID {
			mine = append(mine, mr)
		}
	}
	if len(mine) != 1 {
		h.t.Fatalf("merge requests from %s: %d, want 1: %+v", head, len(mine), mine)
	}
	return mine[0]
}

// mutating counts the non-GET calls made since the last ResetCalls.
func (h *harness) mutating() []fakegitlab.Call {
	var out []fakegitlab.Call
	for _, c := range h.srv.Calls() {
		if c.Method != http.MethodGet {
			out = append(out, c)
		}
	}
	return out
}

func reviewReq(sha string) forge.Request {
	return forge.Request{
		Head: head, Base: base,
		Title:   "cvetrail: 2 new CVEs need review",
		Body:    "## Needs review\n\n| severity | id |\n|---|---|\n| HIGH | CVE-2026-0001 |\n",
		HeadSHA: sha,
		Labels:  []string{"new CVE", "security"},
		Managed: managed, NeedsReview: true,
		Merge: forge.MergeAPI, Method: "merge",
	}
}

func cleanReq(sha string) forge.Request {
	return forge.Request{
		Head: head, Base: base,
		Title:   "cvetrail: report updated, nothing needs review",
		Body:    "## Resolved\n\n- CVE-2026-0001\n",
		HeadSHA: sha,
		Labels:  []string{"security"},
		Managed: managed,
		Merge:   forge.MergeAPI, Method: "merge",
	}
}

func TestFirstRunCreatesMergeRequestAndLabels(t *testing.T) {
	h := newHarness(t)
	sha := h.push("day1")
	res := h.sync(reviewReq(sha))

	mr := h.only()
	want := forge.Result{
		Number: int(mr.IID), URL: res.URL, Created: true, Writes: 3,
		LabelsAdded:   []string{"new CVE", "security"},
		LabelsCreated: []string{"new CVE", "security"},
	}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
	if !strings.HasSuffix(res.URL, fmt.Sprintf("/-/merge_requests/%d", mr.IID)) {
		t.Errorf("URL = %q", res.URL)
	}
	if mr.State != fakegitlab.Opened || mr.TargetBranch != base || mr.SHA != sha ||
		mr.Title != reviewReq(sha).Title || mr.Description != reviewReq(sha).Body {
		t.Errorf("merge request = %+v", mr)
	}
	if diff := cmp.Diff([]string{"new CVE", "security"}, mr.Labels); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	for _, l := range managed {
		got, ok := h.srv.Label(l.Name)
		if !ok || got.Color != "#"+l.Color || got.Description != l.Description {
			t.Errorf("label %q = %+v, %v; want colour #%s and its description", l.Name, got, ok, l.Color)
		}
	}
	if h.srv.Writes() != res.Writes {
		t.Errorf("server counted %d writes, result %d", h.srv.Writes(), res.Writes)
	}
	if mr.MergeWhenPipelineSucceeds || mr.State == fakegitlab.Merged {
		t.Errorf("a request that needs review was merged or set to auto-merge")
	}
}

func TestNextDayCleanRemovesLabelAndMerges(t *testing.T) {
	h := newHarness(t)
	h.sync(reviewReq(h.push("day1")))
	sha := h.push("day2")
	h.srv.ResetCalls()

	res := h.sync(cleanReq(sha))

	mr := h.only()
	if !res.Merged || res.AutoMerge || res.Created || res.Writes != 2 {
		t.Errorf("result = %+v, want merged with 2 writes (update, merge)", res)
	}
	if diff := cmp.Diff([]string{"new CVE"}, res.LabelsRemoved); diff != "" {
		t.Errorf("labels removed (-want +got):\n%s", diff)
	}
	if mr.State != fakegitlab.Merged || mr.Title != cleanReq(sha).Title {
		t.Errorf("merge request = %+v", mr)
	}
	if diff := cmp.Diff([]string{"security"}, mr.Labels); diff != "" {
		t.Errorf("labels on the merged request (-want +got):\n%s", diff)
	}
	if got, _ := h.srv.Branch(base); got != mr.MergeCommitSHA || got == "" {
		t.Errorf("base = %s, want the merge commit %s", got, mr.MergeCommitSHA)
	}
	if _, ok := h.srv.Label("new CVE"); !ok {
		t.Errorf("the project label was deleted; only the merge request's label goes")
	}
}

func TestRerunMakesNoWrites(t *testing.T) {
	tests := []struct {
		name  string
		setup func(h *harness) forge.Request
	}{
		{"needs review", func(h *harness) forge.Request { return reviewReq(h.push("d1")) }},
		{"merged", func(h *harness) forge.Request { return cleanReq(h.push("d1")) }},
		{"auto-merge set while the pipeline runs", func(h *harness) forge.Request {
			sha := h.push("d1")
			h.sync(reviewReq(sha))
			h.srv.Update(h.only().IID, func(mr *fakegitlab.MR) { mr.PipelineRunning = true })
			return cleanReq(sha)
		}},
		{"merge mode auto", func(h *harness) forge.Request {
			sha := h.push("d1")
			h.sync(reviewReq(sha))
			h.srv.Update(h.only().IID, func(mr *fakegitlab.MR) { mr.PipelineRunning = true })
			req := cleanReq(sha)
			req.Merge = forge.MergeAuto
			return req
		}},
		{"merge mode none", func(h *harness) forge.Request {
			req := cleanReq(h.push("d1"))
			req.Merge = forge.MergeNone
			return req
		}},
		{"blocked by conflicts", func(h *harness) forge.Request {
			sha := h.push("d1")
			h.sync(reviewReq(sha))
			h.srv.Update(h.only().IID, func(mr *fakegitlab.MR) { mr.Conflict = true })
			return cleanReq(sha)
		}},
		{"reopened after a human closed it", func(h *harness) forge.Request {
			sha := h.push("d1")
			h.sync(reviewReq(sha))
			h.srv.CloseByHuman(h.only().IID)
			return reviewReq(sha)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			req := tt.setup(h)
			first := h.sync(req)
			before := h.srv.MRs()
			h.srv.ResetCalls()

			again := h.sync(req)

			if again.Writes != 0 || !again.AlreadyUpToDate {
				t.Errorf("rerun result = %+v, want no writes", again)
			}
			if calls := h.mutating(); len(calls) != 0 {
				t.Errorf("rerun made write calls: %+v", calls)
			}
			if again.Number != first.Number || again.Merged != first.Merged || again.AutoMerge != first.AutoMerge {
				t.Errorf("rerun = %+v, first = %+v", again, first)
			}
			if diff := cmp.Diff(before, h.srv.MRs(), cmp.AllowUnexported(fakegitlab.MR{})); diff != "" {
				t.Errorf("rerun changed merge requests (-before +after):\n%s", diff)
			}
		})
	}
}

func TestFaultStormConverges(t *testing.T) {
	for seed := uint64(1); seed <= 24; seed++ {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			h := newHarness(t)
			ctx := context.Background()
			h.srv.Storm(seed, 0.35)
			until := func(req forge.Request) {
				t.Helper()
				var err error
				for run := 0; run < 10; run++ {
					if _, err = h.c.Sync(ctx, req); err == nil {
						return
					}
					var fe *forge.Error
					if !errors.As(err, &fe) {
						t.Fatalf("run %d: error %v is not a *forge.Error", run, err)
					}
				}
				t.Fatalf("no convergence after 10 runs: %v", err)
			}
			sha := h.push("day1")
			until(reviewReq(sha))
			sha = h.push("day2")
			until(reviewReq(sha))
			sha = h.push("day3")
			until(cleanReq(sha))
			if h.srv.StormHits() == 0 {
				t.Fatalf("the storm injected no fault")
			}
			h.srv.Storm(0, 0)
			h.srv.ResetCalls()

			res := h.sync(cleanReq(sha))

			mr := h.only()
			if res.Writes != 0 || len(h.mutating()) != 0 {
				t.Errorf("after the storm a rerun wrote: %+v", h.mutating())
			}
			if mr.State != fakegitlab.Merged || !res.Merged {
				t.Errorf("merge request %+v not merged (result %+v)", mr, res)
			}
			if diff := cmp.Diff([]string{"security"}, mr.Labels); diff != "" {
				t.Errorf("labels (-want +got):\n%s", diff)
			}
			for _, l := range managed {
				n := 0
				for _, got := range h.srv.Labels() {
					if got.Name == l.Name {
						n++
						if got.Color != "#"+l.Color {
							t.Errorf("label %q colour %s", l.Name, got.Color)
						}
					}
				}
				if n != 1 {
					t.Errorf("label %q exists %d times", l.Name, n)
				}
			}
		})
	}
}

func TestAutoModeTogglesAutoMerge(t *testing.T) {
	h := newHarness(t)
	sha := h.push("day1")
	clean := cleanReq(sha)
	clean.Merge = forge.MergeAuto
	review := reviewReq(sha)
	review.Merge = forge.MergeAuto

	h.sync(review)
	iid := h.only().IID
	h.srv.Update(iid, func(mr *fakegitlab.MR) { mr.PipelineRunning = true })

	res := h.sync(clean)
	if mr := h.only(); !res.AutoMerge || res.Merged || !mr.MergeWhenPipelineSucceeds || mr.AutoMergeSHA != sha {
		t.Fatalf("clean: result %+v, merge request %+v; want auto-merge set for %s", res, mr, sha)
	}
	if res.MergeDeferredWhy == "" {
		t.Errorf("clean: no reason given why it is not merged yet")
	}

	res = h.sync(review)
	if mr := h.only(); res.AutoMerge || mr.MergeWhenPipelineSucceeds {
		t.Fatalf("needs review: result %+v, merge request %+v; want auto-merge cancelled", res, mr)
	}
	if diff := cmp.Diff([]string{"new CVE"}, res.LabelsAdded); diff != "" {
		t.Errorf("labels added (-want +got):\n%s", diff)
	}
	if res.Writes != 2 {
		t.Errorf("needs review: %d writes, want 2 (labels, cancel)", res.Writes)
	}

	res = h.sync(clean)
	if mr := h.only(); !res.AutoMerge || !mr.MergeWhenPipelineSucceeds {
		t.Fatalf("clean again: result %+v; want auto-merge set again", res)
	}

	h.srv.SetPipeline(iid, false, true) // GitLab merges it
	if mr := h.only(); mr.State != fakegitlab.Merged {
		t.Fatalf("pipeline passed but merge request is %s", mr.State)
	}
	h.srv.ResetCalls()
	res = h.sync(clean)
	if !res.Merged || res.Writes != 0 || len(h.mutating()) != 0 {
		t.Errorf("after GitLab merged: result %+v, calls %+v; want merged, no writes", res, h.mutating())
	}
	h.only()
}

func TestAutoMergeCancelledByNewPushIsSetAgain(t *testing.T) {
	h := newHarness(t)
	sha := h.push("day1")
	h.sync(reviewReq(sha))
	iid := h.only().IID
	h.srv.Update(iid, func(mr *fakegitlab.MR) { mr.PipelineRunning = true })
	h.sync(cleanReq(sha))

	sha2 := h.push("day2") // GitLab drops auto-merge set for another sha
	if h.only().MergeWhenPipelineSucceeds {
		t.Fatalf("fake kept auto-merge across a push")
	}
	res := h.sync(cleanReq(sha2))
	if mr := h.only(); !res.AutoMerge || mr.AutoMergeSHA != sha2 {
		t.Errorf("result %+v, merge request %+v; want auto-merge for %s", res, mr, sha2)
	}
}

func TestMergeAPIAnswers(t *testing.T) {
	tests := []struct {
		name       string
		prepare    func(h *harness, iid int64)
		headSHA    func(sha string) string
		wantMerged bool
		wantAuto   bool
		wantWhy    string // substring; "" means none
		wantWrites int    // beyond the label update
	}{
		{
			name:     "pipeline running: auto-merge instead",
			prepare:  func(h *harness, iid int64) { h.srv.Update(iid, func(mr *fakegitlab.MR) { mr.PipelineRunning = true }) },
			wantAuto: true, wantWhy: "auto-merge", wantWrites: 1,
		},
		{
			name: "405 although listed mergeable: read again, then auto-merge",
			prepare: func(h *harness, iid int64) {
				h.srv.Fail(fakegitlab.Fault{Route: fakegitlab.RouteMerge, Status: http.StatusMethodNotAllowed})
			},
			wantMerged: true, wantWrites: 1,
		},
		{
			name: "merge applied but the answer lost",
			prepare: func(h *harness, iid int64) {
				h.srv.Fail(fakegitlab.Fault{Route: fakegitlab.RouteMerge, Status: http.StatusBadGateway, AfterApply: true})
			},
			wantMerged: true, wantWrites: 0, // the client never saw its write succeed
		},
		{
			name: "422 branch cannot be merged",
			prepare: func(h *harness, iid int64) {
				h.srv.Fail(fakegitlab.Fault{Route: fakegitlab.RouteMerge, Status: http.StatusUnprocessableEntity, Body: `{"message":"Branch cannot be merged"}`})
			},
			wantWhy: "Branch cannot be merged",
		},
		{
			name: "406 on an older GitLab",
			prepare: func(h *harness, iid int64) {
				h.srv.Fail(fakegitlab.Fault{Route: fakegitlab.RouteMerge, Status: http.StatusNotAcceptable, Body: `{"message":"Branch cannot be merged"}`})
			},
			wantWhy: "cannot merge the branch",
		},
		{
			name:    "409 head moved: nothing merged unseen",
			headSHA: func(string) string { return fakegitlab.SHA("an older commit") },
			wantWhy: "only the pushed commit is merged",
		},
		{
			name:    "conflicts: no merge attempt",
			prepare: func(h *harness, iid int64) { h.srv.Update(iid, func(mr *fakegitlab.MR) { mr.Conflict = true }) },
			wantWhy: "conflicts",
		},
		{
			name:    "draft: no merge attempt",
			prepare: func(h *harness, iid int64) { h.srv.Update(iid, func(mr *fakegitlab.MR) { mr.Draft = true }) },
			wantWhy: "draft",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			sha := h.push("day1")
			h.sync(reviewReq(sha))
			iid := h.only().IID
			if tt.prepare != nil {
				tt.prepare(h, iid)
			}
			req := cleanReq(sha)
			if tt.headSHA != nil {
				req.HeadSHA = tt.headSHA(sha)
			}
			res := h.sync(req)
			mr := h.only()
			if res.Merged != tt.wantMerged || (mr.State == fakegitlab.Merged) != tt.wantMerged {
				t.Errorf("merged: result %v, server %s; want %v", res.Merged, mr.State, tt.wantMerged)
			}
			if res.AutoMerge != tt.wantAuto || mr.MergeWhenPipelineSucceeds != tt.wantAuto {
				t.Errorf("auto-merge: result %v, server %v; want %v", res.AutoMerge, mr.MergeWhenPipelineSucceeds, tt.wantAuto)
			}
			if tt.wantWhy == "" && res.MergeDeferredWhy != "" || !strings.Contains(res.MergeDeferredWhy, tt.wantWhy) {
				t.Errorf("why = %q, want it to mention %q", res.MergeDeferredWhy, tt.wantWhy)
			}
			if res.Writes != 1+tt.wantWrites {
				t.Errorf("writes = %d, want %d", res.Writes, 1+tt.wantWrites)
			}
		})
	}
}

func TestSquashMethod(t *testing.T) {
	h := newHarness(t)
	req := cleanReq(h.push("day1"))
	req.Method = "squash"
	if res := h.sync(req); !res.Merged {
		t.Fatalf("not merged: %+v", res)
	}
	if mr := h.only(); !mr.Squashed {
		t.Errorf("merged without squash")
	}
}

func TestMergeModeNoneNeverMerges(t *testing.T) {
	h := newHarness(t)
	req := cleanReq(h.push("day1"))
	req.Merge = forge.MergeNone
	res := h.sync(req)
	if mr := h.only(); res.Merged || mr.State != fakegitlab.Opened || mr.MergeWhenPipelineSucceeds {
		t.Errorf("mode none: result %+v, merge request %+v", res, mr)
	}
	for _, c := range h.srv.Calls() {
		if c.Route == fakegitlab.RouteMerge || c.Route == fakegitlab.RouteCancelAutoMerge {
			t.Errorf("mode none called %s", c.Route)
		}
	}
}

func TestCloseWhenEqual(t *testing.T) {
	h := newHarness(t)
	h.sync(reviewReq(h.push("day1")))
	ctx := context.Background()

	closed, err := h.c.Close(ctx, head, "The report is back to what main has; closing.")
	if err != nil || !closed {
		t.Fatalf("Close = %v, %v; want true", closed, err)
	}
	mr := h.only()
	if mr.State != fakegitlab.Closed {
		t.Errorf("state = %s, want closed", mr.State)
	}
	if diff := cmp.Diff([]string{"The report is back to what main has; closing."}, mr.Notes); diff != "" {
		t.Errorf("notes (-want +got):\n%s", diff)
	}
	if _, ok := h.srv.Branch(head); ok {
		t.Errorf("branch %s still exists", head)
	}
	if _, ok := h.srv.Branch(base); !ok {
		t.Errorf("base branch deleted")
	}

	h.srv.ResetCalls()
	closed, err = h.c.Close(ctx, head, "again")
	if err != nil || closed {
		t.Errorf("second Close = %v, %v; want false, nil", closed, err)
	}
	if h.srv.Writes() != 0 {
		t.Errorf("second Close wrote: %+v", h.srv.Calls())
	}
}

func TestCloseWithoutMergeRequestDeletesBranch(t *testing.T) {
	h := newHarness(t)
	h.push("day1")
	closed, err := h.c.Close(context.Background(), head, "")
	if err != nil || closed {
		t.Fatalf("Close = %v, %v; want false, nil", closed, err)
	}
	if _, ok := h.srv.Branch(head); ok {
		t.Errorf("branch not deleted")
	}
}

func TestCloseDoesNotRetryANoteAfter5xx(t *testing.T) {
	h := newHarness(t)
	h.sync(reviewReq(h.push("day1")))
	h.srv.Fail(fakegitlab.Fault{Route: fakegitlab.RouteCreateNote, Status: http.StatusBadGateway, AfterApply: true})
	h.srv.ResetCalls()

	_, err := h.c.Close(context.Background(), head, "closing")
	if err == nil {
		t.Fatalf("Close succeeded despite the lost note answer")
	}
	notes := 0
	for _, c := range h.srv.Calls() {
		if c.Route == fakegitlab.RouteCreateNote {
			notes++
		}
	}
	if notes != 1 {
		t.Errorf("note posted %d times, want 1", notes)
	}
}

func TestHumanClosedMergeRequestIsReopened(t *testing.T) {
	h := newHarness(t)
	sha := h.push("day1")
	first := h.sync(reviewReq(sha))
	h.srv.CloseByHuman(int64(first.Number))
	sha = h.push("day2")

	res := h.sync(reviewReq(sha))

	mr := h.only()
	if !res.Reopened || res.Created || res.Number != first.Number || res.Writes != 1 {
		t.Errorf("result = %+v; want !%d reopened in one write", res, first.Number)
	}
	if mr.State != fakegitlab.Opened || mr.SHA != sha {
		t.Errorf("merge request = %+v", mr)
	}
}

func TestHumanClosedMergeRequestThatCannotReopenIsReplaced(t *testing.T) {
	h := newHarness(t)
	sha := h.push("day1")
	first := h.sync(reviewReq(sha))
	h.srv.CloseByHuman(int64(first.Number))
	h.srv.Update(int64(first.Number), func(mr *fakegitlab.MR) { mr.TargetBranch = "gone" }) // GitLab will not reopen it

	res := h.sync(reviewReq(sha))

	if !res.Created || res.Reopened || res.Number == first.Number {
		t.Errorf("result = %+v; want a new merge request", res)
	}
	open := h.srv.OpenMRs(head)
	if len(open) != 1 || open[0].IID != int64(res.Number) {
		t.Errorf("open merge requests = %+v", open)
	}
}

func TestDeletedLabelIsCreatedAgain(t *testing.T) {
	h := newHarness(t)
	sha := h.push("day1")
	h.sync(reviewReq(sha))
	h.srv.DeleteLabelByHand("new CVE")

	res := h.sync(reviewReq(sha))

	if diff := cmp.Diff([]string{"new CVE"}, res.LabelsCreated); diff != "" {
		t.Errorf("labels created (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"new CVE"}, res.LabelsAdded); diff != "" {
		t.Errorf("labels added (-want +got):\n%s", diff)
	}
	l, ok := h.srv.Label("new CVE")
	if !ok || l.Color != "#d73a4a" || l.Description != managed[0].Description {
		t.Errorf("label = %+v, %v", l, ok)
	}
	if diff := cmp.Diff([]string{"new CVE", "security"}, h.only().Labels); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
}

func TestUnmanagedLabelsAreKept(t *testing.T) {
	h := newHarness(t)
	sha := h.push("day1")
	h.sync(reviewReq(sha))
	h.srv.Update(h.only().IID, func(mr *fakegitlab.MR) { mr.Labels = append(mr.Labels, "team::payments") })

	req := cleanReq(sha)
	req.Merge = forge.MergeNone
	h.sync(req)

	if diff := cmp.Diff([]string{"security", "team::payments"}, h.only().Labels); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
}

func TestForkMergeRequestIsNotAdopted(t *testing.T) {
	h := newHarness(t)
	fork := h.srv.AddMR(fakegitlab.MR{SourceBranch: head, TargetBranch: base, SourceProjectID: 777, Title: "from a fork", SHA: fakegitlab.SHA("fork")})
	res := h.sync(cleanReq(h.push("day1")))
	if res.Number == int(fork) || !res.Created {
		t.Errorf("result = %+v; the fork's !%d must not be used", res, fork)
	}
	if mr, _ := h.srv.MR(fork); mr.State != fakegitlab.Opened || mr.Title != "from a fork" {
		t.Errorf("fork's merge request changed: %+v", mr)
	}
}

func TestLostCreateAnswerDoesNotDuplicate(t *testing.T) {
	h := newHarness(t)
	h.srv.Fail(fakegitlab.Fault{Route: fakegitlab.RouteCreateMR, Status: http.StatusBadGateway, AfterApply: true})
	res := h.sync(reviewReq(h.push("day1")))
	mr := h.only()
	if res.Number != int(mr.IID) {
		t.Errorf("result = %+v, merge request !%d", res, mr.IID)
	}
	if len(h.srv.MRs()) != 1 {
		t.Errorf("duplicate merge requests: %+v", h.srv.MRs())
	}
}

func TestPermissionErrorsCarryAHint(t *testing.T) {
	tests := []struct {
		name     string
		opt      option
		prepare  func(*fakegitlab.Server)
		status   int
		hintHas  []string
		errorHas string
	}{
		{
			name:    "invalid token",
			opt:     func(c *gitlab.Config) { c.Token = "glpat-revoked" },
			status:  http.StatusUnauthorized,
			hintHas: []string{"GITLAB_TOKEN", "expired", "`api`"},
		},
		{
			name: "token without the rights to create",
			prepare: func(s *fakegitlab.Server) {
				s.Fail(fakegitlab.Fault{Route: fakegitlab.RouteCreateLabel, Status: http.StatusForbidden, Body: `{"message":"403 Forbidden"}`})
			},
			status:   http.StatusForbidden,
			hintHas:  []string{"`api`", "Developer", project},
			errorHas: "creating label",
		},
		{
			name:    "job token",
			opt:     func(c *gitlab.Config) { c.Token, c.TokenKind = fakegitlab.DefaultJobToken, gitlab.TokenJob },
			status:  http.StatusNotFound,
			hintHas: []string{"CI_JOB_TOKEN", "GITLAB_TOKEN", "`api`"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []option
			if tt.opt != nil {
				opts = append(opts, tt.opt)
			}
			h := newHarness(t, opts...)
			srv := h.srv
			if tt.prepare != nil {
				tt.prepare(srv)
			}
			_, err := h.c.Sync(context.Background(), reviewReq(h.push("day1")))
			var fe *forge.Error
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a *forge.Error", err)
			}
			if !errors.Is(err, forge.ErrPermission) {
				t.Errorf("error %v does not wrap forge.ErrPermission", err)
			}
			if fe.Status != tt.status {
				t.Errorf("status = %d, want %d", fe.Status, tt.status)
			}
			for _, s := range tt.hintHas {
				if !strings.Contains(fe.Hint, s) {
					t.Errorf("hint %q lacks %q", fe.Hint, s)
				}
			}
			if !strings.Contains(err.Error(), tt.errorHas) {
				t.Errorf("error %q lacks %q", err, tt.errorHas)
			}
			if len(h.slept()) != 0 {
				t.Errorf("permission errors were retried: slept %v", h.slept())
			}
		})
	}
}

func TestJobTokenWorksWhereGitLabAllowsIt(t *testing.T) {
	h := newHarness(t)
	h.srv.JobTokenAPI = true
	c, err := gitlab.New(gitlab.Config{BaseURL: h.srv.URL, Token: h.srv.JobToken, TokenKind: gitlab.TokenJob,
		Project: fmt.Sprint(h.srv.ProjectID), HTTPClient: h.srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Sync(context.Background(), reviewReq(h.push("day1")))
	if err != nil || !res.Created {
		t.Fatalf("Sync with job token = %+v, %v", res, err)
	}
}

func TestBoundedRetriesGiveUp(t *testing.T) {
	h := newHarness(t)
	h.srv.Fail(fakegitlab.Fault{Status: http.StatusServiceUnavailable, Times: 1000})
	_, err := h.c.Sync(context.Background(), reviewReq(h.push("day1")))
	var fe *forge.Error
	if !errors.As(err, &fe) {
		t.Fatalf("error %v is not a *forge.Error", err)
	}
	if fe.Status != http.StatusServiceUnavailable || !strings.Contains(err.Error(), "giving up after 5 attempts") {
		t.Errorf("error = %v (status %d)", err, fe.Status)
	}
	if n := len(h.srv.Calls()); n != 5 {
		t.Errorf("GitLab saw %d calls, want 5: the library must not retry underneath", n)
	}
	sleeps := h.slept()
	if len(sleeps) != 4 {
		t.Fatalf("slept %v, want 4 waits", sleeps)
	}
	for i, d := range sleeps {
		full := time.Second << i
		if d < full/2 || d > full {
			t.Errorf("wait %d = %v, want within [%v, %v]", i+1, d, full/2, full)
		}
	}
}

func TestOneAttemptMeansOneCall(t *testing.T) {
	h := newHarness(t, func(c *gitlab.Config) { c.Retry.MaxAttempts = 1 })
	h.srv.Fail(fakegitlab.Fault{Status: http.StatusInternalServerError, Times: 10})
	if _, err := h.c.Sync(context.Background(), reviewReq(h.push("day1"))); err == nil {
		t.Fatal("Sync succeeded")
	}
	if n := len(h.srv.Calls()); n != 1 {
		t.Errorf("GitLab saw %d calls, want 1", n)
	}
}

func TestSleepHonoursRetryAfterAndCap(t *testing.T) {
	tests := []struct {
		name     string
		header   http.Header
		min, max time.Duration // the one recorded wait
		giveUp   bool
	}{
		{"Retry-After seconds", http.Header{"Retry-After": {"7"}}, 7 * time.Second, 8 * time.Second, false},
		{"Retry-After date", http.Header{"Retry-After": {clock.Add(20 * time.Second).Format(http.TimeFormat)}}, 20 * time.Second, 21 * time.Second, false},
		{"RateLimit-Reset", http.Header{"Ratelimit-Reset": {fmt.Sprint(clock.Add(12 * time.Second).Unix())}}, 12 * time.Second, 13 * time.Second, false},
		{"near the cap", http.Header{"Retry-After": {"30"}}, 30 * time.Second, 30 * time.Second, false},
		{"beyond the cap", http.Header{"Retry-After": {"3600"}}, 0, 0, true},
		{"no header", nil, 500 * time.Millisecond, time.Second, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.srv.Fail(fakegitlab.Fault{Route: fakegitlab.RouteListMRs, Status: http.StatusTooManyRequests, Header: tt.header})
			_, err := h.c.Sync(context.Background(), reviewReq(h.push("day1")))
			sleeps := h.slept()
			if tt.giveUp {
				if err == nil || !strings.Contains(err.Error(), "rate limited") || len(sleeps) != 0 {
					t.Errorf("err = %v, slept %v; want an immediate rate-limit error", err, sleeps)
				}
				if n := len(h.srv.Calls()); n != 1 {
					t.Errorf("GitLab saw %d calls, want 1", n)
				}
				return
			}
			if err != nil {
				t.Fatalf("Sync: %v", err)
			}
			if len(sleeps) != 1 || sleeps[0] < tt.min || sleeps[0] > tt.max {
				t.Errorf("slept %v, want one wait within [%v, %v]", sleeps, tt.min, tt.max)
			}
		})
	}
}

func TestBackoffIsCapped(t *testing.T) {
	h := newHarness(t, func(c *gitlab.Config) {
		c.Retry = gitlab.RetryPolicy{MaxAttempts: 8, BaseDelay: time.Second, MaxDelay: 5 * time.Second}
	})
	h.srv.Fail(fakegitlab.Fault{Status: http.StatusBadGateway, Times: 7})
	if _, err := h.c.Sync(context.Background(), reviewReq(h.push("day1"))); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	sleeps := h.slept()
	if len(sleeps) != 7 {
		t.Fatalf("slept %v, want 7 waits", sleeps)
	}
	for _, d := range sleeps {
		if d > 5*time.Second {
			t.Errorf("wait %v beyond the 5s cap", d)
		}
	}
	if sleeps[6] < 2500*time.Millisecond {
		t.Errorf("last wait %v, want at least half the cap", sleeps[6])
	}
}

func TestTokenNeverInErrors(t *testing.T) {
	h := newHarness(t)
	tok := h.srv.Token
	h.srv.Fail(fakegitlab.Fault{Status: http.StatusBadRequest, Body: fmt.Sprintf(`{"message":"token %s is not allowed here"}`, tok)})
	_, err := h.c.Sync(context.Background(), reviewReq(h.push("day1")))
	if err == nil {
		t.Fatal("Sync succeeded")
	}
	var fe *forge.Error
	errors.As(err, &fe)
	for _, s := range []string{err.Error(), fmt.Sprintf("%+v", err), fe.Hint} {
		if strings.Contains(s, tok) {
			t.Errorf("token leaked: %s", s)
		}
	}
	if !strings.Contains(err.Error(), "[REDACTED]") {
		t.Errorf("error %q does not show where the token was", err)
	}

	h.srv.Fail(fakegitlab.Fault{Status: http.StatusForbidden, Times: 1, Body: fmt.Sprintf(`{"message":"%s"}`, tok)})
	_, err = h.c.Sync(context.Background(), reviewReq(h.push("day1")))
	if err == nil || strings.Contains(err.Error(), tok) {
		t.Errorf("403 error = %v", err)
	}
}

func TestTransportErrorsNameNoToken(t *testing.T) {
	srv := fakegitlab.New(t, project)
	c, err := gitlab.New(gitlab.Config{BaseURL: "http://127.0.0.1:1/api/v4", Token: srv.Token, Project: project,
		Retry: gitlab.RetryPolicy{MaxAttempts: 2}, Sleep: func(context.Context, time.Duration) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Sync(context.Background(), reviewReq("abc"))
	var fe *forge.Error
	if !errors.As(err, &fe) || strings.Contains(err.Error(), srv.Token) {
		t.Errorf("error = %v", err)
	}
}

func TestSyncRefusesWhatGitLabWould(t *testing.T) {
	tests := []struct {
		name string
		edit func(*forge.Request)
		want string
	}{
		{"title too long", func(r *forge.Request) { r.Title = strings.Repeat("t", gitlab.MaxTitle+1) }, "title"},
		{"description too long", func(r *forge.Request) { r.Body = strings.Repeat("é", gitlab.MaxDescription+1) }, "description"},
		{"comma in label", func(r *forge.Request) { r.Labels = append(r.Labels, "a,b") }, "comma"},
		{"merge without head commit", func(r *forge.Request) { r.HeadSHA = "" }, "HeadSHA"},
		{"head is base", func(r *forge.Request) { r.Head = base }, "both"},
		{"unknown merge mode", func(r *forge.Request) { r.Merge = "yolo" }, "merge mode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			req := reviewReq(h.push("day1"))
			tt.edit(&req)
			_, err := h.c.Sync(context.Background(), req)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to mention %q", err, tt.want)
			}
			if n := len(h.srv.Calls()); n != 0 {
				t.Errorf("%d calls made", n)
			}
		})
	}
}

func TestDescriptionAtTheLimitIsSent(t *testing.T) {
	h := newHarness(t)
	req := reviewReq(h.push("day1"))
	req.Body = strings.Repeat("é", gitlab.MaxDescription)
	h.sync(req)
	if got := h.only().Description; got != req.Body {
		t.Errorf("description of %d bytes, want %d", len(got), len(req.Body))
	}
}

func TestName(t *testing.T) {
	if got := newHarness(t).c.Name(); got != "gitlab" {
		t.Errorf("Name = %q", got)
	}
}
