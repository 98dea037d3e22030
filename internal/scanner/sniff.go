package scanner

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
)

// Format names a report format.
type Format string

// The formats Parse reads. Auto sniffs the format from the content.
const (
	Auto  Format = "auto"
	Trivy Format = "trivy"
	Grype Format = "grype"
)

// ParseFormat checks a format name given by a user ("" means Auto).
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case "", Auto:
		return Auto, nil
	case Trivy, Grype:
		return f, nil
	}
	return "", fmt.Errorf("unknown report format %q (want auto, trivy or grype)", s)
}

// SniffWindow is the most Sniff looks at: the first 64 KiB of the input.
const SniffWindow = 64 << 10

// ErrNotReport is matched (errors.Is) by the errors of Sniff and Parse that
// say the input is something other than a Trivy or Grype report.
var ErrNotReport = errors.New("not a scanner report")

// ErrUndecided is returned by Sniff when the first SniffWindow bytes are
// valid JSON but do not tell which scanner wrote the report: the deciding
// key comes after a huge first value. Parse then decides while streaming.
var ErrUndecided = errors.New("the start of the report does not tell which scanner wrote it")

// notReport is an ErrNotReport with a description of what the input is.
type notReport struct{ msg string }

func (e *notReport) Error() string        { return e.msg }
func (e *notReport) Is(target error) bool { return target == ErrNotReport }

func notReportf(format string, args ...any) error {
	return &notReport{msg: fmt.Sprintf(format, args...)}
}

// offsetError is a problem at a byte offset of the input.
type offsetError struct {
	offset int64
	err    error
}

func (e *offsetError) Error() string   { return fmt.Sprintf("byte offset %d: %v", e.offset, e.err) }
func (e *offsetError) Offset() int64   { return e.offset }
func (e *offsetError) Unwrap() error   { return e.err }
func (e *offsetError) Is(t error) bool { return errors.Is(e.err, t) }

const ingestHint = "; cvetrail reads the JSON reports of Trivy (trivy image --format json) and Grype (grype IMAGE -o json)"

const sbomHint = ": it lists packages, not vulnerabilities; scan it (trivy sbom FILE --format json, or grype sbom:FILE -o json) and ingest that report"

// Sniff peeks at the start of br, without consuming anything, and says
// which scanner wrote the report. br should be at least SniffWindow bytes
// large (bufio.NewReaderSize); Sniff never looks beyond its buffer.
//
// The error says what the input is when it is not a report (matching
// ErrNotReport), or is ErrUndecided when the start of valid JSON does not
// decide. Invalid or truncated JSON errors have an Offset() int64 method.
func Sniff(br *bufio.Reader) (Format, error) {
	n := min(br.Size(), SniffWindow)
	head, err := br.Peek(n)
	whole := false
	switch {
	case err == io.EOF:
		whole = true
	case err != nil && !errors.Is(err, bufio.ErrBufferFull):
		return "", fmt.Errorf("reading the report: %w", err)
	}
	return sniffBytes(head, whole)
}

// sniffBytes decides on head, the first bytes of the input; whole says
// whether head is all of it.
func sniffBytes(head []byte, whole bool) (Format, error) {
	if len(head) == 0 {
		return "", notReportf("empty file, not a scanner report")
	}
	if err := binaryKind(head); err != nil {
		return "", err
	}
	base := 0
	if bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}) {
		base = 3
	}
	body := head[base:]
	i := 0
	for i < len(body) && (body[i] == ' ' || body[i] == '\t' || body[i] == '\n' || body[i] == '\r') {
		i++
	}
	if i == len(body) {
		if whole {
			return "", notReportf("a file of only white space, not a scanner report")
		}
		return "", ErrUndecided
	}
	switch c := body[i]; {
	case c == '<':
		return "", notReportf("not JSON: it looks like XML or HTML (starts with %q)%s", firstLine(body[i:]), ingestHint)
	case c != '{' && c != '[' && !strings.ContainsRune(`"-0123456789tfn`, rune(c)):
		return "", notReportf("not JSON: it starts with %q%s", firstLine(body[i:]), ingestHint)
	}
	d := jsontext.NewDecoder(bytes.NewReader(body), jsontext.AllowDuplicateNames(true))
	f, err := decide(d, whole)
	var oe *offsetError
	if errors.As(err, &oe) {
		oe.offset += int64(base)
	}
	return f, err
}

