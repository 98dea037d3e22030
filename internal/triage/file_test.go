package triage

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cvetrail/cvetrail/internal/report"
)

func TestFind(t *testing.T) {
	ssl := report.Finding{ID: "CVE-2023-0464", Aliases: []string{"GHSA-aaaa-bbbb-cccc"}, Type: "deb", Pkg: "libssl3"}
	src := `schemaVersion: 1
decisions:
  - id: CVE-2023-0464            # 0: bare id
    status: accepted
    reason: bare
    severity: HIGH
  - id: CVE-2023-0464            # 1: image scope
    images: ["registry/app:*"]
    status: accepted
    reason: image
    severity: HIGH
  - id: GHSA-aaaa-bbbb-cccc      # 2: package scope, by alias
    packages: [libssl3]
    status: accepted
    reason: package
    severity: HIGH
  - id: CVE-2023-0464            # 3: package and image scope
    packages: [libssl3]
    images: ["registry/app:1.*"]
    status: accepted
    reason: package and image
    severity: HIGH
  - id: CVE-2023-0464            # 4: image scope again, later in the file
    images: ["registry/*"]
    status: accepted
    reason: image, later
    severity: HIGH
  - id: CVE-2023-0464            # 5: package scope that does not match
    packages: [openssl]
    images: ["*"]
    status: accepted
    reason: other package
    severity: HIGH
`
	f, err := Load(decisionsPath, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		image string
		f     report.Finding
		want  string // reason of the decision found; "" for none
	}{
		{"package and image beat everything", "registry/app:1.2", ssl, "package and image"},
		{"package beats image", "registry/app:2.0", ssl, "package"},
		{"package beats bare id", "other/thing:1", ssl, "package"},
		{"later image scope beats earlier one", "registry/worker:1", report.Finding{ID: "CVE-2023-0464", Type: "deb", Pkg: "openssl3"}, "image, later"},
		{"bare id alone", "elsewhere:1", report.Finding{ID: "CVE-2023-0464", Type: "deb", Pkg: "openssl3"}, "bare"},
		{"finding known by the GHSA, decisions by the CVE", "registry/app:1.2",
			report.Finding{ID: "GHSA-aaaa-bbbb-cccc", Aliases: []string{"CVE-2023-0464"}, Type: "deb", Pkg: "libssl3"}, "package and image"},
		{"nothing covers", "registry/app:1.2", report.Finding{ID: "CVE-2099-0001", Type: "deb", Pkg: "libssl3"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lit := &File{Path: f.Path, Decisions: slices.Clone(f.Decisions)} // not indexed: the linear search
			for _, file := range []*File{f, lit} {
				got := file.Find(tt.image, &tt.f)
				reason := ""
				if got != nil {
					reason = got.Reason
					if got != &file.Decisions[slices.IndexFunc(file.Decisions, func(d Decision) bool { return d.Reason == reason })] {
						t.Errorf("Find returned a pointer outside Decisions")
					}
				}
				if reason != tt.want {
					t.Errorf("Find(%q, %v) (indexed %v) = %q, want %q", tt.image, tt.f.Key(), file.indexValid(), reason, tt.want)
				}
			}
		})
	}
}

func TestFindTieIsLastInFile(t *testing.T) {
	fd := report.Finding{ID: "CVE-1", Type: "deb", Pkg: "a"}
	ds := []Decision{
		{ID: "CVE-1", Packages: []string{"a"}, Reason: "first"},
		{ID: "cve-1", Packages: []string{"a", "b"}, Reason: "second"},
		{ID: "CVE-1", Reason: "bare, last"},
	}
	f := &File{Decisions: ds}
	for range 20 { // the same answer every time
		if got := f.Find("x:1", &fd); got == nil || got.Reason != "second" {
			t.Fatalf("Find = %+v, want the later of two equally specific decisions", got)
		}
	}
	f.reindex()
	if got := f.Find("x:1", &fd); got == nil || got.Reason != "second" {
		t.Fatalf("indexed Find = %+v, want the later of two equally specific decisions", got)
	}
	// Appending to Decisions after indexing falls back to the linear search.
	f.Decisions = append(f.Decisions, Decision{ID: "CVE-1", Packages: []string{"a"}, Images: []string{"x:*"}, Reason: "appended"})
	if got := f.Find("x:1", &fd); got == nil || got.Reason != "appended" {
		t.Fatalf("Find after append = %+v, want the appended decision", got)
	}
}

