package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/cvetrail/cvetrail/internal/config"
	"github.com/cvetrail/cvetrail/internal/diff"
	"github.com/cvetrail/cvetrail/internal/gitrepo"
	"github.com/cvetrail/cvetrail/internal/ledger"
	"github.com/cvetrail/cvetrail/internal/render"
	"github.com/cvetrail/cvetrail/internal/report"
	"github.com/cvetrail/cvetrail/internal/scanner"
	"github.com/cvetrail/cvetrail/internal/triage"
)

// Trailers cvetrail writes into its report commits.
const (
	trailerScanner     = "Cvetrail-Scanner"
	trailerDB          = "Cvetrail-DB"
	trailerNeedsReview = "Cvetrail-Needs-Review"
	trailerBaseline    = "Cvetrail-Baseline"
	trailerReport      = "Cvetrail-Report"
)

// dailyRun is one execution of `cvetrail run`.
type dailyRun struct {
	a      *app
	o      *runOpts
	repo   *gitrepo.Repo
	gitDir string
	cfg    *config.Config
	lock   *gitrepo.Lock
	base   string
	branch string
	now    time.Time
	remote *reportRemote // the forge and the report branch on it, when forge is set
	// baseWorktree is another worktree that has the base checked out.
	baseWorktree string
	// committer makes cvetrail's commits: repo, with commit.author.
	committer *gitrepo.Repo
}

func newDailyRun(ctx context.Context, a *app, o *runOpts) (*dailyRun, error) {
	now, err := a.now()
	if err != nil {
		return nil, err
	}
	repo, err := openRepo(ctx, a)
	if err != nil {
		return nil, err
	}
	cfgPath := o.configPath(a, repo.Dir)
	cfg, err := loadConfigFile(cfgPath, true)
	if err != nil {
		return nil, err
	}
	cfg.Scanner.Path = configRelative(filepath.Dir(cfgPath), cfg.Scanner.Path)
	if o.fromDir == "" && len(cfg.Images) == 0 {
		return nil, usageErr(errors.New("cvetrail.yaml: no images configured"), "add images, or pass --from-dir DIR")
	}
	gitDir, err := repo.GitDir(ctx)
	if err != nil {
		return nil, externalErr(err)
	}
	// One run at a time in the whole repository: runs in two worktrees
	// would race for the same report branch.
	commonDir, err := repo.CommonDir(ctx)
	if err != nil {
		return nil, externalErr(err)
	}
	lock, err := gitrepo.AcquireLock(ctx, commonDir, "cvetrail-run.lock", gitrepo.LockOptions{Now: a.env.Now()})
	if errors.Is(err, gitrepo.ErrLocked) {
		return nil, externalErr(err, "another 'cvetrail run' is working in this repository; wait for it to finish")
	}
	if err != nil {
		return nil, externalErr(err)
	}
	if old, ok := lock.Replaced(); ok {
		if old.PID != 0 {
			a.log.Info(fmt.Sprintf("took over the lock of an interrupted run (process %d on %s, started %s)", old.PID, old.Host, old.Started.UTC().Format(time.RFC3339)))
		} else {
			a.log.Info("took over an old, unreadable lock of an interrupted run")
		}
	}
	r := &dailyRun{a: a, o: o, repo: repo, gitDir: gitDir, cfg: cfg, lock: lock, branch: cfg.Branch, now: now}
	if err := r.recoverMerge(ctx); err != nil {
		r.close()
		return nil, err
	}
	// Leftovers of a run killed midway: temporary files of atomic writes
	// and private index directories of commits.
	if cleaned, err := (ledger.Store{Root: repo.Dir}).CleanTemp(ctx); err != nil {
		r.close()
		return nil, externalErr(err)
	} else if len(cleaned) > 0 {
		a.log.Info("removed temporary files of an interrupted run", "files", strings.Join(cleaned, ","))
	}
	if _, err := repo.CleanTemp(ctx); err != nil {
		r.close()
		return nil, externalErr(err)
	}
	if _, err := ledger.CleanTempFiles(ctx, gitDir); err != nil { // of the merge journal
		r.close()
		return nil, externalErr(err)
	}
	r.base = cfg.Base
	if r.base == "" {
		r.base, err = repo.CurrentBranch(ctx)
		if err != nil {
			r.close()
			return nil, usageErr(fmt.Errorf("finding the base branch: %w", err), "check out a branch, or set base: in cvetrail.yaml")
		}
	}
	if r.base == r.branch {
		r.close()
		return nil, usageErr(fmt.Errorf("the base branch and the report branch are both %q", r.base), "check out the base branch, or set base: in cvetrail.yaml")
	}
	if r.committer, err = commitRepo(ctx, repo, cfg.Commit.Author); err != nil {
		r.close()
		return nil, err
	}
	// The report branch, and the base when merging, move by plumbing: a
	// working tree that has one checked out would be left behind, except
	// the base checked out here, which the merge updates.
	wts, err := repo.Worktrees(ctx)
	if err != nil {
		r.close()
		return nil, externalErr(err)
	}
	for _, wt := range wts {
		switch {
		case o.dryRun:
			// Nothing moves.
		case wt.Branch == r.branch && wt.Current:
			r.close()
			return nil, usageErr(fmt.Errorf("the report branch %s is checked out", r.branch), fmt.Sprintf("check out %s first: git checkout %s", r.base, r.base))
		case wt.Branch == r.branch:
			r.close()
			return nil, usageErr(fmt.Errorf("the report branch %s is checked out in the worktree %s", r.branch, wt.Path), "check out another branch there")
		case wt.Branch == r.base && !wt.Current:
			r.baseWorktree = wt.Path
		}
	}
	return r, nil
}

