package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/cvetrail/cvetrail/internal/report"
)

// DefaultImage is the image a generated report names when the options
// name none.
const DefaultImage = "registry.example.com/bench/app:1.0.0"

// TrivyOptions describe a generated Trivy report.
type TrivyOptions struct {
	// Size is the size to reach, in bytes. Each result ends after the
	// package whose vulnerabilities reach its share of the size, so the
	// report is up to a hundred kilobytes larger. A report always has at
	// least one package with vulnerabilities per result (about 70 kB).
	Size int64
	// Seed selects the report; the same seed gives the same bytes.
	Seed uint64
	// Image is the ArtifactName; empty means DefaultImage.
	Image string
}

// TrivyStats describe what WriteTrivy wrote.
type TrivyStats struct {
	Bytes   int64 // size of the report
	Results int   // entries of Results
	// Vulnerabilities counts the entries of every Vulnerabilities array.
	Vulnerabilities int
	// Findings counts the distinct identities (id, type, package) among
	// them: what a normalized report holds. It is lower than
	// Vulnerabilities because a language package found at several paths,
	// and a vulnerable Go module linked into two binaries, are one finding.
	Findings int
}

// A result of a generated report: its target, class, Trivy type, the
// package-URL type cvetrail maps it to, and its share of the size.
type resultSpec struct {
	target, class, typ, purl string
	share                    float64
	kind                     int
}

const (
	kindOS = iota
	kindNPM
	kindPyPI
	kindMaven
	kindGo
	kindGem
)

// WriteTrivy writes a Trivy SchemaVersion 2 JSON report of about o.Size
// bytes to w, laid out as Trivy writes it (two-space indentation, HTML
// characters escaped). It has what real reports of a Debian-based image
// with an application on top have: the image metadata and layers, an OS
// result followed by Node.js, Python, Java, two Go binaries and a Ruby
// lock file; vulnerabilities with descriptions of a few hundred bytes,
// reference lists, CVSS and VendorSeverity maps, layers, package
// identifiers and fingerprints; Debian vulnerabilities shared by the
// binary packages of one source package; language packages found at two
// paths; Go modules linked into both binaries; GHSA ids; quoted and HTML
// characters in texts.
func WriteTrivy(ctx context.Context, w io.Writer, o TrivyOptions) (TrivyStats, error) {
	if o.Size < 0 {
		return TrivyStats{}, errors.New("generating trivy report: negative size")
	}
	image := o.Image
	if image == "" {
		image = DefaultImage
	}
	g := &trivyGen{
		r:     newRNG(o.Seed, 1),
		j:     newJSONWriter(w),
		keys:  make(map[string]struct{}),
		image: image,
	}
	g.layers = make([][2]string, 7)
	for i := range g.layers {
		g.layers[i] = [2]string{"sha256:" + g.hex(64), "sha256:" + g.hex(64)}
	}
	if err := g.report(ctx, o.Size); err != nil {
		return TrivyStats{}, fmt.Errorf("generating trivy report: %w", err)
	}
	g.stats.Findings = len(g.keys)
	g.stats.Bytes = g.j.n
	return g.stats, nil
}

type trivyGen struct {
	r      *rng
	j      *jsonWriter
	image  string
	layers [][2]string
	cveNo  int // vulnerabilities numbered so far; ids derive from it
	keys   map[string]struct{}
	stats  TrivyStats
	goVuln []vulnSpec // Go module vulnerabilities, shared by both binaries
}

func (g *trivyGen) hex(n int) string { return string(g.r.appendHex(nil, n)) }

