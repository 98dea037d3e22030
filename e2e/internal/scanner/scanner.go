// Package scanner finds the real Trivy and Grype binaries the end-to-end
// tests use and runs them offline against fixture databases.
//
// A binary is looked up, in order, in the environment variable
// CVETRAIL_TRIVY or CVETRAIL_GRYPE (a path), in the tool cache that
// .ci/install-scanners fills ($CVETRAIL_TOOLS, default
// $HOME/.cache/cvetrail-tools, then trivy-v0.74.0/trivy and
// grype-v0.121.3/grype), and on PATH.
package scanner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// Scanner names.
const (
	Trivy = "trivy"
	Grype = "grype"
)

// Versions are the scanner versions the fixtures are made for.
var Versions = map[string]string{Trivy: "v0.74.0", Grype: "v0.121.3"}

// ErrNotFound is returned by Find when no binary is found.
var ErrNotFound = errors.New("scanner binary not found")

// Find returns the path of the named scanner's binary, using the lookup
// order of the package documentation. getenv is os.Getenv in production.
func Find(name string, getenv func(string) string) (string, error) {
	version, ok := Versions[name]
	if !ok {
		return "", fmt.Errorf("finding scanner %q: unknown scanner", name)
	}
	envVar := "CVETRAIL_" + strings.ToUpper(name)
	if p := getenv(envVar); p != "" {
		if err := executable(p); err != nil {
			return "", fmt.Errorf("finding %s: %s=%s: %w", name, envVar, p, err)
		}
		return p, nil
	}
	var tried []string
	if cache := ToolsDir(getenv); cache != "" {
		p := filepath.Join(cache, name+"-"+version, name)
		if executable(p) == nil {
			return p, nil
		}
		tried = append(tried, p)
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	tried = append(tried, name+" on PATH")
	return "", fmt.Errorf("finding %s: set %s or run .ci/install-scanners (tried %s): %w",
		name, envVar, strings.Join(tried, ", "), ErrNotFound)
}

// ToolsDir returns the tool cache directory: $CVETRAIL_TOOLS, or
// $HOME/.cache/cvetrail-tools, or "" when neither is known.
func ToolsDir(getenv func(string) string) string {
	if d := getenv("CVETRAIL_TOOLS"); d != "" {
		return d
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".cache", "cvetrail-tools")
	}
	return ""
}

func executable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file", p)
	}
	return nil
}

// TrivyArgs returns the arguments that make Trivy scan the docker-archive
// input offline with the database in cacheDir, writing JSON to stdout.
func TrivyArgs(cacheDir, input string) []string {
	return append([]string{"image"}, append(TrivyOfflineArgs(cacheDir),
		"--format", "json", "--scanners", "vuln", "--quiet", "--input", input)...)
}

// TrivyOfflineArgs are the flags that keep Trivy away from the network and
// on the fixture database in cacheDir; cvetrail.yaml's scanner.args.
func TrivyOfflineArgs(cacheDir string) []string {
	return []string{"--cache-dir", cacheDir, "--skip-db-update", "--skip-java-db-update",
		"--offline-scan", "--skip-version-check"}
}

// GrypeArgs returns the arguments that make Grype scan the docker-archive
// tarball at input, writing JSON to stdout.
func GrypeArgs(input string) []string {
	return []string{"docker-archive:" + input, "-o", "json"}
}

// GrypeEnv returns the environment that keeps Grype on the database in
// cacheDir and away from the network.
func GrypeEnv(cacheDir string) map[string]string {
	return map[string]string{
		"GRYPE_DB_CACHE_DIR":         cacheDir,
		"GRYPE_DB_AUTO_UPDATE":       "false",
		"GRYPE_DB_VALIDATE_AGE":      "false",
		"GRYPE_CHECK_FOR_APP_UPDATE": "false",
	}
}

// Command is one scanner invocation.
type Command struct {
	Path string
	Args []string
	// Dir is the working directory; relative inputs are resolved there and
	// appear as given in the reports.
	Dir string
	// Env is added to a minimal environment (PATH, HOME and TMPDIR of the
	// caller); variables of the caller such as TRIVY_* or GRYPE_* are not
	// passed on, so a developer's settings cannot change the result.
	Env map[string]string
	// Home, when set, replaces HOME, so scanners write their caches and
	// config lookups into a test directory.
	Home string
}

// Result is what a scanner run produced.
type Result struct {
	Stdout   []byte
	Stderr   []byte
	ExitCode int
}

// Run executes c and returns its output. A non-zero exit is reported in
// Result.ExitCode, not as an error; the error is for a scanner that could
// not be started or was stopped by ctx.
func Run(ctx context.Context, c Command) (Result, error) {
	cmd := exec.CommandContext(ctx, c.Path, c.Args...)
	cmd.Dir = c.Dir
	cmd.Env = environ(c)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := Result{Stdout: stdout.Bytes(), Stderr: stderr.Bytes()}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return res, fmt.Errorf("running %s: %w", filepath.Base(c.Path), ctxErr)
	}
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		res.ExitCode = exitErr.ExitCode()
	case err != nil:
		return res, fmt.Errorf("running %s: %w", filepath.Base(c.Path), err)
	}
	return res, nil
}

func environ(c Command) []string {
	env := map[string]string{}
	for _, k := range []string{"PATH", "HOME", "TMPDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env[k] = v
		}
	}
	if c.Home != "" {
		env["HOME"] = c.Home
		env["XDG_CACHE_HOME"] = filepath.Join(c.Home, ".cache")
		env["XDG_CONFIG_HOME"] = filepath.Join(c.Home, ".config")
	}
	for k, v := range c.Env {
		env[k] = v
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}