func (r *dailyRun) close() {
	if r.lock != nil {
		if err := r.lock.Release(); err != nil {
			r.a.log.Warn("releasing the run lock", "err", err)
		}
		r.lock = nil
	}
}

func (r *dailyRun) step(ctx context.Context, name string) error { return r.a.stepDelay(ctx, name) }

func (r *dailyRun) do(ctx context.Context) error {
	a, repo := r.a, r.repo
	if !r.o.allowDirty {
		if err := r.checkClean(ctx); err != nil {
			return err
		}
	}
	baseTip, err := r.tip(ctx, r.base)
	if err != nil {
		return err
	}
	if err := r.fetchReportBranch(ctx); err != nil {
		return err
	}
	branchTip, err := r.tip(ctx, r.branch)
	if err != nil {
		return err
	}
	if err := r.step(ctx, "scan"); err != nil {
		return err
	}

	// 1. Scan, or ingest reports made elsewhere.
	fresh, infos, failures, err := r.collect(ctx)
	if err != nil {
		return err
	}
	if err := r.step(ctx, "classify"); err != nil {
		return err
	}

	// 2. Where the new commit goes: on the base tip, or on the report
	// branch when people committed decisions there.
	parent := baseTip
	if branchTip != "" {
		human, err := r.humanCommits(ctx, baseTip, branchTip)
		if err != nil {
			return err
		}
		if human {
			parent = branchTip
			a.log.Info(fmt.Sprintf("keeping the commits people made on %s", r.branch))
		}
	}

	baseLedgers, err := r.ledgersAt(ctx, baseTip)
	if err != nil {
		return err
	}
	parentLedgers := baseLedgers
	if parent != baseTip {
		if parentLedgers, err = r.ledgersAt(ctx, parent); err != nil {
			return err
		}
	}

	// Aliases known from the previous report keep canonical ids stable
	// when another scanner knows fewer of them.
	for _, rep := range fresh {
		rep.AdoptAliases(parentLedgers[rep.Image])
	}

	// 3. Guards against a scanner that lost its database.
	if !r.o.allowDrop {
		if err := r.guard(baseLedgers, fresh); err != nil {
			return err
		}
	}

	// 4. The ledgers the report branch should hold.
	head := map[string]*report.Report{}
	for img, rep := range parentLedgers {
		head[img] = rep
	}
	if r.o.fromDir == "" {
		// Images no longer configured leave the ledger (all resolved);
		// one that failed to scan is configured, and keeps its ledger.
		configured := map[string]bool{}
		for _, im := range r.cfg.Images {
			configured[im.LedgerName()] = true
		}
		for img := range head {
			if !configured[img] {
				delete(head, img)
			}
		}
	}
	for _, rep := range fresh {
		head[rep.Image] = rep
	}

	decisions, err := r.decisionsAt(ctx, parent)
	if err != nil {
		return err
	}
	res, err := diff.Compare(baseLedgers, head, decisions, policyOf(r.cfg), r.now)
	if err != nil {
		return usageErr(fmt.Errorf("classifying changes: %w", err))
	}
	needsReview := res.NeedsReview && !r.o.baseline

	files, err := ledgerChanges(parentLedgers, head)
	if err != nil {
		return err
	}
	summary := summarize(res, needsReview, r.o.baseline)
	a.log.Info(summary)

	if r.o.dryRun {
		if err := r.printSummary(res, infos, needsReview); err != nil {
			return err
		}
		return r.exitFor(needsReview, failures)
	}
	if err := r.step(ctx, "commit"); err != nil {
		return err
	}

	// 5. The commit.
	newTip := parent
	if len(files) > 0 {
		msg := r.commitMessage(res, infos, needsReview, summary)
		id, err := r.committer.CommitFiles(ctx, parent, files, msg)
		switch {
		case errors.Is(err, gitrepo.ErrNoChange):
		case err != nil:
			return externalErr(fmt.Errorf("committing the report: %w", err))
		default:
			newTip = id
		}
		if branchTip != "" && newTip != parent {
			same, err := r.sameCommit(ctx, branchTip, newTip)
			if err != nil {
				return err
			}
			if same {
				newTip = branchTip // idempotent: yesterday's identical report stays
			}
		}
	}

	if newTip == baseTip {
		// Nothing differs from the base: no report branch is needed.
		if branchTip != "" && parent == baseTip {
			if err := repo.DeleteRef(ctx, "refs/heads/"+r.branch, branchTip); err != nil {
				return externalErr(fmt.Errorf("deleting the stale report branch: %w", err))
			}
			a.log.Info(fmt.Sprintf("deleted %s: the ledgers equal %s", r.branch, r.base))
		}
		if err := r.publishNoChange(ctx); err != nil {
			return err
		}
		fmt.Fprintf(a.env.Stdout, "no change in any ledger since %s\n", r.base)
		return r.exitFor(false, failures)
	}

	if err := r.step(ctx, "branch"); err != nil {
		return err
	}
	if newTip != branchTip {
		if err := repo.UpdateRef(ctx, "refs/heads/"+r.branch, newTip, branchTip, "cvetrail: report"); err != nil {
			return externalErr(fmt.Errorf("updating %s: %w", r.branch, err))
		}
		a.log.Info(fmt.Sprintf("%s at %s", r.branch, short(newTip)))
	} else {
		a.log.Info(fmt.Sprintf("%s already holds this report", r.branch))
	}

	if r.cfg.Forge != "none" {
		return r.publish(ctx, res, infos, newTip, baseTip, needsReview, failures)
	}

	// 6. Local mode: merge when nothing needs a human.
	if needsReview || r.o.noMerge {
		if err := r.printSummary(res, infos, needsReview); err != nil {
			return err
		}
		if needsReview {
			fmt.Fprintf(a.env.Stderr, "cvetrail: awaiting review on branch %s; acknowledge with 'cvetrail ack' or fix, then run again\n", r.branch)
		}
		return r.exitFor(needsReview, failures)
	}
	if err := r.step(ctx, "merge"); err != nil {
		return err
	}
	if err := r.merge(ctx, baseTip, newTip); err != nil {
		return err
	}
	if err := r.step(ctx, "cleanup"); err != nil {
		return err
	}
	// The merged branch goes, unless someone committed on it meanwhile.
	if err := repo.DeleteRef(ctx, "refs/heads/"+r.branch, newTip); errors.Is(err, gitrepo.ErrStale) {
		if tip, _ := r.tip(ctx, r.branch); tip != "" {
			a.log.Warn(fmt.Sprintf("kept %s: it has commits made during the merge; the next run takes them", r.branch))
		}
	} else if err != nil {
		return externalErr(fmt.Errorf("deleting the merged report branch: %w", err))
	}
	fmt.Fprintf(a.env.Stdout, "merged into %s: %s\n", r.base, summary)
	return r.exitFor(false, failures)
}

