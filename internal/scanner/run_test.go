package scanner

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cvetrail/cvetrail/internal/report"
)

// fakeScanner is the path of testdata/fakescanner, built by TestMain: a
// stand-in for the trivy and grype binaries.
var fakeScanner string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "cvetrail-fakescanner-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	fakeScanner = filepath.Join(dir, "fakescanner")
	goBin := "go"
	build := exec.Command(goBin, "build", "-o", fakeScanner, "./testdata/fakescanner")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the fake scanner: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// fake returns a Spec running the fake scanner as name, recording its
// arguments, with the given environment.
func fake(t *testing.T, name string, env ...string) (Spec, string) {
	t.Helper()
	argv := filepath.Join(t.TempDir(), "argv")
	return Spec{Name: name, Path: fakeScanner, Env: append([]string{"FAKE_ARGV=" + argv}, env...)}, argv
}

// invocations returns the argument lists the fake scanner recorded.
func invocations(t *testing.T, argv string) [][]string {
	t.Helper()
	f, err := os.Open(argv)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var args []string
		if err := json.Unmarshal(sc.Bytes(), &args); err != nil {
			t.Fatal(err)
		}
		out = append(out, args)
	}
	return out
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

const smallGrype = `{"matches":[{"vulnerability":{"id":"CVE-2024-1","severity":"High"},"artifact":{"name":"zlib","version":"1.2","type":"apk"}}],
"source":{"type":"image","target":{"userInput":"alpine:3.19"}},"distro":{"name":"alpine","version":"3.19.1"},
"descriptor":{"name":"grype","version":"0.121.3","db":{"status":{"schemaVersion":"v6.0.2","built":"2026-08-14T01:31:43Z","valid":true}}}}`

const smallTrivy = `{"SchemaVersion":2,"ArtifactName":"alpine:3.19","ArtifactType":"container_image","Metadata":{"OS":{"Family":"alpine","Name":"3.19.1"}},
"Results":[{"Target":"alpine:3.19 (alpine 3.19.1)","Class":"os-pkgs","Type":"alpine","Vulnerabilities":[{"VulnerabilityID":"CVE-2024-1","PkgName":"zlib","InstalledVersion":"1.2","Severity":"HIGH"}]}]}`

