package story

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Reported is one finding as a scanner reported it, reduced to what the
// story and the sanity tests check.
type Reported struct {
	ID      string   // the id the scanner reported (Grype: the GHSA id for language packages)
	Related []string // Trivy's VendorIDs, Grype's relatedVulnerabilities
	Pkg     string
	Version string
	Type    string // Trivy's result Type, Grype's artifact type
	Path    string // Trivy's PkgPath, Grype's first location
}

// String renders r as "ID pkg version".
func (r Reported) String() string { return r.ID + " " + r.Pkg + " " + r.Version }

// ParseReport extracts the findings of a Trivy or Grype JSON report,
// sorted by id and package.
func ParseReport(scannerName string, b []byte) ([]Reported, error) {
	var out []Reported
	switch scannerName {
	case "trivy":
		var r struct {
			SchemaVersion int
			Results       []struct {
				Target          string
				Type            string
				Vulnerabilities []struct {
					VulnerabilityID  string
					VendorIDs        []string
					PkgName          string
					PkgPath          string
					InstalledVersion string
				}
			}
		}
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("parsing trivy report: %w", err)
		}
		if r.SchemaVersion != 2 {
			return nil, fmt.Errorf("parsing trivy report: schema version %d, want 2", r.SchemaVersion)
		}
		for _, res := range r.Results {
			for _, v := range res.Vulnerabilities {
				out = append(out, Reported{ID: v.VulnerabilityID, Related: v.VendorIDs, Pkg: v.PkgName,
					Version: v.InstalledVersion, Type: res.Type, Path: v.PkgPath})
			}
		}
	case "grype":
		var r struct {
			Matches []struct {
				Vulnerability struct{ ID string }
				Related       []struct{ ID string } `json:"relatedVulnerabilities"`
				Artifact      struct {
					Name      string
					Version   string
					Type      string
					Locations []struct{ Path string }
				}
			}
			Descriptor struct{ Name string }
		}
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("parsing grype report: %w", err)
		}
		if r.Descriptor.Name != "grype" {
			return nil, fmt.Errorf("parsing grype report: descriptor names %q, not grype", r.Descriptor.Name)
		}
		for _, m := range r.Matches {
			f := Reported{ID: m.Vulnerability.ID, Pkg: m.Artifact.Name, Version: m.Artifact.Version, Type: m.Artifact.Type}
			for _, rel := range m.Related {
				f.Related = append(f.Related, rel.ID)
			}
			if len(m.Artifact.Locations) > 0 {
				f.Path = m.Artifact.Locations[0].Path
			}
			out = append(out, f)
		}
	default:
		return nil, fmt.Errorf("parsing report: unknown scanner %q", scannerName)
	}
	slices.SortFunc(out, func(a, b Reported) int {
		if c := strings.Compare(a.ID, b.ID); c != 0 {
			return c
		}
		return strings.Compare(a.Pkg, b.Pkg)
	})
	return out, nil
}

// Findings returns the findings of a report as "ID pkg version" strings.
func Findings(scannerName string, b []byte) ([]string, error) {
	fs, err := ParseReport(scannerName, b)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.String()
	}
	return out, nil
}
