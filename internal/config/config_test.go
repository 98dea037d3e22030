package config

import (
	"strings"
	"testing"
	"time"
)

func TestTemplateParses(t *testing.T) {
	c, err := Parse("cvetrail.yaml", []byte(Template))
	if err != nil {
		t.Fatalf("the init template does not parse: %v", err)
	}
	if len(c.Images) != 1 || c.Scanner.Name != "trivy" || c.Branch != DefaultBranch || c.Labels.Review != "new CVE" {
		t.Errorf("unexpected template config: %+v", c)
	}
	if c.Guard.MaxDrop.Value != 0.5 || *c.Guard.MinFindings != 10 || time.Duration(c.Scanner.Timeout) != 10*time.Minute {
		t.Errorf("guards/timeout: %+v %v", c.Guard, c.Scanner.Timeout)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "cvetrail.yaml: empty configuration"},
		{"unknown key", "schemaVersion: 1\nimages: []\nscaner: {}\n", `cvetrail.yaml:3: unknown key "scaner"`},
		{"nested unknown key", "schemaVersion: 1\nimages:\n  - ref: a\n    tag: b\n", `cvetrail.yaml:4: unknown key "tag"`},
		{"schema", "schemaVersion: 7\n", "schemaVersion 7 is not supported"},
		{"no ref", "schemaVersion: 1\nimages:\n  - name: x\n", "images[0]: ref is required"},
		{"dup", "schemaVersion: 1\nimages:\n  - ref: a\n  - ref: a\n", `images[1]: "a" is already images[0]`},
		{"scanner", "schemaVersion: 1\nscanner: {name: clair}\n", `unknown scanner "clair"`},
		{"timeout", "schemaVersion: 1\nscanner: {timeout: soon}\n", `line 2: "soon" is not a duration`},
		{"drop", "schemaVersion: 1\nguard: {maxDrop: 150%}\n", `"150%" is not a share`},
		{"severity", "schemaVersion: 1\npolicy: {minSeverity: SEVERE}\n", `unknown severity "SEVERE"`},
		{"forge", "schemaVersion: 1\nforge: bitbucket\n", `unknown forge "bitbucket"`},
		{"branch", "schemaVersion: 1\nbranch: 'a..b'\n", `"a..b" is not a valid branch name`},
		{"not yaml", "schemaVersion: [1\n", "cvetrail.yaml:"},
		{"wrong type", "schemaVersion: 1\nimages: {ref: a}\n", "cannot unmarshal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("cvetrail.yaml", []byte(tt.in))
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestPercent(t *testing.T) {
	for in, want := range map[string]float64{"50%": 0.5, "0.25": 0.25, "100%": 1, "0": 0} {
		c, err := Parse("c", []byte("schemaVersion: 1\nguard: {maxDrop: "+in+"}\n"))
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if c.Guard.MaxDrop.Value != want {
			t.Errorf("%s: got %v want %v", in, c.Guard.MaxDrop.Value, want)
		}
	}
}
