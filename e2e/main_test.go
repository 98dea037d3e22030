package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cvetrail/cvetrail/e2e/internal/harness"
	"github.com/cvetrail/cvetrail/e2e/internal/scanner"
)

// shared is what the tests of this binary share: the scanner binaries and
// the cvetrail binary, built at most once.
var shared struct {
	dir string // removed when the tests end

	trivy, grype       string
	trivyErr, grypeErr error

	buildOnce   sync.Once
	cvetrail    string
	cvetrailErr error
}

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "cvetrail-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	shared.dir = dir
	shared.trivy, shared.trivyErr = scanner.Find(scanner.Trivy, os.Getenv)
	shared.grype, shared.grypeErr = scanner.Find(scanner.Grype, os.Getenv)
	if shared.trivyErr != nil && shared.grypeErr != nil {
		fmt.Fprintf(os.Stderr, "e2e: no scanner binary found: the tests with real scanners are skipped\n  %v\n  %v\n",
			shared.trivyErr, shared.grypeErr)
	}
	return m.Run()
}

func needTrivy(t *testing.T) string {
	t.Helper()
	need(t, scanner.Trivy, shared.trivyErr)
	return shared.trivy
}

func needGrype(t *testing.T) string {
	t.Helper()
	need(t, scanner.Grype, shared.grypeErr)
	return shared.grype
}

// need skips the test when the scanner is simply not installed, and fails
// it when CVETRAIL_<SCANNER> points at something that is not a binary or
// when CVETRAIL_REQUIRE_SCANNERS=1 (CI sets it, so CI never skips).
func need(t *testing.T, name string, err error) {
	t.Helper()
	switch {
	case err == nil:
	case errors.Is(err, scanner.ErrNotFound) && os.Getenv("CVETRAIL_REQUIRE_SCANNERS") != "1":
		t.Skipf("skipped: real %s needed: %v", name, err)
	default:
		t.Fatalf("real %s needed: %v", name, err)
	}
}

// cvetrailBinary builds ../cmd/cvetrail once per test binary and skips
// the calling test when it does not build or lacks one of the commands.
func cvetrailBinary(t *testing.T, commands ...string) string {
	t.Helper()
	shared.buildOnce.Do(func() {
		root, err := harness.RepoRoot("..")
		if err != nil {
			shared.cvetrailErr = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		shared.cvetrail, shared.cvetrailErr = harness.BuildCvetrail(ctx, root, filepath.Join(shared.dir, "bin"))
	})
	if shared.cvetrailErr != nil {
		t.Skipf("skipped: the cvetrail binary does not build from ../cmd/cvetrail yet: %v", shared.cvetrailErr)
	}
	for _, c := range commands {
		if !harness.HasCommand(context.Background(), shared.cvetrail, c) {
			t.Skipf("skipped: cvetrail has no %q command yet", c)
		}
	}
	return shared.cvetrail
}
