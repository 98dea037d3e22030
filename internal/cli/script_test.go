package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/cvetrail/cvetrail/internal/fixtures"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/cvetrail/cvetrail/internal/report"
)

// TestMain lets testscript run cvetrail in-process as the command
// "cvetrail".
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"cvetrail": func() {
			os.Exit(Main(context.Background(), os.Args[1:], OSEnv()))
		},
	})
}

// fixturesDir is where the shared scanner fixtures are.
var fixturesDir = fixtures.Dir

// TestScripts runs the end-to-end scripts in testdata/script against real
// git repositories.
func TestScripts(t *testing.T) {
	fixtures := fixturesDir(t)
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(e *testscript.Env) error {
			home := filepath.Join(e.WorkDir, ".home")
			if err := os.MkdirAll(home, 0o755); err != nil {
				return err
			}
			e.Setenv("FIXTURES", fixtures)
			e.Setenv("HOME", home)
			e.Setenv("XDG_CONFIG_HOME", home)
			e.Setenv("GIT_CONFIG_NOSYSTEM", "1")
			e.Setenv("GIT_AUTHOR_NAME", "Ada Reviewer")
			e.Setenv("GIT_AUTHOR_EMAIL", "ada@example.com")
			e.Setenv("GIT_COMMITTER_NAME", "Ada Reviewer")
			e.Setenv("GIT_COMMITTER_EMAIL", "ada@example.com")
			e.Setenv("GIT_AUTHOR_DATE", "2026-11-01T10:00:00Z")
			e.Setenv("GIT_COMMITTER_DATE", "2026-11-01T10:00:00Z")
			e.Setenv("CVETRAIL_NOW", "2026-11-02")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// lines N FILE: FILE has exactly N lines.
			"lines": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 2 {
					ts.Fatalf("usage: lines N FILE")
				}
				n := strings.Count(ts.ReadFile(args[1]), "\n")
				if (args[0] == strconv.Itoa(n)) == neg {
					ts.Fatalf("%s has %d lines, want %s%s", args[1], n, map[bool]string{true: "not ", false: ""}[neg], args[0])
				}
			},
			// setdate DATE: git author/committer date and cvetrail's now.
			"setdate": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 1 {
					ts.Fatalf("usage: setdate YYYY-MM-DD")
				}
				if _, err := time.Parse("2006-01-02", args[0]); err != nil {
					ts.Fatalf("setdate: %v", err)
				}
				ts.Setenv("GIT_AUTHOR_DATE", args[0]+"T10:00:00Z")
				ts.Setenv("GIT_COMMITTER_DATE", args[0]+"T10:00:00Z")
				ts.Setenv("CVETRAIL_NOW", args[0])
			},
			// keys LEDGER OUT: writes the identity keys of the ledger's
			// findings to OUT, one "id type pkg" line each, in ledger order.
			"keys": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 2 {
					ts.Fatalf("usage: keys LEDGER OUT")
				}
				r, err := report.Decode(strings.NewReader(ts.ReadFile(args[0])))
				ts.Check(err)
				var b strings.Builder
				for _, f := range r.Findings {
					fmt.Fprintf(&b, "%s %s %s\n", f.ID, f.Type, f.Pkg)
				}
				ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(b.String()), 0o644))
			},
			// fill TEMPLATE OUT: writes TEMPLATE to OUT with every "@NUL@"
			// replaced by a NUL byte and every "@REPEAT n c@" by n copies of
			// the character c, for inputs a text archive cannot hold.
			"fill": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 2 {
					ts.Fatalf("usage: fill TEMPLATE OUT")
				}
				data := []byte(ts.ReadFile(args[0]))
				data = bytes.ReplaceAll(data, []byte("@NUL@"), []byte{0})
				data = repeatToken.ReplaceAllFunc(data, func(m []byte) []byte {
					sub := repeatToken.FindSubmatch(m)
					n, err := strconv.Atoi(string(sub[1]))
					ts.Check(err)
					return bytes.Repeat(sub[2], n)
				})
				ts.Check(os.WriteFile(ts.MkAbs(args[1]), data, 0o644))
			},
			// exitcode N PROG [ARGS...]: runs PROG like exec and checks
			// that it exits with status N; its stdout and stderr are kept
			// for stdout and stderr.
			"exitcode": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) < 2 {
					ts.Fatalf("usage: exitcode N PROG [ARGS...]")
				}
				want, err := strconv.Atoi(args[0])
				ts.Check(err)
				got := 0
				if err := ts.Exec(args[1], args[2:]...); err != nil {
					var ee *exec.ExitError
					if !errors.As(err, &ee) {
						ts.Fatalf("%s: %v", args[1], err)
					}
					got = ee.ExitCode()
				}
				if got != want {
					ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
				}
			},
		},
	})
}

// repeatToken is fill's "@REPEAT n c@".
var repeatToken = regexp.MustCompile(`@REPEAT ([0-9]+) (.)@`)
