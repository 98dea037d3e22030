// Package imagegen builds small container images deterministically and
// writes them as docker-archive tarballs (the format of `docker save`),
// which Trivy reads with --input and Grype with docker-archive:PATH.
//
// The same Spec always yields the same bytes: entries are sorted, owners are
// root, every timestamp is Spec.Created, and the image config carries no
// host-dependent data.
package imagegen

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/cvetrail/cvetrail/e2e/internal/atomicfile"
)

// File is one regular file of a layer.
type File struct {
	// Path is relative to the image root, with forward slashes
	// ("etc/os-release").
	Path string
	Body []byte
	// Mode defaults to 0644.
	Mode int64
}

// Layer is one filesystem layer.
type Layer struct {
	Files []File
	// CreatedBy is recorded in the image history, like a Dockerfile line.
	CreatedBy string
}

// Spec describes an image.
type Spec struct {
	// Tag is the reference recorded in the archive's manifest
	// ("example.com/app:latest").
	Tag string
	// Created is the creation time of the image and of every file in it.
	Created time.Time
	Layers  []Layer
	// Env, WorkingDir and Cmd go into the image config.
	Env        []string
	WorkingDir string
	Cmd        []string
}

// Image returns the image described by s.
func (s Spec) Image() (v1.Image, error) {
	if len(s.Layers) == 0 {
		return nil, fmt.Errorf("image %s: no layers", s.Tag)
	}
	created := v1.Time{Time: s.Created.UTC().Truncate(time.Second)}
	var adds []mutate.Addendum
	for i, l := range s.Layers {
		b, err := layerTar(l, created.Time)
		if err != nil {
			return nil, fmt.Errorf("image %s: layer %d: %w", s.Tag, i, err)
		}
		layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(b)), nil
		})
		if err != nil {
			return nil, fmt.Errorf("image %s: layer %d: %w", s.Tag, i, err)
		}
		adds = append(adds, mutate.Addendum{
			Layer:   layer,
			History: v1.History{Created: created, CreatedBy: l.CreatedBy},
		})
	}
	img, err := mutate.Append(empty.Image, adds...)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", s.Tag, err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", s.Tag, err)
	}
	cfg = cfg.DeepCopy()
	cfg.Architecture = "amd64"
	cfg.OS = "linux"
	cfg.Created = created
	cfg.Config.Env = slices.Clone(s.Env)
	cfg.Config.WorkingDir = s.WorkingDir
	cfg.Config.Cmd = slices.Clone(s.Cmd)
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", s.Tag, err)
	}
	return img, nil
}

// WriteDockerArchive writes the image as a docker-archive tarball to path,
// atomically (a temporary file renamed into place).
func WriteDockerArchive(ctx context.Context, path string, s Spec) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("writing image %s: %w", path, err)
	}
	tag, err := name.NewTag(s.Tag)
	if err != nil {
		return fmt.Errorf("writing image %s: tag: %w", path, err)
	}
	img, err := s.Image()
	if err != nil {
		return fmt.Errorf("writing image %s: %w", path, err)
	}
	var buf bytes.Buffer
	if err := tarball.Write(tag, img, &buf); err != nil {
		return fmt.Errorf("writing image %s: %w", path, err)
	}
	if err := atomicfile.Write(path, buf.Bytes()); err != nil {
		return fmt.Errorf("writing image %s: %w", path, err)
	}
	return nil
}

// layerTar renders a layer as an uncompressed tar: parent directories
// first, then everything sorted by path.
func layerTar(l Layer, mtime time.Time) ([]byte, error) {
	type entry struct {
		path string
		file *File
	}
	seen := map[string]bool{}
	var entries []entry
	for i := range l.Files {
		f := &l.Files[i]
		p := path.Clean(f.Path)
		if p != f.Path || strings.HasPrefix(p, "/") || strings.HasPrefix(p, "../") || p == ".." || p == "." {
			return nil, fmt.Errorf("file path %q must be relative and clean", f.Path)
		}
		if seen[p] {
			return nil, fmt.Errorf("file %s listed twice", p)
		}
		seen[p] = true
		entries = append(entries, entry{p, f})
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			if !seen[d+"/"] {
				seen[d+"/"] = true
				entries = append(entries, entry{d + "/", nil})
			}
		}
	}
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.path, b.path) })
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{
			Name:    e.path,
			ModTime: mtime,
			Uname:   "root",
			Gname:   "root",
			Format:  tar.FormatUSTAR,
		}
		if e.file == nil {
			h.Typeflag = tar.TypeDir
			h.Mode = 0o755
		} else {
			h.Typeflag = tar.TypeReg
			h.Mode = e.file.Mode
			if h.Mode == 0 {
				h.Mode = 0o644
			}
			h.Size = int64(len(e.file.Body))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if e.file != nil {
			if _, err := tw.Write(e.file.Body); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
