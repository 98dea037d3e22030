package imagegen

import (
	"encoding/json"
	"fmt"
	"path"
	"strings"
)

// Debian returns etc/os-release and etc/debian_version of a Debian
// point release such as "12.5". As in Debian's own images, os-release names
// the major release and debian_version the point release.
func Debian(pointRelease, codename string) []File {
	major, _, _ := strings.Cut(pointRelease, ".")
	osRelease := fmt.Sprintf(`PRETTY_NAME="Debian GNU/Linux %[1]s (%[2]s)"
NAME="Debian GNU/Linux"
VERSION_ID="%[1]s"
VERSION="%[1]s (%[2]s)"
VERSION_CODENAME=%[2]s
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
`, major, codename)
	return []File{
		{Path: "etc/debian_version", Body: []byte(pointRelease + "\n")},
		{Path: "etc/os-release", Body: []byte(osRelease)},
	}
}

// Deb is one installed Debian binary package.
type Deb struct {
	Name    string
	Version string
	// Source is the source package when it differs from Name; vulnerability
	// databases file Debian advisories under the source name.
	Source string
	// SourceVersion is set when the source version differs from Version
	// (binNMUs such as "1.2.13.dfsg-1+b1").
	SourceVersion string
	Arch          string // default amd64
	Maintainer    string
	Description   string
}

// DpkgStatus returns var/lib/dpkg/status listing pkgs in the given order.
func DpkgStatus(pkgs []Deb) File {
	var b strings.Builder
	for i, p := range pkgs {
		if i > 0 {
			b.WriteString("\n")
		}
		arch := p.Arch
		if arch == "" {
			arch = "amd64"
		}
		fmt.Fprintf(&b, "Package: %s\nStatus: install ok installed\nPriority: optional\n", p.Name)
		if p.Maintainer != "" {
			fmt.Fprintf(&b, "Maintainer: %s\n", p.Maintainer)
		}
		fmt.Fprintf(&b, "Architecture: %s\n", arch)
		switch {
		case p.Source != "" && p.SourceVersion != "":
			fmt.Fprintf(&b, "Source: %s (%s)\n", p.Source, p.SourceVersion)
		case p.Source != "":
			fmt.Fprintf(&b, "Source: %s\n", p.Source)
		}
		fmt.Fprintf(&b, "Version: %s\n", p.Version)
		desc := p.Description
		if desc == "" {
			desc = p.Name
		}
		fmt.Fprintf(&b, "Description: %s\n", desc)
	}
	return File{Path: "var/lib/dpkg/status", Body: []byte(b.String())}
}

// PythonDist returns the dist-info directory of an installed Python
// package under sitePackages ("usr/lib/python3.11/site-packages").
func PythonDist(sitePackages, name, version, license string) []File {
	dir := path.Join(sitePackages, fmt.Sprintf("%s-%s.dist-info", strings.ReplaceAll(name, "-", "_"), version))
	meta := fmt.Sprintf("Metadata-Version: 2.1\nName: %s\nVersion: %s\nLicense: %s\n\n", name, version, license)
	return []File{
		{Path: path.Join(dir, "INSTALLER"), Body: []byte("pip\n")},
		{Path: path.Join(dir, "METADATA"), Body: []byte(meta)},
	}
}

// NodePackage returns dir/node_modules/name/package.json.
func NodePackage(dir, name, version, license string) File {
	b, _ := json.MarshalIndent(map[string]string{"name": name, "version": version, "license": license}, "", "  ")
	return File{Path: path.Join(dir, "node_modules", name, "package.json"), Body: append(b, '\n')}
}
