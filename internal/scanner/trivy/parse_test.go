package trivy

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/cvetrail/cvetrail/internal/report"
)

func TestZeroFindings(t *testing.T) {
	for _, in := range []string{
		`{"SchemaVersion": 2, "ArtifactName": "app:1"}`,
		`{"SchemaVersion": 2, "ArtifactName": "app:1", "Results": null}`,
		`{"SchemaVersion": 2, "ArtifactName": "app:1", "Results": []}`,
		`{"SchemaVersion": 2, "ArtifactName": "app:1", "Results": [{"Target": "app:1 (alpine 3.20.1)", "Class": "os-pkgs", "Type": "alpine"}]}`,
		`{"SchemaVersion": 2, "ArtifactName": "app:1", "Results": [{"Target": "x", "Vulnerabilities": null, "ExperimentalModifiedFindings": null}]}`,
		`{"SchemaVersion": 2, "ArtifactName": "app:1", "Results": [{"Target": "x", "Vulnerabilities": []}]}`,
		`[]`,
		`[{"Target": "app:1 (debian 12.1)", "Vulnerabilities": null}]`,
		`[{"Target": "some/dir"}]`,
		// As deep as JSON may nest.
		`{"SchemaVersion": 2, "x": ` + strings.Repeat("[", 9999) + strings.Repeat("]", 9999) + `}`,
	} {
		r, err := Parse(strings.NewReader(in), Options{})
		if err != nil {
			t.Errorf("%.100s: %v", in, err)
			continue
		}
		if len(r.Findings) != 0 || len(r.Warnings) != 0 {
			t.Errorf("%.100s: %d findings, warnings %q", in, len(r.Findings), r.Warnings)
		}
		var out bytes.Buffer
		if err := report.Encode(&out, r); err != nil {
			t.Errorf("%.100s: Encode: %v", in, err)
		}
	}
}

func TestHeader(t *testing.T) {
	in := `{"SchemaVersion": 2, "Trivy": {"Version": "0.58.1"}, "ArtifactName": " registry.example/app:1 ",
		"Metadata": {"OS": {"Family": "alpine", "Name": "3.20.3", "EOSL": false}, "ImageID": "sha256:00"}, "Results": []}`
	r := parseBytes(t, []byte(in), Options{})
	want := report.Report{
		Header: report.Header{SchemaVersion: report.SchemaVersion, Image: "registry.example/app:1", OS: &report.OS{Family: "alpine", Version: "3.20.3"}},
		Scan:   report.ScanInfo{Scanner: "trivy", ScannerVersion: "0.58.1", Artifact: " registry.example/app:1 ", Format: FormatSchema2},
	}
	if diff := cmp.Diff(&want, r); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}

	// A UTF-8 byte order mark is skipped.
	r = parseBytes(t, append([]byte{0xEF, 0xBB, 0xBF}, in...), Options{})
	if r.Image != "registry.example/app:1" {
		t.Errorf("with a byte order mark: image %q", r.Image)
	}

	// A legacy report's image and OS come from the OS result's target.
	r = parseBytes(t, []byte(`[{"Target": "node.js.lock"}, {"Target": "amazonlinux:2 (amazon 2 (Karoo))", "Vulnerabilities": [`+vuln("CVE-1")+`]}]`), Options{})
	if r.Image != "amazonlinux:2" || r.OS == nil || *r.OS != (report.OS{Family: "amazon", Version: "2 (Karoo)"}) || r.Findings[0].Type != "rpm" {
		t.Errorf("legacy: image %q, OS %v, type %q", r.Image, r.OS, r.Findings[0].Type)
	}
}

// one parses a report with the given vulnerability fields in a Debian
// result and returns its only finding and the warnings.
func one(t *testing.T, fields ...string) (report.Finding, []string) {
	t.Helper()
	r := parseBytes(t, []byte(schema2(osResult(vuln("CVE-2024-0001", fields...)))), Options{})
	if len(r.Findings) != 1 {
		t.Fatalf("%d findings", len(r.Findings))
	}
	return r.Findings[0], r.Warnings
}

