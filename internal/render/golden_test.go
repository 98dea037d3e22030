package render

import (
	"bytes"
	"testing"

	"github.com/cvetrail/cvetrail/internal/diff"
	"github.com/cvetrail/cvetrail/internal/report"
)

// calm is a day with nothing for a human: the base image moved, a
// vulnerability was fixed upstream and one disappeared.
func calm(t *testing.T) diff.Result {
	t.Helper()
	base := rep(app, &report.OS{Family: "debian", Version: "11.6"},
		fnd("CVE-2023-0464", "deb", "libssl3", report.High, versions("3.0.11-1~deb11u1")),
		fnd("CVE-2021-3999", "deb", "libc6", report.Low, versions("2.31-13")))
	head := rep(app, &report.OS{Family: "debian", Version: "12.1"},
		fnd("CVE-2023-0464", "deb", "libssl3", report.High, versions("3.0.13-1~deb12u1"), fixed("3.0.13-1~deb12u2")))
	r, err := diff.Compare(map[string]*report.Report{app: base}, map[string]*report.Report{app: head}, nil, diff.Policy{}, now)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestGolden(t *testing.T) {
	r := sample(t)
	quiet := calm(t)
	for _, tt := range []struct {
		name   string
		render func(*bytes.Buffer) error
	}{
		{"sample.json", func(b *bytes.Buffer) error { return JSON(b, r) }},
		{"sample.table", func(b *bytes.Buffer) error { return Table(b, r, false) }},
		{"sample.color.table", func(b *bytes.Buffer) error { return Table(b, r, true) }},
		{"sample.md", func(b *bytes.Buffer) error { return Markdown(b, r, sampleMeta, GitHubLimit) }},
		{"calm.table", func(b *bytes.Buffer) error { return Table(b, quiet, false) }},
		{"calm.md", func(b *bytes.Buffer) error { return Markdown(b, quiet, Meta{}, GitHubLimit) }},
		{"calm.json", func(b *bytes.Buffer) error { return JSON(b, quiet) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tt.render(&b); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name+".golden", b.Bytes())
		})
	}
}
