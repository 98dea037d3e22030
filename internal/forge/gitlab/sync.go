package gitlab

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	gl "gitlab.com/gitlab-org/api/client-go/v2"

	"github.com/cvetrail/cvetrail/internal/forge"
)

// Merge request states as GitLab names them.
const (
	stateOpened = "opened"
	stateClosed = "closed"
	stateMerged = "merged"
)

const whyAutoMerge = "auto-merge is set: GitLab merges when the pipeline succeeds"

// Sync keeps the one merge request of req.Head into req.Base in the
// requested state; see forge.Forge. Its writes, in order: create the
// managed labels that are missing, create or reopen the merge request or
// update it (title, description, labels and state in one PUT), then merge,
// set auto-merge or cancel it. A second call with the same request writes
// nothing.
func (c *Client) Sync(ctx context.Context, req forge.Request) (forge.Result, error) {
	var res forge.Result
	if err := validate(req); err != nil {
		return res, err
	}
	mr, err := c.findOpen(ctx, req.Head, req.Base)
	if err != nil {
		return res, err
	}
	if mr == nil {
		prev, err := c.newest(ctx, req.Head, req.Base)
		if err != nil {
			return res, err
		}
		if prev != nil && prev.State == stateMerged && req.HeadSHA != "" && prev.SHA == req.HeadSHA {
			// Merged at this very commit (by us, a bot or a human):
			// the report is in the base already.
			res.Number, res.URL, res.Merged = int(prev.IID), prev.WebURL, true
			res.AlreadyUpToDate = true
			return res, nil
		}
		if prev != nil && prev.State == stateClosed {
			if mr, err = c.reopen(ctx, prev, req, &res); err != nil {
				return res, err
			}
		}
		if mr == nil {
			if mr, err = c.create(ctx, req, &res); err != nil {
				return res, err
			}
		}
	} else if mr, err = c.edit(ctx, mr, req, "", &res); err != nil {
		return res, err
	}
	res.Number, res.URL = int(mr.IID), mr.WebURL
	err = c.settleMerge(ctx, mr, req, &res)
	res.AlreadyUpToDate = res.Writes == 0
	return res, err
}

func validate(req forge.Request) error {
	bad := func(format string, args ...any) error {
		return &forge.Error{Op: "checking merge request", Err: fmt.Errorf(format, args...)}
	}
	switch {
	case strings.TrimSpace(req.Head) == "" || strings.TrimSpace(req.Base) == "":
		return bad("head and base branch are required")
	case req.Head == req.Base:
		return bad("head and base are both %q", req.Head)
	case strings.TrimSpace(req.Title) == "":
		return bad("title is empty")
	case utf8.RuneCountInString(req.Title) > MaxTitle:
		return bad("title has %d characters, GitLab allows %d", utf8.RuneCountInString(req.Title), MaxTitle)
	case utf8.RuneCountInString(req.Body) > MaxDescription:
		return bad("description has %d characters, GitLab allows %d", utf8.RuneCountInString(req.Body), MaxDescription)
	}
	switch req.Merge {
	case forge.MergeAPI, forge.MergeAuto:
		if req.HeadSHA == "" {
			return bad("merge mode %q needs the head commit (HeadSHA) so that only that commit is merged", req.Merge)
		}
	case forge.MergeNone, "":
	default:
		return bad("unknown merge mode %q", req.Merge)
	}
	switch req.Method {
	case "", "merge", "squash", "rebase":
	default:
		return bad("unknown merge method %q: want merge, squash or rebase", req.Method)
	}
	for _, name := range append(slices.Clone(req.Labels), labelNames(req.Managed)...) {
		if strings.TrimSpace(name) == "" || strings.Contains(name, ",") {
			return bad("label %q: GitLab label names are non-empty and hold no comma", name)
		}
	}
	return nil
}