// binaryKind recognizes archives and binary data.
func binaryKind(head []byte) error {
	switch {
	case len(head) >= 262 && string(head[257:262]) == "ustar":
		return notReportf("a tar archive, not a scanner report (an image saved with docker save? scan it, then ingest the JSON report)")
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return notReportf("gzip-compressed data, not a scanner report (decompress it first)")
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return notReportf("a zip archive, not a scanner report")
	case bytes.HasPrefix(head, []byte{0, 0, 0xFE, 0xFF}), bytes.HasPrefix(head, []byte{0xFF, 0xFE, 0, 0}):
		return notReportf("UTF-32 text: convert the report to UTF-8")
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}),
		len(head) >= 2 && head[0] != 0 && head[1] == 0 && head[0] < 0x80,
		len(head) >= 2 && head[0] == 0 && head[1] != 0 && head[1] < 0x80:
		return notReportf("UTF-16 text (as written by Windows PowerShell's \">\"): convert the report to UTF-8")
	}
	if i := bytes.IndexByte(head, 0); i >= 0 {
		return &offsetError{offset: int64(i), err: notReportf("binary data (a NUL byte), not a JSON scanner report")}
	}
	return nil
}

func firstLine(b []byte) string {
	if i := bytes.IndexAny(b, "\r\n"); i >= 0 {
		b = b[:i]
	}
	if len(b) > 40 {
		b = b[:40]
		for len(b) > 0 && !utf8.Valid(b) {
			b = b[:len(b)-1]
		}
	}
	return string(b)
}

// The top-level keys that decide.
var (
	trivyKeys = map[string]bool{
		"SchemaVersion": true, "ArtifactName": true, "ArtifactType": true, "ArtifactID": true,
		"Results": true, "ReportID": true, "Trivy": true,
	}
	// Keys of Trivy's results (legacy array) and of its vulnerabilities
	// (flat array).
	trivyElemKeys = map[string]bool{
		"Target": true, "Vulnerabilities": true, "Class": true, "Packages": true,
		"Misconfigurations": true, "MisconfSummary": true, "Secrets": true,
		"VulnerabilityID": true, "PkgName": true, "InstalledVersion": true, "PkgID": true,
	}
	grypeKeys = map[string]bool{"matches": true, "ignoredMatches": true}
)

// decide reads the top-level value from d until it knows the format. whole
// says whether d's input is all of the report; if it is not, running out of
// input gives ErrUndecided.
func decide(d *jsontext.Decoder, whole bool) (Format, error) {
	fail := func(err error) (Format, error) {
		var se *jsontext.SyntacticError
		switch {
		case errors.As(err, &se) && errors.Is(se.Err, io.ErrUnexpectedEOF), err == io.ErrUnexpectedEOF:
			if !whole {
				return "", ErrUndecided
			}
			off := d.InputOffset()
			if se != nil {
				off = se.ByteOffset
			}
			return "", &offsetError{offset: off, err: errors.New("unexpected end of input (truncated file?)")}
		case errors.As(err, &se):
			msg := "invalid JSON"
			if se.Err != nil {
				msg += ": " + se.Err.Error()
			}
			return "", &offsetError{offset: se.ByteOffset, err: notReportf("%s", msg)}
		}
		return "", fmt.Errorf("reading the report: %w", err)
	}
	switch k := d.PeekKind(); k {
	case '{':
		return decideObject(d, fail)
	case '[':
		return decideArray(d, fail)
	case 0:
		_, err := d.ReadToken()
		return fail(err)
	default:
		if _, err := d.ReadValue(); err != nil {
			return fail(err)
		}
		return "", notReportf("%s, not a scanner report", jsonKind(k))
	}
}

func jsonKind(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "JSON null"
	case '"':
		return "a JSON string"
	case '0':
		return "a JSON number"
	case 't', 'f':
		return "a JSON boolean"
	case '{':
		return "a JSON object"
	case '[':
		return "a JSON array"
	}
	return "JSON"
}

