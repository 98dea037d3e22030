package diff

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/cvetrail/cvetrail/internal/par"
	"github.com/cvetrail/cvetrail/internal/report"
	"github.com/cvetrail/cvetrail/internal/triage"
)

// A Comparer compares images one at a time, so that a caller can stream
// each image's two ledgers from disk, and collects the result of all of
// them. Stale decisions are those covering no head finding of any image
// added, so they are only meaningful once every image has been added. A
// Comparer is not safe for concurrent use.
type Comparer struct {
	dec    *decisionSet
	policy Policy
	now    time.Time
	images map[string]*ImageDiff
}

// NewComparer returns a Comparer applying decisions d (nil: none) and
// policy p at time now.
func NewComparer(d Decisions, p Policy, now time.Time) *Comparer {
	return &Comparer{dec: newDecisionSet(d), policy: p, now: now, images: map[string]*ImageDiff{}}
}

// Add compares the base and head reports of image. A nil Source is an
// absent report: an image only in the base has all its findings resolved,
// an image only in the head has all of them new (or new-acknowledged).
func (c *Comparer) Add(image string, base, head Source) (*ImageDiff, error) {
	if _, ok := c.images[image]; ok {
		return nil, fmt.Errorf("comparing image %s: compared twice", image)
	}
	d, err := c.compare(image, base, head)
	if err != nil {
		return nil, fmt.Errorf("comparing image %s: %w", image, err)
	}
	c.images[image] = &d
	return &d, nil
}

// Result returns the comparison of every image added so far, with the
// stale decisions.
func (c *Comparer) Result() Result {
	r := Result{Summary: make(map[Class]int, nRanks)}
	for _, cl := range Classes() {
		r.Summary[cl] = 0
	}
	for _, name := range slices.Sorted(maps.Keys(c.images)) {
		d := c.images[name]
		for i := range d.Changes {
			r.Summary[d.Changes[i].Class]++
			r.NeedsReview = r.NeedsReview || d.Changes[i].NeedsReview
		}
		r.Images = append(r.Images, *d)
	}
	r.Stale = c.dec.stale()
	r.Summary[StaleDecision] = len(r.Stale)
	return r
}

// CompareImage compares the base and head reports of one image (see
// Comparer.Add).
func CompareImage(image string, base, head Source, d Decisions, p Policy, now time.Time) (ImageDiff, error) {
	id, err := NewComparer(d, p, now).Add(image, base, head)
	if err != nil {
		return ImageDiff{}, err
	}
	return *id, nil
}

// Compare compares every image of base and head, keyed by image name. The
// reports must be normalized.
func Compare(base, head map[string]*report.Report, d Decisions, p Policy, now time.Time) (Result, error) {
	c := NewComparer(d, p, now)
	names := slices.Sorted(maps.Keys(base))
	for name := range head {
		if _, ok := base[name]; !ok {
			names = append(names, name)
		}
	}
	for _, name := range names {
		if _, err := c.Add(name, ReportSource(base[name]), ReportSource(head[name])); err != nil {
			return Result{}, err
		}
	}
	return c.Result(), nil
}

// stream reads one side of a comparison, checking the key order.
type stream struct {
	src  Source
	side string
	f    report.Finding
	key  report.Key
	ok   bool
	n    int
}

func (s *stream) next() error {
	s.ok = false
	if s.src == nil {
		return nil
	}
	prev := s.key
	err := s.src.Next(&s.f)
	if errors.Is(err, io.EOF) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading the %s report: %w", s.side, err)
	}
	s.n++
	s.key = s.f.Key()
	if s.n > 1 && prev.Compare(s.key) >= 0 {
		return fmt.Errorf("reading the %s report: finding %d: %s is not after %s: findings are not sorted by key", s.side, s.n, s.key, prev)
	}
	s.ok = true
	return nil
}

