package trivy

import (
	"strings"
)

// modifiedList reads a result's ExperimentalModifiedFindings: findings
// that Trivy suppressed because of an ignore file, an ignore policy, a VEX
// statement or a plugin. Those of type vulnerability are kept, marked with
// what suppressed them.
func (p *parser) modifiedList(rw *where) error {
	ok, err := p.open(rw, "ExperimentalModifiedFindings", '[')
	if err != nil || !ok {
		return err
	}
	w := &where{result: rw.result, target: rw.target, kind: "suppressed finding"}
	p.cur = w
	for i, first := 1, true; ; i++ {
		more, err := p.more(&first)
		if err != nil || !more {
			return err
		}
		w.index, w.id = i, ""
		if err := p.modified(w); err != nil {
			return err
		}
	}
}

// modified reads one modified finding.
func (p *parser) modified(w *where) error {
	c, err := p.peek("an array")
	if err != nil {
		return err
	}
	off := p.s.offset()
	if c != '{' {
		return p.typeErr(w, "", "an object", c)
	}
	if err := p.s.enter(); err != nil {
		return err
	}
	var (
		typ, status, statement, source string
		typSeen, found                 bool
		findingOff                     int64
		deferred                       []byte // the Finding, when it came before Type
	)
	for first := true; ; {
		name, err := p.next(&first)
		if err != nil {
			return err
		}
		if name == nil {
			break
		}
		switch string(name) {
		case "Type":
			typ, err = p.istr(w, "Type")
			typ, typSeen = strings.TrimSpace(typ), true
		case "Status":
			status, err = p.istr(w, "Status")
		case "Statement":
			statement, err = p.str(w, "Statement")
		case "Source":
			source, err = p.str(w, "Source")
		case "Finding":
			var c byte
			if c, err = p.peek("an object"); err != nil {
				return err
			}
			findingOff = p.s.offset()
			switch {
			case c == 'n':
				err = p.skip()
			case typSeen && typ != "" && typ != "vulnerability":
				err = p.skip()
			case typSeen:
				found = true
				_, err = p.vulnObject(w)
			default:
				// Which kind of finding this is comes later: keep its text.
				found = true
				deferred, _, err = p.s.capture()
			}
		default:
			err = p.skip()
		}
		if err != nil {
			return err
		}
	}
	if typ != "" && typ != "vulnerability" {
		return nil
	}
	if !found {
		return errAt(off, "%s: no Finding", w)
	}
	if deferred != nil {
		if err := p.deferredVuln(w, deferred, findingOff); err != nil {
			return err
		}
	}
	return p.addFinding(w, findingOff, suppressedBy(status, statement, source))
}

// deferredVuln reads the vulnerability object b, found at offset off, into
// p.v.
func (p *parser) deferredVuln(w *where, b []byte, off int64) error {
	outer := p.s
	defer func() { p.s = outer }()
	p.s = newBytesScanner(b, off)
	p.s.depth = outer.depth
	_, err := p.vulnObject(w)
	return err
}

// suppressedBy names what suppressed a finding, as a short stable token:
// Trivy's Source is often a file path, which differs between machines.
func suppressedBy(status, statement, source string) string {
	src := strings.ToLower(strings.TrimSpace(source))
	switch {
	case status == "ignored" && (strings.HasSuffix(src, ".rego") || statement == "Filtered by Rego"):
		return "rego"
	case status == "ignored":
		return "trivyignore"
	case strings.HasPrefix(src, "trivy-plugin-"):
		name := strings.TrimPrefix(src, "trivy-plugin-")
		if i := strings.IndexFunc(name, func(r rune) bool { return !isTokenRune(r) }); i >= 0 {
			name = name[:i]
		}
		if name = strings.Trim(name, "-"); name != "" {
			return name
		}
		return "plugin"
	case strings.Contains(src, "vex"), strings.Contains(src, "csaf"):
		return "vex"
	}
	switch status {
	case "not_affected", "affected", "fixed", "under_investigation":
		return "vex"
	}
	var b strings.Builder
	for _, r := range strings.ToLower(status) {
		if isTokenRune(r) {
			b.WriteRune(r)
		} else if r == '_' || r == ' ' {
			b.WriteByte('-')
		}
	}
	if s := strings.Trim(b.String(), "-"); s != "" && len(s) <= 32 {
		return s
	}
	return "suppressed"
}

func isTokenRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-'
}