func TestScanArguments(t *testing.T) {
	archive := filepath.Join(t.TempDir(), "img.tar")
	if err := os.WriteFile(archive, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	layout := t.TempDir()
	tests := []struct {
		name   string
		spec   Spec
		ref    string
		report string
		want   []string
	}{
		{
			name:   "trivy registry image",
			spec:   Spec{Name: "trivy"},
			ref:    "alpine:3.19",
			report: smallTrivy,
			want:   []string{"image", "--format", "json", "--scanners", "vuln", "--quiet", "alpine:3.19"},
		},
		{
			name:   "trivy with everything",
			spec:   Spec{Name: "trivy", Platform: "linux/arm64", CacheDir: "/c", Args: []string{"--skip-db-update", "--offline-scan"}},
			ref:    "docker-archive:" + archive,
			report: smallTrivy,
			want: []string{"image", "--format", "json", "--scanners", "vuln", "--quiet", "--platform", "linux/arm64",
				"--cache-dir", "/c", "--skip-db-update", "--offline-scan", "--input", archive},
		},
		{
			name:   "trivy oci layout",
			spec:   Spec{Name: "trivy"},
			ref:    "oci:" + layout,
			report: smallTrivy,
			want:   []string{"image", "--format", "json", "--scanners", "vuln", "--quiet", "--input", layout},
		},
		{
			name:   "grype registry image",
			spec:   Spec{Name: "grype"},
			ref:    "alpine:3.19",
			report: smallGrype,
			want:   []string{"alpine:3.19", "-o", "json"},
		},
		{
			name:   "grype with everything",
			spec:   Spec{Name: "grype", Platform: "linux/amd64", CacheDir: "/g", Args: []string{"--by-cve"}},
			ref:    "docker-archive:" + archive,
			report: smallGrype,
			want:   []string{"docker-archive:" + archive, "-o", "json", "--platform", "linux/amd64", "--by-cve", "GRYPE_DB_CACHE_DIR=/g"},
		},
		{
			name:   "grype oci archive",
			spec:   Spec{Name: "grype"},
			ref:    "oci:" + archive,
			report: smallGrype,
			want:   []string{"oci-archive:" + archive, "-o", "json"},
		},
		{
			name:   "grype oci layout directory",
			spec:   Spec{Name: "grype"},
			ref:    "oci:" + layout,
			report: smallGrype,
			want:   []string{"oci-dir:" + layout, "-o", "json"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec, argv := fake(t, tt.spec.Name, "FAKE_REPORT="+writeFile(t, "report.json", tt.report))
			if tt.spec.CacheDir != "" && tt.spec.Name == "grype" {
				spec.Env = append(spec.Env, "FAKE_ENV=GRYPE_DB_CACHE_DIR")
			}
			spec.Platform, spec.CacheDir, spec.Args = tt.spec.Platform, tt.spec.CacheDir, tt.spec.Args
			dir := t.TempDir()
			res, err := Scan(context.Background(), spec, tt.ref, dir)
			if err != nil {
				t.Fatal(err)
			}
			got := invocations(t, argv)
			if diff := cmp.Diff([][]string{tt.want}, got); diff != "" {
				t.Errorf("arguments (-want +got):\n%s", diff)
			}
			if filepath.Dir(res.ReportPath) != dir {
				t.Errorf("report %s is not in %s", res.ReportPath, dir)
			}
			if _, err := os.Stat(res.ReportPath); err != nil {
				t.Errorf("report file: %v", err)
			}
			if res.Report == nil || len(res.Report.Findings) != 1 || res.Report.Findings[0].Key() != (report.Key{ID: "CVE-2024-1", Type: "apk", Pkg: "zlib"}) {
				t.Errorf("report = %+v, want the one zlib finding", res.Report)
			}
			if res.Report.Scan.Scanner != tt.spec.Name {
				t.Errorf("report scanner = %q, want %q", res.Report.Scan.Scanner, tt.spec.Name)
			}
		})
	}
}

func TestScanLooksUpThePath(t *testing.T) {
	bin := t.TempDir()
	if err := os.Symlink(fakeScanner, filepath.Join(bin, "grype")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)
	spec, argv := fake(t, "grype", "FAKE_REPORT="+writeFile(t, "r.json", smallGrype))
	spec.Path = ""
	if _, err := Scan(context.Background(), spec, "alpine:3.19", t.TempDir()); err != nil {
		t.Fatal(err)
	}
	if got := invocations(t, argv); len(got) != 1 {
		t.Errorf("%d invocations of grype from PATH, want 1", len(got))
	}

	t.Setenv("PATH", t.TempDir())
	_, err := Scan(context.Background(), Spec{Name: "trivy"}, "alpine:3.19", t.TempDir())
	var se *Error
	if !errors.As(err, &se) || se.Kind != Failed || !strings.Contains(err.Error(), "trivy is not installed") {
		t.Errorf("Scan without trivy on PATH = %v, want a Failed *Error saying it is not installed", err)
	}
}

func TestScanFailures(t *testing.T) {
	tests := []struct {
		name     string
		env      []string
		timeout  time.Duration
		kind     Kind
		exit     int
		msg      string // in Error()
		stderrIn string // in Error.Stderr
	}{
		{
			name: "non-zero exit",
			env:  []string{"FAKE_MODE=fail", "FAKE_EXIT=3", "FAKE_STDERR=line 1\nFATAL: failed to download vulnerability DB\n"},
			kind: Failed, exit: 3, msg: "exited with status 3", stderrIn: "FATAL: failed to download vulnerability DB",
		},
		{
			name: "timeout", env: []string{"FAKE_MODE=sleep", "FAKE_STDERR=pulling image\n"}, timeout: 300 * time.Millisecond,
			kind: Timeout, exit: -1, msg: "timed out after 300ms", stderrIn: "pulling image",
		},
		{
			name: "garbage", env: []string{"FAKE_MODE=garbage", "FAKE_STDERR=warning: odd\n"},
			kind: Unparsable, exit: 0, msg: `its output is not a report: not JSON: it starts with "Report Summary`, stderrIn: "warning: odd",
		},
		{
			name: "empty output", env: []string{"FAKE_MODE=empty"},
			kind: Unparsable, exit: 0, msg: "empty file, not a scanner report",
		},
		{
			name: "truncated output", env: []string{"FAKE_REPORT=" + `{"SchemaVersion": 2, "Results": [` + "\n" + `{"Target": "x"`},
			kind: Unparsable, exit: 0, msg: "line 2, column",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := tt.env
			for i, e := range env {
				if content, ok := strings.CutPrefix(e, "FAKE_REPORT="); ok {
					env[i] = "FAKE_REPORT=" + writeFile(t, "out.json", content)
				}
			}
			spec, _ := fake(t, "trivy", env...)
			spec.Timeout = tt.timeout
			dir := t.TempDir()
			res, err := Scan(context.Background(), spec, "alpine:3.19", dir)
			if err == nil {
				t.Fatalf("Scan succeeded: %+v", res)
			}
			if res != nil {
				t.Errorf("Scan returned a result with its error")
			}
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not an *Error", err)
			}
			if se.Kind != tt.kind || se.ExitCode != tt.exit {
				t.Errorf("kind, exit = %s, %d; want %s, %d (%v)", se.Kind, se.ExitCode, tt.kind, tt.exit, err)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not contain %q", err, tt.msg)
			}
			if !strings.HasPrefix(err.Error(), "trivy on alpine:3.19: ") {
				t.Errorf("error %q does not name the scanner and image", err)
			}
			if !strings.Contains(se.Stderr, tt.stderrIn) || (tt.stderrIn != "" && !strings.Contains(err.Error(), tt.stderrIn)) {
				t.Errorf("stderr %q (error %q) does not show %q", se.Stderr, err, tt.stderrIn)
			}
			if left := dirEntries(t, dir); len(left) != 0 {
				t.Errorf("files left in the output directory: %v", left)
			}
		})
	}
}

