package trivy

import (
	"fmt"
	"strings"

	"github.com/cvetrail/cvetrail/internal/report"
)

// rawVuln holds the fields of one vulnerability object that cvetrail
// keeps, as read.
type rawVuln struct {
	id, pkg, pkgPath, purlType  string
	installed, fixed            string
	status, sevSource, severity string
	title, url, published       string
	cvss                        []cvssEntry
}

// cvssEntry is one source's entry of a vulnerability's CVSS map.
type cvssEntry struct {
	source  string
	score   [3]float64 // V3, V4, V2: the order of preference
	vector  [3]string
	present [3]bool
}

// vulnBody reads a vulnerability object into p.v, after its '{' and, if
// first is not empty, the name first of its first member.
func (p *parser) vulnBody(w *where, first string) error {
	v := &p.v
	cvss := v.cvss[:0]
	*v = rawVuln{cvss: cvss}
	var name []byte
	if first != "" {
		name = []byte(first)
	}
	for firstMember := first == ""; ; {
		if name == nil {
			var err error
			if name, err = p.next(&firstMember); err != nil {
				return err
			}
			if name == nil {
				return nil
			}
		}
		var err error
		switch string(name) {
		case "VulnerabilityID":
			v.id, err = p.str(w, "VulnerabilityID")
			w.id = strings.TrimSpace(v.id)
		case "PkgName":
			v.pkg, err = p.istr(w, "PkgName")
		case "PkgPath":
			v.pkgPath, err = p.istr(w, "PkgPath")
		case "PkgIdentifier":
			err = p.pkgIdentifier(w)
		case "InstalledVersion":
			v.installed, err = p.istr(w, "InstalledVersion")
		case "FixedVersion":
			v.fixed, err = p.istr(w, "FixedVersion")
		case "Status":
			v.status, err = p.istr(w, "Status")
		case "SeveritySource":
			v.sevSource, err = p.istr(w, "SeveritySource")
		case "Severity":
			v.severity, err = p.istr(w, "Severity")
		case "Title":
			v.title, err = p.str(w, "Title")
		case "PrimaryURL":
			v.url, err = p.str(w, "PrimaryURL")
		case "PublishedDate":
			var b []byte
			b, _, err = p.bytes(w, "PublishedDate")
			if isDate(b) {
				v.published = p.intern(b[:10])
			}
		case "CVSS":
			err = p.cvssMap(w)
		default:
			err = p.skip()
		}
		if err != nil {
			return err
		}
		name = nil
	}
}

// isDate reports whether b starts with a YYYY-MM-DD date.
func isDate(b []byte) bool {
	if len(b) < 10 || b[4] != '-' || b[7] != '-' || (len(b) > 10 && b[10] != 'T' && b[10] != ' ' && b[10] != 't') {
		return false
	}
	for i, c := range b[:10] {
		if i != 4 && i != 7 && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// pkgIdentifier reads a PkgIdentifier object, keeping the type of its
// package URL.
func (p *parser) pkgIdentifier(w *where) error {
	return p.members(w, "PkgIdentifier", func(name []byte) error {
		if string(name) != "PURL" {
			return p.skip()
		}
		b, _, err := p.bytes(w, "PkgIdentifier.PURL")
		if err == nil {
			p.v.purlType = p.purlType(b)
		}
		return err
	})
}

// purlType returns the type of package URL b ("pkg:deb/debian/bash@5.0"
// is "deb"), or "" if b is not a package URL.
func (p *parser) purlType(b []byte) string {
	const scheme = "pkg:"
	if len(b) < len(scheme) || !strings.EqualFold(string(b[:len(scheme)]), scheme) {
		return ""
	}
	b = b[len(scheme):]
	for len(b) > 0 && b[0] == '/' {
		b = b[1:]
	}
	end := 0
	for end < len(b) && b[end] != '/' {
		c := b[end]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '+' || c == '-') {
			return ""
		}
		end++
	}
	if end == 0 || end == len(b) {
		return ""
	}
	t := p.intern(b[:end])
	if strings.ToLower(t) != t {
		t = strings.ToLower(t)
	}
	return t
}

// cvssMap reads a CVSS object: a map from source to scores and vectors.
func (p *parser) cvssMap(w *where) error {
	ok, err := p.open(w, "CVSS", '{')
	if err != nil || !ok {
		return err
	}
	for first := true; ; {
		name, err := p.next(&first)
		if err != nil || name == nil {
			return err
		}
		e := cvssEntry{source: p.intern(name)}
		fields := p.cvssFields(e.source)
		ok, err := p.open(w, fields[6], '{')
		if err != nil {
			return err
		}
		for firstMember := true; ok; {
			name, err := p.next(&firstMember)
			if err != nil {
				return err
			}
			if name == nil {
				break
			}
			tier, isScore, f := 0, false, 0
			switch string(name) {
			case "V3Score":
				tier, isScore, f = 0, true, 0
			case "V40Score":
				tier, isScore, f = 1, true, 1
			case "V2Score":
				tier, isScore, f = 2, true, 2
			case "V3Vector":
				tier, f = 0, 3
			case "V40Vector":
				tier, f = 1, 4
			case "V2Vector":
				tier, f = 2, 5
			default:
				if err := p.skip(); err != nil {
					return err
				}
				continue
			}
			if isScore {
				s, ok, err := p.number(w, fields[f])
				if err != nil {
					return err
				}
				if ok && (s < 0 || s > 10) {
					p.warnAt("a CVSS score outside 0–10", w, fmt.Sprintf(": %s %g is outside 0–10 and was ignored", fields[f], s))
					continue
				}
				if ok && s > 0 {
					e.score[tier], e.present[tier] = s, true
				}
				continue
			}
			vec, err := p.istr(w, fields[f])
			if err != nil {
				return err
			}
			if vec = strings.TrimSpace(vec); vec != "" {
				e.vector[tier], e.present[tier] = vec, true
			}
		}
		if e.present != [3]bool{} {
			p.v.cvss = append(p.v.cvss, e)
		}
	}
}

// cvssFields returns the names of the fields of a source's CVSS entry,
// for messages, and of the entry itself (index 6).
func (p *parser) cvssFields(source string) *[7]string {
	if f, ok := p.cvssNames[source]; ok {
		return f
	}
	if p.cvssNames == nil {
		p.cvssNames = map[string]*[7]string{}
	}
	pre := "CVSS." + source
	f := &[7]string{pre + ".V3Score", pre + ".V40Score", pre + ".V2Score", pre + ".V3Vector", pre + ".V40Vector", pre + ".V2Vector", pre}
	if len(p.cvssNames) < 1000 {
		p.cvssNames[source] = f
	}
	return f
}

// bestCVSS picks the CVSS entry to keep: a V3 score when any source has
// one, else V4, else V2; within that version the severity source's entry,
// else nvd's, else the highest score, ties going to the first source name.
func bestCVSS(entries []cvssEntry, sevSource string) (c report.CVSS, ok bool) {
	rank := func(src string) int {
		switch {
		case src == sevSource && src != "":
			return 0
		case src == "nvd":
			return 1
		}
		return 2
	}
	for tier := range 3 {
		best := -1
		for i := range entries {
			e := &entries[i]
			if !e.present[tier] {
				continue
			}
			if best < 0 {
				best = i
				continue
			}
			b := &entries[best]
			ra, rb := rank(e.source), rank(b.source)
			if ra < rb || ra == rb && (e.score[tier] > b.score[tier] || e.score[tier] == b.score[tier] && e.source < b.source) {
				best = i
			}
		}
		if best >= 0 {
			e := &entries[best]
			return report.CVSS{Score: e.score[tier], Vector: e.vector[tier], Source: e.source}, true
		}
	}
	return report.CVSS{}, false
}

// fixState maps a Trivy Status to a fix state; ok is false for a status
// that Trivy did not define when this was written.
func fixState(status, fixed string) (report.FixState, bool) {
	switch status {
	case "fixed":
		return report.Fixed, true
	case "affected", "fix_deferred", "under_investigation":
		return report.NotFixed, true
	case "will_not_fix", "end_of_life":
		return report.WontFix, true
	case "unknown", "not_affected":
		return report.FixUnknown, true
	case "":
		if fixed != "" {
			return report.Fixed, true
		}
		return report.FixUnknown, true
	}
	return report.FixUnknown, false
}

// addFinding checks p.v and appends it to the report. suppressed is the
// name of what suppressed it, or "".
func (p *parser) addFinding(w *where, off int64, suppressed string) error {
	v := &p.v
	if strings.TrimSpace(v.id) == "" {
		return errAt(off, "%s: no VulnerabilityID", w)
	}
	if strings.TrimSpace(v.pkg) == "" {
		return errAt(off, "%s: no PkgName", w)
	}
	f := report.Finding{
		ID:             v.id,
		Type:           v.purlType,
		Pkg:            v.pkg,
		SeveritySource: strings.TrimSpace(v.sevSource),
		Title:          v.title,
		URL:            v.url,
		Published:      v.published,
		Suppressed:     suppressed,
	}
	if s := strings.TrimSpace(v.installed); s != "" {
		f.Versions = p.strings1(s)
	}
	if s := strings.TrimSpace(v.pkgPath); s != "" {
		f.Paths = p.strings1(s)
	}
	if v.fixed != "" {
		f.Fixed = p.splitFixed(v.fixed)
	}
	state, ok := fixState(strings.TrimSpace(v.status), strings.TrimSpace(v.fixed))
	if !ok {
		p.warn("an unknown Status", fmt.Sprintf("%s in %s: unknown Status %q stored as fix state %s", clip(w.id), clip(v.pkg), clip(v.status), state))
	}
	f.FixState = state
	sev, ok := report.ParseSeverity(v.severity)
	if !ok {
		p.warn("an unknown severity", fmt.Sprintf("%s in %s: unknown severity %q stored as UNKNOWN", clip(w.id), clip(v.pkg), clip(v.severity)))
	}
	f.Severity = sev
	if c, ok := bestCVSS(v.cvss, f.SeveritySource); ok {
		if len(p.cvssSlab) == cap(p.cvssSlab) {
			p.cvssSlab = make([]report.CVSS, 0, 256)
		}
		p.cvssSlab = append(p.cvssSlab, c)
		f.CVSS = &p.cvssSlab[len(p.cvssSlab)-1]
	}
	m := findMeta{off: off, index: int32(w.index), supp: suppressed != ""}
	if p.collect {
		// A worker: the finding is at hand, and normalizing it here costs
		// a fraction of what it costs once the report is read.
		m.id = f.ID
		m.text = report.NormalizeText(&f)
	}
	p.rep.Findings = append(p.rep.Findings, f)
	p.meta = append(p.meta, m)
	return nil
}

// strings1 returns a one-element slice holding s, cut from a slab. Its
// capacity is one, so that appending to it copies.
func (p *parser) strings1(s string) []string {
	if len(p.strSlab) == cap(p.strSlab) {
		p.strSlab = make([]string, 0, 1024)
	}
	p.strSlab = append(p.strSlab, s)
	n := len(p.strSlab)
	return p.strSlab[n-1 : n : n]
}

// splitFixed splits Trivy's FixedVersion, "1.2.3, 2.0.1", into versions.
func (p *parser) splitFixed(s string) []string {
	if !strings.Contains(s, ",") {
		if s = strings.TrimSpace(s); s == "" {
			return nil
		}
		return p.strings1(s)
	}
	n := strings.Count(s, ",") + 1
	if cap(p.strSlab)-len(p.strSlab) < n {
		p.strSlab = make([]string, 0, max(1024, n))
	}
	start := len(p.strSlab)
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			p.strSlab = append(p.strSlab, part)
		}
	}
	end := len(p.strSlab)
	if end == start {
		return nil
	}
	return p.strSlab[start:end:end]
}
