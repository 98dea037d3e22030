package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/cvetrail/cvetrail/internal/ledger"
	"github.com/cvetrail/cvetrail/internal/report"
	"github.com/cvetrail/cvetrail/internal/triage"
)

func init() { commands = append(commands, newShowCmd) }

type showOpts struct {
	format string
	images []string
}

func newShowCmd(a *app) *cobra.Command {
	o := &showOpts{}
	cmd := &cobra.Command{
		Use:   "show [IMAGE...]",
		Short: "Print the findings in the ledger",
		Long: `Show prints the findings of the ledger of each image (all images, or those
named; a name may be a glob such as 'registry/app:*'), with counts by
severity. --format json prints {"images":[{"image","os","counts","findings"}]}.` + exitCodesHelp,
		Example: `  cvetrail show
  cvetrail show registry.example/app:1.2 --format json | jq '.images[0].counts'`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.images = args
			return runShow(cmd.Context(), a, o)
		},
	}
	cmd.Flags().StringVar(&o.format, "format", "table", "output format: table or json")
	return cmd
}

func runShow(ctx context.Context, a *app, o *showOpts) error {
	if o.format != "table" && o.format != "json" {
		return usageErr(fmt.Errorf("--format %q: want table or json", o.format))
	}
	root, err := repoRoot(ctx, a)
	if err != nil {
		return err
	}
	all, err := ledger.Store{Root: root}.Load(ctx)
	if err != nil {
		return usageErr(err)
	}
	reports, err := pickReports(all, o.images)
	if err != nil {
		return err
	}
	if o.format == "json" {
		return showJSON(a.env.Stdout, reports)
	}
	return showTable(a.env.Stdout, reports)
}

// pickReports returns the reports whose image matches one of the names or
// globs, sorted by image; all of them when names is empty.
func pickReports(all map[string]*report.Report, names []string) ([]*report.Report, error) {
	var out []*report.Report
	for img, r := range all {
		if len(names) == 0 || slices.ContainsFunc(names, func(n string) bool { return triage.MatchImage(n, img) }) {
			out = append(out, r)
		}
	}
	if len(out) == 0 && len(names) > 0 {
		return nil, usageErr(fmt.Errorf("no ledger for %s", strings.Join(names, ", ")), "'cvetrail show' lists every image")
	}
	slices.SortFunc(out, func(a, b *report.Report) int { return strings.Compare(a.Image, b.Image) })
	return out, nil
}

func severityCounts(fs []report.Finding) [5]int {
	var c [5]int
	for i := range fs {
		c[fs[i].Severity]++
	}
	return c
}

func countsLine(c [5]int) string {
	total := 0
	var parts []string
	for s := report.Critical; s >= report.Unknown; s-- {
		total += c[s]
		parts = append(parts, fmt.Sprintf("%d %s", c[s], strings.ToLower(s.String())))
	}
	return fmt.Sprintf("%s: %s", fmtCount(total, "finding"), strings.Join(parts, ", "))
}

func showTable(w io.Writer, reports []*report.Report) error {
	if len(reports) == 0 {
		_, err := fmt.Fprintln(w, "no ledgers yet: run 'cvetrail scan'")
		return err
	}
	for i, r := range reports {
		if i > 0 {
			fmt.Fprintln(w)
		}
		os := ""
		if r.OS != nil {
			os = fmt.Sprintf(" (%s %s)", r.OS.Family, r.OS.Version)
		}
		fmt.Fprintf(w, "%s%s\n", r.Image, os)
		fs := slices.Clone(r.Findings)
		slices.SortStableFunc(fs, func(a, b report.Finding) int { return int(b.Severity) - int(a.Severity) })
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		if len(fs) > 0 {
			fmt.Fprintln(tw, "SEVERITY\tID\tPACKAGE\tINSTALLED\tFIXED\tTITLE")
		}
		for _, f := range fs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", f.Severity, f.ID, f.Type+"/"+f.Pkg,
				cell(strings.Join(f.Versions, ", "), 30), cell(strings.Join(f.Fixed, ", "), 30), cell(f.Title, 60))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintln(w, countsLine(severityCounts(r.Findings)))
	}
	return nil
}

// cell makes untrusted text safe for one table cell: no control
// characters, at most n runes.
func cell(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if s == "" {
		return "-"
	}
	if rs := []rune(s); len(rs) > n {
		return string(rs[:n-1]) + "…"
	}
	return s
}

type showImage struct {
	Image    string           `json:"image"`
	OS       *report.OS       `json:"os"`
	Counts   map[string]int   `json:"counts"`
	Findings []report.Finding `json:"findings"`
}

func showJSON(w io.Writer, reports []*report.Report) error {
	out := struct {
		SchemaVersion int         `json:"schemaVersion"`
		Images        []showImage `json:"images"`
	}{SchemaVersion: 1, Images: []showImage{}}
	for _, r := range reports {
		c := severityCounts(r.Findings)
		counts := map[string]int{}
		for s := report.Unknown; s <= report.Critical; s++ {
			counts[s.String()] = c[s]
		}
		fs := r.Findings
		if fs == nil {
			fs = []report.Finding{}
		}
		out.Images = append(out.Images, showImage{Image: r.Image, OS: r.OS, Counts: counts, Findings: fs})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}
