package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/cvetrail/cvetrail/internal/diff"
	"github.com/cvetrail/cvetrail/internal/forge"
	"github.com/cvetrail/cvetrail/internal/forge/github"
	"github.com/cvetrail/cvetrail/internal/forge/gitlab"
	"github.com/cvetrail/cvetrail/internal/gitrepo"
	"github.com/cvetrail/cvetrail/internal/ledger"
	"github.com/cvetrail/cvetrail/internal/render"
	"github.com/cvetrail/cvetrail/internal/report"
)

// remote is the remote the report branch is pushed to.
const remote = "origin"

// Colours and descriptions of the labels cvetrail creates when missing.
const (
	reviewLabelColor = "d73a4a"
	reviewLabelDesc  = "cvetrail: a vulnerability needs a human decision"
	extraLabelColor  = "ededed"
	extraLabelDesc   = "cvetrail vulnerability report"
)

// reportRemote is the forge of a run and its report branch as the run
// found it.
type reportRemote struct {
	f      forge.Forge
	kind   string // "pull request" or "merge request"
	limit  int    // body size limit in bytes
	origin string // URL of the remote
	// web is the repository's web page ("https://github.com/o/r"), "" when
	// unknown; the body links the committed ledgers below it.
	web      string
	treePath string // "/tree/" on GitHub, "/-/tree/" on GitLab
	// pushHint says what a failed push most likely lacks.
	pushHint string
	// tip is the report branch on the remote ("" when it has none): the
	// lease of the push, so a commit pushed there during the run is
	// never overwritten.
	tip  string
	mode forge.MergeMode
}

// configPath is the configuration file of the run: --config, else
// CVETRAIL_CONFIG, else cvetrail.yaml at the repository root. A relative
// path is taken from the working directory.
func (o *runOpts) configPath(a *app, root string) string {
	p := o.config
	if p == "" {
		p = a.env.Getenv("CVETRAIL_CONFIG")
	}
	if p == "" {
		return filepath.Join(root, ledger.ConfigFile)
	}
	return a.abs(p)
}

// mergeMode is how a clean request is merged: --no-merge, else --merge,
// else CVETRAIL_MERGE, else merge.mode.
func (r *dailyRun) mergeMode() (forge.MergeMode, error) {
	if r.o.noMerge {
		return forge.MergeNone, nil
	}
	m, from := r.o.merge, "--merge"
	if m == "" {
		m, from = r.a.env.Getenv("CVETRAIL_MERGE"), "CVETRAIL_MERGE"
	}
	if m == "" {
		m, from = r.cfg.Merge.Mode, "merge.mode"
	}
	switch mode := forge.MergeMode(strings.TrimSpace(m)); mode {
	case forge.MergeAPI, forge.MergeAuto, forge.MergeNone:
		return mode, nil
	}
	return "", usageErr(fmt.Errorf("%s %q: want api, auto or none", from, m))
}