func (g *trivyGen) report(ctx context.Context, size int64) error {
	j := g.j
	j.objOpen()
	j.intField("SchemaVersion", 2)
	j.name("Trivy")
	j.objOpen()
	j.strField("Version", "0.58.1")
	j.objClose()
	j.strField("ReportID", g.hex(8)+"-"+g.hex(4)+"-7"+g.hex(3)+"-9"+g.hex(3)+"-"+g.hex(12))
	j.strField("CreatedAt", "2026-01-14T03:12:45.123456789Z")
	j.strField("ArtifactID", "sha256:"+g.hex(64))
	j.strField("ArtifactName", g.image)
	j.strField("ArtifactType", "container_image")
	g.metadata()
	j.name("Results")
	j.arrOpen()
	results := []resultSpec{
		{g.image + " (debian 12.8)", "os-pkgs", "debian", "deb", 0.55, kindOS},
		{"Node.js", "lang-pkgs", "node-pkg", "npm", 0.15, kindNPM},
		{"Python", "lang-pkgs", "python-pkg", "pypi", 0.10, kindPyPI},
		{"Java", "lang-pkgs", "jar", "maven", 0.08, kindMaven},
		{"usr/local/bin/app", "lang-pkgs", "gobinary", "golang", 0.05, kindGo},
		{"usr/local/bin/healthcheck", "lang-pkgs", "gobinary", "golang", 0.03, kindGo},
		{"app/Gemfile.lock", "lang-pkgs", "bundler", "gem", 0.04, kindGem},
	}
	start := j.size()
	var spent float64
	for ri, res := range results {
		spent += res.share
		budget := start + int64(spent*float64(size))
		if err := g.result(ctx, ri, res, budget); err != nil {
			return err
		}
	}
	j.arrClose()
	j.objClose()
	j.b = append(j.b, '\n')
	return j.flush()
}

