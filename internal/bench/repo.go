package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cvetrail/cvetrail/internal/ledger"
	"github.com/cvetrail/cvetrail/internal/report"
)

// RepoOptions describe a generated cvetrail repository: a git repository
// whose history holds one ledger commit per day for a set of images.
type RepoOptions struct {
	Images   int // number of images
	Days     int // number of daily commits
	Findings int // findings per image on the first day
	// Churn is the share of an image's findings that is resolved, and
	// again the share that is new, each day; as much again changes in
	// detail. Zero means 0.01.
	Churn float64
	Seed  uint64
	// Start is the date of the first commit; zero means 2026-01-01.
	Start time.Time
}

// RepoStats describe what WriteRepo wrote.
type RepoStats struct {
	Commits  int
	Findings int // findings in the ledgers of the last commit
	Head     string
}

// WriteRepo creates a git repository in dir (absent or empty) with a
// cvetrail.yaml listing the images (forge: none) and o.Days commits on
// main, each the ledgers of one day: findings resolved, new and changed at
// the churn rate. Author, committer and dates are fixed, so the same
// options give the same commit ids. The git binary must be on PATH.
func WriteRepo(ctx context.Context, dir string, o RepoOptions) (RepoStats, error) {
	st, err := writeRepo(ctx, dir, o)
	if err != nil {
		return RepoStats{}, fmt.Errorf("generating repository %s: %w", dir, err)
	}
	return st, nil
}

func writeRepo(ctx context.Context, dir string, o RepoOptions) (RepoStats, error) {
	if o.Images < 1 || o.Days < 1 || o.Findings < 0 {
		return RepoStats{}, errors.New("want at least one image and one day, and no negative count")
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return RepoStats{}, errors.New("the directory is not empty")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return RepoStats{}, err
	}
	churn := o.Churn
	if churn == 0 {
		churn = 0.01
	}
	start := o.Start
	if start.IsZero() {
		start = time.Date(2026, 1, 1, 6, 0, 0, 0, time.UTC)
	}
	git := func(date time.Time, args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, "git", args...)
		cmd.Dir = dir
		d := date.Format(time.RFC3339)
		cmd.Env = []string{
			"PATH=" + os.Getenv("PATH"),
			"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=" + os.DevNull,
			"GIT_AUTHOR_NAME=cvetrail", "GIT_AUTHOR_EMAIL=cvetrail@example.com", "GIT_AUTHOR_DATE=" + d,
			"GIT_COMMITTER_NAME=cvetrail", "GIT_COMMITTER_EMAIL=cvetrail@example.com", "GIT_COMMITTER_DATE=" + d,
		}
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("git %s: %w: %s", args[0], err, strings.TrimSpace(errb.String()))
		}
		return strings.TrimSpace(out.String()), nil
	}
	if _, err := git(start, "init", "-q", "-b", "main"); err != nil {
		return RepoStats{}, err
	}
	var cfg strings.Builder
	cfg.WriteString("schemaVersion: 1\nforge: none\nimages:\n")
	for i := range o.Images {
		cfg.WriteString("  - ref: " + ReportImage(i) + "\n")
	}
	if err := os.WriteFile(filepath.Join(dir, ledger.ConfigFile), []byte(cfg.String()), 0o644); err != nil {
		return RepoStats{}, err
	}

	r := newRNG(o.Seed, 5)
	reps := make([]*report.Report, o.Images)
	for i := range reps {
		ks := newKeyStream(newRNG(o.Seed+uint64(i)<<32, 6), o.Findings)
		rep := &report.Report{Header: report.Header{SchemaVersion: report.SchemaVersion, Image: ReportImage(i), OS: &report.OS{Family: "debian", Version: "12.8"}}}
		for ks.more() {
			rep.Findings = append(rep.Findings, ks.next(r))
		}
		reps[i] = rep
	}
	newNo := 0
	var st RepoStats
	for day := range o.Days {
		if err := ctx.Err(); err != nil {
			return RepoStats{}, err
		}
		date := start.AddDate(0, 0, day)
		if day > 0 {
			for _, rep := range reps {
				evolve(r, rep, churn, date, &newNo)
			}
		}
		if _, err := (ledger.Store{Root: dir}).WriteAll(ctx, reps); err != nil {
			return RepoStats{}, err
		}
		if _, err := git(date, "add", "--", ledger.ConfigFile, ledger.Dir); err != nil {
			return RepoStats{}, err
		}
		msg := "chore(cvetrail): vulnerability report " + date.Format("2006-01-02")
		if _, err := git(date, "commit", "-q", "--allow-empty", "-m", msg); err != nil {
			return RepoStats{}, err
		}
		st.Commits++
	}
	for _, rep := range reps {
		st.Findings += len(rep.Findings)
	}
	head, err := git(start, "rev-parse", "HEAD")
	if err != nil {
		return RepoStats{}, err
	}
	st.Head = head
	return st, nil
}

// evolve moves an image's findings on by one day.
func evolve(r *rng, rep *report.Report, churn float64, date time.Time, newNo *int) {
	fs := rep.Findings[:0]
	for _, f := range rep.Findings {
		switch {
		case r.chance(churn):
			continue // resolved
		case r.chance(churn):
			f.Versions = slices.Clone(f.Versions)
			f.Versions[len(f.Versions)-1] = bumpPatch(f.Versions[len(f.Versions)-1])
		}
		fs = append(fs, f)
	}
	n := int(float64(len(rep.Findings))*churn + 0.5)
	year := strconv.Itoa(date.Year())
	for range n {
		*newNo++
		id := "CVE-" + year + "-" + strconv.Itoa(100000+*newNo)
		pool := ledgerPkgs[r.intn(len(ledgerPkgs))]
		f := ledgerFinding(r, id, pick(r, pool))
		f.Published = date.Format("2006-01-02")
		fs = append(fs, f)
	}
	slices.SortFunc(fs, func(a, b report.Finding) int { return a.Key().Compare(b.Key()) })
	rep.Findings = fs
}
