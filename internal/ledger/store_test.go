package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cvetrail/cvetrail/internal/report"
)

// rep builds a normalized report of image with one finding per id.
func rep(image string, ids ...string) *report.Report {
	r := &report.Report{Header: report.Header{Image: image, OS: &report.OS{Family: "debian", Version: "12.5"}}}
	for i, id := range ids {
		r.Findings = append(r.Findings, report.Finding{
			ID: id, Type: "deb", Pkg: "openssl", Versions: []string{"3.0.11-1"},
			FixState: report.NotFixed, Severity: report.Severity(i % 5), Title: "title of " + id,
		})
	}
	r.Normalize()
	return r
}

func encoded(t *testing.T, r *report.Report) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := report.Encode(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func ledgerFile(t *testing.T, root, image string) string {
	t.Helper()
	rel, err := Path(image)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, filepath.FromSlash(rel))
}

func mustPath(t *testing.T, image string) string {
	t.Helper()
	p, err := Path(image)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// snapshot records the content of every file under dir.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestWriteAllAndLoad(t *testing.T) {
	ctx := context.Background()
	s := Store{Root: t.TempDir()}
	a := rep("registry.example.com/team/a:1", "CVE-2024-0001", "CVE-2024-0002")
	b := rep("b", "CVE-2023-1000")
	empty := rep("docker-archive:/tmp/empty.tar")

	changed, err := s.WriteAll(ctx, []*report.Report{a, b, empty})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{mustPath(t, a.Image), mustPath(t, b.Image), mustPath(t, empty.Image)}
	slices.Sort(want)
	if diff := cmp.Diff(want, changed); diff != "" {
		t.Errorf("changed (-want +got):\n%s", diff)
	}
	for _, r := range []*report.Report{a, b, empty} {
		got, err := os.ReadFile(ledgerFile(t, s.Root, r.Image))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, encoded(t, r)) {
			t.Errorf("ledger of %s:\n%s\nwant:\n%s", r.Image, got, encoded(t, r))
		}
	}

	loaded, err := s.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantLoaded := map[string]*report.Report{a.Image: a, b.Image: b, empty.Image: empty}
	for _, r := range wantLoaded {
		r.SchemaVersion = report.SchemaVersion
	}
	if diff := cmp.Diff(wantLoaded, loaded); diff != "" {
		t.Errorf("Load (-want +got):\n%s", diff)
	}

	one, err := s.LoadImage(ctx, b.Image)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(b, one); diff != "" {
		t.Errorf("LoadImage (-want +got):\n%s", diff)
	}
	if _, err := s.LoadImage(ctx, "never-scanned"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadImage of an image without ledger: %v, want fs.ErrNotExist", err)
	}
}

func TestWriteAllLeavesUnchangedFilesAlone(t *testing.T) {
	ctx := context.Background()
	s := Store{Root: t.TempDir()}
	a := rep("a", "CVE-2024-0001")
	b := rep("b", "CVE-2024-0002")
	if _, err := s.WriteAll(ctx, []*report.Report{a, b}); err != nil {
		t.Fatal(err)
	}
	old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	before := map[string]fs.FileInfo{}
	for _, img := range []string{"a", "b"} {
		p := ledgerFile(t, s.Root, img)
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		before[img] = fi
	}

	b2 := rep("b", "CVE-2024-0002", "CVE-2024-0003")
	changed, err := s.WriteAll(ctx, []*report.Report{rep("a", "CVE-2024-0001"), b2})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{mustPath(t, "b")}, changed); diff != "" {
		t.Errorf("changed (-want +got):\n%s", diff)
	}
	fa, err := os.Stat(ledgerFile(t, s.Root, "a"))
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(before["a"], fa) || !fa.ModTime().Equal(old) {
		t.Errorf("unchanged ledger was rewritten: same file %v, mtime %v (was %v)", os.SameFile(before["a"], fa), fa.ModTime(), old)
	}
	fb, err := os.Stat(ledgerFile(t, s.Root, "b"))
	if err != nil {
		t.Fatal(err)
	}
	if os.SameFile(before["b"], fb) {
		t.Error("changed ledger was written in place, not replaced by a rename")
	}
	if got, _ := os.ReadFile(ledgerFile(t, s.Root, "b")); !bytes.Equal(got, encoded(t, b2)) {
		t.Errorf("ledger b:\n%s\nwant:\n%s", got, encoded(t, b2))
	}
	if changed, err := s.WriteAll(ctx, []*report.Report{a, b2}); err != nil || len(changed) != 0 {
		t.Errorf("writing the same ledgers again: changed %v, %v; want nothing", changed, err)
	}
	checkNoTemp(t, s.Root)
}

