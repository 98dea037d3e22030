package trivy

import (
	"bytes"
	"io"
	"runtime"

	"github.com/cvetrail/cvetrail/internal/report"
)

// Large reports are parsed on several cores. The goroutine reading the
// input only delimits each vulnerability object by matching brackets
// (scanner.objectEnd), which is several times cheaper than reading it, and
// hands batches of objects to workers that validate and read them. The
// batches are merged back in input order, so the report, its warnings and
// the first error are exactly those of reading it on one core.

// workers is the number of goroutines that read vulnerabilities, 0 for
// as many as there are cores (up to 4); with one, the input is read on one
// goroutine. Tests change it.
var workers = 0

func numWorkers() int {
	if workers > 0 {
		return workers
	}
	return min(runtime.GOMAXPROCS(0), 4)
}

// batchSize is the size of the batches of vulnerability objects handed to
// a worker, and parallelFrom the input offset from which they are used:
// smaller reports are read faster on one goroutine. Tests change them.
var (
	batchSize    = 256 << 10
	parallelFrom = int64(4 << 20)
)

// batch is a run of vulnerability objects of one result.
type batch struct {
	data   []byte   // the objects' text, back to back
	objs   []objRef // where each object is
	result int      // the result's index and target, for messages
	target string
	depth  int // the nesting depth of the objects

	done chan struct{} // closed when the worker is done with it

	// What the worker made of it.
	findings []report.Finding
	meta     []findMeta
	warnings []warning
	err      error
}

// objRef locates one object of a batch.
type objRef struct {
	start, end int   // in batch.data
	off        int64 // input offset of its first byte
	index      int   // its index in the Vulnerabilities array, from 1
}

// warning is a warning kept by a worker, for the merge to give.
type warning struct{ kind, msg string }

// pipeline is the set of workers of one Parse.
type pipeline struct {
	work    chan *batch
	filling *batch   // the batch being filled
	pending []*batch // handed to the workers, in input order
	spare   []*batch
	err     error // the first error of a batch; nothing after it counts
	opts    Options
}

// maxPending bounds the batches in flight, and so the memory they take.
func maxPending() int { return 2 * numWorkers() }

func (p *parser) pipeline() *pipeline {
	if p.pipe == nil {
		p.pipe = &pipeline{work: make(chan *batch, maxPending()), opts: p.opts}
		for range numWorkers() {
			go p.pipe.run()
		}
	}
	return p.pipe
}

// stop ends the workers once they are done.
func (pl *pipeline) stop() {
	if pl != nil {
		close(pl.work)
	}
}

func (pl *pipeline) run() {
	wp := &parser{
		opts:    pl.opts,
		strs:    make(map[string]string, 1024),
		rep:     &report.Report{},
		collect: true,
		s:       newBytesScanner(nil, 0),
	}
	for b := range pl.work {
		wp.readBatch(b)
		close(b.done)
	}
}

// readBatch reads the objects of b as a worker.
func (p *parser) readBatch(b *batch) {
	p.rep.Findings = make([]report.Finding, 0, len(b.objs))
	p.meta, p.warnLog = b.meta[:0], b.warnings[:0]
	defer func() {
		b.findings, b.meta, b.warnings = p.rep.Findings, p.meta, p.warnLog
		p.rep.Findings, p.meta, p.warnLog = nil, nil, nil
	}()
	w := &where{result: b.result, target: b.target, kind: "vulnerability"}
	for _, o := range b.objs {
		w.index, w.id = o.index, ""
		p.s.reset(b.data[o.start:o.end], o.off)
		p.s.depth = b.depth
		p.cur = w
		off, err := p.vulnObject(w)
		if err == nil && p.s.peek() != 0 {
			err = p.s.charErr("after the end of a vulnerability")
		}
		if err == nil {
			err = p.addFinding(w, off, "")
		}
		if err != nil {
			b.err = p.context(err)
			return
		}
	}
}

// vulnListBatched reads the elements of a Vulnerabilities array from
// element i on with the workers; first tells whether i is the first.
func (p *parser) vulnListBatched(rw *where, i int, first bool) error {
	pl := p.pipeline()
	err := p.batchVulns(rw, i, first)
	if pl.err == nil {
		// The batches not merged yet, and the one being filled, come
		// before whatever stopped the loop.
		if serr := p.send(); err == nil {
			err = serr
		}
		p.merge(len(pl.pending))
	}
	if pl.err != nil {
		return pl.err // the first error in the input
	}
	return err
}

// send hands the batch being filled to the workers.
func (p *parser) send() error {
	pl := p.pipe
	b := pl.filling
	if b == nil || len(b.objs) == 0 {
		return nil
	}
	if len(pl.pending) >= maxPending() {
		if err := p.merge(1); err != nil {
			return err
		}
	}
	pl.filling = nil
	pl.pending = append(pl.pending, b)
	pl.work <- b
	return nil
}

