// Package scanner is cvetrail's door to vulnerability scanners: it tells
// which scanner wrote a report (Sniff), parses a report of either scanner
// into the scanner-neutral model (Parse, ParseFile, which delegate to the
// trivy and grype packages), and runs the Trivy or Grype binary on an
// image (Scan, Version).
//
// Sniffing looks only at a bounded prefix of the input (64 KiB) and at the
// first keys of the top-level value: Trivy's report object (SchemaVersion,
// ArtifactName, Results, …), Trivy's legacy array of results (Target,
// Vulnerabilities) and flat array of vulnerabilities (VulnerabilityID,
// PkgName), and Grype's report object (matches, ignoredMatches). Everything
// else is refused with a message saying what the input is: empty, binary,
// an archive, not JSON, SARIF, CycloneDX, SPDX, a Syft SBOM, a Kubernetes
// resource, or an unrelated JSON value. When the deciding key lies beyond
// the prefix (a huge first value of an unknown key), Parse decides while
// streaming instead of failing.
//
// Scanners are run with exec.CommandContext and an argument list, never a
// shell; their standard output goes to a temporary file, their standard
// error is kept to be shown when they fail, and each run has its own
// timeout. A failure is an *Error whose Kind tells a failed scanner, a
// timeout and unparsable output apart.
package scanner
