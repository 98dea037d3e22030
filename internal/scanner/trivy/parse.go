package trivy

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/cvetrail/cvetrail/internal/par"
	"github.com/cvetrail/cvetrail/internal/report"
)

// Options tune Parse.
type Options struct {
	// PkgType is the package-URL type to use when the input cannot tell it
	// (the flat vulnerability list has no Target/Type). Empty: such input
	// is an error. Trivy type names ("debian", "pip", …) are mapped with
	// MapType.
	PkgType string
}

// The input formats Parse recognizes, as stored in report.ScanInfo.Format.
const (
	FormatSchema2 = "trivy-schema2" // the SchemaVersion 2 report object
	FormatLegacy  = "trivy-legacy"  // a top-level array of results
	FormatFlat    = "trivy-flat"    // a top-level array of vulnerabilities
)

// Parse reads any Trivy JSON report shape and returns a normalized report
// (r.Normalize() called). It never returns a partial report: on error the
// report is nil.
func Parse(r io.Reader, opts Options) (*report.Report, error) {
	s, err := newScanner(r)
	if err != nil {
		return nil, err
	}
	p := &parser{
		opts: opts,
		s:    s,
		strs: make(map[string]string, 1024),
		rep:  &report.Report{Scan: report.ScanInfo{Scanner: "trivy"}},
	}
	err = p.document()
	p.pipe.stop()
	if err != nil {
		return nil, p.context(err)
	}
	p.join()
	text, err := p.finish()
	if err != nil {
		return nil, err
	}
	p.rep.NormalizeRest(text)
	return p.rep, nil
}

// context prefixes a syntax error with the place in the report where it
// was found, such as the vulnerability being read.
func (p *parser) context(err error) error {
	var e *Error
	if p.cur == nil || !errors.As(err, &e) {
		return err
	}
	if se, ok := e.Err.(*syntaxError); ok { // not yet placed
		e.Err = fmt.Errorf("%s: %w", p.cur, se)
	}
	return e
}

// parser holds the state of one Parse.
type parser struct {
	opts   Options
	s      *scanner
	rep    *report.Report
	strs   map[string]string        // interned strings
	recent *[1 << recentBits]string // the last interned in each slot, see intern
	cur    *where                   // what is being read, for syntax errors

	v       rawVuln     // the vulnerability being read
	meta    []findMeta  // parallel to the findings: done, then rep.Findings
	results []resultRec // the results read, in input order
	format  string

	// From the SchemaVersion 2 header.
	schema      bool // SchemaVersion seen
	osFamily    string
	osName      string
	otherKeys   []string // first keys of an object that is not a report
	resultCount int

	// Slabs from which small slices are cut, to save allocations.
	strSlab  []string
	cvssSlab []report.CVSS

	cvssNames map[string]*[7]string // see cvssFields

	// Findings merged from the workers' batches, in input order, before
	// rep.Findings: appending every batch to one growing slice would copy
	// the findings read so far again at each growth. join makes them one
	// slice at the end.
	done  [][]report.Finding
	ndone int // the findings in done

	pipe    *pipeline // the workers, once started
	collect bool      // a worker: warnings go to warnLog
	warnLog []warning

	warnings map[string]int // warnings given, by kind, to cap repeats
	extra    map[string]int // warnings not given because of the cap
}

// findMeta is what Parse keeps about a finding until the end, for messages.
type findMeta struct {
	off   int64
	index int32
	supp  bool
	text  bool   // given to report.NormalizeText
	id    string // the id as read, for messages, when text is true
}

// resultRec is one result of the report.
type resultRec struct {
	index              int // 1-based
	off                int64
	target, class, typ string
	start, end         int // its findings, rep.Findings[start:end] once joined
}

// document reads the top-level value.
func (p *parser) document() error {
	c := p.s.peek()
	if c == 0 {
		if p.s.rerr == io.EOF {
			return errors.New("empty file: no JSON in it")
		}
		return p.s.endErr("the report")
	}
	start := p.s.offset()
	var err error
	switch c {
	case '{':
		if err = p.s.enter(); err == nil {
			err = p.reportObject()
		}
	case '[':
		if err = p.s.enter(); err == nil {
			err = p.array()
		}
	default:
		if err := p.s.skip(); err != nil {
			return err
		}
		if c == 'n' {
			return errAt(start, "not a Trivy report: the file holds JSON null")
		}
		return errAt(start, "not a Trivy report: the file holds %s, not an object or array", kindName(c))
	}
	if err != nil {
		return err
	}
	p.cur = nil
	if c := p.s.peek(); c != 0 {
		return errAt(p.s.offset(), "unexpected data after the end of the report (two JSON documents in one file?)")
	}
	if p.s.rerr != io.EOF {
		return p.s.endErr("the report")
	}
	return nil
}

