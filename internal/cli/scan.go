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

	"github.com/cvetrail/cvetrail/internal/ledger"
	"github.com/cvetrail/cvetrail/internal/par"
	"github.com/cvetrail/cvetrail/internal/report"
	"github.com/cvetrail/cvetrail/internal/scanner"
)

func init() { commands = append(commands, newScanCmd) }

type scanOpts struct {
	from        string
	image       string
	inputFormat string
	pkgType     string
	jobs        int
	images      []string
}

func newScanCmd(a *app) *cobra.Command {
	o := &scanOpts{}
	cmd := &cobra.Command{
		Use:   "scan [IMAGE...]",
		Short: "Scan images, or ingest scanner reports, into the ledger",
		Long: `Scan writes the canonical ledger of each image: cvetrail/<image-slug>.jsonl,
one finding per line, sorted by identity, with no volatile data, so an
unchanged image scanned again gives a byte-identical file.

With --from FILE, the Trivy or Grype JSON report in FILE is ingested (the
format is sniffed; --input-format forces it). --image names the image the
report belongs to; it defaults to the report's artifact name, which differs
between scanners and scan methods, so a stable name given here wins.
With --from DIR every *.json report in DIR is ingested in one write; each
report's artifact name names its image.

Without --from, the scanner configured in cvetrail.yaml is run on the named
images (default: every configured image).

Grype's "Negligible" severity is stored as LOW. Titles longer than 512 bytes
are stored cut, with a warning; unknown severities are stored as UNKNOWN,
with a warning.` + exitCodesHelp,
		Example: `  trivy image --format json -o app.json registry.example/app:1.2
  cvetrail scan --from app.json --image registry.example/app
  cvetrail scan --from reports/              # a CI matrix's results
  cvetrail scan --from old.json --pkg-type deb --image app   # a flat vulnerability list`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.images = args
			if cmd.Flags().Changed("image") && strings.TrimSpace(o.image) == "" {
				// An unset variable in "--image $IMAGE" must not silently
				// fall back to the artifact name: that is another ledger.
				return usageErr(errors.New("--image is empty"), "name the image, or leave --image out to use the report's artifact name")
			}
			return runScan(cmd.Context(), a, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.from, "from", "", "ingest the report `FILE`, or every report in a directory")
	f.StringVar(&o.image, "image", "", "name the image the report belongs to (`REF`)")
	f.StringVar(&o.inputFormat, "input-format", "auto", "report format: auto, trivy or grype")
	f.StringVar(&o.pkgType, "pkg-type", "", "package-URL `TYPE` for reports that do not tell it (flat lists)")
	f.IntVar(&o.jobs, "jobs", 0, "scan at most `N` images at once (default: the number of CPUs)")
	return cmd
}

func runScan(ctx context.Context, a *app, o *scanOpts) error {
	format, err := parseInputFormat(o.inputFormat)
	if err != nil {
		return err
	}
	var root string
	var reports []*report.Report
	if o.from != "" {
		if len(o.images) > 0 {
			return usageErr(errors.New("scan: give either --from or image names, not both"))
		}
		// Finding the repository runs git: meanwhile the reports are read.
		rootErr := make(chan error, 1)
		go func() {
			var err error
			root, err = repoRoot(ctx, a)
			rootErr <- err
		}()
		reports, err = ingestPath(a, o.from, o.image, scanner.Options{Format: format, PkgType: o.pkgType})
		if rerr := <-rootErr; rerr != nil {
			return rerr
		}
		if err != nil {
			return err
		}
	} else {
		if root, err = repoRoot(ctx, a); err != nil {
			return err
		}
		cfg, err := loadConfig(root, true)
		if err != nil {
			return err
		}
		images, err := selectImages(cfg, o.images)
		if err != nil {
			return err
		}
		res, err := scanImages(ctx, a, cfg, images, o.jobs, false)
		if err != nil {
			return err
		}
		reports = res.reports
	}
	store := ledger.Store{Root: root}
	// Aliases known from the ledger being replaced keep canonical ids
	// stable when another scanner knows fewer of them.
	for _, r := range reports {
		if prev, err := store.LoadImage(ctx, r.Image); err == nil {
			r.AdoptAliases(prev)
		}
	}
	changed, err := store.WriteAll(ctx, reports)
	if err != nil {
		return usageErr(fmt.Errorf("writing ledgers: %w", err))
	}
	for _, r := range reports {
		p, _ := ledger.Path(r.Image)
		state := "unchanged"
		if slices.Contains(changed, p) {
			state = "written"
		}
		a.log.Info(fmt.Sprintf("%s: %s, %s", p, fmtCount(len(r.Findings), "finding"), state), "image", r.Image)
	}
	return nil
}

func parseInputFormat(s string) (scanner.Format, error) {
	switch s {
	case "", "auto":
		return scanner.Format("auto"), nil
	case "trivy", "grype":
		return scanner.Format(s), nil
	}
	return "", usageErr(fmt.Errorf("--input-format %q: want auto, trivy or grype", s))
}

// ingestPath parses the report at path, or every *.json report in the
// directory at path. All reports are parsed before anything is written, so
// one bad report changes nothing.
func ingestPath(a *app, path, image string, opts scanner.Options) ([]*report.Report, error) {
	path = a.abs(path)
	st, err := os.Stat(path)
	if err != nil {
		return nil, usageErr(fmt.Errorf("%s: %w", path, errors.Unwrap(err)))
	}
	files := []string{path}
	if st.IsDir() {
		if image != "" {
			return nil, usageErr(errors.New("--image names one image; with --from DIR each report names its own"))
		}
		files, err = filepath.Glob(filepath.Join(path, "*.json"))
		if err != nil {
			return nil, usageErr(err)
		}
		if len(files) == 0 {
			return nil, usageErr(fmt.Errorf("%s: no *.json reports in the directory", path))
		}
		slices.Sort(files)
	}
	var reports []*report.Report
	seen := map[string]string{}
	// Several reports are read at once, a report per core; each is taken
	// in order, so the first bad one in order is the one reported.
	parsed := make([]*report.Report, par.Cores())
	errs := make([]error, len(parsed))
	at := make([]int, len(parsed))
	err = par.Ordered(len(files), 1, func(slot, lo, _ int) {
		at[slot] = lo
		parsed[slot], errs[slot] = scanner.ParseFile(files[lo], opts)
	}, func(slot int) error {
		file, r, err := files[at[slot]], parsed[slot], errs[slot]
		parsed[slot] = nil
		if err != nil {
			return usageErr(err)
		}
		for _, w := range r.Warnings {
			a.log.Warn(fmt.Sprintf("%s: %s", file, w))
		}
		if image != "" {
			r.Image = image
		}
		if strings.TrimSpace(r.Image) == "" {
			return usageErr(fmt.Errorf("%s: the report does not name its image", file), "pass --image REF")
		}
		if _, err := ledger.Slug(r.Image); err != nil {
			return usageErr(fmt.Errorf("%s: image %q: %w", file, r.Image, err))
		}
		if prev, dup := seen[r.Image]; dup {
			return usageErr(fmt.Errorf("%s: image %q is also in %s", file, r.Image, prev))
		}
		seen[r.Image] = file
		reports = append(reports, r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return reports, nil
}

// abs resolves path against the working directory.
func (a *app) abs(path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(a.env.Dir, path)
}