func TestFindingFields(t *testing.T) {
	f, warnings := one(t,
		`"PkgID": "bash@5.2-1"`, `"PkgPath": "usr/share/doc/bash"`,
		`"PkgIdentifier": {"PURL": "pkg:deb/debian/bash@5.2-1?arch=amd64", "UID": "abc"}`,
		`"FixedVersion": " 5.2-2 , 5.3-1,,"`, `"Status": "fixed"`, `"SeveritySource": "nvd"`,
		`"PrimaryURL": "https://avd.aquasec.com/nvd/cve-2024-0001"`, `"Title": "  bash:\n  a   bug "`,
		`"Description": "long", "References": ["a", "b"], "CweIDs": ["CWE-1"], "VendorSeverity": {"nvd": 3}`,
		`"Layer": {"Digest": "sha256:1", "DiffID": "sha256:2"}`, `"DataSource": {"ID": "debian"}`,
		`"PublishedDate": "2024-02-03T04:05:06.789Z"`, `"LastModifiedDate": "2024-03-01T00:00:00Z"`,
		`"CVSS": {"nvd": {"V3Vector": "CVSS:3.1/AV:N", "V3Score": 9.8, "V2Score": 10}}`, `"Custom": {"x": [1, {"y": null}]}`)
	want := report.Finding{
		ID: "CVE-2024-0001", Type: "deb", Pkg: "bash", Versions: []string{"5.2-1"}, Paths: []string{"usr/share/doc/bash"},
		Fixed: []string{"5.2-2", "5.3-1"}, FixState: report.Fixed, Severity: report.High, SeveritySource: "nvd",
		CVSS:  &report.CVSS{Score: 9.8, Vector: "CVSS:3.1/AV:N", Source: "nvd"},
		Title: "bash: a bug", URL: "https://avd.aquasec.com/nvd/cve-2024-0001", Published: "2024-02-03",
	}
	if diff := cmp.Diff(want, f); diff != "" {
		t.Errorf("finding (-want +got):\n%s", diff)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings %q", warnings)
	}

	// Escapes are decoded.
	f, _ = one(t, `"Title": "a \"quoted\" \u00e9t\u00e9 \ud83d\ude00 \\ \/ \t"`)
	if f.Title != "a \"quoted\" été 😀 \\ /" {
		t.Errorf("title %q", f.Title)
	}
	// A published date that is no date is dropped.
	if f, _ = one(t, `"PublishedDate": "yesterday"`); f.Published != "" {
		t.Errorf("published %q", f.Published)
	}
}

func TestFixState(t *testing.T) {
	tests := []struct {
		status, fixed string
		want          report.FixState
		warn          bool
	}{
		{`"fixed"`, `"1.1"`, report.Fixed, false},
		{`"affected"`, ``, report.NotFixed, false},
		{`"fix_deferred"`, ``, report.NotFixed, false},
		{`"under_investigation"`, ``, report.NotFixed, false},
		{`"will_not_fix"`, ``, report.WontFix, false},
		{`"end_of_life"`, ``, report.WontFix, false},
		{`"unknown"`, ``, report.FixUnknown, false},
		{`"not_affected"`, ``, report.FixUnknown, false},
		{``, `"1.1"`, report.Fixed, false},
		{``, ``, report.FixUnknown, false},
		{`null`, ``, report.FixUnknown, false},
		{`"postponed"`, ``, report.FixUnknown, true},
		// A fixed version makes a finding fixed whatever its status says
		// (report.Normalize), except a decision not to fix.
		{`"affected"`, `"1.1"`, report.Fixed, false},
		{`"will_not_fix"`, `"1.1"`, report.WontFix, false},
	}
	for _, tt := range tests {
		var fields []string
		if tt.status != "" {
			fields = append(fields, `"Status": `+tt.status)
		}
		if tt.fixed != "" {
			fields = append(fields, `"FixedVersion": `+tt.fixed)
		}
		f, warnings := one(t, fields...)
		if f.FixState != tt.want {
			t.Errorf("Status %s, FixedVersion %s: fix state %s, want %s", tt.status, tt.fixed, f.FixState, tt.want)
		}
		if got := len(warnings) > 0; got != tt.warn {
			t.Errorf("Status %s: warnings %q", tt.status, warnings)
		}
	}
}