// Keys that mark a JSON object as some other tool's output.
var otherFormats = map[string]string{
	"bomFormat":   "a CycloneDX document",
	"spdxVersion": "an SPDX document",
	"runs":        "a SARIF log",
	"matches":     "a Grype report",
	"@context":    "an OpenVEX document",
	"document":    "a CSAF document",
}

// reportObject reads a SchemaVersion 2 report, after its '{'.
func (p *parser) reportObject() error {
	p.format = FormatSchema2
	w := &where{}
	for first := true; ; {
		name, err := p.next(&first)
		if err != nil {
			return err
		}
		if name == nil {
			break
		}
		switch string(name) {
		case "SchemaVersion":
			p.s.peek()
			off := p.s.offset()
			v, ok, err := p.number(w, "SchemaVersion")
			if err != nil {
				return err
			}
			if !ok || v != 2 {
				s := "null"
				if ok {
					s = strconv.FormatFloat(v, 'g', -1, 64)
				}
				return errAt(off, "unsupported Trivy report SchemaVersion %s: cvetrail reads SchemaVersion 2 and the older array of results", s)
			}
			p.schema = true
		case "ArtifactName":
			s, err := p.str(w, "ArtifactName")
			if err != nil {
				return err
			}
			p.rep.Scan.Artifact = s
			p.rep.Image = strings.TrimSpace(s)
		case "Metadata":
			if err := p.metadata(w); err != nil {
				return err
			}
		case "Trivy":
			if err := p.trivyInfo(w); err != nil {
				return err
			}
		case "Results":
			ok, err := p.open(w, "Results", '[')
			if err != nil {
				return err
			}
			for first := ok; ok; {
				more, err := p.more(&first)
				if err != nil {
					return err
				}
				if !more {
					break
				}
				if err := p.result(); err != nil {
					return err
				}
			}
		default:
			if what, ok := otherFormats[string(name)]; ok && !p.schema {
				return errAt(0, "not a Trivy report: this looks like %s (it has a %q key)", what, name)
			}
			if len(p.otherKeys) < 5 {
				p.otherKeys = append(p.otherKeys, string(name))
			}
			if err := p.skip(); err != nil {
				return err
			}
		}
	}
	if !p.schema {
		if len(p.otherKeys) == 0 && p.resultCount == 0 {
			return errAt(0, "not a Trivy report: an empty JSON object")
		}
		keys := p.otherKeys
		if p.resultCount > 0 {
			keys = append([]string{"Results"}, keys...)
		}
		q := make([]string, len(keys))
		for i, k := range keys {
			q[i] = strconv.Quote(clip(k))
		}
		return errAt(0, "not a Trivy report: a JSON object without SchemaVersion (its keys include %s)", strings.Join(q, ", "))
	}
	return nil
}

// members reads the object named what (null reads as an object without
// members), calling fn with each member's name; fn must read the member's
// value, p.skip() for a member it does not want.
func (p *parser) members(w *where, what string, fn func(name []byte) error) error {
	ok, err := p.open(w, what, '{')
	if err != nil || !ok {
		return err
	}
	for first := true; ; {
		name, err := p.next(&first)
		if err != nil || name == nil {
			return err
		}
		if err := fn(name); err != nil {
			return err
		}
	}
}

// metadata reads the report's Metadata, keeping the OS.
func (p *parser) metadata(w *where) error {
	return p.members(w, "Metadata", func(name []byte) error {
		if string(name) != "OS" {
			return p.skip()
		}
		return p.members(w, "Metadata.OS", func(name []byte) error {
			var err error
			switch string(name) {
			case "Family":
				p.osFamily, err = p.istr(w, "Metadata.OS.Family")
			case "Name":
				p.osName, err = p.istr(w, "Metadata.OS.Name")
			default:
				err = p.skip()
			}
			return err
		})
	})
}

// trivyInfo reads the report's Trivy object, keeping the version.
func (p *parser) trivyInfo(w *where) error {
	return p.members(w, "Trivy", func(name []byte) error {
		if string(name) != "Version" {
			return p.skip()
		}
		var err error
		p.rep.Scan.ScannerVersion, err = p.str(w, "Trivy.Version")
		return err
	})
}