func TestScanCanceled(t *testing.T) {
	spec, _ := fake(t, "grype", "FAKE_MODE=sleep")
	ctx, cancel := context.WithCancel(context.Background())
	dir := t.TempDir()
	done := make(chan error, 1)
	go func() {
		_, err := Scan(ctx, spec, "alpine:3.19", dir)
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	cancel()
	err := <-done
	var se *Error
	if !errors.As(err, &se) || se.Kind != Canceled || !errors.Is(err, context.Canceled) {
		t.Errorf("Scan after cancel = %v, want a Canceled *Error matching context.Canceled", err)
	}
	if left := dirEntries(t, dir); len(left) != 0 {
		t.Errorf("files left in the output directory: %v", left)
	}
}

func TestScanRejects(t *testing.T) {
	for _, tc := range []struct {
		spec Spec
		ref  string
		want string
	}{
		{Spec{Name: "clair"}, "a:1", `unknown scanner "clair"`},
		{Spec{Name: "trivy", Path: fakeScanner}, "--help", "invalid image reference"},
		{Spec{Name: "trivy", Path: fakeScanner}, "", "invalid image reference"},
		{Spec{Name: "grype", Path: fakeScanner}, "oci:/does/not/exist", "/does/not/exist"},
	} {
		if _, err := Scan(context.Background(), tc.spec, tc.ref, t.TempDir()); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Scan(%+v, %q) = %v, want an error containing %q", tc.spec, tc.ref, err, tc.want)
		}
	}
}