// commitRepo returns repo as it makes cvetrail's commits: with author
// (commit.author, "Name <email>") as their author, and as their committer
// too when git has no identity of its own, as on many CI machines. An
// empty author changes nothing.
func commitRepo(ctx context.Context, repo *gitrepo.Repo, author string) (*gitrepo.Repo, error) {
	if strings.TrimSpace(author) == "" {
		return repo, nil
	}
	name, email, ok := strings.Cut(strings.TrimSpace(author), "<")
	name, email = strings.TrimSpace(name), strings.TrimSpace(email)
	if !ok || name == "" || !strings.HasSuffix(email, ">") || len(email) < 3 || strings.ContainsAny(name, "<>\n") || strings.ContainsAny(email[:len(email)-1], "<> \n") {
		return nil, usageErr(fmt.Errorf("cvetrail.yaml: commit.author %q is not \"Name <email>\"", author))
	}
	email = strings.TrimSuffix(email, ">")
	c := *repo
	c.Env = append(slices.Clone(repo.Env), "GIT_AUTHOR_NAME="+name, "GIT_AUTHOR_EMAIL="+email)
	if _, err := repo.Git(ctx, "var", "GIT_COMMITTER_IDENT"); err != nil {
		c.Env = append(c.Env, "GIT_COMMITTER_NAME="+name, "GIT_COMMITTER_EMAIL="+email)
	}
	return &c, nil
}

