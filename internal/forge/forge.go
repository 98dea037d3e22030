// Package forge defines what cvetrail asks of a code forge (GitHub, GitLab):
// keep one pull request per report branch in the right state. The forges
// themselves live in the github and gitlab subpackages; this package knows
// nothing about vulnerabilities, only branches, text and labels.
package forge

import (
	"context"
	"errors"
	"fmt"
)

// MergeMode says how a clean pull request gets merged.
type MergeMode string

// The merge modes.
const (
	// MergeAPI merges through the forge's API when nothing needs review;
	// when required checks are still pending it enables auto-merge instead.
	MergeAPI MergeMode = "api"
	// MergeAuto enables the forge's native auto-merge when nothing needs
	// review and disables it again when the request comes to need review.
	MergeAuto MergeMode = "auto"
	// MergeNone leaves merging to a merge bot (Mergify, …) that keys on the
	// labels.
	MergeNone MergeMode = "none"
)

// Label is a label cvetrail may create when it is missing.
type Label struct {
	Name        string
	Color       string // six hex digits, no "#"
	Description string
}

// Request is the desired state of the pull request for one report branch.
type Request struct {
	Head  string // report branch, already pushed
	Base  string // base branch
	Title string
	Body  string // Markdown, already within the forge's size limit
	// HeadSHA is the commit the head branch must point at; merges are
	// made only for this commit, so a concurrent push is never merged
	// unseen.
	HeadSHA string
	// Labels must be present on the request. Managed labels not in Labels
	// are removed; labels cvetrail does not manage are never touched.
	Labels  []string
	Managed []Label
	// NeedsReview is true when a human must look: the request is then
	// never merged and auto-merge is disabled.
	NeedsReview bool
	Merge       MergeMode
	Method      string // merge, squash or rebase
}

// Result tells what Sync found and did.
type Result struct {
	Number           int
	URL              string
	Created          bool // the request was created by this call
	Reopened         bool // it had been closed unmerged and was reopened
	Merged           bool
	AutoMerge        bool // auto-merge is enabled after this call
	Writes           int  // API calls that changed something; 0 on an idempotent rerun
	LabelsAdded      []string
	LabelsRemoved    []string
	LabelsCreated    []string
	AlreadyUpToDate  bool
	MergeDeferredWhy string // why a clean request was not merged now (checks pending, …)
}

// Forge keeps the pull request of a report branch in the requested state.
type Forge interface {
	// Sync finds the open request for req.Head (or creates one), updates
	// its title and body when they differ, adds and removes labels, and
	// merges according to req.Merge. A second call with the same request
	// makes no write.
	Sync(ctx context.Context, req Request) (Result, error)
	// Close closes the open request for head, if any, and deletes the
	// head branch on the forge; used when the report returned to what the
	// base has.
	Close(ctx context.Context, head, comment string) (closed bool, err error)
	// PushEnv returns environment variables that let `git push` to
	// remoteURL authenticate (through GIT_CONFIG_COUNT/KEY/VALUE), so the
	// token never appears in arguments, URLs or .git/config.
	PushEnv(remoteURL string) []string
	// Name is "github" or "gitlab".
	Name() string
}

// ErrPermission marks a failure caused by missing token permissions.
var ErrPermission = errors.New("permission denied")

// Error is a failed forge call. Hint, when set, says what to change
// (a workflow permission, a token scope).
type Error struct {
	Op     string // "creating pull request", …
	Status int    // HTTP status, 0 when none
	Hint   string
	Err    error
}

func (e *Error) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("%s: HTTP %d: %v", e.Op, e.Status, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Op, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }
