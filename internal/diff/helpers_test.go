package diff

import (
	"time"

	"github.com/cvetrail/cvetrail/internal/report"
	"github.com/cvetrail/cvetrail/internal/triage"
)

// decisions is a Decisions for tests: Find returns the first covering
// decision with a package scope, else the first covering one.
type decisions []triage.Decision

func (ds decisions) All() []triage.Decision { return ds }

func (ds decisions) Find(image string, f *report.Finding) *triage.Decision {
	var found *triage.Decision
	for i := range ds {
		if ds[i].Covers(image, f) {
			if len(ds[i].Packages) > 0 {
				return &ds[i]
			}
			if found == nil {
				found = &ds[i]
			}
		}
	}
	return found
}

var day = time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)

func date(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

type mod func(*report.Finding)

// fnd builds a finding of deb/openssl, changed by mods.
func fnd(id string, sev report.Severity, mods ...mod) report.Finding {
	f := report.Finding{ID: id, Type: "deb", Pkg: "openssl", Versions: []string{"3.0.11-1"},
		FixState: report.NotFixed, Severity: sev, Title: "a flaw in " + id}
	for _, m := range mods {
		m(&f)
	}
	return f
}

func pkg(typ, name string) mod { return func(f *report.Finding) { f.Type, f.Pkg = typ, name } }
func versions(v ...string) mod { return func(f *report.Finding) { f.Versions = v } }
func paths(p ...string) mod    { return func(f *report.Finding) { f.Paths = p } }
func aliases(a ...string) mod  { return func(f *report.Finding) { f.Aliases = a } }
func title(t string) mod       { return func(f *report.Finding) { f.Title = t } }
func suppressed(s string) mod  { return func(f *report.Finding) { f.Suppressed = s } }
func wontFix() mod             { return func(f *report.Finding) { f.FixState = report.WontFix } }
func cvss(score float64) mod {
	return func(f *report.Finding) { f.CVSS = &report.CVSS{Score: score, Source: "nvd"} }
}
func fixed(v ...string) mod {
	return func(f *report.Finding) { f.Fixed, f.FixState = v, report.Fixed }
}

// rep builds a normalized report of image.
func rep(image string, fs ...report.Finding) *report.Report {
	r := &report.Report{Header: report.Header{SchemaVersion: report.SchemaVersion, Image: image}}
	for _, f := range fs {
		// Copy the slices: Normalize sorts them in place.
		f.Aliases = append([]string(nil), f.Aliases...)
		f.Versions = append([]string(nil), f.Versions...)
		f.Paths = append([]string(nil), f.Paths...)
		f.Fixed = append([]string(nil), f.Fixed...)
		r.Findings = append(r.Findings, f)
	}
	r.Normalize()
	return r
}

func withOS(r *report.Report, family, version string) *report.Report {
	r.OS = &report.OS{Family: family, Version: version}
	return r
}
