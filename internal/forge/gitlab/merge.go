package gitlab

import (
	"context"
	"fmt"
	"net/http"

	gl "gitlab.com/gitlab-org/api/client-go/v2"

	"github.com/cvetrail/cvetrail/internal/forge"
)

// settleMerge merges mr, sets auto-merge or cancels it, as req asks.
//
// The merge endpoint (PUT …/merge) answers, as GitLab documents: 200 with
// the merge request; 401 without permission; 405 when it cannot merge now
// (pipeline pending, approvals missing, draft, closed, already merged);
// 406 (before GitLab 16) or 422 when the branch cannot be merged; 409
// when sha is not the head of the source branch. A 405 is settled by
// reading the merge request again: it may have been merged or scheduled
// by an earlier attempt whose answer was lost.
//
// Auto-merge is asked for with both auto_merge (GitLab 17.11 and later)
// and its deprecated predecessor merge_when_pipeline_succeeds, so that an
// older GitLab schedules the merge instead of merging at once; GitLab
// still reports the state as merge_when_pipeline_succeeds.
func (c *Client) settleMerge(ctx context.Context, mr *gl.BasicMergeRequest, req forge.Request, res *forge.Result) error {
	res.AutoMerge = mr.MergeWhenPipelineSucceeds
	if mr.State == stateMerged {
		res.Merged = true
		return nil
	}
	if req.NeedsReview {
		if mr.MergeWhenPipelineSucceeds {
			return c.cancelAutoMerge(ctx, mr, res)
		}
		return nil
	}
	switch req.Merge {
	case forge.MergeAPI, forge.MergeAuto:
	default:
		return nil
	}
	if mr.MergeWhenPipelineSucceeds {
		res.MergeDeferredWhy = whyAutoMerge
		return nil
	}
	if why, blocked := hardBlocked(mr.DetailedMergeStatus); blocked {
		res.MergeDeferredWhy = why
		return nil
	}
	if req.Merge == forge.MergeAuto || pipelinePending(mr.DetailedMergeStatus) {
		return c.accept(ctx, mr, req, true, res)
	}
	return c.accept(ctx, mr, req, false, res)
}

// accept merges mr now, or sets auto-merge; a merge now refused with 405
// falls back to auto-merge once.
func (c *Client) accept(ctx context.Context, mr *gl.BasicMergeRequest, req forge.Request, auto bool, res *forge.Result) error {
	opt := &gl.AcceptMergeRequestOptions{SHA: gl.Ptr(req.HeadSHA)}
	if req.Method == "squash" {
		opt.Squash = gl.Ptr(true)
	}
	op := fmt.Sprintf("merging merge request !%d", mr.IID)
	if auto {
		// merge_when_pipeline_succeeds is deprecated, but GitLab before
		// 17.11 knows only it.
		//lint:ignore SA1019 older GitLab servers need the deprecated parameter
		opt.AutoMerge, opt.MergeWhenPipelineSucceeds = gl.Ptr(true), gl.Ptr(true)
		op = fmt.Sprintf("setting auto-merge on merge request !%d", mr.IID)
	}
	var got *gl.MergeRequest
	_, err := c.call(ctx, op, true, func(o ...gl.RequestOptionFunc) (r *gl.Response, err error) {
		got, r, err = c.api.MergeRequests.AcceptMergeRequest(c.project, mr.IID, opt, o...)
		return r, err
	})
	switch statusOf(err) {
	case 0:
		if err != nil {
			return err
		}
		res.Writes++
		c.merged(&got.BasicMergeRequest, res)
		return nil
	case http.StatusMethodNotAllowed:
		cur, gerr := c.get(ctx, mr.IID)
		if gerr != nil {
			return gerr
		}
		if c.merged(cur, res) {
			return nil
		}
		if why, blocked := hardBlocked(cur.DetailedMergeStatus); blocked {
			res.MergeDeferredWhy = why
			return nil
		}
		if !auto {
			return c.accept(ctx, cur, req, true, res)
		}
		res.MergeDeferredWhy = "GitLab can neither merge nor schedule the merge now: " + describeStatus(cur.DetailedMergeStatus)
		return nil
	case http.StatusNotAcceptable, http.StatusUnprocessableEntity:
		res.MergeDeferredWhy = "GitLab cannot merge the branch: " + errMessage(err)
		return nil
	case http.StatusConflict:
		res.MergeDeferredWhy = fmt.Sprintf("the merge request's head is %s, not %s: only the pushed commit is merged", short(mr.SHA), short(req.HeadSHA))
		return nil
	}
	return err
}

