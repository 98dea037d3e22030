package scanner

import (
	"archive/tar"
	"bufio"
	"bytes"
	"errors"
	shared "github.com/cvetrail/cvetrail/internal/fixtures"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fixturesDir is where the shared scanner fixtures are.
var fixturesDir = shared.Dir

func fixtures(t testing.TB, scanner string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(fixturesDir(t), scanner, "*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no %s fixtures in %s (set CVETRAIL_FIXTURES)", scanner, fixturesDir(t))
	}
	return files
}

func sniff(b []byte) (Format, error) {
	return Sniff(bufio.NewReaderSize(bytes.NewReader(b), SniffWindow))
}

// tarArchive returns a small tar archive, as docker save writes one.
func tarArchive(t testing.TB) []byte {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	content := []byte(`[{"Config":"abc.json","RepoTags":["app:1"],"Layers":["l/layer.tar"]}]`)
	if err := tw.WriteHeader(&tar.Header{Name: "manifest.json", Mode: 0o644, Size: int64(len(content)), Format: tar.FormatUSTAR}); err != nil {
		t.Fatal(err)
	}
	tw.Write(content)
	tw.Close()
	return b.Bytes()
}

func TestSniffFixtures(t *testing.T) {
	for _, scanner := range []string{"trivy", "grype"} {
		for _, path := range fixtures(t, scanner) {
			t.Run(scanner+"/"+filepath.Base(path), func(t *testing.T) {
				b, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				f, err := sniff(b)
				if filepath.Base(path) == "anchore-fixture-image-simple.json" {
					// A docker-archive tar that is named like a report.
					if err == nil || !strings.Contains(err.Error(), "a tar archive, not a scanner report") || !errors.Is(err, ErrNotReport) {
						t.Errorf("Sniff = %q, %v; want the tar archive error", f, err)
					}
					return
				}
				if err != nil || f != Format(scanner) {
					t.Errorf("Sniff = %q, %v; want %q", f, err, scanner)
				}
			})
		}
	}
}

