package trivy

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/cvetrail/cvetrail/internal/report"
)

// schema2 returns a SchemaVersion 2 report with the given results.
func schema2(results ...string) string {
	return `{"SchemaVersion": 2, "ArtifactName": "registry.example/app:1", "Results": [` + strings.Join(results, ",") + `]}`
}

// osResult returns a Debian result with the given vulnerabilities.
func osResult(vulns ...string) string {
	return `{"Target": "registry.example/app:1 (debian 12.5)", "Class": "os-pkgs", "Type": "debian", "Vulnerabilities": [` + strings.Join(vulns, ",") + `]}`
}

// vuln returns a vulnerability of package bash with extra fields.
func vuln(id string, extra ...string) string {
	f := []string{`"VulnerabilityID": "` + id + `"`, `"PkgName": "bash"`, `"InstalledVersion": "5.2-1"`, `"Severity": "HIGH"`}
	return "{" + strings.Join(append(f, extra...), ", ") + "}"
}

func utf16Text(s string) []byte {
	var b []byte
	b = append(b, 0xFF, 0xFE)
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u), byte(u>>8))
	}
	return b
}

func TestBadInput(t *testing.T) {
	fixture := readFixture(t, "debian-buster.json")
	withNUL := append(append(append([]byte{}, fixture[:100]...), 0), fixture[100:]...)
	cutInString := bytes.Index(fixture, []byte("heap-based buffer")) + 4
	truncNumber := schema2(osResult(vuln("CVE-1", `"CVSS": {"nvd": {"V3Score": 9.5}}`)))
	truncNumber = truncNumber[:strings.Index(truncNumber, "9.")+2]
	noID := schema2(osResult(vuln("CVE-2024-1"), `{"PkgName": "bash", "Severity": "LOW"}`))
	noIDOffset := strings.Index(noID, `{"PkgName": "bash", "Severity": "LOW"}`)

	tests := []struct {
		name   string
		input  []byte
		opts   Options
		want   []string // substrings of the error
		offset int64    // of the *Error; -1 when the error has no position
	}{
		{"empty file", nil, Options{}, []string{"empty file"}, -1},
		{"only whitespace", []byte(" \n\t\r\n"), Options{}, []string{"empty file"}, -1},
		{"not JSON", []byte("trivy: command not found\n"), Options{}, []string{"invalid JSON", "'i'", "literal"}, 2},
		{"HTML", []byte("<html><body>502 Bad Gateway</body></html>"), Options{}, []string{"invalid JSON", "'<'"}, 0},
		{"truncated", fixture[:len(fixture)/2], Options{}, []string{"truncated JSON"}, int64(len(fixture) / 2)},
		{"truncated in a string", fixture[:cutInString], Options{}, []string{"truncated JSON", "inside a string", "result 1", "vulnerability 2 (CVE-2019-18224)"}, int64(cutInString)},
		{"truncated after the first brace", []byte("{"), Options{}, []string{"truncated JSON"}, 1},
		{"truncated number", []byte(truncNumber), Options{}, []string{"truncated JSON"}, int64(len(truncNumber))},
		{"NUL byte", withNUL, Options{}, []string{"NUL byte"}, 100},
		{"NUL bytes only", []byte{0, 0, 0, 0}, Options{}, []string{"NUL byte"}, 0},
		{"NUL after the report", append([]byte(schema2()), 0), Options{}, []string{"NUL byte"}, int64(len(schema2()))},
		{"UTF-16", utf16Text(schema2()), Options{}, []string{"UTF-16", "convert it to UTF-8"}, 0},
		{"UTF-16 without BOM", utf16Text(schema2())[2:], Options{}, []string{"UTF-16"}, 0},
		{"SARIF", []byte(`{"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0", "runs": []}`), Options{}, []string{"not a Trivy report", "SARIF"}, 0},
		{"CycloneDX SBOM", []byte(`{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": []}`), Options{}, []string{"not a Trivy report", "CycloneDX"}, 0},
		{"SPDX", []byte(`{"spdxVersion": "SPDX-2.3", "packages": []}`), Options{}, []string{"not a Trivy report", "SPDX"}, 0},
		{"Grype report", []byte(`{"matches": [], "source": {"type": "image"}, "distro": {}}`), Options{}, []string{"not a Trivy report", "Grype"}, 0},
		{"random object", []byte(`{"name": "x", "items": [1, 2, {"a": null}]}`), Options{}, []string{"not a Trivy report", "without SchemaVersion", `"name"`, `"items"`}, 0},
		{"empty object", []byte(`{}`), Options{}, []string{"not a Trivy report", "empty JSON object"}, 0},
		{"JSON null", []byte(`null`), Options{}, []string{"not a Trivy report", "null"}, 0},
		{"JSON string", []byte(`"report"`), Options{}, []string{"not a Trivy report", "a string"}, 0},
		{"JSON number", []byte(` 42 `), Options{}, []string{"not a Trivy report", "a number"}, 1},
		{"array of numbers", []byte(`[1, 2]`), Options{}, []string{"not a Trivy report", "element 1", "a number"}, 1},
		{"array of unknown objects", []byte(`[{"a": 1}]`), Options{}, []string{"not a Trivy report", "element 1", "none of the fields"}, 1},
		{"array mixing shapes", []byte(`[{"Target": "x"}, {"VulnerabilityID": "CVE-1", "PkgName": "y"}]`), Options{PkgType: "npm"}, []string{"element 2", "vulnerability", "element 1 is a Trivy result"}, 18},
		{"SchemaVersion 1", []byte(`{"SchemaVersion": 1, "Results": []}`), Options{}, []string{"unsupported Trivy report SchemaVersion 1"}, 18},
		{"SchemaVersion 3", []byte(`{"Results": [], "SchemaVersion": 3}`), Options{}, []string{"unsupported Trivy report SchemaVersion 3", "reads SchemaVersion 2"}, 33},
		{"SchemaVersion string", []byte(`{"SchemaVersion": "2"}`), Options{}, []string{"SchemaVersion: want a number, got a string"}, 18},
		{"Results not an array", []byte(`{"SchemaVersion": 2, "Results": "none"}`), Options{}, []string{"Results: want an array, got a string"}, 32},
		{"result not an object", []byte(schema2(`[]`)), Options{}, []string{"result 1: want an object, got an array"}, int64(strings.Index(schema2(`[]`), "[[") + 1)},
		{"Vulnerabilities not an array", []byte(schema2(`{"Target": "t", "Vulnerabilities": {}}`)), Options{}, []string{`result 1 ("t")`, "Vulnerabilities: want an array, got an object"}, -2},
		{"no VulnerabilityID", []byte(noID), Options{}, []string{`result 1 ("registry.example/app:1 (debian 12.5)"), vulnerability 2: no VulnerabilityID`}, int64(noIDOffset)},
		{"empty VulnerabilityID", []byte(schema2(osResult(vuln("  ")))), Options{}, []string{"vulnerability 1: no VulnerabilityID"}, -2},
		{"no PkgName", []byte(schema2(osResult(`{"VulnerabilityID": "CVE-2024-1", "PkgName": null}`))), Options{}, []string{"vulnerability 1 (CVE-2024-1): no PkgName"}, -2},
		{"Severity a number", []byte(schema2(osResult(vuln("CVE-1", `"Severity": 3`)))), Options{}, []string{"vulnerability 1 (CVE-1): Severity: want a string, got a number"}, -2},
		{"PkgName an object", []byte(schema2(osResult(`{"VulnerabilityID": "CVE-1", "PkgName": {"name": "x"}}`))), Options{}, []string{"PkgName: want a string, got an object"}, -2},
		{"CVSS a string", []byte(schema2(osResult(vuln("CVE-1", `"CVSS": "9.8"`)))), Options{}, []string{"CVSS: want an object, got a string"}, -2},
		{"CVSS score a string", []byte(schema2(osResult(vuln("CVE-1", `"CVSS": {"nvd": {"V3Score": "9.8"}}`)))), Options{}, []string{"CVSS.nvd.V3Score: want a number, got a string"}, -2},
		{"CVSS score out of range", []byte(schema2(osResult(vuln("CVE-1", `"CVSS": {"nvd": {"V3Score": 1e999}}`)))), Options{}, []string{"CVSS.nvd.V3Score: number 1e999 is out of range"}, -2},
		{"PkgIdentifier an array", []byte(schema2(osResult(vuln("CVE-1", `"PkgIdentifier": []`)))), Options{}, []string{"PkgIdentifier: want an object, got an array"}, -2},
		{"vulnerability not an object", []byte(schema2(osResult(`"CVE-1"`))), Options{}, []string{"vulnerability 1: want an object, got a string"}, -2},
		{"Metadata.OS a string", []byte(`{"SchemaVersion": 2, "Metadata": {"OS": "debian"}}`), Options{}, []string{"Metadata.OS: want an object, got a string"}, -2},
		{"flat list without a package type", []byte(`[{"VulnerabilityID": "CVE-1", "PkgName": "bash"}]`), Options{}, []string{"flat list of vulnerabilities", "--pkg-type"}, 1},
		{"legacy result of unknown type", []byte(`[{"Target": "some/dir", "Vulnerabilities": [{"VulnerabilityID": "CVE-1", "PkgName": "x"}]}]`), Options{}, []string{`result 1 ("some/dir"), vulnerability 1 (CVE-1)`, "cannot tell what kind of package", "--pkg-type"}, 1},
		{"invalid pypi name", []byte(schema2(`{"Target": "requirements.txt", "Type": "pip", "Vulnerabilities": [{"VulnerabilityID": "CVE-1", "PkgName": "_-."}]}`)), Options{}, []string{"not a valid pypi package name"}, -2},
		{"two documents", []byte(schema2() + "\n" + schema2()), Options{}, []string{"unexpected data after the end of the report"}, int64(len(schema2()) + 1)},
		{"garbage after the report", []byte(schema2() + " x"), Options{}, []string{"unexpected data after the end of the report"}, int64(len(schema2()) + 1)},
		{"trailing comma", []byte(schema2(osResult(vuln("CVE-1"), ""))), Options{}, []string{"invalid JSON", "']'"}, -2},
		{"missing comma", []byte(`{"SchemaVersion": 2 "Results": []}`), Options{}, []string{"invalid JSON", "expecting ',' or '}'"}, 20},
		{"invalid UTF-8", []byte(schema2(osResult(vuln("CVE-1", "\"Title\": \"caf\xe9\"")))), Options{}, []string{"invalid UTF-8"}, -2},
		{"control character", []byte(schema2(osResult(vuln("CVE-1", "\"Title\": \"a\tb\"")))), Options{}, []string{"control character"}, -2},
		{"invalid escape", []byte(schema2(osResult(vuln("CVE-1", `"Title": "a\qb"`)))), Options{}, []string{"invalid escape sequence"}, -2},
		{"lone surrogate", []byte(schema2(osResult(vuln("CVE-1", `"Title": "\ud800"`)))), Options{}, []string{"invalid escape sequence"}, -2},
		{"malformed number", []byte(schema2(osResult(vuln("CVE-1", `"CVSS": {"nvd": {"V3Score": 01}}`)))), Options{}, []string{"malformed number"}, -2},
		{"bad literal", []byte(`{"SchemaVersion": 2, "Results": nul}`), Options{}, []string{"invalid JSON", "literal"}, 35},
		{"deep nesting, truncated", []byte(`{"SchemaVersion": 2, "x": ` + strings.Repeat("[", 9000)), Options{}, []string{"truncated JSON", "inside an array"}, -2},
		{"too deep nesting", []byte(`{"SchemaVersion": 2, "x": ` + strings.Repeat("[", 200000)), Options{}, []string{"nested deeper than 10000 levels"}, 26 + 9999},
		{"too deep nesting in a vulnerability", []byte(schema2(osResult(vuln("CVE-1", `"x": `+strings.Repeat("[", 10000)+strings.Repeat("]", 10000))))), Options{}, []string{"vulnerability 1 (CVE-1)", "nested deeper than 10000 levels"}, -2},
	}
	for _, m := range modes {
		for _, tt := range tests {
			t.Run(m.name+"/"+tt.name, func(t *testing.T) {
				var r *report.Report
				var err error
				inMode(m, func() { r, err = Parse(bytes.NewReader(tt.input), tt.opts) })
				testBadInput(t, tt.input, tt.want, tt.offset, r, err)
			})
		}
	}
}

