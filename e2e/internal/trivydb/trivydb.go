// Package trivydb writes a Trivy vulnerability database (schema 2) from a
// vulndb catalogue, in the shape a built trivy.db has: one bucket per
// platform ("debian 12", "pip::GitHub Security Advisory pip", …) holding one
// bucket per package whose keys are vulnerability ids, the data-source
// bucket, and the vulnerability bucket with severities, CVSS and titles.
//
// Trivy run with --cache-dir DIR --skip-db-update --offline-scan reads
// DIR/db/trivy.db and DIR/db/metadata.json, the two files Write creates.
package trivydb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/aquasecurity/trivy-db/pkg/db"
	"github.com/aquasecurity/trivy-db/pkg/metadata"
	"github.com/aquasecurity/trivy-db/pkg/types"
	"github.com/aquasecurity/trivy-db/pkg/vulnsrc/vulnerability"
	bolt "go.etcd.io/bbolt"

	"github.com/cvetrail/cvetrail/e2e/internal/atomicfile"
	"github.com/cvetrail/cvetrail/e2e/internal/vulndb"
)

// Metadata is written to db/metadata.json. Trivy refuses a database whose
// NextUpdate is in the past only when it would update it; the generators
// set it far in the future anyway.
type Metadata struct {
	UpdatedAt    time.Time
	NextUpdate   time.Time
	DownloadedAt time.Time
}

// DBDir returns the directory inside a Trivy cache directory that holds
// trivy.db and metadata.json.
func DBDir(cacheDir string) string { return filepath.Join(cacheDir, "db") }

// trivy-db keeps its connection in a package variable; writers take turns.
var mu sync.Mutex