func TestSniff(t *testing.T) {
	huge := `"` + strings.Repeat("x", SniffWindow+100) + `"`
	tests := []struct {
		name   string
		in     []byte
		want   Format
		err    string // substring of the error; "" for success
		offset int64  // offset of the error, when it has one; -1 for none
	}{
		{"trivy object", []byte(`{"SchemaVersion": 2, "ArtifactName": "x"}`), Trivy, "", -1},
		{"trivy object sorted keys", []byte(`{"ArtifactID":"sha256:1","ArtifactName":"x"}`), Trivy, "", -1},
		{"trivy legacy", []byte(`[{"Target": "x (debian 10.1)", "Vulnerabilities": null}]`), Trivy, "", -1},
		{"trivy results without Target first", []byte(`[{"Class":"os-pkgs","Target":"x"}]`), Trivy, "", -1},
		{"trivy flat", []byte(`[{"VulnerabilityID": "CVE-1", "PkgName": "a"}]`), Trivy, "", -1},
		{"trivy truncated after its key", []byte(`{"SchemaVersion": 2, "Results": [`), Trivy, "", -1},
		{"grype", []byte(`{"matches":[]}`), Grype, "", -1},
		{"grype ignored first", []byte(`{"ignoredMatches":[],"matches":[]}`), Grype, "", -1},
		{"grype sorted keys", []byte(`{"descriptor":{"name":"grype"},"distro":{},"ignoredMatches":[],"matches":[]}`), Grype, "", -1},
		{"grype after a byte order mark", []byte("\uFEFF\n{\"matches\":[]}"), Grype, "", -1},
		{"grype after an escaped key", []byte(`{"\u006datches":[]}`), Grype, "", -1},

		{"empty", nil, "", "empty file, not a scanner report", -1},
		{"white space", []byte(" \n\t"), "", "a file of only white space", -1},
		{"NUL bytes", []byte("{\"matches\": \x00\x00}"), "", "binary data (a NUL byte)", 12},
		{"tar archive", tarArchive(t), "", "a tar archive, not a scanner report", -1},
		{"gzip", []byte{0x1f, 0x8b, 8, 0, 0, 0}, "", "gzip-compressed", -1},
		{"zip", []byte("PK\x03\x04rest"), "", "a zip archive", -1},
		{"UTF-16", []byte("\xff\xfe{\x00\"\x00"), "", "UTF-16 text", -1},
		{"UTF-16 without BOM", []byte("{\x00\"\x00"), "", "UTF-16 text", -1},
		{"not JSON", []byte("Report Summary\n\n┌────"), "", `not JSON: it starts with "Report Summary"`, -1},
		{"XML", []byte(`<?xml version="1.0"?><x/>`), "", "looks like XML or HTML", -1},
		{"invalid JSON", []byte(`{"hello" "x"}`), "", "invalid JSON", 9},
		{"truncated", []byte("{\"hello\": \"wor"), "", "unexpected end of input", 14},
		{"SARIF", []byte(`{"version":"2.1.0","$schema":"https://json.schemastore.org/sarif-2.1.0.json","runs":[]}`), "", "a SARIF document", -1},
		{"SARIF without schema", []byte(`{"version":"2.1.0","runs":[{"tool":{}}]}`), "", "a SARIF document", -1},
		{"CycloneDX SBOM", []byte(`{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"name":"a"}]}`), "", "a CycloneDX SBOM without vulnerabilities: it lists packages", -1},
		{"CycloneDX with vulnerabilities", []byte(`{"$schema":"http://cyclonedx.org/schema/bom-1.5.schema.json","bomFormat":"CycloneDX","specVersion":"1.5","components":[],"vulnerabilities":[{"id":"CVE-1"}]}`), "", "a CycloneDX document with vulnerabilities", -1},
		{"CycloneDX cut by the window", []byte(`{"bomFormat":"CycloneDX","components":[` + huge + `]}`), "", "a CycloneDX document, not a Trivy or Grype JSON report", -1},
		{"SPDX", []byte(`{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT"}`), "", "an SPDX SBOM", -1},
		{"Syft", []byte(`{"artifacts":[],"artifactRelationships":[],"source":{},"distro":{},"descriptor":{"name":"syft"}}`), "", "a Syft SBOM", -1},
		{"Syft without relationships", []byte(`{"artifacts":[],"source":{},"descriptor":{"name":"syft"}}`), "", "a Syft SBOM", -1},
		{"OpenVEX", []byte(`{"@context":"https://openvex.dev/ns/v0.2.0","statements":[]}`), "", "an OpenVEX document", -1},
		{"trivy-operator", []byte(`{"apiVersion":"aquasecurity.github.io/v1alpha1","kind":"VulnerabilityReport","report":{}}`), "", "a trivy-operator VulnerabilityReport", -1},
		{"Kubernetes", []byte(`{"apiVersion":"v1","kind":"Pod","spec":{}}`), "", "a Kubernetes resource (v1 Pod)", -1},
		{"random object", []byte(`{"hello":"world","n":1}`), "", `a JSON object that is not a Trivy or Grype report (its keys: "hello", "n")`, -1},
		{"empty object", []byte(`{}`), "", "an empty JSON object", -1},
		{"empty array", []byte(`[]`), "", "an empty JSON array", -1},
		{"null", []byte(`null`), "", "JSON null, not a scanner report", -1},
		{"string", []byte(`"matches"`), "", "a JSON string, not a scanner report", -1},
		{"number", []byte(`42`), "", "a JSON number", -1},
		{"array of numbers", []byte(`[1,2]`), "", "a JSON array of values that are not objects (the first is a number)", -1},
		{"array of other objects", []byte(`[{"foo":1,"bar":2}]`), "", `neither Trivy results (Target, Vulnerabilities) nor Trivy vulnerabilities (VulnerabilityID, PkgName); the first has the keys "foo", "bar"`, -1},
		{"array of empty objects", []byte(`[{}]`), "", "a JSON array of empty objects", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := sniff(tt.in)
			if tt.err == "" {
				if err != nil || got != tt.want {
					t.Errorf("Sniff = %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("Sniff = %q, want an error containing %q", got, tt.err)
			}
			if !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Sniff error %q does not contain %q", err, tt.err)
			}
			var o offsetter
			switch {
			case tt.offset < 0 && errors.As(err, &o):
				t.Errorf("error %v has offset %d, want none", err, o.Offset())
			case tt.offset >= 0 && !errors.As(err, &o):
				t.Errorf("error %v has no offset, want %d", err, tt.offset)
			case tt.offset >= 0 && o.Offset() != tt.offset:
				t.Errorf("error offset = %d, want %d", o.Offset(), tt.offset)
			}
			if !errors.Is(err, ErrNotReport) && !strings.Contains(tt.err, "unexpected end") {
				t.Errorf("error %v does not match ErrNotReport", err)
			}
		})
	}
}

