package grype

import "strings"

// grypeTypes maps Grype's (Syft's) artifact types to package-URL types.
var grypeTypes = map[string]string{
	"alpm":                   "alpm",
	"apk":                    "apk",
	"binary":                 "binary",
	"bitnami":                "bitnami",
	"cocoapods":              "cocoapods",
	"conan":                  "conan",
	"conda":                  "conda",
	"dart-pub":               "pub",
	"deb":                    "deb",
	"dotnet":                 "nuget",
	"erlang-otp":             "otp",
	"gem":                    "gem",
	"github-action":          "github",
	"github-action-workflow": "github",
	"go-module":              "golang",
	"hackage":                "hackage",
	"hex":                    "hex",
	"homebrew":               "brew",
	"java-archive":           "maven",
	"jenkins-plugin":         "maven",
	"lua-rocks":              "luarocks",
	"nix":                    "nix",
	"npm":                    "npm",
	"opam":                   "opam",
	"php-composer":           "composer",
	"php-pecl":               "pecl",
	"portage":                "ebuild",
	"python":                 "pypi",
	"r-package":              "cran",
	"rpm":                    "rpm",
	"rust-crate":             "cargo",
	"swift":                  "swift",
	"swiplpack":              "swiplpack",
	"terraform":              "terraform",
	"wordpress-plugin":       "wordpress",
}

// MapType maps a Grype artifact type ("python", "go-module",
// "java-archive", …) to a package-URL type ("pypi", "golang", "maven", …).
// known is false for a type cvetrail does not know; purlType is then the
// given type, lower-cased, so that no finding is dropped.
func MapType(grypeType string) (purlType string, known bool) {
	t := strings.ToLower(strings.TrimSpace(grypeType))
	if p, ok := grypeTypes[t]; ok {
		return p, true
	}
	return t, false
}

// purlTypes maps legacy or alternative package-URL type spellings found in
// Grype reports to the canonical ones.
var purlTypes = map[string]string{
	"alpine": "apk",
	"debian": "deb",
	"dotnet": "nuget",
	"crate":  "cargo",
	"python": "pypi",
	"go":     "golang",
}

func canonicalPURLType(t string) string {
	t = strings.ToLower(t)
	if c, ok := purlTypes[t]; ok {
		return c
	}
	return t
}

// osTypes are the package types whose locations are package database files
// rather than where the package lives; their paths are not kept.
var osTypes = map[string]bool{"deb": true, "rpm": true, "apk": true, "alpm": true, "ebuild": true}

// distroFamilies maps Grype's distro names to Trivy's OS family spelling.
var distroFamilies = map[string]string{
	"rockylinux":   "rocky",
	"almalinux":    "alma",
	"amazonlinux":  "amazon",
	"oraclelinux":  "oracle",
	"opensuseleap": "opensuse-leap",
	"mariner":      "cbl-mariner",
}

func osFamily(name string) string {
	n := strings.ToLower(strings.TrimSpace(name))
	if f, ok := distroFamilies[n]; ok {
		return f
	}
	return n
}

// severitySource turns a Grype namespace ("debian:distro:debian:12",
// "github:language:python", "nvd:cpe") into a severity source.
func severitySource(namespace string) string {
	src, _, _ := strings.Cut(namespace, ":")
	src = strings.ToLower(strings.TrimSpace(src))
	if src == "github" {
		return "ghsa"
	}
	return src
}
