package report

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxTitle is the longest title, in bytes, stored in a ledger. Longer titles
// are cut at a character boundary and a warning is added to the report.
const MaxTitle = 512

// MaxField is the longest package name, version, path, URL or id stored.
// Anything longer is cut and warned about like a title.
const MaxField = 4096

// CanonicalPkg returns the canonical spelling of a package name for its
// package-URL type, so that two scanners spelling the same package
// differently produce the same key. PyPI names are normalized as in PEP 503
// (lower case, runs of "-", "_" and "." become "-"); Composer names are
// lower-cased; other types keep the scanner's spelling.
func CanonicalPkg(typ, name string) string {
	name = strings.TrimSpace(name)
	switch typ {
	case "pypi":
		var b strings.Builder
		sep := false
		for _, r := range strings.ToLower(name) {
			if r == '-' || r == '_' || r == '.' {
				sep = true
				continue
			}
			if sep && b.Len() > 0 {
				b.WriteByte('-')
			}
			sep = false
			b.WriteRune(r)
		}
		return b.String()
	case "composer":
		return strings.ToLower(name)
	}
	return name
}

// CanonicalID picks the canonical id among a vulnerability's ids: the id
// itself when it is a CVE, else the smallest CVE alias, else the id.
func CanonicalID(id string, aliases []string) string {
	if isCVE(id) {
		return id
	}
	best := ""
	for _, a := range aliases {
		if isCVE(a) && (best == "" || a < best) {
			best = a
		}
	}
	if best != "" {
		return best
	}
	return id
}

func isCVE(id string) bool { return strings.HasPrefix(id, "CVE-") }

// Validate checks that every finding has what its identity needs.
func (r *Report) Validate() error {
	for i := range r.Findings {
		f := &r.Findings[i]
		switch {
		case f.ID == "":
			return fmt.Errorf("finding %d (package %q): no vulnerability id", i+1, f.Pkg)
		case f.Pkg == "":
			return fmt.Errorf("finding %d (%s): no package name", i+1, f.ID)
		case f.Type == "":
			return fmt.Errorf("finding %d (%s in %s): no package type", i+1, f.ID, f.Pkg)
		}
	}
	return nil
}

// Normalize puts r into canonical form: ids, aliases and package names are
// canonicalized, findings of the same package that share any id are merged
// into one, lists are sorted and deduplicated, over-long text is cut (with a
// warning), and findings are sorted by key. Normalize is idempotent.
func (r *Report) Normalize() { r.NormalizeRest(nil) }

// NormalizeRest is Normalize for a report some of whose findings have
// been given to NormalizeText already: those for which text[i] is true
// (text may be nil, or shorter than the findings).
func (r *Report) NormalizeRest(text []bool) {
	r.Warnings = append(r.Warnings, normalizeFindings(r.Findings, text)...)
	r.Findings = mergeAndSort(r.Findings)
	if r.SchemaVersion == 0 {
		r.SchemaVersion = SchemaVersion
	}
}

// normalizeFindings puts each finding of fs in canonical form and returns
// the warnings about what was cut, in the order of fs. A large report is
// done on all cores, each taking a run of findings.
func normalizeFindings(fs []Finding, text []bool) []string {
	parts := split(len(fs))
	warns := make([][]string, len(parts))
	parallel(parts, func(i, lo, hi int) {
		c := &cutter{}
		for j := lo; j < hi; j++ {
			if j < len(text) && text[j] {
				c.normalizePkg(&fs[j])
			} else {
				c.normalizeFinding(&fs[j])
			}
		}
		warns[i] = c.warnings
	})
	return slices.Concat(warns...)
}

// NormalizeText puts into canonical form all of f that does not depend on
// its package type, everything but Type and Pkg, as Normalize does, and
// reports true; NormalizeRest then finishes it. A parser can so normalize
// each finding while it is at hand, before it knows the type. When a field
// of f is longer than Normalize keeps, NormalizeText leaves f as it is and
// reports false: Normalize cuts it, with a warning, in order.
func NormalizeText(f *Finding) bool {
	// Only lower-casing can lengthen a field, a package name: by half,
	// or three times where it replaces bytes that are not UTF-8.
	fits := len(f.ID) <= MaxField && len(f.Pkg)*3 <= MaxField && len(f.Title) <= MaxTitle && len(f.URL) <= MaxField
	for _, list := range [][]string{f.Versions, f.Paths, f.Fixed, f.Aliases} {
		for _, v := range list {
			fits = fits && len(v) <= MaxField
		}
	}
	if !fits {
		return false
	}
	c := &cutter{}
	f.ID = strings.TrimSpace(f.ID)
	c.normalizeRest(f)
	return true
}

// cutter cuts over-long fields of findings and keeps warnings about it.
type cutter struct{ warnings []string }

func (r *cutter) normalizeFinding(f *Finding) {
	f.ID = r.cut(f, "id", strings.TrimSpace(f.ID), MaxField)
	r.normalizePkg(f)
	r.normalizeRest(f)
}

// normalizePkg canonicalizes the package type and name of f.
func (r *cutter) normalizePkg(f *Finding) {
	f.Type = strings.ToLower(strings.TrimSpace(f.Type))
	// Canonicalized again after a cut, which can leave a trailing
	// separator that canonicalization drops.
	f.Pkg = CanonicalPkg(f.Type, r.cut(f, "package name", CanonicalPkg(f.Type, f.Pkg), MaxField))
}

// normalizeRest canonicalizes everything of f but its type and package:
// texts, lists, fix state and dates, and picks its canonical id among its
// ids.
func (r *cutter) normalizeRest(f *Finding) {
	f.Title = r.cut(f, "title", collapseSpace(f.Title), MaxTitle)
	f.URL = r.cut(f, "url", strings.TrimSpace(f.URL), MaxField)
	for i, v := range f.Versions {
		f.Versions[i] = r.cut(f, "version", v, MaxField)
	}
	for i, v := range f.Paths {
		f.Paths[i] = r.cut(f, "path", v, MaxField)
	}
	for i, v := range f.Fixed {
		f.Fixed[i] = r.cut(f, "fixed version", v, MaxField)
	}
	for i, v := range f.Aliases {
		f.Aliases[i] = r.cut(f, "alias", strings.TrimSpace(v), MaxField)
	}
	f.Aliases = sortedSet(f.Aliases)
	id := CanonicalID(f.ID, f.Aliases)
	if id != f.ID {
		f.Aliases = sortedSet(append(f.Aliases, f.ID))
		f.ID = id
	}
	f.Aliases = slices.DeleteFunc(f.Aliases, func(a string) bool { return a == f.ID })
	f.Versions = sortedSet(f.Versions)
	f.Paths = sortedSet(f.Paths)
	f.Fixed = sortedSet(f.Fixed)
	if !f.FixState.Valid() {
		f.FixState = FixUnknown
	}
	if len(f.Fixed) > 0 && (f.FixState == FixUnknown || f.FixState == NotFixed) {
		f.FixState = Fixed
	}
	if f.Published != "" && len(f.Published) > len("2006-01-02") {
		f.Published = f.Published[:len("2006-01-02")]
	}
	if len(f.Published) != len("2006-01-02") {
		f.Published = ""
	}
	if f.CVSS != nil && f.CVSS.Score == 0 && f.CVSS.Vector == "" {
		f.CVSS = nil
	}
	if len(f.Aliases) == 0 {
		f.Aliases = nil
	}
}

// cut shortens s to at most n bytes at a character boundary, recording a
// warning when it does.
func (r *cutter) cut(f *Finding, what, s string, n int) string {
	if len(s) <= n {
		return s
	}
	orig := len(s)
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s[len(s)-min(len(s), utf8.UTFMax):]) {
		s = s[:len(s)-1]
	}
	// A cut that ends in white space would be trimmed by the next
	// Normalize; trim it now so that Normalize stays idempotent.
	s = strings.TrimRightFunc(s, unicode.IsSpace)
	r.warnings = append(r.warnings, fmt.Sprintf("%s in %s: %s truncated from %d to %d bytes", clipName(firstNonEmpty(f.ID, "?")), clipName(firstNonEmpty(f.Pkg, "?")), what, orig, len(s)))
	return s
}

// collapseSpace trims s and turns each run of white space in it into one
// space, as strings.Join(strings.Fields(s), " ") does, without copying a
// string that is already so, as nearly every title is.
func collapseSpace(s string) string {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= utf8.RuneSelf, c == '\t', c == '\n', c == '\v', c == '\f', c == '\r',
			c == ' ' && (i == 0 || i == len(s)-1 || s[i-1] == ' '):
			return strings.Join(strings.Fields(s), " ")
		}
	}
	return s
}

// maxWarnName is the longest id or package name a warning repeats.
const maxWarnName = 120

// clipName shortens an id or package name for a warning, at a character
// boundary, so that a warning about an over-long field is not itself
// over-long.
func clipName(s string) string {
	if len(s) <= maxWarnName {
		return s
	}
	n := maxWarnName
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func minString(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return slices.Min(s)
}

var fixRank = map[FixState]int{FixUnknown: 0, WontFix: 1, NotFixed: 2, Fixed: 3}

// mergeInto merges b into a, independently of which of the two came first.
func mergeInto(a, b *Finding) {
	a.Aliases = sortedSet(append(append(a.Aliases, b.Aliases...), b.ID))
	a.Versions = sortedSet(append(a.Versions, b.Versions...))
	a.Paths = sortedSet(append(a.Paths, b.Paths...))
	a.Fixed = sortedSet(append(a.Fixed, b.Fixed...))
	if fixRank[b.FixState] > fixRank[a.FixState] {
		a.FixState = b.FixState
	}
	if b.Severity > a.Severity || (b.Severity == a.Severity && b.SeveritySource != "" && (a.SeveritySource == "" || b.SeveritySource < a.SeveritySource)) {
		a.Severity, a.SeveritySource = b.Severity, b.SeveritySource
	}
	if b.CVSS != nil && (a.CVSS == nil || b.CVSS.Score > a.CVSS.Score ||
		(b.CVSS.Score == a.CVSS.Score && (b.CVSS.Vector < a.CVSS.Vector || (b.CVSS.Vector == a.CVSS.Vector && b.CVSS.Source < a.CVSS.Source)))) {
		c := *b.CVSS
		a.CVSS = &c
	}
	a.Title = minNonEmpty(a.Title, b.Title)
	a.URL = minNonEmpty(a.URL, b.URL)
	a.Published = minNonEmpty(a.Published, b.Published)
	// A finding is suppressed only when every occurrence of it is.
	if a.Suppressed == "" || b.Suppressed == "" {
		a.Suppressed = ""
	} else {
		a.Suppressed = min(a.Suppressed, b.Suppressed)
	}
}

func minNonEmpty(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return min(a, b)
}

// sortedSet sorts s, removes duplicates and empty strings, and returns nil
// for an empty result.
func sortedSet(s []string) []string {
	s = slices.DeleteFunc(s, func(v string) bool { return v == "" })
	if len(s) == 0 {
		return nil
	}
	slices.Sort(s)
	return slices.Compact(s)
}
