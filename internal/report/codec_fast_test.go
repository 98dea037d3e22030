package report

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
)

// encodeGeneric is the reference for appendFinding: a finding line as
// encoding/json writes it, which is how ledgers were first written.
func encodeGeneric(f *Finding) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	err := enc.Encode(f)
	return b.Bytes(), err
}

// fastLines are finding lines of every shape the fast path must accept,
// and some it must leave to the strict decoder.
var fastLines = []string{
	`{"id":"CVE-2024-0001","type":"deb","pkg":"bash","versions":["5.2-1"],"fixed":["5.2-2"],"fixState":"fixed","severity":"HIGH","severitySource":"nvd","cvss":{"score":9.8,"vector":"CVSS:3.1/AV:N","source":"nvd"},"title":"bash: a bug","url":"https://example.com/CVE-2024-0001","published":"2024-02-03"}`,
	`{"id":"CVE-2024-0001","aliases":["GHSA-aaaa-bbbb-cccc","OSV-1"],"type":"pypi","pkg":"flask-login","paths":["a","b"],"fixState":"unknown","severity":"UNKNOWN","suppressed":"vex"}`,
	`{"id":"X","type":"t","pkg":"p","fixState":"wont-fix","severity":"CRITICAL","cvss":{"score":0}}`,
	`{"id":"X","type":"t","pkg":"p","fixState":"not-fixed","severity":"LOW","cvss":{"score":-0.5e-7,"source":"ghsa"}}`,
	`{"id":"X","type":"t","pkg":"p","fixState":"fixed","severity":"MEDIUM","title":"a \"quoted\" \\ back\/slash\n\t\r\b\f \u00e9 \u2028 \ud83d\ude00 <&>"}`,
	`{"id":"X","type":"t","pkg":"p","fixState":"fixed","severity":"MEDIUM","title":"é ü 日本語 😀"}`,
	// For the strict decoder.
	`{"id":"X","type":"t","pkg":"p","fixState":"fixed","severity":"MEDIUM","title":"lone \ud800 surrogate"}`,
	`{"id":"X","type":"t","pkg":"p","fixState":"fixed","severity":"MEDIUM","title":"bad utf-8 ` + "\xff" + `"}`,
	`{"id":"X","type":"t","pkg":"p","fixState":"fixed","severity":"MEDIUM","title":"tab	raw"}`,
	`{"id":"X","type":"t","pkg":"p","fixState":"odd","severity":"MEDIUM"}`,
	`{"id":"X","type":"t","pkg":"p","fixState":"fixed","severity":"high"}`,
	`{"id":"X","aliases":[],"type":"t","pkg":"p","fixState":"fixed","severity":"LOW"}`,
	`{"id":"X","aliases":null,"type":"t","pkg":"p","fixState":"fixed","severity":"LOW"}`,
	`{"id":"X","type":"t","pkg":"p","fixState":"fixed","severity":"LOW","cvss":null}`,
	`{"id":"X","type":"t","pkg":"p","fixState":"fixed","severity":"LOW","cvss":{"score":1e400}}`,
	`{"id":"X","type":"t","pkg":"p","fixState":"fixed","severity":"LOW","cvss":{"score":01}}`,
	`{"id":"X","type":"t","pkg":"p","fixState":"fixed","severity":"LOW","cvss":{"vector":"v","score":1}}`,
	`{"ID":"X","type":"t","pkg":"p","fixState":"fixed","severity":"LOW"}`,
	`{"id":"X","id":"Y","type":"t","pkg":"p","fixState":"fixed","severity":"LOW"}`,
	`{"id":"X","type":"t","pkg":"p","fixState":"fixed","severity":"LOW"}}`,
	`{"id":"X","type":"t","pkg":"p","fixState":"fixed","severity":"LOW"} `,
	` {"id":"X","type":"t","pkg":"p","fixState":"fixed","severity":"LOW"}`,
	`{"id":"X", "type":"t","pkg":"p","fixState":"fixed","severity":"LOW"}`,
	`{"id":"X","type":"t","pkg":"p","fixState":"fixed","severity":"LOW","extra":1}`,
	`{"type":"t","pkg":"p","fixState":"fixed","severity":"LOW"}`,
}

// TestFastDecodeLines checks the fast path on lines it must accept, and
// that whatever it accepts the strict decoder reads the same way.
func TestFastDecodeLines(t *testing.T) {
	accepted := 0
	for _, line := range fastLines {
		if checkFastLine(t, []byte(line)) {
			accepted++
		}
	}
	if accepted != 6 {
		t.Errorf("the fast path accepted %d lines, want the first 6", accepted)
	}
}

