// Package vulndb describes the vulnerabilities of a fixture database in a
// scanner-neutral way, so that the Trivy and the Grype database generators
// write the same facts and the two scanners can be compared.
package vulndb

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Ecosystem names where an affected package lives.
type Ecosystem string

// Ecosystems the generators know how to write.
const (
	Debian Ecosystem = "debian" // Debian source packages, per major release
	PyPI   Ecosystem = "pypi"   // Python packages (GitHub advisories)
	Npm    Ecosystem = "npm"    // npm packages (GitHub advisories)
)

// FixState says whether a fix exists for an affected package.
type FixState string

// Fix states.
const (
	Fixed     FixState = "fixed"
	NotFixed  FixState = "not-fixed"
	WontFix   FixState = "wont-fix"
	FixUnsure FixState = ""
)

// Vulnerability is one vulnerability and the packages it affects.
type Vulnerability struct {
	// ID is the CVE id. It is the id Trivy reports for every ecosystem and
	// the id Grype reports for Debian packages.
	ID string
	// GHSA is the GitHub advisory id of a language-package vulnerability.
	// Grype reports it (with ID as a related vulnerability); Trivy reports
	// ID and lists GHSA among its vendor ids.
	GHSA string
	// Severity is one of LOW, MEDIUM, HIGH, CRITICAL.
	Severity string
	// CVSSVector and CVSSScore are the CVSS v3.1 vector and base score.
	CVSSVector string
	CVSSScore  float64
	Title      string
	// Description is a one-paragraph summary.
	Description string
	Published   time.Time
	Modified    time.Time
	Affected    []Affected
}

// Affected is one package affected by a vulnerability.
type Affected struct {
	Ecosystem Ecosystem
	// Release is the distribution's major release ("12") for Debian, empty
	// for language ecosystems.
	Release string
	// Package is the Debian source package name or the language package
	// name.
	Package string
	// Fixed is the first fixed version; empty when there is none.
	Fixed string
	// State is Fixed when Fixed is set, otherwise NotFixed or WontFix.
	State FixState
}

// Validate reports the first inconsistency in vs: duplicate ids, a missing
// field, a language vulnerability without a GHSA id, a fixed state without
// a version.
func Validate(vs []Vulnerability) error {
	seen := map[string]bool{}
	for _, v := range vs {
		if !strings.HasPrefix(v.ID, "CVE-") {
			return fmt.Errorf("vulnerability %q: id must be a CVE id", v.ID)
		}
		if seen[v.ID] {
			return fmt.Errorf("vulnerability %s: listed twice", v.ID)
		}
		seen[v.ID] = true
		if _, ok := severityRank[v.Severity]; !ok {
			return fmt.Errorf("vulnerability %s: unknown severity %q", v.ID, v.Severity)
		}
		if v.Title == "" || v.Published.IsZero() {
			return fmt.Errorf("vulnerability %s: title and published date are required", v.ID)
		}
		if len(v.Affected) == 0 {
			return fmt.Errorf("vulnerability %s: affects no package", v.ID)
		}
		for _, a := range v.Affected {
			switch a.Ecosystem {
			case Debian:
				if a.Release == "" {
					return fmt.Errorf("vulnerability %s: debian package %s without release", v.ID, a.Package)
				}
			case PyPI, Npm:
				if v.GHSA == "" {
					return fmt.Errorf("vulnerability %s: %s package %s needs a GHSA id", v.ID, a.Ecosystem, a.Package)
				}
				if a.Fixed == "" {
					return fmt.Errorf("vulnerability %s: %s package %s needs a fixed version", v.ID, a.Ecosystem, a.Package)
				}
			default:
				return fmt.Errorf("vulnerability %s: unknown ecosystem %q", v.ID, a.Ecosystem)
			}
			if a.Package == "" {
				return fmt.Errorf("vulnerability %s: affected package without name", v.ID)
			}
			if (a.Fixed != "") != (a.State == Fixed) {
				return fmt.Errorf("vulnerability %s: package %s: state %q does not match fixed version %q", v.ID, a.Package, a.State, a.Fixed)
			}
		}
	}
	return nil
}

var severityRank = map[string]int{"LOW": 1, "MEDIUM": 2, "HIGH": 3, "CRITICAL": 4}

// Sorted returns a copy of vs sorted by id, the order in which the
// generators write, so that their output does not depend on the caller's
// order.
func Sorted(vs []Vulnerability) []Vulnerability {
	out := slices.Clone(vs)
	slices.SortFunc(out, func(a, b Vulnerability) int { return strings.Compare(a.ID, b.ID) })
	return out
}
