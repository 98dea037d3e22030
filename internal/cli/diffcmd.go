package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/cvetrail/cvetrail/internal/diff"
	"github.com/cvetrail/cvetrail/internal/ledger"
	"github.com/cvetrail/cvetrail/internal/render"
	"github.com/cvetrail/cvetrail/internal/report"
	"github.com/cvetrail/cvetrail/internal/scanner"
	"github.com/cvetrail/cvetrail/internal/triage"
)

func init() { commands = append(commands, newDiffCmd, newCheckCmd) }

type diffOpts struct {
	base      string
	format    string
	decisions string
	pkgType   string
	files     []string
}

func newDiffCmd(a *app) *cobra.Command {
	o := &diffOpts{}
	cmd := &cobra.Command{
		Use:   "diff [OLD NEW]",
		Short: "Classify what changed in the ledgers, or between two reports",
		Long: `Diff compares the ledgers in the working tree with the ledgers at a git
revision (--base, default HEAD), across every image, and prints every change
classified: new, new-acknowledged, escalated, expired, severity-changed,
fix-available, updated, resolved, stale-decision. Unchanged findings are not
listed.

With two files, diff compares them directly, no git needed: each may be a
Trivy or Grype report or a cvetrail ledger ("what changed between these two
images?").

--format table (the default), markdown (the pull request body) or json (the
stable contract documented in the README).` + exitCodesHelp,
		Example: `  cvetrail diff
  cvetrail diff --base origin/main --format json
  cvetrail diff yesterday.json today.json`,
		Args: cobra.MaximumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				return usageErr(errors.New("diff takes no file or two (OLD NEW)"))
			}
			o.files = args
			res, err := computeDiff(cmd.Context(), a, o)
			if err != nil {
				return err
			}
			return writeDiff(a.env.Stdout, res, o.format, diffMeta(o))
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.base, "base", "HEAD", "compare with the ledgers at git revision `REV`")
	f.StringVar(&o.format, "format", "table", "output format: table, markdown or json")
	f.StringVar(&o.decisions, "decisions", "", "decisions `FILE` (default cvetrail/decisions.yaml of the repository)")
	f.StringVar(&o.pkgType, "pkg-type", "", "package-URL `TYPE` for reports that do not tell it")
	return cmd
}

func writeDiff(w io.Writer, res diff.Result, format string, meta render.Meta) error {
	switch format {
	case "table":
		return render.Table(w, res, false)
	case "markdown":
		return render.Markdown(w, res, meta, 0)
	case "json":
		return render.JSON(w, res)
	}
	return usageErr(fmt.Errorf("--format %q: want table, markdown or json", format))
}

// diffMeta names what diff compared, for the markdown footer: the two
// files, or the base revision and the working tree.
func diffMeta(o *diffOpts) render.Meta {
	if len(o.files) == 2 {
		return render.Meta{Base: o.files[0], Head: o.files[1]}
	}
	return render.Meta{Base: o.base, Head: "working tree"}
}