// TestWriteAllComparesWholeContent covers a difference deep inside a large
// ledger, a new content that extends the old one and one that is a prefix
// of it.
func TestWriteAllComparesWholeContent(t *testing.T) {
	ctx := context.Background()
	ids := make([]string, 3000)
	for i := range ids {
		ids[i] = fmt.Sprintf("CVE-2024-%05d", i)
	}
	base := rep("big", ids...)
	deep := rep("big", ids...)
	deep.Findings[2500].Title = "changed title"
	longer := rep("big", append(slices.Clone(ids), "CVE-2099-99999")...)
	shorter := rep("big", ids[:2999]...)
	sameLength := rep("big", ids...)
	sameLength.Findings[2999].Title = strings.Replace(sameLength.Findings[2999].Title, "title", "TITLE", 1)

	for _, tt := range []struct {
		name string
		next *report.Report
	}{{"deep", deep}, {"longer", longer}, {"shorter", shorter}, {"same length", sameLength}} {
		t.Run(tt.name, func(t *testing.T) {
			s := Store{Root: t.TempDir()}
			if _, err := s.WriteAll(ctx, []*report.Report{base}); err != nil {
				t.Fatal(err)
			}
			changed, err := s.WriteAll(ctx, []*report.Report{tt.next})
			if err != nil {
				t.Fatal(err)
			}
			if len(changed) != 1 {
				t.Errorf("changed = %v, want the ledger", changed)
			}
			got, err := os.ReadFile(ledgerFile(t, s.Root, "big"))
			if err != nil {
				t.Fatal(err)
			}
			if want := encoded(t, tt.next); !bytes.Equal(got, want) {
				t.Errorf("ledger has %d bytes, want %d; first difference at %d", len(got), len(want), firstDiff(got, want))
			}
			checkNoTemp(t, s.Root)
		})
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func TestWriteAllFailureChangesNothing(t *testing.T) {
	unsorted := rep("c", "CVE-2024-0001", "CVE-2024-0002")
	unsorted.Findings[0], unsorted.Findings[1] = unsorted.Findings[1], unsorted.Findings[0]

	tests := []struct {
		name    string
		prepare func(t *testing.T, s Store) context.Context
		reports []*report.Report
		wantErr string
	}{{
		name:    "a report that does not encode",
		reports: []*report.Report{rep("a", "CVE-2025-0001"), unsorted, rep("b", "CVE-2025-0002")},
		wantErr: "not normalized",
	}, {
		name: "a ledger path that is a directory",
		prepare: func(t *testing.T, s Store) context.Context {
			if err := os.Mkdir(ledgerFile(t, s.Root, "d"), 0o755); err != nil {
				t.Fatal(err)
			}
			return context.Background()
		},
		reports: []*report.Report{rep("a", "CVE-2025-0001"), rep("b", "CVE-2025-0002"), rep("d", "CVE-2025-0003")},
		wantErr: "not a regular file",
	}, {
		name: "a cancelled context",
		prepare: func(t *testing.T, s Store) context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx
		},
		reports: []*report.Report{rep("a", "CVE-2025-0001")},
		wantErr: "context canceled",
	}, {
		name:    "the same image twice",
		reports: []*report.Report{rep("a", "CVE-2025-0001"), rep("a", "CVE-2025-0002")},
		wantErr: "given twice",
	}, {
		name:    "a report without image",
		reports: []*report.Report{rep("a", "CVE-2025-0001"), {}},
		wantErr: "empty image reference",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			s := Store{Root: t.TempDir()}
			if _, err := s.WriteAll(ctx, []*report.Report{rep("a", "CVE-2024-0001"), rep("b", "CVE-2024-0002")}); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(s.Root, DecisionsFile), []byte("# decisions\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if tt.prepare != nil {
				ctx = tt.prepare(t, s)
			}
			before := snapshot(t, s.Root)
			changed, err := s.WriteAll(ctx, tt.reports)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("WriteAll: %v, want an error containing %q", err, tt.wantErr)
			}
			if len(changed) != 0 {
				t.Errorf("changed = %v after a failure", changed)
			}
			if diff := cmp.Diff(before, snapshot(t, s.Root)); diff != "" {
				t.Errorf("files changed (-before +after):\n%s", diff)
			}
		})
	}
}

