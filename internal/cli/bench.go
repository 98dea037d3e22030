package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/cvetrail/cvetrail/internal/bench"
)

func init() { commands = append(commands, newBenchCmd) }

func newBenchCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:    "bench",
		Short:  "Generate large inputs for benchmarks (see bench/compare.sh)",
		Hidden: true,
		Args:   cobra.NoArgs,
	}
	gen := &cobra.Command{
		Use:   "gen",
		Short: "Generate deterministic benchmark inputs from a seed",
		Long: `Gen writes large, realistic inputs for measuring cvetrail: the same seed
always gives the same bytes. It prints what it wrote as key=value pairs.` + exitCodesHelp,
		Args: cobra.NoArgs,
	}
	gen.AddCommand(newBenchTrivyCmd(a), newBenchLedgersCmd(a), newBenchReportsCmd(a), newBenchRepoCmd(a))
	cmd.AddCommand(gen)
	return cmd
}

func newBenchTrivyCmd(a *app) *cobra.Command {
	var size, out, image string
	var seed uint64
	cmd := &cobra.Command{
		Use:   "trivy",
		Short: "Write a Trivy SchemaVersion 2 report of a given size",
		Long: `Trivy writes a Trivy SchemaVersion 2 JSON report of about --size bytes (KB,
MB, GB are powers of 1000; KiB, MiB, GiB of 1024): an OS result and
language results with realistic descriptions, references, CVSS and
VendorSeverity maps and layers.` + exitCodesHelp,
		Example: `  cvetrail bench gen trivy --size 100MB --seed 1 -o /tmp/report.json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := bench.ParseSize(size)
			if err != nil {
				return usageErr(fmt.Errorf("--size: %w", err))
			}
			if out == "" {
				return usageErr(errors.New("-o FILE is required"))
			}
			st, err := bench.WriteTrivyFile(cmd.Context(), a.abs(out), bench.TrivyOptions{Size: n, Seed: seed, Image: image})
			if err != nil {
				return usageErr(err)
			}
			fmt.Fprintf(a.env.Stdout, "file=%s bytes=%d results=%d vulnerabilities=%d findings=%d\n", out, st.Bytes, st.Results, st.Vulnerabilities, st.Findings)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&size, "size", "10MB", "size of the report (`SIZE`)")
	f.Uint64Var(&seed, "seed", 1, "random `SEED`")
	f.StringVar(&image, "image", "", "the report's ArtifactName (`REF`)")
	f.StringVarP(&out, "output", "o", "", "write the report to `FILE`")
	return cmd
}

func newBenchLedgersCmd(a *app) *cobra.Command {
	var o bench.LedgerPairOptions
	var out string
	cmd := &cobra.Command{
		Use:   "ledgers",
		Short: "Write an old and a new ledger of one image",
		Long: `Ledgers writes DIR/old.jsonl and DIR/new.jsonl, two ledgers of one image
with --findings findings in the old one; the shares --new, --resolved and
--changed of them are added, removed and changed in the new one.` + exitCodesHelp,
		Example: `  cvetrail bench gen ledgers --findings 1000000 --new 0.1 --resolved 0.1 --changed 0.1 -o /tmp/ledgers
  cvetrail diff /tmp/ledgers/old.jsonl /tmp/ledgers/new.jsonl --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usageErr(errors.New("-o DIR is required"))
			}
			dir := a.abs(out)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return usageErr(err)
			}
			st, err := bench.WriteLedgerPairFiles(cmd.Context(), filepath.Join(dir, "old.jsonl"), filepath.Join(dir, "new.jsonl"), o)
			if err != nil {
				return usageErr(err)
			}
			fmt.Fprintf(a.env.Stdout, "dir=%s old=%d new=%d added=%d resolved=%d updated=%d fix-available=%d severity-changed=%d old-bytes=%d new-bytes=%d\n",
				out, st.Old, st.New, st.Added, st.Resolved, st.Updated, st.FixAvailable, st.Severity, st.OldBytes, st.NewBytes)
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Findings, "findings", 100_000, "findings in the old ledger (`N`)")
	f.Float64Var(&o.New, "new", 0.1, "share of new findings")
	f.Float64Var(&o.Resolved, "resolved", 0.1, "share of resolved findings")
	f.Float64Var(&o.Changed, "changed", 0.1, "share of changed findings")
	f.Uint64Var(&o.Seed, "seed", 1, "random `SEED`")
	f.StringVar(&o.Image, "image", "", "the image of both ledgers (`REF`)")
	f.StringVarP(&out, "output", "o", "", "write the ledgers into `DIR`")
	return cmd
}

func newBenchReportsCmd(a *app) *cobra.Command {
	var o bench.ReportsOptions
	var size, out string
	cmd := &cobra.Command{
		Use:   "reports",
		Short: "Write a directory of Trivy reports, one per image",
		Long: `Reports writes --count Trivy reports of --size bytes each into DIR, each
naming its own image, as a CI matrix leaves them for 'cvetrail run
--from-dir DIR'.` + exitCodesHelp,
		Example: `  cvetrail bench gen reports --count 500 --size 1MB -o /tmp/reports`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := bench.ParseSize(size)
			if err != nil {
				return usageErr(fmt.Errorf("--size: %w", err))
			}
			if out == "" {
				return usageErr(errors.New("-o DIR is required"))
			}
			o.Size = n
			st, err := bench.WriteReports(cmd.Context(), a.abs(out), o)
			if err != nil {
				return usageErr(err)
			}
			fmt.Fprintf(a.env.Stdout, "dir=%s files=%d bytes=%d findings=%d\n", out, len(st.Files), st.Bytes, st.Findings)
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Count, "count", 10, "number of reports (`N`)")
	f.StringVar(&size, "size", "1MB", "size of each report (`SIZE`)")
	f.Uint64Var(&o.Seed, "seed", 1, "random `SEED`")
	f.StringVarP(&out, "output", "o", "", "write the reports into `DIR`")
	return cmd
}

func newBenchRepoCmd(a *app) *cobra.Command {
	var o bench.RepoOptions
	var out string
	cmd := &cobra.Command{
		Use:   "repo",
		Short: "Write a git repository with daily ledger commits",
		Long: `Repo creates a git repository in DIR (absent or empty) with a cvetrail.yaml
for --images images and --days daily commits of their ledgers, each day
resolving, adding and changing --churn of the findings.` + exitCodesHelp,
		Example: `  cvetrail bench gen repo --images 100 --days 30 --findings 500 -o /tmp/repo
  cvetrail -C /tmp/repo diff --base HEAD~1`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usageErr(errors.New("-o DIR is required"))
			}
			st, err := bench.WriteRepo(cmd.Context(), a.abs(out), o)
			if err != nil {
				return usageErr(err)
			}
			fmt.Fprintf(a.env.Stdout, "dir=%s commits=%d findings=%d head=%s\n", out, st.Commits, st.Findings, st.Head)
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Images, "images", 10, "number of images (`N`)")
	f.IntVar(&o.Days, "days", 7, "number of daily commits (`N`)")
	f.IntVar(&o.Findings, "findings", 200, "findings per image on the first day (`N`)")
	f.Float64Var(&o.Churn, "churn", 0.01, "share of findings resolved, and new, each day")
	f.Uint64Var(&o.Seed, "seed", 1, "random `SEED`")
	f.StringVarP(&out, "output", "o", "", "create the repository in `DIR`")
	return cmd
}
