package scanner

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cvetrail/cvetrail/internal/report"
)

func TestParseFileFixtures(t *testing.T) {
	for _, scanner := range []string{"trivy", "grype"} {
		for _, path := range fixtures(t, scanner) {
			t.Run(scanner+"/"+filepath.Base(path), func(t *testing.T) {
				rep, err := ParseFile(path, Options{})
				if filepath.Base(path) == "anchore-fixture-image-simple.json" {
					want := path + ": a tar archive, not a scanner report"
					if err == nil || !strings.HasPrefix(err.Error(), want) || !errors.Is(err, ErrNotReport) {
						t.Errorf("ParseFile = %v; want an error starting with %q", err, want)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if rep.Scan.Scanner != scanner {
					t.Errorf("scanner = %q, want %q", rep.Scan.Scanner, scanner)
				}
			})
		}
	}
}

func TestParseFileErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	tests := []struct {
		name    string
		path    string
		opts    Options
		want    string // the whole message after "PATH: "
		line    int
		column  int
		notRepo bool // matches ErrNotReport
	}{
		{
			name: "truncated grype",
			path: write("grype.json", "{\n  \"matches\": [\n    {\"vulnerability\": {\"id\": \"CVE-1\""),
			want: "line 3, column 37: grype report: unexpected end of input (truncated file?) in /matches/0/vulnerability",
			line: 3, column: 37,
		},
		{
			name: "truncated trivy",
			path: write("trivy.json", "{\n \"SchemaVersion\": 2,\n \"Results\": [\n  {\"Target\": \"é"),
			want: "line 4, column 16: trivy report: ", line: 4, column: 16,
		},
		{
			name: "grype match without id",
			path: write("noid.json", "{\"matches\": [\n\n  {\"vulnerability\": {}, \"artifact\": {\"name\": \"a\", \"type\": \"npm\"}}]}"),
			want: "line 3, column 3: grype report: matches[0]: the vulnerability has no id", line: 3, column: 3,
		},
		{
			name: "empty", path: write("empty.json", ""),
			want: "empty file, not a scanner report", notRepo: true,
		},
		{
			name: "NUL", path: write("bin.json", "{\n\x00"),
			want: "line 2, column 1: binary data (a NUL byte), not a JSON scanner report", line: 2, column: 1, notRepo: true,
		},
		{
			name: "random object", path: write("random.json", `{"a": 1}`),
			want: `a JSON object that is not a Trivy or Grype report (its keys: "a")`, notRepo: true,
		},
		{
			name: "forced format", path: write("forced.json", `{"matches": []}`), opts: Options{Format: Trivy},
			want: "line 1, column 1: trivy report: ", line: 1, column: 1,
		},
		{
			name: "unknown format", path: write("unknown.json", `{"matches": []}`), opts: Options{Format: "sarif"},
			want: `unknown report format "sarif"`,
		},
		{
			name: "missing file", path: filepath.Join(dir, "nope.json"),
			want: "cannot open: no such file or directory",
		},
		{
			name: "directory", path: dir,
			want: "is a directory, not a report file",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := ParseFile(tt.path, tt.opts)
			if err == nil {
				t.Fatalf("ParseFile succeeded: %+v", rep)
			}
			if rep != nil {
				t.Error("ParseFile returned a report with its error")
			}
			if want := tt.path + ": " + tt.want; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error\n%q\ndoes not start with\n%q", err, want)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			if pe.Line != tt.line || pe.Column != tt.column {
				t.Errorf("position = %d:%d, want %d:%d", pe.Line, pe.Column, tt.line, tt.column)
			}
			if got := errors.Is(err, ErrNotReport); got != tt.notRepo {
				t.Errorf("errors.Is(err, ErrNotReport) = %v, want %v", got, tt.notRepo)
			}
			if strings.Count(err.Error(), "offset") > 0 && pe.Line > 0 {
				t.Errorf("error %q repeats the byte offset next to the line and column", err)
			}
		})
	}
}