func (c *Comparer) compare(image string, base, head Source) (ImageDiff, error) {
	d := ImageDiff{Image: image}
	if base != nil {
		h := base.Header()
		d.Base = &h
	}
	if head != nil {
		h := head.Header()
		d.Head = &h
	}
	bs := &stream{src: base, side: "base"}
	hs := &stream{src: head, side: "head"}
	if err := bs.next(); err != nil {
		return d, err
	}
	if err := hs.next(); err != nil {
		return d, err
	}
	var (
		ar                 arena
		out                changes
		onlyBase, onlyHead []*report.Finding
		ids                idIndex // of onlyBase, once onlyHead is not empty
	)
	for bs.ok || hs.ok {
		var err error
		switch cmp := compareStreams(bs, hs); {
		case cmp < 0:
			onlyBase = append(onlyBase, ar.keep(&bs.f))
			if len(onlyHead) > 0 {
				ids.add(onlyBase[len(onlyBase)-1])
			}
			err = bs.next()
		case cmp > 0:
			if len(onlyHead) == 0 {
				// Pairing by alias will be needed: index the findings
				// only in base from now on, here where the merge-join
				// leaves time, not all at the end.
				for _, b := range onlyBase {
					ids.add(b)
				}
			}
			onlyHead = append(onlyHead, ar.keep(&hs.f))
			err = hs.next()
		default:
			dec := c.dec.find(image, &hs.f, true)
			if class, review, why := c.classify(&bs.f, &hs.f, dec); class != "" {
				out.add(class, ar.keep(&hs.f), ar.keep(&bs.f), dec, review, why)
			}
			if err = bs.next(); err == nil {
				err = hs.next()
			}
		}
		if err != nil {
			return d, err
		}
	}
	c.pairByAlias(&out, image, &ids, onlyBase, onlyHead)
	d.Changes = out.sorted(image)
	return d, nil
}

// compareStreams orders the current findings of two streams, an exhausted
// stream sorting after everything.
func compareStreams(b, h *stream) int {
	switch {
	case !h.ok:
		return -1
	case !b.ok:
		return 1
	}
	return b.key.Compare(h.key)
}

// pairByAlias pairs the findings left unmatched by key: a base and a head
// finding of the same package sharing an id or alias are the same
// vulnerability. Head findings are paired in key order, each with the base
// finding named by its first id (then aliases, in order) still unpaired.
// Everything else is new or resolved.
func (c *Comparer) pairByAlias(out *changes, image string, ids *idIndex, onlyBase, onlyHead []*report.Finding) {
	byID, next, slot := ids.byID, ids.next, ids.slot
	paired := make([]bool, len(onlyBase))
	match := func(h *report.Finding, id string) *report.Finding {
		n, ok := lookupFolded(byID, id)
		for ok && n >= 0 {
			i := slot[n]
			if b := onlyBase[i]; !paired[i] && b.Type == h.Type && b.Pkg == h.Pkg {
				paired[i] = true
				return b
			}
			n = next[n]
		}
		return nil
	}
	for _, h := range onlyHead {
		var b *report.Finding
		if byID != nil {
			b = match(h, h.ID)
			for _, a := range h.Aliases {
				if b != nil {
					break
				}
				b = match(h, a)
			}
		}
		dec := c.dec.find(image, h, true)
		if class, review, why := c.classify(b, h, dec); class != "" {
			out.add(class, h, b, dec, review, why)
		}
	}
	for i, b := range onlyBase {
		if !paired[i] {
			out.add(Resolved, nil, b, c.dec.find(image, b, false), false, "")
		}
	}
}

// idIndex maps the folded ids of findings to them: byID maps an id to the
// last entry naming it, next chains each entry to the one before naming
// the same id (in other packages), or -1, and slot[n] is the index of entry
// n's finding among those added.
type idIndex struct {
	byID       map[string]int32
	next, slot []int32
	n          int32 // findings added
}

func (x *idIndex) add(f *report.Finding) {
	if x.byID == nil {
		x.byID = map[string]int32{}
	}
	x.entry(f.ID)
	for _, a := range f.Aliases {
		x.entry(a)
	}
	x.n++
}

func (x *idIndex) entry(id string) {
	k := foldID(id)
	n := int32(len(x.next))
	if first, ok := x.byID[k]; ok {
		x.next = append(x.next, first)
	} else {
		x.next = append(x.next, -1)
	}
	x.byID[k] = n
	x.slot = append(x.slot, x.n)
}

// classify classifies head finding h against base finding b (nil when h is
// new) under covering decision dec (nil when none). It returns "" when
// nothing is worth reporting.
func (c *Comparer) classify(b, h *report.Finding, dec *triage.Decision) (class Class, review bool, why string) {
	if dec != nil {
		switch {
		case dec.Expired(c.now):
			return c.gate(Expired, h, whyExpired(dec))
		case dec.Escalated(h.Severity):
			return c.gate(Escalated, h, whyEscalated(dec, h))
		case c.crossed(b, h, dec):
			return c.gate(Escalated, h, whyCVSS(dec, b, h, c.policy.CVSSThreshold))
		}
	}
	switch {
	case b == nil && dec != nil:
		return NewAcknowledged, false, ""
	case b == nil:
		return c.gate(New, h, whyNew[min(max(h.Severity, report.Unknown), report.Critical)])
	case b.Severity != h.Severity:
		if dec == nil && c.policy.BlockSeverityRise && h.Severity > b.Severity {
			return c.gate(SeverityChanged, h, whyRise(b, h))
		}
		return SeverityChanged, false, ""
	case !hasFix(b) && hasFix(h):
		return FixAvailable, false, ""
	case !sameDetails(b, h):
		return Updated, false, ""
	}
	return "", false, ""
}

