package trivydb

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aquasecurity/trivy-db/pkg/db"
	"github.com/aquasecurity/trivy-db/pkg/types"
	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"

	"github.com/cvetrail/cvetrail/e2e/internal/vulndb"
)

var (
	published = time.Date(2024, 1, 26, 9, 15, 0, 0, time.UTC)
	meta      = Metadata{
		UpdatedAt:    time.Date(2026, 6, 1, 4, 0, 0, 0, time.UTC),
		NextUpdate:   time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC),
		DownloadedAt: time.Date(2026, 6, 1, 4, 0, 0, 0, time.UTC),
	}
	vulns = []vulndb.Vulnerability{
		{ID: "CVE-2024-0727", Severity: "MEDIUM", CVSSScore: 5.5, CVSSVector: "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H",
			Title: "openssl: pkcs12", Published: published,
			Affected: []vulndb.Affected{{Ecosystem: vulndb.Debian, Release: "12", Package: "openssl", Fixed: "3.0.13-1~deb12u1", State: vulndb.Fixed}}},
		{ID: "CVE-2010-4756", Severity: "LOW", Title: "glibc: glob", Published: published,
			Affected: []vulndb.Affected{{Ecosystem: vulndb.Debian, Release: "12", Package: "glibc", State: vulndb.WontFix}}},
		{ID: "CVE-2024-35195", GHSA: "GHSA-9wx4-h78v-vm56", Severity: "MEDIUM", Title: "requests: verify", Published: published,
			Affected: []vulndb.Affected{{Ecosystem: vulndb.PyPI, Package: "requests", Fixed: "2.32.0", State: vulndb.Fixed}}},
		{ID: "CVE-2022-25883", GHSA: "GHSA-c2qf-rxjj-qqgw", Severity: "HIGH", Title: "semver: redos", Published: published,
			Affected: []vulndb.Affected{{Ecosystem: vulndb.Npm, Package: "semver", Fixed: "7.5.2", State: vulndb.Fixed}}},
	}
)

// TestWriteReadsBackAsTrivyDoes reads the database with trivy-db the way
// Trivy's detectors do: OS advisories by "debian 12" and source package,
// language advisories by the "pip::" / "npm::" bucket prefix.
func TestWriteReadsBackAsTrivyDoes(t *testing.T) {
	cache := t.TempDir()
	if err := Write(context.Background(), cache, vulns, meta); err != nil {
		t.Fatal(err)
	}
	if err := db.Init(DBDir(cache)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	dbc := db.Config{}
	tests := []struct {
		bucket, pkg string
		want        []types.Advisory
	}{
		{"debian 12", "openssl", []types.Advisory{{VulnerabilityID: "CVE-2024-0727", FixedVersion: "3.0.13-1~deb12u1"}}},
		{"debian 12", "glibc", []types.Advisory{{VulnerabilityID: "CVE-2010-4756", Status: types.StatusWillNotFix}}},
		{"pip::", "requests", []types.Advisory{{VulnerabilityID: "CVE-2024-35195", VendorIDs: []string{"GHSA-9wx4-h78v-vm56"},
			PatchedVersions: []string{"2.32.0"}, VulnerableVersions: []string{"<2.32.0"}}}},
		{"npm::", "semver", []types.Advisory{{VulnerabilityID: "CVE-2022-25883", VendorIDs: []string{"GHSA-c2qf-rxjj-qqgw"},
			PatchedVersions: []string{"7.5.2"}, VulnerableVersions: []string{"<7.5.2"}}}},
		{"debian 12", "libssl3", nil}, // binary names are not keys
	}
	for _, tt := range tests {
		got, err := dbc.GetAdvisories(tt.bucket, tt.pkg)
		if err != nil {
			t.Fatal(err)
		}
		for i := range got {
			got[i].DataSource = nil
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s %s (-want +got):\n%s", tt.bucket, tt.pkg, diff)
		}
	}
	v, err := dbc.GetVulnerability("CVE-2024-0727")
	if err != nil {
		t.Fatal(err)
	}
	if v.Title != "openssl: pkcs12" || v.VendorSeverity["debian"] != types.SeverityMedium ||
		v.CVSS["nvd"].V3Score != 5.5 || !v.PublishedDate.Equal(published) {
		t.Errorf("vulnerability = %+v", v)
	}
	b, err := os.ReadFile(filepath.Join(DBDir(cache), "metadata.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Version                             int
		NextUpdate, UpdatedAt, DownloadedAt time.Time
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m.Version != 2 || !m.NextUpdate.Equal(meta.NextUpdate) || !m.UpdatedAt.Equal(meta.UpdatedAt) || !m.DownloadedAt.Equal(meta.DownloadedAt) {
		t.Errorf("metadata.json = %s", b)
	}
}

func TestWriteIsReproducible(t *testing.T) {
	var files [][]byte
	for range 3 {
		cache := t.TempDir()
		if err := Write(context.Background(), cache, vulns, meta); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(db.Path(DBDir(cache)))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, b)
	}
	if !bytes.Equal(files[0], files[1]) || !bytes.Equal(files[0], files[2]) {
		t.Fatal("the same vulnerabilities gave different trivy.db files")
	}
	// The caller's order does not matter.
	reversed := []vulndb.Vulnerability{vulns[3], vulns[2], vulns[1], vulns[0]}
	cache := t.TempDir()
	if err := Write(context.Background(), cache, reversed, meta); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(db.Path(DBDir(cache))); !bytes.Equal(files[0], b) {
		t.Fatal("the order of the vulnerabilities changed trivy.db")
	}
}

func TestCorruptMakesTheDatabaseUnopenable(t *testing.T) {
	cache := t.TempDir()
	if err := Write(context.Background(), cache, vulns, meta); err != nil {
		t.Fatal(err)
	}
	if err := Corrupt(context.Background(), cache); err != nil {
		t.Fatal(err)
	}
	bdb, err := bolt.Open(db.Path(DBDir(cache)), 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err == nil {
		bdb.Close()
		t.Fatal("bolt opened the corrupt database")
	}
	if _, err := os.Stat(filepath.Join(DBDir(cache), "metadata.json")); err != nil {
		t.Errorf("metadata.json should stay: %v", err)
	}
}

func TestWriteRejectsInvalidCatalogues(t *testing.T) {
	bad := []vulndb.Vulnerability{{ID: "CVE-2024-1", Severity: "HIGH", Title: "x", Published: published,
		Affected: []vulndb.Affected{{Ecosystem: vulndb.PyPI, Package: "requests", Fixed: "1", State: vulndb.Fixed}}}}
	if err := Write(context.Background(), t.TempDir(), bad, meta); err == nil {
		t.Fatal("a pypi vulnerability without GHSA id was accepted")
	}
}
