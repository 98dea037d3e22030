package grype

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/cvetrail/cvetrail/internal/report"
)

// v6Report is a Grype report as written with a v6 database, authored for
// these tests: an OS package, a Python package matched by a GHSA with a CVE
// alias, a maven package with a purl, one with only Java metadata, one with
// no group at all, and a suppressed match.
const v6Report = `{
 "matches": [
  {
   "vulnerability": {
    "id": "CVE-2023-0464",
    "dataSource": "https://security-tracker.debian.org/tracker/CVE-2023-0464",
    "namespace": "debian:distro:debian:12",
    "severity": "Negligible",
    "urls": ["https://www.openssl.org/news/secadv/20230322.txt"],
    "description": "A security vulnerability has been identified in all supported versions of OpenSSL related to the verification of X.509 certificate chains. It may cause a denial of service.",
    "cvss": [],
    "fix": {"versions": ["3.0.8-1"], "state": "fixed", "available": [{"version": "3.0.8-1", "date": "2023-03-23", "kind": "first-observed"}]},
    "advisories": [],
    "risk": 0.2
   },
   "relatedVulnerabilities": [
    {
     "id": "CVE-2023-0464",
     "dataSource": "https://nvd.nist.gov/vuln/detail/CVE-2023-0464",
     "namespace": "nvd:cpe",
     "severity": "High",
     "urls": [],
     "cvss": [
      {"source": "nvd@nist.gov", "type": "Primary", "version": "3.1", "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", "metrics": {"baseScore": 7.5, "exploitabilityScore": 3.9, "impactScore": 3.6}, "vendorMetadata": {}},
      {"source": "nvd@nist.gov", "type": "Primary", "version": "2.0", "vector": "AV:N/AC:L/Au:N/C:N/I:N/A:P", "metrics": {"baseScore": 9.9}, "vendorMetadata": {}}
     ]
    }
   ],
   "matchDetails": [{"type": "exact-indirect-match", "matcher": "dpkg-matcher", "searchedBy": {"distro": {"type": "debian", "version": "12"}}, "found": {"vulnerabilityID": "CVE-2023-0464"}}],
   "artifact": {
    "id": "8c4a3f4a1b2c",
    "name": "libssl3",
    "version": "3.0.7-1",
    "type": "deb",
    "locations": [{"path": "/usr/share/doc/libssl3/copyright", "layerID": "sha256:aaaa"}, {"path": "/var/lib/dpkg/status", "layerID": "sha256:aaaa"}],
    "language": "",
    "licenses": ["Apache-2.0"],
    "cpes": ["cpe:2.3:a:libssl3:libssl3:3.0.7-1:*:*:*:*:*:*:*"],
    "purl": "pkg:deb/debian/libssl3@3.0.7-1?arch=amd64&distro=debian-12&upstream=openssl",
    "upstreams": [{"name": "openssl"}]
   }
  },
  {
   "vulnerability": {
    "id": "GHSA-j8r2-6x86-q33q",
    "dataSource": "https://github.com/advisories/GHSA-j8r2-6x86-q33q",
    "namespace": "github:language:python",
    "severity": "Medium",
    "urls": ["https://github.com/advisories/GHSA-j8r2-6x86-q33q"],
    "description": "Unintended leak of Proxy-Authorization header in requests",
    "cvss": [{"version": "3.1", "vector": "CVSS:3.1/AV:N/AC:H/PR:H/UI:R/S:C/C:H/I:N/A:N", "metrics": {"baseScore": 6.1}, "vendorMetadata": {"base_severity": "Medium"}}],
    "fix": {"versions": ["2.31.0"], "state": "fixed"},
    "advisories": []
   },
   "relatedVulnerabilities": [
    {"id": "CVE-2023-32681", "dataSource": "https://nvd.nist.gov/vuln/detail/CVE-2023-32681", "namespace": "nvd:cpe", "severity": "Medium", "urls": [], "description": "Requests is a HTTP library.", "cvss": [{"source": "nvd@nist.gov", "version": "3.1", "vector": "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:N/A:N", "metrics": {"baseScore": 6.1}}]}
   ],
   "matchDetails": [],
   "artifact": {
    "name": "Requests",
    "version": "2.25.0",
    "type": "python",
    "locations": [{"path": "/usr/local/lib/python3.11/site-packages/requests-2.25.0.dist-info/METADATA"}, {"path": "/usr/local/lib/python3.11/site-packages/requests-2.25.0.dist-info/RECORD"}],
    "language": "python",
    "purl": "pkg:pypi/requests@2.25.0"
   }
  },
  {
   "vulnerability": {
    "id": "GHSA-jfh8-c2jp-5v3q",
    "dataSource": "https://github.com/advisories/GHSA-jfh8-c2jp-5v3q",
    "namespace": "github:language:java",
    "severity": "Critical",
    "description": "Remote code injection in Log4j",
    "cvss": [{"version": "3.1", "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", "metrics": {"baseScore": 10}}],
    "fix": {"versions": ["2.15.0"], "state": "fixed"}
   },
   "relatedVulnerabilities": [{"id": "CVE-2021-44228", "namespace": "nvd:cpe", "cvss": []}],
   "artifact": {
    "name": "log4j-core",
    "version": "2.14.1",
    "type": "java-archive",
    "locations": [{"path": "/app/lib/log4j-core-2.14.1.jar"}],
    "purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
    "metadataType": "JavaMetadata",
    "metadata": {"virtualPath": "/app/lib/log4j-core-2.14.1.jar", "pomArtifactID": "log4j-core", "pomGroupID": "wrong.group"}
   }
  },
  {
   "vulnerability": {"id": "CVE-2022-42003", "severity": "High", "fix": {"versions": [], "state": "not-fixed"}},
   "relatedVulnerabilities": [],
   "artifact": {
    "name": "jackson-databind",
    "version": "2.13.0",
    "type": "java-archive",
    "locations": [{"path": "/app/app.jar"}],
    "purl": "",
    "metadata": {"virtualPath": "/app/app.jar:BOOT-INF/lib/jackson-databind-2.13.0.jar", "pomProperties": {"groupId": "com.fasterxml.jackson.core", "artifactId": "jackson-databind"}}
   }
  },
  {
   "vulnerability": {"id": "CVE-2020-9488", "severity": "Low", "fix": {"state": "wont-fix"}},
   "relatedVulnerabilities": null,
   "artifact": {"name": "mystery", "version": "1.0", "type": "java-archive", "locations": [{"path": "/opt/mystery.jar"}], "metadata": {"virtualPath": "/opt/mystery.jar"}}
  }
 ],
 "ignoredMatches": [
  {
   "vulnerability": {"id": "CVE-2023-2650", "severity": "Medium", "namespace": "debian:distro:debian:12", "fix": {"versions": [], "state": "not-fixed"}},
   "relatedVulnerabilities": [],
   "artifact": {"name": "libssl3", "version": "3.0.7-1", "type": "deb", "purl": "pkg:deb/debian/libssl3@3.0.7-1?distro=debian-12"},
   "appliedIgnoreRules": [{"vulnerability": "CVE-2023-2650", "reason": "not reachable", "namespace": ""}]
  }
 ],
 "source": {
  "type": "image",
  "target": {
   "userInput": "registry.example.com/app:1.4",
   "imageID": "sha256:1111",
   "manifestDigest": "sha256:2222",
   "tags": ["registry.example.com/app:1.4"],
   "repoDigests": ["registry.example.com/app@sha256:3333"],
   "layers": [{"digest": "sha256:aaaa", "size": 100}]
  }
 },
 "distro": {"name": "debian", "version": "12", "idLike": []},
 "descriptor": {
  "name": "grype",
  "version": "0.121.3",
  "configuration": {"output": ["json"], "db": {"auto-update": false}},
  "db": {
   "status": {"schemaVersion": "v6.0.2", "from": "https://grype.anchore.io/databases/v6/vulnerability-db.tar.zst", "built": "2026-08-14T01:31:43Z", "path": "/root/.cache/grype/db/6/vulnerability.db", "valid": true},
   "providers": {"nvd": {"captured": "2026-08-13T00:00:00Z", "input": "xxh64:1234"}}
  },
  "timestamp": "2026-08-14T08:00:00.123456+02:00"
 }
}
`