// exitFor turns the outcome into the documented exit code.
func (r *dailyRun) exitFor(needsReview bool, failures []imageFailure) error {
	if len(failures) > 0 {
		var list []error
		for _, f := range failures {
			list = append(list, fmt.Errorf("scanning %s: %w", f.image, f.err))
		}
		return externalErr(errors.Join(list...), "the other images were committed (--keep-going)")
	}
	if needsReview {
		return silentExit(ExitReview)
	}
	return nil
}

func (r *dailyRun) tip(ctx context.Context, branch string) (string, error) {
	id, err := r.repo.RevParse(ctx, "refs/heads/"+branch)
	if errors.Is(err, gitrepo.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", externalErr(fmt.Errorf("reading branch %s: %w", branch, err))
	}
	return id, nil
}

func (r *dailyRun) checkClean(ctx context.Context) error {
	st, err := r.repo.Status(ctx)
	if err != nil {
		return externalErr(fmt.Errorf("reading the working tree status: %w", err))
	}
	var dirty []string
	for _, e := range st {
		if e.Untracked() && !strings.HasPrefix(e.Path, ledger.Dir+"/") && e.Path != ledger.ConfigFile {
			continue
		}
		dirty = append(dirty, e.Path)
	}
	if len(dirty) == 0 {
		return nil
	}
	if len(dirty) > 5 {
		dirty = append(dirty[:5], fmt.Sprintf("and %d more", len(dirty)-5))
	}
	return usageErr(fmt.Errorf("the working tree has uncommitted changes: %s", strings.Join(dirty, ", ")),
		"commit or stash them, or pass --allow-dirty (they are then left alone)")
}

// collect scans the configured images or ingests --from-dir.
func (r *dailyRun) collect(ctx context.Context) ([]*report.Report, []report.ScanInfo, []imageFailure, error) {
	if r.o.fromDir != "" {
		reps, err := ingestPath(r.a, r.o.fromDir, "", scanner.Options{Format: "auto", PkgType: r.o.pkgType})
		if err != nil {
			// An unparsable report is an external failure of the run.
			var ee *exitError
			if errors.As(err, &ee) {
				ee.code = ExitExternal
				ee.hint = "nothing was changed"
			}
			return nil, nil, nil, err
		}
		// A configured image whose ref is the report's artifact name is
		// kept under its configured name.
		for _, rep := range reps {
			for _, im := range r.cfg.Images {
				if im.Name != "" && (sameRef(rep.Image, im.Ref) || sameRef(rep.Scan.Artifact, im.Ref)) {
					rep.Image = im.Name
				}
			}
		}
		var infos []report.ScanInfo
		seen := map[string]bool{}
		for _, rep := range reps {
			k := rep.Scan.Scanner + " " + rep.Scan.ScannerVersion + " " + rep.Scan.DBVersion
			if rep.Scan.Scanner != "" && !seen[k] {
				seen[k] = true
				infos = append(infos, rep.Scan)
			}
		}
		return reps, infos, nil, nil
	}
	res, err := scanImages(ctx, r.a, r.cfg, r.cfg.Images, r.o.jobs, r.o.keepGoing)
	if err != nil {
		return nil, nil, nil, err
	}
	if len(res.reports) == 0 && len(res.failures) > 0 {
		return nil, nil, nil, r.exitFor(false, res.failures)
	}
	return res.reports, res.infos, res.failures, nil
}

// humanCommits reports whether the report branch carries commits that
// cvetrail did not write (decisions committed on the branch).
func (r *dailyRun) humanCommits(ctx context.Context, baseTip, branchTip string) (bool, error) {
	rng := branchTip
	if baseTip != "" {
		rng = baseTip + ".." + branchTip
	}
	commits, err := r.repo.Log(ctx, rng)
	if err != nil {
		return false, externalErr(fmt.Errorf("reading %s: %w", r.branch, err))
	}
	for _, c := range commits {
		if len(c.Trailers[trailerReport]) == 0 {
			return true, nil
		}
	}
	return false, nil
}