func TestVersion(t *testing.T) {
	trivyVersion := `{"Version":"0.74.0","VulnerabilityDB":{"Version":2,"NextUpdate":"2126-01-01T00:00:00Z","UpdatedAt":"2026-08-13T06:07:07.99504083Z","DownloadedAt":"2026-08-13T10:03:38.383312Z"},"JavaDB":{"Version":1,"NextUpdate":"2126-01-01T00:00:00Z","UpdatedAt":"2026-08-12T00:47:02Z","DownloadedAt":"2026-08-12T03:04:55Z"}}`
	grypeVersion := "{\n \"application\": \"grype\",\n \"version\": \"0.121.3\",\n \"syftVersion\": \"v1.30.0\",\n \"buildDate\": \"2026-08-01T00:00:00Z\",\n \"gitCommit\": \"abc\",\n \"gitDescription\": \"v0.121.3\",\n \"platform\": \"linux/amd64\",\n \"goVersion\": \"go1.26.8\",\n \"compiler\": \"gc\",\n \"supportedDbSchema\": 6\n}\n"
	grypeDB := `{"schemaVersion":"v6.0.2","from":"https://grype.anchore.io/databases","built":"2026-08-14T01:31:43Z","path":"/root/.cache/grype/db/6/vulnerability.db","valid":true}`
	tests := []struct {
		name     string
		scanner  string
		cacheDir string
		env      []string
		want     report.ScanInfo
		argv     [][]string
	}{
		{
			name: "trivy", scanner: "trivy", cacheDir: "/c",
			env:  []string{"FAKE_VERSION=" + trivyVersion},
			want: report.ScanInfo{Scanner: "trivy", ScannerVersion: "0.74.0", DBVersion: "2", DBUpdated: "2026-08-13T06:07:07Z"},
			argv: [][]string{{"version", "--format", "json", "--cache-dir", "/c"}},
		},
		{
			name: "trivy without a database", scanner: "trivy",
			env:  []string{"FAKE_VERSION=" + `{"Version":"0.50.1"}`},
			want: report.ScanInfo{Scanner: "trivy", ScannerVersion: "0.50.1"},
			argv: [][]string{{"version", "--format", "json"}},
		},
		{
			name: "grype", scanner: "grype",
			env:  []string{"FAKE_VERSION=" + grypeVersion, "FAKE_DB=" + grypeDB},
			want: report.ScanInfo{Scanner: "grype", ScannerVersion: "0.121.3", DBVersion: "v6.0.2", DBUpdated: "2026-08-14T01:31:43Z"},
			argv: [][]string{{"version", "-o", "json"}, {"db", "status", "-o", "json"}},
		},
		{
			name: "grype without a database", scanner: "grype",
			env:  []string{"FAKE_VERSION=" + grypeVersion},
			want: report.ScanInfo{Scanner: "grype", ScannerVersion: "0.121.3"},
			argv: [][]string{{"version", "-o", "json"}, {"db", "status", "-o", "json"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := tt.env
			for i, e := range env {
				k, v, _ := strings.Cut(e, "=")
				env[i] = k + "=" + writeFile(t, k, v)
			}
			spec, argv := fake(t, tt.scanner, env...)
			spec.CacheDir = tt.cacheDir
			got, err := Version(context.Background(), spec)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Version (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.argv, invocations(t, argv)); diff != "" {
				t.Errorf("arguments (-want +got):\n%s", diff)
			}
		})
	}
}

func TestVersionFailures(t *testing.T) {
	spec, _ := fake(t, "trivy", "FAKE_VERSION="+writeFile(t, "v", "not json at all"))
	_, err := Version(context.Background(), spec)
	var se *Error
	if !errors.As(err, &se) || se.Kind != Unparsable {
		t.Errorf("Version with garbage output = %v, want an Unparsable *Error", err)
	}
	spec, _ = fake(t, "grype", "FAKE_VERSION=/does/not/exist")
	_, err = Version(context.Background(), spec)
	if !errors.As(err, &se) || se.Kind != Failed || se.ExitCode != 8 || !strings.Contains(err.Error(), "/does/not/exist") {
		t.Errorf("Version of a failing grype = %v, want a Failed *Error with its exit status and stderr", err)
	}
}

func TestTail(t *testing.T) {
	var lines []string
	for i := 1; i <= 50; i++ {
		lines = append(lines, fmt.Sprintf("line %d", i))
	}
	got := tail(strings.Join(lines, "\n") + "\n\n")
	if want := strings.Join(lines[30:], "\n"); got != want {
		t.Errorf("tail = %q, want the last 20 lines %q", got, want)
	}
	long := strings.Repeat("x", 10000) + "\nlast"
	if got := tail(long); got != "last" {
		t.Errorf("tail of a long first line = %q, want %q", got, "last")
	}
	tb := &tailBuffer{max: 5}
	fmt.Fprint(tb, "hello, ")
	fmt.Fprint(tb, "world")
	if got := tb.String(); got != "world" {
		t.Errorf("tailBuffer = %q, want the last 5 bytes", got)
	}
}
