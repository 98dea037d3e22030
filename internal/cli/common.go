package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/cvetrail/cvetrail/internal/config"
	"github.com/cvetrail/cvetrail/internal/gitrepo"
	"github.com/cvetrail/cvetrail/internal/ledger"
	"github.com/cvetrail/cvetrail/internal/triage"
)

// repoRoot returns the top level of the git repository holding the working
// directory, or the directory itself when it is not in a repository (ledgers
// can be written and read without git; history needs it).
func repoRoot(ctx context.Context, a *app) (string, error) {
	dir := a.dir()
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return "", usageErr(fmt.Errorf("%s: not a directory", dir))
	}
	if r, err := gitrepo.Open(ctx, dir); err == nil {
		return r.Dir, nil
	}
	return dir, nil
}

// openRepo opens the git repository holding the working directory.
func openRepo(ctx context.Context, a *app) (*gitrepo.Repo, error) {
	r, err := gitrepo.Open(ctx, a.dir())
	if err != nil {
		return nil, usageErr(fmt.Errorf("%s: not a git repository: %w", a.dir(), err), "run 'git init' first, or pass --repo DIR")
	}
	r.Env = gitEnv(a)
	return r, nil
}

// gitEnv is the environment git runs with: the process environment, so
// the user's identity and configuration apply.
func gitEnv(a *app) []string { return a.env.Environ() }

// loadConfig reads cvetrail.yaml at the repository root. When required is
// false and the file is absent, the defaults are used.
func loadConfig(root string, required bool) (*config.Config, error) {
	return loadConfigFile(filepath.Join(root, ledger.ConfigFile), required)
}

// loadConfigFile reads the configuration at path.
func loadConfigFile(path string, required bool) (*config.Config, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && !required {
		return config.Default(), nil
	}
	if errors.Is(err, os.ErrNotExist) {
		return nil, usageErr(fmt.Errorf("%s: no configuration", path), "run 'cvetrail init' to write one")
	}
	if err != nil {
		return nil, usageErr(fmt.Errorf("reading configuration: %w", err))
	}
	c, err := config.Parse(filepath.Base(path), data)
	if err != nil {
		return nil, usageErr(err)
	}
	// A relative scanner.path is relative to the configuration file, for
	// every command alike.
	c.Scanner.Path = configRelative(filepath.Dir(path), c.Scanner.Path)
	return c, nil
}

// selectImages returns the configured images named in names (all when
// names is empty).
func selectImages(cfg *config.Config, names []string) ([]config.Image, error) {
	if len(cfg.Images) == 0 {
		return nil, usageErr(errors.New("cvetrail.yaml: no images configured"), "add images: [{ref: registry/app:tag}]")
	}
	if len(names) == 0 {
		return cfg.Images, nil
	}
	var out []config.Image
	for _, n := range names {
		i := slices.IndexFunc(cfg.Images, func(im config.Image) bool { return im.Ref == n || im.LedgerName() == n })
		if i < 0 {
			return nil, usageErr(fmt.Errorf("image %q is not in cvetrail.yaml", n))
		}
		out = append(out, cfg.Images[i])
	}
	return out, nil
}

// loadDecisions reads cvetrail/decisions.yaml from the working tree.
func loadDecisions(root string) (*triage.File, error) {
	data, err := os.ReadFile(filepath.Join(root, ledger.DecisionsFile))
	if errors.Is(err, os.ErrNotExist) {
		return &triage.File{Path: ledger.DecisionsFile}, nil
	}
	if err != nil {
		return nil, usageErr(fmt.Errorf("reading %s: %w", ledger.DecisionsFile, err))
	}
	f, err := triage.Load(ledger.DecisionsFile, data)
	if err != nil {
		return nil, usageErr(err)
	}
	return f, nil
}