func (r *dailyRun) ledgersAt(ctx context.Context, rev string) (map[string]*report.Report, error) {
	if rev == "" {
		return map[string]*report.Report{}, nil
	}
	m, err := ledger.LoadRev(ctx, r.repo, rev)
	if err != nil {
		return nil, usageErr(fmt.Errorf("reading the ledgers at %s: %w", short(rev), err))
	}
	return m, nil
}

func (r *dailyRun) decisionsAt(ctx context.Context, rev string) (*triage.File, error) {
	if rev == "" {
		return &triage.File{Path: ledger.DecisionsFile}, nil
	}
	data, err := r.repo.ReadFile(ctx, rev, ledger.DecisionsFile)
	if errors.Is(err, os.ErrNotExist) {
		return &triage.File{Path: ledger.DecisionsFile}, nil
	}
	if err != nil {
		return nil, externalErr(fmt.Errorf("reading %s at %s: %w", ledger.DecisionsFile, short(rev), err))
	}
	f, err := triage.Load(ledger.DecisionsFile, data)
	if err != nil {
		return nil, usageErr(err)
	}
	return f, nil
}

// guard refuses sudden drops: an image with at least minFindings going to
// zero, or losing more than maxDrop of its findings.
func (r *dailyRun) guard(base map[string]*report.Report, fresh []*report.Report) error {
	minN := *r.cfg.Guard.MinFindings
	maxDrop := r.cfg.Guard.MaxDrop.Value
	var errs []error
	for _, rep := range fresh {
		old, ok := base[rep.Image]
		if !ok || len(old.Findings) == 0 || len(old.Findings) < minN {
			continue
		}
		now := map[report.Key]bool{}
		for i := range rep.Findings {
			now[rep.Findings[i].Key()] = true
		}
		lost := 0
		for i := range old.Findings {
			if !now[old.Findings[i].Key()] {
				lost++
			}
		}
		share := float64(lost) / float64(len(old.Findings))
		switch {
		case len(rep.Findings) == 0:
			errs = append(errs, fmt.Errorf("%s: %d findings dropped to none", rep.Image, len(old.Findings)))
		case share > maxDrop:
			errs = append(errs, fmt.Errorf("%s: %d of %d findings (%.0f%%) disappeared, more than guard.maxDrop %.0f%%", rep.Image, lost, len(old.Findings), share*100, maxDrop*100))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return externalErr(fmt.Errorf("guard: %w", errors.Join(errs...)),
		"a scanner whose vulnerability database failed to load reports nothing; nothing was changed. If the fixes are real, run again with --allow-drop")
}

// ledgerChanges returns the files to write so that the tree holds head,
// given that it holds parent: changed ledgers with their bytes, removed
// ones as nil.
func ledgerChanges(parent, head map[string]*report.Report) (map[string][]byte, error) {
	files := map[string][]byte{}
	for img, rep := range head {
		var buf bytes.Buffer
		if err := report.Encode(&buf, rep); err != nil {
			return nil, usageErr(fmt.Errorf("encoding the ledger of %s: %w", img, err))
		}
		if old, ok := parent[img]; ok {
			var ob bytes.Buffer
			if err := report.Encode(&ob, old); err == nil && bytes.Equal(ob.Bytes(), buf.Bytes()) {
				continue
			}
		}
		p, err := ledger.Path(img)
		if err != nil {
			return nil, usageErr(fmt.Errorf("image %q: %w", img, err))
		}
		files[p] = buf.Bytes()
	}
	for img := range parent {
		if _, ok := head[img]; !ok {
			p, err := ledger.Path(img)
			if err != nil {
				return nil, usageErr(fmt.Errorf("image %q: %w", img, err))
			}
			files[p] = nil
		}
	}
	return files, nil
}

// sameCommit reports whether two report commits say the same: the same
// tree, the same parents and the same review trailers. The report date is
// left out, so a report still awaiting review is not recommitted daily.
func (r *dailyRun) sameCommit(ctx context.Context, a, b string) (bool, error) {
	var ids [2][]string
	for i, c := range []string{a, b} {
		out, err := r.repo.Git(ctx, "show", "-s", "--format=%T %P%x00%(trailers:key="+trailerNeedsReview+",key="+trailerBaseline+",valueonly,separator=%x2C)", c)
		if err != nil {
			return false, externalErr(err)
		}
		ids[i] = strings.Fields(strings.ReplaceAll(string(out), "\x00", " \x00 "))
	}
	return slices.Equal(ids[0], ids[1]), nil
}

func policyOf(c *config.Config) diff.Policy {
	return diff.Policy{
		MinSeverity:       c.Policy.Severity(),
		OnlyFixable:       c.Policy.OnlyFixable,
		IgnoreWontFix:     c.Policy.IgnoreWontFix,
		BlockSeverityRise: c.Policy.BlockSeverityRise,
		CVSSThreshold:     c.Policy.CVSSThreshold,
	}
}

// summarize renders the counts of a result on one line.
func summarize(res diff.Result, needsReview, baseline bool) string {
	var parts []string
	for _, c := range diff.Classes() {
		if n := res.Summary[c]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, c))
		}
	}
	s := "no changes"
	if len(parts) > 0 {
		s = strings.Join(parts, ", ")
	}
	switch {
	case baseline:
		return s + "; baseline, merged without review"
	case needsReview:
		return s + "; needs review"
	}
	return s + "; nothing needs review"
}

