package scanner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/cvetrail/cvetrail/internal/report"
)

// Spec says which scanner to run and how.
type Spec struct {
	Name     string        // "trivy" or "grype"
	Path     string        // the binary; default: Name looked up on PATH
	Args     []string      // extra arguments, placed before the image
	Timeout  time.Duration // per run; 0 means no timeout of its own
	Platform string        // --platform, such as "linux/arm64"
	CacheDir string        // trivy --cache-dir; GRYPE_DB_CACHE_DIR for grype
	Env      []string      // added to the scanner's environment ("KEY=value")
}

// Result is the outcome of a successful Scan.
type Result struct {
	// ReportPath is the scanner's output, kept for the caller, who removes
	// it when done.
	ReportPath string
	Report     *report.Report
	// Stderr is what the scanner wrote to its standard error (the last
	// 64 KiB of it).
	Stderr   string
	Duration time.Duration
}

// Kind classifies a scanner failure.
type Kind string

// The kinds of scanner failure.
const (
	Failed     Kind = "failed"     // could not start, or exited non-zero
	Timeout    Kind = "timeout"    // ran longer than Spec.Timeout
	Unparsable Kind = "unparsable" // exited 0 but its output is not a report
	Canceled   Kind = "canceled"   // the caller's context was canceled
)

// Error is a scanner run that failed.
type Error struct {
	Scanner  string // "trivy" or "grype"
	Ref      string // the image; empty for Version
	Kind     Kind
	ExitCode int    // the exit status; -1 when the scanner did not exit by itself
	Stderr   string // the last lines of the scanner's standard error
	Err      error
}

