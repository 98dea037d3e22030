// Package story defines the five days of cvetrail's end-to-end story and
// demo: the images scanned each day and the vulnerability database each
// scanner sees, so that storygen and the end-to-end tests build exactly the
// same inputs.
//
//	Day 1: first scan of example.com/app:latest (Debian 12.5).
//	Day 2: same image; the database gains CVE-2024-5535 for libssl3.
//	Day 3: base-image update: Debian 12.6, bumped package versions,
//	       python3.11 → python3.12; CVE-2024-0727 is fixed by the bump.
//	Day 4: same image as day 3; the Trivy database is corrupt.
//	Day 5: same image as day 3, scanned with Grype instead of Trivy.
package story

import (
	"fmt"
	"time"

	"github.com/cvetrail/cvetrail/e2e/internal/imagegen"
	"github.com/cvetrail/cvetrail/e2e/internal/vulndb"
)

// ImageName is the stable name of the story's image.
const ImageName = "example.com/app:latest"

// NewCVE is the vulnerability the database gains on day 2.
const NewCVE = "CVE-2024-5535"

// Day is one day of the story.
type Day struct {
	N int
	// Date is the day's date at 06:00 UTC, when the daily job runs.
	Date time.Time
	// Image is the image scanned that day.
	Image imagegen.Spec
	// ImageVersion is 1 for the original image, 2 after the base-image
	// update.
	ImageVersion int
	// Vulns is the content of the scanner's database that day.
	Vulns []vulndb.Vulnerability
	// Scanner is "trivy" or "grype".
	Scanner string
	// CorruptDB is set on the day the database is damaged.
	CorruptDB bool
	// Story is a one-line narration of the day.
	Story string
}

// Days returns the five days, in order.
func Days() []Day {
	v1, v2 := ImageV1(), ImageV2()
	db1, db2 := Vulns(1), Vulns(2)
	return []Day{
		{N: 1, Date: date(1), Image: v1, ImageVersion: 1, Vulns: db1, Scanner: "trivy",
			Story: "first scan of example.com/app:latest (Debian 12.5): four known vulnerabilities"},
		{N: 2, Date: date(2), Image: v1, ImageVersion: 1, Vulns: db2, Scanner: "trivy",
			Story: "same image, the vulnerability database gains " + NewCVE + " for libssl3"},
		{N: 3, Date: date(3), Image: v2, ImageVersion: 2, Vulns: db2, Scanner: "trivy",
			Story: "base-image update to Debian 12.6: package versions bump, python3.11 becomes python3.12"},
		{N: 4, Date: date(4), Image: v2, ImageVersion: 2, Vulns: db2, Scanner: "trivy", CorruptDB: true,
			Story: "the vulnerability database is corrupt: the scanner fails"},
		{N: 5, Date: date(5), Image: v2, ImageVersion: 2, Vulns: db2, Scanner: "grype",
			Story: "the same image scanned with Grype instead of Trivy"},
	}
}

func date(day int) time.Time {
	return time.Date(2026, time.June, day, 6, 0, 0, 0, time.UTC)
}

// ImageCreated is the build time of both images' base.
var (
	imageV1Created = time.Date(2026, time.May, 20, 9, 0, 0, 0, time.UTC)
	imageV2Created = time.Date(2026, time.June, 2, 21, 0, 0, 0, time.UTC)
)

// base describes what changes with a base-image update.
type base struct {
	debian  string // point release
	python  string // python3.11 / python3.12
	libc    string
	libssl  string
	zlib    string
	files   string // base-files version
	created time.Time
}

var (
	baseV1 = base{debian: "12.5", python: "python3.11", libc: "2.36-9+deb12u4", libssl: "3.0.11-1~deb12u2",
		zlib: "1:1.2.13.dfsg-1", files: "12.4+deb12u5", created: imageV1Created}
	baseV2 = base{debian: "12.6", python: "python3.12", libc: "2.36-9+deb12u7", libssl: "3.0.13-1~deb12u1",
		zlib: "1:1.2.13.dfsg-1", files: "12.4+deb12u6", created: imageV2Created}
)

// ImageV1 is the image of days 1 and 2.
func ImageV1() imagegen.Spec { return image(baseV1) }

// ImageV2 is the image of days 3 to 5, after the base-image update.
func ImageV2() imagegen.Spec { return image(baseV2) }