func (r *dailyRun) commitMessage(res diff.Result, infos []report.ScanInfo, needsReview bool, summary string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "chore(cvetrail): vulnerability report %s\n\n", r.now.UTC().Format("2006-01-02"))
	b.WriteString(summary + "\n")
	n := 0
	for _, im := range res.Images {
		for _, c := range im.Changes {
			if !c.NeedsReview {
				continue
			}
			if n == 20 {
				b.WriteString("- …\n")
				break
			}
			n++
			fmt.Fprintf(&b, "- %s %s in %s (%s): %s\n", c.Class, c.Key.ID, c.Key.Pkg, im.Image, trailerValue(c.Why))
		}
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "%s: %s\n", trailerReport, r.now.UTC().Format("2006-01-02"))
	for _, in := range infos {
		fmt.Fprintf(&b, "%s: %s\n", trailerScanner, trailerValue(strings.TrimSpace(in.Scanner+" "+in.ScannerVersion)))
		if in.DBVersion != "" || in.DBUpdated != "" {
			db := in.DBVersion
			if in.DBUpdated != "" {
				db = strings.TrimSpace(db + " (updated " + in.DBUpdated + ")")
			}
			fmt.Fprintf(&b, "%s: %s\n", trailerDB, trailerValue(db))
		}
	}
	yes := "no"
	if needsReview {
		yes = "yes"
	}
	fmt.Fprintf(&b, "%s: %s\n", trailerNeedsReview, yes)
	if r.o.baseline {
		fmt.Fprintf(&b, "%s: yes\n", trailerBaseline)
	}
	return b.String()
}

func (r *dailyRun) meta(infos []report.ScanInfo) render.Meta {
	m := render.Meta{Base: r.base, Head: r.branch}
	for _, in := range infos {
		m.Scanners = append(m.Scanners, strings.TrimSpace(in.Scanner+" "+in.ScannerVersion))
		if in.DBVersion != "" || in.DBUpdated != "" {
			m.DBs = append(m.DBs, strings.TrimSpace(in.Scanner+" DB "+in.DBVersion+" "+in.DBUpdated))
		}
	}
	return m
}

func (r *dailyRun) printSummary(res diff.Result, infos []report.ScanInfo, needsReview bool) error {
	return render.Markdown(r.a.env.Stdout, res, r.meta(infos), 0)
}

// mergeJournal records a merge into a checked-out base branch, so that a
// run killed halfway is completed by the next one.
type mergeJournal struct {
	Base string `json:"base"`
	Old  string `json:"old"`
	New  string `json:"new"`
}

func (r *dailyRun) journalPath() string { return filepath.Join(r.gitDir, "cvetrail-merge.json") }

