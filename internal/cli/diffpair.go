package cli

import (
	"bytes"
	"io"
	"strings"

	"github.com/cvetrail/cvetrail/internal/report"
	"github.com/cvetrail/cvetrail/internal/triage"
)

// pairedLedgers reads two ledgers in one merge by key and hands the
// comparison only the findings that can make a difference. A finding whose
// line is byte-identical in both ledgers, and that no decision names, is
// unchanged and can be neither expired nor escalated nor cover a decision:
// it is checked for order and passed over undecoded. In a daily diff that
// is most of the ledger. Every other line is decoded with every check.
type pairedLedgers struct {
	src     [2]*ledgerFileSource
	line    [2][]byte
	key     [2]report.RawKey
	aliases [2][]byte
	decoded [2]bool // held[i] holds line[i] decoded
	held    [2]report.Finding
	have    [2]bool // line[i] is read and not yet consumed
	eof     [2]bool
	queue   [2][]report.Finding
	next    [2]int
	ids     map[string]bool // decision ids, upper case
	err     error
}

func newPairedLedgers(base, head *ledgerFileSource, dec *triage.File) *pairedLedgers {
	p := &pairedLedgers{src: [2]*ledgerFileSource{base, head}, ids: map[string]bool{}}
	if dec != nil {
		for _, d := range dec.Decisions {
			p.ids[strings.ToUpper(d.ID)] = true
		}
	}
	return p
}

// side returns the Source of one ledger: 0 the base, 1 the head.
func (p *pairedLedgers) side(i int) *pairSide { return &pairSide{p: p, i: i} }

type pairSide struct {
	p *pairedLedgers
	i int
}

func (s *pairSide) Header() report.Header { return s.p.src[s.i].h }

func (s *pairSide) Next(f *report.Finding) error {
	p, i := s.p, s.i
	for p.next[i] >= len(p.queue[i]) {
		if p.err != nil {
			return p.err
		}
		p.queue[i], p.next[i] = p.queue[i][:0], 0
		more, err := p.step()
		if err != nil {
			p.err = err
			return err
		}
		if !more && len(p.queue[i]) == 0 {
			return io.EOF
		}
	}
	*f = p.queue[i][p.next[i]]
	p.queue[i][p.next[i]] = report.Finding{}
	p.next[i]++
	return nil
}

// fill reads the next line of side i when the current one is consumed.
func (p *pairedLedgers) fill(i int) error {
	if p.have[i] || p.eof[i] {
		return nil
	}
	s := p.src[i]
	line, err := s.d.NextRaw()
	if err == io.EOF {
		p.eof[i] = true
		return nil
	}
	if err != nil {
		return s.fail(err)
	}
	p.line[i], p.have[i], p.decoded[i] = line, true, false
	if k, aliases, ok := report.LineKey(line); ok {
		p.key[i], p.aliases[i] = k, aliases
		return nil
	}
	// Not in the plain layout: decode it to learn its key.
	if err := s.d.DecodeRaw(line, &p.held[i]); err != nil {
		return s.fail(err)
	}
	f := &p.held[i]
	p.key[i] = report.RawKey{ID: []byte(f.ID), Type: []byte(f.Type), Pkg: []byte(f.Pkg)}
	p.decoded[i] = true
	return nil
}

// emit decodes the current line of side i, if it is not yet, and queues it.
func (p *pairedLedgers) emit(i int) error {
	if !p.decoded[i] {
		if err := p.src[i].d.DecodeRaw(p.line[i], &p.held[i]); err != nil {
			return p.src[i].fail(err)
		}
	}
	p.queue[i] = append(p.queue[i], p.held[i])
	p.held[i], p.have[i], p.decoded[i] = report.Finding{}, false, false
	return nil
}

// step advances the merge by one key. It reports false when both ledgers
// are read to the end.
func (p *pairedLedgers) step() (bool, error) {
	for i := range 2 {
		if err := p.fill(i); err != nil {
			return false, err
		}
	}
	switch {
	case !p.have[0] && !p.have[1]:
		return false, nil
	case !p.have[1]:
		return true, p.emit(0)
	case !p.have[0]:
		return true, p.emit(1)
	}
	switch c := p.key[0].Compare(p.key[1]); {
	case c < 0:
		return true, p.emit(0)
	case c > 0:
		return true, p.emit(1)
	}
	if !p.decoded[0] && !p.decoded[1] && bytes.Equal(p.line[0], p.line[1]) && !p.named(p.key[0].ID, p.aliases[0]) {
		for i := range 2 {
			if err := p.src[i].d.Skip(p.key[i]); err != nil {
				return false, p.src[i].fail(err)
			}
			p.have[i] = false
		}
		return true, nil
	}
	if err := p.emit(0); err != nil {
		return false, err
	}
	return true, p.emit(1)
}

// named reports whether a decision names id or one of the aliases (the
// raw JSON array of a ledger line).
func (p *pairedLedgers) named(id, aliases []byte) bool {
	if len(p.ids) == 0 {
		return false
	}
	if p.ids[strings.ToUpper(string(id))] {
		return true
	}
	for len(aliases) > 0 {
		a, rest, _ := bytes.Cut(aliases, []byte(","))
		if p.ids[strings.ToUpper(strings.Trim(string(a), `"`))] {
			return true
		}
		aliases = rest
	}
	return false
}
