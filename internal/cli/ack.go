package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cvetrail/cvetrail/internal/gitrepo"
	"github.com/cvetrail/cvetrail/internal/ledger"
	"github.com/cvetrail/cvetrail/internal/report"
	"github.com/cvetrail/cvetrail/internal/triage"
)

func init() { commands = append(commands, newAckCmd) }

type ackOpts struct {
	id            string
	pkgs          []string
	images        []string
	status        string
	justification string
	reason        string
	expires       string
	ticket        string
	severity      string
	force         bool
	commit        bool
}

func newAckCmd(a *app) *cobra.Command {
	o := &ackOpts{}
	cmd := &cobra.Command{
		Use:   "ack ID --status STATUS --reason TEXT",
		Short: "Record a decision about a vulnerability in cvetrail/decisions.yaml",
		Long: `Ack records a triage decision in cvetrail/decisions.yaml, keeping the file's
comments and order. The decision covers every finding whose id or alias is
ID, narrowed by --pkg and --image, in the working tree's ledgers or in a
report awaiting review on the report branch. It records the severity the finding has
now, so a later rise re-opens it; the author and date come from git history
when the change is committed (--commit commits it at once).

Acknowledging the same scope again updates the entry instead of adding one.
An ID that no ledger contains is refused unless --force (pre-acknowledging an
announced vulnerability; give --severity then).

Statuses: not_affected (needs --justification: component_not_present,
vulnerable_code_not_present, vulnerable_code_not_in_execute_path,
vulnerable_code_cannot_be_controlled_by_adversary,
inline_mitigations_already_exist), accepted, false_positive, fixing,
under_investigation.

--expires takes a date (2027-03-01) or a duration from now (30d, 12w, 6m, 1y).` + exitCodesHelp,
		Example: `  cvetrail ack CVE-2023-0464 --pkg libssl3 --status not_affected \
    --justification vulnerable_code_not_in_execute_path \
    --reason "we never verify certificate policies" --expires 90d --commit`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.id = strings.TrimSpace(args[0])
			return runAck(cmd.Context(), a, o)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.pkgs, "pkg", nil, "only the package `NAME` (repeatable)")
	f.StringArrayVar(&o.images, "image", nil, "only images matching `GLOB` (repeatable)")
	f.StringVar(&o.status, "status", "", "the decision: not_affected, accepted, false_positive, fixing, under_investigation")
	f.StringVar(&o.justification, "justification", "", "OpenVEX justification (required for not_affected)")
	f.StringVar(&o.reason, "reason", "", "why, in a sentence (required)")
	f.StringVar(&o.expires, "expires", "", "expiry `DATE` or duration (30d, 12w, 6m, 1y)")
	f.StringVar(&o.ticket, "ticket", "", "link to the tracking `URL`")
	f.StringVar(&o.severity, "severity", "", "severity to record when no ledger has the finding (with --force)")
	f.BoolVar(&o.force, "force", false, "record the decision even though no ledger contains ID")
	f.BoolVar(&o.commit, "commit", false, "commit cvetrail/decisions.yaml after writing it")
	return cmd
}

