package diff

import (
	"io"

	"github.com/cvetrail/cvetrail/internal/report"
)

// Source streams the findings of one report in key order. *report.Decoder
// is a Source, so a ledger file is compared without being held in memory.
type Source interface {
	Header() report.Header
	// Next stores the next finding in f, and returns io.EOF after the last
	// one. f may be overwritten entirely by each call; strings and slices
	// stored in it must not be modified afterwards.
	Next(f *report.Finding) error
}

// ReportSource returns a Source reading the findings of r, which must be
// normalized (sorted by key). A nil r gives a nil Source: an absent report.
func ReportSource(r *report.Report) Source {
	if r == nil {
		return nil
	}
	return &sliceSource{h: r.Header, f: r.Findings}
}

// SliceSource returns a Source reading findings, which must be sorted by
// key, under header h.
func SliceSource(h report.Header, findings []report.Finding) Source {
	return &sliceSource{h: h, f: findings}
}

type sliceSource struct {
	h report.Header
	f []report.Finding
	i int
}

func (s *sliceSource) Header() report.Header { return s.h }

func (s *sliceSource) Next(f *report.Finding) error {
	if s.i >= len(s.f) {
		return io.EOF
	}
	*f = s.f[s.i]
	s.i++
	return nil
}
