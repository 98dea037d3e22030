package gitlab

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	gl "gitlab.com/gitlab-org/api/client-go/v2"

	"github.com/cvetrail/cvetrail/internal/forge"
)

// Close closes every open merge request of this project from head (any
// target branch), first adding comment as a note when it is not empty,
// then deletes head on GitLab. A branch already gone is not an error, so a
// second call writes nothing. closed reports whether a merge request was
// closed by this call.
func (c *Client) Close(ctx context.Context, head, comment string) (closed bool, err error) {
	if strings.TrimSpace(head) == "" {
		return false, &forge.Error{Op: "closing merge request", Err: fmt.Errorf("head branch is required")}
	}
	opt := mrOptions(head, "", stateOpened)
	opt.PerPage = 100
	open, err := c.listMRs(ctx, "finding merge request for "+head, opt, 10)
	if err != nil {
		return false, err
	}
	for _, mr := range open {
		if strings.TrimSpace(comment) != "" {
			note := &gl.CreateMergeRequestNoteOptions{Body: gl.Ptr(comment)}
			// Not retried after a 5xx: GitLab may have kept the note.
			_, err := c.call(ctx, fmt.Sprintf("commenting on merge request !%d", mr.IID), false, func(o ...gl.RequestOptionFunc) (r *gl.Response, err error) {
				_, r, err = c.api.Notes.CreateMergeRequestNote(c.project, mr.IID, note, o...)
				return r, err
			})
			if err != nil {
				return closed, err
			}
		}
		upd := &gl.UpdateMergeRequestOptions{StateEvent: gl.Ptr("close")}
		_, err := c.call(ctx, fmt.Sprintf("closing merge request !%d", mr.IID), true, func(o ...gl.RequestOptionFunc) (r *gl.Response, err error) {
			_, r, err = c.api.MergeRequests.UpdateMergeRequest(c.project, mr.IID, upd, o...)
			return r, err
		})
		if err != nil {
			return closed, err
		}
		closed = true
	}
	_, err = c.call(ctx, "deleting branch "+head, true, func(o ...gl.RequestOptionFunc) (*gl.Response, error) {
		return c.api.Branches.DeleteBranch(c.project, head, o...)
	})
	if statusOf(err) == http.StatusNotFound {
		err = nil // gone already: merged with "delete source branch", or an earlier run
	}
	return closed, err
}