func TestLineColumn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	content := "ab\ncdé\n\nxyz"
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		offset    int64
		line, col int
	}{
		{0, 1, 1}, {2, 1, 3}, {3, 2, 1}, {5, 2, 3}, {7, 2, 4}, {8, 3, 1}, {9, 4, 1}, {12, 4, 4},
	} {
		line, col, err := lineColumn(path, tc.offset)
		if err != nil || line != tc.line || col != tc.col {
			t.Errorf("lineColumn(%d) = %d:%d, %v; want %d:%d", tc.offset, line, col, err, tc.line, tc.col)
		}
	}
}

func TestParseDecidesWhileStreaming(t *testing.T) {
	// The first key's value is larger than the sniff window: the format is
	// known only after it.
	huge := strings.Repeat("x", 3*SniffWindow)
	grypeDoc := `{"comment": "` + huge + `", "matches": [{"vulnerability": {"id": "CVE-1"}, "artifact": {"name": "a", "type": "npm"}}]}`
	trivyDoc := `[{"Note": "` + huge + `", "Target": "package-lock.json", "Type": "npm", "Vulnerabilities": [{"VulnerabilityID": "CVE-1", "PkgName": "a"}]}]`
	want := report.Key{ID: "CVE-1", Type: "npm", Pkg: "a"}
	for name, doc := range map[string]string{"grype": grypeDoc, "trivy": trivyDoc} {
		t.Run(name+" from a file", func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "r.json")
			if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
				t.Fatal(err)
			}
			rep, err := ParseFile(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Findings) != 1 || rep.Findings[0].Key() != want || rep.Scan.Scanner != name {
				t.Errorf("report = %+v, want one %v finding from %s", rep, want, name)
			}
		})
		t.Run(name+" from a stream", func(t *testing.T) {
			t.Setenv("TMPDIR", t.TempDir())
			// io.MultiReader hides any Seek method.
			rep, err := Parse(io.MultiReader(strings.NewReader(doc)), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Findings) != 1 || rep.Findings[0].Key() != want || rep.Scan.Scanner != name {
				t.Errorf("report = %+v, want one %v finding from %s", rep, want, name)
			}
			if left := dirEntries(t, os.Getenv("TMPDIR")); len(left) != 0 {
				t.Errorf("spool files left behind: %v", left)
			}
		})
	}
	t.Run("a huge unrelated object", func(t *testing.T) {
		_, err := Parse(io.MultiReader(strings.NewReader(`{"comment": "`+huge+`", "other": 1}`)), Options{})
		if err == nil || !strings.Contains(err.Error(), `its keys: "comment", "other"`) {
			t.Errorf("Parse = %v, want the random-object error", err)
		}
	})
	t.Run("a seekable stream not at its start", func(t *testing.T) {
		r := strings.NewReader("garbage" + grypeDoc)
		if _, err := r.Seek(int64(len("garbage")), io.SeekStart); err != nil {
			t.Fatal(err)
		}
		rep, err := Parse(r, Options{})
		if err != nil || len(rep.Findings) != 1 {
			t.Errorf("Parse = %+v, %v; want one finding", rep, err)
		}
	})
}

func TestParseStream(t *testing.T) {
	rep, err := Parse(bytes.NewReader([]byte(smallGrype)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Image != "alpine:3.19" || rep.Scan.Format != "grype" {
		t.Errorf("report header %+v, scan %+v", rep.Header, rep.Scan)
	}
	_, err = Parse(strings.NewReader(`{"matches": [`), Options{})
	if want := "byte offset 13: grype report: unexpected end of input"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Parse(truncated) = %v, want an error starting with %q", err, want)
	}
}

func TestParsePkgType(t *testing.T) {
	flat := `[{"VulnerabilityID": "CVE-1", "PkgName": "Django", "Severity": "HIGH"}]`
	if _, err := Parse(strings.NewReader(flat), Options{}); err == nil {
		t.Error("a flat list without a package type parsed; want an error")
	}
	rep, err := Parse(strings.NewReader(flat), Options{PkgType: "pip"})
	if err != nil {
		t.Fatal(err)
	}
	want := []report.Key{{ID: "CVE-1", Type: "pypi", Pkg: "django"}}
	var got []report.Key
	for _, f := range rep.Findings {
		got = append(got, f.Key())
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
}
