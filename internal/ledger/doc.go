// Package ledger reads and writes the files cvetrail keeps in the user's
// repository:
//
//	cvetrail.yaml                  configuration (ConfigFile)
//	cvetrail/<slug>.jsonl          the ledger of one image (report.Encode format)
//	cvetrail/decisions.yaml        triage decisions (DecisionsFile)
//
// Slug turns an image reference into a file name that is safe on every
// common filesystem and never collides with another reference's. A Store
// loads ledgers from a working tree and writes several of them as one
// transaction as far as a filesystem allows; LoadRev loads them from a git
// revision through the small TreeReader interface. AtomicWriteFile replaces
// a single file (decisions, configuration) without ever leaving it half
// written.
package ledger

// Paths of cvetrail's files, relative to the repository root, with forward
// slashes.
const (
	Dir           = "cvetrail"
	DecisionsFile = "cvetrail/decisions.yaml"
	ConfigFile    = "cvetrail.yaml"
)

// Ext is the file name extension of a ledger.
const Ext = ".jsonl"
