package grype

import (
	"bytes"
	"os"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cvetrail/cvetrail/internal/report"
)

// FuzzParse checks, for any input: Parse does not panic; an error comes
// with no report; normalizing the result again changes nothing; and its
// ledger encoding survives a decode and re-encode byte for byte.
func FuzzParse(f *testing.F) {
	for _, path := range grypeFixtures(f) {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		v6Report, v5Report, oldReport,
		`{"matches":[]}`,
		`{"matches":[{"vulnerability":{"id":"GHSA-1"},"relatedVulnerabilities":[{"id":"CVE-1"},{"id":"CVE-0"}],"artifact":{"name":"A_b.c","type":"python"}}]}`,
		`{"matches":[{"vulnerability":{"id":"CVE-1","description":"` + string(bytes.Repeat([]byte("x. Y"), 100)) + `"},"artifact":{"name":"a","type":"npm","purl":"pkg:npm/%40s/a@1"}}]}`,
		`{"matches":[{"vulnerability":{"id":"CVE-1"},"artifact":{"name":"a","type":"java-archive","purl":"pkg:maven/g/a@1"}}],"ignoredMatches":[{"vulnerability":{"id":"CVE-1"},"artifact":{"name":"a","type":"java-archive","metadata":{"pomGroupID":"g"}}}]}`,
		`{"matches":[{"vulnerability":{"id":"CVE-1"`,
		`[]`, `null`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		rep, err := Parse(bytes.NewReader(in), Options{})
		if err != nil {
			if rep != nil {
				t.Fatalf("Parse returned a report with the error %v", err)
			}
			return
		}
		again := cloneReport(rep)
		again.Normalize()
		if diff := cmp.Diff(rep, again); diff != "" {
			t.Fatalf("Normalize is not idempotent (-first +second):\n%s", diff)
		}
		if rep.Image == "" {
			rep.Image = "fuzz" // a ledger needs an image name
		}
		var first bytes.Buffer
		if err := report.Encode(&first, rep); err != nil {
			t.Fatalf("Encode: %v", err)
		}
		dec, err := report.Decode(bytes.NewReader(first.Bytes()))
		if err != nil {
			t.Fatalf("Decode of an encoded report: %v\n%s", err, first.Bytes())
		}
		var second bytes.Buffer
		if err := report.Encode(&second, dec); err != nil {
			t.Fatalf("Encode of a decoded report: %v", err)
		}
		if !bytes.Equal(first.Bytes(), second.Bytes()) {
			t.Fatalf("encode → decode → encode differs:\n%s\n---\n%s", first.Bytes(), second.Bytes())
		}
	})
}

// cloneReport returns a deep copy of r.
func cloneReport(r *report.Report) *report.Report {
	c := *r
	if r.OS != nil {
		os := *r.OS
		c.OS = &os
	}
	c.Warnings = slices.Clone(r.Warnings)
	c.Findings = make([]report.Finding, len(r.Findings))
	for i, f := range r.Findings {
		f.Aliases = slices.Clone(f.Aliases)
		f.Versions = slices.Clone(f.Versions)
		f.Paths = slices.Clone(f.Paths)
		f.Fixed = slices.Clone(f.Fixed)
		if f.CVSS != nil {
			cv := *f.CVSS
			f.CVSS = &cv
		}
		c.Findings[i] = f
	}
	if r.Findings == nil {
		c.Findings = nil
	}
	return &c
}