// newForge builds the forge client configured in cvetrail.yaml, reading the
// token and the repository from the environment.
func (r *dailyRun) newForge(ctx context.Context) (*reportRemote, error) {
	mode, err := r.mergeMode()
	if err != nil {
		return nil, err
	}
	origin, err := r.repo.RemoteURL(ctx, remote)
	if errors.Is(err, gitrepo.ErrNotFound) {
		return nil, usageErr(fmt.Errorf("forge %s: the repository has no %q remote to push the report branch to", r.cfg.Forge, remote),
			"add it: git remote add origin URL")
	}
	if err != nil {
		return nil, externalErr(err)
	}
	getenv := r.a.env.Getenv
	switch r.cfg.Forge {
	case "github":
		c, err := github.ConfigFromEnv(getenv, origin)
		if err != nil {
			return nil, usageErr(fmt.Errorf("github: %w", err), "in GitHub Actions pass GITHUB_TOKEN to the step; elsewhere set GITHUB_TOKEN (or GH_TOKEN) and GITHUB_REPOSITORY")
		}
		c.HTTPClient = r.a.env.HTTPClient
		c.Sleep = r.a.env.sleep
		c.Now = r.a.env.Now
		f, err := github.New(c)
		if err != nil {
			return nil, usageErr(fmt.Errorf("github: %w", err))
		}
		return &reportRemote{
			f: f, kind: "pull request", limit: github.MaxBodyChars, origin: origin,
			web: githubWeb(c), treePath: "/tree/", mode: mode,
			pushHint: "the workflow needs `permissions: contents: write`; a personal access token needs write access to the repository's contents",
		}, nil
	case "gitlab":
		c, err := gitlab.ConfigFromEnv(getenv, origin)
		if err != nil {
			return nil, usageErr(fmt.Errorf("gitlab: %w", err), "set GITLAB_TOKEN (a project access token with scope api), CI_API_V4_URL and CI_PROJECT_ID")
		}
		c.HTTPClient = r.a.env.HTTPClient
		c.Sleep = r.a.env.sleep
		c.Now = r.a.env.Now
		f, err := gitlab.New(c)
		if err != nil {
			return nil, usageErr(fmt.Errorf("gitlab: %w", err))
		}
		return &reportRemote{
			f: f, kind: "merge request", limit: gitlab.MaxDescription, origin: origin,
			web: gitlabWeb(getenv, c), treePath: "/-/tree/", mode: mode,
			pushHint: "GITLAB_TOKEN needs scope `api` (or `write_repository`) and a role allowed to push to the report branch",
		}, nil
	}
	return nil, usageErr(fmt.Errorf("forge %q is not supported", r.cfg.Forge))
}

// githubWeb is the repository's web page: GITHUB_SERVER_URL, else the
// web host of the API.
func githubWeb(c github.Config) string {
	server := c.ServerURL
	if server == "" {
		api, err := url.Parse(c.APIURL)
		if err != nil || api.Host == "" {
			return ""
		}
		host := api.Host
		switch {
		case strings.HasSuffix(strings.TrimSuffix(api.Path, "/"), "/api/v3"):
		case strings.HasPrefix(strings.ToLower(host), "api."):
			host = host[len("api."):]
		}
		server = api.Scheme + "://" + host
	}
	return strings.TrimSuffix(server, "/") + "/" + url.PathEscape(c.Owner) + "/" + url.PathEscape(c.Repo)
}

// gitlabWeb is the project's web page: CI_PROJECT_URL, else the API's
// host and the project's path (unknown for a numeric project ID).
func gitlabWeb(getenv func(string) string, c gitlab.Config) string {
	if u := strings.TrimSpace(getenv("CI_PROJECT_URL")); u != "" {
		return strings.TrimSuffix(u, "/")
	}
	if _, err := strconv.Atoi(c.Project); err == nil || c.Project == "" {
		return ""
	}
	base := strings.TrimSuffix(strings.TrimSuffix(c.BaseURL, "/"), "/api/v4")
	if base == c.BaseURL {
		return ""
	}
	return base + "/" + strings.Trim(c.Project, "/")
}

// pushRepo returns the repository with the forge's credentials in its
// environment, for the commands that reach the remote only.
func (r *dailyRun) pushRepo(t *reportRemote) *gitrepo.Repo {
	p := *r.repo
	p.Env = append(append([]string{}, r.repo.Env...), t.f.PushEnv(t.origin)...)
	return &p
}

// remoteTip returns the commit the remote's branch points at, "" when it
// has none.
func remoteTip(ctx context.Context, repo *gitrepo.Repo, branch string) (string, error) {
	out, err := repo.Git(ctx, "ls-remote", "--end-of-options", remote, "refs/heads/"+branch)
	if err != nil {
		return "", err
	}
	f := strings.Fields(string(out))
	if len(f) == 0 {
		return "", nil
	}
	return f[0], nil
}

