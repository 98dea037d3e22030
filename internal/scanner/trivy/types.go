package trivy

import (
	"path"
	"strings"
)

// trivyTypes maps Trivy's result Type values, and the OS families it
// reports, to package-URL types. It follows Trivy's own mapping (its purl
// package) and adds the older spellings found in reports since 2019.
var trivyTypes = map[string]string{
	// Operating systems.
	"debian": "deb", "ubuntu": "deb", "echo": "deb", "debian gnu/linux": "deb",
	"alpine": "apk", "wolfi": "apk", "chainguard": "apk", "minimos": "apk",
	"redhat": "rpm", "centos": "rpm", "centos-stream": "rpm", "rocky": "rpm", "alma": "rpm",
	"amazon": "rpm", "amazon linux": "rpm", "fedora": "rpm", "oracle": "rpm", "photon": "rpm",
	"suse": "rpm", "opensuse": "rpm", "opensuse.leap": "rpm", "opensuse-leap": "rpm",
	"opensuse.tumbleweed": "rpm", "opensuse-tumbleweed": "rpm", "sles": "rpm", "slem": "rpm",
	"suse linux enterprise server": "rpm", "suse linux enterprise micro": "rpm",
	"azurelinux": "rpm", "cbl-mariner": "rpm", "coreos": "rpm",
	"bottlerocket": "bottlerocket",

	// Language ecosystems.
	"npm": "npm", "yarn": "npm", "pnpm": "npm", "bun": "npm", "node-pkg": "npm",
	"pip": "pypi", "pipenv": "pypi", "poetry": "pypi", "uv": "pypi", "pylock": "pypi", "python-pkg": "pypi",
	"conda-pkg": "conda", "conda-environment": "conda",
	"gomod": "golang", "gobinary": "golang",
	"jar": "maven", "pom": "maven", "gradle": "maven", "sbt": "maven",
	"bundler": "gem", "gemspec": "gem",
	"cargo": "cargo", "rustbinary": "cargo", "rust-binary": "cargo",
	"composer": "composer", "composer-vendor": "composer",
	"nuget": "nuget", "dotnet-core": "nuget", "packages-props": "nuget",
	"conan": "conan", "cocoapods": "cocoapods", "swift": "swift", "pub": "pub",
	"hex": "hex", "mix": "hex", "julia": "julia", "bitnami": "bitnami",
	"kubernetes": "k8s", "eks": "k8s", "gke": "k8s", "aks": "k8s", "rke": "k8s", "ocp": "k8s",

	// Package-URL types map to themselves.
	"deb": "deb", "apk": "apk", "rpm": "rpm", "pypi": "pypi", "golang": "golang",
	"maven": "maven", "gem": "gem", "conda": "conda", "k8s": "k8s",
}

// MapType maps a Trivy result Type (and, for os-pkgs, the OS family) to a
// package-URL type. The lookup ignores case and surrounding space. An
// unknown type is returned lower-cased, with known false: it is kept as
// given, never dropped.
func MapType(trivyType string) (purlType string, known bool) {
	t := strings.ToLower(strings.TrimSpace(trivyType))
	if p, ok := trivyTypes[t]; ok {
		return p, true
	}
	return t, false
}

// fileTypes maps lock and manifest file names (lower-cased), and Trivy's
// aggregate targets, to package-URL types.
var fileTypes = map[string]string{
	"package-lock.json": "npm", "npm-shrinkwrap.json": "npm", "yarn.lock": "npm",
	"pnpm-lock.yaml": "npm", "bun.lock": "npm", "package.json": "npm", "node.js": "npm",
	"requirements.txt": "pypi", "pipfile.lock": "pypi", "poetry.lock": "pypi", "uv.lock": "pypi",
	"pylock.toml": "pypi", "pyproject.toml": "pypi", "python": "pypi",
	"environment.yml": "conda", "environment.yaml": "conda", "conda": "conda",
	"go.sum": "golang", "go.mod": "golang",
	"pom.xml": "maven", "gradle.lockfile": "maven", "build.sbt.lock": "maven", "java": "maven",
	"gemfile.lock": "gem", "ruby": "gem",
	"cargo.lock":         "cargo",
	"composer.lock":      "composer",
	"packages.lock.json": "nuget", "packages.config": "nuget", "directory.packages.props": "nuget", "packages.props": "nuget",
	"conan.lock": "conan", "podfile.lock": "cocoapods", "package.resolved": "swift",
	"pubspec.lock": "pub", "mix.lock": "hex", "manifest.toml": "julia",
	"kubernetes": "k8s",
}

// fileSuffixes maps file name endings to package-URL types.
var fileSuffixes = []struct{ suffix, typ string }{
	{".jar", "maven"}, {".war", "maven"}, {".ear", "maven"}, {".par", "maven"}, {".gradle.lockfile", "maven"},
	{".gemspec", "gem"},
	{".deps.json", "nuget"},
	{".egg-info", "pypi"}, {".dist-info", "pypi"}, {".whl", "pypi"},
}

// typeFromTarget derives the package type of a result from the file name
// of its target, for results that name no Type.
func typeFromTarget(target string) (string, bool) {
	name := strings.ToLower(strings.TrimSpace(target))
	name = strings.TrimRight(name, "/")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	if t, ok := fileTypes[name]; ok {
		return t, true
	}
	for _, s := range fileSuffixes {
		if strings.HasSuffix(name, s.suffix) && len(name) > len(s.suffix) {
			return s.typ, true
		}
	}
	if strings.HasSuffix(path.Clean(strings.ToLower(target)), "vendor/composer/installed.json") {
		return "composer", true
	}
	return "", false
}

// osInfo is what the target of an OS result says: "image (family version)".
type osInfo struct {
	image, family, version string
}

// parseOSSuffix parses the OS suffix that Trivy appends to the target of an
// OS result, "debian:10 (debian 10.1)" or "amazonlinux:2 (amazon 2 (Karoo))".
// It reports false unless the suffix names an OS family that MapType
// knows.
func parseOSSuffix(target string) (osInfo, bool) {
	t := strings.TrimSpace(target)
	if !strings.HasSuffix(t, ")") {
		return osInfo{}, false
	}
	// Find the parenthesis that opens the final group.
	depth, open := 0, -1
	for i := len(t) - 1; i >= 0 && open < 0; i-- {
		switch t[i] {
		case ')':
			depth++
		case '(':
			depth--
			if depth == 0 {
				open = i
			}
		}
	}
	if open < 0 {
		return osInfo{}, false
	}
	inner := strings.TrimSpace(t[open+1 : len(t)-1])
	lower := strings.ToLower(inner)
	// Families with spaces first, then a one-word family.
	for _, fam := range []string{"suse linux enterprise server", "suse linux enterprise micro", "amazon linux", "debian gnu/linux"} {
		if strings.HasPrefix(lower, fam+" ") || lower == fam {
			return osInfo{image: strings.TrimSpace(t[:open]), family: inner[:len(fam)], version: strings.TrimSpace(inner[len(fam):])}, true
		}
	}
	family, version, _ := strings.Cut(inner, " ")
	if _, known := MapType(family); !known || !isOS(family) {
		return osInfo{}, false
	}
	return osInfo{image: strings.TrimSpace(t[:open]), family: family, version: strings.TrimSpace(version)}, true
}

// isOS reports whether a known Trivy type is an operating system.
func isOS(family string) bool {
	switch t, _ := MapType(family); t {
	case "deb", "apk", "rpm", "bottlerocket":
		return true
	}
	return false
}
