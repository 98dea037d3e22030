package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cvetrail/cvetrail/internal/report"
)

// Store reads and writes the ledgers of a working tree.
type Store struct {
	// Root is the repository root, the directory that holds cvetrail.yaml
	// and cvetrail/.
	Root string
}

func (s Store) dir() string { return filepath.Join(s.Root, filepath.FromSlash(Dir)) }

// abs turns a repository-relative path into a path on disk.
func (s Store) abs(rel string) string { return filepath.Join(s.Root, filepath.FromSlash(rel)) }

// isLedgerName reports whether a file name in cvetrail/ is a ledger's.
func isLedgerName(name string) bool {
	return strings.HasSuffix(name, Ext) && len(name) > len(Ext) && !strings.HasPrefix(name, ".")
}

// Load reads every ledger in cvetrail/, keyed by the image named in its
// header. A missing directory means no ledgers. A ledger whose header names
// an image that does not belong in that file is an error naming the file,
// as is anything in cvetrail/ ending in ".jsonl" that is not a regular
// file. Ledgers are decoded as streams, one finding at a time.
func (s Store) Load(ctx context.Context) (map[string]*report.Report, error) {
	entries, err := os.ReadDir(s.dir())
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]*report.Report{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading ledger directory %s: %w", Dir, err)
	}
	out := make(map[string]*report.Report, len(entries))
	files := make(map[string]string, len(entries)) // image → file
	for _, e := range entries {
		if !isLedgerName(e.Name()) {
			continue
		}
		rel := path.Join(Dir, e.Name())
		if !e.Type().IsRegular() {
			return nil, fmt.Errorf("reading ledger %s: not a regular file", rel)
		}
		rep, err := s.loadFile(ctx, rel)
		if err != nil {
			return nil, err
		}
		if other, dup := files[rep.Image]; dup {
			return nil, fmt.Errorf("reading ledger %s: image %s already has the ledger %s", rel, quoteShort(rep.Image), other)
		}
		files[rep.Image] = rel
		out[rep.Image] = rep
	}
	return out, nil
}

// LoadImage reads the ledger of one image. When the image has none, the
// error wraps fs.ErrNotExist.
func (s Store) LoadImage(ctx context.Context, image string) (*report.Report, error) {
	rel, err := Path(image)
	if err != nil {
		return nil, fmt.Errorf("locating ledger: %w", err)
	}
	rep, err := s.loadFile(ctx, rel)
	if err != nil {
		return nil, err
	}
	if rep.Image != image {
		return nil, fmt.Errorf("reading ledger %s: line 1: it holds image %s, not %s", rel, quoteShort(rep.Image), quoteShort(image))
	}
	return rep, nil
}

func (s Store) loadFile(ctx context.Context, rel string) (*report.Report, error) {
	f, err := os.Open(s.abs(rel))
	if err != nil {
		return nil, fmt.Errorf("reading ledger %s: %w", rel, err)
	}
	defer f.Close()
	return decodeLedger(ctx, rel, f)
}

// decodeLedger decodes the ledger stored at rel, checking that its header
// image belongs there. Errors name rel and the line.
func decodeLedger(ctx context.Context, rel string, r io.Reader) (*report.Report, error) {
	d, err := report.NewDecoder(r)
	if err != nil {
		return nil, fmt.Errorf("reading ledger %s: %w", rel, err)
	}
	rep := &report.Report{Header: d.Header()}
	want, err := Path(rep.Image)
	if err != nil {
		return nil, fmt.Errorf("reading ledger %s: line 1: header: %w", rel, err)
	}
	if want != rel {
		return nil, fmt.Errorf("reading ledger %s: line 1: the ledger of image %s belongs in %s", rel, quoteShort(rep.Image), want)
	}
	for n := 0; ; n++ {
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("reading ledger %s: %w", rel, err)
			}
		}
		rep.Findings = append(rep.Findings, report.Finding{})
		err := d.Next(&rep.Findings[len(rep.Findings)-1])
		if err == io.EOF {
			rep.Findings = rep.Findings[:len(rep.Findings)-1]
			if len(rep.Findings) == 0 {
				rep.Findings = nil
			}
			return rep, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading ledger %s: %w", rel, err)
		}
	}
}

