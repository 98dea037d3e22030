package scanner

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cvetrail/cvetrail/internal/report"
)

// The same image scanned by both scanners, written for this test: a Debian
// package whose advisory Grype rates Negligible and Trivy LOW, a Python
// package that Grype matches by its GHSA (with the CVE as related
// vulnerability) and Trivy by its CVE, under Trivy's "pip" type, and a
// maven package that Grype names by its artifact id (the group is in the
// purl) and Trivy as group:artifact.
const (
	crossTrivy = `{
  "SchemaVersion": 2,
  "CreatedAt": "2026-08-14T08:00:00Z",
  "ArtifactName": "registry.example.com/app:1.4",
  "ArtifactType": "container_image",
  "Metadata": {"OS": {"Family": "debian", "Name": "12.5"}},
  "Results": [
    {
      "Target": "registry.example.com/app:1.4 (debian 12.5)",
      "Class": "os-pkgs",
      "Type": "debian",
      "Vulnerabilities": [
        {"VulnerabilityID": "CVE-2011-3374", "PkgName": "apt", "InstalledVersion": "2.6.1", "Status": "affected",
         "SeveritySource": "debian", "Severity": "LOW", "PrimaryURL": "https://avd.aquasec.com/nvd/cve-2011-3374",
         "Title": "It was found that apt-key in apt, all versions, do not correctly validate gpg keys with the master keyring, leading to a potential man-in-the-middle attack."}
      ]
    },
    {
      "Target": "app/requirements.txt",
      "Class": "lang-pkgs",
      "Type": "pip",
      "Vulnerabilities": [
        {"VulnerabilityID": "CVE-2023-32681", "PkgName": "Requests", "InstalledVersion": "2.25.0", "FixedVersion": "2.31.0",
         "Status": "fixed", "SeveritySource": "ghsa", "Severity": "MEDIUM", "Title": "python-requests: Unintended leak of Proxy-Authorization header"}
      ]
    },
    {
      "Target": "Java",
      "Class": "lang-pkgs",
      "Type": "jar",
      "Vulnerabilities": [
        {"VulnerabilityID": "CVE-2021-44228", "PkgName": "org.apache.logging.log4j:log4j-core",
         "PkgPath": "app/lib/log4j-core-2.14.1.jar", "PkgIdentifier": {"PURL": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"},
         "InstalledVersion": "2.14.1", "FixedVersion": "2.15.0", "Status": "fixed", "Severity": "CRITICAL"}
      ]
    }
  ]
}`
	crossGrype = `{
  "matches": [
    {
      "vulnerability": {"id": "CVE-2011-3374", "dataSource": "https://security-tracker.debian.org/tracker/CVE-2011-3374",
        "namespace": "debian:distro:debian:12", "severity": "Negligible", "urls": [], "cvss": [], "fix": {"versions": [], "state": "not-fixed"}},
      "relatedVulnerabilities": [{"id": "CVE-2011-3374", "namespace": "nvd:cpe", "severity": "Low",
        "description": "It was found that apt-key in apt, all versions, do not correctly validate gpg keys with the master keyring, leading to a potential man-in-the-middle attack.",
        "cvss": [{"version": "3.1", "vector": "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:L/A:N", "metrics": {"baseScore": 3.7}}]}],
      "matchDetails": [],
      "artifact": {"name": "apt", "version": "2.6.1", "type": "deb", "locations": [{"path": "/var/lib/dpkg/status"}],
        "purl": "pkg:deb/debian/apt@2.6.1?arch=amd64&distro=debian-12"}
    },
    {
      "vulnerability": {"id": "GHSA-j8r2-6x86-q33q", "dataSource": "https://github.com/advisories/GHSA-j8r2-6x86-q33q",
        "namespace": "github:language:python", "severity": "Medium", "fix": {"versions": ["2.31.0"], "state": "fixed"},
        "description": "Unintended leak of Proxy-Authorization header in requests"},
      "relatedVulnerabilities": [{"id": "CVE-2023-32681", "namespace": "nvd:cpe"}],
      "artifact": {"name": "requests", "version": "2.25.0", "type": "python",
        "locations": [{"path": "/app/requirements.txt"}], "purl": "pkg:pypi/requests@2.25.0"}
    },
    {
      "vulnerability": {"id": "GHSA-jfh8-c2jp-5v3q", "namespace": "github:language:java", "severity": "Critical",
        "fix": {"versions": ["2.15.0"], "state": "fixed"}},
      "relatedVulnerabilities": [{"id": "CVE-2021-44228", "namespace": "nvd:cpe"}],
      "artifact": {"name": "log4j-core", "version": "2.14.1", "type": "java-archive",
        "locations": [{"path": "/app/lib/log4j-core-2.14.1.jar"}],
        "purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"}
    }
  ],
  "source": {"type": "image", "target": {"userInput": "registry.example.com/app:1.4"}},
  "distro": {"name": "debian", "version": "12"},
  "descriptor": {"name": "grype", "version": "0.121.3"}
}`
)

