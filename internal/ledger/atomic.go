package ledger

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// Temporary files are named tempPrefix + random + tempSuffix, in the
// directory of the file they replace, so that a rename puts them in place
// atomically. Load ignores them (they start with a dot and do not end in
// ".jsonl"); CleanTemp removes those an interrupted process left behind.
const (
	tempPrefix = ".cvetrail-"
	tempSuffix = ".tmp"
)

func isTempName(name string) bool {
	return strings.HasPrefix(name, tempPrefix) && strings.HasSuffix(name, tempSuffix)
}

// AtomicWriteFile replaces the file name with data: it writes a temporary
// file in the same directory, flushes it to stable storage, renames it over
// name and flushes the directory. Readers see the old content or the new,
// never a mix, even if the process is killed. An existing file keeps its
// permission bits; a new one gets perm. When name is a symbolic link, the
// file it points to is replaced and the link kept.
func AtomicWriteFile(ctx context.Context, name string, data []byte, perm fs.FileMode) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	target := name
	if resolved, err := filepath.EvalSymlinks(name); err == nil {
		target = resolved
	}
	mode := perm.Perm()
	switch fi, err := os.Stat(target); {
	case err == nil && !fi.Mode().IsRegular():
		return fmt.Errorf("writing %s: not a regular file", name)
	case err == nil:
		mode = fi.Mode().Perm()
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("writing %s: %w", name, err)
	}
	dir := filepath.Dir(target)
	tmp, err := os.CreateTemp(dir, tempPrefix+"*"+tempSuffix)
	if err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	if err := closeSynced(tmp, mode); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), target); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	done = true
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return nil
}

// closeSynced sets the mode of a fully written temporary file, flushes it
// to stable storage and closes it.
func closeSynced(f *os.File, mode fs.FileMode) error {
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// syncDir flushes a directory, so that renames and removals in it survive a
// crash.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil // directories cannot be opened for syncing there
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		d.Close()
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	return d.Close()
}

// A changeWriter receives the new content of a file and compares it with
// the old content as it arrives. Only at the first differing byte does it
// create a temporary file, copy the equal prefix from the old file into it
// and write the rest there; an unchanged file costs a read and no write.
type changeWriter struct {
	dir  string
	mode fs.FileMode

	old  *os.File // nil when there is no old file
	oldR *bufio.Reader
	same int64 // bytes known equal to the old file's first bytes
	buf  []byte

	tmp *os.File // nil until the content differs

	written, flushed int64 // bytes written to tmp, and handed to startWriteback
}

func newChangeWriter(dir string, old *os.File, mode fs.FileMode) *changeWriter {
	c := &changeWriter{dir: dir, old: old, mode: mode}
	if old != nil {
		c.oldR = bufio.NewReaderSize(old, 64<<10)
		c.buf = make([]byte, 32<<10)
	}
	return c
}

func (c *changeWriter) Write(p []byte) (int, error) {
	if c.tmp != nil {
		return c.write(p)
	}
	n := 0
	if c.old != nil {
		for n < len(p) {
			chunk := c.buf[:min(len(c.buf), len(p)-n)]
			m, err := io.ReadFull(c.oldR, chunk)
			i := 0
			for i < m && chunk[i] == p[n+i] {
				i++
			}
			n += i
			if i < m {
				break // differs
			}
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				break // the old file is shorter
			}
			if err != nil {
				return 0, err
			}
		}
		c.same += int64(n)
		if n == len(p) {
			return len(p), nil
		}
	}
	if err := c.diverge(); err != nil {
		return 0, err
	}
	m, err := c.write(p[n:])
	return n + m, err
}

// flushEvery is how many bytes written to the temporary file make it
// start writing them to storage, so that the final sync of a large file
// waits for its last part only.
const flushEvery = 4 << 20

// write writes p to the temporary file.
func (c *changeWriter) write(p []byte) (int, error) {
	m, err := c.tmp.Write(p)
	c.written += int64(m)
	if err == nil && c.written-c.flushed >= flushEvery {
		startWriteback(c.tmp, c.flushed, c.written-c.flushed)
		c.flushed = c.written
	}
	return m, err
}

// diverge starts the temporary file with the equal prefix.
func (c *changeWriter) diverge() error {
	tmp, err := os.CreateTemp(c.dir, tempPrefix+"*"+tempSuffix)
	if err != nil {
		return err
	}
	c.tmp = tmp
	if c.same > 0 {
		if _, err := io.Copy(tmp, io.NewSectionReader(c.old, 0, c.same)); err != nil {
			return err
		}
	}
	c.written = c.same
	return nil
}

// finish completes the comparison after the last Write. When the content
// changed, the temporary file is complete, synced and closed afterwards;
// changed reports whether it exists.
func (c *changeWriter) finish() (changed bool, err error) {
	if c.tmp == nil {
		if c.old != nil {
			if _, err := c.oldR.ReadByte(); err == io.EOF {
				return false, c.closeOld()
			} else if err != nil {
				return false, err
			}
		}
		// The old file is longer, or there is none.
		if err := c.diverge(); err != nil {
			return false, err
		}
	}
	if err := closeSynced(c.tmp, c.mode); err != nil {
		return false, err
	}
	return true, c.closeOld()
}

func (c *changeWriter) closeOld() error {
	if c.old == nil {
		return nil
	}
	err := c.old.Close()
	c.old = nil
	return err
}

// discard removes the temporary file, if any, and closes everything.
func (c *changeWriter) discard() {
	c.closeOld()
	if c.tmp != nil {
		c.tmp.Close()
		os.Remove(c.tmp.Name())
		c.tmp = nil
	}
}
