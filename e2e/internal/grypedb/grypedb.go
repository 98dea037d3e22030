// Package grypedb writes a Grype vulnerability database (schema v6) from a
// vulndb catalogue with Grype's own v6 store, then hydrates it and writes the
// import metadata the way `grype db import` leaves a database, so Grype run
// with GRYPE_DB_CACHE_DIR=DIR, GRYPE_DB_AUTO_UPDATE=false and
// GRYPE_DB_VALIDATE_AGE=false uses it without any download.
//
// Debian advisories are filed by source package under the "debian"
// provider, language advisories under their GHSA id (with the CVE as alias)
// under the "github" provider, and every CVE also gets an "nvd" record, as
// in the published databases.
package grypedb

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	v6 "github.com/anchore/grype/grype/db/v6"
	"github.com/spf13/afero"
	"gorm.io/gorm"

	"github.com/cvetrail/cvetrail/e2e/internal/vulndb"
)

// DBDir returns the directory inside a Grype cache directory
// (GRYPE_DB_CACHE_DIR) that holds the v6 database.
func DBDir(cacheDir string) string {
	return filepath.Join(cacheDir, strconv.Itoa(v6.ModelVersion))
}

// Grype's store logs through a package-level logger and keeps a cache in
// its context; writers take turns.
var mu sync.Mutex