func TestSeverity(t *testing.T) {
	for in, want := range map[string]report.Severity{
		`"CRITICAL"`: report.Critical, `"high"`: report.High, `"Medium"`: report.Medium, `"LOW"`: report.Low,
		`"UNKNOWN"`: report.Unknown, `null`: report.Unknown, `""`: report.Unknown,
	} {
		f, warnings := one(t, `"Severity": `+in)
		if f.Severity != want || len(warnings) != 0 {
			t.Errorf("Severity %s: %s, warnings %q; want %s", in, f.Severity, warnings, want)
		}
	}
	f, warnings := one(t, `"Severity": "SEVERE"`)
	if f.Severity != report.Unknown || len(warnings) != 1 || !strings.Contains(warnings[0], "CVE-2024-0001") || !strings.Contains(warnings[0], `"SEVERE"`) {
		t.Errorf("unknown severity: %s, warnings %q", f.Severity, warnings)
	}

	// Repeats of a warning are counted, not listed.
	var vulns []string
	for i := range 50 {
		vulns = append(vulns, vuln(fmt.Sprintf("CVE-2024-%04d", i), `"Severity": "SEVERE"`))
	}
	r := parseBytes(t, []byte(schema2(osResult(vulns...))), Options{})
	if len(r.Warnings) != maxWarnings+1 || !strings.Contains(r.Warnings[maxWarnings], "30 more findings") {
		t.Errorf("%d warnings, last %q", len(r.Warnings), r.Warnings[len(r.Warnings)-1])
	}
}

func TestLongTitle(t *testing.T) {
	title := strings.Repeat("overflow ", 2<<20/9)
	f, warnings := one(t, `"Title": "`+title+`"`)
	if len(f.Title) > report.MaxTitle || !strings.HasPrefix(title, f.Title) {
		t.Errorf("title of %d bytes kept as %d bytes", len(title), len(f.Title))
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "title truncated") || !strings.Contains(warnings[0], "CVE-2024-0001") {
		t.Errorf("warnings %q", warnings)
	}
}

func TestCVSS(t *testing.T) {
	tests := []struct {
		name, cvss, sevSource string
		want                  *report.CVSS
	}{
		{"none", ``, "", nil},
		{"empty", `{}`, "", nil},
		{"nvd", `{"nvd": {"V3Vector": "V3", "V3Score": 7.5, "V2Vector": "V2", "V2Score": 5}}`, "", &report.CVSS{Score: 7.5, Vector: "V3", Source: "nvd"}},
		{"severity source first", `{"nvd": {"V3Score": 9.8}, "redhat": {"V3Score": 5.3, "V3Vector": "R"}}`, "redhat", &report.CVSS{Score: 5.3, Vector: "R", Source: "redhat"}},
		{"nvd before a higher score", `{"ghsa": {"V3Score": 9.8}, "nvd": {"V3Score": 5.3}}`, "debian", &report.CVSS{Score: 5.3, Source: "nvd"}},
		{"highest score", `{"ghsa": {"V3Score": 7.1}, "redhat": {"V3Score": 8.8}}`, "", &report.CVSS{Score: 8.8, Source: "redhat"}},
		{"ties by source name", `{"redhat": {"V3Score": 8.8, "V3Vector": "R"}, "ghsa": {"V3Score": 8.8, "V3Vector": "G"}}`, "", &report.CVSS{Score: 8.8, Vector: "G", Source: "ghsa"}},
		{"V3 before V4", `{"nvd": {"V40Score": 9.3, "V40Vector": "V4"}, "ghsa": {"V3Score": 5}}`, "", &report.CVSS{Score: 5, Source: "ghsa"}},
		{"V4 before V2", `{"nvd": {"V2Score": 10}, "ghsa": {"V40Score": 6.9, "V40Vector": "V4"}}`, "", &report.CVSS{Score: 6.9, Vector: "V4", Source: "ghsa"}},
		{"V2 alone", `{"nvd": {"V2Score": 4.3, "V2Vector": "AV:N"}}`, "", &report.CVSS{Score: 4.3, Vector: "AV:N", Source: "nvd"}},
		{"vector without score", `{"nvd": {"V3Vector": "CVSS:3.1/AV:N"}}`, "", &report.CVSS{Vector: "CVSS:3.1/AV:N", Source: "nvd"}},
		{"null scores", `{"nvd": {"V3Score": null, "V3Vector": null}, "x": null}`, "", nil},
		{"out of range", `{"nvd": {"V3Score": 11}}`, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var fields []string
			if tt.cvss != "" {
				fields = append(fields, `"CVSS": `+tt.cvss)
			}
			if tt.sevSource != "" {
				fields = append(fields, `"SeveritySource": "`+tt.sevSource+`"`)
			}
			f, warnings := one(t, fields...)
			if diff := cmp.Diff(tt.want, f.CVSS); diff != "" {
				t.Errorf("CVSS (-want +got):\n%s", diff)
			}
			if tt.name == "out of range" && len(warnings) != 1 {
				t.Errorf("warnings %q", warnings)
			}
		})
	}
	// The severity source may come after the CVSS map.
	r := parseBytes(t, []byte(schema2(osResult(`{"CVSS": {"nvd": {"V3Score": 9}, "ghsa": {"V3Score": 7}}, "VulnerabilityID": "CVE-1", "PkgName": "p", "SeveritySource": "ghsa"}`))), Options{})
	if c := r.Findings[0].CVSS; c == nil || c.Source != "ghsa" {
		t.Errorf("CVSS %+v, want ghsa's", c)
	}
}