// fetchReportBranch brings the report branch of the forge into the
// repository before the run builds on it, so that decisions people
// committed on the pull request are kept and an unchanged report is not
// pushed again. A fresh CI checkout has no local report branch: it is
// created at the remote's tip. A local branch ahead of the remote (an
// earlier run that could not push) is kept; one behind it, or one
// holding only cvetrail's commits, follows the remote. A local branch
// with commits of people the remote lacks stops the run.
func (r *dailyRun) fetchReportBranch(ctx context.Context) error {
	if r.cfg.Forge == "none" || r.o.dryRun {
		return nil
	}
	t, err := r.newForge(ctx)
	if err != nil {
		return err
	}
	pr := r.pushRepo(t)
	tip, err := remoteTip(ctx, pr, r.branch)
	if err != nil {
		return externalErr(fmt.Errorf("reading %s on %s: %w", r.branch, remote, err), t.pushHint)
	}
	t.tip = tip
	r.remote = t
	if tip == "" {
		return nil
	}
	local, err := r.tip(ctx, r.branch)
	if err != nil {
		return err
	}
	if local == tip {
		return nil
	}
	track := "refs/remotes/" + remote + "/" + r.branch
	if _, err := pr.Git(ctx, "fetch", "--no-tags", "--quiet", "--end-of-options", remote, "+refs/heads/"+r.branch+":"+track); err != nil {
		return externalErr(fmt.Errorf("fetching %s from %s: %w", r.branch, remote, err), t.pushHint)
	}
	if local != "" {
		ahead, err := r.repo.IsAncestor(ctx, tip, local)
		if err != nil {
			return externalErr(err)
		}
		if ahead {
			return nil // pushed by this run
		}
		behind, err := r.repo.IsAncestor(ctx, local, tip)
		if err != nil {
			return externalErr(err)
		}
		if !behind {
			human, err := r.humanCommits(ctx, tip, local)
			if err != nil {
				return err
			}
			if human {
				return usageErr(fmt.Errorf("the report branch %s differs here and on %s, and the local one has commits cvetrail did not make", r.branch, remote),
					fmt.Sprintf("push them to %s on %s, or delete the local branch (git branch -D %s)", r.branch, remote, r.branch))
			}
		}
	}
	if err := r.repo.UpdateRef(ctx, "refs/heads/"+r.branch, tip, local, "cvetrail: report branch from "+remote); err != nil {
		return externalErr(fmt.Errorf("updating %s from %s: %w", r.branch, remote, err))
	}
	r.a.log.Debug(fmt.Sprintf("%s at %s, as on %s", r.branch, short(tip), remote))
	return nil
}

func forgeErr(err error) error {
	var fe *forge.Error
	if errors.As(err, &fe) && fe.Hint != "" {
		return externalErr(err, fe.Hint)
	}
	return externalErr(err)
}

// requestTitle names what the report holds, not the day: a report
// awaiting review for a week keeps its title, and a rerun writes nothing.
func requestTitle(res diff.Result, needsReview bool) string {
	var parts []string
	for _, c := range diff.Classes() {
		if n := res.Summary[c]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, c))
		}
	}
	s := "cvetrail: vulnerability report"
	if len(parts) > 0 {
		s += ": " + strings.Join(parts, ", ")
	}
	if needsReview {
		return s + " (needs review)"
	}
	return s
}

// labelsFor returns the labels the request must carry and the labels
// cvetrail manages (creates when missing, removes when not wanted).
func (r *dailyRun) labelsFor(needsReview bool) ([]string, []forge.Label) {
	managed := []forge.Label{{Name: r.cfg.Labels.Review, Color: reviewLabelColor, Description: reviewLabelDesc}}
	var labels []string
	if needsReview {
		labels = append(labels, r.cfg.Labels.Review)
	}
	for _, l := range r.cfg.Labels.Extra {
		if l == "" || l == r.cfg.Labels.Review {
			continue
		}
		managed = append(managed, forge.Label{Name: l, Color: extraLabelColor, Description: extraLabelDesc})
		labels = append(labels, l)
	}
	return labels, managed
}