// Write creates the database for vulns under cacheDir, built at built (the
// time Grype reports as the database's build time). An existing database
// there is replaced.
func Write(ctx context.Context, cacheDir string, vulns []vulndb.Vulnerability, built time.Time) error {
	if err := vulndb.Validate(vulns); err != nil {
		return fmt.Errorf("writing grype db: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("writing grype db: %w", err)
	}
	dir := DBDir(cacheDir)
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("writing grype db: removing old database: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("writing grype db: %w", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if err := write(dir, vulndb.Sorted(vulns), built.UTC().Truncate(time.Second)); err != nil {
		return fmt.Errorf("writing grype db %s: %w", dir, err)
	}
	if err := v6.Hydrater()(dir); err != nil {
		return fmt.Errorf("writing grype db %s: hydrating: %w", dir, err)
	}
	if _, err := v6.WriteImportMetadata(afero.NewOsFs(), dir, "cvetrail e2e fixture"); err != nil {
		return fmt.Errorf("writing grype db %s: import metadata: %w", dir, err)
	}
	return nil
}

func write(dir string, vulns []vulndb.Vulnerability, built time.Time) (err error) {
	s, err := v6.NewWriter(v6.Config{DBDirPath: dir})
	if err != nil {
		return err
	}
	defer func() {
		if cerr := s.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	g, ok := s.(interface{ GetDB() *gorm.DB })
	if !ok {
		return errors.New("grype store does not expose its database")
	}
	// The writer stamps the current time; the fixture wants a fixed one.
	if err := g.GetDB().Model(&v6.DBMetadata{}).Where("true").Update("build_timestamp", built).Error; err != nil {
		return fmt.Errorf("setting build time: %w", err)
	}
	providers := map[string]*v6.Provider{}
	provider := func(id string) *v6.Provider {
		if p, ok := providers[id]; ok {
			return p
		}
		captured := built
		p := &v6.Provider{
			ID:           id,
			Version:      "1",
			Processor:    "cvetrail-e2e",
			DateCaptured: &captured,
			InputDigest:  "xxh64:0000000000000000",
		}
		providers[id] = p
		return p
	}
	for _, v := range vulns {
		if err := add(s, provider, v); err != nil {
			return fmt.Errorf("vulnerability %s: %w", v.ID, err)
		}
	}
	return nil
}

func add(s v6.ReadWriter, provider func(string) *v6.Provider, v vulndb.Vulnerability) error {
	published, modified := v.Published.UTC(), v.Modified.UTC()
	if v.Modified.IsZero() {
		modified = published
	}
	handle := func(name, providerID string, aliases []string, refs ...string) *v6.VulnerabilityHandle {
		var references []v6.Reference
		for _, r := range refs {
			references = append(references, v6.Reference{URL: r})
		}
		return &v6.VulnerabilityHandle{
			Name:          name,
			Status:        v6.VulnerabilityActive,
			PublishedDate: &published,
			ModifiedDate:  &modified,
			ProviderID:    providerID,
			Provider:      provider(providerID),
			BlobValue: &v6.VulnerabilityBlob{
				ID:          name,
				Description: v.Title,
				References:  references,
				Aliases:     aliases,
				Severities:  severities(v),
			},
		}
	}

	nvd := handle(v.ID, "nvd", nil, "https://nvd.nist.gov/vuln/detail/"+v.ID)
	if err := s.AddVulnerabilities(nvd); err != nil {
		return err
	}

	var debian, github *v6.VulnerabilityHandle
	for _, a := range v.Affected {
		switch a.Ecosystem {
		case vulndb.Debian:
			if debian == nil {
				debian = handle(v.ID, "debian", nil, "https://security-tracker.debian.org/tracker/"+v.ID)
				if err := s.AddVulnerabilities(debian); err != nil {
					return err
				}
			}
			constraint := ""
			if a.Fixed != "" {
				constraint = "< " + a.Fixed
			}
			aph := &v6.AffectedPackageHandle{
				VulnerabilityID: debian.ID,
				OperatingSystem: &v6.OperatingSystem{
					Name:         "debian",
					ReleaseID:    "debian",
					MajorVersion: a.Release,
					Codename:     debianCodename(a.Release),
				},
				Package: &v6.Package{Ecosystem: "deb", Name: a.Package},
				BlobValue: &v6.PackageBlob{
					CVEs: []string{v.ID},
					Ranges: []v6.Range{{
						Version: v6.Version{Type: "dpkg", Constraint: constraint},
						Fix:     fix(a),
					}},
				},
			}
			if err := s.AddAffectedPackages(aph); err != nil {
				return err
			}
		case vulndb.PyPI, vulndb.Npm:
			if github == nil {
				github = handle(v.GHSA, "github", []string{v.ID}, "https://github.com/advisories/"+v.GHSA)
				if err := s.AddVulnerabilities(github); err != nil {
					return err
				}
			}
			ecosystem, versionType := "python", "python"
			if a.Ecosystem == vulndb.Npm {
				ecosystem, versionType = "npm", "semver"
			}
			aph := &v6.AffectedPackageHandle{
				VulnerabilityID: github.ID,
				Package:         &v6.Package{Ecosystem: ecosystem, Name: strings.ToLower(a.Package)},
				BlobValue: &v6.PackageBlob{
					CVEs: []string{v.ID},
					Ranges: []v6.Range{{
						Version: v6.Version{Type: versionType, Constraint: "<" + a.Fixed},
						Fix:     fix(a),
					}},
				},
			}
			if err := s.AddAffectedPackages(aph); err != nil {
				return err
			}
		default:
			return fmt.Errorf("unknown ecosystem %q", a.Ecosystem)
		}
	}
	return nil
}

func severities(v vulndb.Vulnerability) []v6.Severity {
	out := []v6.Severity{{Scheme: v6.SeveritySchemeCHMLN, Value: strings.ToLower(v.Severity), Rank: 1}}
	if v.CVSSVector != "" {
		out = append(out, v6.Severity{
			Scheme: v6.SeveritySchemeCVSS,
			Value:  v6.CVSSSeverity{Vector: v.CVSSVector, Version: cvssVersion(v.CVSSVector)},
			Rank:   2,
		})
	}
	return out
}

func cvssVersion(vector string) string {
	if rest, ok := strings.CutPrefix(vector, "CVSS:"); ok {
		version, _, _ := strings.Cut(rest, "/")
		return version
	}
	return ""
}

func fix(a vulndb.Affected) *v6.Fix {
	switch a.State {
	case vulndb.Fixed:
		return &v6.Fix{Version: a.Fixed, State: v6.FixedStatus}
	case vulndb.WontFix:
		return &v6.Fix{State: v6.WontFixStatus}
	default:
		return &v6.Fix{State: v6.NotFixedStatus}
	}
}

func debianCodename(release string) string {
	return map[string]string{"10": "buster", "11": "bullseye", "12": "bookworm", "13": "trixie"}[release]
}