func TestSniffDoesNotConsume(t *testing.T) {
	in := []byte(`{"matches":[{"vulnerability":{"id":"CVE-1"}}]}`)
	br := bufio.NewReaderSize(bytes.NewReader(in), SniffWindow)
	if f, err := Sniff(br); err != nil || f != Grype {
		t.Fatalf("Sniff = %q, %v", f, err)
	}
	rest, err := io.ReadAll(br)
	if err != nil || !bytes.Equal(rest, in) {
		t.Errorf("after Sniff the reader gives %q, %v; want the whole input", rest, err)
	}
}

func TestSniffUndecided(t *testing.T) {
	huge := `"` + strings.Repeat("x", SniffWindow) + `"`
	for _, in := range []string{
		`{"zzz":` + huge + `,"matches":[]}`,
		`[{"Extra":` + huge + `,"Target":"x"}]`,
		strings.Repeat(" ", SniffWindow+10) + `{"matches":[]}`,
	} {
		if f, err := sniff([]byte(in)); !errors.Is(err, ErrUndecided) {
			t.Errorf("Sniff(%.30q…) = %q, %v; want ErrUndecided", in, f, err)
		}
	}
	// A smaller buffer than the window is not read past.
	small := bufio.NewReaderSize(strings.NewReader(`{"abc":"`+strings.Repeat("y", 100)+`","matches":[]}`), 16)
	if f, err := Sniff(small); !errors.Is(err, ErrUndecided) {
		t.Errorf("Sniff with a 16-byte buffer = %q, %v; want ErrUndecided", f, err)
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"": Auto, "auto": Auto, "Trivy": Trivy, " grype ": Grype} {
		if got, err := ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseFormat("sarif"); err == nil || !strings.Contains(err.Error(), `unknown report format "sarif"`) {
		t.Errorf("ParseFormat(sarif) = %v, want an error naming it", err)
	}
}

// FuzzSniff checks that Sniff never panics and never consumes its input.
func FuzzSniff(f *testing.F) {
	for _, scanner := range []string{"trivy", "grype"} {
		for _, path := range fixtures(f, scanner) {
			b, err := os.ReadFile(path)
			if err != nil {
				f.Fatal(err)
			}
			if len(b) > 8<<10 {
				b = b[:8<<10]
			}
			f.Add(b)
		}
	}
	for _, s := range []string{
		``, `null`, `[]`, `{}`, `[{}]`, `{"matches":[]}`, `[{"Target":"x"}]`, `{"bomFormat":"CycloneDX","vulnerabilities":[]}`,
		`{"apiVersion":"v1","kind":"VulnerabilityReport"}`, `{"$schema":"sarif"}`, "\uFEFF{\"SchemaVersion\":2}", "\xff\xfe{\x00",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		br := bufio.NewReaderSize(bytes.NewReader(in), 4096)
		format, err := Sniff(br)
		if err == nil && format != Trivy && format != Grype {
			t.Fatalf("Sniff = %q without an error", format)
		}
		if err != nil && format != "" {
			t.Fatalf("Sniff = %q with the error %v", format, err)
		}
		rest, err := io.ReadAll(br)
		if err != nil || !bytes.Equal(rest, in) {
			t.Fatalf("Sniff consumed input: %q, %v", rest, err)
		}
	})
}
