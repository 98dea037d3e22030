package trivy

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"testing"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/cvetrail/cvetrail/internal/bench"
	"github.com/cvetrail/cvetrail/internal/report"
)

// genReport writes a Trivy SchemaVersion 2 report of about size bytes,
// deterministic from seed, with the field sizes and shapes of real
// reports: descriptions of a few hundred bytes, reference lists, CVSS and
// VendorSeverity maps, layers, package identifiers, and an OS result
// followed by language results.
func genReport(w io.Writer, size int64, seed uint64) error {
	g := &gen{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), w: bufio.NewWriterSize(w, 256<<10)}
	image := "registry.example.com/team/app:1.2.3"
	g.raw(`{"SchemaVersion":2,"Trivy":{"Version":"0.58.1"},"ReportID":"0193b1f2-7c2e-7a51-9b3d-5e8f2d1c4a6b",` +
		`"CreatedAt":"2026-01-14T03:12:45.123456789Z","ArtifactID":"sha256:` + g.hex(64) + `",`)
	g.raw(`"ArtifactName":` + quote(image) + `,"ArtifactType":"container_image","Metadata":{"Size":214515712,` +
		`"OS":{"Family":"debian","Name":"12.8"},"ImageID":"sha256:` + g.hex(64) + `","DiffIDs":[`)
	layers := make([][2]string, 6)
	for i := range layers {
		layers[i] = [2]string{"sha256:" + g.hex(64), "sha256:" + g.hex(64)}
		if i > 0 {
			g.raw(",")
		}
		g.raw(quote(layers[i][1]))
	}
	g.raw(`],"RepoTags":[` + quote(image) + `],"RepoDigests":["registry.example.com/team/app@sha256:` + g.hex(64) + `"],` +
		`"ImageConfig":{"architecture":"amd64","created":"2026-01-10T08:00:00Z","os":"linux","rootfs":{"type":"layers"},` +
		`"config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]}}},"Results":[`)
	results := []struct {
		target, class, typ, purl string
		share                    float64
		path                     bool
	}{
		{image + " (debian 12.8)", "os-pkgs", "debian", "deb/debian", 0.6, false},
		{"Node.js", "lang-pkgs", "node-pkg", "npm", 0.15, true},
		{"Python", "lang-pkgs", "python-pkg", "pypi", 0.15, true},
		{"Java", "lang-pkgs", "jar", "maven", 0.1, true},
	}
	for ri, res := range results {
		if ri > 0 {
			g.raw(",")
		}
		g.raw(`{"Target":` + quote(res.target) + `,"Class":"` + res.class + `","Type":"` + res.typ + `","Vulnerabilities":[`)
		budget := g.n + int64(float64(size)*res.share)
		for i := 0; i == 0 || g.n < budget; i++ {
			if i > 0 {
				g.raw(",")
			}
			g.vuln(res.purl, res.path, layers)
		}
		g.raw("]}")
	}
	g.raw("]}\n")
	return g.w.Flush()
}

type gen struct {
	rng *rand.Rand
	w   *bufio.Writer
	n   int64
	buf []byte
	ind bytes.Buffer
}

var (
	words = []string{"buffer", "overflow", "in", "the", "parser", "allows", "remote", "attackers", "to", "cause",
		"a", "denial", "of", "service", "via", "crafted", "input", "heap-based", "use-after-free", "memory",
		"corruption", "when", "processing", "certificate", "function", "library", "before", "version", "integer",
		"out-of-bounds", "read", "write", "NULL", "pointer", "dereference", "request", "header", "\"quoted\"", "files"}
	sources  = []string{"nvd", "redhat", "ghsa", "debian", "ubuntu", "amazon", "oracle-oval", "photon", "cbl-mariner"}
	statuses = []string{"fixed", "affected", "will_not_fix", "fix_deferred", "fixed", "fixed"}
	sevs     = []string{"LOW", "MEDIUM", "HIGH", "CRITICAL", "UNKNOWN", "MEDIUM", "HIGH"}
	vectors3 = []string{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
		"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", "CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N"}
	vectors2 = []string{"AV:N/AC:L/Au:N/C:P/I:P/A:P", "AV:L/AC:L/Au:N/C:C/I:C/A:C", "AV:N/AC:M/Au:N/C:N/I:P/A:N"}
)

func quote(s string) string {
	b, err := jsontext.AppendQuote(nil, s)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func (g *gen) raw(s string) {
	n, _ := g.w.WriteString(s)
	g.n += int64(n)
}

func (g *gen) hex(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[g.rng.IntN(16)]
	}
	return string(b)
}

func (g *gen) sentence(minLen, maxLen int) string {
	n := minLen + g.rng.IntN(maxLen-minLen+1)
	b := make([]byte, 0, n+16)
	for len(b) < n {
		if len(b) > 0 {
			b = append(b, ' ')
		}
		b = append(b, words[g.rng.IntN(len(words))]...)
	}
	return string(b)
}