// merged records what a merge answer or a fresh read says: merged, or
// auto-merge set. It reports whether there is nothing left to do.
func (c *Client) merged(mr *gl.BasicMergeRequest, res *forge.Result) bool {
	res.AutoMerge = mr.MergeWhenPipelineSucceeds
	switch {
	case mr.State == stateMerged:
		res.Merged, res.AutoMerge, res.MergeDeferredWhy = true, false, ""
		return true
	case mr.MergeWhenPipelineSucceeds:
		res.MergeDeferredWhy = whyAutoMerge
		return true
	case mr.State != stateOpened:
		res.MergeDeferredWhy = "the merge request is " + mr.State
		return true
	}
	res.MergeDeferredWhy = "GitLab accepted the merge but has not merged yet: " + describeStatus(mr.DetailedMergeStatus)
	return false
}

func (c *Client) cancelAutoMerge(ctx context.Context, mr *gl.BasicMergeRequest, res *forge.Result) error {
	op := fmt.Sprintf("cancelling auto-merge of merge request !%d", mr.IID)
	_, err := c.call(ctx, op, true, func(o ...gl.RequestOptionFunc) (r *gl.Response, err error) {
		_, r, err = c.api.MergeRequests.CancelMergeWhenPipelineSucceeds(c.project, mr.IID, o...)
		return r, err
	})
	switch statusOf(err) {
	case 0:
		if err != nil {
			return err
		}
		res.Writes++
		res.AutoMerge = false
		return nil
	case http.StatusNotAcceptable:
		// Not set (any more): cancelled by an earlier attempt whose
		// answer was lost, or by a human.
		res.AutoMerge = false
		return nil
	case http.StatusMethodNotAllowed:
		// Merged or closed meanwhile.
		cur, gerr := c.get(ctx, mr.IID)
		if gerr != nil {
			return gerr
		}
		res.Merged = cur.State == stateMerged
		res.AutoMerge = cur.MergeWhenPipelineSucceeds
		return nil
	}
	return err
}

// pipelinePending reports whether GitLab says the merge waits for CI.
func pipelinePending(status string) bool {
	switch status {
	case "ci_still_running", "ci_must_pass":
		return true
	}
	return false
}

// hardBlocked reports detailed merge statuses that neither a merge nor
// auto-merge can get past without a human or a new push; trying would
// only be refused.
func hardBlocked(status string) (string, bool) {
	switch status {
	case "conflict", "broken_status", "need_rebase", "draft_status", "not_open":
		return "GitLab cannot merge it: " + describeStatus(status), true
	}
	return "", false
}

func describeStatus(status string) string {
	words := map[string]string{
		"mergeable":                "mergeable",
		"ci_still_running":         "the pipeline is still running",
		"ci_must_pass":             "the pipeline must succeed first",
		"checking":                 "GitLab is still checking mergeability",
		"unchecked":                "GitLab has not checked mergeability yet",
		"preparing":                "GitLab is still preparing the merge request",
		"approvals_syncing":        "approvals are syncing",
		"not_approved":             "approvals are missing",
		"requested_changes":        "a reviewer requested changes",
		"discussions_not_resolved": "open threads must be resolved",
		"draft_status":             "it is marked as draft",
		"conflict":                 "it conflicts with the target branch",
		"broken_status":            "the source cannot be merged into the target",
		"need_rebase":              "it must be rebased",
		"not_open":                 "it is not open",
		"blocked_status":           "it is blocked by another merge request",
		"external_status_checks":   "external status checks must pass",
	}
	if w, ok := words[status]; ok {
		return fmt.Sprintf("%s (%s)", w, status)
	}
	if status == "" {
		return "no detailed merge status"
	}
	return "detailed merge status " + status
}

func errMessage(err error) string {
	if fe, ok := err.(*forge.Error); ok && fe.Err != nil {
		return fe.Err.Error()
	}
	return err.Error()
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	if sha == "" {
		return "(unknown)"
	}
	return sha
}
