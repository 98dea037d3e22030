package grype

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/package-url/packageurl-go"

	"github.com/cvetrail/cvetrail/internal/report"
)

// Options tunes Parse. There are none yet; the type keeps Parse's signature
// stable as options are added.
type Options struct{}

// MaxTitle is the longest title, in bytes, derived from a description.
const MaxTitle = 200

// Suppressed is the Finding.Suppressed value of matches Grype itself
// suppressed (its ignoredMatches).
const Suppressed = "grype-ignore"

// Parse reads a Grype JSON report and returns it normalized. On error the
// report is nil; problems at a known place of the input are an *Error that
// carries the byte offset.
func Parse(r io.Reader, _ Options) (*report.Report, error) {
	rd, err := newReader(r)
	if err != nil {
		return nil, err
	}
	p := &parser{reader: rd}
	rep, err := p.parse()
	if err != nil {
		return nil, err
	}
	return rep, nil
}

type parser struct {
	*reader
	rep   report.Report
	m     match  // reused for every match
	title []byte // scratch for titles
}

type cvss struct {
	version, vector, source string
	score                   float64
}

type vuln struct {
	id, dataSource, namespace, severity string
	title                               string // derived from the description
	firstURL                            string
	cvss                                []cvss
	fixed                               []string
	fixState                            string
}

type artifact struct {
	name, version, typ, purl string
	paths                    []string
	group                    string // a maven group from the Java metadata
}

type match struct {
	offset  int64
	v       vuln
	related []vuln
	nrel    int
	a       artifact
}

func (m *match) reset() {
	rel := m.related
	for i := range rel {
		rel[i] = vuln{cvss: rel[i].cvss[:0], fixed: rel[i].fixed[:0]}
	}
	*m = match{
		v:       vuln{cvss: m.v.cvss[:0], fixed: m.v.fixed[:0]},
		related: rel,
		a:       artifact{paths: m.a.paths[:0]},
	}
}

func (p *parser) parse() (*report.Report, error) {
	p.rep.Scan = report.ScanInfo{Scanner: "grype", Format: "grype"}
	switch k := p.d.PeekKind(); k {
	case '{':
	case 0:
		_, err := p.d.ReadToken()
		if err == io.EOF {
			return nil, &Error{offset: 0, err: errors.New("empty input: not a Grype report")}
		}
		return nil, p.wrap(err)
	default:
		// Report invalid JSON as such before complaining about its shape.
		if _, err := p.d.ReadValue(); err != nil {
			return nil, p.wrap(err)
		}
		switch _, err := p.d.ReadToken(); {
		case err == nil:
			return nil, p.errorf(0, "invalid JSON: the input is not one JSON value")
		case err != io.EOF:
			return nil, p.wrap(err)
		}
		return nil, p.errorf(0, "not a Grype report: the document is %s, not an object", kindName(k))
	}
	sawMatches := false
	err := p.object(func(name []byte) error {
		switch string(name) {
		case "matches":
			sawMatches = true
			return p.matches("")
		case "ignoredMatches":
			return p.matches(Suppressed)
		case "source":
			return p.source()
		case "distro":
			return p.distro()
		case "descriptor":
			return p.descriptor()
		}
		return p.skip()
	})
	if err != nil {
		return nil, err
	}
	if p.d.PeekKind() != 0 {
		return nil, p.errorf(p.nextOffset(), "unexpected data after the report's JSON object")
	}
	if _, err := p.d.ReadToken(); err != io.EOF {
		return nil, p.wrap(err)
	}
	if !sawMatches {
		return nil, p.errorf(0, "not a Grype report: no \"matches\" array")
	}
	p.rep.Scan.Artifact = p.rep.Image
	p.rep.Warnings = dedupe(p.rep.Warnings)
	p.rep.Normalize()
	return &p.rep, nil
}

func (p *parser) matches(suppressed string) error {
	i := 0
	return p.array(func() error {
		p.m.reset()
		p.m.offset = p.nextOffset()
		if err := p.object(p.matchMember); err != nil {
			return err
		}
		f, err := p.finding(&p.m, i, suppressed)
		if err != nil {
			return err
		}
		i++
		p.rep.Findings = append(p.rep.Findings, f)
		return nil
	})
}