// Keys that mark an object of a top-level array as a result or as a
// vulnerability.
var (
	resultKeys = map[string]bool{
		"Target": true, "Class": true, "Type": true, "Vulnerabilities": true,
		"ExperimentalModifiedFindings": true, "Packages": true, "Misconfigurations": true,
		"MisconfSummary": true, "Secrets": true, "Licenses": true, "CustomResources": true,
	}
	vulnKeys = map[string]bool{
		"VulnerabilityID": true, "PkgName": true, "PkgID": true, "PkgPath": true,
		"PkgIdentifier": true, "InstalledVersion": true, "FixedVersion": true, "Status": true,
		"Layer": true, "SeveritySource": true, "PrimaryURL": true, "DataSource": true,
		"Fingerprint": true, "Title": true, "Description": true, "Severity": true,
		"CweIDs": true, "VendorSeverity": true, "CVSS": true, "References": true,
		"PublishedDate": true, "LastModifiedDate": true, "VendorIDs": true,
	}
)

// array reads a top-level array, after its '['. Its first member that
// says what it is decides the shape: an array of results (legacy reports
// and the jq-filtered .Results) or of vulnerabilities (the flat list).
func (p *parser) array() error {
	p.format = FormatLegacy
	shape := ""
	for i, first := 1, true; ; i++ {
		more, err := p.more(&first)
		if err != nil {
			return err
		}
		if !more {
			return nil
		}
		c, err := p.peek("an array")
		if err != nil {
			return err
		}
		off := p.s.offset()
		if c != '{' {
			if !isValueStart(c) {
				return p.s.charErr("at start of value")
			}
			return errAt(off, "not a Trivy report: element %d of the top-level array is %s, not an object (a Trivy result or vulnerability)", i, kindName(c))
		}
		if err := p.s.enter(); err != nil {
			return err
		}
		// Members before the first known one are unknown to both shapes
		// and would be skipped anyway.
		var firstName string
		for firstMember := true; firstName == ""; {
			name, err := p.next(&firstMember)
			if err != nil {
				return err
			}
			if name == nil {
				return errAt(off, "not a Trivy report: element %d of the top-level array has none of the fields of a Trivy result (Target, Vulnerabilities, …) or vulnerability (VulnerabilityID, PkgName, …)", i)
			}
			switch {
			case resultKeys[string(name)]:
				firstName = string(name)
				if shape == "" {
					shape = "result"
				}
				if shape != "result" {
					return errAt(off, "element %d of the top-level array is a Trivy result, but element 1 is a vulnerability", i)
				}
			case vulnKeys[string(name)]:
				firstName = string(name)
				if shape == "" {
					shape = "vulnerability"
					p.format = FormatFlat
					if strings.TrimSpace(p.opts.PkgType) == "" {
						return errAt(off, "this is a flat list of vulnerabilities (like .Results[0].Vulnerabilities of a Trivy report), which does not say what kind of packages they are in: give the package type (--pkg-type deb, npm, …)")
					}
				}
				if shape != "vulnerability" {
					return errAt(off, "element %d of the top-level array is a vulnerability, but element 1 is a Trivy result", i)
				}
			default:
				if err := p.skip(); err != nil {
					return err
				}
			}
		}
		if shape == "result" {
			err = p.resultBody(off, firstName)
		} else {
			err = p.flatVuln(i, off, firstName)
		}
		if err != nil {
			return err
		}
	}
}

// flatVuln reads element i of a flat list of vulnerabilities, whose first
// member name has been read.
func (p *parser) flatVuln(i int, off int64, first string) error {
	w := &where{kind: "vulnerability", index: i}
	p.cur = w
	if err := p.vulnBody(w, first); err != nil {
		return err
	}
	return p.addFinding(w, off, "")
}

// result reads one result object.
func (p *parser) result() error {
	c, err := p.peek("an array")
	if err != nil {
		return err
	}
	off := p.s.offset()
	if c != '{' {
		return p.typeErr(&where{result: p.resultCount + 1}, "", "an object", c)
	}
	if err := p.s.enter(); err != nil {
		return err
	}
	return p.resultBody(off, "")
}