func TestWriteAllFailureInFreshRepository(t *testing.T) {
	unsorted := rep("c", "CVE-2024-0001", "CVE-2024-0002")
	unsorted.Findings[0], unsorted.Findings[1] = unsorted.Findings[1], unsorted.Findings[0]
	s := Store{Root: t.TempDir()}
	if _, err := s.WriteAll(context.Background(), []*report.Report{rep("a"), unsorted}); err == nil {
		t.Fatal("WriteAll of a report that does not encode succeeded")
	}
	if entries, _ := os.ReadDir(s.Root); len(entries) != 0 {
		t.Errorf("a failed first write left %v", entries)
	}
}

func TestWriteAllKeepsMode(t *testing.T) {
	ctx := context.Background()
	s := Store{Root: t.TempDir()}
	if _, err := s.WriteAll(ctx, []*report.Report{rep("a", "CVE-2024-0001")}); err != nil {
		t.Fatal(err)
	}
	p := ledgerFile(t, s.Root, "a")
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("new ledger has mode %v, want 0644", fi.Mode().Perm())
	}
	if err := os.Chmod(p, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.WriteAll(ctx, []*report.Report{rep("a", "CVE-2024-0002")}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("rewritten ledger: %v, %v; want mode 0600 kept", fi.Mode().Perm(), err)
	}
}

func checkNoTemp(t *testing.T, root string) {
	t.Helper()
	for f := range snapshot(t, root) {
		if isTempName(filepath.Base(f)) {
			t.Errorf("temporary file %s left behind", f)
		}
	}
}

