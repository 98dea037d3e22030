package trivy

import (
	"bytes"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
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
	for i := 1; ; i++ {
		more, err := p.more()
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
	k, err := p.peek()
	if err != nil {
		return err
	}
	off := p.valueOffset()
	if k != '{' {
		return errAt(off, "%s: want an object, got %s", w, kindName(k))
	}
	if _, err := p.token(); err != nil {
		return err
	}
	var (
		typ, status, statement, source string
		typSeen, found                 bool
		findingOff                     int64
		deferred                       []byte // the Finding, when it came before Type
	)
	for {
		name, err := p.next()
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
			var k jsontext.Kind
			if k, err = p.peek(); err != nil {
				return err
			}
			findingOff = p.valueOffset()
			switch {
			case k == 'n':
				err = p.skip()
			case typSeen && typ != "" && typ != "vulnerability":
				err = p.skip()
			case typSeen:
				found = true
				_, err = p.vulnObject(w)
			default:
				// Which kind of finding this is comes later: keep its text.
				var v jsontext.Value
				if v, err = p.dec.ReadValue(); err != nil {
					return p.wrap(err)
				}
				found, deferred = true, bytes.Clone(v)
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
	dec, base := p.dec, p.base
	defer func() { p.dec, p.base = dec, base }()
	p.dec, p.base = jsontext.NewDecoder(bytes.NewReader(b)), off
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
