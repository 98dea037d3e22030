package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/cvetrail/cvetrail/internal/diff"
	"github.com/cvetrail/cvetrail/internal/forge"
	"github.com/cvetrail/cvetrail/internal/forge/github"
	"github.com/cvetrail/cvetrail/internal/forge/gitlab"
	"github.com/cvetrail/cvetrail/internal/gitrepo"
	"github.com/cvetrail/cvetrail/internal/render"
	"github.com/cvetrail/cvetrail/internal/report"
)

// Size limits of pull request bodies, with room for the truncation note.
const (
	githubBodyLimit = 65536 - 512
	gitlabBodyLimit = 1048576 - 1024
)

// newForge builds the forge client configured in cvetrail.yaml, reading the
// token and the repository from the environment.
func (r *dailyRun) newForge(ctx context.Context) (forge.Forge, int, string, error) {
	origin, _ := r.repo.RemoteURL(ctx, "origin")
	switch r.cfg.Forge {
	case "github":
		c, err := github.ConfigFromEnv(r.a.env.Getenv, origin)
		if err != nil {
			return nil, 0, "", usageErr(fmt.Errorf("github: %w", err), "set GITHUB_TOKEN and GITHUB_REPOSITORY, or an origin remote on GitHub")
		}
		c.HTTPClient = r.a.env.HTTPClient
		f, err := github.New(c)
		if err != nil {
			return nil, 0, "", usageErr(fmt.Errorf("github: %w", err))
		}
		return f, githubBodyLimit, origin, nil
	case "gitlab":
		c, err := gitlab.ConfigFromEnv(r.a.env.Getenv, origin)
		if err != nil {
			return nil, 0, "", usageErr(fmt.Errorf("gitlab: %w", err), "set GITLAB_TOKEN (or CI_JOB_TOKEN), CI_API_V4_URL and CI_PROJECT_ID")
		}
		c.HTTPClient = r.a.env.HTTPClient
		f, err := gitlab.New(c)
		if err != nil {
			return nil, 0, "", usageErr(fmt.Errorf("gitlab: %w", err))
		}
		return f, gitlabBodyLimit, origin, nil
	}
	return nil, 0, "", usageErr(fmt.Errorf("forge %q is not supported", r.cfg.Forge))
}

// remote is the remote the report branch is pushed to.
const remote = "origin"

// pushRepo returns the repository with the forge's credentials in its
// environment, for push and ls-remote only.
func (r *dailyRun) pushRepo(f forge.Forge, origin string) *gitrepo.Repo {
	p := *r.repo
	p.Env = append(append([]string{}, r.repo.Env...), f.PushEnv(origin)...)
	return &p
}

// remoteTip returns the commit the remote's report branch points at, "" when
// it has none.
func remoteTip(ctx context.Context, repo *gitrepo.Repo, branch string) (string, error) {
	out, err := repo.Git(ctx, "ls-remote", remote, "refs/heads/"+branch)
	if err != nil {
		return "", err
	}
	f := strings.Fields(string(out))
	if len(f) == 0 {
		return "", nil
	}
	return f[0], nil
}

func forgeErr(err error) error {
	var fe *forge.Error
	if errors.As(err, &fe) && fe.Hint != "" {
		return externalErr(err, fe.Hint)
	}
	return externalErr(err)
}

// publish pushes the report branch and keeps its pull request in the right
// state: labels, body, and a merge when nothing needs a human.
func (r *dailyRun) publish(ctx context.Context, res diff.Result, infos []report.ScanInfo, newTip, baseTip string, needsReview bool, failures []imageFailure) error {
	f, limit, origin, err := r.newForge(ctx)
	if err != nil {
		return err
	}
	pr := r.pushRepo(f, origin)
	if err := r.step(ctx, "push"); err != nil {
		return err
	}
	rt, err := remoteTip(ctx, pr, r.branch)
	if err != nil {
		return externalErr(fmt.Errorf("reading %s on %s: %w", r.branch, remote, err))
	}
	if rt != newTip {
		if err := pr.Push(ctx, remote, r.branch, rt); err != nil {
			return externalErr(fmt.Errorf("pushing %s: %w", r.branch, err), "the token needs 'contents: write'")
		}
		r.a.log.Info(fmt.Sprintf("pushed %s to %s", r.branch, remote))
	}
	var body bytes.Buffer
	meta := r.meta(infos)
	if err := render.Markdown(&body, res, meta, limit); err != nil {
		return err
	}
	managed := []forge.Label{{Name: r.cfg.Labels.Review, Color: "d73a4a", Description: "cvetrail: a vulnerability needs a human decision"}}
	var labels []string
	if needsReview {
		labels = append(labels, r.cfg.Labels.Review)
	}
	for _, l := range r.cfg.Labels.Extra {
		managed = append(managed, forge.Label{Name: l, Color: "ededed", Description: "cvetrail vulnerability report"})
		labels = append(labels, l)
	}
	mode := forge.MergeMode(r.cfg.Merge.Mode)
	if r.o.noMerge {
		mode = forge.MergeNone
	}
	if err := r.step(ctx, "sync"); err != nil {
		return err
	}
	out, err := f.Sync(ctx, forge.Request{
		Head: r.branch, Base: r.base, HeadSHA: newTip,
		Title:  "cvetrail: vulnerability report " + r.now.UTC().Format("2006-01-02"),
		Body:   body.String(),
		Labels: labels, Managed: managed,
		NeedsReview: needsReview, Merge: mode, Method: r.cfg.Merge.Method,
	})
	if err != nil {
		return forgeErr(fmt.Errorf("%s: %w", f.Name(), err))
	}
	state := "open"
	switch {
	case out.Merged:
		state = "merged"
	case out.AutoMerge:
		state = "auto-merge enabled"
	}
	verb := "updated"
	if out.Created {
		verb = "opened"
	}
	fmt.Fprintf(r.a.env.Stdout, "%s %s (%s): %s\n", verb, out.URL, state, summarize(res, needsReview, r.o.baseline))
	if out.MergeDeferredWhy != "" {
		r.a.log.Info("merge deferred: " + out.MergeDeferredWhy)
	}
	return r.exitFor(needsReview, failures)
}

// closeRequest closes the pull request of the report branch, if any, when
// the ledgers equal the base again.
func (r *dailyRun) closeRequest(ctx context.Context) error {
	f, _, _, err := r.newForge(ctx)
	if err != nil {
		return err
	}
	closed, err := f.Close(ctx, r.branch, "The ledgers equal "+r.base+" again; nothing to report.")
	if err != nil {
		return forgeErr(fmt.Errorf("%s: %w", f.Name(), err))
	}
	if closed {
		r.a.log.Info(fmt.Sprintf("closed the pull request of %s: nothing to report", r.branch))
	}
	return nil
}
