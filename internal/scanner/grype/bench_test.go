package grype

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// genReport writes a Grype report of about size bytes with realistic field
// sizes: descriptions of a few hundred bytes, reference lists, CVSS entries,
// match details, CPEs, locations and Java metadata; a third of the matches
// are OS packages, the rest language packages. It is deterministic.
func genReport(size int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	words := strings.Fields("a remote attacker could exploit buffer overflow in the parser when handling crafted input leading to denial of service or arbitrary code execution via a specially crafted request")
	sentence := func(n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(words[rng.IntN(len(words))])
		}
		return b.String()
	}
	var b bytes.Buffer
	b.WriteString(`{"matches":[`)
	for i := 0; b.Len() < size; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		cve := fmt.Sprintf("CVE-20%02d-%05d", 10+rng.IntN(16), rng.IntN(99999))
		var typ, name, purl, loc, ns string
		switch i % 6 {
		case 0, 1:
			name = fmt.Sprintf("lib%s%d", words[rng.IntN(len(words))], rng.IntN(50))
			typ, purl, loc, ns = "deb", "pkg:deb/debian/"+name+"@1.2.3-1?arch=amd64&distro=debian-12", "/var/lib/dpkg/status", "debian:distro:debian:12"
		case 2:
			name = fmt.Sprintf("py%s%d", words[rng.IntN(len(words))], rng.IntN(50))
			typ, purl, loc, ns = "python", "pkg:pypi/"+name+"@2.0.1", "/usr/local/lib/python3.11/site-packages/"+name+"-2.0.1.dist-info/METADATA", "github:language:python"
		case 3:
			name = fmt.Sprintf("node-%s%d", words[rng.IntN(len(words))], rng.IntN(50))
			typ, purl, loc, ns = "npm", "pkg:npm/"+name+"@4.1.0", "/app/node_modules/"+name+"/package.json", "github:language:javascript"
		case 4:
			name = fmt.Sprintf("github.com/%s/%s%d", words[rng.IntN(len(words))], words[rng.IntN(len(words))], rng.IntN(50))
			typ, purl, loc, ns = "go-module", "pkg:golang/"+name+"@v1.4.0", "/usr/bin/app", "github:language:go"
		default:
			name = fmt.Sprintf("%s-core%d", words[rng.IntN(len(words))], rng.IntN(50))
			typ, purl, loc, ns = "java-archive", "pkg:maven/org.example."+words[rng.IntN(len(words))]+"/"+name+"@2.14.1", "/app/lib/"+name+".jar", "github:language:java"
		}
		fmt.Fprintf(&b, `{"vulnerability":{"id":%q,"dataSource":"https://nvd.nist.gov/vuln/detail/%s","namespace":%q,"severity":%q,"urls":["https://example.com/a/%d","https://example.com/b/%d","https://lists.example.org/archives/%d"],"description":%q,"cvss":[{"source":"nvd@nist.gov","type":"Primary","version":"3.1","vector":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H","metrics":{"baseScore":%.1f,"exploitabilityScore":3.9,"impactScore":5.9},"vendorMetadata":{}}],"epss":[{"cve":%q,"epss":0.01,"percentile":0.5,"date":"2026-08-01"}],"fix":{"versions":["1.2.4-1"],"state":"fixed","available":[{"version":"1.2.4-1","date":"2026-01-01","kind":"first-observed"}]},"advisories":[],"risk":1.2},`,
			cve, cve, ns, []string{"Negligible", "Low", "Medium", "High", "Critical"}[rng.IntN(5)], i, i, i, sentence(40)+". "+sentence(15)+".", 1+9*rng.Float64(), cve)
		fmt.Fprintf(&b, `"relatedVulnerabilities":[{"id":%q,"dataSource":"https://nvd.nist.gov/vuln/detail/%s","namespace":"nvd:cpe","severity":"High","urls":["https://example.com/c/%d"],"description":%q,"cvss":[{"source":"nvd@nist.gov","type":"Primary","version":"3.1","vector":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N","metrics":{"baseScore":7.5},"vendorMetadata":{}}]}],`,
			cve, cve, i, sentence(30))
		fmt.Fprintf(&b, `"matchDetails":[{"type":"exact-direct-match","matcher":"dpkg-matcher","searchedBy":{"distro":{"type":"debian","version":"12"},"package":{"name":%q,"version":"1.2.3-1"},"namespace":%q},"found":{"vulnerabilityID":%q,"versionConstraint":"< 1.2.4-1 (deb)"},"fix":{"suggestedVersion":"1.2.4-1"}}],`,
			name, ns, cve)
		fmt.Fprintf(&b, `"artifact":{"id":"%016x","name":%q,"version":"1.2.3-1","type":%q,"locations":[{"path":%q,"layerID":"sha256:%064x","accessPath":%q,"annotations":{"evidence":"primary"}}],"language":"","licenses":["MIT"],"cpes":["cpe:2.3:a:%s:%s:1.2.3:*:*:*:*:*:*:*"],"purl":%q,"upstreams":[],"metadataType":"JavaMetadata","metadata":{"virtualPath":%q,"pomArtifactID":%q,"pomGroupID":"org.example"}}}`,
			rng.Uint64(), name, typ, loc, rng.Uint64(), loc, words[0], words[1], purl, loc, name)
	}
	b.WriteString(`],"source":{"type":"image","target":{"userInput":"registry.example.com/app:1","imageID":"sha256:1","tags":["registry.example.com/app:1"]}},"distro":{"name":"debian","version":"12","idLike":[]},"descriptor":{"name":"grype","version":"0.121.3","db":{"status":{"schemaVersion":"v6.0.2","built":"2026-08-14T01:31:43Z","valid":true}}}}`)
	return b.Bytes()
}

func TestGeneratedReportParses(t *testing.T) {
	in := genReport(200 << 10)
	rep, err := Parse(bytes.NewReader(in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) < 50 {
		t.Errorf("%d findings from a 200 KiB report, want dozens", len(rep.Findings))
	}
}

// BenchmarkParse measures parse and normalize of an 8 MB report; the MB/s
// column is the throughput.
func BenchmarkParse(b *testing.B) {
	in := genReport(8 << 20)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	var findings int
	for b.Loop() {
		rep, err := Parse(bytes.NewReader(in), Options{})
		if err != nil {
			b.Fatal(err)
		}
		findings = len(rep.Findings)
	}
	b.ReportMetric(float64(findings), "findings")
}
