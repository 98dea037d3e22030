package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

func init() { commands = append(commands, newRunCmd) }

// runOpts are the options of `cvetrail run`.
type runOpts struct {
	fromDir    string
	jobs       int
	allowDrop  bool
	keepGoing  bool
	allowDirty bool
	baseline   bool
	noMerge    bool
	dryRun     bool
	pkgType    string
	config     string // --config, else CVETRAIL_CONFIG, else cvetrail.yaml
	merge      string // --merge, else CVETRAIL_MERGE, else merge.mode
}

func newRunCmd(a *app) *cobra.Command {
	o := &runOpts{}
	cmd := &cobra.Command{
		Use:   "run",
		Short: "The daily job: scan, commit on the report branch, merge when nothing needs review",
		Long: `Run does the whole daily cycle for the images in cvetrail.yaml:

  1. scan every image (or ingest --from-dir DIR, reports produced elsewhere);
  2. guard: a failed scanner, an unparsable report, or a sudden drop of
     findings aborts the run and changes nothing;
  3. classify every change against the ledgers on the base branch;
  4. commit the ledgers on the report branch (rebuilt from the base tip,
     keeping any decisions people committed on it);
  5. with forge: none, merge the report branch into the base branch when
     nothing needs a human, otherwise leave it for review and print the
     summary; with forge: github or gitlab, push the branch and keep one
     pull request up to date, labelled while something needs a human.

--config FILE (env CVETRAIL_CONFIG) reads another configuration file than
cvetrail.yaml at the repository root; --merge MODE (env CVETRAIL_MERGE)
overrides merge.mode (api, auto or none).

A second run with the same input changes nothing. The working tree and
uncommitted changes are never touched (a dirty tree is refused unless
--allow-dirty), and cvetrail/decisions.yaml is never edited.

--baseline records the current state as accepted history: the commit is
merged without review, and its findings stay undecided (see 'cvetrail
status') but are not new any more. Use it once when adopting cvetrail on
images with known findings.

Exit codes:
  0  nothing needed review: merged, or nothing changed
  1  awaiting review: the report branch (or pull request) is left open
  2  usage or input error (configuration, decisions file)
  3  external failure (scanner, git, forge), or a guard stopped the run;
     nothing was changed
  130 interrupted`,
		Example: `  cvetrail run
  cvetrail run --from-dir reports/     # results of a CI matrix, one commit
  cvetrail run --baseline              # adopt cvetrail on existing images`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRun(cmd.Context(), a, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.fromDir, "from-dir", "", "ingest the reports in `DIR` instead of scanning")
	f.StringVar(&o.pkgType, "pkg-type", "", "package-URL `TYPE` for reports that do not tell it")
	f.IntVar(&o.jobs, "jobs", 0, "scan at most `N` images at once (default: the number of CPUs)")
	f.BoolVar(&o.allowDrop, "allow-drop", false, "accept a sudden drop of findings")
	f.BoolVar(&o.keepGoing, "keep-going", false, "commit the images that scanned even when others failed (exit 3)")
	f.BoolVar(&o.allowDirty, "allow-dirty", false, "run on a dirty working tree (its changes are left alone)")
	f.BoolVar(&o.baseline, "baseline", false, "record the current findings as the baseline, merged without review")
	f.BoolVar(&o.noMerge, "no-merge", false, "never merge; leave the report branch (or pull request) open")
	f.BoolVar(&o.dryRun, "dry-run", false, "scan and classify, print the summary, change nothing")
	f.StringVar(&o.config, "config", "", "read the configuration from `FILE` (env CVETRAIL_CONFIG; default cvetrail.yaml)")
	f.StringVar(&o.merge, "merge", "", "merge `MODE` on the forge: api, auto or none (env CVETRAIL_MERGE; default merge.mode)")
	return cmd
}

// stepDelay slows the run between its steps when CVETRAIL_TEST_STEP_DELAY
// is set; the crash tests use it to land kills between every pair of steps.
func (a *app) stepDelay(ctx context.Context, step string) error {
	d, err := time.ParseDuration(a.env.Getenv("CVETRAIL_TEST_STEP_DELAY"))
	if err != nil || d <= 0 {
		return nil
	}
	a.log.Debug("step", "name", step)
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func runRun(ctx context.Context, a *app, o *runOpts) error {
	r, err := newDailyRun(ctx, a, o)
	if err != nil {
		return err
	}
	defer r.close()
	return r.do(ctx)
}

// trailerValue renders a value for a commit trailer on one line.
func trailerValue(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func fmtCount(n int, what string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", what)
	}
	return fmt.Sprintf("%d %ss", n, what)
}
