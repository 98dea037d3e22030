package report

import (
	"bytes"
	"testing"
)

// TestLineKey: on every line Encode writes, LineKey either declines or
// gives exactly the key the decoder reads; it reads plain lines.
func TestLineKey(t *testing.T) {
	texts := []string{"CVE-2024-1", "GHSA-aaaa-bbbb-cccc", "libssl3", "a\"b", `back\slash`, "ü", "x]y", "<&>"}
	var fs []Finding
	for _, id := range texts {
		for _, pkg := range texts {
			fs = append(fs, Finding{ID: id, Type: "deb", Pkg: pkg, FixState: FixUnknown})
			fs = append(fs, Finding{ID: id, Aliases: []string{"CVE-1999-0001", "GHSA-x]"}, Type: "npm", Pkg: pkg, FixState: Fixed, Fixed: []string{"1"}})
		}
	}
	r := &Report{Header: Header{Image: "app"}, Findings: fs}
	r.Normalize()
	var buf bytes.Buffer
	if err := Encode(&buf, r); err != nil {
		t.Fatal(err)
	}
	d, err := NewDecoder(&buf)
	if err != nil {
		t.Fatal(err)
	}
	read := 0
	for {
		line, err := d.NextRaw()
		if err != nil {
			break
		}
		k, _, ok := LineKey(line)
		var f Finding
		if err := d.DecodeRaw(bytes.Clone(line), &f); err != nil {
			t.Fatal(err)
		}
		plain := !bytes.Contains(line, []byte(`\`))
		switch {
		case ok && k.String() != f.Key().String():
			t.Errorf("LineKey %v, decoded %v, line %s", k, f.Key(), line)
		case !ok && plain && !bytes.Contains(line, []byte(`]"`)):
			t.Errorf("LineKey declined a plain line: %s", line)
		}
		if ok {
			read++
		}
	}
	if read == 0 {
		t.Fatal("LineKey read no line")
	}
	for _, bad := range []string{``, `{`, `{"id":"A"}`, `{"id":"A","type":"deb","pkg":"x"`, `{"id":"","type":"deb","pkg":"x"}`} {
		if _, _, ok := LineKey([]byte(bad)); ok {
			t.Errorf("LineKey accepted %q", bad)
		}
	}
}