func image(b base) imagegen.Spec {
	sitePackages := "usr/lib/" + b.python + "/site-packages"
	baseFiles := append(imagegen.Debian(b.debian, "bookworm"), imagegen.DpkgStatus([]imagegen.Deb{
		{Name: "base-files", Version: b.files, Maintainer: "Santiago Vila <sanvila@debian.org>",
			Description: "Debian base system miscellaneous files"},
		{Name: "libc6", Version: b.libc, Source: "glibc", Maintainer: "GNU Libc Maintainers <debian-glibc@lists.debian.org>",
			Description: "GNU C Library: Shared libraries"},
		{Name: "libssl3", Version: b.libssl, Source: "openssl", Maintainer: "Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>",
			Description: "Secure Sockets Layer toolkit - shared libraries"},
		{Name: "zlib1g", Version: b.zlib, Source: "zlib", Maintainer: "Mark Brown <broonie@debian.org>",
			Description: "compression library - runtime"},
	}))
	app := append(imagegen.PythonDist(sitePackages, "requests", "2.31.0", "Apache 2.0"),
		imagegen.NodePackage("app", "semver", "7.5.1", "ISC"))
	return imagegen.Spec{
		Tag:     ImageName,
		Created: b.created,
		Layers: []imagegen.Layer{
			{Files: baseFiles, CreatedBy: fmt.Sprintf("debian:%s-slim", b.debian)},
			{Files: app, CreatedBy: "COPY app /app; pip install requests==2.31.0"},
		},
		Env:        []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
		WorkingDir: "/app",
		Cmd:        []string{"/usr/bin/" + b.python, "-m", "app"},
	}
}

// Vulns returns the database content of a database generation: 1 on day 1,
// 2 from day 2 on (it adds NewCVE).
func Vulns(generation int) []vulndb.Vulnerability {
	vs := []vulndb.Vulnerability{
		{
			ID: "CVE-2024-0727", Severity: "MEDIUM", CVSSScore: 5.5,
			CVSSVector:  "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H",
			Title:       "openssl: denial of service via null dereference in PKCS12 parsing",
			Description: "Processing a maliciously formatted PKCS12 file may lead OpenSSL to crash.",
			Published:   time.Date(2024, time.January, 26, 9, 15, 0, 0, time.UTC),
			Affected: []vulndb.Affected{{Ecosystem: vulndb.Debian, Release: "12", Package: "openssl",
				Fixed: "3.0.13-1~deb12u1", State: vulndb.Fixed}},
		},
		{
			ID: "CVE-2010-4756", Severity: "LOW",
			Title:       "glibc: glob implementation can cause excessive CPU and memory consumption",
			Description: "The glob implementation in the GNU C Library allows remote authenticated users to cause a denial of service via crafted glob expressions that do not match any pathnames.",
			Published:   time.Date(2011, time.March, 2, 20, 0, 0, 0, time.UTC),
			Affected: []vulndb.Affected{{Ecosystem: vulndb.Debian, Release: "12", Package: "glibc",
				State: vulndb.NotFixed}},
		},
		{
			ID: "CVE-2024-35195", GHSA: "GHSA-9wx4-h78v-vm56", Severity: "MEDIUM", CVSSScore: 5.6,
			CVSSVector:  "CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:H/I:H/A:N",
			Title:       "requests: Session verify=False persists for the connection's lifetime",
			Description: "When a Session's first request sets verify=False, later requests to the same host keep skipping certificate verification.",
			Published:   time.Date(2024, time.May, 20, 21, 15, 0, 0, time.UTC),
			Affected: []vulndb.Affected{{Ecosystem: vulndb.PyPI, Package: "requests",
				Fixed: "2.32.0", State: vulndb.Fixed}},
		},
		{
			ID: "CVE-2022-25883", GHSA: "GHSA-c2qf-rxjj-qqgw", Severity: "HIGH", CVSSScore: 7.5,
			CVSSVector:  "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
			Title:       "semver: regular expression denial of service",
			Description: "Versions of semver before 7.5.2 are vulnerable to ReDoS via the new Range function on untrusted input.",
			Published:   time.Date(2023, time.June, 21, 5, 15, 0, 0, time.UTC),
			Affected: []vulndb.Affected{{Ecosystem: vulndb.Npm, Package: "semver",
				Fixed: "7.5.2", State: vulndb.Fixed}},
		},
	}
	if generation >= 2 {
		vs = append(vs, vulndb.Vulnerability{
			ID: NewCVE, Severity: "CRITICAL", CVSSScore: 9.1,
			CVSSVector:  "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:H",
			Title:       "openssl: SSL_select_next_proto buffer overread",
			Description: "Calling SSL_select_next_proto with an empty supported client protocols buffer may cause a crash or memory contents to be sent to the peer.",
			Published:   time.Date(2024, time.June, 27, 11, 15, 0, 0, time.UTC),
			Affected: []vulndb.Affected{{Ecosystem: vulndb.Debian, Release: "12", Package: "openssl",
				Fixed: "3.0.14-1~deb12u1", State: vulndb.Fixed}},
		})
	}
	return vs
}

// DBUpdated returns the time the database of day d claims it was updated.
func DBUpdated(d Day) time.Time { return d.Date.Add(-2 * time.Hour) }

// DBNextUpdate is far in the future so no scanner wants a newer database.
var DBNextUpdate = time.Date(2099, time.January, 1, 0, 0, 0, 0, time.UTC)
