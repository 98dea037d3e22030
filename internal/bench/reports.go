package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ReportsOptions describe a directory of generated Trivy reports, one per
// image, as a CI matrix leaves them for `cvetrail run --from-dir`.
type ReportsOptions struct {
	Count int   // number of reports (images)
	Size  int64 // size of each report, as TrivyOptions.Size
	Seed  uint64
}

// ReportsStats describe what WriteReports wrote.
type ReportsStats struct {
	Files    []string // the files written, in order
	Bytes    int64    // their total size
	Findings int      // distinct findings over all reports
}

// ReportImage returns the image that report i (0-based) of WriteReports
// names.
func ReportImage(i int) string {
	return fmt.Sprintf("registry.example.com/team/service-%04d:1.0.0", i)
}

// WriteReports writes o.Count Trivy reports into dir (created if missing)
// as service-NNNN.json, each naming its own image (ReportImage) and
// generated from its own seed, so no two are alike.
func WriteReports(ctx context.Context, dir string, o ReportsOptions) (ReportsStats, error) {
	if o.Count < 0 {
		return ReportsStats{}, errors.New("generating reports: negative count")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return ReportsStats{}, fmt.Errorf("generating reports: %w", err)
	}
	var st ReportsStats
	for i := range o.Count {
		path := filepath.Join(dir, fmt.Sprintf("service-%04d.json", i))
		ts, err := writeTrivyFile(ctx, path, TrivyOptions{Size: o.Size, Seed: o.Seed + uint64(i)<<32, Image: ReportImage(i)})
		if err != nil {
			return ReportsStats{}, fmt.Errorf("generating reports: %w", err)
		}
		st.Files = append(st.Files, path)
		st.Bytes += ts.Bytes
		st.Findings += ts.Findings
	}
	return st, nil
}

// WriteTrivyFile writes a generated report (see WriteTrivy) to path.
func WriteTrivyFile(ctx context.Context, path string, o TrivyOptions) (TrivyStats, error) {
	st, err := writeTrivyFile(ctx, path, o)
	if err != nil {
		return TrivyStats{}, fmt.Errorf("generating trivy report: %w", err)
	}
	return st, nil
}

func writeTrivyFile(ctx context.Context, path string, o TrivyOptions) (TrivyStats, error) {
	f, err := os.Create(path)
	if err != nil {
		return TrivyStats{}, err
	}
	st, err := WriteTrivy(ctx, f, o)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return TrivyStats{}, err
	}
	return st, nil
}

// WriteLedgerPairFiles writes the two ledgers of WriteLedgerPair to
// oldPath and newPath.
func WriteLedgerPairFiles(ctx context.Context, oldPath, newPath string, o LedgerPairOptions) (LedgerPairStats, error) {
	create := func(p string) (*os.File, *bufio.Writer, error) {
		f, err := os.Create(p)
		if err != nil {
			return nil, nil, fmt.Errorf("generating ledgers: %w", err)
		}
		return f, bufio.NewWriterSize(f, 1<<20), nil
	}
	of, ow, err := create(oldPath)
	if err != nil {
		return LedgerPairStats{}, err
	}
	defer of.Close()
	nf, nw, err := create(newPath)
	if err != nil {
		os.Remove(oldPath)
		return LedgerPairStats{}, err
	}
	defer nf.Close()
	st, err := WriteLedgerPair(ctx, ow, nw, o)
	for _, step := range []func() error{ow.Flush, nw.Flush, of.Close, nf.Close} {
		if e := step(); err == nil && e != nil {
			err = fmt.Errorf("generating ledgers: %w", e)
		}
	}
	if err != nil {
		os.Remove(oldPath)
		os.Remove(newPath)
		return LedgerPairStats{}, err
	}
	return st, nil
}