// Marshal encodes the ledger of r and returns its repository-relative path
// and content, for writing into a commit rather than a working tree.
func Marshal(r *report.Report) (rel string, data []byte, err error) {
	if r == nil {
		return "", nil, errors.New("encoding ledger: no report")
	}
	rel, err = Path(r.Image)
	if err != nil {
		return "", nil, fmt.Errorf("encoding ledger: %w", err)
	}
	var b bytes.Buffer
	if err := report.Encode(&b, r); err != nil {
		return "", nil, fmt.Errorf("encoding ledger %s of image %s: %w", rel, quoteShort(r.Image), err)
	}
	return rel, b.Bytes(), nil
}

// WriteAll writes the ledgers of reports as one transaction, as far as a
// filesystem allows. Each new content is compared with the file on disk
// while it is encoded; a ledger whose bytes would not change is left alone
// (same inode, same modification time). Changed ledgers are written to
// temporary files in cvetrail/ and flushed to stable storage; only when
// all of them are complete are they renamed into place, and the directory
// flushed. An error before the renames (a report that does not encode, a
// cancelled ctx, a full disk, …) changes no existing file and leaves no
// temporary file. changed lists the repository-relative paths that were
// replaced or created, sorted; when a rename itself fails, it lists those
// already renamed.
//
// Every path written is a ledger in cvetrail/; WriteAll never writes
// decisions.yaml or anything outside cvetrail/.
func (s Store) WriteAll(ctx context.Context, reports []*report.Report) (changed []string, err error) {
	rels := make([]string, len(reports))
	images := make(map[string]string, len(reports)) // file → image
	for i, r := range reports {
		if r == nil {
			return nil, fmt.Errorf("writing ledgers: report %d is nil", i+1)
		}
		rel, err := Path(r.Image)
		if err != nil {
			return nil, fmt.Errorf("writing ledgers: %w", err)
		}
		if !isLedgerPath(rel) {
			return nil, fmt.Errorf("writing ledgers: refusing to write %s", rel)
		}
		if other, dup := images[rel]; dup {
			if other == r.Image {
				return nil, fmt.Errorf("writing ledgers: image %s is given twice", quoteShort(r.Image))
			}
			return nil, fmt.Errorf("writing ledgers: images %s and %s would share %s", quoteShort(other), quoteShort(r.Image), rel)
		}
		images[rel] = r.Image
		rels[i] = rel
	}
	if len(reports) == 0 {
		return nil, nil
	}
	dir := s.dir()
	created, err := mkdir(dir)
	if err != nil {
		return nil, fmt.Errorf("writing ledgers: %w", err)
	}

	type pending struct {
		rel string
		w   *changeWriter
	}
	var ps []pending
	renamed := 0
	defer func() {
		for _, p := range ps[renamed:] {
			p.w.discard()
		}
		if created && renamed == 0 {
			os.Remove(dir) // only if still empty
		}
	}()
	for i, r := range reports {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("writing ledgers: %w", err)
		}
		w, differs, err := s.encode(dir, rels[i], r)
		if err != nil {
			return nil, err
		}
		if differs {
			ps = append(ps, pending{rels[i], w})
		}
	}
	slices.SortFunc(ps, func(a, b pending) int { return strings.Compare(a.rel, b.rel) })

	for _, p := range ps {
		if err := os.Rename(p.w.tmp.Name(), s.abs(p.rel)); err != nil {
			return changed, fmt.Errorf("writing ledger %s: %w (ledgers already replaced: %d of %d)", p.rel, err, renamed, len(ps))
		}
		renamed++
		changed = append(changed, p.rel)
	}
	if len(ps) > 0 {
		if err := syncDir(dir); err != nil {
			return changed, fmt.Errorf("writing ledgers: %w", err)
		}
	}
	if created {
		if err := syncDir(s.Root); err != nil {
			return changed, fmt.Errorf("writing ledgers: %w", err)
		}
	}
	return changed, nil
}