// merge brings newTip into the base branch: a fast-forward when the base
// did not move, otherwise a merge commit computed without touching the
// working tree. When the base is checked out, the files the merge changes
// are then written into the working tree and index; a journal under .git
// lets the next run finish this if the process dies in between.
func (r *dailyRun) merge(ctx context.Context, baseTip, newTip string) error {
	if r.baseWorktree != "" {
		return externalErr(fmt.Errorf("cannot merge %s into %s: %s is checked out in the worktree %s", r.branch, r.base, r.base, r.baseWorktree),
			"run cvetrail in that worktree, or merge the report branch by hand; it is kept")
	}
	target := newTip
	if baseTip != "" {
		ff, err := r.repo.IsAncestor(ctx, baseTip, newTip)
		if err != nil {
			return externalErr(err)
		}
		if !ff {
			out, err := r.repo.Git(ctx, "merge-tree", "--write-tree", "--name-only", "--no-messages", baseTip, newTip)
			var gerr *gitrepo.Error
			if errors.As(err, &gerr) && gerr.ExitCode() == 1 && ctx.Err() == nil {
				// The first line is the tree, then the conflicted files.
				var files []string
				for _, f := range strings.Split(strings.TrimSpace(string(out)), "\n")[1:] {
					if f != "" && !slices.Contains(files, f) {
						files = append(files, f)
					}
				}
				return externalErr(fmt.Errorf("cannot merge %s into %s: they conflict in %s", r.branch, r.base, strings.Join(files, ", ")),
					fmt.Sprintf("merge it by hand (git merge %s) and run again; the report branch is kept", r.branch))
			}
			if err != nil {
				return externalErr(fmt.Errorf("merging %s into %s: %w", r.branch, r.base, err))
			}
			tree := strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
			msg := fmt.Sprintf("Merge branch '%s' into %s\n\n%s: %s\n", r.branch, r.base, trailerReport, r.now.UTC().Format("2006-01-02"))
			id, err := r.committer.Git(ctx, "commit-tree", tree, "-p", baseTip, "-p", newTip, "-m", msg)
			if err != nil {
				return externalErr(fmt.Errorf("creating the merge commit: %w", err))
			}
			target = strings.TrimSpace(string(id))
		}
	}
	current, _ := r.repo.CurrentBranch(ctx)
	checkedOut := current == r.base
	from := baseTip // what the working tree holds
	if checkedOut && from == "" {
		// An unborn base: the working tree holds nothing of git's yet.
		out, err := r.repo.Git(ctx, "mktree")
		if err != nil {
			return externalErr(fmt.Errorf("writing the empty tree: %w", err))
		}
		from = strings.TrimSpace(string(out))
	}
	if checkedOut {
		if err := r.checkMergePathsClean(ctx, from, target); err != nil {
			return err
		}
		j, _ := json.Marshal(mergeJournal{Base: r.base, Old: from, New: target})
		if err := ledger.AtomicWriteFile(ctx, r.journalPath(), j, 0o644); err != nil {
			return externalErr(fmt.Errorf("writing the merge journal: %w", err))
		}
	}
	if err := r.repo.UpdateRef(ctx, "refs/heads/"+r.base, target, baseTip, "cvetrail: merge report"); err != nil {
		return externalErr(fmt.Errorf("moving %s: %w", r.base, err))
	}
	if checkedOut {
		if err := r.step(ctx, "worktree"); err != nil {
			return err
		}
		if err := r.syncWorktree(ctx, from, target); err != nil {
			return err
		}
		if err := os.Remove(r.journalPath()); err != nil {
			return externalErr(fmt.Errorf("removing the merge journal: %w", err))
		}
	}
	return nil
}

// changedPaths returns the paths that differ between the commits (or trees)
// from and to, and which of them to has not.
func (r *dailyRun) changedPaths(ctx context.Context, from, to string) (paths []string, deleted map[string]bool, err error) {
	out, err := r.repo.Git(ctx, "diff-tree", "-r", "--name-status", "-z", "--no-renames", from, to)
	if err != nil {
		return nil, nil, externalErr(err)
	}
	deleted = map[string]bool{}
	fields := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	for i := 0; i+1 < len(fields); i += 2 {
		paths = append(paths, fields[i+1])
		if fields[i] == "D" {
			deleted[fields[i+1]] = true
		}
	}
	return paths, deleted, nil
}

// checkMergePathsClean refuses to merge over uncommitted changes of the
// user (possible with --allow-dirty).
func (r *dailyRun) checkMergePathsClean(ctx context.Context, from, to string) error {
	// The index is updated last: with another git command holding it,
	// the merge would stop halfway.
	if _, err := os.Stat(filepath.Join(r.gitDir, "index.lock")); err == nil {
		return externalErr(fmt.Errorf("cannot merge %s into %s: git's index is locked (%s)", r.branch, r.base, filepath.Join(r.gitDir, "index.lock")),
			"another git command is running here, or one crashed: then remove the file; the report branch is kept")
	}
	paths, _, err := r.changedPaths(ctx, from, to)
	if err != nil {
		return err
	}
	st, err := r.repo.Status(ctx)
	if err != nil {
		return externalErr(err)
	}
	for _, e := range st {
		if slices.Contains(paths, e.Path) {
			return externalErr(fmt.Errorf("cannot merge %s into %s: %s has uncommitted changes", r.branch, r.base, e.Path),
				"commit or stash your change and run again; the report branch is kept")
		}
	}
	return nil
}

