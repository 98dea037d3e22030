package report

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// referenceNormalize is Normalize written plainly: every finding one after
// the other, findings sorted as values, every package group merged by
// mergeGroup. Normalize must give exactly what it gives.
func referenceNormalize(r *Report) {
	c := &cutter{}
	for i := range r.Findings {
		f := &r.Findings[i]
		f.Title = strings.Join(strings.Fields(f.Title), " ")
		c.normalizeFinding(f)
	}
	r.Warnings = append(r.Warnings, c.warnings...)
	slices.SortFunc(r.Findings, func(a, b Finding) int {
		if c := strings.Compare(a.Type, b.Type); c != 0 {
			return c
		}
		return strings.Compare(a.Pkg, b.Pkg)
	})
	var out []Finding
	for start := 0; start < len(r.Findings); {
		end := start + 1
		for end < len(r.Findings) && r.Findings[end].Type == r.Findings[start].Type && r.Findings[end].Pkg == r.Findings[start].Pkg {
			end++
		}
		out = append(out, mergeGroup(slices.Clone(r.Findings[start:end]))...)
		start = end
	}
	slices.SortFunc(out, compareFindings)
	r.Findings = out
	if r.SchemaVersion == 0 {
		r.SchemaVersion = SchemaVersion
	}
}

// mergeGroup merges findings of one package that share an id or alias,
// plainly: a union-find over the group, joined by shared ids. It is the
// reference for mergeAndSort.
func mergeGroup(g []Finding) []Finding {
	if len(g) == 1 {
		return g
	}
	// Union-find over the findings of the group, joined by shared ids.
	parent := make([]int, len(g))
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	owner := map[string]int{}
	for i := range g {
		for _, id := range g[i].IDs() {
			if j, ok := owner[id]; ok {
				a, b := find(i), find(j)
				if a != b {
					parent[max(a, b)] = min(a, b)
				}
			} else {
				owner[id] = i
			}
		}
	}
	merged := make(map[int]*Finding)
	members := make(map[int]int)
	var order []int
	for i := range g {
		root := find(i)
		members[root]++
		if m, ok := merged[root]; ok {
			mergeInto(m, &g[i])
			continue
		}
		f := g[i]
		merged[root] = &f
		order = append(order, root)
	}
	out := make([]Finding, 0, len(order))
	for _, root := range order {
		f := merged[root]
		if members[root] == 1 {
			// Merged with nothing: its id stays the one CanonicalID
			// chose, whatever else the package has.
			out = append(out, *f)
			continue
		}
		all := sortedSet(f.IDs())
		f.ID = CanonicalID(minString(all), all)
		f.Aliases = slices.DeleteFunc(all, func(a string) bool { return a == f.ID })
		if len(f.Aliases) == 0 {
			f.Aliases = nil
		}
		out = append(out, *f)
	}
	return out
}

// randomFindings makes n findings over few packages and ids, so that many
// share an id or alias and are merged, with titles in need of collapsing
// and some over-long fields.
func randomFindings(rng *rand.Rand, n int) []Finding {
	pkgs := []string{"openssl", "libxml2", "Django", "django", "lodash", "zlib", "curl"}
	types := []string{"deb", "pypi", "npm", "DEB"}
	titles := []string{"", "plain title", " leading", "trailing ", "two  spaces", "tab\there", "nbsp\u00a0inside", "é accent", "line\nbreak", "x"}
	fs := make([]Finding, n)
	for i := range fs {
		f := &fs[i]
		f.ID = fmt.Sprintf("CVE-2024-%d", rng.IntN(n/4+1))
		if rng.IntN(5) == 0 {
			f.ID = fmt.Sprintf("GHSA-%04d", rng.IntN(n/4+1))
		}
		if rng.IntN(4) == 0 {
			f.Aliases = []string{fmt.Sprintf("GHSA-%04d", rng.IntN(n/4+1))}
			if rng.IntN(2) == 0 {
				f.Aliases = append(f.Aliases, fmt.Sprintf("CVE-2024-%d", rng.IntN(n/4+1)))
			}
		}
		f.Type = types[rng.IntN(len(types))]
		f.Pkg = pkgs[rng.IntN(len(pkgs))]
		f.Versions = []string{fmt.Sprintf("1.%d", rng.IntN(3))}
		if rng.IntN(2) == 0 {
			f.Fixed = []string{fmt.Sprintf("1.%d", 3+rng.IntN(3))}
		}
		f.Paths = []string{fmt.Sprintf("/app/%d", rng.IntN(3))}
		f.Severity = Severity(rng.IntN(6))
		f.Title = titles[rng.IntN(len(titles))]
		if rng.IntN(50) == 0 {
			f.Title = strings.Repeat("long ", 200)
		}
		if rng.IntN(3) == 0 {
			f.CVSS = &CVSS{Score: float64(rng.IntN(100)) / 10, Source: "nvd"}
		}
		f.Published = "2024-01-02T00:00:00Z"
	}
	return fs
}

