package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cvetrail/cvetrail/e2e/internal/grypedb"
	"github.com/cvetrail/cvetrail/e2e/internal/imagegen"
	"github.com/cvetrail/cvetrail/e2e/internal/scanner"
	"github.com/cvetrail/cvetrail/e2e/internal/story"
)

// scanDay builds day d's image and the database of the scanner named in
// scannerName in a temporary directory, runs the real scanner and returns
// its result.
func scanDay(t *testing.T, scannerName, bin string, d story.Day) scanner.Result {
	t.Helper()
	// A bound for a hung scanner, not a performance threshold.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := t.TempDir()
	if err := imagegen.WriteDockerArchive(ctx, filepath.Join(dir, "app.tar"), d.Image); err != nil {
		t.Fatal(err)
	}
	cmd := scanner.Command{Path: bin, Dir: dir, Home: dir}
	switch scannerName {
	case scanner.Trivy:
		if err := story.WriteTrivyDB(ctx, filepath.Join(dir, "trivy-cache"), d); err != nil {
			t.Fatal(err)
		}
		cmd.Args = scanner.TrivyArgs("trivy-cache", "app.tar")
	case scanner.Grype:
		if err := grypedb.Write(ctx, filepath.Join(dir, "grype-cache"), d.Vulns, story.DBUpdated(d)); err != nil {
			t.Fatal(err)
		}
		cmd.Args = scanner.GrypeArgs("app.tar")
		cmd.Env = scanner.GrypeEnv("grype-cache")
	}
	res, err := scanner.Run(ctx, cmd)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func mustScan(t *testing.T, scannerName, bin string, d story.Day) []story.Reported {
	t.Helper()
	res := scanDay(t, scannerName, bin, d)
	if res.ExitCode != 0 {
		t.Fatalf("%s exited %d on day %d:\n%s", scannerName, res.ExitCode, d.N, res.Stderr)
	}
	got, err := story.ParseReport(scannerName, res.Stdout)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func day(n int) story.Day { return story.Days()[n-1] }

const (
	py311 = "usr/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA"
	py312 = "usr/lib/python3.12/site-packages/requests-2.31.0.dist-info/METADATA"
	semJS = "app/node_modules/semver/package.json"
)

// TestTrivyReportsFixtureVulnerabilities proves the generated Trivy
// database works: Trivy finds exactly the vulnerabilities the story
// expects, Debian ones through the source package.
func TestTrivyReportsFixtureVulnerabilities(t *testing.T) {
	bin := needTrivy(t)
	libc := func(v string) story.Reported {
		return story.Reported{ID: "CVE-2010-4756", Pkg: "libc6", Version: v, Type: "debian"}
	}
	semver := story.Reported{ID: "CVE-2022-25883", Related: []string{"GHSA-c2qf-rxjj-qqgw"}, Pkg: "semver",
		Version: "7.5.1", Type: "node-pkg", Path: semJS}
	requests := func(path string) story.Reported {
		return story.Reported{ID: "CVE-2024-35195", Related: []string{"GHSA-9wx4-h78v-vm56"}, Pkg: "requests",
			Version: "2.31.0", Type: "python-pkg", Path: path}
	}
	libssl := func(id, v string) story.Reported {
		return story.Reported{ID: id, Pkg: "libssl3", Version: v, Type: "debian"}
	}
	tests := []struct {
		day  int
		os   string
		want []story.Reported
	}{
		{1, "12.5", []story.Reported{libc("2.36-9+deb12u4"), semver, libssl("CVE-2024-0727", "3.0.11-1~deb12u2"), requests(py311)}},
		{2, "12.5", []story.Reported{libc("2.36-9+deb12u4"), semver, libssl("CVE-2024-0727", "3.0.11-1~deb12u2"),
			requests(py311), libssl(story.NewCVE, "3.0.11-1~deb12u2")}},
		{3, "12.6", []story.Reported{libc("2.36-9+deb12u7"), semver, requests(py312), libssl(story.NewCVE, "3.0.13-1~deb12u1")}},
	}
	for _, tt := range tests {
		t.Run("day"+string(rune('0'+tt.day)), func(t *testing.T) {
			res := scanDay(t, scanner.Trivy, bin, day(tt.day))
			if res.ExitCode != 0 {
				t.Fatalf("trivy exited %d:\n%s", res.ExitCode, res.Stderr)
			}
			got, err := story.ParseReport(scanner.Trivy, res.Stdout)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			var meta struct {
				Metadata struct {
					OS       struct{ Family, Name string }
					RepoTags []string
				}
			}
			if err := json.Unmarshal(res.Stdout, &meta); err != nil {
				t.Fatal(err)
			}
			if meta.Metadata.OS.Family != "debian" || meta.Metadata.OS.Name != tt.os {
				t.Errorf("os = %+v, want debian %s", meta.Metadata.OS, tt.os)
			}
			if !slices.Equal(meta.Metadata.RepoTags, []string{story.ImageName}) {
				t.Errorf("repo tags = %v, want [%s]", meta.Metadata.RepoTags, story.ImageName)
			}
		})
	}
}

// TestTrivyFailsOnCorruptDatabase is day 4: Trivy must fail loudly, not
// report an image without vulnerabilities.
func TestTrivyFailsOnCorruptDatabase(t *testing.T) {
	bin := needTrivy(t)
	res := scanDay(t, scanner.Trivy, bin, day(4))
	if res.ExitCode == 0 {
		t.Fatalf("trivy succeeded on a corrupt database; stdout:\n%.2000s", res.Stdout)
	}
	if !strings.Contains(string(res.Stderr), "failed to open db") {
		t.Errorf("stderr does not say the database failed to open:\n%s", res.Stderr)
	}
	if len(res.Stdout) != 0 {
		t.Errorf("trivy wrote a report despite failing:\n%.2000s", res.Stdout)
	}
}

// TestGrypeReportsFixtureVulnerabilities proves the generated Grype
// database works: Syft catalogs the same packages (dpkg status with source
// packages, dist-info, node_modules) and Grype matches them, language
// packages under their GHSA id with the CVE as related vulnerability.
func TestGrypeReportsFixtureVulnerabilities(t *testing.T) {
	bin := needGrype(t)
	deb := func(id, pkg, v string) story.Reported {
		return story.Reported{ID: id, Related: []string{id}, Pkg: pkg, Version: v, Type: "deb", Path: "/var/lib/dpkg/status"}
	}
	requests := func(path string) story.Reported {
		return story.Reported{ID: "GHSA-9wx4-h78v-vm56", Related: []string{"CVE-2024-35195"}, Pkg: "requests",
			Version: "2.31.0", Type: "python", Path: "/" + path}
	}
	semver := story.Reported{ID: "GHSA-c2qf-rxjj-qqgw", Related: []string{"CVE-2022-25883"}, Pkg: "semver",
		Version: "7.5.1", Type: "npm", Path: "/" + semJS}
	tests := []struct {
		day    int
		distro string
		want   []story.Reported
	}{
		{1, "12.5", []story.Reported{deb("CVE-2010-4756", "libc6", "2.36-9+deb12u4"),
			deb("CVE-2024-0727", "libssl3", "3.0.11-1~deb12u2"), requests(py311), semver}},
		{5, "12.6", []story.Reported{deb("CVE-2010-4756", "libc6", "2.36-9+deb12u7"),
			deb(story.NewCVE, "libssl3", "3.0.13-1~deb12u1"), requests(py312), semver}},
	}
	for _, tt := range tests {
		t.Run("day"+string(rune('0'+tt.day)), func(t *testing.T) {
			res := scanDay(t, scanner.Grype, bin, day(tt.day))
			if res.ExitCode != 0 {
				t.Fatalf("grype exited %d:\n%s", res.ExitCode, res.Stderr)
			}
			got, err := story.ParseReport(scanner.Grype, res.Stdout)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			var meta struct {
				Distro struct{ Name, Version string }
				Source struct {
					Target struct{ Tags []string }
				}
			}
			if err := json.Unmarshal(res.Stdout, &meta); err != nil {
				t.Fatal(err)
			}
			if meta.Distro.Name != "debian" || meta.Distro.Version != tt.distro {
				t.Errorf("distro = %+v, want debian %s", meta.Distro, tt.distro)
			}
			if !slices.Equal(meta.Source.Target.Tags, []string{story.ImageName}) {
				t.Errorf("tags = %v, want [%s]", meta.Source.Target.Tags, story.ImageName)
			}
		})
	}
}

// TestScannersAgree checks that for the same image and the same
// vulnerabilities both scanners report the same (CVE, package, version)
// set once GHSA ids are resolved to their CVE aliases: the premise of
// switching scanners on day 5.
func TestScannersAgree(t *testing.T) {
	trivy, grype := needTrivy(t), needGrype(t)
	canonical := func(fs []story.Reported) []string {
		var out []string
		for _, f := range fs {
			id := f.ID
			if strings.HasPrefix(id, "GHSA-") {
				for _, r := range f.Related {
					if strings.HasPrefix(r, "CVE-") {
						id = r
					}
				}
			}
			out = append(out, id+" "+f.Pkg+" "+f.Version)
		}
		slices.Sort(out)
		return out
	}
	for _, n := range []int{2, 3} {
		d := day(n)
		fromTrivy := canonical(mustScan(t, scanner.Trivy, trivy, d))
		fromGrype := canonical(mustScan(t, scanner.Grype, grype, d))
		if diff := cmp.Diff(fromTrivy, fromGrype); diff != "" {
			t.Errorf("day %d: trivy and grype disagree (-trivy +grype):\n%s", n, diff)
		}
	}
}

// TestCommittedStoryIsCurrent regenerates the story and compares it with
// internal/demo/story: images, databases and story.json must be
// byte-identical, and, when both scanners are present, the committed
// reports must equal fresh scans apart from time stamps and report ids.
func TestCommittedStoryIsCurrent(t *testing.T) {
	committed := filepath.Join("..", "internal", "demo", "story")
	if _, err := os.Stat(filepath.Join(committed, story.ManifestFile)); err != nil {
		t.Fatalf("committed story missing: %v (run: go run ./cmd/storygen)", err)
	}
	var sc story.Scanners
	if shared.trivyErr == nil && shared.grypeErr == nil {
		sc = story.Scanners{Trivy: shared.trivy, Grype: shared.grype}
	} else {
		t.Log("scanners missing: comparing images, databases and story.json only")
	}
	out := t.TempDir()
	// Start from the committed reports so that an equivalent fresh scan
	// leaves them as they are.
	if err := copyDir(committed, out); err != nil {
		t.Fatal(err)
	}
	if _, err := story.Generate(context.Background(), out, sc, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	want, err := readTree(committed)
	if err != nil {
		t.Fatal(err)
	}
	got, err := readTree(out)
	if err != nil {
		t.Fatal(err)
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: generated but not committed", name)
		}
	}
	for name, b := range want {
		if name == "README.md" {
			continue
		}
		g, ok := got[name]
		switch {
		case !ok:
			t.Errorf("%s: committed but no longer generated", name)
		case g != b:
			t.Errorf("%s: differs from a fresh generation; run: go run ./cmd/storygen", name)
		}
	}
}

func readTree(root string) (map[string]string, error) {
	files := map[string]string{}
	err := filepath.WalkDir(root, func(p string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		files[filepath.ToSlash(rel)] = string(b)
		return err
	})
	return files, err
}

func copyDir(src, dst string) error {
	return filepath.WalkDir(src, func(p string, e os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if e.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
}