// computeDiff classifies the changes the options ask for.
func computeDiff(ctx context.Context, a *app, o *diffOpts) (diff.Result, error) {
	if o.format != "table" && o.format != "markdown" && o.format != "json" {
		return diff.Result{}, usageErr(fmt.Errorf("--format %q: want table, markdown or json", o.format))
	}
	now, err := a.now()
	if err != nil {
		return diff.Result{}, err
	}
	root, err := repoRoot(ctx, a)
	if err != nil {
		return diff.Result{}, err
	}
	cfg, err := loadConfig(root, false)
	if err != nil {
		return diff.Result{}, err
	}
	var dec *triage.File
	if o.decisions != "" {
		if dec, err = loadDecisionsFile(a.abs(o.decisions), o.decisions); err != nil {
			return diff.Result{}, err
		}
	} else if dec, err = loadDecisions(root); err != nil {
		return diff.Result{}, err
	}

	var base, head map[string]*report.Report
	if len(o.files) == 2 {
		if res, ok, err := diffLedgerFiles(ctx, a.abs(o.files[0]), a.abs(o.files[1]), o.files[1], dec, policyOf(cfg), now); ok {
			return withoutStale(res), err
		}
		oldR, err := loadEither(a.abs(o.files[0]), o.pkgType)
		if err != nil {
			return diff.Result{}, err
		}
		newR, err := loadEither(a.abs(o.files[1]), o.pkgType)
		if err != nil {
			return diff.Result{}, err
		}
		// Two reports of possibly different images are compared as one.
		name := newR.Image
		if name == "" {
			name = oldR.Image
		}
		if name == "" {
			name = o.files[1]
		}
		oldR.Image, newR.Image = name, name
		base = map[string]*report.Report{name: oldR}
		head = map[string]*report.Report{name: newR}
	} else {
		repo, err := openRepo(ctx, a)
		if err != nil {
			return diff.Result{}, err
		}
		rev, err := repo.RevParse(ctx, o.base+"^{commit}")
		if err != nil {
			hint := "give a revision that exists, such as a branch or HEAD~1"
			if _, herr := repo.RevParse(ctx, "HEAD"); herr != nil {
				hint = "the repository has no commit yet: commit the ledgers first, or compare two files with 'cvetrail diff OLD NEW'"
			}
			return diff.Result{}, usageErr(fmt.Errorf("--base %s: %w", o.base, err), hint)
		}
		if base, err = ledger.LoadRev(ctx, repo, rev); err != nil {
			return diff.Result{}, usageErr(fmt.Errorf("reading the ledgers at %s: %w", o.base, err))
		}
		if head, err = (ledger.Store{Root: root}).Load(ctx); err != nil {
			return diff.Result{}, usageErr(err)
		}
	}
	res, err := diff.Compare(base, head, dec, policyOf(cfg), now)
	if err != nil {
		return diff.Result{}, usageErr(fmt.Errorf("classifying changes: %w", err))
	}
	if len(o.files) == 2 {
		res = withoutStale(res)
	}
	return res, nil
}

// withoutStale drops the stale decisions from a comparison of two files:
// decisions about the repository's other images are not stale because two
// files do not hold them.
func withoutStale(res diff.Result) diff.Result {
	res.Stale = nil
	if res.Summary != nil {
		res.Summary[diff.StaleDecision] = 0
	}
	return res
}

// diffLedgerFiles compares two ledger files as streams, so that ledgers of
// millions of findings are never held in memory, and decodes only the
// lines that differ or that a decision names (see pairedLedgers). ok is
// false, and nothing is read, unless both files are ledgers.
func diffLedgerFiles(ctx context.Context, oldPath, newPath, newName string, dec *triage.File, p diff.Policy, now time.Time) (res diff.Result, ok bool, err error) {
	var srcs [2]*ledgerFileSource
	for i, path := range []string{oldPath, newPath} {
		f, err := os.Open(path)
		if err != nil {
			return diff.Result{}, false, nil // loadEither says what is wrong
		}
		defer f.Close()
		br := bufio.NewReaderSize(f, 1<<20)
		if !isLedger(br) {
			return diff.Result{}, false, nil
		}
		d, err := report.NewDecoder(br)
		if err != nil {
			return diff.Result{}, true, usageErr(fmt.Errorf("%s: %w", path, err))
		}
		srcs[i] = &ledgerFileSource{d: d, path: path, h: d.Header()}
	}
	// Two ledgers of possibly different images are compared as one.
	name := srcs[1].h.Image
	if name == "" {
		name = newName
	}
	srcs[0].h.Image, srcs[1].h.Image = name, name
	ctx, cancel := context.WithCancel(ctx)
	pair := newPairedLedgers(ctx, srcs[0], srcs[1], dec)
	c := diff.NewComparer(dec, p, now)
	_, err = c.Add(name, pair.side(0), pair.side(1))
	cancel()
	pair.wait()
	if err != nil {
		for _, s := range srcs {
			if s.err != nil {
				return diff.Result{}, true, usageErr(s.err)
			}
		}
		return diff.Result{}, true, usageErr(fmt.Errorf("classifying changes: %w", err))
	}
	return c.Result(), true, nil
}