func (g *gen) vuln(purl string, withPath bool, layers [][2]string) {
	r := g.rng
	pkgNo := r.IntN(400)
	name := "pkg" + strconv.Itoa(pkgNo)
	if purl == "maven" {
		name = "org.example" + strconv.Itoa(pkgNo%20) + ":artifact" + strconv.Itoa(pkgNo)
	}
	version := strconv.Itoa(pkgNo%7) + "." + strconv.Itoa(pkgNo%13) + "." + strconv.Itoa(pkgNo%5)
	id := "CVE-" + strconv.Itoa(2015+r.IntN(11)) + "-" + strconv.Itoa(1000+r.IntN(60000))
	layer := layers[r.IntN(len(layers))]
	b := g.buf[:0]
	b = append(b, `{"VulnerabilityID":`...)
	b = append(b, quote(id)...)
	b = append(b, `,"PkgID":`...)
	b = append(b, quote(name+"@"+version)...)
	b = append(b, `,"PkgName":`...)
	b = append(b, quote(name)...)
	if withPath {
		b = append(b, `,"PkgPath":`...)
		b = append(b, quote("usr/lib/app/"+name+"/package.json")...)
	}
	b = append(b, `,"PkgIdentifier":{"PURL":`...)
	b = append(b, quote("pkg:"+purl+"/"+name+"@"+version+"?arch=amd64&distro=debian-12.8")...)
	b = append(b, `,"UID":"`...)
	b = append(b, g.hex(16)...)
	b = append(b, `"},"InstalledVersion":`...)
	b = append(b, quote(version)...)
	status := statuses[r.IntN(len(statuses))]
	if status == "fixed" {
		b = append(b, `,"FixedVersion":`...)
		fixed := version + "+deb12u" + strconv.Itoa(1+r.IntN(3))
		if r.IntN(4) == 0 {
			fixed += ", " + strconv.Itoa(pkgNo%7+1) + ".0.0"
		}
		b = append(b, quote(fixed)...)
	}
	b = append(b, `,"Status":"`...)
	b = append(b, status...)
	b = append(b, `","Layer":{"Digest":"`...)
	b = append(b, layer[0]...)
	b = append(b, `","DiffID":"`...)
	b = append(b, layer[1]...)
	sevSource := sources[r.IntN(4)]
	b = append(b, `"},"SeveritySource":"`...)
	b = append(b, sevSource...)
	b = append(b, `","PrimaryURL":"https://avd.aquasec.com/nvd/`...)
	b = append(b, id...)
	b = append(b, `","DataSource":{"ID":"debian","Name":"Debian Security Tracker","URL":"https://salsa.debian.org/security-tracker-team/security-tracker"},"Fingerprint":"sha256:`...)
	b = append(b, g.hex(64)...)
	b = append(b, `","Title":`...)
	b = append(b, quote(g.sentence(40, 120))...)
	b = append(b, `,"Description":`...)
	b = append(b, quote(g.sentence(200, 600))...)
	b = append(b, `,"Severity":"`...)
	b = append(b, sevs[r.IntN(len(sevs))]...)
	b = append(b, `","CweIDs":["CWE-`...)
	b = strconv.AppendInt(b, int64(20+r.IntN(900)), 10)
	b = append(b, `"],"VendorSeverity":{`...)
	nv := 2 + r.IntN(6)
	for i := range nv {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, sources[i]...)
		b = append(b, `":`...)
		b = strconv.AppendInt(b, int64(1+r.IntN(4)), 10)
	}
	b = append(b, `},"CVSS":{"nvd":{"V2Vector":"`...)
	b = append(b, vectors2[r.IntN(len(vectors2))]...)
	b = append(b, `","V3Vector":"`...)
	b = append(b, vectors3[r.IntN(len(vectors3))]...)
	b = append(b, `","V2Score":`...)
	b = strconv.AppendFloat(b, float64(10+r.IntN(91))/10, 'f', -1, 64)
	b = append(b, `,"V3Score":`...)
	b = strconv.AppendFloat(b, float64(10+r.IntN(91))/10, 'f', -1, 64)
	b = append(b, `},"redhat":{"V3Vector":"`...)
	b = append(b, vectors3[r.IntN(len(vectors3))]...)
	b = append(b, `","V3Score":`...)
	b = strconv.AppendFloat(b, float64(10+r.IntN(91))/10, 'f', -1, 64)
	b = append(b, `}},"References":[`...)
	for i := range 3 + r.IntN(18) {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `"https://`...)
		b = append(b, [...]string{"nvd.nist.gov/vuln/detail/", "access.redhat.com/security/cve/", "security-tracker.debian.org/tracker/", "github.com/advisories/", "lists.example.org/archives/list/package-announce@lists.example.org/message/"}[i%5]...)
		b = append(b, id...)
		b = append(b, '"')
	}
	b = append(b, `],"PublishedDate":"`...)
	b = strconv.AppendInt(b, int64(2015+r.IntN(11)), 10)
	b = append(b, fmt.Sprintf("-%02d-%02dT%02d:15:00Z", 1+r.IntN(12), 1+r.IntN(28), r.IntN(24))...)
	b = append(b, `","LastModifiedDate":"2025-11-0`...)
	b = strconv.AppendInt(b, int64(1+r.IntN(9)), 10)
	b = append(b, `T12:00:00Z"}`...)
	// Trivy indents its JSON by two spaces; a vulnerability sits four
	// levels deep.
	const indent = "        "
	g.ind.Reset()
	g.ind.WriteString("\n" + indent)
	if err := json.Indent(&g.ind, b, indent, "  "); err != nil {
		panic(err)
	}
	n, _ := g.w.Write(g.ind.Bytes())
	g.n += int64(n)
	g.buf = b
}

