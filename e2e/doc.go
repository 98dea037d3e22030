// Package e2e holds cvetrail's end-to-end tests: they build images and
// vulnerability databases with the generators under internal/, run the real
// Trivy and Grype against them, and drive the cvetrail binary through the
// five-day story in a real git repository.
//
// It is its own Go module so that cvetrail's main module never depends on
// scanner internals. Run it with
//
//	cd e2e && go test ./...
//
// The tests that need a scanner are skipped, saying why, when its binary is
// not found (see internal/scanner for the lookup; .ci/install-scanners
// builds both).
package e2e
