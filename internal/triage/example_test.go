package triage_test

import (
	"fmt"
	"time"

	"github.com/cvetrail/cvetrail/internal/report"
	"github.com/cvetrail/cvetrail/internal/triage"
)

func ExampleUpsert() {
	file := []byte(`# Reviewed by the platform team.
schemaVersion: 1
decisions:
  - id: CVE-2023-0464
    packages: [libssl3]   # only this package
    status: fixing
    reason: upgrade planned
    severity: HIGH
`)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	expires, err := triage.ParseExpiry("6m", now)
	if err != nil {
		panic(err)
	}
	out, updated, err := triage.Upsert("cvetrail/decisions.yaml", file, triage.Decision{
		ID: "CVE-2023-0464", Packages: []string{"libssl3"},
		Status: triage.NotAffected, Justification: "vulnerable_code_not_in_execute_path",
		Reason: "we never call the affected API", Severity: report.High, Expires: expires,
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("updated:", updated)
	fmt.Print(string(out))
	// Output:
	// updated: true
	// # Reviewed by the platform team.
	// schemaVersion: 1
	// decisions:
	//   - id: CVE-2023-0464
	//     packages: [libssl3]   # only this package
	//     status: not_affected
	//     justification: vulnerable_code_not_in_execute_path
	//     reason: we never call the affected API
	//     severity: HIGH
	//     expires: 2026-09-01
}

func ExampleLoad() {
	_, err := triage.Load("cvetrail/decisions.yaml", []byte(`schemaVersion: 1
decisions:
  - id: CVE-2023-0464
    status: not_affected
    reason: we never call the affected API
    severity: HIGH
    expiry: 2027-03-01
`))
	fmt.Println(err)
	// Output:
	// cvetrail/decisions.yaml:4: status not_affected needs a justification (one of component_not_present, vulnerable_code_not_present, vulnerable_code_not_in_execute_path, vulnerable_code_cannot_be_controlled_by_adversary, inline_mitigations_already_exist)
	// cvetrail/decisions.yaml:7: unknown key "expiry" (did you mean "expires"?)
}

func ExampleFile_Find() {
	f, err := triage.Load("cvetrail/decisions.yaml", []byte(`- id: CVE-2021-23337
  status: accepted
  reason: build-time only
  severity: HIGH
- id: GHSA-35jh-r3h4-6jhm
  packages: [lodash]
  images: ["registry.example/web:*"]
  status: fixing
  reason: upgrading lodash in the web image
  severity: HIGH
`))
	if err != nil {
		panic(err)
	}
	finding := report.Finding{ID: "CVE-2021-23337", Aliases: []string{"GHSA-35jh-r3h4-6jhm"}, Type: "npm", Pkg: "lodash", Severity: report.High}
	for _, image := range []string{"registry.example/web:2.1", "registry.example/api:1.0"} {
		d := f.Find(image, &finding)
		fmt.Printf("%s: %s (%s)\n", image, d.Status, d.Reason)
	}
	// Output:
	// registry.example/web:2.1: fixing (upgrading lodash in the web image)
	// registry.example/api:1.0: accepted (build-time only)
}
