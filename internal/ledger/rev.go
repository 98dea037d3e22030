package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"

	"github.com/cvetrail/cvetrail/internal/report"
)

// TreeReader reads files of a revision of the repository, such as a git
// commit. Paths are repository-relative with forward slashes.
type TreeReader interface {
	// ListFiles lists the files under dir at rev, recursively, as
	// repository-relative paths. A dir absent at rev gives an empty list or
	// an error wrapping fs.ErrNotExist.
	ListFiles(ctx context.Context, rev, dir string) ([]string, error)
	// ReadFile returns the content of a file at rev.
	ReadFile(ctx context.Context, rev, path string) ([]byte, error)
}

// TreeStreamer is implemented by a TreeReader that can stream many files
// of one revision at once, which LoadRev then prefers: one git process for
// all ledgers instead of one per ledger, and no second copy of each file in
// memory. fn is called once per path, in order; r is valid only during the
// call.
type TreeStreamer interface {
	StreamFiles(ctx context.Context, rev string, paths []string, fn func(path string, r io.Reader) error) error
}

// LoadRev reads every ledger in cvetrail/ at rev, keyed by the image named
// in its header. A revision without a cvetrail/ directory has no ledgers:
// the map is empty and the error nil. The checks are those of Store.Load.
func LoadRev(ctx context.Context, t TreeReader, rev string) (map[string]*report.Report, error) {
	files, err := t.ListFiles(ctx, rev, Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]*report.Report{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing ledgers at %s: %w", rev, err)
	}
	var rels []string
	for _, f := range files {
		if path.Dir(f) == Dir && isLedgerName(path.Base(f)) {
			rels = append(rels, f)
		}
	}
	out := make(map[string]*report.Report, len(rels))
	add := func(rel string, r io.Reader) error {
		rep, err := decodeLedger(ctx, rel, r)
		if err != nil {
			return err
		}
		if _, dup := out[rep.Image]; dup {
			return fmt.Errorf("reading ledger %s: image %s has two ledgers", rel, quoteShort(rep.Image))
		}
		out[rep.Image] = rep
		return nil
	}
	if s, ok := t.(TreeStreamer); ok {
		if err := s.StreamFiles(ctx, rev, rels, add); err != nil {
			return nil, fmt.Errorf("reading ledgers at %s: %w", rev, err)
		}
		return out, nil
	}
	for _, rel := range rels {
		b, err := t.ReadFile(ctx, rev, rel)
		if err != nil {
			return nil, fmt.Errorf("reading ledgers at %s: reading ledger %s: %w", rev, rel, err)
		}
		if err := add(rel, bytes.NewReader(b)); err != nil {
			return nil, fmt.Errorf("reading ledgers at %s: %w", rev, err)
		}
	}
	return out, nil
}
