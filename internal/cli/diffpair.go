package cli

import (
	"bytes"
	"context"
	"fmt"
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
//
// It is a pipeline of three goroutines: one reads and pairs the lines of
// both ledgers, one decodes the lines the pairing keeps, and the caller's
// compares the findings, taking them in the order the pairing put them.
type pairedLedgers struct {
	src [2]*ledgerFileSource
	ids map[string]bool // decision ids, upper case

	// The pairing goroutine's state.
	line    [2][]byte
	key     [2]report.RawKey
	aliases [2][]byte
	decoded [2]bool // held[i] holds line[i] decoded
	held    [2]report.Finding
	have    [2]bool // line[i] is read and not yet consumed
	eof     [2]bool
	batch   *pairBatch

	paired  chan *pairBatch // pairing → decoding
	ready   chan *pairBatch // decoding → comparison
	free    chan *pairBatch
	stopped chan struct{}

	// The comparison's state.
	queue [2][]report.Finding
	next  [2]int
	done  bool
	err   error
}

// pairBatch carries findings of both ledgers in merge order: undecoded
// lines in arena until the decoding stage fills f.
type pairBatch struct {
	items []pairItem
	arena []byte
	err   error // after the items: what ended reading (io.EOF at the end)
}

type pairItem struct {
	side    int
	line    []byte // within the batch's arena; nil once decoded
	n       int    // line number, for messages
	f       report.Finding
	decoded bool
}

const (
	pairBatchItems = 2048
	pairBatchBytes = 1 << 20
)

func newPairedLedgers(ctx context.Context, base, head *ledgerFileSource, dec *triage.File) *pairedLedgers {
	p := &pairedLedgers{
		src: [2]*ledgerFileSource{base, head}, ids: map[string]bool{},
		paired: make(chan *pairBatch, 4), ready: make(chan *pairBatch, 4), free: make(chan *pairBatch, 10),
		stopped: make(chan struct{}),
	}
	if dec != nil {
		for _, d := range dec.Decisions {
			p.ids[strings.ToUpper(d.ID)] = true
		}
	}
	go p.pair(ctx)
	go p.decode(ctx)
	return p
}

// wait stops the pipeline's goroutines (ctx must be cancelled, or the
// ledgers read to the end) and waits for them.
func (p *pairedLedgers) wait() {
	for range p.ready {
	}
	<-p.stopped
}

func (p *pairedLedgers) newBatch() *pairBatch {
	select {
	case b := <-p.free:
		b.items, b.arena, b.err = b.items[:0], b.arena[:0], nil
		return b
	default:
		return &pairBatch{items: make([]pairItem, 0, pairBatchItems), arena: make([]byte, 0, pairBatchBytes)}
	}
}

// send passes the current batch on, and reports false when the comparison
// stopped.
func (p *pairedLedgers) send(ctx context.Context) bool {
	select {
	case p.paired <- p.batch:
		p.batch = nil
		return true
	case <-ctx.Done():
		return false
	}
}

// pair is the first stage: read, key and pair the lines of both ledgers.
func (p *pairedLedgers) pair(ctx context.Context) {
	defer close(p.paired)
	p.batch = p.newBatch()
	for {
		more, err := p.step()
		if err == nil && !more {
			err = io.EOF
		}
		if err != nil {
			p.batch.err = err
			p.send(ctx)
			return
		}
		if len(p.batch.items) >= pairBatchItems || len(p.batch.arena) >= pairBatchBytes {
			if !p.send(ctx) {
				return
			}
			p.batch = p.newBatch()
		}
	}
}

// decode is the second stage: decode the lines the pairing kept.
func (p *pairedLedgers) decode(ctx context.Context) {
	defer close(p.stopped)
	defer close(p.ready)
	var ld [2]report.LineDecoder
	for b := range p.paired {
		for k := range b.items {
			it := &b.items[k]
			if it.decoded {
				continue
			}
			if err := ld[it.side].Decode(it.line, &it.f); err != nil {
				b.items, b.err = b.items[:k], p.src[it.side].fail(fmt.Errorf("line %d: %w", it.n, err))
				break
			}
			it.line, it.decoded = nil, true
		}
		select {
		case p.ready <- b:
		case <-ctx.Done():
			for range p.paired {
			}
			return
		}
		if b.err != nil {
			for range p.paired {
			}
			return
		}
	}
}

// side returns the Source of one ledger: 0 the base, 1 the head.
func (p *pairedLedgers) side(i int) *pairSide { return &pairSide{p: p, i: i} }

type pairSide struct {
	p *pairedLedgers
	i int
}

func (s *pairSide) Header() report.Header { return s.p.src[s.i].h }

// Next takes the next finding of this side, distributing the findings of
// the batches it receives to both sides' queues.
func (s *pairSide) Next(f *report.Finding) error {
	p, i := s.p, s.i
	for p.next[i] >= len(p.queue[i]) {
		if p.err != nil {
			return p.err
		}
		if p.done {
			return io.EOF
		}
		if len(p.queue[i]) > 0 {
			p.queue[i], p.next[i] = p.queue[i][:0], 0
		}
		b, ok := <-p.ready
		if !ok {
			return context.Canceled
		}
		for k := range b.items {
			it := &b.items[k]
			p.queue[it.side] = append(p.queue[it.side], it.f)
			it.f = report.Finding{}
		}
		switch {
		case b.err == io.EOF:
			p.done = true
		case b.err != nil:
			p.err = b.err
		}
		select {
		case p.free <- b:
		default:
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
	// Not in the plain layout: decode it here to learn its key.
	if err := s.d.DecodeRaw(line, &p.held[i]); err != nil {
		return s.fail(err)
	}
	f := &p.held[i]
	p.key[i] = report.RawKey{ID: []byte(f.ID), Type: []byte(f.Type), Pkg: []byte(f.Pkg)}
	p.decoded[i] = true
	return nil
}

// emit passes the current line of side i on, to be decoded.
func (p *pairedLedgers) emit(i int) error {
	it := pairItem{side: i, n: p.src[i].d.Line()}
	if p.decoded[i] {
		it.f, it.decoded = p.held[i], true
		p.held[i] = report.Finding{}
	} else {
		if err := p.src[i].d.Skip(p.key[i]); err != nil { // the order check
			return p.src[i].fail(err)
		}
		b := p.batch
		start := len(b.arena)
		b.arena = append(b.arena, p.line[i]...)
		it.line = b.arena[start:len(b.arena):len(b.arena)]
	}
	p.batch.items = append(p.batch.items, it)
	p.have[i], p.decoded[i] = false, false
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