func (g *trivyGen) metadata() {
	j, r := g.j, g.r
	j.name("Metadata")
	j.objOpen()
	j.intField("Size", 150_000_000+r.intn(500_000_000))
	j.name("OS")
	j.objOpen()
	j.strField("Family", "debian")
	j.strField("Name", "12.8")
	j.objClose()
	j.strField("ImageID", "sha256:"+g.hex(64))
	j.name("DiffIDs")
	j.arrOpen()
	for _, l := range g.layers {
		j.str(l[1])
	}
	j.arrClose()
	repo, _, _ := strings.Cut(g.image, ":")
	j.name("RepoTags")
	j.arrOpen()
	j.str(g.image)
	j.arrClose()
	j.name("RepoDigests")
	j.arrOpen()
	j.str(repo + "@sha256:" + g.hex(64))
	j.arrClose()
	j.name("ImageConfig")
	j.objOpen()
	j.strField("architecture", "amd64")
	j.strField("created", "2026-01-10T08:00:00.123456789Z")
	j.name("history")
	j.arrOpen()
	steps := []string{
		"/bin/sh -c #(nop) ADD file:" + g.hex(64) + " in / ",
		`/bin/sh -c #(nop)  CMD ["bash"]`,
		"RUN /bin/sh -c apt-get update && apt-get install -y --no-install-recommends ca-certificates curl git libxml2 imagemagick && rm -rf /var/lib/apt/lists/* # buildkit",
		"COPY package.json package-lock.json ./ # buildkit",
		"RUN /bin/sh -c npm ci --omit=dev # buildkit",
		"COPY requirements.txt ./ # buildkit",
		"RUN /bin/sh -c pip install --no-cache-dir -r requirements.txt # buildkit",
		"COPY build/libs/*.jar app/lib/ # buildkit",
		"COPY --from=build /out/app /usr/local/bin/app # buildkit",
		`ENTRYPOINT ["/usr/local/bin/app"]`,
	}
	for i, s := range steps {
		j.objOpen()
		j.strField("created", "2026-01-10T07:5"+strconv.Itoa(i%10)+":00Z")
		j.strField("created_by", s)
		if strings.Contains(s, "#(nop)") || strings.HasPrefix(s, "ENTRYPOINT") {
			j.name("empty_layer")
			j.boolean(true)
		}
		j.objClose()
	}
	j.arrClose()
	j.strField("os", "linux")
	j.name("rootfs")
	j.objOpen()
	j.strField("type", "layers")
	j.name("diff_ids")
	j.arrOpen()
	for _, l := range g.layers {
		j.str(l[1])
	}
	j.arrClose()
	j.objClose()
	j.name("config")
	j.objOpen()
	j.name("Entrypoint")
	j.arrOpen()
	j.str("/usr/local/bin/app")
	j.arrClose()
	j.name("Env")
	j.arrOpen()
	j.str("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
	j.str("NODE_VERSION=20.18.1")
	j.str("PYTHON_VERSION=3.11.11")
	j.arrClose()
	j.strField("WorkingDir", "/app")
	j.objClose()
	j.objClose()
	j.name("Layers")
	j.arrOpen()
	for _, l := range g.layers {
		j.objOpen()
		j.intField("Size", 1_000_000+r.intn(90_000_000))
		j.strField("Digest", l[0])
		j.strField("DiffID", l[1])
		j.objClose()
	}
	j.arrClose()
	j.objClose()
}

// vulnSpec is one generated vulnerability of one package.
type vulnSpec struct {
	id, pkg, version, path string
	fixed, status          string
	layer                  int
	cve                    *cveText
}

// cveText is what a vulnerability says, shared by the packages it affects.
type cveText struct {
	title, desc, severity, sevSource string
	vendorIDs                        []string
	cwe                              []int
	vendor                           []vendorSev
	cvss                             []cvssEntry
	refs                             []string
	published, modified              string
	dataSource                       [3]string
}

type vendorSev struct {
	source string
	level  int
}

type cvssEntry struct {
	source           string
	v2, v3, v40      string
	v2s, v3s, v40s   int // tenths
	hasV2, hasV3, v4 bool
}

func (g *trivyGen) result(ctx context.Context, index int, res resultSpec, budget int64) error {
	j := g.j
	g.stats.Results++
	j.objOpen()
	j.strField("Target", res.target)
	j.strField("Class", res.class)
	j.strField("Type", res.typ)
	j.name("Vulnerabilities")
	j.arrOpen()
	emit := func(v vulnSpec) {
		g.vuln(res, v)
	}
	for n := 0; n == 0 || j.size() < budget; n++ {
		if n%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		switch res.kind {
		case kindOS:
			g.osGroup(emit)
		case kindGo:
			// Both binaries link the same modules: the second re-reports
			// the first's vulnerabilities at other versions.
			if n >= len(g.goVuln) {
				g.goVuln = append(g.goVuln, g.langVuln(res.kind))
			}
			v := g.goVuln[n]
			if index > 4 && v.pkg != "stdlib" {
				v.version = bumpPatch(v.version)
			}
			v.path = ""
			emit(v)
		default:
			v := g.langVuln(res.kind)
			emit(v)
			if g.r.chance(0.08) {
				// The same package installed a second time, nested.
				v.path = nestedPath(res.kind, v)
				v.version = bumpPatch(v.version)
				emit(v)
			}
		}
	}
	j.arrClose()
	j.objClose()
	return j.err
}

// osGroup emits the vulnerabilities of one Debian source package for each
// of its binary packages.
func (g *trivyGen) osGroup(emit func(vulnSpec)) {
	r := g.r
	gi := r.intn(len(debGroups))
	grp := debGroups[gi]
	bins := grp
	if len(grp) > 1 {
		bins = grp[1:] // the first name is the source package
	}
	version := debVersion(gi, r)
	for range r.between(1, 4) {
		c := g.cveText("debian")
		id := g.nextCVE()
		status := pick(r, []string{"fixed", "affected", "affected", "will_not_fix", "fix_deferred", "fixed", "end_of_life"})
		fixed := ""
		if status == "fixed" {
			fixed = version + "+deb12u" + strconv.Itoa(r.between(1, 9))
		}
		for _, b := range bins {
			emit(vulnSpec{id: id, pkg: b, version: version, fixed: fixed, status: status, layer: 1, cve: c})
		}
	}
}

func debVersion(gi int, r *rng) string {
	v := strconv.Itoa(gi%9+1) + "." + strconv.Itoa(gi%17) + "." + strconv.Itoa(r.intn(12)) + "-" + strconv.Itoa(1+gi%5)
	if gi%3 == 0 {
		v += "~deb12u" + strconv.Itoa(1+gi%4)
	}
	return v
}

func bumpPatch(v string) string { return v + ".1" }

func (g *trivyGen) langVuln(kind int) vulnSpec {
	r := g.r
	var names []string
	var src string
	switch kind {
	case kindNPM:
		names, src = npmPkgs, "ghsa-npm"
	case kindPyPI:
		names, src = pypiPkgs, "ghsa-pip"
	case kindMaven:
		names, src = mavenPkgs, "ghsa-maven"
	case kindGo:
		names, src = goPkgs, "govulndb"
	default:
		names, src = gemPkgs, "ruby-advisory-db"
	}
	pi := r.intn(len(names))
	name := names[pi]
	version := strconv.Itoa(pi%5) + "." + strconv.Itoa(pi%23) + "." + strconv.Itoa(pi%7)
	if kind == kindGo && name == "stdlib" {
		version = "v1.22." + strconv.Itoa(pi%9)
	} else if kind == kindGo {
		version = "v" + version
	}
	id := g.nextCVE()
	if r.chance(0.3) {
		id = g.ghsa()
	}
	status, fixed := "affected", ""
	if r.chance(0.75) {
		status = "fixed"
		fixed = strconv.Itoa(pi%5) + "." + strconv.Itoa(pi%23) + "." + strconv.Itoa(pi%7+1+r.intn(3))
		if r.chance(0.25) {
			fixed += ", " + strconv.Itoa(pi%5+1) + ".0." + strconv.Itoa(r.intn(4))
		}
		if kind == kindGo {
			fixed = "v" + strings.ReplaceAll(fixed, ", ", ", v")
		}
	}
	v := vulnSpec{id: id, pkg: name, version: version, fixed: fixed, status: status, layer: 2 + kind%5, cve: g.cveText(src)}
	v.path = langPath(kind, v)
	return v
}

func langPath(kind int, v vulnSpec) string {
	switch kind {
	case kindNPM:
		return "app/node_modules/" + v.pkg + "/package.json"
	case kindPyPI:
		return "usr/local/lib/python3.11/site-packages/" + v.pkg + "-" + v.version + ".dist-info/METADATA"
	case kindMaven:
		_, art, _ := strings.Cut(v.pkg, ":")
		return "app/lib/" + art + "-" + v.version + ".jar"
	}
	return ""
}

func nestedPath(kind int, v vulnSpec) string {
	switch kind {
	case kindNPM:
		return "usr/local/lib/node_modules/npm/node_modules/" + v.pkg + "/package.json"
	case kindPyPI:
		return "opt/venv/lib/python3.11/site-packages/" + v.pkg + "-" + v.version + ".dist-info/METADATA"
	case kindMaven:
		_, art, _ := strings.Cut(v.pkg, ":")
		return "app/lib/plugins/" + art + "-" + v.version + ".jar"
	}
	return "vendor/bundle/ruby/3.3.0/specifications/" + v.pkg + "-" + v.version + ".gemspec"
}

// nextCVE returns a new CVE id. Ids never repeat within a report: the
// number is a bijection of the counter.
func (g *trivyGen) nextCVE() string {
	const m = 999_983 // prime
	c := g.cveNo
	g.cveNo++
	year := 2014 + c%12
	num := 1000 + (c%m)*7919%m + c/m*1_000_000
	return "CVE-" + strconv.Itoa(year) + "-" + strconv.Itoa(num)
}

// ghsa returns a new GitHub advisory id, unique like nextCVE's.
func (g *trivyGen) ghsa() string {
	c := g.cveNo
	g.cveNo++
	b := []byte("GHSA-")
	x := uint64(c)*0x9e3779b97f4a7c15 ^ g.r.next()<<40
	for i := range 12 {
		if i > 0 && i%4 == 0 {
			b = append(b, '-')
		}
		if i < 5 {
			// The first digits carry the counter, so that ids are unique.
			b = append(b, ghsaAlphabet[c%20])
			c /= 20
			continue
		}
		b = append(b, ghsaAlphabet[x%20])
		x /= 20
	}
	return string(b)
}

func (g *trivyGen) sentence(minLen, maxLen int) string {
	r := g.r
	n := r.between(minLen, maxLen)
	b := make([]byte, 0, n+24)
	for len(b) < n {
		if len(b) > 0 {
			b = append(b, ' ')
		}
		switch x := r.intn(60); {
		case x == 0:
			b = append(b, `"saved UID"`...)
		case x == 1:
			b = append(b, "<script>"...)
		case x == 2:
			b = append(b, pick(r, funcs)...)
			b = append(b, "()"...)
		case x == 3:
			b = append(b, "&amp;"...)
		default:
			b = append(b, pick(r, words)...)
		}
	}
	return string(b)
}

func (g *trivyGen) cveText(dataSource string) *cveText {
	r := g.r
	c := &cveText{
		severity:  pick(r, severities),
		sevSource: pick(r, []string{"nvd", "debian", "ghsa", "redhat", "nvd"}),
		published: strconv.Itoa(2014+r.intn(12)) + "-" + pad2(1+r.intn(12)) + "-" + pad2(1+r.intn(28)) + "T" + pad2(r.intn(24)) + ":15:00Z",
		modified:  "2025-" + pad2(1+r.intn(12)) + "-" + pad2(1+r.intn(28)) + "T" + pad2(r.intn(24)) + ":" + pad2(r.intn(60)) + ":05.743Z",
	}
	if r.chance(0.9) {
		c.title = pick(r, words) + ": " + g.sentence(30, 110)
	}
	desc := g.sentence(150, 800)
	if r.chance(0.2) {
		desc += "\n\nNote: " + g.sentence(30, 120)
	}
	c.desc = desc
	if dataSource == "debian" && r.chance(0.3) {
		c.vendorIDs = []string{"DSA-" + strconv.Itoa(5000+r.intn(900)) + "-1"}
	}
	for range r.between(0, 2) {
		c.cwe = append(c.cwe, 20+r.intn(900))
	}
	perm := r.intn(len(vendorSources))
	for i := range r.between(1, 6) {
		c.vendor = append(c.vendor, vendorSev{vendorSources[(perm+i)%len(vendorSources)], r.between(1, 4)})
	}
	for i := range r.between(1, 3) {
		e := cvssEntry{source: []string{"nvd", "redhat", "ghsa"}[i]}
		if r.chance(0.5) {
			e.hasV2, e.v2, e.v2s = true, pick(r, cvssV2), r.between(10, 100)
		}
		if !e.hasV2 || r.chance(0.8) {
			e.hasV3, e.v3, e.v3s = true, pick(r, cvssV3), r.between(10, 100)
		}
		if r.chance(0.1) {
			e.v4, e.v40, e.v40s = true, pick(r, cvssV40), r.between(10, 100)
		}
		c.cvss = append(c.cvss, e)
	}
	for range r.between(3, 15) {
		site := pick(r, referenceSites)
		c.refs = append(c.refs, site+strings.ToUpper(g.hex(r.between(4, 12))))
	}
	switch dataSource {
	case "debian":
		c.dataSource = [3]string{"debian", "Debian Security Tracker", "https://salsa.debian.org/security-tracker-team/security-tracker"}
	case "govulndb":
		c.dataSource = [3]string{"govulndb", "The Go Vulnerability Database", "https://pkg.go.dev/vuln/"}
	case "ruby-advisory-db":
		c.dataSource = [3]string{"ruby-advisory-db", "Ruby Advisory Database", "https://github.com/rubysec/ruby-advisory-db"}
	default:
		eco := strings.TrimPrefix(dataSource, "ghsa-")
		c.dataSource = [3]string{"ghsa", "GitHub Security Advisory " + strings.ToUpper(eco[:1]) + eco[1:], "https://github.com/advisories?query=type%3Areviewed+ecosystem%3A" + eco}
	}
	return c
}

func pad2(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

func (g *trivyGen) vuln(res resultSpec, v vulnSpec) {
	j, c := g.j, v.cve
	g.stats.Vulnerabilities++
	g.keys[v.id+"\x00"+res.purl+"\x00"+report.CanonicalPkg(res.purl, v.pkg)] = struct{}{}
	j.objOpen()
	j.strField("VulnerabilityID", v.id)
	if len(c.vendorIDs) > 0 {
		j.name("VendorIDs")
		j.arrOpen()
		for _, id := range c.vendorIDs {
			j.str(id)
		}
		j.arrClose()
	}
	j.strField("PkgID", v.pkg+"@"+v.version)
	j.strField("PkgName", v.pkg)
	if v.path != "" {
		j.strField("PkgPath", v.path)
	}
	j.name("PkgIdentifier")
	j.objOpen()
	j.strField("PURL", purl(res, v))
	j.strField("UID", g.hex(16))
	j.objClose()
	j.strField("InstalledVersion", v.version)
	if v.fixed != "" {
		j.strField("FixedVersion", v.fixed)
	}
	j.strField("Status", v.status)
	l := g.layers[v.layer%len(g.layers)]
	j.name("Layer")
	j.objOpen()
	j.strField("Digest", l[0])
	j.strField("DiffID", l[1])
	j.objClose()
	j.strField("SeveritySource", c.sevSource)
	if strings.HasPrefix(v.id, "GHSA-") {
		j.strField("PrimaryURL", "https://github.com/advisories/"+v.id)
	} else {
		j.strField("PrimaryURL", "https://avd.aquasec.com/nvd/"+strings.ToLower(v.id))
	}
	j.name("DataSource")
	j.objOpen()
	j.strField("ID", c.dataSource[0])
	j.strField("Name", c.dataSource[1])
	j.strField("URL", c.dataSource[2])
	j.objClose()
	j.strField("Fingerprint", "sha256:"+g.hex(64))
	if c.title != "" {
		j.strField("Title", c.title)
	}
	j.strField("Description", c.desc)
	j.strField("Severity", c.severity)
	if len(c.cwe) > 0 {
		j.name("CweIDs")
		j.arrOpen()
		for _, n := range c.cwe {
			j.str("CWE-" + strconv.Itoa(n))
		}
		j.arrClose()
	}
	j.name("VendorSeverity")
	j.objOpen()
	for _, vs := range c.vendor {
		j.intField(vs.source, vs.level)
	}
	j.objClose()
	j.name("CVSS")
	j.objOpen()
	for _, e := range c.cvss {
		j.name(e.source)
		j.objOpen()
		if e.hasV2 {
			j.strField("V2Vector", e.v2)
		}
		if e.hasV3 {
			j.strField("V3Vector", e.v3)
		}
		if e.v4 {
			j.strField("V40Vector", e.v40)
		}
		if e.hasV2 {
			j.name("V2Score")
			j.score(e.v2s)
		}
		if e.hasV3 {
			j.name("V3Score")
			j.score(e.v3s)
		}
		if e.v4 {
			j.name("V40Score")
			j.score(e.v40s)
		}
		j.objClose()
	}
	j.objClose()
	j.name("References")
	j.arrOpen()
	for _, ref := range c.refs {
		j.str(ref)
	}
	j.arrClose()
	j.strField("PublishedDate", c.published)
	j.strField("LastModifiedDate", c.modified)
	j.objClose()
}

func purl(res resultSpec, v vulnSpec) string {
	switch res.kind {
	case kindOS:
		return "pkg:deb/debian/" + v.pkg + "@" + v.version + "?arch=amd64&distro=debian-12.8"
	case kindMaven:
		grp, art, _ := strings.Cut(v.pkg, ":")
		return "pkg:maven/" + grp + "/" + art + "@" + v.version
	case kindPyPI:
		return "pkg:pypi/" + strings.ToLower(v.pkg) + "@" + v.version
	case kindNPM:
		return "pkg:npm/" + strings.Replace(v.pkg, "@", "%40", 1) + "@" + v.version
	}
	return "pkg:" + res.purl + "/" + v.pkg + "@" + v.version
}