// mrOptions lists merge requests of this project from head (into base,
// when set) in the given state.
func mrOptions(head, base, state string) *gl.ListProjectMergeRequestsOptions {
	opt := &gl.ListProjectMergeRequestsOptions{
		SourceBranch: gl.Ptr(head),
		State:        gl.Ptr(state),
	}
	if base != "" {
		opt.TargetBranch = gl.Ptr(base)
	}
	return opt
}

// listMRs returns the merge requests matching opt whose source is this
// project: a fork's merge request from a branch of the same name is never
// cvetrail's.
func (c *Client) listMRs(ctx context.Context, op string, opt *gl.ListProjectMergeRequestsOptions, pages int) ([]*gl.BasicMergeRequest, error) {
	var out []*gl.BasicMergeRequest
	opt.Page = 1
	for n := 0; n < pages; n++ {
		var got []*gl.BasicMergeRequest
		resp, err := c.call(ctx, op, true, func(o ...gl.RequestOptionFunc) (r *gl.Response, err error) {
			got, r, err = c.api.MergeRequests.ListProjectMergeRequests(c.project, opt, o...)
			return r, err
		})
		if err != nil {
			return nil, c.projectError(err)
		}
		for _, mr := range got {
			if mr.SourceProjectID == mr.TargetProjectID {
				out = append(out, mr)
			}
		}
		if resp == nil || resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	return out, nil
}

// projectError adds a hint to a 404 on the project itself.
func (c *Client) projectError(err error) error {
	var fe *forge.Error
	if !errors.As(err, &fe) || fe.Status != http.StatusNotFound {
		return err
	}
	if c.kind == TokenJob {
		fe.Err = fmt.Errorf("%w: project %q is not visible to CI_JOB_TOKEN", forge.ErrPermission, c.project)
		fe.Hint = c.permissionHint(fe.Op, fe.Status)
		return fe
	}
	fe.Hint = fmt.Sprintf("check CI_PROJECT_ID / the project path %q and that GITLAB_TOKEN can see the project (GitLab answers 404 for projects a token may not read)", c.project)
	return fe
}

// findOpen returns the open merge request of head into base, nil if none.
func (c *Client) findOpen(ctx context.Context, head, base string) (*gl.BasicMergeRequest, error) {
	opt := mrOptions(head, base, stateOpened)
	opt.PerPage = 100
	mrs, err := c.listMRs(ctx, "finding merge request for "+head, opt, 10)
	if err != nil || len(mrs) == 0 {
		return nil, err
	}
	// GitLab allows one open merge request per source and target
	// branch; should there be more, keep to the oldest.
	return slices.MinFunc(mrs, func(a, b *gl.BasicMergeRequest) int { return int(a.IID - b.IID) }), nil
}

// newest returns the most recently created merge request of head into
// base in any state, nil if none.
func (c *Client) newest(ctx context.Context, head, base string) (*gl.BasicMergeRequest, error) {
	opt := mrOptions(head, base, "all")
	opt.OrderBy, opt.Sort, opt.PerPage = gl.Ptr("created_at"), gl.Ptr("desc"), 20
	mrs, err := c.listMRs(ctx, "finding earlier merge requests for "+head, opt, 1)
	if err != nil || len(mrs) == 0 {
		return nil, err
	}
	return slices.MaxFunc(mrs, func(a, b *gl.BasicMergeRequest) int { return int(a.IID - b.IID) }), nil
}

func (c *Client) get(ctx context.Context, iid int64) (*gl.BasicMergeRequest, error) {
	var mr *gl.MergeRequest
	_, err := c.call(ctx, fmt.Sprintf("reading merge request !%d", iid), true, func(o ...gl.RequestOptionFunc) (r *gl.Response, err error) {
		mr, r, err = c.api.MergeRequests.GetMergeRequest(c.project, iid, nil, o...)
		return r, err
	})
	if err != nil {
		return nil, err
	}
	return &mr.BasicMergeRequest, nil
}

// create opens the merge request, labels included.
func (c *Client) create(ctx context.Context, req forge.Request, res *forge.Result) (*gl.BasicMergeRequest, error) {
	res.LabelsAdded, res.LabelsRemoved = nil, nil
	labels := wantedLabels(req)
	if err := c.ensureLabels(ctx, labels, req.Managed, res); err != nil {
		return nil, err
	}
	opt := &gl.CreateMergeRequestOptions{
		Title:        gl.Ptr(req.Title),
		Description:  gl.Ptr(req.Body),
		SourceBranch: gl.Ptr(req.Head),
		TargetBranch: gl.Ptr(req.Base),
	}
	if len(labels) > 0 {
		opt.Labels = (*gl.LabelOptions)(&labels)
	}
	var mr *gl.MergeRequest
	_, err := c.call(ctx, "creating merge request for "+req.Head, true, func(o ...gl.RequestOptionFunc) (r *gl.Response, err error) {
		mr, r, err = c.api.MergeRequests.CreateMergeRequest(c.project, opt, o...)
		return r, err
	})
	if s := statusOf(err); s == http.StatusConflict || s == http.StatusUnprocessableEntity {
		// "Another open merge request already exists for this source
		// branch": a concurrent run, or our own earlier attempt whose
		// answer was lost. Adopt it.
		open, ferr := c.findOpen(ctx, req.Head, req.Base)
		if ferr != nil {
			return nil, ferr
		}
		if open == nil {
			return nil, err
		}
		return c.edit(ctx, open, req, "", res)
	}
	if err != nil {
		return nil, err
	}
	res.Writes++
	res.Created = true
	res.LabelsAdded = labels
	return &mr.BasicMergeRequest, nil
}

// reopen reopens a merge request closed unmerged, updating it in the same
// call. It returns nil, nil when GitLab will not reopen it.
func (c *Client) reopen(ctx context.Context, prev *gl.BasicMergeRequest, req forge.Request, res *forge.Result) (*gl.BasicMergeRequest, error) {
	mr, err := c.edit(ctx, prev, req, "reopen", res)
	switch statusOf(err) {
	case 0:
	case http.StatusBadRequest, http.StatusMethodNotAllowed, http.StatusConflict, http.StatusUnprocessableEntity:
		return nil, nil
	default:
		return nil, err
	}
	if mr.State != stateOpened {
		// GitLab ignores state_event=reopen when the merge request
		// cannot be reopened (its source branch is gone, it is locked).
		return nil, nil
	}
	res.Reopened = true
	return mr, nil
}

// edit brings title, description and labels of mr in line with req, and
// applies stateEvent ("reopen"), in a single PUT made only when something
// differs.
func (c *Client) edit(ctx context.Context, mr *gl.BasicMergeRequest, req forge.Request, stateEvent string, res *forge.Result) (*gl.BasicMergeRequest, error) {
	opt := &gl.UpdateMergeRequestOptions{}
	changed := false
	if stateEvent != "" {
		opt.StateEvent, changed = gl.Ptr(stateEvent), true
	}
	if strings.TrimSpace(mr.Title) != strings.TrimSpace(req.Title) {
		opt.Title, changed = gl.Ptr(req.Title), true
	}
	if !sameText(mr.Description, req.Body) {
		opt.Description, changed = gl.Ptr(req.Body), true
	}
	add, remove := labelDiff(mr.Labels, req)
	if len(add) > 0 {
		if err := c.ensureLabels(ctx, add, req.Managed, res); err != nil {
			return nil, err
		}
		opt.AddLabels, changed = (*gl.LabelOptions)(&add), true
	}
	if len(remove) > 0 {
		opt.RemoveLabels, changed = (*gl.LabelOptions)(&remove), true
	}
	if !changed {
		return mr, nil
	}
	op := fmt.Sprintf("updating merge request !%d", mr.IID)
	if stateEvent == "reopen" {
		op = fmt.Sprintf("reopening merge request !%d", mr.IID)
	}
	var got *gl.MergeRequest
	_, err := c.call(ctx, op, true, func(o ...gl.RequestOptionFunc) (r *gl.Response, err error) {
		got, r, err = c.api.MergeRequests.UpdateMergeRequest(c.project, mr.IID, opt, o...)
		return r, err
	})
	if err != nil {
		return nil, err
	}
	res.Writes++
	res.LabelsAdded, res.LabelsRemoved = add, remove
	return &got.BasicMergeRequest, nil
}

// sameText compares descriptions as GitLab keeps them: line endings and
// surrounding white space aside.
func sameText(a, b string) bool {
	norm := func(s string) string { return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n")) }
	return norm(a) == norm(b)
}

func labelNames(ls []forge.Label) []string {
	out := make([]string, 0, len(ls))
	for _, l := range ls {
		out = append(out, l.Name)
	}
	return out
}

// wantedLabels is req.Labels without duplicates, sorted.
func wantedLabels(req forge.Request) []string {
	out := slices.Clone(req.Labels)
	slices.Sort(out)
	return slices.Compact(out)
}

// labelDiff returns the labels to add to an MR carrying have, and the
// managed ones to remove. Labels cvetrail does not manage are never
// removed.
func labelDiff(have []string, req forge.Request) (add, remove []string) {
	for _, name := range wantedLabels(req) {
		if !slices.Contains(have, name) {
			add = append(add, name)
		}
	}
	for _, name := range labelNames(req.Managed) {
		if slices.Contains(have, name) && !slices.Contains(req.Labels, name) && !slices.Contains(remove, name) {
			remove = append(remove, name)
		}
	}
	slices.Sort(remove)
	return add, remove
}

// ensureLabels creates the managed labels among names that the project
// (or one of its groups) lacks. Unmanaged names are left to GitLab, which
// creates a label it is asked to add.
func (c *Client) ensureLabels(ctx context.Context, names []string, managed []forge.Label, res *forge.Result) error {
	for _, name := range names {
		i := slices.IndexFunc(managed, func(l forge.Label) bool { return l.Name == name })
		if i < 0 {
			continue
		}
		ok, err := c.labelExists(ctx, name)
		if err != nil {
			return err
		}
		if ok {
			continue
		}
		if err := c.createLabel(ctx, managed[i], res); err != nil {
			return err
		}
	}
	return nil
}

func (c *Client) labelExists(ctx context.Context, name string) (bool, error) {
	opt := &gl.ListLabelsOptions{Search: gl.Ptr(name)}
	opt.PerPage, opt.Page = 100, 1
	for n := 0; n < 10; n++ {
		var got []*gl.Label
		resp, err := c.call(ctx, fmt.Sprintf("looking up label %q", name), true, func(o ...gl.RequestOptionFunc) (r *gl.Response, err error) {
			got, r, err = c.api.Labels.ListLabels(c.project, opt, o...)
			return r, err
		})
		if err != nil {
			return false, err
		}
		if slices.ContainsFunc(got, func(l *gl.Label) bool { return l.Name == name }) {
			return true, nil
		}
		if resp == nil || resp.NextPage == 0 {
			return false, nil
		}
		opt.Page = resp.NextPage
	}
	return false, nil
}

func (c *Client) createLabel(ctx context.Context, l forge.Label, res *forge.Result) error {
	color := strings.TrimPrefix(strings.TrimSpace(l.Color), "#")
	if color == "" {
		color = "ededed"
	}
	opt := &gl.CreateLabelOptions{Name: gl.Ptr(l.Name), Color: gl.Ptr("#" + color)}
	if l.Description != "" {
		opt.Description = gl.Ptr(l.Description)
	}
	_, err := c.call(ctx, fmt.Sprintf("creating label %q", l.Name), true, func(o ...gl.RequestOptionFunc) (r *gl.Response, err error) {
		_, r, err = c.api.Labels.CreateLabel(c.project, opt, o...)
		return r, err
	})
	if statusOf(err) == http.StatusConflict {
		return nil // "Label already exists": created meanwhile, or our lost answer
	}
	if err != nil {
		return err
	}
	res.Writes++
	res.LabelsCreated = append(res.LabelsCreated, l.Name)
	return nil
}
