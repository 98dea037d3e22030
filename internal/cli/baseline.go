package cli

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cvetrail/cvetrail/internal/gitrepo"
	"github.com/cvetrail/cvetrail/internal/ledger"
	"github.com/cvetrail/cvetrail/internal/report"
)

func init() { commands = append(commands, newBaselineCmd) }

func newBaselineCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "baseline",
		Short: "Commit the ingested ledgers as the baseline: known, undecided, not new",
		Long: `Baseline commits the ledgers already ingested into the working tree (with
'cvetrail scan') as one commit on the current branch, marked as a baseline.
Adopting cvetrail on an image with 300 known findings then does not mean 300
acknowledgements: the findings stay undecided (listed by 'cvetrail status')
but are no longer new; everything after the baseline is classified normally.
'cvetrail run --baseline' does the same from a scan.` + exitCodesHelp,
		Example: `  cvetrail scan --from today.json --image registry.example/app
  cvetrail baseline`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runBaseline(cmd.Context(), a) },
	}
	return cmd
}

func runBaseline(ctx context.Context, a *app) error {
	now, err := a.now()
	if err != nil {
		return err
	}
	repo, err := openRepo(ctx, a)
	if err != nil {
		return err
	}
	all, err := ledger.Store{Root: repo.Dir}.Load(ctx)
	if err != nil {
		return usageErr(err)
	}
	if len(all) == 0 {
		return usageErr(errors.New("no ledgers to record"), "ingest reports first with 'cvetrail scan'")
	}
	n := 0
	for _, r := range all {
		n += len(r.Findings)
	}
	// The ledgers in the working tree and those committed (a ledger
	// removed since is recorded as removed), named one by one: git runs
	// with literal pathspecs, and nothing else may go into the commit.
	paths, err := ledgerPaths(ctx, repo, all)
	if err != nil {
		return err
	}
	if _, err := repo.Git(ctx, append([]string{"add", "--all", "--"}, paths...)...); err != nil {
		return externalErr(fmt.Errorf("staging the ledgers: %w", err))
	}
	out, err := repo.Git(ctx, append([]string{"diff", "--cached", "--name-only", "--"}, paths...)...)
	if err != nil {
		return externalErr(err)
	}
	if strings.TrimSpace(string(out)) == "" {
		fmt.Fprintln(a.env.Stdout, "the ledgers are already committed; nothing to record")
		return nil
	}
	msg := fmt.Sprintf("chore(cvetrail): baseline %s\n\n%d findings in %s recorded as known and undecided.\n\n%s: %s\n%s: yes\n%s: no\n",
		now.UTC().Format("2006-01-02"), n, fmtCount(len(all), "image"),
		trailerReport, now.UTC().Format("2006-01-02"), trailerBaseline, trailerNeedsReview)
	if _, err := repo.Git(ctx, append([]string{"commit", "-q", "-m", msg, "--"}, paths...)...); err != nil {
		return externalErr(fmt.Errorf("committing the baseline: %w", err))
	}
	fmt.Fprintf(a.env.Stdout, "baseline: %d findings in %s committed\n", n, fmtCount(len(all), "image"))
	return nil
}

// ledgerPaths lists the ledgers of all and those git tracks in cvetrail/,
// sorted.
func ledgerPaths(ctx context.Context, repo *gitrepo.Repo, all map[string]*report.Report) ([]string, error) {
	set := map[string]bool{}
	for img := range all {
		p, err := ledger.Path(img)
		if err != nil {
			return nil, usageErr(fmt.Errorf("image %q: %w", img, err))
		}
		set[p] = true
	}
	out, err := repo.Git(ctx, "ls-files", "-z", "--", ledger.Dir)
	if err != nil {
		return nil, externalErr(fmt.Errorf("listing the committed ledgers: %w", err))
	}
	for _, f := range strings.Split(string(out), "\x00") {
		if path.Dir(f) == ledger.Dir && strings.HasSuffix(f, ledger.Ext) && f != ledger.DecisionsFile {
			set[f] = true
		}
	}
	return slices.Sorted(maps.Keys(set)), nil
}
