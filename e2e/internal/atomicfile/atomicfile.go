// Package atomicfile writes the files the end-to-end generators make (scanner
// databases, images, story reports) so that a reader never sees one half
// written: to a temporary file in the same directory, renamed into place.
package atomicfile

import (
	"os"
	"path/filepath"
)

// Write writes b to path, mode 0644, atomically.
func Write(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