func runAck(ctx context.Context, a *app, o *ackOpts) error {
	now, err := a.now()
	if err != nil {
		return err
	}
	if o.id == "" {
		return usageErr(errors.New("ack: the vulnerability id is empty"))
	}
	if o.status == "" {
		return usageErr(errors.New("ack: --status is required"), "one of "+joinStatuses())
	}
	if strings.TrimSpace(o.reason) == "" {
		return usageErr(errors.New("ack: --reason is required: say why, for the reviewers and the audit trail"))
	}
	root, err := repoRoot(ctx, a)
	if err != nil {
		return err
	}
	all, err := ackLedgers(ctx, a, root)
	if err != nil {
		return err
	}
	d := triage.Decision{
		ID: o.id, Packages: o.pkgs, Images: o.images, Status: triage.Status(o.status),
		Justification: o.justification, Reason: strings.TrimSpace(o.reason), Ticket: o.ticket,
	}
	if o.expires != "" {
		exp, err := triage.ParseExpiry(o.expires, now)
		if err != nil {
			return usageErr(fmt.Errorf("--expires: %w", err))
		}
		if probe := (triage.Decision{Expires: exp}); probe.Expired(now) {
			return usageErr(fmt.Errorf("--expires %s is in the past", exp.Format("2006-01-02")))
		}
		d.Expires = exp
	}

	// The severity the covered findings have now.
	matched, ids := 0, map[string]bool{}
	images := map[string]bool{}
	spelling := map[string]string{} // --pkg as given -> as the ledger spells it
	for img, r := range all {
		for i := range r.Findings {
			f := &r.Findings[i]
			if d.Covers(img, f) {
				matched++
				ids[f.ID] = true
				images[img] = true
				d.Severity = max(d.Severity, f.Severity)
				for _, p := range d.Packages {
					switch {
					case p == f.Pkg:
						spelling[p] = p
					case report.CanonicalPkg(f.Type, p) != f.Pkg:
					case spelling[p] == "":
						spelling[p] = f.Pkg
					case spelling[p] != f.Pkg:
						spelling[p] = p // spelled differently in two ecosystems: keep it as given
					}
				}
			}
		}
	}
	// Record package names as the ledger spells them (PyPI names are
	// canonicalized: "Requests" is "requests"), so that acknowledging the
	// same scope again, spelled either way, updates the entry.
	for i, p := range d.Packages {
		if s, ok := spelling[p]; ok {
			d.Packages[i] = s
		}
	}
	switch {
	case matched == 0 && !o.force:
		return usageErr(fmt.Errorf("no ledger contains %s%s", o.id, scopeText(o)),
			"check the id with 'cvetrail show'; pass --force (and --severity) to acknowledge an announced vulnerability before it appears")
	case matched == 0:
		sev, ok := report.ParseSeverity(o.severity)
		if o.severity == "" || !ok {
			return usageErr(errors.New("ack --force: no finding tells the severity; give --severity LOW|MEDIUM|HIGH|CRITICAL"))
		}
		d.Severity = sev
	case o.severity != "":
		return usageErr(errors.New("ack: --severity is only for --force; the severity is taken from the ledger"))
	}
	// Record the canonical id when the findings agree on one, so the file
	// reads in CVE ids even when acknowledged by an alias.
	if len(ids) == 1 {
		for id := range ids {
			d.ID = id
		}
	}

	path := filepath.Join(root, ledger.DecisionsFile)
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return usageErr(fmt.Errorf("reading %s: %w", ledger.DecisionsFile, err))
	}
	out, updated, err := triage.Upsert(ledger.DecisionsFile, data, d)
	if err != nil {
		return usageErr(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return usageErr(err)
	}
	if err := ledger.AtomicWriteFile(ctx, path, out, 0o644); err != nil {
		return usageErr(fmt.Errorf("writing %s: %w", ledger.DecisionsFile, err))
	}
	verb := "recorded"
	if updated {
		verb = "updated"
	}
	fmt.Fprintf(a.env.Stdout, "%s %s: %s at %s, covering %s in %s\n", verb, d.ID, d.Status, d.Severity,
		fmtCount(matched, "finding"), fmtCount(len(images), "image"))
	if !o.commit {
		return nil
	}
	repo, err := openRepo(ctx, a)
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("cvetrail: %s %s (%s)\n\n%s\n", d.Status, d.ID, d.Severity, d.Reason)
	if _, err := repo.Git(ctx, "add", "--", ledger.DecisionsFile); err != nil {
		return externalErr(fmt.Errorf("staging %s: %w", ledger.DecisionsFile, err))
	}
	if _, err := repo.Git(ctx, "commit", "-q", "-m", msg, "--", ledger.DecisionsFile); err != nil {
		return externalErr(fmt.Errorf("committing %s: %w", ledger.DecisionsFile, err))
	}
	fmt.Fprintf(a.env.Stdout, "committed %s\n", ledger.DecisionsFile)
	return nil
}

// ackLedgers returns the ledgers a decision may refer to: those of the
// working tree and, where an image's report awaits review, those on the
// report branch, which hold the findings that need the decision.
func ackLedgers(ctx context.Context, a *app, root string) (map[string]*report.Report, error) {
	all, err := ledger.Store{Root: root}.Load(ctx)
	if err != nil {
		return nil, usageErr(err)
	}
	repo, err := gitrepo.Open(ctx, root)
	if err != nil {
		return all, nil // no git, no report branch
	}
	repo.Env = gitEnv(a)
	cfg, err := loadConfig(root, false)
	if err != nil {
		return nil, err
	}
	tip, err := repo.RevParse(ctx, "refs/heads/"+cfg.Branch)
	if err != nil {
		return all, nil // no report branch
	}
	pending, err := ledger.LoadRev(ctx, repo, tip)
	if err != nil {
		return nil, usageErr(fmt.Errorf("reading the ledgers on %s: %w", cfg.Branch, err))
	}
	for img, r := range pending {
		cur, ok := all[img]
		if !ok {
			all[img] = r
			continue
		}
		// The same finding may be in both (the report branch checked out,
		// or an unchanged finding): count it once.
		seen := make(map[report.Key]bool, len(cur.Findings))
		for i := range cur.Findings {
			seen[cur.Findings[i].Key()] = true
		}
		merged := *cur
		merged.Findings = append([]report.Finding{}, cur.Findings...)
		for _, f := range r.Findings {
			if !seen[f.Key()] {
				merged.Findings = append(merged.Findings, f)
			}
		}
		all[img] = &merged
	}
	return all, nil
}

func scopeText(o *ackOpts) string {
	var s []string
	if len(o.pkgs) > 0 {
		s = append(s, "package "+strings.Join(o.pkgs, ", "))
	}
	if len(o.images) > 0 {
		s = append(s, "image "+strings.Join(o.images, ", "))
	}
	if len(s) == 0 {
		return ""
	}
	return " (" + strings.Join(s, "; ") + ")"
}

func joinStatuses() string {
	var s []string
	for _, st := range triage.Statuses {
		s = append(s, string(st))
	}
	slices.Sort(s)
	return strings.Join(s, ", ")
}
