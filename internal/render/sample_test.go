package render

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cvetrail/cvetrail/internal/diff"
	"github.com/cvetrail/cvetrail/internal/report"
	"github.com/cvetrail/cvetrail/internal/triage"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var now = time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)

// golden compares got with testdata/name, rewriting it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != string(got) {
		t.Errorf("%s differs from the output (run go test -update to accept):\n--- got\n%s", path, got)
	}
}

type mod func(*report.Finding)

func fnd(id, typ, pkg string, sev report.Severity, mods ...mod) report.Finding {
	f := report.Finding{ID: id, Type: typ, Pkg: pkg, Versions: []string{"1.0.0-1"}, FixState: report.NotFixed,
		Severity: sev, Title: pkg + ": flaw " + id, URL: "https://avd.aquasec.com/nvd/" + id}
	for _, m := range mods {
		m(&f)
	}
	return f
}

func versions(v ...string) mod { return func(f *report.Finding) { f.Versions = v } }
func fixed(v ...string) mod {
	return func(f *report.Finding) { f.Fixed, f.FixState = v, report.Fixed }
}
func title(s string) mod      { return func(f *report.Finding) { f.Title = s } }
func link(s string) mod       { return func(f *report.Finding) { f.URL = s } }
func aliases(a ...string) mod { return func(f *report.Finding) { f.Aliases = a } }
func paths(p ...string) mod   { return func(f *report.Finding) { f.Paths = p } }
func suppressed(s string) mod { return func(f *report.Finding) { f.Suppressed = s } }

func rep(image string, os *report.OS, fs ...report.Finding) *report.Report {
	r := &report.Report{Header: report.Header{SchemaVersion: report.SchemaVersion, Image: image, OS: os}, Findings: fs}
	r.Normalize()
	return r
}

const (
	app    = "registry.example/app:latest"
	worker = "registry.example/worker:2.1"
)

// sample is a comparison with every class of change, over two images, one
// of which moved to a new base image.
func sample(t *testing.T) diff.Result {
	t.Helper()
	deb11 := &report.OS{Family: "debian", Version: "11.6"}
	deb12 := &report.OS{Family: "debian", Version: "12.1"}
	base := map[string]*report.Report{
		app: rep(app, deb11,
			fnd("CVE-2023-0464", "deb", "libssl3", report.High, versions("3.0.11-1~deb11u1")),
			fnd("CVE-2023-0465", "deb", "libssl3", report.Medium, versions("3.0.11-1~deb11u1")),
			fnd("CVE-2023-0466", "deb", "libssl3", report.Medium, versions("3.0.11-1~deb11u1")),
			fnd("CVE-2022-40897", "pypi", "setuptools", report.Medium, versions("65.5.0"),
				paths("usr/local/lib/python3.11/site-packages/setuptools-65.5.0.dist-info/METADATA")),
			fnd("CVE-2021-3999", "deb", "libc6", report.Low, versions("2.31-13")),
			fnd("CVE-2024-1111", "deb", "zlib1g", report.Low),
		),
		worker: rep(worker, deb12,
			fnd("CVE-2024-2222", "npm", "lodash", report.High, versions("4.17.20")),
			fnd("CVE-2024-3333", "golang", "golang.org/x/net", report.Medium, versions("v0.17.0")),
		),
	}
	head := map[string]*report.Report{
		app: rep(app, deb12,
			fnd("CVE-2023-0464", "deb", "libssl3", report.High, versions("3.0.13-1~deb12u1")),
			fnd("CVE-2023-0465", "deb", "libssl3", report.Critical, versions("3.0.13-1~deb12u1")),
			fnd("CVE-2023-0466", "deb", "libssl3", report.Medium, versions("3.0.13-1~deb12u1"), fixed("3.0.13-1~deb12u2")),
			fnd("CVE-2022-40897", "pypi", "setuptools", report.Medium, versions("65.5.0"),
				paths("usr/local/lib/python3.12/site-packages/setuptools-65.5.0.dist-info/METADATA")),
			fnd("CVE-2024-1111", "deb", "zlib1g", report.Low),
			fnd("CVE-2026-0001", "deb", "curl", report.Critical, versions("7.88.1-10"), fixed("7.88.1-10+deb12u5")),
			fnd("CVE-2026-0002", "deb", "curl", report.Low, versions("7.88.1-10"), suppressed("trivyignore")),
		),
		worker: rep(worker, deb12,
			fnd("CVE-2024-2222", "npm", "lodash", report.Medium, versions("4.17.20")),
			fnd("CVE-2024-3333", "golang", "golang.org/x/net", report.Medium, versions("v0.17.0")),
			fnd("CVE-2026-0003", "golang", "golang.org/x/net", report.High, versions("v0.17.0"), aliases("GHSA-aaaa-bbbb-cccc"),
				fixed("v0.23.0")),
		),
	}
	decisions := &triage.File{Path: "cvetrail/decisions.yaml", Decisions: []triage.Decision{
		{ID: "CVE-2023-0464", Packages: []string{"libssl3"}, Status: triage.NotAffected, Justification: "vulnerable_code_not_in_execute_path",
			Reason: "we never verify certificate policies", Severity: report.High, Line: 3},
		{ID: "CVE-2023-0465", Packages: []string{"libssl3"}, Images: []string{"registry.example/app:*"}, Status: triage.Accepted,
			Reason: "internal traffic only", Severity: report.Medium, Line: 9},
		{ID: "CVE-2024-3333", Status: triage.Fixing, Reason: "upgrade in the next sprint", Severity: report.Medium,
			Expires: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Ticket: "https://tracker.example/SEC-12", Line: 15},
		{ID: "GHSA-aaaa-bbbb-cccc", Status: triage.UnderInvestigation, Reason: "checking whether the HTTP/2 server is used", Severity: report.High, Line: 21},
		{ID: "CVE-2020-1234", Status: triage.FalsePositive, Reason: "the scanner misreads the version", Severity: report.Low, Line: 26},
	}}
	r, err := diff.Compare(base, head, decisions, diff.Policy{}, now)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

var sampleMeta = Meta{
	Scanners:  []string{"trivy 0.74.0"},
	DBs:       []string{"trivy-db 2026-03-10T06:12:44Z"},
	Base:      "main",
	Head:      "cvetrail/report",
	LedgerURL: "https://github.com/example/infra/tree/cvetrail/report/cvetrail",
}
