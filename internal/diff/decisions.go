package diff

import (
	"github.com/cvetrail/cvetrail/internal/report"
	"github.com/cvetrail/cvetrail/internal/triage"
)

// Decisions is what a comparison needs of the triage decisions; a loaded
// *triage.File is one. A nil Decisions, or a nil *triage.File, is no
// decisions at all.
type Decisions interface {
	// Find returns the most specific decision covering finding f of
	// image, or nil.
	Find(image string, f *report.Finding) *triage.Decision
	// All returns every decision, in file order.
	All() []triage.Decision
}

// decisionSet indexes decisions by id so that findings no decision names
// cost one map lookup per id, and records which decisions cover a head
// finding, to report the stale ones.
type decisionSet struct {
	d      Decisions
	all    []triage.Decision
	byID   map[string][]int // folded id → indexes into all
	used   []bool
	unused int
}

func newDecisionSet(d Decisions) *decisionSet {
	s := &decisionSet{d: d}
	if f, ok := d.(*triage.File); d == nil || ok && f == nil {
		return s
	}
	s.all = d.All()
	s.byID = make(map[string][]int, len(s.all))
	for i := range s.all {
		k := foldID(s.all[i].ID)
		s.byID[k] = append(s.byID[k], i)
	}
	s.used = make([]bool, len(s.all))
	s.unused = len(s.all)
	return s
}

// find returns the decision covering f of image. For a head finding it also
// marks every decision covering it as used.
func (s *decisionSet) find(image string, f *report.Finding, head bool) *triage.Decision {
	if len(s.all) == 0 {
		return nil
	}
	named := s.mark(image, f, f.ID, head)
	for _, a := range f.Aliases {
		if s.mark(image, f, a, head) {
			named = true
		}
	}
	if !named {
		return nil
	}
	return s.d.Find(image, f)
}

// mark reports whether a decision names id, marking those covering f as
// used when head is set.
func (s *decisionSet) mark(image string, f *report.Finding, id string, head bool) bool {
	idx, _ := lookupFolded(s.byID, id)
	if head && s.unused > 0 {
		for _, i := range idx {
			if !s.used[i] && s.all[i].Covers(image, f) {
				s.used[i] = true
				s.unused--
			}
		}
	}
	return len(idx) > 0
}

// stale returns the decisions no head finding used.
func (s *decisionSet) stale() []triage.Decision {
	var out []triage.Decision
	for i := range s.all {
		if !s.used[i] {
			out = append(out, s.all[i])
		}
	}
	return out
}