// Error names the scanner, the image and the problem, followed by the tail
// of the scanner's standard error, indented.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Scanner)
	if e.Ref != "" {
		b.WriteString(" on ")
		b.WriteString(e.Ref)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	if e.Stderr != "" {
		fmt.Fprintf(&b, "\n  %s said:", e.Scanner)
		for _, l := range strings.Split(e.Stderr, "\n") {
			b.WriteString("\n    ")
			b.WriteString(l)
		}
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

const (
	stderrKeep      = 64 << 10 // bytes of stderr kept in Result.Stderr
	stderrTailLines = 20       // lines of stderr shown in an Error
	stderrTailBytes = 4 << 10
	// waitDelay bounds the wait for the scanner's output pipes after it is
	// killed (a child process may hold them open).
	waitDelay = 5 * time.Second
)

// Scan runs the scanner on one image and parses its report. ref is a
// registry reference or a local tarball "docker-archive:PATH" or
// "oci:PATH" (Trivy gets --input PATH for those; Grype gets
// docker-archive:PATH as is, and oci-archive:PATH or oci-dir:PATH for a
// file or a directory). The commands are
//
//	trivy image --format json --scanners vuln --quiet [--platform P] [--cache-dir C] ARGS… REF
//	grype REF -o json [--platform P] ARGS…
//
// The report goes to a temporary file in dir (the system's when dir is
// ""), returned in Result.ReportPath. A scanner that exits non-zero, times
// out or writes something that is not a report gives an *Error, and its
// output file is removed.
func Scan(ctx context.Context, spec Spec, ref string, dir string) (*Result, error) {
	name, err := checkName(spec.Name)
	if err != nil {
		return nil, err
	}
	if ref == "" || strings.HasPrefix(ref, "-") {
		return nil, fmt.Errorf("scanning with %s: invalid image reference %q", name, ref)
	}
	args, err := scanArgs(name, spec, ref)
	if err != nil {
		return nil, &Error{Scanner: name, Ref: ref, Kind: Failed, ExitCode: -1, Err: err}
	}
	out, err := os.CreateTemp(dir, name+"-report-*.json")
	if err != nil {
		return nil, fmt.Errorf("scanning %s with %s: creating the report file: %w", ref, name, err)
	}
	path := out.Name()
	keep := false
	defer func() {
		if !keep {
			os.Remove(path)
		}
	}()
	started := time.Now()
	stderr, runErr := run(ctx, spec, name, ref, args, out)
	duration := time.Since(started)
	if err := out.Close(); err != nil && runErr == nil {
		runErr = &Error{Scanner: name, Ref: ref, Kind: Failed, ExitCode: -1, Err: fmt.Errorf("writing the report file: %w", err)}
	}
	if runErr != nil {
		return nil, runErr
	}
	rep, err := ParseFile(path, Options{})
	if err != nil {
		if pe, ok := err.(*ParseError); ok {
			pe.Path = "" // a temporary file: its name says nothing
		}
		return nil, &Error{Scanner: name, Ref: ref, Kind: Unparsable, ExitCode: 0, Stderr: tail(stderr),
			Err: fmt.Errorf("its output is not a report: %w", err)}
	}
	keep = true
	return &Result{ReportPath: path, Report: rep, Stderr: stderr, Duration: duration}, nil
}

func checkName(name string) (string, error) {
	switch n := strings.ToLower(strings.TrimSpace(name)); n {
	case "trivy", "grype":
		return n, nil
	}
	return "", fmt.Errorf("unknown scanner %q (want trivy or grype)", name)
}

// scanArgs builds the scanner's argument list for ref.
func scanArgs(name string, spec Spec, ref string) ([]string, error) {
	switch name {
	case "trivy":
		args := []string{"image", "--format", "json", "--scanners", "vuln", "--quiet"}
		if spec.Platform != "" {
			args = append(args, "--platform", spec.Platform)
		}
		if spec.CacheDir != "" {
			args = append(args, "--cache-dir", spec.CacheDir)
		}
		args = append(args, spec.Args...)
		if p, ok := archivePath(ref); ok {
			return append(args, "--input", p), nil
		}
		return append(args, ref), nil
	default:
		target := ref
		if p, ok := strings.CutPrefix(ref, "oci:"); ok {
			st, err := os.Stat(p)
			if err != nil {
				return nil, fmt.Errorf("image %s: %w", ref, err)
			}
			if st.IsDir() {
				target = "oci-dir:" + p
			} else {
				target = "oci-archive:" + p
			}
		}
		args := []string{target, "-o", "json"}
		if spec.Platform != "" {
			args = append(args, "--platform", spec.Platform)
		}
		return append(args, spec.Args...), nil
	}
}

// archivePath returns the path of a "docker-archive:PATH" or "oci:PATH"
// reference.
func archivePath(ref string) (string, bool) {
	for _, prefix := range []string{"docker-archive:", "oci:"} {
		if p, ok := strings.CutPrefix(ref, prefix); ok && p != "" {
			return p, true
		}
	}
	return "", false
}

// run runs the scanner with args, its standard output going to stdout. It
// returns the scanner's standard error (its last stderrKeep bytes).
func run(ctx context.Context, spec Spec, name, ref string, args []string, stdout io.Writer) (string, error) {
	fail := func(kind Kind, code int, stderr string, err error) error {
		return &Error{Scanner: name, Ref: ref, Kind: kind, ExitCode: code, Stderr: tail(stderr), Err: err}
	}
	bin := spec.Path
	if bin == "" {
		p, err := exec.LookPath(name)
		if err != nil {
			return "", fail(Failed, -1, "", fmt.Errorf("%s is not installed: it was not found on PATH (install it, or give the scanner's path)", name))
		}
		bin = p
	}
	runCtx := ctx
	if spec.Timeout > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(ctx, spec.Timeout)
		defer cancel()
	}
	cmd := exec.CommandContext(runCtx, bin, args...)
	cmd.Stdout = stdout
	errBuf := &tailBuffer{max: stderrKeep}
	cmd.Stderr = errBuf
	cmd.Env = cmd.Environ()
	if name == "grype" && spec.CacheDir != "" {
		cmd.Env = append(cmd.Env, "GRYPE_DB_CACHE_DIR="+spec.CacheDir)
	}
	cmd.Env = append(cmd.Env, spec.Env...)
	cmd.WaitDelay = waitDelay
	killGroup(cmd)
	err := cmd.Run()
	stderr := errBuf.String()
	switch {
	case err == nil:
		return stderr, nil
	case ctx.Err() != nil:
		return stderr, fail(Canceled, -1, stderr, fmt.Errorf("stopped: %w", ctx.Err()))
	case runCtx.Err() != nil:
		return stderr, fail(Timeout, -1, stderr, fmt.Errorf("timed out after %v", spec.Timeout))
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if code := ee.ExitCode(); code >= 0 {
			return stderr, fail(Failed, code, stderr, fmt.Errorf("exited with status %d", code))
		}
		return stderr, fail(Failed, -1, stderr, fmt.Errorf("killed: %v", ee))
	}
	return stderr, fail(Failed, -1, stderr, fmt.Errorf("running %s: %w", bin, err))
}

// tail returns the last lines of a scanner's standard error.
func tail(s string) string {
	s = strings.TrimRight(s, "\n\r\t ")
	if len(s) > stderrTailBytes {
		s = s[len(s)-stderrTailBytes:]
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			s = s[i+1:]
		}
	}
	lines := strings.Split(s, "\n")
	if len(lines) > stderrTailLines {
		lines = lines[len(lines)-stderrTailLines:]
	}
	return strings.Join(lines, "\n")
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(bytes.ToValidUTF8(t.buf, []byte("\uFFFD")))
}
