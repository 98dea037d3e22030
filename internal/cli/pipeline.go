package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cvetrail/cvetrail/internal/config"
	"github.com/cvetrail/cvetrail/internal/report"
	"github.com/cvetrail/cvetrail/internal/scanner"
)

// scanResult is what scanning the configured images produced.
type scanResult struct {
	reports  []*report.Report // in configuration order, successful images only
	infos    []report.ScanInfo
	failures []imageFailure
}

type imageFailure struct {
	image string
	err   error
}

// configRelative resolves a path written in a configuration file in dir:
// a relative path such as ./bin/trivy is relative to that file, not to
// wherever cvetrail was started; a bare name (trivy) is looked up on PATH
// when the scanner runs, and stays as it is.
func configRelative(dir, path string) string {
	if path == "" || filepath.IsAbs(path) || !strings.ContainsRune(filepath.ToSlash(path), '/') {
		return path
	}
	return filepath.Join(dir, path)
}

// scannerSpec builds the scanner invocation for one image.
func scannerSpec(a *app, cfg *config.Config, im config.Image) scanner.Spec {
	name := cfg.Scanner.Name
	spec := scanner.Spec{Name: name, Timeout: time.Duration(cfg.Scanner.Timeout), Platform: im.Platform}
	if im.Scanner == "" || im.Scanner == cfg.Scanner.Name {
		spec.Path = cfg.Scanner.Path
		spec.Args = cfg.Scanner.Args
	} else {
		// Another scanner for this image: its own binary from PATH; the
		// configured arguments belong to the configured scanner.
		spec.Name = im.Scanner
	}
	env := a.env.Environ()
	keys := make([]string, 0, len(cfg.Scanner.Env))
	for k := range cfg.Scanner.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+cfg.Scanner.Env[k])
	}
	spec.Env = env
	return spec
}

// scanImages runs the scanner on every image with at most jobs scans at
// once. With keepGoing false, the first failure cancels the other scans.
func scanImages(ctx context.Context, a *app, cfg *config.Config, images []config.Image, jobs int, keepGoing bool) (*scanResult, error) {
	if jobs <= 0 {
		jobs = runtime.NumCPU()
	}
	tmp, err := os.MkdirTemp("", "cvetrail-scan-")
	if err != nil {
		return nil, externalErr(fmt.Errorf("creating a temporary directory: %w", err))
	}
	defer os.RemoveAll(tmp)

	// Scanner versions, once per scanner.
	infos := map[string]report.ScanInfo{}
	var order []string
	for _, im := range images {
		spec := scannerSpec(a, cfg, im)
		if _, ok := infos[spec.Name]; ok {
			continue
		}
		info, err := scanner.Version(ctx, spec)
		if err != nil {
			return nil, externalErr(fmt.Errorf("asking %s for its version: %w", spec.Name, err), "is the scanner installed? set scanner.path in cvetrail.yaml")
		}
		infos[spec.Name] = info
		order = append(order, spec.Name)
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	reports := make([]*report.Report, len(images))
	errs := make([]error, len(images))
	prog := newProgress(a, len(images))
	sem := make(chan struct{}, jobs)
	var wg sync.WaitGroup
	for i, im := range images {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			defer func() { <-sem }()
			prog.start(im.LedgerName())
			spec := scannerSpec(a, cfg, im)
			res, err := scanner.Scan(ctx, spec, im.Ref, tmp)
			if err == nil {
				res.Report.Image = im.LedgerName()
				info := infos[spec.Name]
				info.Artifact, info.Format = res.Report.Scan.Artifact, res.Report.Scan.Format
				if info.DBVersion == "" {
					info.DBVersion, info.DBUpdated = res.Report.Scan.DBVersion, res.Report.Scan.DBUpdated
				}
				res.Report.Scan = info
				reports[i] = res.Report
				for _, w := range res.Report.Warnings {
					a.log.Warn(fmt.Sprintf("%s: %s", im.LedgerName(), w))
				}
				prog.done(im.LedgerName(), fmt.Sprintf("%d findings in %s", len(res.Report.Findings), res.Duration.Round(time.Millisecond)))
				return
			}
			errs[i] = err
			prog.done(im.LedgerName(), "failed")
			if !keepGoing {
				cancel()
			}
		}()
	}
	wg.Wait()
	prog.finish()

	out := &scanResult{}
	for _, n := range order {
		out.infos = append(out.infos, infos[n])
	}
	for i, im := range images {
		switch {
		case errs[i] == nil:
			out.reports = append(out.reports, reports[i])
		case errors.Is(errs[i], context.Canceled) && !keepGoing && ctx.Err() != nil:
			// cancelled because another image failed; not a failure of its own
		default:
			out.failures = append(out.failures, imageFailure{image: im.LedgerName(), err: errs[i]})
		}
	}
	if len(out.failures) > 0 && !keepGoing {
		var list []error
		for _, f := range out.failures {
			list = append(list, fmt.Errorf("scanning %s: %w", f.image, f.err))
		}
		return nil, externalErr(errors.Join(list...), "nothing was written; fix the scanner or pass --keep-going to commit the images that succeeded")
	}
	return out, nil
}

// progress shows images done/total: a status line on a terminal, one log
// line per image otherwise.
type progress struct {
	a      *app
	total  int
	mu     sync.Mutex
	doneN  int
	active map[string]bool
}

func newProgress(a *app, total int) *progress {
	return &progress{a: a, total: total, active: map[string]bool{}}
}

func (p *progress) start(image string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.active[image] = true
	p.draw(image)
}

func (p *progress) done(image, what string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.active, image)
	p.doneN++
	if p.a.env.IsTerminal {
		p.draw(image)
		return
	}
	p.a.log.Info(fmt.Sprintf("[%d/%d] %s: %s", p.doneN, p.total, image, what))
}

func (p *progress) draw(current string) {
	if !p.a.env.IsTerminal || p.a.quiet {
		return
	}
	fmt.Fprintf(p.a.env.Stderr, "\r\033[Kscanning [%d/%d] %s", p.doneN, p.total, current)
}

func (p *progress) finish() {
	if p.a.env.IsTerminal && !p.a.quiet {
		fmt.Fprint(p.a.env.Stderr, "\r\033[K")
	}
}
