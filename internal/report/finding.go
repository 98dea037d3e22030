package report

import "strings"

// Key is the identity of a finding: it survives base-image updates, OS point
// releases, language runtime upgrades and scanner upgrades. Everything else
// about a finding is a detail.
type Key struct {
	ID   string // canonical vulnerability id, a CVE where one is known
	Type string // package-URL type: deb, apk, rpm, pypi, npm, golang, maven, …
	Pkg  string // package name, canonicalized for its type (see CanonicalPkg)
}

// String renders k as "ID type/pkg".
func (k Key) String() string { return k.ID + " " + k.Type + "/" + k.Pkg }

// Compare orders keys by id, then type, then package, bytewise.
func (k Key) Compare(o Key) int {
	if c := strings.Compare(k.ID, o.ID); c != 0 {
		return c
	}
	if c := strings.Compare(k.Type, o.Type); c != 0 {
		return c
	}
	return strings.Compare(k.Pkg, o.Pkg)
}

// CVSS is the best known CVSS score of a finding.
type CVSS struct {
	Score  float64 `json:"score"`
	Vector string  `json:"vector,omitempty"`
	Source string  `json:"source,omitempty"`
}

// Finding is one vulnerability in one package of one image. The JSON field
// order is the ledger's line layout and must not change within a schema
// version.
type Finding struct {
	ID             string   `json:"id"`
	Aliases        []string `json:"aliases,omitempty"`
	Type           string   `json:"type"`
	Pkg            string   `json:"pkg"`
	Versions       []string `json:"versions,omitempty"`
	Paths          []string `json:"paths,omitempty"`
	Fixed          []string `json:"fixed,omitempty"`
	FixState       FixState `json:"fixState"`
	Severity       Severity `json:"severity"`
	SeveritySource string   `json:"severitySource,omitempty"`
	CVSS           *CVSS    `json:"cvss,omitempty"`
	Title          string   `json:"title,omitempty"`
	URL            string   `json:"url,omitempty"`
	Published      string   `json:"published,omitempty"` // YYYY-MM-DD
	// Suppressed names what suppressed the finding in the scanner itself
	// (Trivy's ExperimentalModifiedFindings: "trivyignore", "vex", …).
	Suppressed string `json:"suppressed,omitempty"`
}

// Key returns the identity of f.
func (f *Finding) Key() Key { return Key{ID: f.ID, Type: f.Type, Pkg: f.Pkg} }

// IDs returns the canonical id followed by the aliases.
func (f *Finding) IDs() []string {
	return append([]string{f.ID}, f.Aliases...)
}

// HasID reports whether id is f's id or one of its aliases
// (case-insensitive).
func (f *Finding) HasID(id string) bool {
	if strings.EqualFold(f.ID, id) {
		return true
	}
	for _, a := range f.Aliases {
		if strings.EqualFold(a, id) {
			return true
		}
	}
	return false
}

// OS is the operating system of an image, as the scanner detected it.
type OS struct {
	Family  string `json:"family"`
	Version string `json:"version,omitempty"`
}

// SchemaVersion is the version of the ledger file format written by Encode.
const SchemaVersion = 1

// Header is the first line of a ledger file.
type Header struct {
	SchemaVersion int    `json:"schemaVersion"`
	Image         string `json:"image"`
	OS            *OS    `json:"os,omitempty"`
}

// ScanInfo describes the scan that produced a report. It is volatile and is
// never written into a ledger file; it goes into commit trailers and
// summaries.
type ScanInfo struct {
	Scanner        string // "trivy" or "grype"
	ScannerVersion string
	DBVersion      string
	DBUpdated      string
	// Artifact is the artifact name the scanner reported (Trivy's
	// ArtifactName, Grype's source target).
	Artifact string
	// Format names the input format that was parsed, such as
	// "trivy-schema2", "trivy-legacy", "trivy-flat" or "grype".
	Format string
}

// Report is the normalized result of scanning one image.
type Report struct {
	Header
	Findings []Finding
	Scan     ScanInfo
	// Warnings are problems that did not stop parsing, such as an unknown
	// severity stored as UNKNOWN or a title that was truncated.
	Warnings []string
}

// compareFindings orders findings by key.
func compareFindings(a, b Finding) int { return a.Key().Compare(b.Key()) }