func TestParseV6Report(t *testing.T) {
	rep, err := Parse(strings.NewReader(v6Report), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := &report.Report{
		Header: report.Header{
			SchemaVersion: report.SchemaVersion,
			Image:         "registry.example.com/app:1.4",
			OS:            &report.OS{Family: "debian", Version: "12"},
		},
		Scan: report.ScanInfo{
			Scanner:        "grype",
			ScannerVersion: "0.121.3",
			DBVersion:      "v6.0.2",
			DBUpdated:      "2026-08-14T01:31:43Z",
			Artifact:       "registry.example.com/app:1.4",
			Format:         "grype",
		},
		Findings: []report.Finding{
			{
				ID: "CVE-2020-9488", Type: "maven", Pkg: "mystery", Versions: []string{"1.0"},
				Paths: []string{"opt/mystery.jar"}, FixState: report.WontFix, Severity: report.Low,
			},
			{
				ID: "CVE-2021-44228", Aliases: []string{"GHSA-jfh8-c2jp-5v3q"}, Type: "maven",
				Pkg: "org.apache.logging.log4j:log4j-core", Versions: []string{"2.14.1"},
				Paths: []string{"app/lib/log4j-core-2.14.1.jar"}, Fixed: []string{"2.15.0"},
				FixState: report.Fixed, Severity: report.Critical, SeveritySource: "ghsa",
				CVSS:  &report.CVSS{Score: 10, Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"},
				Title: "Remote code injection in Log4j", URL: "https://github.com/advisories/GHSA-jfh8-c2jp-5v3q",
			},
			{
				ID: "CVE-2022-42003", Type: "maven", Pkg: "com.fasterxml.jackson.core:jackson-databind",
				Versions: []string{"2.13.0"}, Paths: []string{"app/app.jar"}, FixState: report.NotFixed,
				Severity: report.High,
			},
			{
				ID: "CVE-2023-0464", Type: "deb", Pkg: "libssl3", Versions: []string{"3.0.7-1"},
				Fixed: []string{"3.0.8-1"}, FixState: report.Fixed, Severity: report.Low, SeveritySource: "debian",
				CVSS:  &report.CVSS{Score: 7.5, Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", Source: "nvd@nist.gov"},
				Title: "A security vulnerability has been identified in all supported versions of OpenSSL related to the verification of X.509 certificate chains.",
				URL:   "https://security-tracker.debian.org/tracker/CVE-2023-0464",
			},
			{
				ID: "CVE-2023-2650", Type: "deb", Pkg: "libssl3", Versions: []string{"3.0.7-1"},
				FixState: report.NotFixed, Severity: report.Medium, SeveritySource: "debian", Suppressed: "grype-ignore",
			},
			{
				ID: "CVE-2023-32681", Aliases: []string{"GHSA-j8r2-6x86-q33q"}, Type: "pypi", Pkg: "requests",
				Versions: []string{"2.25.0"},
				Paths: []string{
					"usr/local/lib/python3.11/site-packages/requests-2.25.0.dist-info/METADATA",
					"usr/local/lib/python3.11/site-packages/requests-2.25.0.dist-info/RECORD",
				},
				Fixed: []string{"2.31.0"}, FixState: report.Fixed, Severity: report.Medium, SeveritySource: "ghsa",
				CVSS:  &report.CVSS{Score: 6.1, Vector: "CVSS:3.1/AV:N/AC:H/PR:H/UI:R/S:C/C:H/I:N/A:N"},
				Title: "Unintended leak of Proxy-Authorization header in requests",
				URL:   "https://github.com/advisories/GHSA-j8r2-6x86-q33q",
			},
		},
		Warnings: []string{`maven package "mystery" has no group id; its name is kept as is and may not match the key another scanner gives it`},
	}
	if diff := cmp.Diff(want, rep); diff != "" {
		t.Errorf("Parse mismatch (-want +got):\n%s", diff)
	}
}

// v5Report is the shape of a report written with a v5 database (2023), and
// a directory scan.
const v5Report = `{"matches":[{"vulnerability":{"id":"GHSA-xxxx-yyyy-zzzz","dataSource":"","severity":"Important","urls":["https://example.com/advisory"],"cvss":[{"version":"3.0","vector":"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H","metrics":{"baseScore":9.8}},{"version":"3.1","vector":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H","metrics":{"baseScore":9.8}}],"fix":{"versions":[],"state":"unknown"}},"relatedVulnerabilities":[],"artifact":{"name":"github.com/Foo/bar","version":"v1.2.3","type":"go-module","locations":[{"path":"/go.mod"}],"purl":"pkg:golang/github.com/Foo/bar@v1.2.3"}}],
"source":{"type":"directory","target":"/src/project"},"distro":{"name":"rockylinux","version":"8.7","idLike":["rhel"]},
"descriptor":{"name":"grype","version":"0.65.1","db":{"built":"2023-08-01T01:24:17.123Z","schemaVersion":5,"location":"/root/.cache/grype/db/5","checksum":"sha256:abc","error":null},"timestamp":""}}`

func TestParseV5Report(t *testing.T) {
	rep, err := Parse(strings.NewReader(v5Report), Options{})
	if err != nil {
		t.Fatal(err)
	}
	wantScan := report.ScanInfo{Scanner: "grype", ScannerVersion: "0.65.1", DBVersion: "5", DBUpdated: "2023-08-01T01:24:17Z", Artifact: "/src/project", Format: "grype"}
	if diff := cmp.Diff(wantScan, rep.Scan); diff != "" {
		t.Errorf("scan info (-want +got):\n%s", diff)
	}
	wantHeader := report.Header{SchemaVersion: 1, Image: "/src/project", OS: &report.OS{Family: "rocky", Version: "8.7"}}
	if diff := cmp.Diff(wantHeader, rep.Header); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	want := []report.Finding{{
		ID: "GHSA-xxxx-yyyy-zzzz", Type: "golang", Pkg: "github.com/Foo/bar", Versions: []string{"v1.2.3"},
		Paths: []string{"go.mod"}, FixState: report.FixUnknown, Severity: report.High,
		CVSS: &report.CVSS{Score: 9.8, Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"},
		URL:  "https://example.com/advisory",
	}}
	if diff := cmp.Diff(want, rep.Findings); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

// oldReport is the shape Grype wrote before 2021: links, cvssV3 and
// fixedInVersion, and an "alpine" purl.
const oldReport = `{"matches":[{"vulnerability":{"id":"CVE-2019-14697","severity":"High","links":["https://nvd.nist.gov/vuln/detail/CVE-2019-14697"],"description":"musl libc through 1.1.23 has an x87 floating-point stack adjustment imbalance.","cvssV2":{"baseScore":7.5,"vector":"AV:N/AC:L/Au:N/C:P/I:P/A:P"},"cvssV3":{"baseScore":9.8,"vector":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"},"fixedInVersion":"1.1.20-r5"},"matchDetails":{"matcher":"apkdb-matcher"},"artifact":{"name":"musl","version":"1.1.20-r4","type":"apk","locations":[{"path":"/lib/apk/db/installed","layerID":"sha256:x"}],"purl":"pkg:alpine/musl@1.1.20-r4?arch=x86_64"}}],"source":{"type":"image","target":{"userInput":"alpine:3.9","tags":["alpine:3.9"]}},"distro":{"name":"alpine","version":"3.9.4","idLike":""},"descriptor":{"name":"grype","version":"0.7.0"}}`

func TestParseOldReport(t *testing.T) {
	rep, err := Parse(strings.NewReader(oldReport), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []report.Finding{{
		ID: "CVE-2019-14697", Type: "apk", Pkg: "musl", Versions: []string{"1.1.20-r4"},
		Fixed: []string{"1.1.20-r5"}, FixState: report.Fixed, Severity: report.High,
		CVSS:  &report.CVSS{Score: 9.8, Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"},
		Title: "musl libc through 1.1.23 has an x87 floating-point stack adjustment imbalance.",
		URL:   "https://nvd.nist.gov/vuln/detail/CVE-2019-14697",
	}}
	if diff := cmp.Diff(want, rep.Findings); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if rep.Image != "alpine:3.9" {
		t.Errorf("image = %q, want alpine:3.9", rep.Image)
	}
}

func TestParseDetails(t *testing.T) {
	match := func(vuln, artifact string) string {
		return `{"matches":[{"vulnerability":` + vuln + `,"artifact":` + artifact + `}],"source":{"type":"image","target":{"tags":["t:1"]}}}`
	}
	tests := []struct {
		name     string
		in       string
		check    func(*report.Finding) string
		warnings []string
	}{
		{
			name: "unknown severity is UNKNOWN with a warning",
			in:   match(`{"id":"CVE-1","severity":"Severe"}`, `{"name":"a","type":"npm"}`),
			check: func(f *report.Finding) string {
				return cmp.Diff(report.Unknown, f.Severity)
			},
			warnings: []string{`CVE-1 in a: unknown severity "Severe" stored as UNKNOWN`},
		},
		{
			name: "unknown type is kept",
			in:   match(`{"id":"CVE-1"}`, `{"name":"a","type":"Weird-Thing"}`),
			check: func(f *report.Finding) string {
				return cmp.Diff("weird-thing", f.Type)
			},
		},
		{
			name: "purl type wins over artifact type",
			in:   match(`{"id":"CVE-1"}`, `{"name":"Newtonsoft.Json","type":"binary","purl":"pkg:nuget/Newtonsoft.Json@12.0.1"}`),
			check: func(f *report.Finding) string {
				return cmp.Diff("nuget", f.Type) + cmp.Diff("Newtonsoft.Json", f.Pkg)
			},
		},
		{
			name: "invalid purl falls back to the type with a warning",
			in:   match(`{"id":"CVE-1"}`, `{"name":"x","type":"rust-crate","purl":"not a purl"}`),
			check: func(f *report.Finding) string {
				return cmp.Diff("cargo", f.Type)
			},
			warnings: []string{`package x: package URL "not a purl" is invalid (purl scheme is not "pkg": "not a purl"); using the artifact type "rust-crate"`},
		},
		{
			name: "maven purl without namespace uses the metadata group",
			in:   match(`{"id":"CVE-1"}`, `{"name":"a","type":"java-archive","purl":"pkg:maven/a@1","metadata":{"pomGroupID":"g.h"}}`),
			check: func(f *report.Finding) string {
				return cmp.Diff("g.h:a", f.Pkg)
			},
		},
		{
			name: "maven name already with a group is kept",
			in:   match(`{"id":"CVE-1"}`, `{"name":"g:a","type":"jenkins-plugin"}`),
			check: func(f *report.Finding) string {
				return cmp.Diff("maven", f.Type) + cmp.Diff("g:a", f.Pkg)
			},
		},
		{
			name: "url falls back to the first url",
			in:   match(`{"id":"CVE-1","dataSource":"","urls":["https://a","https://b"]}`, `{"name":"a","type":"gem"}`),
			check: func(f *report.Finding) string {
				return cmp.Diff("https://a", f.URL)
			},
		},
		{
			name: "cvss ties go to the newer version",
			in: match(`{"id":"CVE-1","cvss":[{"version":"3.0","vector":"CVSS:3.0/X","metrics":{"baseScore":7}},{"version":"4.0","vector":"CVSS:4.0/Y","metrics":{"baseScore":7}},{"version":"2.0","vector":"Z","metrics":{"baseScore":10}}]}`,
				`{"name":"a","type":"npm"}`),
			check: func(f *report.Finding) string {
				return cmp.Diff(&report.CVSS{Score: 7, Vector: "CVSS:4.0/Y"}, f.CVSS)
			},
		},
		{
			name: "only a version-2 score gives no cvss",
			in:   match(`{"id":"CVE-1","cvss":[{"version":"2.0","vector":"Z","metrics":{"baseScore":10}}]}`, `{"name":"a","type":"npm"}`),
			check: func(f *report.Finding) string {
				return cmp.Diff((*report.CVSS)(nil), f.CVSS)
			},
		},
		{
			name: "image from tags when there is no userInput",
			in:   match(`{"id":"CVE-1"}`, `{"name":"a","type":"npm"}`),
			check: func(f *report.Finding) string {
				return ""
			},
		},
		{
			name: "title from the related description when the match has none",
			in:   `{"matches":[{"vulnerability":{"id":"CVE-1","description":""},"relatedVulnerabilities":[{"id":"CVE-1","description":"First. Second."}],"artifact":{"name":"a","type":"npm"}}]}`,
			check: func(f *report.Finding) string {
				return cmp.Diff("First.", f.Title)
			},
		},
		{
			name: "escaped keys and values",
			in:   `{"m\u0061tches":[{"vulnerability":{"id":"CVE-\u0031"},"artifact":{"name":"caf\u00e9","type":"npm"}}]}`,
			check: func(f *report.Finding) string {
				return cmp.Diff("CVE-1", f.ID) + cmp.Diff("café", f.Pkg)
			},
		},
		{
			name: "byte order mark",
			in:   "\uFEFF" + match(`{"id":"CVE-1"}`, `{"name":"a","type":"npm"}`),
			check: func(f *report.Finding) string {
				return cmp.Diff("CVE-1", f.ID)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Parse(strings.NewReader(tt.in), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Findings) != 1 {
				t.Fatalf("%d findings, want 1", len(rep.Findings))
			}
			if d := tt.check(&rep.Findings[0]); d != "" {
				t.Error(d)
			}
			if diff := cmp.Diff(tt.warnings, rep.Warnings); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseImageFromTags(t *testing.T) {
	rep, err := Parse(strings.NewReader(`{"matches":[],"source":{"type":"image","target":{"userInput":"","tags":["t:1"],"repoDigests":["r@sha256:1"]}}}`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Image != "t:1" {
		t.Errorf("image = %q, want the first tag t:1", rep.Image)
	}
}

func TestParseDuplicateMatchesMerge(t *testing.T) {
	// The same vulnerability found twice in one package (two locations), and
	// found by its CVE through NVD: one finding.
	in := `{"matches":[
	{"vulnerability":{"id":"GHSA-1","severity":"Low"},"relatedVulnerabilities":[{"id":"CVE-9"}],"artifact":{"name":"a","version":"1","type":"npm","locations":[{"path":"/x/node_modules/a/package.json"}]}},
	{"vulnerability":{"id":"GHSA-1","severity":"Low"},"relatedVulnerabilities":[{"id":"CVE-9"}],"artifact":{"name":"a","version":"2","type":"npm","locations":[{"path":"/y/node_modules/a/package.json"}]}},
	{"vulnerability":{"id":"CVE-9","severity":"High"},"artifact":{"name":"a","version":"1","type":"npm"}}]}`
	rep, err := Parse(strings.NewReader(in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []report.Finding{{
		ID: "CVE-9", Aliases: []string{"GHSA-1"}, Type: "npm", Pkg: "a", Versions: []string{"1", "2"},
		Paths:    []string{"x/node_modules/a/package.json", "y/node_modules/a/package.json"},
		FixState: report.FixUnknown, Severity: report.High,
	}}
	if diff := cmp.Diff(want, rep.Findings); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

func TestParseDatabaseWarnings(t *testing.T) {
	in := `{"matches":[],"descriptor":{"name":"grype","version":"1","db":{"status":{"schemaVersion":"v6.0.2","valid":false,"error":"checksum mismatch"}}}}`
	rep, err := Parse(strings.NewReader(in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"grype reported its vulnerability database as invalid", "grype reported a vulnerability database error: checksum mismatch"}
	if diff := cmp.Diff(want, rep.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

// TestParseWarningsClipUntrustedText checks that warnings repeat the
// report's untrusted text (ids, names, spellings, package URLs) only in
// part, at a character boundary, however long it is.
func TestParseWarningsClipUntrustedText(t *testing.T) {
	id := "CVE-" + strings.Repeat("7", 100_000)
	name := strings.Repeat("ж", 50_000)
	long := strings.Repeat("x", 100_000)
	in := `{"matches":[` +
		`{"vulnerability":{"id":"` + id + `","severity":"` + long + `","fix":{"state":"` + long + `"}},"artifact":{"name":"` + name + `","version":"1","type":"deb"}},` +
		`{"vulnerability":{"id":"CVE-2024-1","severity":"High"},"artifact":{"name":"` + name + `","version":"1","type":"deb","purl":"pkg:` + long + `"}},` +
		`{"vulnerability":{"id":"CVE-2024-2","severity":"High"},"artifact":{"name":"` + name + `","version":"1","type":"java-archive"}}` +
		`],"descriptor":{"name":"grype","version":"1","db":{"status":{"valid":true,"error":"` + long + `"}}}}`
	rep, err := Parse(strings.NewReader(in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"unknown severity", "unknown fix state", "package URL", "has no group id", "database error"} {
		found := false
		for _, w := range rep.Warnings {
			if strings.Contains(w, want) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("no warning about %q in %.600q", want, rep.Warnings)
		}
	}
	for _, w := range rep.Warnings {
		if len(w) > 600 {
			t.Errorf("warning of %d bytes: %.200q…", len(w), w)
		}
		if !utf8.ValidString(w) {
			t.Errorf("warning %.200q… is not valid UTF-8", w)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		want   string // substring of the error
		offset int64  // -1: no *Error expected
	}{
		{"empty", "", "empty input", 0},
		{"only space", "  \n", "empty input", 0},
		{"not JSON", "hello", "invalid JSON: invalid character 'h'", 0},
		{"array", `[{"matches":[]}]`, "not a Grype report: the document is an array", 0},
		{"tar-like", "08a9495c0a48/VERSION\x00", "invalid JSON", 0},
		{"two numbers", "1 2", "invalid JSON: the input is not one JSON value", 0},
		{"no matches", `{"source":{}}`, `no "matches" array`, 0},
		{"truncated", `{"matches":[{"vulnerability":{"id":"CVE-1"`, "unexpected end of input", 42},
		{"no id", `{"matches":[{"vulnerability":{"id":""},"artifact":{"name":"a","type":"npm"}}]}`, "matches[0]: the vulnerability has no id", 12},
		{"no name", `{"matches": [ {"vulnerability":{"id":"CVE-1"},"artifact":{"type":"npm"}}]}`, "matches[0] (CVE-1): the artifact has no name", 14},
		{"no type", `{"matches":[{"vulnerability":{"id":"CVE-1"},"artifact":{"name":"a"}}]}`, "the artifact has no type and no package URL", 12},
		{"second match", `{"matches":[{"vulnerability":{"id":"CVE-1"},"artifact":{"name":"a","type":"npm"}},` + "\n" + ` {"vulnerability":{"id":"CVE-2"},"artifact":{"type":"npm"}}]}`, "matches[1] (CVE-2)", 84},
		{"ignored match", `{"matches":[],"ignoredMatches":[{"vulnerability":{},"artifact":{"name":"a","type":"npm"}}]}`, "ignoredMatches[0]: the vulnerability has no id", 32},
		{"wrong type", `{"matches":[{"vulnerability":{"id":7}}]}`, `/matches/0/vulnerability/id: expected a string, found a number`, 35},
		{"matches not an array", `{"matches":{}}`, "expected an array, found an object", 11},
		{"trailing data", `{"matches":[]} {"matches":[]}`, "unexpected data after", 15},
		{"invalid UTF-8", "{\"matches\":[{\"vulnerability\":{\"id\":\"\xff\"}}]}", "invalid UTF-8", 36},
		{"duplicate-looking garbage", `{"matches":[}`, "invalid JSON", 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Parse(strings.NewReader(tt.in), Options{})
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", rep)
			}
			if rep != nil {
				t.Errorf("Parse returned a report with the error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not an *Error", err)
			}
			if pe.Offset() != tt.offset {
				t.Errorf("offset = %d, want %d (error %v)", pe.Offset(), tt.offset, err)
			}
			if strings.Contains(pe.Unwrap().Error(), "offset") {
				t.Errorf("Unwrap() = %q repeats the offset", pe.Unwrap())
			}
		})
	}
}

func TestTitle(t *testing.T) {
	long := strings.Repeat("word ", 60) // 300 bytes, one sentence
	tests := []struct{ in, want string }{
		{"", ""},
		{"One sentence without end", "One sentence without end"},
		{"First sentence. Second sentence.", "First sentence."},
		{"Use e.g. The thing. Then more.", "Use e.g. The thing."},
		{"Version 1.2.3 is bad. Upgrade.", "Version 1.2.3 is bad."},
		{"lower. case continues. Still one", "lower. case continues."},
		{"Para one\nwraps here.\n\nPara two.", "Para one wraps here."},
		{"  spaced \t out\n text  ", "spaced out text"},
		{long, strings.TrimSpace(strings.Repeat("word ", 39)) + "…"},
		{strings.Repeat("é", 150), strings.Repeat("é", 98) + "…"},
	}
	for _, tt := range tests {
		got := Title(tt.in)
		if got != tt.want {
			t.Errorf("Title(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if len(got) > MaxTitle {
			t.Errorf("Title(%q) is %d bytes, more than %d", tt.in, len(got), MaxTitle)
		}
		if Title(got) != got && !strings.HasSuffix(got, "…") {
			t.Errorf("Title is not stable on its own output %q", got)
		}
	}
}

func TestMapType(t *testing.T) {
	tests := []struct {
		in, want string
		known    bool
	}{
		{"deb", "deb", true},
		{"apk", "apk", true},
		{"rpm", "rpm", true},
		{"python", "pypi", true},
		{"npm", "npm", true},
		{"go-module", "golang", true},
		{"java-archive", "maven", true},
		{"jenkins-plugin", "maven", true},
		{"gem", "gem", true},
		{"rust-crate", "cargo", true},
		{"dotnet", "nuget", true},
		{"php-composer", "composer", true},
		{"conan", "conan", true},
		{"cocoapods", "cocoapods", true},
		{"swift", "swift", true},
		{"dart-pub", "pub", true},
		{"hex", "hex", true},
		{"conda", "conda", true},
		{"binary", "binary", true},
		{"R-package", "cran", true},
		{"portage", "ebuild", true},
		{" Python ", "pypi", true},
		{"something-new", "something-new", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, known := MapType(tt.in)
		if got != tt.want || known != tt.known {
			t.Errorf("MapType(%q) = %q, %v; want %q, %v", tt.in, got, known, tt.want, tt.known)
		}
	}
}