// resultBody reads a result after its '{' and, if first is not empty, the
// name first of its first member.
func (p *parser) resultBody(off int64, first string) error {
	p.resultCount++
	res := resultRec{index: p.resultCount, off: off, start: p.found()}
	w := &where{result: res.index}
	p.cur = w
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
				break
			}
		}
		var err error
		switch string(name) {
		case "Target":
			res.target, err = p.str(w, "Target")
			w.target = res.target
		case "Class":
			res.class, err = p.istr(w, "Class")
		case "Type":
			res.typ, err = p.istr(w, "Type")
		case "Vulnerabilities":
			if err = p.vulnList(w); err == nil {
				p.cur = w
			}
		case "ExperimentalModifiedFindings":
			if err = p.modifiedList(w); err == nil {
				p.cur = w
			}
		default:
			err = p.skip()
		}
		if err != nil {
			return err
		}
		name = nil
	}
	res.end = p.found()
	p.results = append(p.results, res)
	return nil
}

// vulnList reads a result's Vulnerabilities.
func (p *parser) vulnList(rw *where) error {
	ok, err := p.open(rw, "Vulnerabilities", '[')
	if err != nil || !ok {
		return err
	}
	p.cur = rw
	batched := numWorkers() > 1 && !p.collect && p.s.r != nil
	w := &where{result: rw.result, target: rw.target, kind: "vulnerability"}
	for i, first := 1, true; ; i++ {
		if batched && p.s.offset() >= parallelFrom {
			// A large report: the rest goes to the workers.
			return p.vulnListBatched(rw, i, first)
		}
		more, err := p.more(&first)
		if err != nil || !more {
			return err
		}
		if err := p.oneVuln(w, i); err != nil {
			return err
		}
		p.cur = rw
	}
}

// oneVuln reads vulnerability i of a result and adds it to the report.
func (p *parser) oneVuln(w *where, i int) error {
	w.index, w.id = i, ""
	p.cur = w
	off, err := p.vulnObject(w)
	if err == nil {
		err = p.addFinding(w, off, "")
	}
	return err
}

// vulnObject reads a vulnerability object into p.v and returns its offset.
func (p *parser) vulnObject(w *where) (int64, error) {
	c, err := p.peek("an array")
	if err != nil {
		return 0, err
	}
	off := p.s.offset()
	if c != '{' {
		return off, p.typeErr(w, "", "an object", c)
	}
	if err := p.s.enter(); err != nil {
		return off, err
	}
	return off, p.vulnBody(w, "")
}

// finish resolves what can only be known at the end of the document: the
// package type of each result's findings, and the image and OS. It returns
// which findings report.NormalizeText has had.
func (p *parser) finish() ([]bool, error) {
	r := p.rep
	r.Scan.Format = p.format
	if p.osFamily != "" {
		r.OS = &report.OS{Family: strings.TrimSpace(p.osFamily), Version: strings.TrimSpace(p.osName)}
	}
	if p.format == FormatFlat {
		typ, _ := MapType(p.opts.PkgType)
		for i := range r.Findings {
			if err := p.setType(i, typ, nil); err != nil {
				return nil, err
			}
		}
		p.flushWarnings()
		return p.textDone(0, len(r.Findings), nil), nil
	}

	// The image and OS of a report without a header come from the target
	// of its OS result, "image (family version)". When there are several,
	// the smallest target wins, so that the result order does not matter.
	var osTarget string
	var osSuffix osInfo
	drop := false
	types := make([]string, len(p.results))
	for i := range p.results {
		res := &p.results[i]
		if skipClass(res.class) {
			drop = drop || res.end > res.start
			continue
		}
		typ, err := p.resultType(res)
		if err != nil {
			return nil, err
		}
		types[i] = typ
		if os, ok := parseOSSuffix(res.target); ok && (osTarget == "" || res.target < osTarget) {
			osTarget, osSuffix = res.target, os
		}
	}
	if err := p.setTypes(types); err != nil {
		return nil, err
	}
	if osTarget != "" {
		if r.OS == nil {
			r.OS = &report.OS{Family: osSuffix.family, Version: osSuffix.version}
		}
		if p.format == FormatLegacy && r.Image == "" {
			r.Image = strings.TrimSpace(osSuffix.image)
		}
	}
	text := p.textDone(0, len(r.Findings), nil)
	if drop {
		keep := r.Findings[:0]
		text = nil
		for i := range p.results {
			res := &p.results[i]
			if !skipClass(res.class) {
				keep = append(keep, r.Findings[res.start:res.end]...)
				text = p.textDone(res.start, res.end, text)
			}
		}
		clear(r.Findings[len(keep):])
		r.Findings = keep
	}
	p.flushWarnings()
	return text, nil
}

// textDone appends to text, for findings lo to hi, whether each has been
// given to report.NormalizeText.
func (p *parser) textDone(lo, hi int, text []bool) []bool {
	for _, m := range p.meta[lo:hi] {
		text = append(text, m.text)
	}
	return text
}