func TestNormalizeMatchesReference(t *testing.T) {
	defer func(n int) { parallelMin = n }(parallelMin)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 2, 3, 4} {
		runtime.GOMAXPROCS(procs)
		for _, min := range []int{1, 1 << 30} {
			parallelMin = min
			for seed := range uint64(20) {
				rng := rand.New(rand.NewPCG(seed, uint64(procs)))
				n := 1 + rng.IntN(400)
				fs := randomFindings(rng, n)
				got := &Report{Findings: slices.Clone(fs)}
				want := &Report{Findings: cloneFindings(fs)}
				got.Findings = cloneFindings(fs)
				// Some findings normalized one by one first, as a parser
				// does, the rest by Normalize.
				var text []bool
				if seed%2 == 1 {
					text = make([]bool, len(got.Findings))
					for i := range text {
						if rng.IntN(3) > 0 {
							text[i] = NormalizeText(&got.Findings[i])
						}
					}
				}
				got.NormalizeRest(text)
				referenceNormalize(want)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Fatalf("GOMAXPROCS %d, parallelMin %d, seed %d, %d findings: Normalize differs from the reference (-want +got):\n%s", procs, min, seed, n, diff)
				}
				again := &Report{Findings: cloneFindings(got.Findings), Header: got.Header}
				again.Normalize()
				if diff := cmp.Diff(got.Findings, again.Findings); diff != "" {
					t.Fatalf("seed %d: Normalize is not idempotent:\n%s", seed, diff)
				}
			}
		}
	}
}

// cloneFindings copies fs deeply, so that normalizing one copy leaves the
// other as it was.
func cloneFindings(fs []Finding) []Finding {
	out := slices.Clone(fs)
	for i := range out {
		f := &out[i]
		f.Aliases, f.Versions, f.Paths, f.Fixed = slices.Clone(f.Aliases), slices.Clone(f.Versions), slices.Clone(f.Paths), slices.Clone(f.Fixed)
		if f.CVSS != nil {
			c := *f.CVSS
			f.CVSS = &c
		}
	}
	return out
}

func FuzzCollapseSpace(f *testing.F) {
	for _, s := range []string{"", " ", "a b", " a", "a ", "a  b", "a\tb", "\u00a0a", "a\u2003b", "é", "a\u0085b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := collapseSpace(s), strings.Join(strings.Fields(s), " "); got != want {
			t.Fatalf("collapseSpace(%q) = %q, want %q", s, got, want)
		}
	})
}

// TestEncodeParallel checks that a report encoded on several cores, in
// rounds of runs, is byte for byte the one encoded on one, and that a
// finding out of order is reported the same way, as the first one.
func TestEncodeParallel(t *testing.T) {
	defer func(n int) { parallelMin = n }(parallelMin)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	rng := rand.New(rand.NewPCG(7, 7))
	r := &Report{Header: Header{Image: "app"}, Findings: randomFindings(rng, 3*encodeRun1+17)}
	for i := range r.Findings {
		r.Findings[i].ID = fmt.Sprintf("CVE-2024-%06d", i) // all distinct
	}
	r.Normalize()
	encode := func(r *Report) (string, error) {
		var b strings.Builder
		err := Encode(&b, r)
		return b.String(), err
	}
	parallelMin = 1 << 30
	want, err := encode(r)
	if err != nil {
		t.Fatal(err)
	}
	bad := &Report{Header: r.Header, Findings: slices.Clone(r.Findings)}
	bad.Findings[encodeRun1+5], bad.Findings[2*encodeRun1+9] = bad.Findings[2*encodeRun1+9], bad.Findings[encodeRun1+5]
	_, wantErr := encode(bad)
	if wantErr == nil {
		t.Fatal("no error for findings out of order")
	}
	parallelMin = 1
	for _, procs := range []int{1, 2, 3, 8} {
		runtime.GOMAXPROCS(procs)
		got, err := encode(r)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("GOMAXPROCS %d: the ledger differs from the one encoded on one core (%d bytes, want %d)", procs, len(got), len(want))
		}
		if _, err := encode(bad); err == nil || err.Error() != wantErr.Error() {
			t.Fatalf("GOMAXPROCS %d: error %v, want %v", procs, err, wantErr)
		}
	}
}
