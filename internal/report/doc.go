// Package report defines cvetrail's scanner-neutral data model: a Finding is
// one vulnerability in one package of one image, identified by its Key
// (id, type, pkg). It also holds the canonical form of a report (Normalize)
// and its byte-stable JSON Lines encoding, the ledger file format.
//
// The package imports nothing else of cvetrail: scanners, diff, triage and
// renderers all build on it.
package report
