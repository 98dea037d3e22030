package ledger

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAtomicWriteFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	p := filepath.Join(dir, "cvetrail.yaml")
	if err := AtomicWriteFile(ctx, p, []byte("one\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("new file: %v, %v; want mode 0640", fi.Mode().Perm(), err)
	}
	if err := os.Chmod(p, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := AtomicWriteFile(ctx, p, []byte("two\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("replaced file: %v, %v; want the mode 0600 kept", fi.Mode().Perm(), err)
	}
	if b, _ := os.ReadFile(p); string(b) != "two\n" {
		t.Errorf("content %q, want %q", b, "two\n")
	}

	// A symbolic link stays a link; its target is replaced.
	target := filepath.Join(dir, "real.yaml")
	if err := os.WriteFile(target, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.yaml")
	if err := os.Symlink("real.yaml", link); err != nil {
		t.Fatal(err)
	}
	if err := AtomicWriteFile(ctx, link, []byte("new\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v", err)
	}
	if b, _ := os.ReadFile(target); string(b) != "new\n" {
		t.Errorf("link target has %q, want %q", b, "new\n")
	}

	if err := AtomicWriteFile(ctx, dir, []byte("x"), 0o644); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("writing over a directory: %v", err)
	}
	if err := AtomicWriteFile(ctx, filepath.Join(dir, "missing", "x"), []byte("x"), 0o644); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
	checkNoTemp(t, dir)
}

// TestChangeWriterLarge writes files larger than flushEvery through a
// changeWriter, new and over an old file sharing a long prefix, so that
// the writeback started on the way covers the copied prefix and the rest,
// and checks the content.
func TestChangeWriterLarge(t *testing.T) {
	dir := t.TempDir()
	want := bytes.Repeat([]byte("0123456789abcdef\n"), (2*flushEvery+12345)/17)
	oldPath := filepath.Join(dir, "old")
	old := bytes.Clone(want)
	old[flushEvery+100] = 'X' // differs after more than flushEvery equal bytes
	if err := os.WriteFile(oldPath, old, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, withOld := range []bool{false, true} {
		var of *os.File
		if withOld {
			var err error
			if of, err = os.Open(oldPath); err != nil {
				t.Fatal(err)
			}
		}
		w := newChangeWriter(dir, of, 0o644)
		for p := want; len(p) > 0; {
			n := min(len(p), 1<<20+7)
			if _, err := w.Write(p[:n]); err != nil {
				t.Fatal(err)
			}
			p = p[n:]
		}
		changed, err := w.finish()
		if err != nil || !changed {
			t.Fatalf("old file %v: finish = %v, %v", withOld, changed, err)
		}
		if w.flushed == 0 {
			t.Errorf("old file %v: no writeback started for %d bytes", withOld, len(want))
		}
		got, err := os.ReadFile(w.tmp.Name())
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("old file %v: %d bytes written, want %d, or different", withOld, len(got), len(want))
		}
		os.Remove(w.tmp.Name())
	}
}