func writeFile(t *testing.T, root, rel, content string) {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

const header = `{"schemaVersion":1,"image":"%s"}` + "\n"

func TestLoadErrors(t *testing.T) {
	good := `{"id":"CVE-2024-0001","type":"deb","pkg":"openssl","fixState":"fixed","severity":"HIGH"}` + "\n"
	appFile := mustPath(t, "app")
	tests := []struct {
		name  string
		files map[string]string
		want  []string // substrings of the error
	}{{
		name:  "bad line",
		files: map[string]string{appFile: fmt.Sprintf(header, "app") + good + "{not json\n"},
		want:  []string{appFile, "line 3"},
	}, {
		name:  "unknown field",
		files: map[string]string{appFile: fmt.Sprintf(header, "app") + `{"id":"CVE-1","type":"deb","pkg":"x","fixState":"fixed","severity":"LOW","extra":1}` + "\n"},
		want:  []string{appFile, "line 2", "extra"},
	}, {
		name:  "truncated",
		files: map[string]string{appFile: fmt.Sprintf(header, "app") + strings.TrimSuffix(good, "\n")},
		want:  []string{appFile, "line 2", "truncated"},
	}, {
		name:  "empty file",
		files: map[string]string{appFile: ""},
		want:  []string{appFile, "line 1"},
	}, {
		name:  "header of another image",
		files: map[string]string{"cvetrail/other.jsonl": fmt.Sprintf(header, "app")},
		want:  []string{"cvetrail/other.jsonl", "line 1", `"app"`, "belongs in " + appFile},
	}, {
		name:  "header image that has no slug",
		files: map[string]string{"cvetrail/x.jsonl": fmt.Sprintf(header, " x")},
		want:  []string{"cvetrail/x.jsonl", "line 1", "white space"},
	}, {
		name:  "a directory named like a ledger",
		files: map[string]string{"cvetrail/dir.jsonl/x": ""},
		want:  []string{"cvetrail/dir.jsonl", "not a regular file"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Store{Root: t.TempDir()}
			for rel, content := range tt.files {
				writeFile(t, s.Root, rel, content)
			}
			_, err := s.Load(context.Background())
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Load error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestLoadIgnoresOtherFiles(t *testing.T) {
	s := Store{Root: t.TempDir()}
	if got, err := s.Load(context.Background()); err != nil || len(got) != 0 {
		t.Fatalf("Load without cvetrail/: %v, %v; want an empty map", got, err)
	}
	writeFile(t, s.Root, mustPath(t, "app"), fmt.Sprintf(header, "app"))
	writeFile(t, s.Root, DecisionsFile, "- id: CVE-1\n")
	writeFile(t, s.Root, "cvetrail/.cvetrail-123.tmp", "partial")
	writeFile(t, s.Root, "cvetrail/README.md", "# ledgers\n")
	writeFile(t, s.Root, "cvetrail/.jsonl", "not a ledger")
	writeFile(t, s.Root, "cvetrail/sub/nested.jsonl", "not a ledger")
	got, err := s.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]*report.Report{"app": {Header: report.Header{SchemaVersion: 1, Image: "app"}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Load (-want +got):\n%s", diff)
	}
}

func TestLoadImageChecksImage(t *testing.T) {
	s := Store{Root: t.TempDir()}
	// A file at app's path that holds another image: only a hash collision
	// or a hand edit can make it, and it must not be taken for app's.
	writeFile(t, s.Root, mustPath(t, "app"), fmt.Sprintf(header, "app"))
	if _, err := s.LoadImage(context.Background(), "app"); err != nil {
		t.Fatal(err)
	}
	writeFile(t, s.Root, mustPath(t, "App"), fmt.Sprintf(header, "app"))
	_, err := s.LoadImage(context.Background(), "App")
	if err == nil || !strings.Contains(err.Error(), mustPath(t, "App")) {
		t.Errorf("LoadImage of a file holding another image: %v, want an error naming the file", err)
	}
}

func TestRemove(t *testing.T) {
	ctx := context.Background()
	s := Store{Root: t.TempDir()}
	if _, err := s.WriteAll(ctx, []*report.Report{rep("a", "CVE-2024-0001"), rep("b")}); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	got, err := s.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got["a"]; ok || len(got) != 1 {
		t.Errorf("after Remove(a): %v", slices.Sorted(mapsKeys(got)))
	}
	if err := s.Remove(ctx, "a"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Remove of a missing ledger: %v, want fs.ErrNotExist", err)
	}
}

func mapsKeys(m map[string]*report.Report) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func TestCleanTemp(t *testing.T) {
	s := Store{Root: t.TempDir()}
	writeFile(t, s.Root, "cvetrail/.cvetrail-1.tmp", "x")
	writeFile(t, s.Root, ".cvetrail-2.tmp", "x")
	writeFile(t, s.Root, "cvetrail/keep.tmp", "x")
	writeFile(t, s.Root, ".cvetrail-keep", "x")
	removed, err := s.CleanTemp(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{".cvetrail-2.tmp", "cvetrail/.cvetrail-1.tmp"}, removed); diff != "" {
		t.Errorf("removed (-want +got):\n%s", diff)
	}
	want := map[string]string{"cvetrail/keep.tmp": "x", ".cvetrail-keep": "x"}
	if diff := cmp.Diff(want, snapshot(t, s.Root)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}

func TestCleanTempFiles(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, ".cvetrail-31.tmp", "x")
	writeFile(t, dir, "cvetrail-merge.json", "x")
	writeFile(t, dir, "sub/.cvetrail-32.tmp", "x")
	removed, err := CleanTempFiles(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{".cvetrail-31.tmp"}, removed); diff != "" {
		t.Errorf("removed (-want +got):\n%s", diff)
	}
	want := map[string]string{"cvetrail-merge.json": "x", "sub/.cvetrail-32.tmp": "x"}
	if diff := cmp.Diff(want, snapshot(t, dir)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if removed, err := CleanTempFiles(context.Background(), filepath.Join(dir, "missing")); err != nil || removed != nil {
		t.Errorf("a missing directory: %v, %v", removed, err)
	}
}

func TestMarshal(t *testing.T) {
	r := rep("registry.example.com/app:1", "CVE-2024-0001")
	rel, data, err := Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if rel != mustPath(t, r.Image) || !bytes.Equal(data, encoded(t, r)) {
		t.Errorf("Marshal = %q, %q", rel, data)
	}
}