func (p *parser) batchVulns(rw *where, i int, first bool) error {
	pl := p.pipeline()
	w := &where{result: rw.result, target: rw.target, kind: "vulnerability"}
	for ; ; i++ {
		more, err := p.more(&first)
		if err != nil || !more {
			return err
		}
		c, err := p.peek("an array")
		if err != nil {
			return err
		}
		n, ok := 0, false
		if c == '{' {
			n, ok = p.s.objectEnd()
		}
		if !ok {
			// Not an object, or one that does not end: read it here, after
			// everything before it, for the precise error.
			if err := p.send(); err != nil {
				return err
			}
			if err := p.merge(len(pl.pending)); err != nil {
				return err
			}
			if err := p.oneVuln(w, i); err != nil {
				return err
			}
			p.cur = rw
			continue
		}
		b := pl.filling
		if b == nil {
			b = pl.batch(w)
			b.depth = p.s.depth
			pl.filling = b
		}
		start := len(b.data)
		b.data = append(b.data, p.s.buf[p.s.pos:p.s.pos+n]...)
		b.objs = append(b.objs, objRef{start: start, end: len(b.data), off: p.s.offset(), index: i})
		p.s.pos += n
		if len(b.data) >= batchSize {
			if err := p.send(); err != nil {
				return err
			}
		}
	}
}

// batch returns an empty batch for the result of w.
func (pl *pipeline) batch(w *where) *batch {
	var b *batch
	if n := len(pl.spare); n > 0 {
		b, pl.spare = pl.spare[n-1], pl.spare[:n-1]
	} else {
		b = &batch{}
	}
	b.data, b.objs = b.data[:0], b.objs[:0]
	b.result, b.target = w.result, w.target
	b.done = make(chan struct{})
	b.err = nil
	return b
}

// merge waits for the n oldest batches and adds what the workers made of
// them to the report, in input order. It stops at the first batch with an
// error, which it keeps and returns from then on.
func (p *parser) merge(n int) error {
	pl := p.pipe
	for range n {
		if pl.err != nil {
			break
		}
		b := pl.pending[0]
		<-b.done
		pl.pending = pl.pending[1:]
		if b.err != nil {
			pl.err = b.err
			break
		}
		if len(p.rep.Findings) > 0 {
			p.done = append(p.done, p.rep.Findings)
			p.ndone += len(p.rep.Findings)
			p.rep.Findings = nil
		}
		p.done = append(p.done, b.findings)
		p.ndone += len(b.findings)
		b.findings = nil // the report holds them now
		p.meta = append(p.meta, b.meta...)
		for _, w := range b.warnings {
			p.warn(w.kind, w.msg)
		}
		pl.spare = append(pl.spare, b)
	}
	return pl.err
}

// found returns the number of findings read so far.
func (p *parser) found() int { return p.ndone + len(p.rep.Findings) }

// join makes the findings merged from batches and those read since one
// slice, rep.Findings, with one copy.
func (p *parser) join() {
	if len(p.done) == 0 {
		return
	}
	all := make([]report.Finding, 0, p.found())
	// One finding at a time: copying a whole chunk is one runtime call
	// that the garbage collector cannot preempt, and a collection starting
	// now would spin waiting for this goroutine through all of them.
	for _, c := range append(p.done, p.rep.Findings) {
		for i := range c {
			all = append(all, c[i])
		}
	}
	p.rep.Findings = all
	p.done, p.ndone = nil, 0
}

// objectEnd returns the length of the object or array that starts at pos,
// found by matching brackets outside strings, without validating anything;
// ok is false when the input ends first. It does not move pos.
func (s *scanner) objectEnd() (n int, ok bool) {
	depth, i := 0, 0
	inString := false
	for {
		b := s.buf[s.pos:]
		for i < len(b) {
			if inString {
				k := bytes.IndexByte(b[i:], '"')
				if k < 0 {
					i = len(b)
					break
				}
				j := i + k
				backslashes := 0
				for j-backslashes > 0 && b[j-backslashes-1] == '\\' {
					backslashes++
				}
				i = j + 1
				inString = backslashes%2 == 1
				continue
			}
			for i < len(b) && !structural[b[i]] {
				i++
			}
			if i == len(b) {
				break
			}
			switch b[i] {
			case '"':
				inString = true
			case '{', '[':
				depth++
			default: // '}', ']'
				if depth--; depth == 0 {
					return i + 1, true
				}
			}
			i++
		}
		if !s.fill(len(b) + 1) {
			return 0, false
		}
	}
}

// structural marks the bytes that objectEnd looks at outside strings.
var structural = func() (t [256]bool) {
	for _, c := range `"{}[]` {
		t[c] = true
	}
	return t
}()

// reset makes s read b, whose first byte is at input offset off.
func (s *scanner) reset(b []byte, off int64) {
	s.r, s.buf, s.pos, s.off, s.pin, s.rerr, s.empty = nil, b, 0, off, -1, io.EOF, 0
}