// Write creates cacheDir/db/trivy.db and cacheDir/db/metadata.json holding
// vulns. An existing database there is replaced.
func Write(ctx context.Context, cacheDir string, vulns []vulndb.Vulnerability, meta Metadata) error {
	if err := vulndb.Validate(vulns); err != nil {
		return fmt.Errorf("writing trivy db: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("writing trivy db: %w", err)
	}
	dir := DBDir(cacheDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("writing trivy db: %w", err)
	}
	if err := os.Remove(db.Path(dir)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("writing trivy db: removing old database: %w", err)
	}
	if err := writeBolt(dir, vulndb.Sorted(vulns)); err != nil {
		return fmt.Errorf("writing trivy db %s: %w", db.Path(dir), err)
	}
	if err := writeMetadata(dir, meta); err != nil {
		return fmt.Errorf("writing trivy db metadata: %w", err)
	}
	return nil
}

func writeBolt(dir string, vulns []vulndb.Vulnerability) (err error) {
	mu.Lock()
	defer mu.Unlock()
	// A fixed page size and freelist type keep the file the same on
	// machines whose memory page size differs.
	opts := &bolt.Options{Timeout: 5 * time.Second, PageSize: 4096, FreelistType: bolt.FreelistArrayType}
	if err := db.Init(dir, db.WithBoltOptions(opts)); err != nil {
		return err
	}
	defer func() {
		if cerr := db.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	dbc := db.Config{}
	// One transaction per put: bolt spills the buckets a transaction
	// touched in map order, so a transaction touching several buckets
	// lays the file out differently from run to run. Touching one bucket
	// chain per transaction makes the file reproducible byte for byte.
	put := func(fn func(tx *bolt.Tx) error) error {
		return dbc.Connection().Update(fn)
	}
	for _, v := range vulns {
		if err := putVulnerability(dbc, put, v); err != nil {
			return fmt.Errorf("vulnerability %s: %w", v.ID, err)
		}
	}
	return nil
}

func putVulnerability(dbc db.Config, put func(func(*bolt.Tx) error) error, v vulndb.Vulnerability) error {
	sev, err := types.NewSeverity(v.Severity)
	if err != nil {
		return err
	}
	vendorSeverity := types.VendorSeverity{vulnerability.NVD: sev}
	refs := []string{"https://nvd.nist.gov/vuln/detail/" + v.ID}
	for _, a := range v.Affected {
		source, bucket, err := platform(a)
		if err != nil {
			return err
		}
		if err := put(func(tx *bolt.Tx) error { return dbc.PutDataSource(tx, bucket, source) }); err != nil {
			return err
		}
		vendorSeverity[source.ID] = sev
		adv := advisory(v, a)
		if err := put(func(tx *bolt.Tx) error {
			return dbc.PutAdvisory(tx, []string{bucket, a.Package}, v.ID, &adv)
		}); err != nil {
			return err
		}
		if a.Ecosystem == vulndb.Debian {
			refs = append(refs, "https://security-tracker.debian.org/tracker/"+v.ID)
		}
	}
	if v.GHSA != "" {
		refs = append(refs, "https://github.com/advisories/"+v.GHSA)
	}
	published, modified := v.Published.UTC(), v.Modified.UTC()
	if v.Modified.IsZero() {
		modified = published
	}
	cvss := types.VendorCVSS{}
	if v.CVSSVector != "" {
		cvss[vulnerability.NVD] = types.CVSS{V3Vector: v.CVSSVector, V3Score: v.CVSSScore}
	}
	// Severity is deprecated in favour of VendorSeverity, but Trivy v0.74.0
	// still falls back to it, and real databases still carry it.
	vuln := types.Vulnerability{
		Title:       v.Title,
		Description: v.Description,
		//lint:ignore SA1019 the fixture database mirrors what real ones hold
		Severity:         v.Severity,
		VendorSeverity:   vendorSeverity,
		CVSS:             cvss,
		References:       refs,
		PublishedDate:    &published,
		LastModifiedDate: &modified,
	}
	return put(func(tx *bolt.Tx) error { return dbc.PutVulnerability(tx, v.ID, vuln) })
}

// platform returns the data source and the root bucket name Trivy looks an
// affected package up in.
func platform(a vulndb.Affected) (types.DataSource, string, error) {
	switch a.Ecosystem {
	case vulndb.Debian:
		return types.DataSource{
			ID:   vulnerability.Debian,
			Name: "Debian Security Tracker",
			URL:  "https://salsa.debian.org/security-tracker-team/security-tracker",
		}, "debian " + a.Release, nil
	case vulndb.PyPI:
		return ghsaSource("pip", "pip"), "pip::GitHub Security Advisory pip", nil
	case vulndb.Npm:
		return ghsaSource("npm", "npm"), "npm::GitHub Security Advisory npm", nil
	}
	return types.DataSource{}, "", fmt.Errorf("unknown ecosystem %q", a.Ecosystem)
}

func ghsaSource(name, query string) types.DataSource {
	return types.DataSource{
		ID:   vulnerability.GHSA,
		Name: "GitHub Security Advisory " + name,
		URL:  "https://github.com/advisories?query=type%3Areviewed+ecosystem%3A" + query,
	}
}

func advisory(v vulndb.Vulnerability, a vulndb.Affected) types.Advisory {
	if a.Ecosystem == vulndb.Debian {
		adv := types.Advisory{FixedVersion: a.Fixed}
		switch a.State {
		case vulndb.WontFix:
			adv.Status = types.StatusWillNotFix
		case vulndb.NotFixed:
			adv.Status = types.StatusAffected
		}
		return adv
	}
	return types.Advisory{
		VendorIDs:          []string{v.GHSA},
		PatchedVersions:    []string{a.Fixed},
		VulnerableVersions: []string{"<" + a.Fixed},
	}
}

func writeMetadata(dir string, meta Metadata) error {
	m := metadata.Metadata{
		Version:      db.SchemaVersion,
		NextUpdate:   meta.NextUpdate.UTC(),
		UpdatedAt:    meta.UpdatedAt.UTC(),
		DownloadedAt: meta.DownloadedAt.UTC(),
	}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return atomicfile.Write(metadata.Path(dir), b)
}

// Corrupt damages the trivy.db under cacheDir the way a truncated download
// does: the file keeps its first page and loses the rest, so bolt rejects it
// when Trivy opens it. metadata.json stays valid, so Trivy believes the
// database is usable until it loads it.
func Corrupt(ctx context.Context, cacheDir string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("corrupting trivy db: %w", err)
	}
	path := db.Path(DBDir(cacheDir))
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("corrupting trivy db: %w", err)
	}
	const keep = 4096 + 512 // the first meta page and part of the second
	if len(b) <= keep {
		return fmt.Errorf("corrupting trivy db %s: only %d bytes", path, len(b))
	}
	damaged := append([]byte(nil), b[:keep]...)
	for i := 4096; i < len(damaged); i++ {
		damaged[i] = 0xA5
	}
	if err := atomicfile.Write(path, damaged); err != nil {
		return fmt.Errorf("corrupting trivy db: %w", err)
	}
	return nil
}