// TestFindIndexMatchesLinear compares the indexed search with the linear
// one on random decisions and findings.
func TestFindIndexMatchesLinear(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	ids := []string{"CVE-1", "cve-1", "CVE-2", "GHSA-x", "CVE-3"}
	pkgs := []string{"a", "b", "PyYAML"}
	globs := []string{"reg/app:*", "*", "reg/app:1", "other:*"}
	pick := func(s []string) string { return s[r.IntN(len(s))] }
	for round := range 200 {
		var ds []Decision
		for range r.IntN(8) {
			d := Decision{ID: pick(ids), Reason: fmt.Sprint(len(ds))}
			if r.IntN(2) == 0 {
				d.Packages = []string{pick(pkgs)}
			}
			if r.IntN(2) == 0 {
				d.Images = []string{pick(globs)}
			}
			ds = append(ds, d)
		}
		indexed := &File{Decisions: ds}
		indexed.reindex()
		linear := &File{Decisions: slices.Clone(ds)}
		fd := report.Finding{ID: pick(ids), Aliases: []string{pick(ids)}, Type: pick([]string{"deb", "pypi"}), Pkg: pick([]string{"a", "b", "pyyaml"})}
		image := pick([]string{"reg/app:1", "reg/app:2", "other:1"})
		a, b := indexed.Find(image, &fd), linear.Find(image, &fd)
		if (a == nil) != (b == nil) || a != nil && a.Reason != b.Reason {
			t.Fatalf("round %d: indexed Find = %+v, linear = %+v", round, a, b)
		}
	}
}

func TestStale(t *testing.T) {
	f := &File{Decisions: []Decision{
		{ID: "CVE-1"}, // 0: covers app:1
		{ID: "CVE-2", Images: []string{"gone:*"}}, // 1: only an image that is not scanned
		{ID: "GHSA-x"}, // 2: by alias
		{ID: "CVE-3", Packages: []string{"zlib"}},        // 3: package absent
		{ID: "CVE-4", Expires: date("2000-01-01")},       // 4: expired but covering: not stale
		{ID: "CVE-1", Packages: []string{"a"}},           // 5: shadowed by nothing, covers
		{ID: "CVE-9", Images: []string{"app:*", "db:*"}}, // 6: no finding with that id
	}}
	f.reindex()
	images := map[string][]report.Finding{
		"app:1": {
			{ID: "CVE-1", Type: "deb", Pkg: "a"},
			{ID: "CVE-2", Type: "deb", Pkg: "a"},
			{ID: "CVE-5", Aliases: []string{"GHSA-x"}, Type: "npm", Pkg: "b"},
		},
		"db:1": {
			{ID: "CVE-3", Type: "deb", Pkg: "openssl"},
			{ID: "CVE-4", Type: "deb", Pkg: "openssl"},
		},
	}
	if diff := cmp.Diff([]int{1, 3, 6}, f.Stale(images)); diff != "" {
		t.Errorf("Stale (-want +got):\n%s", diff)
	}
	if got := f.Stale(nil); !slices.Equal(got, []int{0, 1, 2, 3, 4, 5, 6}) {
		t.Errorf("Stale(no images) = %v, want every decision", got)
	}

	u := f.NewUsage()
	u.Observe("app:1", &images["app:1"][0])
	if diff := cmp.Diff([]int{1, 2, 3, 4, 6}, u.Stale()); diff != "" {
		t.Errorf("Usage.Stale after one finding (-want +got):\n%s", diff)
	}
	if got := (&File{}).Stale(images); len(got) != 0 {
		t.Errorf("Stale with no decisions = %v", got)
	}
}
