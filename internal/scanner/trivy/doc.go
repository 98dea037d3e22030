// Package trivy reads Trivy's JSON vulnerability reports into cvetrail's
// scanner-neutral report model.
//
// Parse accepts every shape of Trivy JSON that people have on disk, sniffed
// from the content:
//
//   - the SchemaVersion 2 report object that Trivy has written since 2021,
//     with the fields added over the years (PkgIdentifier, Fingerprint,
//     ArtifactID, ReportID, CreatedAt, Trivy.Version, VendorSeverity, CVSS,
//     Status, ExperimentalModifiedFindings, …); unknown fields are ignored;
//   - the legacy top-level array of results (2019–2021), often without Class
//     and Type, and the same array as cut out of a newer report by
//     `jq '.Results | del(.[].Vulnerabilities[].Layer) | …'`;
//   - a flat array of vulnerabilities (`.Results[0].Vulnerabilities`), which
//     names no ecosystem, so the package type must be given in Options.
//
// The input is streamed: the document is never held in memory, values that
// cvetrail does not keep (descriptions, references, packages, layers, …) are
// skipped without being decoded, and repeated strings are shared. The JSON
// is read by a small validating scanner made for this (it accepts exactly
// what jsontext accepts, which its fuzz test checks): reading a report is
// mostly skipping long strings and indentation, which it does word by word,
// and it reads reports about twice as fast as the jsontext-based readers
// tried (a token loop, and json v2 decoding into structs). The
// vulnerabilities of large reports are read on several cores and merged
// back in input order.
//
// # Mapping
//
// A vulnerability becomes a report.Finding: VulnerabilityID is the id,
// PkgName the package, InstalledVersion the version, PkgPath the path,
// FixedVersion (split on ",") the fixed versions, PrimaryURL the URL and
// the date of PublishedDate the published date. Maven packages keep Trivy's
// "groupId:artifactId" spelling, which is cvetrail's canonical Maven name.
//
// The package type comes, in this order, from the result's Type when
// MapType knows it, the operating system named in the target
// ("alpine:3.19 (alpine 3.19.1)"), the OS of the report's Metadata for an
// os-pkgs result, the type of the vulnerability's package URL, an unknown
// result Type kept as given, the target's file name (package-lock.json,
// go.sum, pom.xml, Gemfile.lock, …, or Trivy's aggregate targets "Node.js",
// "Python", "Ruby", "Java", "Conda"), and finally Options.PkgType. When none
// of these tells, Parse fails and names the result: the type is part of a
// finding's identity and is never guessed.
//
// Status gives the fix state: fixed is fixed; affected, fix_deferred and
// under_investigation are not-fixed; will_not_fix and end_of_life are
// wont-fix; without a Status a finding with a FixedVersion is fixed and
// others are unknown. Severity goes through report.ParseSeverity; an
// unknown spelling is stored as UNKNOWN with a warning. The CVSS score kept
// is a V3 score when there is one, else V4, else V2; among the sources that
// have one, the SeveritySource's entry wins, then nvd's, then the highest
// score, then the first source name.
//
// Findings that Trivy itself suppressed (ExperimentalModifiedFindings of
// type vulnerability) are kept, with Finding.Suppressed naming what
// suppressed them: "trivyignore" for Trivy's ignore file, "rego" for an
// ignore policy, "vex" for a VEX document or repository, the plugin's name
// for a trivy-plugin-… (e.g. "govulncheck"). File paths are never stored,
// since they change between machines.
//
// Volatile data — Layer, Description, References, DataSource, PkgID, UID,
// Fingerprint, LastModifiedDate, VendorSeverity, CreatedAt, ReportID — is
// dropped, so that a rescan of an unchanged image gives the same report.
//
// # Errors
//
// Parse never returns a partial report. Problems at a position of the input
// are *Error values carrying the byte offset, which callers turn into
// line:column.
package trivy