// crossed reports whether the CVSS score of a decided finding crossed the
// policy threshold between base and head, the decision having been recorded
// at a severity below the threshold's band.
func (c *Comparer) crossed(b, h *report.Finding, dec *triage.Decision) bool {
	t := c.policy.CVSSThreshold
	return t > 0 && b != nil && h.CVSS != nil && h.CVSS.Score >= t &&
		(b.CVSS == nil || b.CVSS.Score < t) && dec.Severity < cvssBand(t)
}

// gate applies the policy to a change that needs review.
func (c *Comparer) gate(class Class, f *report.Finding, why string) (Class, bool, string) {
	if excuse := c.policy.excuse(f); excuse != "" {
		if class == New {
			why = "new"
		}
		return class, false, why + ", but " + excuse
	}
	return class, true, why
}

// changes collects the changes of an image as compact records, then lays
// them out in order with a counting sort over (review, rank): linear when,
// as the merge-join delivers them, each bucket receives its changes in key
// order, and each Change is written once.
type changes struct {
	recs  []change
	count [2 * nRanks]int
}

// change is a Change before it is laid out.
type change struct {
	head, base *report.Finding
	dec        *triage.Decision
	why        string
	bucket     uint8
	class      Class
}

func (cs *changes) add(class Class, head, base *report.Finding, dec *triage.Decision, review bool, why string) {
	b := uint8(rank(class))
	if !review {
		b += nRanks
	}
	cs.count[b]++
	cs.recs = append(cs.recs, change{head: head, base: base, dec: dec, why: why, bucket: b, class: class})
}

func (cs *changes) sorted(image string) []Change {
	if len(cs.recs) == 0 {
		return nil
	}
	// Each core lays out a run of the records: its changes of a bucket go
	// after those of the runs before it.
	runs := par.Split(len(cs.recs), parallelChanges)
	var start [2*nRanks + 1]int
	for b, n := range cs.count {
		start[b+1] = start[b] + n
	}
	bounds := start
	at := make([][2 * nRanks]int, len(runs)-1) // where each run's changes of a bucket start
	for r := range at {
		for i := runs[r]; i < runs[r+1]; i++ {
			at[r][cs.recs[i].bucket]++
		}
	}
	for b := range 2 * nRanks {
		next := start[b]
		for r := range at {
			n := at[r][b]
			at[r][b] = next
			next += n
		}
	}
	out := make([]Change, len(cs.recs))
	par.Do(runs, func(run, lo, hi int) {
		pos := &at[run]
		for i := lo; i < hi; i++ {
			r := &cs.recs[i]
			c := &out[pos[r.bucket]]
			pos[r.bucket]++
			*c = Change{Class: r.class, Image: image, Finding: r.head, Base: r.base, Decision: r.dec,
				NeedsReview: r.bucket < nRanks, Why: r.why}
			if r.head != nil {
				c.Key = r.head.Key()
			} else {
				c.Key = r.base.Key()
			}
		}
	})
	cs.recs = nil
	for b := 0; b < 2*nRanks; b++ {
		if part := out[bounds[b]:bounds[b+1]]; !slices.IsSortedFunc(part, compareKeys) {
			slices.SortFunc(part, compareKeys)
		}
	}
	return out
}

// parallelChanges is the number of changes from which sorted lays them
// out on all cores. Tests change it.
var parallelChanges = 8192

func compareKeys(a, b Change) int {
	if c := a.Key.Compare(b.Key); c != 0 {
		return c
	}
	return strings.Compare(a.Image, b.Image)
}

// arena keeps copies of findings in chunks, so that keeping many of them
// costs few allocations.
type arena struct{ chunk []report.Finding }

func (a *arena) keep(f *report.Finding) *report.Finding {
	if len(a.chunk) == cap(a.chunk) {
		a.chunk = make([]report.Finding, 0, min(max(2*cap(a.chunk), 16), 4096))
	}
	a.chunk = append(a.chunk, *f)
	return &a.chunk[len(a.chunk)-1]
}