// syncWorktree writes the files that differ between from and to into the
// working tree and the index, as they are at to.
func (r *dailyRun) syncWorktree(ctx context.Context, from, to string) error {
	paths, deleted, err := r.changedPaths(ctx, from, to)
	if err != nil {
		return err
	}
	var present []string // the changed paths that exist at to
	for _, p := range paths {
		if !deleted[p] {
			present = append(present, p)
		}
	}
	// A sync that was killed may have left temporary files next to the
	// files it wrote.
	dirs := map[string]bool{}
	for _, p := range paths {
		dir := filepath.Join(r.repo.Dir, filepath.FromSlash(path.Dir(p)))
		if !dirs[dir] {
			dirs[dir] = true
			if _, err := ledger.CleanTempFiles(ctx, dir); err != nil {
				return externalErr(err)
			}
		}
	}
	for _, p := range paths {
		if deleted[p] {
			full := filepath.Join(r.repo.Dir, filepath.FromSlash(p))
			if err := os.Remove(full); err != nil && !errors.Is(err, os.ErrNotExist) {
				return externalErr(fmt.Errorf("removing %s: %w", p, err))
			}
		}
	}
	// The files are read from git with one process for all of them.
	if len(present) == 0 {
		return r.resetIndex(ctx, to, paths)
	}
	err = r.repo.StreamFiles(ctx, to, present, func(p string, rd io.Reader) error {
		data, err := io.ReadAll(rd)
		if err != nil {
			return err
		}
		full := filepath.Join(r.repo.Dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := ledger.AtomicWriteFile(ctx, full, data, 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", p, err)
		}
		return nil
	})
	if err != nil {
		return externalErr(err)
	}
	return r.resetIndex(ctx, to, paths)
}

// resetIndex sets the index entries of paths to what they are at to.
func (r *dailyRun) resetIndex(ctx context.Context, to string, paths []string) error {
	if len(paths) > 0 {
		args := append([]string{"reset", "-q", to, "--"}, paths...)
		if _, err := r.repo.Git(ctx, args...); err != nil {
			return externalErr(fmt.Errorf("updating the index: %w", err))
		}
	}
	return nil
}

// recoverMerge completes a merge into the checked-out base that a killed
// run left halfway.
func (r *dailyRun) recoverMerge(ctx context.Context) error {
	data, err := os.ReadFile(r.journalPath())
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return externalErr(err)
	}
	var j mergeJournal
	if err := json.Unmarshal(data, &j); err != nil || j.Base == "" || j.Old == "" || j.New == "" {
		r.a.log.Warn("removing an unreadable merge journal", "file", r.journalPath())
		return os.Remove(r.journalPath())
	}
	tip, err := r.tip(ctx, j.Base)
	if err != nil {
		return err
	}
	current, _ := r.repo.CurrentBranch(ctx)
	switch {
	case tip != j.New:
		// Killed before the base moved: the working tree was not touched.
	case current != j.Base:
		r.a.log.Warn(fmt.Sprintf("an earlier run merged into %s and was stopped before it updated the working tree; %s is no longer checked out here, so the working tree is left as it is", j.Base, j.Base))
	default:
		r.a.log.Info(fmt.Sprintf("completing the merge into %s that an earlier run left halfway", j.Base))
		if err := r.syncWorktree(ctx, j.Old, j.New); err != nil {
			return err
		}
	}
	return os.Remove(r.journalPath())
}

// publishNoChange closes the pull request of a forge when the report
// equals the base again.
func (r *dailyRun) publishNoChange(ctx context.Context) error {
	if r.cfg.Forge == "none" {
		return nil
	}
	return r.closeRequest(ctx)
}

// sameRef reports whether a scanner's artifact name is the configured
// reference: scanners drop the transport prefix of tarballs
// ("docker-archive:/x/app.tar" is reported as "/x/app.tar").
func sameRef(artifact, ref string) bool {
	if artifact == "" {
		return false
	}
	strip := func(s string) string {
		for _, p := range []string{"docker-archive:", "oci-archive:", "oci:", "docker:", "registry:"} {
			s = strings.TrimPrefix(s, p)
		}
		return s
	}
	return artifact == ref || strip(artifact) == strip(ref)
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
