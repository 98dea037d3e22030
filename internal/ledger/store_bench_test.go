package ledger_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/cvetrail/cvetrail/internal/bench"
	"github.com/cvetrail/cvetrail/internal/gitrepo"
	"github.com/cvetrail/cvetrail/internal/ledger"
	"github.com/cvetrail/cvetrail/internal/report"
)

// benchReports returns generated reports of images images with perImage
// findings each.
func benchReports(b *testing.B, images, perImage int) []*report.Report {
	b.Helper()
	reps := make([]*report.Report, images)
	for i := range reps {
		var old bytes.Buffer
		o := bench.LedgerPairOptions{Findings: perImage, Seed: uint64(i + 1), Image: bench.ReportImage(i)}
		if _, err := bench.WriteLedgerPair(context.Background(), &old, io.Discard, o); err != nil {
			b.Fatal(err)
		}
		r, err := report.Decode(&old)
		if err != nil {
			b.Fatal(err)
		}
		reps[i] = r
	}
	return reps
}

// BenchmarkWriteAll writes the ledgers of 100 images, first into an empty
// repository and then again unchanged (compared while encoded, nothing
// replaced), per finding.
func BenchmarkWriteAll(b *testing.B) {
	const images, perImage = 100, 2000
	reps := benchReports(b, images, perImage)
	for _, mode := range []string{"new", "unchanged"} {
		b.Run(mode, func(b *testing.B) {
			root := b.TempDir()
			if mode == "unchanged" {
				if _, err := (ledger.Store{Root: root}).WriteAll(context.Background(), reps); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			cpu := bench.CPUTime()
			n := 0
			for b.Loop() {
				dir := root
				if mode == "new" {
					dir = filepath.Join(root, fmt.Sprint(n))
					n++
				}
				changed, err := (ledger.Store{Root: dir}).WriteAll(context.Background(), reps)
				if err != nil {
					b.Fatal(err)
				}
				if want := map[string]int{"new": images, "unchanged": 0}[mode]; len(changed) != want {
					b.Fatalf("%d ledgers written, want %d", len(changed), want)
				}
			}
			bench.ReportCPU(b, b.N, cpu, images*perImage, 0)
		})
	}
}

// BenchmarkLoad reads the ledgers of 100 images from a working tree, per
// finding and per MB.
func BenchmarkLoad(b *testing.B) {
	const images, perImage = 100, 2000
	root := b.TempDir()
	if _, err := (ledger.Store{Root: root}).WriteAll(context.Background(), benchReports(b, images, perImage)); err != nil {
		b.Fatal(err)
	}
	size := dirSize(b, filepath.Join(root, ledger.Dir))
	b.SetBytes(size)
	b.ReportAllocs()
	cpu := bench.CPUTime()
	for b.Loop() {
		all, err := (ledger.Store{Root: root}).Load(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if len(all) != images {
			b.Fatalf("%d ledgers, want %d", len(all), images)
		}
	}
	bench.ReportCPU(b, b.N, cpu, images*perImage, size)
}

// BenchmarkLoadRev reads the ledgers of a commit of a generated daily
// repository through git, as cvetrail diff and run do with the base
// branch.
func BenchmarkLoadRev(b *testing.B) {
	if _, err := exec.LookPath("git"); err != nil {
		b.Skip("no git")
	}
	const images, perImage = 100, 2000
	dir := filepath.Join(b.TempDir(), "repo")
	st, err := bench.WriteRepo(context.Background(), dir, bench.RepoOptions{Images: images, Days: 3, Findings: perImage, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	repo, err := gitrepo.Open(context.Background(), dir)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	cpu := bench.CPUTime()
	for b.Loop() {
		all, err := ledger.LoadRev(context.Background(), repo, "HEAD~1")
		if err != nil {
			b.Fatal(err)
		}
		if len(all) != images {
			b.Fatalf("%d ledgers, want %d", len(all), images)
		}
	}
	bench.ReportCPU(b, b.N, cpu, st.Findings, 0)
}

func dirSize(b *testing.B, dir string) int64 {
	b.Helper()
	matches, err := filepath.Glob(filepath.Join(dir, "*"+ledger.Ext))
	if err != nil {
		b.Fatal(err)
	}
	var n int64
	for _, m := range matches {
		st, err := osStat(m)
		if err != nil {
			b.Fatal(err)
		}
		n += st
	}
	return n
}

func osStat(path string) (int64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}
