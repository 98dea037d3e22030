package trivy

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cvetrail/cvetrail/internal/report"
)

// keys returns the keys of r's findings.
func keys(r *report.Report) []string {
	var k []string
	for i := range r.Findings {
		k = append(k, r.Findings[i].Key().String())
	}
	return k
}

func parseBytes(t *testing.T, b []byte, opts Options) *report.Report {
	t.Helper()
	r, err := Parse(bytes.NewReader(b), opts)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return r
}

// decodeJSON decodes a fixture into generic values that tests rewrite.
func decodeJSON(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func encodeJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestLegacyAndSchema2GiveSameFindings(t *testing.T) {
	legacy := parseBytes(t, readFixture(t, "debian-buster.legacy-list.json"), Options{})
	schema2 := parseBytes(t, readFixture(t, "debian-buster.schema2-2021.json"), Options{})
	if len(legacy.Findings) == 0 {
		t.Fatal("no findings")
	}
	if diff := cmp.Diff(keys(schema2), keys(legacy)); diff != "" {
		t.Errorf("keys differ (-schema2 +legacy):\n%s", diff)
	}
	// Beyond the keys, every detail agrees: the legacy array holds the
	// same results, and the image and OS that the schema 2 header gives
	// are also in the OS result's target, "image (debian 10.1)".
	if diff := cmp.Diff(schema2.Findings, legacy.Findings); diff != "" {
		t.Errorf("findings differ (-schema2 +legacy):\n%s", diff)
	}
	if diff := cmp.Diff(schema2.Header, legacy.Header); diff != "" {
		t.Errorf("headers differ (-schema2 +legacy):\n%s", diff)
	}
	// What differs is only what the formats carry: the format name, and
	// the artifact name that only the schema 2 header has.
	if legacy.Scan.Format != FormatLegacy || schema2.Scan.Format != FormatSchema2 {
		t.Errorf("formats: legacy %q, schema2 %q", legacy.Scan.Format, schema2.Scan.Format)
	}
	if legacy.Scan.Artifact != "" || schema2.Scan.Artifact == "" {
		t.Errorf("artifacts: legacy %q, schema2 %q", legacy.Scan.Artifact, schema2.Scan.Artifact)
	}
}

// jqFiltered returns what the seed workflow's
// `jq '.Results | del(.[].Vulnerabilities[].Layer) | del(.[].Vulnerabilities[].LastModifiedDate)'`
// makes of a SchemaVersion 2 report.
func jqFiltered(t *testing.T, b []byte) []byte {
	results := decodeJSON(t, b).(map[string]any)["Results"].([]any)
	for _, r := range results {
		vulns, _ := r.(map[string]any)["Vulnerabilities"].([]any)
		for _, v := range vulns {
			delete(v.(map[string]any), "Layer")
			delete(v.(map[string]any), "LastModifiedDate")
		}
	}
	return encodeJSON(t, results)
}

// flatList returns the seed workflow's flat list, `.Results[0].Vulnerabilities`
// with only some fields, of a SchemaVersion 2 report.
func flatList(t *testing.T, b []byte) []byte {
	results := decodeJSON(t, b).(map[string]any)["Results"].([]any)
	keep := []string{"VulnerabilityID", "PkgName", "Status", "SeveritySource", "PrimaryURL", "Title", "Severity", "PublishedDate"}
	var out []any
	for _, v := range results[0].(map[string]any)["Vulnerabilities"].([]any) {
		m := map[string]any{}
		for _, k := range keep {
			if x, ok := v.(map[string]any)[k]; ok {
				m[k] = x
			}
		}
		out = append(out, m)
	}
	return encodeJSON(t, out)
}

func TestSeedWorkflowShapes(t *testing.T) {
	for _, name := range []string{"debian-buster.json", "debian-buster.schema2-2021.json", "fluentd-gems.json", "gomod.json", "rockylinux-8.json"} {
		t.Run(name, func(t *testing.T) {
			full := readFixture(t, name)
			want := parseBytes(t, full, Options{})

			jq := parseBytes(t, jqFiltered(t, full), Options{})
			if jq.Scan.Format != FormatLegacy {
				t.Errorf("jq-filtered format %q", jq.Scan.Format)
			}
			if diff := cmp.Diff(keys(want), keys(jq)); diff != "" {
				t.Errorf("jq-filtered keys differ (-full +jq):\n%s", diff)
			}
			if diff := cmp.Diff(want.Findings, jq.Findings); diff != "" {
				t.Errorf("jq-filtered findings differ (-full +jq):\n%s", diff)
			}
		})
	}

	// The flat list is of the first result only; debian-buster has one.
	for _, name := range []string{"debian-buster.json", "debian-buster.schema2-2021.json"} {
		t.Run(name+"/flat", func(t *testing.T) {
			full := readFixture(t, name)
			want := parseBytes(t, full, Options{})
			flat := flatList(t, full)
			if _, err := Parse(bytes.NewReader(flat), Options{}); err == nil || !strings.Contains(err.Error(), "--pkg-type") {
				t.Errorf("flat list without a package type: err = %v, want one asking for --pkg-type", err)
			}
			got := parseBytes(t, flat, Options{PkgType: "deb"})
			if got.Scan.Format != FormatFlat || got.Image != "" || got.OS != nil {
				t.Errorf("flat list: format %q, image %q, OS %v; want %q and no image or OS", got.Scan.Format, got.Image, got.OS, FormatFlat)
			}
			if diff := cmp.Diff(keys(want), keys(got)); diff != "" {
				t.Errorf("flat keys differ (-full +flat):\n%s", diff)
			}
			// Trivy's type name works too.
			if k := keys(parseBytes(t, flat, Options{PkgType: "debian"})); !slices.Equal(k, keys(want)) {
				t.Errorf("PkgType debian gives other keys than deb")
			}
		})
	}
}

// walkVulns calls f on every vulnerability object of a decoded report or
// result list.
func walkVulns(v any, f func(map[string]any)) {
	var results []any
	switch x := v.(type) {
	case map[string]any:
		results, _ = x["Results"].([]any)
	case []any:
		results = x
	}
	for _, r := range results {
		vulns, _ := r.(map[string]any)["Vulnerabilities"].([]any)
		for _, v := range vulns {
			f(v.(map[string]any))
		}
	}
}

func TestRescanInvariance(t *testing.T) {
	for _, name := range []string{"debian-buster.json", "fluentd-gems.json", "gomod.json", "debian-buster.legacy-list.json", "rockylinux-8.json"} {
		t.Run(name, func(t *testing.T) {
			orig := readFixture(t, name)
			want, wantRep := encode(t, orig, Options{})

			v := decodeJSON(t, orig)
			results := func() []any {
				if m, ok := v.(map[string]any); ok {
					r, _ := m["Results"].([]any)
					return r
				}
				return v.([]any)
			}()
			if m, ok := v.(map[string]any); ok {
				m["CreatedAt"] = "2030-01-01T00:00:00Z"
				m["ReportID"] = "00000000-0000-0000-0000-000000000000"
				m["ArtifactID"] = "sha256:" + strings.Repeat("0", 64)
			}
			slices.Reverse(results)
			for _, r := range results {
				r := r.(map[string]any)
				if target, ok := r["Target"].(string); ok {
					// A point release of the OS.
					r["Target"] = strings.NewReplacer("(debian 10.1)", "(debian 10.13)", "(debian 10.2)", "(debian 10.13)", "(rocky 8.5)", "(rocky 8.10)").Replace(target)
				}
				if vulns, ok := r["Vulnerabilities"].([]any); ok {
					slices.Reverse(vulns)
				}
			}
			walkVulns(v, func(m map[string]any) {
				m["Layer"] = map[string]any{"Digest": "sha256:" + strings.Repeat("a", 64), "DiffID": "sha256:" + strings.Repeat("b", 64)}
				m["Fingerprint"] = "sha256:" + strings.Repeat("c", 64)
				m["LastModifiedDate"] = "2031-01-01T00:00:00Z"
				m["Description"] = "rewritten"
				if id, ok := m["PkgIdentifier"].(map[string]any); ok {
					id["UID"] = "0123456789abcdef"
					if purl, ok := id["PURL"].(string); ok {
						purl, _, _ = strings.Cut(purl, "?")
						id["PURL"] = purl + "?arch=arm64&distro=other-1.0"
					}
				}
			})
			// Marshalling a map also sorts every object's keys.
			got, gotRep := encode(t, encodeJSON(t, v), Options{})

			// Only the header's OS may change, and only where the OS comes
			// from the target.
			if gotRep.Scan.Format == FormatLegacy {
				if wantRep.OS == nil || gotRep.OS == nil || gotRep.OS.Version == wantRep.OS.Version {
					t.Errorf("legacy report: OS %v after the point release, was %v", gotRep.OS, wantRep.OS)
				}
				_, want, _ = bytes.Cut(want, []byte("\n"))
				_, got, _ = bytes.Cut(got, []byte("\n"))
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("ledger changed on a rescan (-before +after):\n%s", diff)
			}
		})
	}
}
