package config

import (
	"testing"

	"gopkg.in/yaml.v3"
)

// FuzzParse: no input panics; an error means no configuration; a parsed
// configuration is valid, has its defaults, and survives a YAML round trip.
func FuzzParse(f *testing.F) {
	f.Add([]byte(Template))
	f.Add([]byte("schemaVersion: 1\nimages: [{ref: a}, {ref: b, name: c}]\nguard: {maxDrop: 10%, minFindings: 0}\n"))
	f.Add([]byte("schemaVersion: 1\nscanner: {name: grype, timeout: 90s, env: {A: b}}\npolicy: {minSeverity: high, cvssThreshold: 9}\n"))
	f.Add([]byte("[1, 2]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("cvetrail.yaml", data)
		if err != nil {
			if c != nil {
				t.Fatal("a configuration came with an error")
			}
			return
		}
		if c.Branch == "" || c.Forge == "" || c.Scanner.Name == "" || c.Guard.MinFindings == nil || !c.Guard.MaxDrop.Set {
			t.Fatalf("defaults not applied: %+v", c)
		}
		if err := c.validate(); err != nil {
			t.Fatalf("parsed configuration does not validate: %v", err)
		}
		out, err := yaml.Marshal(c)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		c2, err := Parse("round-trip", out)
		if err != nil {
			t.Fatalf("round trip of\n%s\nfails: %v", out, err)
		}
		out2, _ := yaml.Marshal(c2)
		if string(out) != string(out2) {
			t.Fatalf("round trip not stable:\n%s\n---\n%s", out, out2)
		}
	})
}