// realReport is a report laid out as Trivy writes it, from the generator
// that bench/compare.sh uses. (genReport's reports join results without
// line breaks, which exercises other paths.)
func realReport(tb testing.TB, size int64) []byte {
	var buf bytes.Buffer
	if _, err := bench.WriteTrivy(context.Background(), &buf, bench.TrivyOptions{Size: size, Seed: 1}); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func BenchmarkParse(b *testing.B) {
	for _, mb := range []int64{1, 16} {
		buf := bytes.NewBuffer(realReport(b, mb<<20))
		data := buf.Bytes()
		for _, m := range []mode{{"sequential", 1, batchSize, 0}, {"workers", numWorkers(), batchSize, parallelFrom}} {
			if m.name == "workers" && m.workers == 1 {
				continue // one core
			}
			b.Run(fmt.Sprintf("%dMB/%s", mb, m.name), func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				b.ReportAllocs()
				var findings int
				inMode(m, func() {
					for b.Loop() {
						r, err := Parse(bytes.NewReader(data), Options{})
						if err != nil {
							b.Fatal(err)
						}
						findings = len(r.Findings)
					}
				})
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(findings), "ns/finding")
			})
		}
	}
}

// BenchmarkSkip compares the scanner with jsontext on what dominates
// reading a report: going over JSON text without decoding it.
func BenchmarkSkip(b *testing.B) {
	var buf bytes.Buffer
	if err := genReport(&buf, 8<<20, 1); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.Run("jsontext", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			d := jsontext.NewDecoder(bytes.NewReader(data), jsontext.AllowDuplicateNames(true))
			if err := d.SkipValue(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("scanner", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			s, err := newScanner(bytes.NewReader(data))
			if err != nil {
				b.Fatal(err)
			}
			if err := s.skip(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestLargeReport parses a generated report of $CVETRAIL_TRIVY_LARGE_MB
// megabytes written to a file, for measuring peak memory from outside
// (/usr/bin/time -v on the test binary). It writes the file to
// $CVETRAIL_TRIVY_LARGE_FILE when that is set and the file is missing.
func TestLargeReport(t *testing.T) {
	path := os.Getenv("CVETRAIL_TRIVY_LARGE_FILE")
	if path == "" {
		t.Skip("set CVETRAIL_TRIVY_LARGE_FILE (and CVETRAIL_TRIVY_LARGE_MB to generate it)")
	}
	if _, err := os.Stat(path); os.IsNotExist(err) {
		mb, err := strconv.Atoi(os.Getenv("CVETRAIL_TRIVY_LARGE_MB"))
		if err != nil {
			t.Fatalf("CVETRAIL_TRIVY_LARGE_MB: %v", err)
		}
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := genReport(f, int64(mb)<<20, 1); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", path)
		return
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := Parse(f, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := report.Encode(io.Discard, r); err != nil {
		t.Fatal(err)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("%d findings, %d warnings; heap in use %d MB, total allocated %d MB", len(r.Findings), len(r.Warnings), ms.HeapInuse>>20, ms.TotalAlloc>>20)
}

// BenchmarkObjectEnd measures how fast the reading goroutine delimits
// objects for the workers: over a whole generated report, one object.
func BenchmarkObjectEnd(b *testing.B) {
	data := realReport(b, 16<<20)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		s := newBytesScanner(data, 0)
		if n, ok := s.objectEnd(); !ok || n != bytes.LastIndexByte(data, '}')+1 {
			b.Fatalf("objectEnd = %d, %v; want %d", n, ok, bytes.LastIndexByte(data, '}')+1)
		}
	}
}