// ledgerFileSource streams a ledger file into the comparison under the
// header h, and keeps a decoding error, naming the file, to report it as
// loadEither would.
type ledgerFileSource struct {
	d    *report.Decoder
	path string
	h    report.Header
	err  error
}

// fail records a decoding error of the file, naming it.
func (s *ledgerFileSource) fail(err error) error {
	s.err = fmt.Errorf("%s: %w", s.path, err)
	return s.err
}

// isLedger reports whether br starts with a ledger header line.
func isLedger(br *bufio.Reader) bool {
	first, _ := br.Peek(64)
	return bytes.HasPrefix(bytes.TrimLeft(first, " \t\r\n"), []byte(`{"schemaVersion"`))
}

// loadEither reads a cvetrail ledger or a scanner report.
func loadEither(path, pkgType string) (*report.Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, usageErr(fmt.Errorf("%s: %w", path, errors.Unwrap(err)))
	}
	defer f.Close()
	br := bufio.NewReader(f)
	if isLedger(br) {
		r, err := report.Decode(br)
		if err != nil {
			return nil, usageErr(fmt.Errorf("%s: %w", path, err))
		}
		return r, nil
	}
	r, err := scanner.ParseFile(path, scanner.Options{Format: "auto", PkgType: pkgType})
	if err != nil {
		return nil, usageErr(err)
	}
	return r, nil
}

func loadDecisionsFile(path, name string) (*triage.File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, usageErr(fmt.Errorf("%s: %w", name, errors.Unwrap(err)))
	}
	f, err := triage.Load(name, data)
	if err != nil {
		return nil, usageErr(err)
	}
	return f, nil
}

type checkOpts struct {
	diffOpts
}

func newCheckCmd(a *app) *cobra.Command {
	o := &checkOpts{}
	cmd := &cobra.Command{
		Use:   "check [OLD NEW]",
		Short: "The review gate: exit 1 when something needs a human",
		Long: `Check classifies the changes like 'cvetrail diff' and says whether a human
must look: a new finding no decision covers, a decided finding whose
severity rose above the severity it was decided at, or an expired decision.
It prints one line per such finding, saying why.

Exit codes:
  0  nothing needs a human
  1  something needs a human
  2  usage or input error
  3  external failure (git)
  130 interrupted`,
		Example: `  cvetrail check --base origin/main || echo "needs review"`,
		Args:    cobra.MaximumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				return usageErr(errors.New("check takes no file or two (OLD NEW)"))
			}
			o.files = args
			o.format = "table"
			res, err := computeDiff(cmd.Context(), a, &o.diffOpts)
			if err != nil {
				return err
			}
			n := 0
			for _, im := range res.Images {
				for _, c := range im.Changes {
					if c.NeedsReview {
						n++
						fmt.Fprintf(a.env.Stdout, "%s: %s %s in %s/%s: %s\n", im.Image, c.Class, c.Key.ID, c.Key.Type, c.Key.Pkg, cell(c.Why, 200))
					}
				}
			}
			if n == 0 {
				fmt.Fprintln(a.env.Stdout, "nothing needs review")
				return nil
			}
			verb := "need"
			if n == 1 {
				verb = "needs"
			}
			fmt.Fprintf(a.env.Stdout, "%s %s review\n", fmtCount(n, "finding"), verb)
			return silentExit(ExitReview)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.base, "base", "HEAD", "compare with the ledgers at git revision `REV`")
	f.StringVar(&o.decisions, "decisions", "", "decisions `FILE` (default cvetrail/decisions.yaml of the repository)")
	f.StringVar(&o.pkgType, "pkg-type", "", "package-URL `TYPE` for reports that do not tell it")
	return cmd
}