func (p *parser) matchMember(name []byte) error {
	m := &p.m
	switch string(name) {
	case "vulnerability":
		return p.vulnerability(&m.v, true)
	case "relatedVulnerabilities":
		return p.array(func() error {
			if m.nrel == len(m.related) {
				m.related = append(m.related, vuln{})
			}
			v := &m.related[m.nrel]
			m.nrel++
			return p.vulnerability(v, false)
		})
	case "artifact":
		return p.artifact(&m.a)
	}
	return p.skip()
}

// vulnerability reads a vulnerability record. Of a related record (primary
// false) only the id, the CVSS entries and, while the match has no title yet,
// the description are kept.
func (p *parser) vulnerability(v *vuln, primary bool) error {
	return p.object(func(name []byte) error {
		var err error
		switch string(name) {
		case "id":
			v.id, err = p.str()
		case "cvss":
			err = p.array(func() error { return p.cvss(v) })
		case "cvssV3": // reports before 2021
			err = p.oldCVSS(v)
		case "description":
			if !primary && p.hasTitle() {
				return p.skip()
			}
			err = p.description(v)
		default:
			if !primary {
				return p.skip()
			}
			err = p.primaryMember(v, name)
		}
		return err
	})
}

// hasTitle reports whether the current match has a title already.
func (p *parser) hasTitle() bool {
	if p.m.v.title != "" {
		return true
	}
	for _, r := range p.m.related[:p.m.nrel] {
		if r.title != "" {
			return true
		}
	}
	return false
}

// description reads a description into v's title.
func (p *parser) description(v *vuln) error {
	val, err := p.d.ReadValue()
	if err != nil {
		return p.wrap(err)
	}
	switch val.Kind() {
	case '"':
		p.title = appendTitle(p.title[:0], p.unquoteBytes(val))
		v.title = string(p.title)
	case 'n':
	default:
		return p.typeError(val, "a string")
	}
	return nil
}

func (p *parser) primaryMember(v *vuln, name []byte) error {
	var err error
	switch string(name) {
	case "dataSource":
		v.dataSource, err = p.str()
	case "namespace":
		v.namespace, err = p.str()
	case "severity":
		v.severity, err = p.str()
	case "urls", "links": // "links" in reports before 2021
		err = p.array(func() error {
			if v.firstURL != "" {
				return p.skip()
			}
			s, err := p.str()
			v.firstURL = s
			return err
		})
	case "fix":
		err = p.object(func(name []byte) error {
			var err error
			switch string(name) {
			case "versions":
				v.fixed, err = p.strings(v.fixed)
			case "state":
				v.fixState, err = p.str()
			default:
				err = p.skip()
			}
			return err
		})
	case "fixedInVersion": // reports before 2021
		var s string
		s, err = p.str()
		if s != "" {
			v.fixed = append(v.fixed, s)
			v.fixState = "fixed"
		}
	default:
		err = p.skip()
	}
	return err
}

func (p *parser) cvss(v *vuln) error {
	var c cvss
	err := p.object(func(name []byte) error {
		var err error
		switch string(name) {
		case "version":
			c.version, err = p.scalar()
		case "vector":
			c.vector, err = p.str()
		case "source":
			c.source, err = p.str()
		case "metrics":
			err = p.object(func(name []byte) error {
				if string(name) == "baseScore" {
					var err error
					c.score, err = p.number()
					return err
				}
				return p.skip()
			})
		default:
			err = p.skip()
		}
		return err
	})
	if err == nil && (c.score != 0 || c.vector != "") {
		v.cvss = append(v.cvss, c)
	}
	return err
}

func (p *parser) oldCVSS(v *vuln) error {
	c := cvss{version: "3"}
	err := p.object(func(name []byte) error {
		var err error
		switch string(name) {
		case "baseScore":
			c.score, err = p.number()
		case "vector":
			c.vector, err = p.str()
		default:
			err = p.skip()
		}
		return err
	})
	if err == nil && (c.score != 0 || c.vector != "") {
		v.cvss = append(v.cvss, c)
	}
	return err
}

func (p *parser) artifact(a *artifact) error {
	return p.object(func(name []byte) error {
		var err error
		switch string(name) {
		case "name":
			a.name, err = p.str()
		case "version":
			a.version, err = p.str()
		case "type":
			a.typ, err = p.str()
		case "purl":
			a.purl, err = p.str()
		case "locations":
			err = p.array(func() error {
				return p.object(func(name []byte) error {
					if string(name) == "path" {
						s, err := p.str()
						if s != "" {
							a.paths = append(a.paths, s)
						}
						return err
					}
					return p.skip()
				})
			})
		case "metadata":
			err = p.javaMetadata(a)
		default:
			err = p.skip()
		}
		return err
	})
}

// javaMetadata picks a maven group id out of an artifact's metadata
// (Grype's pomGroupID, or Syft's pomProperties/pomProject groupId). Other
// metadata is skipped.
func (p *parser) javaMetadata(a *artifact) error {
	if p.d.PeekKind() != '{' {
		return p.skip()
	}
	groupOf := func() error {
		if p.d.PeekKind() != '{' {
			return p.skip()
		}
		return p.object(func(name []byte) error {
			if string(name) == "groupId" {
				s, err := p.str()
				if a.group == "" {
					a.group = s
				}
				return err
			}
			return p.skip()
		})
	}
	return p.object(func(name []byte) error {
		switch string(name) {
		case "pomGroupID":
			if p.d.PeekKind() != '"' {
				return p.skip()
			}
			s, err := p.str()
			if s != "" {
				a.group = s
			}
			return err
		case "pomProperties", "pomProject":
			return groupOf()
		}
		return p.skip()
	})
}

func (p *parser) source() error {
	return p.object(func(name []byte) error {
		if string(name) != "target" {
			return p.skip()
		}
		switch p.d.PeekKind() {
		case '"':
			s, err := p.str()
			p.rep.Image = s
			return err
		case '{':
			var userInput, tag, digest, path string
			err := p.object(func(name []byte) error {
				var err error
				switch string(name) {
				case "userInput":
					userInput, err = p.str()
				case "tags":
					var tags []string
					tags, err = p.strings(nil)
					if len(tags) > 0 {
						tag = tags[0]
					}
				case "repoDigests":
					var d []string
					d, err = p.strings(nil)
					if len(d) > 0 {
						digest = d[0]
					}
				case "path":
					if p.d.PeekKind() != '"' {
						return p.skip()
					}
					path, err = p.str()
				default:
					err = p.skip()
				}
				return err
			})
			p.rep.Image = firstNonEmpty(userInput, tag, digest, path)
			return err
		}
		return p.skip()
	})
}

func (p *parser) distro() error {
	var name, version string
	err := p.object(func(n []byte) error {
		var err error
		switch string(n) {
		case "name":
			name, err = p.str()
		case "version":
			version, err = p.scalar()
		default:
			err = p.skip()
		}
		return err
	})
	if name != "" {
		p.rep.OS = &report.OS{Family: osFamily(name), Version: strings.TrimSpace(version)}
	}
	return err
}

func (p *parser) descriptor() error {
	return p.object(func(name []byte) error {
		switch string(name) {
		case "version":
			s, err := p.str()
			p.rep.Scan.ScannerVersion = s
			return err
		case "db":
			return p.db(false)
		}
		return p.skip()
	})
}

// db reads descriptor.db: {built, schemaVersion, …} before database schema
// v6, {status: {built, schemaVersion, valid, error, …}, providers} since.
func (p *parser) db(nested bool) error {
	if p.d.PeekKind() != '{' {
		return p.skip()
	}
	return p.object(func(name []byte) error {
		var err error
		switch string(name) {
		case "status":
			if nested {
				return p.skip()
			}
			return p.db(true)
		case "schemaVersion":
			p.rep.Scan.DBVersion, err = p.scalar()
		case "built":
			var s string
			s, err = p.str()
			p.rep.Scan.DBUpdated = normalizeTime(s)
		case "valid":
			if p.d.PeekKind() == 'f' {
				p.rep.Warnings = append(p.rep.Warnings, "grype reported its vulnerability database as invalid")
			}
			err = p.skip()
		case "error":
			var s string
			if p.d.PeekKind() != '"' {
				return p.skip()
			}
			s, err = p.str()
			if s != "" {
				p.rep.Warnings = append(p.rep.Warnings, "grype reported a vulnerability database error: "+clip(s))
			}
		default:
			err = p.skip()
		}
		return err
	})
}

func normalizeTime(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return t.UTC().Format(time.RFC3339)
}

// finding turns the i-th match into a finding.
func (p *parser) finding(m *match, i int, suppressed string) (report.Finding, error) {
	what := "matches"
	if suppressed != "" {
		what = "ignoredMatches"
	}
	if strings.TrimSpace(m.v.id) == "" {
		return report.Finding{}, p.errorf(m.offset, "%s[%d]: the vulnerability has no id", what, i)
	}
	if strings.TrimSpace(m.a.name) == "" {
		return report.Finding{}, p.errorf(m.offset, "%s[%d] (%s): the artifact has no name", what, i, m.v.id)
	}
	typ, pkg := p.identity(&m.a)
	if typ == "" {
		return report.Finding{}, p.errorf(m.offset, "%s[%d] (%s in %s): the artifact has no type and no package URL", what, i, m.v.id, m.a.name)
	}
	related := m.related[:m.nrel]
	f := report.Finding{
		ID:             m.v.id,
		Type:           typ,
		Pkg:            pkg,
		Fixed:          slices.Clone(m.v.fixed),
		FixState:       p.fixState(m.v.fixState, m.v.id, pkg),
		SeveritySource: severitySource(m.v.namespace),
		URL:            firstNonEmpty(m.v.dataSource, m.v.firstURL),
		Suppressed:     suppressed,
	}
	if m.a.version != "" {
		f.Versions = []string{m.a.version}
	}
	for _, r := range related {
		if r.id != "" {
			f.Aliases = append(f.Aliases, r.id)
		}
	}
	if !osTypes[typ] {
		for _, path := range m.a.paths {
			if path = strings.TrimLeft(path, "/"); path != "" {
				f.Paths = append(f.Paths, path)
			}
		}
	}
	sev, ok := report.ParseSeverity(m.v.severity)
	if !ok {
		p.rep.Warnings = append(p.rep.Warnings, fmt.Sprintf("%s in %s: unknown severity %q stored as UNKNOWN", clip(m.v.id), clip(pkg), clip(m.v.severity)))
	}
	f.Severity = sev
	f.CVSS = bestCVSS(&m.v, related)
	f.Title = m.v.title
	for j := 0; f.Title == "" && j < len(related); j++ {
		f.Title = related[j].title
	}
	return f, nil
}

// identity returns the package-URL type and canonical package name of a.
func (p *parser) identity(a *artifact) (typ, pkg string) {
	var purl *packageurl.PackageURL
	if a.purl != "" {
		u, err := packageurl.FromString(a.purl)
		if err != nil {
			p.rep.Warnings = append(p.rep.Warnings, fmt.Sprintf("package %s: package URL %q is invalid (%s); using the artifact type %q", clip(a.name), clip(a.purl), clip(err.Error()), clip(a.typ)))
		} else if u.Type != "" {
			purl = &u
		}
	}
	if purl != nil {
		typ = canonicalPURLType(purl.Type)
	} else {
		typ, _ = MapType(a.typ)
	}
	pkg = strings.TrimSpace(a.name)
	if typ != "maven" {
		return typ, pkg
	}
	group, artifactID := a.group, pkg
	if purl != nil {
		if purl.Namespace != "" {
			group = purl.Namespace
		}
		if purl.Name != "" {
			artifactID = purl.Name
		}
	}
	switch {
	case group != "":
		return typ, group + ":" + artifactID
	case strings.Contains(pkg, ":"):
		return typ, pkg
	}
	p.rep.Warnings = append(p.rep.Warnings, fmt.Sprintf("maven package %q has no group id; its name is kept as is and may not match the key another scanner gives it", clip(pkg)))
	return typ, pkg
}

func (p *parser) fixState(s, id, pkg string) report.FixState {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "fixed":
		return report.Fixed
	case "not-fixed", "not_fixed", "notfixed":
		return report.NotFixed
	case "wont-fix", "wont_fix", "wontfix":
		return report.WontFix
	case "", "unknown":
		return report.FixUnknown
	}
	p.rep.Warnings = append(p.rep.Warnings, fmt.Sprintf("%s in %s: unknown fix state %q stored as unknown", clip(id), clip(pkg), clip(s)))
	return report.FixUnknown
}

// bestCVSS returns the highest version-3-or-later base score among the
// vulnerability's and its related records' CVSS entries. Ties go to the
// newer CVSS version, then the smaller vector, then the smaller source.
func bestCVSS(v *vuln, related []vuln) *report.CVSS {
	var best *cvss
	consider := func(c *cvss) {
		if cvssMajor(c) < 3 {
			return
		}
		if best == nil || c.score > best.score ||
			(c.score == best.score && (cvssVersion(c) > cvssVersion(best) ||
				(cvssVersion(c) == cvssVersion(best) && (c.vector < best.vector ||
					(c.vector == best.vector && c.source < best.source))))) {
			best = c
		}
	}
	for i := range v.cvss {
		consider(&v.cvss[i])
	}
	for i := range related {
		for j := range related[i].cvss {
			consider(&related[i].cvss[j])
		}
	}
	if best == nil {
		return nil
	}
	return &report.CVSS{Score: best.score, Vector: best.vector, Source: best.source}
}

// cvssVersion returns the CVSS version of c ("3.1"), from its version field
// or its vector's "CVSS:3.1/" prefix.
func cvssVersion(c *cvss) string {
	if c.version != "" {
		return c.version
	}
	if rest, ok := strings.CutPrefix(c.vector, "CVSS:"); ok {
		v, _, _ := strings.Cut(rest, "/")
		return v
	}
	return ""
}

func cvssMajor(c *cvss) int {
	v := cvssVersion(c)
	n := 0
	for _, r := range v {
		if r < '0' || r > '9' {
			break
		}
		n = n*10 + int(r-'0')
		if n > 100 {
			break
		}
	}
	return n
}

// Title derives a short title from a description: the first sentence of its
// first paragraph, white space collapsed, cut to MaxTitle bytes at a word
// boundary (ending in "…") when longer.
func Title(desc string) string {
	return string(appendTitle(nil, []byte(desc)))
}

// appendTitle appends the title of desc to dst. It reads no more of desc
// than the title needs.
func appendTitle(dst, desc []byte) []byte {
	start := len(dst)
	// Collapse white space into single spaces, stop at the end of the first
	// paragraph (a blank line), and stop reading once there is enough text
	// to decide where the title ends.
	const enough = MaxTitle + 8
	space, newlines := false, 0
	for i := 0; i < len(desc) && len(dst)-start < enough; {
		c := desc[i]
		size := 1
		isSpace := false
		if c < utf8.RuneSelf {
			isSpace = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
		} else {
			var r rune
			r, size = utf8.DecodeRune(desc[i:])
			isSpace = unicode.IsSpace(r)
		}
		if isSpace {
			if c == '\n' {
				newlines++
				if newlines == 2 {
					break
				}
			}
			space = true
			i += size
			continue
		}
		if space && len(dst) > start {
			dst = append(dst, ' ')
		}
		space, newlines = false, 0
		dst = append(dst, desc[i:i+size]...)
		i += size
	}
	s := dst[start:]
	if i := sentenceEnd(s); i > 0 {
		return dst[:start+i]
	}
	if len(s) <= MaxTitle {
		return dst
	}
	const ellipsis = "…"
	cut := MaxTitle - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	if sp := bytes.LastIndexByte(s[:cut], ' '); sp > MaxTitle/2 {
		cut = sp
	}
	for cut > 0 && s[cut-1] == ' ' {
		cut--
	}
	return append(dst[:start+cut], ellipsis...)
}

// sentenceEnd returns the length of the first sentence of s: up to a ".",
// "!" or "?" followed by a space and an upper-case letter, not counting
// abbreviations such as "e.g.". It returns 0 when s is one sentence.
func sentenceEnd(s []byte) int {
	for i := 0; i+2 < len(s); i++ {
		c := s[i]
		if (c != '.' && c != '!' && c != '?') || s[i+1] != ' ' {
			continue
		}
		r, _ := utf8.DecodeRune(s[i+2:])
		if !unicode.IsUpper(r) {
			continue
		}
		if c == '.' && isAbbreviation(s[:i]) {
			continue
		}
		return i + 1
	}
	return 0
}

func isAbbreviation(before []byte) bool {
	w := before[bytes.LastIndexByte(before, ' ')+1:]
	if len(w) > 6 {
		return false
	}
	switch strings.ToLower(string(w)) {
	case "e.g", "i.e", "etc", "vs", "cf", "no", "ver", "approx", "mr", "dr", "inc":
		return true
	}
	return false
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// dedupe removes repeated warnings (one per artifact rather than one per
// match), keeping the first occurrence's place.
func dedupe(w []string) []string {
	if len(w) < 2 {
		return w
	}
	seen := make(map[string]bool, len(w))
	out := w[:0]
	for _, s := range w {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// clip shortens untrusted text for a warning, at a character boundary.
func clip(s string) string {
	const max = 120
	if len(s) <= max {
		return s
	}
	n := max - 3
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}