// checkFastLine checks the fuzz property on one line and reports whether
// the fast path accepted it.
func checkFastLine(t *testing.T, line []byte) bool {
	t.Helper()
	var p fastDecoder
	var fast Finding
	if !p.decode(line, &fast) {
		return false
	}
	var strict Finding
	if err := strictUnmarshal(line, &strict); err != nil {
		t.Fatalf("the fast path accepted a line the strict decoder refuses (%v):\n%s", err, line)
	}
	if !reflect.DeepEqual(fast, strict) {
		t.Fatalf("the fast and strict decoders read a line differently:\n%s\nfast:   %#v\nstrict: %#v", line, fast, strict)
	}
	return true
}

// FuzzFastDecode: any line the fast path accepts decodes identically
// through the strict generic decoder.
func FuzzFastDecode(f *testing.F) {
	for _, l := range fastLines {
		f.Add([]byte(l))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		checkFastLine(t, line)
	})
}

// FuzzEncodeFinding: appendFinding writes exactly what encoding/json
// writes for any finding, the fast path reads back every line it writes
// (when the fix state is valid), and reads it as the strict decoder does.
func FuzzEncodeFinding(f *testing.F) {
	f.Add("CVE-2024-0001", "GHSA-x", "deb", "bash", "5.2-1", "usr/lib/x", "5.2-2", "fixed", 3, "nvd", 9.8, "CVSS:3.1/AV:N", "nvd", "bash: a <bug> & \"more\"", "https://e/x?a=1&b=2", "2024-02-03", "", uint8(0xff))
	f.Add("X", "", "t", "p", "", "", "", "odd", 9, "", math.Inf(1), "", "", "\x00\x1f\u2028\u2029\xff\xfe", "", "", "vex", uint8(0x10))
	f.Add("é", "😀", "pypi", "a_b", "\\", "\"", "/", "unknown", -1, "s", 1e-7, "v", "s", "\t\n\r\b\f", "u", "p", "s", uint8(0x0f))
	f.Add("X", "", "t", "p", "", "", "", "not-fixed", 2, "", 1e21, "", "", "", "", "", "", uint8(0x10))
	f.Fuzz(func(t *testing.T, id, alias, typ, pkg, version, path, fixed, fixState string, sev int, sevSrc string, score float64, vector, source, title, url, published, suppressed string, flags uint8) {
		fd := Finding{
			ID: id, Type: typ, Pkg: pkg, FixState: FixState(fixState), Severity: Severity(sev),
			SeveritySource: sevSrc, Title: title, URL: url, Published: published, Suppressed: suppressed,
		}
		lists := []*[]string{&fd.Aliases, &fd.Versions, &fd.Paths, &fd.Fixed}
		for i, v := range []string{alias, version, path, fixed} {
			switch {
			case flags&(1<<i) == 0:
			case flags&(1<<(i+5)) != 0:
				*lists[i] = []string{v, v + "2"}
			default:
				*lists[i] = []string{v}
			}
		}
		if flags&0x10 != 0 {
			fd.CVSS = &CVSS{Score: score, Vector: vector, Source: source}
		}
		want, wantErr := encodeGeneric(&fd)
		got, gotErr := appendFinding(nil, &fd)
		if (wantErr != nil) != (gotErr != nil) {
			t.Fatalf("encoding/json error %v, appendFinding error %v", wantErr, gotErr)
		}
		if wantErr != nil {
			return
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("appendFinding wrote\n%s\nencoding/json writes\n%s", got, want)
		}
		line := got[:len(got)-1]
		var p fastDecoder
		var back Finding
		if !p.decode(line, &back) {
			if fd.FixState.Valid() {
				t.Fatalf("the fast path refused a line Encode wrote:\n%s", line)
			}
			return
		}
		checkFastLine(t, line)
	})
}

// TestEncodeLargeLine checks that a line longer than the read buffer
// decodes, through the fast path and through Decode.
func TestEncodeLargeLine(t *testing.T) {
	r := &Report{Header: Header{Image: "app"}, Findings: []Finding{{
		ID: "CVE-1", Type: "npm", Pkg: "a", FixState: Fixed, Severity: High,
		Paths: []string{strings.Repeat("p/", 50_000), strings.Repeat("q/", 40_000)},
	}}}
	var b bytes.Buffer
	if err := Encode(&b, r); err != nil {
		t.Fatal(err)
	}
	back, err := Decode(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Findings, r.Findings) {
		t.Fatal("a long line did not decode to what was encoded")
	}
}

func TestCommonIndex(t *testing.T) {
	for i, c := range common {
		if got := commonIndex([]byte(c)); got != uint8(i+1) {
			t.Errorf("commonIndex(%q) = %d, want %d", c, got, i+1)
		}
	}
	for _, s := range []string{"", "de", "debs", "Deb", "nvd2", "other"} {
		if got := commonIndex([]byte(s)); got != 0 {
			t.Errorf("commonIndex(%q) = %d, want 0", s, got)
		}
	}
}