// TestSameFindingsFromBothScanners checks that switching scanners does not
// change the identity of findings: same keys, and the same severity,
// fixed versions and fix state where both scanners agree on the facts.
func TestSameFindingsFromBothScanners(t *testing.T) {
	fromTrivy, err := Parse(strings.NewReader(crossTrivy), Options{})
	if err != nil {
		t.Fatal(err)
	}
	fromGrype, err := Parse(strings.NewReader(crossGrype), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if fromTrivy.Scan.Scanner != "trivy" || fromGrype.Scan.Scanner != "grype" {
		t.Fatalf("parsed as %q and %q, want trivy and grype", fromTrivy.Scan.Scanner, fromGrype.Scan.Scanner)
	}
	type facts struct {
		Key      report.Key
		Versions []string
		Fixed    []string
		FixState report.FixState
		Severity report.Severity
	}
	summarize := func(r *report.Report) []facts {
		var out []facts
		for _, f := range r.Findings {
			out = append(out, facts{f.Key(), f.Versions, f.Fixed, f.FixState, f.Severity})
		}
		return out
	}
	want := []facts{
		{report.Key{ID: "CVE-2011-3374", Type: "deb", Pkg: "apt"}, []string{"2.6.1"}, nil, report.NotFixed, report.Low},
		{report.Key{ID: "CVE-2021-44228", Type: "maven", Pkg: "org.apache.logging.log4j:log4j-core"}, []string{"2.14.1"}, []string{"2.15.0"}, report.Fixed, report.Critical},
		{report.Key{ID: "CVE-2023-32681", Type: "pypi", Pkg: "requests"}, []string{"2.25.0"}, []string{"2.31.0"}, report.Fixed, report.Medium},
	}
	if diff := cmp.Diff(want, summarize(fromTrivy)); diff != "" {
		t.Errorf("Trivy findings (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, summarize(fromGrype)); diff != "" {
		t.Errorf("Grype findings (-want +got):\n%s", diff)
	}
	if fromTrivy.Image != fromGrype.Image {
		t.Errorf("images %q (trivy) and %q (grype) differ", fromTrivy.Image, fromGrype.Image)
	}
	if fromTrivy.OS == nil || fromGrype.OS == nil || fromTrivy.OS.Family != fromGrype.OS.Family {
		t.Errorf("OS families %+v (trivy) and %+v (grype) differ", fromTrivy.OS, fromGrype.OS)
	}
	// Grype keeps the GHSA ids as aliases, so a decision recorded against
	// either id covers the finding.
	for _, f := range fromGrype.Findings {
		if f.ID == "CVE-2023-32681" && !f.HasID("GHSA-j8r2-6x86-q33q") {
			t.Errorf("Grype finding %v lost its GHSA alias: %v", f.Key(), f.Aliases)
		}
	}
}
