package imagegen

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

var created = time.Date(2026, 5, 20, 9, 0, 0, 0, time.UTC)

func testSpec() Spec {
	return Spec{
		Tag:     "example.com/app:latest",
		Created: created,
		Layers: []Layer{
			{Files: append(Debian("12.5", "bookworm"), DpkgStatus([]Deb{
				{Name: "libssl3", Version: "3.0.11-1~deb12u2", Source: "openssl"},
				{Name: "zlib1g", Version: "1:1.2.13.dfsg-1+b1", Source: "zlib", SourceVersion: "1:1.2.13.dfsg-1"},
			})), CreatedBy: "base"},
			{Files: append(PythonDist("usr/lib/python3.11/site-packages", "requests", "2.31.0", "Apache 2.0"),
				NodePackage("app", "semver", "7.5.1", "ISC")), CreatedBy: "app"},
		},
		WorkingDir: "/app",
	}
}

func TestWriteDockerArchiveIsReproducible(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.tar"), filepath.Join(dir, "b.tar")
	for _, p := range []string{a, b} {
		if err := WriteDockerArchive(context.Background(), p, testSpec()); err != nil {
			t.Fatal(err)
		}
	}
	ab, _ := os.ReadFile(a)
	bb, _ := os.ReadFile(b)
	if !bytes.Equal(ab, bb) {
		t.Fatal("two archives of the same spec differ")
	}
	other := testSpec()
	other.Layers[0].Files[0].Body = []byte("12.6\n")
	c := filepath.Join(dir, "c.tar")
	if err := WriteDockerArchive(context.Background(), c, other); err != nil {
		t.Fatal(err)
	}
	if cb, _ := os.ReadFile(c); bytes.Equal(ab, cb) {
		t.Fatal("archives of different specs are equal")
	}
}

func TestArchiveContents(t *testing.T) {
	p := filepath.Join(t.TempDir(), "app.tar")
	if err := WriteDockerArchive(context.Background(), p, testSpec()); err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag("example.com/app:latest")
	if err != nil {
		t.Fatal(err)
	}
	img, err := tarball.ImageFromPath(p, &tag)
	if err != nil {
		t.Fatalf("reading the archive back with its tag: %v", err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Created.Time.Equal(created) || cfg.OS != "linux" || cfg.Architecture != "amd64" || cfg.Config.WorkingDir != "/app" {
		t.Errorf("config = created %v os %s arch %s workdir %s", cfg.Created, cfg.OS, cfg.Architecture, cfg.Config.WorkingDir)
	}
	if len(cfg.History) != 2 || cfg.History[1].CreatedBy != "app" {
		t.Errorf("history = %+v", cfg.History)
	}
	files := map[string]string{}
	tr := tar.NewReader(mutate.Extract(img))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !h.ModTime.Equal(created) || h.Uid != 0 || h.Gid != 0 {
			t.Errorf("%s: mtime %v uid %d gid %d", h.Name, h.ModTime, h.Uid, h.Gid)
		}
		if h.Typeflag == tar.TypeReg {
			b, _ := io.ReadAll(tr)
			files[h.Name] = string(b)
		}
	}
	wantPaths := []string{
		"app/node_modules/semver/package.json",
		"etc/debian_version",
		"etc/os-release",
		"usr/lib/python3.11/site-packages/requests-2.31.0.dist-info/INSTALLER",
		"usr/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA",
		"var/lib/dpkg/status",
	}
	if diff := cmp.Diff(wantPaths, slices.Sorted(maps.Keys(files))); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	for path, want := range map[string]string{
		"etc/debian_version":  "12.5\n",
		"var/lib/dpkg/status": "Source: zlib (1:1.2.13.dfsg-1)\nVersion: 1:1.2.13.dfsg-1+b1\n",
		"etc/os-release":      "VERSION_ID=\"12\"\n",
		"usr/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA": "Name: requests\nVersion: 2.31.0\n",
		"app/node_modules/semver/package.json":                                "\"version\": \"7.5.1\"",
	} {
		if !strings.Contains(files[path], want) {
			t.Errorf("%s lacks %q:\n%s", path, want, files[path])
		}
	}
	if !strings.Contains(files["var/lib/dpkg/status"], "Package: libssl3\nStatus: install ok installed\n") {
		t.Errorf("dpkg status:\n%s", files["var/lib/dpkg/status"])
	}
}

func TestBadSpecs(t *testing.T) {
	tests := map[string]Spec{
		"no layers":     {Tag: "example.com/app:latest", Created: created},
		"absolute path": {Tag: "example.com/app:latest", Layers: []Layer{{Files: []File{{Path: "/etc/passwd"}}}}},
		"escaping path": {Tag: "example.com/app:latest", Layers: []Layer{{Files: []File{{Path: "../x"}}}}},
		"unclean path":  {Tag: "example.com/app:latest", Layers: []Layer{{Files: []File{{Path: "etc//x"}}}}},
		"twice":         {Tag: "example.com/app:latest", Layers: []Layer{{Files: []File{{Path: "a"}, {Path: "a"}}}}},
		"bad tag":       {Tag: "Not A Tag", Layers: []Layer{{Files: []File{{Path: "a"}}}}},
	}
	for name, spec := range tests {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "x.tar")
			if err := WriteDockerArchive(context.Background(), p, spec); err == nil {
				t.Fatal("no error")
			}
			if _, err := os.Stat(p); !os.IsNotExist(err) {
				t.Errorf("a failed write left %s behind", p)
			}
		})
	}
}
