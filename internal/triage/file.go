package triage

import (
	"strings"

	"github.com/cvetrail/cvetrail/internal/report"
)

// All returns the decisions, in file order.
func (f *File) All() []Decision { return f.Decisions }

// reindex indexes the decisions by upper-cased id, so that Find costs the
// number of decisions sharing an id with the finding, not all of them.
func (f *File) reindex() {
	f.byID = make(map[string][]int, len(f.Decisions))
	for i := range f.Decisions {
		id := strings.ToUpper(f.Decisions[i].ID)
		f.byID[id] = append(f.byID[id], i)
	}
	f.indexed = f.Decisions
}

// indexValid reports whether the index still describes f.Decisions: the
// slice is the one it was built from. A File written as a literal, or whose
// Decisions were replaced or appended to, is searched linearly.
func (f *File) indexValid() bool {
	if f.byID == nil || len(f.indexed) != len(f.Decisions) {
		return false
	}
	return len(f.Decisions) == 0 || &f.indexed[0] == &f.Decisions[0]
}

// covering calls fn with the index of every decision that covers the
// finding fd of image, in no particular order, possibly more than once.
func (f *File) covering(image string, fd *report.Finding, fn func(i int)) {
	if !f.indexValid() {
		for i := range f.Decisions {
			if f.Decisions[i].Covers(image, fd) {
				fn(i)
			}
		}
		return
	}
	visit := func(id string) {
		for _, i := range f.byID[strings.ToUpper(id)] {
			if f.Decisions[i].Covers(image, fd) {
				fn(i)
			}
		}
	}
	visit(fd.ID)
	for _, a := range fd.Aliases {
		visit(a)
	}
}

// specificity ranks how narrowly d is scoped: package and image scope (3)
// over package scope alone (2) over image scope alone (1) over a bare id (0).
func (d *Decision) specificity() int {
	s := 0
	if len(d.Packages) > 0 {
		s += 2
	}
	if len(d.Images) > 0 {
		s++
	}
	return s
}

// Find returns the decision that speaks for the finding fd of image, or
// nil when none covers it. When several cover it, the most specific wins —
// scoped to packages and images, then to packages, then to images, then a
// bare id — and among equally specific ones the last in the file. Find does
// not check that the decision is still active; see Decision.Active.
//
// Decisions loaded by Load are indexed by id; the index is not updated when
// a Decision's ID is changed in place afterwards.
func (f *File) Find(image string, fd *report.Finding) *Decision {
	best, bestRank := -1, -1
	f.covering(image, fd, func(i int) {
		r := f.Decisions[i].specificity()
		if r > bestRank || (r == bestRank && i > best) {
			best, bestRank = i, r
		}
	})
	if best < 0 {
		return nil
	}
	return &f.Decisions[best]
}

// Usage records which decisions cover at least one finding, for findings
// seen one at a time (a streamed ledger). The zero value is not usable;
// call File.NewUsage.
type Usage struct {
	f    *File
	used []bool
}

// NewUsage returns a Usage with no finding observed yet.
func (f *File) NewUsage() *Usage {
	return &Usage{f: f, used: make([]bool, len(f.Decisions))}
}

// Observe marks every decision that covers the finding fd of image as used.
func (u *Usage) Observe(image string, fd *report.Finding) {
	u.f.covering(image, fd, func(i int) { u.used[i] = true })
}

// Stale returns the indices, in file order, of the decisions that covered
// none of the findings observed.
func (u *Usage) Stale() []int {
	var out []int
	for i, used := range u.used {
		if !used {
			out = append(out, i)
		}
	}
	return out
}

// Stale returns the indices, in file order, of the decisions that cover no
// finding of any image; images maps an image reference to its findings.
// Whether a decision is expired or escalated does not matter here: a
// decision covering a present finding is not stale. Use NewUsage to
// observe findings as they stream past instead of holding them all.
func (f *File) Stale(images map[string][]report.Finding) []int {
	u := f.NewUsage()
	for image, fs := range images {
		for i := range fs {
			u.Observe(image, &fs[i])
		}
	}
	return u.Stale()
}
