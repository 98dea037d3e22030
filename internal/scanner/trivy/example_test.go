package trivy_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/cvetrail/cvetrail/internal/report"
	"github.com/cvetrail/cvetrail/internal/scanner/trivy"
)

func ExampleParse() {
	const in = `{
	  "SchemaVersion": 2,
	  "ArtifactName": "registry.example/app:1.4",
	  "Metadata": {"OS": {"Family": "alpine", "Name": "3.20.3"}},
	  "Results": [{
	    "Target": "registry.example/app:1.4 (alpine 3.20.3)",
	    "Class": "os-pkgs",
	    "Type": "alpine",
	    "Vulnerabilities": [{
	      "VulnerabilityID": "CVE-2024-9143",
	      "PkgName": "libcrypto3",
	      "InstalledVersion": "3.3.2-r0",
	      "FixedVersion": "3.3.2-r1",
	      "Status": "fixed",
	      "Severity": "LOW",
	      "Description": "dropped: descriptions change without the finding changing",
	      "Layer": {"DiffID": "sha256:75654b8eeebd3beae97271a102f57cdeb794cc91e442648544963a7e951e9558"}
	    }]
	  }]
	}`
	r, err := trivy.Parse(strings.NewReader(in), trivy.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := report.Encode(os.Stdout, r); err != nil {
		fmt.Println(err)
	}
	// Output:
	// {"schemaVersion":1,"image":"registry.example/app:1.4","os":{"family":"alpine","version":"3.20.3"}}
	// {"id":"CVE-2024-9143","type":"apk","pkg":"libcrypto3","versions":["3.3.2-r0"],"fixed":["3.3.2-r1"],"fixState":"fixed","severity":"LOW"}
}

func ExampleParse_flatList() {
	// The flat list of vulnerabilities names no ecosystem: Options says it.
	const in = `[{"VulnerabilityID": "CVE-2023-4911", "PkgName": "libc6", "Status": "fixed", "Severity": "HIGH"}]`
	if _, err := trivy.Parse(strings.NewReader(in), trivy.Options{}); err != nil {
		fmt.Println("without a type:", err)
	}
	r, err := trivy.Parse(strings.NewReader(in), trivy.Options{PkgType: "deb"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Scan.Format, r.Findings[0].Key())
	// Output:
	// without a type: offset 1: this is a flat list of vulnerabilities (like .Results[0].Vulnerabilities of a Trivy report), which does not say what kind of packages they are in: give the package type (--pkg-type deb, npm, …)
	// trivy-flat CVE-2023-4911 deb/libc6
}

func ExampleMapType() {
	for _, t := range []string{"ubuntu", "wolfi", "rocky", "pipenv", "gobinary", "jar", "composer-vendor", "some-new-type"} {
		purl, known := trivy.MapType(t)
		fmt.Println(t, purl, known)
	}
	// Output:
	// ubuntu deb true
	// wolfi apk true
	// rocky rpm true
	// pipenv pypi true
	// gobinary golang true
	// jar maven true
	// composer-vendor composer true
	// some-new-type some-new-type false
}
