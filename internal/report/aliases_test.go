package report

import (
	"slices"
	"testing"
)

func TestAdoptAliases(t *testing.T) {
	prev := &Report{Findings: []Finding{
		{ID: "CVE-2024-35195", Aliases: []string{"GHSA-9wx4-h78v-vm56"}, Type: "pypi", Pkg: "requests", FixState: Fixed},
		{ID: "CVE-2022-1", Aliases: []string{"GHSA-aaaa-bbbb-cccc"}, Type: "npm", Pkg: "other", FixState: Fixed},
	}}
	// Trivy names the advisory by its GHSA id only.
	cur := &Report{Findings: []Finding{
		{ID: "GHSA-9wx4-h78v-vm56", Type: "pypi", Pkg: "requests", Versions: []string{"2.31.0"}, FixState: Fixed},
		// Same GHSA id in another package: must not adopt the npm finding's CVE.
		{ID: "GHSA-aaaa-bbbb-cccc", Type: "npm", Pkg: "unrelated", FixState: Fixed},
	}}
	cur.Normalize()
	cur.AdoptAliases(prev)
	var keys []Key
	for i := range cur.Findings {
		keys = append(keys, cur.Findings[i].Key())
	}
	want := []Key{{"CVE-2024-35195", "pypi", "requests"}, {"GHSA-aaaa-bbbb-cccc", "npm", "unrelated"}}
	if !slices.Equal(keys, want) {
		t.Fatalf("keys %v, want %v", keys, want)
	}
	if got := cur.Findings[0].Aliases; !slices.Equal(got, []string{"GHSA-9wx4-h78v-vm56"}) {
		t.Errorf("aliases %v", got)
	}
	if cur.Findings[1].Aliases != nil {
		t.Errorf("an unrelated package adopted aliases: %v", cur.Findings[1].Aliases)
	}
	// Adopting again changes nothing.
	again := *cur
	again.Findings = slices.Clone(cur.Findings)
	again.AdoptAliases(prev)
	if !slices.EqualFunc(again.Findings, cur.Findings, func(a, b Finding) bool { return a.Key() == b.Key() && slices.Equal(a.Aliases, b.Aliases) }) {
		t.Errorf("not idempotent")
	}
}
