package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/cvetrail/cvetrail/internal/gitrepo"
	"github.com/cvetrail/cvetrail/internal/ledger"
	"github.com/cvetrail/cvetrail/internal/report"
	"github.com/cvetrail/cvetrail/internal/triage"
)

func init() { commands = append(commands, newStatusCmd) }

type statusOpts struct {
	within string
	format string
}

func newStatusCmd(a *app) *cobra.Command {
	o := &statusOpts{}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Open findings, and decisions that expire, expired or match nothing",
		Long: `Status lists the open (undecided) findings of every image by severity, the
decisions expiring within --within, the expired decisions, the decisions
whose finding rose above the recorded severity, and the stale decisions
(matching no finding in any image). Each decision shows who made it and
when, taken from the git history of cvetrail/decisions.yaml, not from a
field anyone can type.` + exitCodesHelp,
		Example: `  cvetrail status
  cvetrail status --within 30d --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runStatus(cmd.Context(), a, o) },
	}
	cmd.Flags().StringVar(&o.within, "within", "14d", "show decisions expiring within `DURATION` (14d, 4w, 2m)")
	cmd.Flags().StringVar(&o.format, "format", "table", "output format: table or json")
	return cmd
}

type statusDecision struct {
	ID       string          `json:"id"`
	Packages []string        `json:"packages,omitempty"`
	Images   []string        `json:"images,omitempty"`
	Status   triage.Status   `json:"status"`
	Reason   string          `json:"reason"`
	Severity report.Severity `json:"severity"`
	Expires  string          `json:"expires,omitempty"`
	Line     int             `json:"line"`
	Author   string          `json:"author"`
	Date     string          `json:"date,omitempty"`
	Commit   string          `json:"commit,omitempty"`
	Findings int             `json:"findings"`
}

type statusOpen struct {
	Image    string          `json:"image"`
	ID       string          `json:"id"`
	Type     string          `json:"type"`
	Pkg      string          `json:"pkg"`
	Severity report.Severity `json:"severity"`
	Fixed    []string        `json:"fixed,omitempty"`
	Title    string          `json:"title,omitempty"`
}

type statusOut struct {
	SchemaVersion int              `json:"schemaVersion"`
	Open          []statusOpen     `json:"open"`
	Counts        map[string]int   `json:"openCounts"`
	Expiring      []statusDecision `json:"expiring"`
	Expired       []statusDecision `json:"expired"`
	Escalated     []statusDecision `json:"escalated"`
	Stale         []statusDecision `json:"stale"`
	Active        []statusDecision `json:"active"`
}

func runStatus(ctx context.Context, a *app, o *statusOpts) error {
	if o.format != "table" && o.format != "json" {
		return usageErr(fmt.Errorf("--format %q: want table or json", o.format))
	}
	now, err := a.now()
	if err != nil {
		return err
	}
	horizon, err := triage.ParseExpiry(o.within, now)
	if err != nil {
		return usageErr(fmt.Errorf("--within: %w", err))
	}
	root, err := repoRoot(ctx, a)
	if err != nil {
		return err
	}
	all, err := ledger.Store{Root: root}.Load(ctx)
	if err != nil {
		return usageErr(err)
	}
	dec, err := loadDecisions(root)
	if err != nil {
		return err
	}
	var prov []triage.Provenance
	if repo, err := gitrepo.Open(ctx, root); err == nil {
		repo.Env = gitEnv(a)
		prov, err = dec.Provenance(ctx, blamer{repo})
		if err != nil {
			return externalErr(fmt.Errorf("reading the history of %s: %w", ledger.DecisionsFile, err))
		}
	}

	out := statusOut{SchemaVersion: 1, Open: []statusOpen{}, Counts: map[string]int{},
		Expiring: []statusDecision{}, Expired: []statusDecision{}, Escalated: []statusDecision{},
		Stale: []statusDecision{}, Active: []statusDecision{}}
	for s := report.Unknown; s <= report.Critical; s++ {
		out.Counts[s.String()] = 0
	}
	covered := make([]int, len(dec.Decisions))
	escalated := make([]bool, len(dec.Decisions))
	images := make([]string, 0, len(all))
	for img := range all {
		images = append(images, img)
	}
	slices.Sort(images)
	for _, img := range images {
		r := all[img]
		for i := range r.Findings {
			f := &r.Findings[i]
			d := dec.Find(img, f)
			if d != nil {
				idx := decisionIndex(dec, d)
				covered[idx]++
				if d.Escalated(f.Severity) {
					escalated[idx] = true
				}
				if d.Active(now, f.Severity) {
					continue
				}
			}
			out.Open = append(out.Open, statusOpen{Image: img, ID: f.ID, Type: f.Type, Pkg: f.Pkg, Severity: f.Severity, Fixed: f.Fixed, Title: f.Title})
			out.Counts[f.Severity.String()]++
		}
	}
	slices.SortStableFunc(out.Open, func(x, y statusOpen) int { return int(y.Severity) - int(x.Severity) })
	for i := range dec.Decisions {
		d := &dec.Decisions[i]
		sd := statusDecision{ID: d.ID, Packages: d.Packages, Images: d.Images, Status: d.Status, Reason: d.Reason,
			Severity: d.Severity, Line: d.Line, Findings: covered[i], Author: "(unknown)"}
		if !d.Expires.IsZero() {
			sd.Expires = d.Expires.Format("2006-01-02")
		}
		if i < len(prov) {
			p := prov[i]
			switch {
			case p.Uncommitted:
				sd.Author = "(not committed yet)"
			case p.Author != "":
				sd.Author = fmt.Sprintf("%s <%s>", p.Author, p.Email)
				sd.Date = p.Date.UTC().Format("2006-01-02")
				sd.Commit = short(p.Commit)
			}
		}
		switch {
		case covered[i] == 0:
			out.Stale = append(out.Stale, sd)
		case d.Expired(now):
			out.Expired = append(out.Expired, sd)
		case escalated[i]:
			out.Escalated = append(out.Escalated, sd)
		case !d.Expires.IsZero() && !d.Expires.After(horizon):
			out.Expiring = append(out.Expiring, sd)
		default:
			out.Active = append(out.Active, sd)
		}
	}
	if o.format == "json" {
		enc := json.NewEncoder(a.env.Stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(out)
	}
	return statusTable(a.env.Stdout, out, o.within)
}

func decisionIndex(f *triage.File, d *triage.Decision) int {
	for i := range f.Decisions {
		if &f.Decisions[i] == d {
			return i
		}
	}
	return -1
}

func statusTable(w io.Writer, s statusOut, within string) error {
	var c [5]int
	for i := report.Unknown; i <= report.Critical; i++ {
		c[i] = s.Counts[i.String()]
	}
	fmt.Fprintf(w, "Open (undecided): %s\n", countsLine(c))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, o := range s.Open {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", o.Severity, o.ID, o.Type+"/"+o.Pkg, o.Image, cell(o.Title, 50))
	}
	tw.Flush()
	section := func(title string, ds []statusDecision) {
		fmt.Fprintf(w, "\n%s: %d\n", title, len(ds))
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, d := range ds {
			scope := strings.Join(append(slices.Clone(d.Packages), d.Images...), " ")
			exp := d.Expires
			if exp == "" {
				exp = "never"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\tat %s\texpires %s\tby %s %s\t(line %d)\n", d.ID, cell(scope, 40), d.Status, d.Severity, exp, d.Author, d.Date, d.Line)
		}
		tw.Flush()
	}
	section("Expiring within "+within, s.Expiring)
	section("Expired", s.Expired)
	section("Escalated (severity rose above the decision)", s.Escalated)
	section("Stale (match no finding; consider removing)", s.Stale)
	section("Active", s.Active)
	return nil
}

// blamer adapts the git repository to triage's Blamer.
type blamer struct{ repo *gitrepo.Repo }

func (b blamer) Blame(ctx context.Context, path string) ([]triage.BlameLine, error) {
	lines, err := b.repo.BlameWorktree(ctx, path)
	if err != nil {
		return nil, err
	}
	out := make([]triage.BlameLine, len(lines))
	for i, l := range lines {
		out[i] = triage.BlameLine{Line: l.Line, Commit: l.Commit, Author: l.Author, AuthorEmail: l.AuthorEmail, AuthorTime: l.AuthorTime}
	}
	return out, nil
}

var _ = time.Now
