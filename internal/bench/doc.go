// Package bench generates the large, realistic inputs that cvetrail's
// benchmarks and bench/compare.sh measure: Trivy SchemaVersion 2 reports
// of a requested size, pairs of ledgers with a given share of new,
// resolved and changed findings, directories of per-image reports, and git
// repositories holding daily ledger commits.
//
// Every generator is a pure function of its options and seed: the same
// seed gives the same bytes, on every machine and Go release (the random
// numbers come from a SplitMix64 generator defined here, not from
// math/rand, whose streams are not promised to stay the same).
package bench