// skipClass reports whether a result of class c has no vulnerabilities to
// read: secrets, misconfigurations and licenses.
func skipClass(c string) bool {
	switch c {
	case "secret", "config", "license", "license-file", "custom":
		return true
	}
	return false
}

// resultType returns the package type that the result itself tells for
// all its findings, or "" when it is to be found per finding.
func (p *parser) resultType(res *resultRec) (string, error) {
	if t, known := MapType(res.typ); known {
		return t, nil
	}
	if os, ok := parseOSSuffix(res.target); ok {
		t, _ := MapType(os.family)
		return t, nil
	}
	if res.class == "os-pkgs" && p.osFamily != "" {
		if t, known := MapType(p.osFamily); known {
			return t, nil
		}
	}
	return "", nil
}

// parallelTypes is the number of findings from which setTypes uses all
// cores. Tests change it.
var parallelTypes = 8192

// setTypes gives every finding of a result whose class is read its type,
// types[i] for those of result i (see setType), on all cores for many
// findings; it returns the error of the first finding that has one.
func (p *parser) setTypes(types []string) error {
	n := 0
	if len(p.results) > 0 {
		n = p.results[len(p.results)-1].end
	}
	bounds := par.Split(n, parallelTypes)
	errs := make([]error, len(bounds))
	par.Do(bounds, func(part, lo, hi int) {
		for i := range p.results {
			res := &p.results[i]
			if skipClass(res.class) {
				continue
			}
			for j := max(lo, res.start); j < min(hi, res.end); j++ {
				if err := p.setType(j, types[i], res); err != nil {
					errs[part] = err
					return
				}
			}
		}
	})
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// setType gives finding i its package type: typ when the result told it,
// else the type of its package URL, an unknown Trivy Type, the target's
// file name or Options.PkgType, in that order.
func (p *parser) setType(i int, typ string, res *resultRec) error {
	f := &p.rep.Findings[i]
	if typ == "" {
		switch {
		case f.Type != "": // from the package URL
			typ = f.Type
		case strings.TrimSpace(res.typ) != "":
			typ, _ = MapType(res.typ)
		default:
			if t, ok := typeFromTarget(res.target); ok {
				typ = t
			} else if t := strings.TrimSpace(p.opts.PkgType); t != "" {
				typ, _ = MapType(t)
			}
		}
	}
	m := p.meta[i]
	id := f.ID
	if m.text {
		id = m.id
	}
	w := &where{kind: "vulnerability", index: int(m.index), id: id}
	if m.supp {
		w.kind = "suppressed finding"
	}
	if res != nil {
		w.result, w.target = res.index, res.target
	}
	if typ == "" {
		return errAt(res.off, "%s: cannot tell what kind of package %q is: the result has no Type, its target names no OS or known file, and the vulnerability has no package URL; give the package type (--pkg-type deb, npm, …)", w, clip(f.Pkg))
	}
	f.Type = typ
	if report.CanonicalPkg(typ, f.Pkg) == "" {
		return errAt(m.off, "%s: PkgName %q is not a valid %s package name", w, clip(f.Pkg), typ)
	}
	return nil
}

// warn records a warning of a kind; after maxWarnings of one kind, the
// rest are only counted.
func (p *parser) warn(kind, msg string) {
	if p.collect {
		p.warnLog = append(p.warnLog, warning{kind: kind, msg: msg})
		return
	}
	if p.warnings == nil {
		p.warnings, p.extra = map[string]int{}, map[string]int{}
	}
	if p.warnings[kind] >= maxWarnings {
		p.extra[kind]++
		return
	}
	p.warnings[kind]++
	p.rep.Warnings = append(p.rep.Warnings, msg)
}

// warnAt records a warning about the place w: w, then msg.
func (p *parser) warnAt(kind string, w *where, msg string) {
	if p.collect {
		at := *w
		p.warnLog = append(p.warnLog, warning{kind: kind, msg: msg, at: &at})
		return
	}
	p.warn(kind, w.String()+msg)
}

// maxWarnings is how many warnings of one kind are given one by one.
const maxWarnings = 20

func (p *parser) flushWarnings() {
	kinds := make([]string, 0, len(p.extra))
	for k := range p.extra {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	for _, k := range kinds {
		p.rep.Warnings = append(p.rep.Warnings, fmt.Sprintf("%d more findings with %s", p.extra[k], k))
	}
}