// publish pushes the report branch and keeps its pull request in the right
// state: labels, body, and a merge when nothing needs a human.
func (r *dailyRun) publish(ctx context.Context, res diff.Result, infos []report.ScanInfo, newTip, _ string, needsReview bool, failures []imageFailure) error {
	if r.remote == nil {
		if err := r.fetchReportBranch(ctx); err != nil {
			return err
		}
	}
	t := r.remote
	if t == nil {
		return usageErr(errors.New("publishing the report: no forge configured"))
	}
	if err := r.step(ctx, "push"); err != nil {
		return err
	}
	if t.tip != newTip {
		if err := r.pushRepo(t).Push(ctx, remote, r.branch, t.tip); err != nil {
			if errors.Is(err, gitrepo.ErrStale) {
				return externalErr(fmt.Errorf("pushing %s: %w", r.branch, err),
					fmt.Sprintf("%s changed on %s during the run (a decision committed on it?); run again to build on it", r.branch, remote))
			}
			return externalErr(fmt.Errorf("pushing %s: %w", r.branch, err), t.pushHint)
		}
		t.tip = newTip
		r.a.log.Info(fmt.Sprintf("pushed %s to %s", r.branch, remote))
	}
	var body bytes.Buffer
	meta := r.meta(infos)
	if t.web != "" {
		meta.LedgerURL = t.web + t.treePath + newTip + "/" + ledger.Dir
	}
	if err := render.Markdown(&body, res, meta, t.limit); err != nil {
		return err
	}
	labels, managed := r.labelsFor(needsReview)
	if err := r.step(ctx, "sync"); err != nil {
		return err
	}
	out, err := t.f.Sync(ctx, forge.Request{
		Head: r.branch, Base: r.base, HeadSHA: newTip,
		Title:  requestTitle(res, needsReview),
		Body:   body.String(),
		Labels: labels, Managed: managed,
		NeedsReview: needsReview, Merge: t.mode, Method: r.cfg.Merge.Method,
	})
	if err != nil {
		return forgeErr(fmt.Errorf("%s: %w", t.f.Name(), err))
	}
	state := "open"
	switch {
	case out.Merged:
		state = "merged"
	case out.AutoMerge:
		state = "auto-merge enabled"
	case needsReview:
		state = "open, awaiting review"
	}
	verb := "updated"
	switch {
	case out.Created:
		verb = "opened"
	case out.Reopened:
		verb = "reopened"
	case out.AlreadyUpToDate:
		verb = "unchanged"
	}
	fmt.Fprintf(r.a.env.Stdout, "%s %s %s (%s): %s\n", verb, t.kind, out.URL, state, summarize(res, needsReview, r.o.baseline))
	if out.MergeDeferredWhy != "" {
		r.a.log.Info("merge deferred: " + out.MergeDeferredWhy)
	}
	return r.exitFor(needsReview, failures)
}

// closeRequest closes the pull request of the report branch, if any, and
// deletes the branch on the forge, when the ledgers equal the base again.
func (r *dailyRun) closeRequest(ctx context.Context) error {
	t := r.remote
	if t == nil {
		var err error
		if t, err = r.newForge(ctx); err != nil {
			return err
		}
	}
	closed, err := t.f.Close(ctx, r.branch, "The ledgers equal "+r.base+" again: nothing to report, so cvetrail closed this "+t.kind+".")
	if err != nil {
		return forgeErr(fmt.Errorf("%s: %w", t.f.Name(), err))
	}
	if closed {
		fmt.Fprintf(r.a.env.Stdout, "closed the %s of %s: the ledgers equal %s again\n", t.kind, r.branch, r.base)
	}
	return nil
}