// encode encodes r against the existing file at rel. When changed, the
// returned writer holds the complete, synced temporary file.
func (s Store) encode(dir, rel string, r *report.Report) (w *changeWriter, changed bool, err error) {
	dst := s.abs(rel)
	var old *os.File
	mode := fs.FileMode(0o644)
	switch fi, err := os.Lstat(dst); {
	case err == nil && !fi.Mode().IsRegular():
		return nil, false, fmt.Errorf("writing ledger %s: not a regular file", rel)
	case err == nil:
		mode = fi.Mode().Perm()
		if old, err = os.Open(dst); err != nil {
			return nil, false, fmt.Errorf("writing ledger %s: %w", rel, err)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return nil, false, fmt.Errorf("writing ledger %s: %w", rel, err)
	}
	w = newChangeWriter(dir, old, mode)
	if err := report.Encode(w, r); err != nil {
		w.discard()
		return nil, false, fmt.Errorf("writing ledger %s of image %s: %w", rel, quoteShort(r.Image), err)
	}
	changed, err = w.finish()
	if err != nil {
		w.discard()
		return nil, false, fmt.Errorf("writing ledger %s: %w", rel, err)
	}
	return w, changed, nil
}

// isLedgerPath reports whether rel is a ledger directly in cvetrail/, the
// only kind of file WriteAll and Remove touch.
func isLedgerPath(rel string) bool {
	return path.Dir(rel) == Dir && isLedgerName(path.Base(rel)) && rel != DecisionsFile
}

// mkdir creates dir if it is missing and reports whether it did.
func mkdir(dir string) (created bool, err error) {
	fi, err := os.Stat(dir)
	if err == nil {
		if !fi.IsDir() {
			return false, fmt.Errorf("%s is not a directory", Dir)
		}
		return false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, err
	}
	return true, nil
}

// Remove deletes the ledger of image, as when the image leaves the
// configuration. When there is none, the error wraps fs.ErrNotExist.
func (s Store) Remove(ctx context.Context, image string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("removing ledger: %w", err)
	}
	rel, err := Path(image)
	if err != nil {
		return fmt.Errorf("removing ledger: %w", err)
	}
	if !isLedgerPath(rel) {
		return fmt.Errorf("removing ledger: refusing to remove %s", rel)
	}
	if err := os.Remove(s.abs(rel)); err != nil {
		return fmt.Errorf("removing ledger %s of image %s: %w", rel, quoteShort(image), err)
	}
	if err := syncDir(s.dir()); err != nil {
		return fmt.Errorf("removing ledger %s: %w", rel, err)
	}
	return nil
}

// CleanTemp removes the temporary files that an interrupted WriteAll or
// AtomicWriteFile left in cvetrail/ or the repository root, and returns
// their repository-relative paths. Call it only while no other cvetrail
// process writes to the repository (under the run lock), or it may remove
// a file another process is about to rename.
func (s Store) CleanTemp(ctx context.Context) ([]string, error) {
	var removed []string
	for _, rel := range []string{".", Dir} {
		names, err := CleanTempFiles(ctx, s.abs(rel))
		for _, n := range names {
			removed = append(removed, path.Join(rel, n))
		}
		if err != nil {
			return removed, err
		}
	}
	return removed, nil
}

// CleanTempFiles removes the temporary files that an interrupted
// AtomicWriteFile (or WriteAll) left in dir, and returns their names. A
// missing dir has none. The same caution as for Store.CleanTemp applies.
func CleanTempFiles(ctx context.Context, dir string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("removing temporary files: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("removing temporary files: %w", err)
	}
	var removed []string
	for _, e := range entries {
		if !e.Type().IsRegular() || !isTempName(e.Name()) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, fmt.Errorf("removing temporary file %s: %w", filepath.Join(dir, e.Name()), err)
		}
		removed = append(removed, e.Name())
	}
	return removed, nil
}
