// Package cli is cvetrail's command-line interface: the cobra command tree,
// one file per command, exit codes and hints. It is the only package that
// wires the others together and the only one that talks to the user.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// Exit codes, as documented in every command's help.
const (
	ExitOK          = 0   // success; nothing needs a human
	ExitReview      = 1   // something needs a human (only where documented)
	ExitUsage       = 2   // usage or input error
	ExitExternal    = 3   // scanner, git or forge failure
	ExitInterrupted = 130 // interrupted
)

// Env is everything a command may touch of the outside world. Tests build
// one by hand; OSEnv returns the real one.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	Environ        func() []string
	// Dir is the working directory; commands operate on the repository
	// containing it unless --repo says otherwise.
	Dir string
	// Now is the current time; --now / CVETRAIL_NOW override it.
	Now func() time.Time
	// IsTerminal reports whether stderr is a terminal, where the progress
	// display of scans is drawn.
	IsTerminal bool
	// HTTPClient is used for forge APIs; nil means the default client.
	HTTPClient *http.Client

	// sleep waits between retries of forge calls; nil means a real timer.
	// Tests set it so that backoff does not really wait.
	sleep func(ctx context.Context, d time.Duration) error
}

// OSEnv returns the Env of the running process.
func OSEnv() Env {
	dir, _ := os.Getwd()
	return Env{
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Getenv: os.Getenv, Environ: os.Environ,
		Dir:        dir,
		Now:        time.Now,
		IsTerminal: term.IsTerminal(int(os.Stderr.Fd())),
	}
}

// exitError carries an exit code and an optional hint up to Main.
type exitError struct {
	code int
	err  error
	hint string
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

// usageErr is a usage or input error (exit 2).
func usageErr(err error, hint ...string) error {
	return &exitError{code: ExitUsage, err: err, hint: strings.Join(hint, " ")}
}

// externalErr is a scanner, git or forge failure (exit 3).
func externalErr(err error, hint ...string) error {
	return &exitError{code: ExitExternal, err: err, hint: strings.Join(hint, " ")}
}

// silentExit ends the command with code and no error message (the command
// already said what it had to).
func silentExit(code int) error { return &exitError{code: code} }

// app holds what every command shares.
type app struct {
	env     Env
	repoDir string
	nowFlag string
	verbose bool
	quiet   bool
	log     *slog.Logger
}

// now returns the current time, honouring --now and CVETRAIL_NOW.
func (a *app) now() (time.Time, error) {
	s, source := a.nowFlag, "--now"
	if s == "" {
		s, source = a.env.Getenv("CVETRAIL_NOW"), "CVETRAIL_NOW"
	}
	if s == "" {
		return a.env.Now(), nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, usageErr(fmt.Errorf("%s %q is not a date (YYYY-MM-DD) or RFC 3339 time", source, s))
}

// dir returns the directory the command works in.
func (a *app) dir() string {
	if a.repoDir != "" {
		return a.repoDir
	}
	if d := a.env.Getenv("CVETRAIL_REPO"); d != "" {
		return d
	}
	return a.env.Dir
}

const exitCodesHelp = `
Exit codes:
  0  success
  2  usage or input error
  3  external failure (scanner, git, forge)
  130 interrupted`

func newRootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "cvetrail",
		Short: "The lifecycle of container-image vulnerabilities, with Git as the database",
		Long: `cvetrail keeps the vulnerability findings of container images in Git.

Scanners (Trivy, Grype) say what is vulnerable today. cvetrail answers what
is new since yesterday, what has already been decided, and whether anything
decided got worse — across base-image updates, scanner upgrades and
vulnerability-database churn.` + exitCodesHelp,
		SilenceUsage:  true,
		SilenceErrors: true,
		Example: `  cvetrail demo                      # a full lifecycle in a temporary repository
  cvetrail scan --from trivy.json --image registry.example/app:1.2
  cvetrail diff --base origin/main
  cvetrail check && echo "nothing needs review"`,
	}
	root.PersistentFlags().StringVarP(&a.repoDir, "repo", "C", "", "work in the repository at `DIR` (env CVETRAIL_REPO)")
	root.PersistentFlags().BoolVarP(&a.verbose, "verbose", "v", false, "log more to stderr")
	root.PersistentFlags().BoolVarP(&a.quiet, "quiet", "q", false, "log only warnings and errors")
	root.PersistentFlags().StringVar(&a.nowFlag, "now", "", "pretend the current time is `TIME` (env CVETRAIL_NOW)")
	_ = root.PersistentFlags().MarkHidden("now")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageErr(err, fmt.Sprintf("see 'cvetrail %s --help'", c.Name()))
	})
	root.PersistentPreRun = func(*cobra.Command, []string) {
		level := slog.LevelInfo
		if a.verbose {
			level = slog.LevelDebug
		}
		if a.quiet {
			level = slog.LevelWarn
		}
		a.log = slog.New(newLogHandler(a.env.Stderr, level))
	}
	for _, add := range commands {
		root.AddCommand(add(a))
	}
	return root
}

// commands lists the constructors of the subcommands; each command's file
// registers itself in an init function.
var commands []func(*app) *cobra.Command

// Main runs cvetrail with args and returns the process exit code.
func Main(ctx context.Context, args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	if env.Environ == nil {
		env.Environ = func() []string { return nil }
	}
	if env.Now == nil {
		env.Now = time.Now
	}
	if env.Stdin == nil {
		env.Stdin = strings.NewReader("")
	}
	a := &app{env: env, log: slog.New(newLogHandler(env.Stderr, slog.LevelInfo))}
	root := newRootCmd(a)
	root.SetArgs(args)
	root.SetIn(env.Stdin)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		fmt.Fprintln(env.Stderr, "cvetrail: interrupted")
		return ExitInterrupted
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			printError(env.Stderr, ee.err, ee.hint)
		}
		return ee.code
	}
	// cobra's own argument errors (unknown command, wrong arg count).
	printError(env.Stderr, err, "see 'cvetrail --help'")
	return ExitUsage
}

func printError(w io.Writer, err error, hint string) {
	for _, line := range strings.Split(err.Error(), "\n") {
		fmt.Fprintf(w, "cvetrail: error: %s\n", line)
	}
	if hint != "" {
		fmt.Fprintf(w, "cvetrail: hint: %s\n", hint)
	}
}