// testBadInput checks the result of parsing input: an error holding each
// of want, no report, and the offset (-1: no position, -2: any position).
func testBadInput(t *testing.T, input []byte, want []string, offset int64, r *report.Report, err error) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error (report with %d findings)", len(r.Findings))
	}
	if r != nil {
		t.Errorf("a report came with the error")
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
	msg := err.Error()
	var e *Error
	if errors.As(err, &e) {
		msg = e.Err.Error()
	}
	if msg == "" || msg[0] >= 'A' && msg[0] <= 'Z' && !strings.HasPrefix(msg, "NUL") {
		t.Errorf("error %q does not start in lower case", msg)
	}
	var pos interface{ Offset() int64 }
	hasPos := errors.As(err, &pos)
	switch {
	case offset == -1 && hasPos:
		t.Errorf("error has offset %d, want none", pos.Offset())
	case offset == -2 && !hasPos:
		t.Errorf("error has no offset")
	case offset >= 0 && !hasPos:
		t.Errorf("error has no offset, want %d", offset)
	case offset >= 0 && pos.Offset() != offset:
		t.Errorf("error at offset %d, want %d (%q)", pos.Offset(), offset, around(input, pos.Offset()))
	}
}

// around returns the input near offset off, for messages.
func around(b []byte, off int64) string {
	lo, hi := max(0, off-20), min(int64(len(b)), off+20)
	if lo > hi {
		return ""
	}
	return string(b[lo:hi])
}

// failingReader returns data and then a read error.
type failingReader struct {
	data []byte
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestReadError(t *testing.T) {
	boom := errors.New("connection reset")
	fixture := readFixture(t, "debian-buster.json")
	r, err := Parse(&failingReader{data: fixture[:1000], err: boom}, Options{})
	if !errors.Is(err, boom) || r != nil {
		t.Fatalf("Parse = %v, %v; want the read error", r, err)
	}
	if !strings.Contains(err.Error(), "reading the report") {
		t.Errorf("error %q does not say it is a read error", err)
	}
}