func TestPackageType(t *testing.T) {
	tests := []struct {
		name, results string
		opts          Options
		want          []string // keys
	}{
		{"result Type", `[{"Target": "x", "Type": "pnpm", "Vulnerabilities": [` + vuln("CVE-1") + `]}]`, Options{}, []string{"CVE-1 npm/bash"}},
		{"Type in another case", `[{"Target": "x", "Type": " Alpine ", "Vulnerabilities": [` + vuln("CVE-1") + `]}]`, Options{}, []string{"CVE-1 apk/bash"}},
		{"OS in the target", `[{"Target": "img (ubuntu 22.04)", "Vulnerabilities": [` + vuln("CVE-1") + `]}]`, Options{}, []string{"CVE-1 deb/bash"}},
		{"OS with spaces in the target", `[{"Target": "img (suse linux enterprise server 15.5)", "Vulnerabilities": [` + vuln("CVE-1") + `]}]`, Options{}, []string{"CVE-1 rpm/bash"}},
		{"os-pkgs and the report's OS", `{"SchemaVersion": 2, "Metadata": {"OS": {"Family": "wolfi"}}, "Results": [{"Target": "img", "Class": "os-pkgs", "Vulnerabilities": [` + vuln("CVE-1") + `]}]}`, Options{}, []string{"CVE-1 apk/bash"}},
		{"package URL", `[{"Target": "x", "Vulnerabilities": [` + vuln("CVE-1", `"PkgIdentifier": {"PURL": "pkg:Cargo/bash@1"}`) + `]}]`, Options{}, []string{"CVE-1 cargo/bash"}},
		{"package URL before an unknown Type", `[{"Target": "x", "Type": "new-lock", "Vulnerabilities": [` + vuln("CVE-1", `"PkgIdentifier": {"PURL": "pkg:swift/bash@1"}`) + `]}]`, Options{}, []string{"CVE-1 swift/bash"}},
		{"unknown Type kept", `[{"Target": "x", "Type": "New-Lock", "Vulnerabilities": [` + vuln("CVE-1") + `]}]`, Options{}, []string{"CVE-1 new-lock/bash"}},
		{"lock file name", `[{"Target": "app/Pipfile.lock", "Vulnerabilities": [` + vuln("CVE-1") + `]}]`, Options{}, []string{"CVE-1 pypi/bash"}},
		{"jar file name", `[{"Target": "opt/app/lib/log4j-core-2.14.1.jar", "Vulnerabilities": [` + vuln("CVE-1") + `]}]`, Options{}, []string{"CVE-1 maven/bash"}},
		{"aggregate target", `[{"Target": "Node.js", "Vulnerabilities": [` + vuln("CVE-1") + `]}]`, Options{}, []string{"CVE-1 npm/bash"}},
		{"package type option", `[{"Target": "some/dir", "Vulnerabilities": [` + vuln("CVE-1") + `]}]`, Options{PkgType: "gem"}, []string{"CVE-1 gem/bash"}},
		{"option after the file name", `[{"Target": "go.sum", "Vulnerabilities": [` + vuln("CVE-1") + `]}]`, Options{PkgType: "gem"}, []string{"CVE-1 golang/bash"}},
		{"secrets and misconfigurations skipped", `{"SchemaVersion": 2, "Results": [{"Target": "Dockerfile", "Class": "config", "Type": "dockerfile", "Misconfigurations": [{"ID": "DS002"}]}, {"Target": "app.env", "Class": "secret", "Secrets": [{"RuleID": "aws"}]}, {"Target": "go.mod", "Class": "lang-pkgs", "Type": "gomod", "Vulnerabilities": [` + vuln("CVE-1") + `]}]}`, Options{}, []string{"CVE-1 golang/bash"}},
		{"one package in several results", `[{"Target": "a/package-lock.json", "Vulnerabilities": [` + vuln("CVE-1", `"PkgPath": "a"`) + `]}, {"Target": "b/yarn.lock", "Type": "yarn", "Vulnerabilities": [` + vuln("CVE-1", `"PkgPath": "b"`) + `]}]`, Options{}, []string{"CVE-1 npm/bash"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.results
			r := parseBytes(t, []byte(in), tt.opts)
			if diff := cmp.Diff(tt.want, keys(r)); diff != "" {
				t.Errorf("keys (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSuppressed(t *testing.T) {
	modified := func(typ, status, statement, source, finding string) string {
		var f []string
		if typ != "" {
			f = append(f, `"Type": "`+typ+`"`)
		}
		f = append(f, `"Status": "`+status+`"`, `"Statement": "`+statement+`"`, `"Source": "`+source+`"`)
		if finding != "" {
			f = append(f, `"Finding": `+finding)
		}
		return "{" + strings.Join(f, ", ") + "}"
	}
	result := func(vulns []string, mods ...string) string {
		return schema2(`{"Target": "app:1 (debian 12.5)", "Class": "os-pkgs", "Type": "debian", "Vulnerabilities": [` +
			strings.Join(vulns, ",") + `], "ExperimentalModifiedFindings": [` + strings.Join(mods, ",") + `]}`)
	}
	tests := []struct {
		name string
		in   string
		want map[string]string // key → Suppressed
	}{
		{"trivyignore", result(nil, modified("vulnerability", "ignored", "accepted", ".trivyignore", vuln("CVE-1"))), map[string]string{"CVE-1 deb/bash": "trivyignore"}},
		{"trivyignore.yaml at a path", result(nil, modified("vulnerability", "ignored", "", "/home/ci/work/.trivyignore.yaml", vuln("CVE-1"))), map[string]string{"CVE-1 deb/bash": "trivyignore"}},
		{"rego policy", result(nil, modified("vulnerability", "ignored", "Filtered by Rego", "policy/ignore.rego", vuln("CVE-1"))), map[string]string{"CVE-1 deb/bash": "rego"}},
		{"OpenVEX file", result(nil, modified("vulnerability", "not_affected", "vulnerable_code_not_in_execute_path", "./vex.json", vuln("CVE-1"))), map[string]string{"CVE-1 deb/bash": "vex"}},
		{"CSAF file", result(nil, modified("vulnerability", "fixed", "", "testdata/advisory.json", vuln("CVE-1"))), map[string]string{"CVE-1 deb/bash": "vex"}},
		{"VEX repository", result(nil, modified("vulnerability", "not_affected", "", "VEX Repository: default (https://example.com/vex)", vuln("CVE-1"))), map[string]string{"CVE-1 deb/bash": "vex"}},
		{"CycloneDX VEX", result(nil, modified("vulnerability", "not_affected", "code_not_reachable", "CycloneDX VEX", vuln("CVE-1"))), map[string]string{"CVE-1 deb/bash": "vex"}},
		{"plugin", result(nil, modified("vulnerability", "not_affected", "", "trivy-plugin-govulncheck 0.2.0 (govulncheck v1.1.4)", vuln("CVE-1"))), map[string]string{"CVE-1 deb/bash": "govulncheck"}},
		{"Finding before Type", result(nil, `{"Finding": `+vuln("CVE-1")+`, "Source": ".trivyignore", "Status": "ignored", "Type": "vulnerability"}`), map[string]string{"CVE-1 deb/bash": "trivyignore"}},
		{"no Type", result(nil, `{"Status": "ignored", "Finding": `+vuln("CVE-1")+`}`), map[string]string{"CVE-1 deb/bash": "trivyignore"}},
		{"other finding types skipped", result([]string{vuln("CVE-2")},
			modified("misconfiguration", "ignored", "", ".trivyignore", `{"ID": "DS002", "Status": "FAIL", "Layer": {}}`),
			`{"Finding": {"RuleID": "aws-access-key-id", "Severity": "CRITICAL"}, "Type": "secret", "Status": "ignored"}`,
			modified("license", "ignored", "", "--ignored-licenses", `{"Name": "GPL-3.0", "PkgName": "bash"}`)),
			map[string]string{"CVE-2 deb/bash": ""}},
		{"suppressed only where every occurrence is", result([]string{vuln("CVE-1")}, modified("vulnerability", "ignored", "", ".trivyignore", vuln("CVE-1"))), map[string]string{"CVE-1 deb/bash": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := parseBytes(t, []byte(tt.in), Options{})
			got := map[string]string{}
			for _, f := range r.Findings {
				got[f.Key().String()] = f.Suppressed
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("suppressed findings (-want +got):\n%s", diff)
			}
		})
	}

	// A suppressed vulnerability without a finding or an id is an error.
	for in, want := range map[string]string{
		result(nil, modified("vulnerability", "ignored", "", ".trivyignore", "")):                    "suppressed finding 1: no Finding",
		result(nil, modified("vulnerability", "ignored", "", ".trivyignore", `{"PkgName": "bash"}`)): "suppressed finding 1: no VulnerabilityID",
		result(nil, `{"Finding": {"PkgName": 1}, "Type": "vulnerability"}`):                          "suppressed finding 1: PkgName: want a string, got a number",
		result(nil, `{"Finding": {"PkgName": "a", "Title": "\u12"}, "Type": "vulnerability"}`):       "invalid escape sequence",
	} {
		if _, err := Parse(strings.NewReader(in), Options{}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want %q", err, want)
		}
	}
}

func TestSuppressedBy(t *testing.T) {
	for _, tt := range []struct{ status, statement, source, want string }{
		{"ignored", "", ".trivyignore", "trivyignore"},
		{"ignored", "", "C:\\ci\\my-ignores", "trivyignore"},
		{"ignored", "Filtered by Rego", "p.rego", "rego"},
		{"ignored", "", "/etc/trivy/ignore.REGO", "rego"},
		{"not_affected", "", "trivy-plugin-govulncheck 0.2.0 (govulncheck v1.1.4)", "govulncheck"},
		{"not_affected", "", "trivy-plugin-", "plugin"},
		{"not_affected", "", "VEX attestation in OCI registry (pkg:oci/debian@sha256:1)", "vex"},
		{"under_investigation", "", "advisory.json", "vex"},
		{"", "", "", "suppressed"},
		{"Severity Adjusted", "", "x.json", "severity-adjusted"},
		{"!!!", "", "", "suppressed"},
	} {
		if got := suppressedBy(tt.status, tt.statement, tt.source); got != tt.want {
			t.Errorf("suppressedBy(%q, %q, %q) = %q, want %q", tt.status, tt.statement, tt.source, got, tt.want)
		}
	}
}

func TestMapType(t *testing.T) {
	want := map[string][]string{
		"deb":          {"debian", "ubuntu", "echo", "Debian GNU/Linux"},
		"apk":          {"alpine", "wolfi", "chainguard", "minimos"},
		"rpm":          {"redhat", "centos", "rocky", "alma", "amazon", "oracle", "photon", "suse", "opensuse", "sles", "opensuse.leap", "opensuse.tumbleweed", "opensuse-leap", "azurelinux", "cbl-mariner", "fedora", "coreos"},
		"npm":          {"npm", "yarn", "pnpm", "node-pkg", "bun"},
		"pypi":         {"pip", "pipenv", "poetry", "uv", "python-pkg", "pylock"},
		"conda":        {"conda-pkg", "conda-environment"},
		"golang":       {"gomod", "gobinary"},
		"maven":        {"jar", "pom", "gradle", "sbt"},
		"gem":          {"bundler", "gemspec"},
		"cargo":        {"cargo", "rustbinary", "rust-binary"},
		"composer":     {"composer", "composer-vendor"},
		"nuget":        {"nuget", "dotnet-core", "packages-props"},
		"conan":        {"conan"},
		"cocoapods":    {"cocoapods"},
		"swift":        {"swift"},
		"pub":          {"pub"},
		"hex":          {"hex", "mix"},
		"julia":        {"julia"},
		"bitnami":      {"bitnami"},
		"k8s":          {"kubernetes", "eks"},
		"bottlerocket": {"bottlerocket"},
	}
	for purl, types := range want {
		for _, typ := range types {
			if got, known := MapType(typ); got != purl || !known {
				t.Errorf("MapType(%q) = %q, %v; want %q, true", typ, got, known, purl)
			}
		}
	}
	if got, known := MapType(" Some-New-Type "); got != "some-new-type" || known {
		t.Errorf("MapType of an unknown type = %q, %v", got, known)
	}
}

func TestParseOSSuffix(t *testing.T) {
	for target, want := range map[string]*osInfo{
		"debian:10 (debian 10.1)":               {"debian:10", "debian", "10.1"},
		"alpine:3.19 (alpine 3.19.1)":           {"alpine:3.19", "alpine", "3.19.1"},
		"amazonlinux:2 (amazon 2 (Karoo))":      {"amazonlinux:2", "amazon", "2 (Karoo)"},
		"x (suse linux enterprise server 15.5)": {"x", "suse linux enterprise server", "15.5"},
		"registry/app:1 (Ubuntu 22.04) ":        {"registry/app:1", "Ubuntu", "22.04"},
		"app (wolfi 20230201)":                  {"app", "wolfi", "20230201"},
		"package-lock.json":                     nil,
		"Node.js":                               nil,
		"lib (v1.2)":                            nil,
		"(npm 1.0)":                             nil,
		"a (b)) (":                              nil,
		"a (b c))":                              nil,
		")":                                     nil,
		"":                                      nil,
	} {
		got, ok := parseOSSuffix(target)
		if want == nil {
			if ok {
				t.Errorf("parseOSSuffix(%q) = %+v, want none", target, got)
			}
			continue
		}
		if !ok || got != *want {
			t.Errorf("parseOSSuffix(%q) = %+v, %v; want %+v", target, got, ok, *want)
		}
	}
}

func TestTypeFromTarget(t *testing.T) {
	for target, want := range map[string]string{
		"package-lock.json": "npm", "app/yarn.lock": "npm", "pnpm-lock.yaml": "npm", "requirements.txt": "pypi",
		"Pipfile.lock": "pypi", "poetry.lock": "pypi", "uv.lock": "pypi", "go.sum": "golang", "go.mod": "golang",
		"pom.xml": "maven", "app.war": "maven", "lib/a.jar": "maven", "Gemfile.lock": "gem", "x.gemspec": "gem",
		"Cargo.lock": "cargo", "composer.lock": "composer", "vendor/composer/installed.json": "composer",
		"packages.lock.json": "nuget", "app.deps.json": "nuget", "packages.config": "nuget", `C:\src\packages.config`: "nuget",
		"Podfile.lock": "cocoapods", "Package.resolved": "swift", "pubspec.lock": "pub", "mix.lock": "hex",
		"conan.lock": "conan", "Python": "pypi", "Ruby": "gem", "Java": "maven", "Node.js": "npm",
		"some/dir": "", "installed.json": "", ".jar": "", "": "",
	} {
		got, ok := typeFromTarget(target)
		if got != want || ok != (want != "") {
			t.Errorf("typeFromTarget(%q) = %q, %v; want %q", target, got, ok, want)
		}
	}
}

// TestWarningsClipUntrustedText checks that a warning about a finding
// repeats its id and package name only in part, at a character boundary,
// however long they are.
func TestWarningsClipUntrustedText(t *testing.T) {
	id := "CVE-" + strings.Repeat("9", 100_000)
	pkg := strings.Repeat("ü", 50_000)
	in := schema2(osResult(`{"VulnerabilityID": "` + id + `", "PkgName": "` + pkg + `", "Severity": "SEVERE", "Status": "weird"}`))
	r := parseBytes(t, []byte(in), Options{})
	var parserWarnings int
	for _, w := range r.Warnings {
		if len(w) > 400 {
			t.Errorf("warning of %d bytes: %.200q…", len(w), w)
		}
		if !utf8.ValidString(w) {
			t.Errorf("warning %.200q… is not valid UTF-8", w)
		}
		if strings.Contains(w, `unknown severity "SEVERE"`) || strings.Contains(w, `unknown Status "weird"`) {
			parserWarnings++
			if !strings.HasPrefix(w, "CVE-9999") || !strings.Contains(w, " in üü") {
				t.Errorf("warning %.200q does not name the finding", w)
			}
		}
	}
	if parserWarnings != 2 {
		t.Errorf("%d warnings about the severity and status, want 2: %.500q", parserWarnings, r.Warnings)
	}
}
