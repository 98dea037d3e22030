// Package grype reads the JSON report of the Grype vulnerability scanner
// (`grype IMAGE -o json`) into cvetrail's scanner-neutral report.
//
// The report is streamed: matches are turned into findings one at a time and
// the raw document is never held in memory, so reports of hundreds of
// megabytes are read in memory proportional to the findings they hold.
//
// How Grype's fields become a finding:
//
//   - id and aliases: vulnerability.id is the id, the ids of
//     relatedVulnerabilities are its aliases; report.Normalize then makes
//     the CVE the canonical id, so a GHSA match with a CVE alias gets the
//     same key as Trivy's CVE finding.
//   - type: the package-URL type of artifact.purl when the artifact has a
//     parseable one, else artifact.type mapped by MapType. Legacy purl
//     spellings are mapped too (alpine→apk, debian→deb, dotnet→nuget,
//     crate→cargo).
//   - pkg: artifact.name, except for maven, whose canonical name is
//     "groupId:artifactId" as Trivy spells it, taken from the purl's
//     namespace and name, else from the Java metadata (pomGroupID,
//     pomProperties.groupId). A maven artifact with no group anywhere keeps
//     its name and the report gets a warning.
//   - versions: artifact.version. paths: the artifact's location paths,
//     without their leading "/" (Trivy's spelling), for every type except the
//     OS package types (deb, rpm, apk, alpm, ebuild), whose locations are
//     package database files.
//   - fixed and fix state: vulnerability.fix.versions and fix.state
//     (fixed, not-fixed, wont-fix, unknown); very old reports'
//     fixedInVersion is read too.
//   - severity: vulnerability.severity; Grype's "Negligible" is LOW. An
//     unknown spelling is stored as UNKNOWN with a warning. The severity
//     source is the first part of vulnerability.namespace ("debian", "nvd";
//     "github" is written "ghsa", as Trivy does).
//   - cvss: the highest version-3-or-later base score among the
//     vulnerability's and its related records' CVSS entries; ties go to the
//     newer CVSS version, then the smaller vector, then the smaller source.
//   - url: vulnerability.dataSource, the advisory's own page, else the first
//     of vulnerability.urls.
//   - title: Grype has no title. It is the first sentence of the first
//     paragraph of the first non-empty description (the vulnerability's, then
//     its related records' in order), whitespace collapsed, and cut to
//     MaxTitle bytes at a word boundary with "…" when longer. The rule
//     depends only on the description, so it is stable from day to day.
//   - suppressed: matches in ignoredMatches (suppressed by a .grype.yaml rule
//     or a VEX document) are kept with Suppressed "grype-ignore".
//
// The header comes from source (source.target.userInput for images, the
// target string for directories and files) and distro (name and version,
// with Grype's distro names mapped to Trivy's spelling: rockylinux→rocky,
// almalinux→alma, amazonlinux→amazon, oraclelinux→oracle,
// opensuseleap→opensuse-leap, mariner→cbl-mariner). The scan information
// comes from descriptor: version, and the database's schema version and
// build time from descriptor.db in both the v5 shape
// ({built, schemaVersion, ...}) and the v6 shape
// ({status: {schemaVersion, built, valid, error, ...}, providers}).
package grype