func decideObject(d *jsontext.Decoder, fail func(error) (Format, error)) (Format, error) {
	if _, err := d.ReadToken(); err != nil {
		return fail(err)
	}
	var (
		keys                          []string
		cyclonedx, vulns, syft, grype bool
		apiVersion, kind              string
	)
	verdict := func(complete bool) error {
		switch {
		case cyclonedx && vulns:
			return notReportf("a CycloneDX document with vulnerabilities, not a Trivy or Grype JSON report%s", ingestHint)
		case cyclonedx && complete:
			return notReportf("a CycloneDX SBOM without vulnerabilities%s", sbomHint)
		case cyclonedx:
			return notReportf("a CycloneDX document, not a Trivy or Grype JSON report%s", ingestHint)
		case kind == "VulnerabilityReport":
			return notReportf("a trivy-operator VulnerabilityReport (a Kubernetes resource), not a Trivy JSON report%s", ingestHint)
		case apiVersion != "" && kind != "":
			return notReportf("a Kubernetes resource (%s %s), not a scanner report", apiVersion, kind)
		case syft && grype:
			return notReportf("a Syft SBOM%s", sbomHint)
		}
		return nil
	}
	for {
		k := d.PeekKind()
		if k == '}' {
			if err := verdict(true); err != nil {
				return "", err
			}
			if len(keys) == 0 {
				return "", notReportf("an empty JSON object, not a scanner report")
			}
			return "", notReportf("a JSON object that is not a Trivy or Grype report (its keys: %s)", keyList(keys))
		}
		v, err := d.ReadValue()
		if err != nil {
			if verr := verdict(false); verr != nil {
				return "", verr
			}
			return fail(err)
		}
		name := string(unquote(v))
		keys = append(keys, name)
		switch {
		case trivyKeys[name]:
			return Trivy, nil
		case grypeKeys[name]:
			return Grype, nil
		}
		var val string
		readString := func() error {
			if d.PeekKind() != '"' {
				return d.SkipValue()
			}
			v, err := d.ReadValue()
			val = string(unquote(v))
			return err
		}
		switch name {
		case "bomFormat":
			err = readString()
			if strings.EqualFold(val, "CycloneDX") {
				cyclonedx = true
			}
		case "$schema", "@context":
			err = readString()
			switch s := strings.ToLower(val); {
			case strings.Contains(s, "sarif"):
				return "", notReportf("a SARIF document, not a Trivy or Grype JSON report%s", ingestHint)
			case strings.Contains(s, "cyclonedx"):
				cyclonedx = true
			case strings.Contains(s, "spdx"):
				return "", notReportf("an SPDX SBOM%s", sbomHint)
			case strings.Contains(s, "openvex"):
				return "", notReportf("an OpenVEX document, not a scanner report (cvetrail writes VEX from its decisions; it does not read it)")
			}
		case "runs":
			return "", notReportf("a SARIF document, not a Trivy or Grype JSON report%s", ingestHint)
		case "spdxVersion", "SPDXID":
			return "", notReportf("an SPDX SBOM%s", sbomHint)
		case "artifactRelationships":
			return "", notReportf("a Syft SBOM%s", sbomHint)
		case "artifacts":
			syft = true
			err = d.SkipValue()
		case "source", "descriptor":
			grype = true // shared by Grype and Syft
			err = d.SkipValue()
		case "vulnerabilities":
			vulns = true
			err = d.SkipValue()
		case "apiVersion":
			err = readString()
			apiVersion = val
		case "kind":
			err = readString()
			kind = val
		default:
			err = d.SkipValue()
		}
		if err != nil {
			if verr := verdict(false); verr != nil {
				return "", verr
			}
			return fail(err)
		}
		if kind == "VulnerabilityReport" {
			return "", verdict(false)
		}
	}
}

func decideArray(d *jsontext.Decoder, fail func(error) (Format, error)) (Format, error) {
	if _, err := d.ReadToken(); err != nil {
		return fail(err)
	}
	switch k := d.PeekKind(); k {
	case ']':
		return "", notReportf("an empty JSON array, not a scanner report (nothing in it tells which scanner wrote it)")
	case '{':
	case 0:
		_, err := d.ReadToken()
		return fail(err)
	default:
		if _, err := d.ReadValue(); err != nil {
			return fail(err)
		}
		return "", notReportf("a JSON array of values that are not objects (the first is %s), not a scanner report", strings.Replace(jsonKind(k), "JSON ", "", 1))
	}
	if _, err := d.ReadToken(); err != nil {
		return fail(err)
	}
	var keys []string
	for d.PeekKind() != '}' {
		v, err := d.ReadValue()
		if err != nil {
			return fail(err)
		}
		name := string(unquote(v))
		if trivyElemKeys[name] {
			return Trivy, nil
		}
		keys = append(keys, name)
		if err := d.SkipValue(); err != nil {
			return fail(err)
		}
	}
	if len(keys) == 0 {
		return "", notReportf("a JSON array of empty objects, not a scanner report")
	}
	return "", notReportf("a JSON array of objects that are neither Trivy results (Target, Vulnerabilities) nor Trivy vulnerabilities (VulnerabilityID, PkgName); the first has the keys %s", keyList(keys))
}

func unquote(v jsontext.Value) []byte {
	if len(v) < 2 || v[0] != '"' {
		return v
	}
	if bytes.IndexByte(v, '\\') < 0 {
		return v[1 : len(v)-1]
	}
	b, err := jsontext.AppendUnquote(nil, v)
	if err != nil {
		return v[1 : len(v)-1]
	}
	return b
}

func keyList(keys []string) string {
	const max = 8
	var b strings.Builder
	for i, k := range keys {
		if i == max {
			fmt.Fprintf(&b, ", … (%d more)", len(keys)-max)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		if len(k) > 40 {
			k = k[:40] + "…"
		}
		fmt.Fprintf(&b, "%q", k)
	}
	return b.String()
}
