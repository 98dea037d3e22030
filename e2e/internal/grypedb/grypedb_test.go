package grypedb

import (
	"context"
	"slices"
	"testing"
	"time"

	v6 "github.com/anchore/grype/grype/db/v6"
	"github.com/spf13/afero"

	"github.com/cvetrail/cvetrail/e2e/internal/vulndb"
)

var (
	built     = time.Date(2026, 6, 2, 4, 0, 0, 0, time.UTC)
	published = time.Date(2024, 6, 27, 11, 15, 0, 0, time.UTC)
	vulns     = []vulndb.Vulnerability{
		{ID: "CVE-2024-5535", Severity: "CRITICAL", CVSSScore: 9.1, CVSSVector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:H",
			Title: "openssl: overread", Published: published,
			Affected: []vulndb.Affected{{Ecosystem: vulndb.Debian, Release: "12", Package: "openssl", Fixed: "3.0.14-1~deb12u1", State: vulndb.Fixed}}},
		{ID: "CVE-2024-35195", GHSA: "GHSA-9wx4-h78v-vm56", Severity: "MEDIUM", Title: "requests: verify", Published: published,
			Affected: []vulndb.Affected{{Ecosystem: vulndb.PyPI, Package: "requests", Fixed: "2.32.0", State: vulndb.Fixed}}},
	}
)

// TestWriteReadsBackAsGrypeDoes opens the database the way Grype's curator
// does and looks the packages up as its matchers do.
func TestWriteReadsBackAsGrypeDoes(t *testing.T) {
	cache := t.TempDir()
	if err := Write(context.Background(), cache, vulns, built); err != nil {
		t.Fatal(err)
	}
	dir := DBDir(cache)
	im, err := v6.ReadImportMetadata(afero.NewOsFs(), dir)
	if err != nil {
		t.Fatal(err)
	}
	digest, err := v6.CalculateDBDigest(afero.NewOsFs(), v6.Config{DBDirPath: dir}.DBFilePath())
	if err != nil {
		t.Fatal(err)
	}
	if im.Digest != digest {
		t.Errorf("import.json digest %s, database %s: grype would reject it", im.Digest, digest)
	}
	desc, err := v6.ReadDescription(v6.Config{DBDirPath: dir}.DBFilePath())
	if err != nil {
		t.Fatal(err)
	}
	if !desc.Built.Time.Equal(built) {
		t.Errorf("built %v, want %v", desc.Built.Time, built)
	}

	r, err := v6.NewReader(v6.Config{DBDirPath: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	opts := &v6.GetPackageOptions{PreloadOS: true, PreloadPackage: true, PreloadVulnerability: true, PreloadBlob: true}
	tests := []struct {
		pkg, ecosystem  string
		vuln, provider  string
		constraint, fix string
		aliases         []string
		os              string
	}{
		{"openssl", "deb", "CVE-2024-5535", "debian", "< 3.0.14-1~deb12u1", "3.0.14-1~deb12u1", nil, "debian 12"},
		{"requests", "python", "GHSA-9wx4-h78v-vm56", "github", "<2.32.0", "2.32.0", []string{"CVE-2024-35195"}, ""},
	}
	for _, tt := range tests {
		got, err := r.GetAffectedPackages(&v6.PackageSpecifier{Name: tt.pkg, Ecosystem: tt.ecosystem}, opts)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 {
			t.Fatalf("%s: %d affected package records, want 1", tt.pkg, len(got))
		}
		h := got[0]
		if h.Vulnerability == nil || h.Vulnerability.Name != tt.vuln || h.Vulnerability.ProviderID != tt.provider {
			t.Errorf("%s: vulnerability %+v", tt.pkg, h.Vulnerability)
			continue
		}
		if !slices.Equal(h.Vulnerability.BlobValue.Aliases, tt.aliases) {
			t.Errorf("%s: aliases %v, want %v", tt.pkg, h.Vulnerability.BlobValue.Aliases, tt.aliases)
		}
		rng := h.BlobValue.Ranges[0]
		if rng.Version.Constraint != tt.constraint || rng.Fix.Version != tt.fix || rng.Fix.State != v6.FixedStatus {
			t.Errorf("%s: range %+v fix %+v", tt.pkg, rng.Version, rng.Fix)
		}
		gotOS := ""
		if h.OperatingSystem != nil {
			gotOS = h.OperatingSystem.Name + " " + h.OperatingSystem.MajorVersion
		}
		if gotOS != tt.os {
			t.Errorf("%s: os %q, want %q", tt.pkg, gotOS, tt.os)
		}
	}
	nvd, err := r.GetVulnerabilities(&v6.VulnerabilitySpecifier{Name: "CVE-2024-35195"}, &v6.GetVulnerabilityOptions{Preload: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(nvd) != 1 || nvd[0].ProviderID != "nvd" {
		t.Errorf("CVE-2024-35195 records = %+v, want one from nvd for the GHSA alias", nvd)
	}
}
