package trivy

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"sync/atomic"

	"github.com/cvetrail/cvetrail/internal/par"
	"github.com/cvetrail/cvetrail/internal/report"
)

// Large reports are parsed on several cores. The goroutine reading the
// input hands batches of vulnerabilities to workers that validate and read
// them, and merges what they made in input order, so the report, its
// warnings and the first error are exactly those of reading it on one core.
//
// It finds where batches start in one of two ways. Exactly: it delimits
// each vulnerability object by matching brackets (scanner.objectEnd),
// which costs about half of reading it. Or by a guess that costs next to
// nothing, when the text is indented as Trivy writes it: a raw newline
// cannot be inside a JSON string, so a line holding only "}," at the
// indentation of the array's objects, followed by one holding "{", is
// between two of them. Such a span is only a guess (a hand-indented
// nested object could look the same), so a span is trusted only when its
// worker read it whole; when one fails, the reader goes back to where it
// starts and reads on one goroutine from there, giving the exact error, or
// no error if the guess alone was wrong.

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
	parallelFrom = int64(1 << 20)
)

// batch is a run of vulnerability objects of one result.
type batch struct {
	data   []byte   // the objects' text, back to back
	objs   []objRef // where each object is
	result int      // the result's index and target, for messages
	target string
	depth  int // the nesting depth of the objects

	// A span holds the text of whole array elements and the separators
	// between them, from the '{' of one to the '{' of the one after it,
	// or to the '}' of the array's last. Its objs are empty: the worker
	// finds the objects, and counts them, and their indexes are known
	// when the batch is merged.
	span  bool
	off   int64 // the input offset of data[0]
	count int   // the elements read

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
// When at is set, the message is at's place followed by msg, made when the
// warning is given, once a span's indexes are known.
type warning struct {
	kind, msg string
	at        *where
}

// pipeline is the set of workers of one Parse.
type pipeline struct {
	work    chan *batch
	filling *batch   // the batch being filled
	pending []*batch // handed to the workers, in input order
	spare   []*batch
	err     error // the first error of a batch; nothing after it counts
	opts    Options

	next     int // the index of the first element of the next span to merge
	resumeAt int // after errRewound: the index of the element at pos
}

// spanCount counts the spans made and the rewinds, for tests to see
// which way a report was read.
var spanCount struct{ made, rewound atomic.Int64 }

// spanWindow is how much text past batchSize is searched for the end of a
// span before the rest of an array is read exactly.
const spanWindow = 64 << 10

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
	if b.span {
		p.readSpan(b, w)
		return
	}
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

// readSpan reads the elements of the span b. An error is kept without
// context: the reader reads the span again itself.
func (p *parser) readSpan(b *batch, w *where) {
	p.s.reset(b.data, b.off)
	p.s.depth = b.depth
	for {
		b.count++
		w.index, w.id = b.count, ""
		p.cur = w
		off, err := p.vulnObject(w)
		if err == nil {
			err = p.addFinding(w, off, "")
		}
		if err != nil {
			b.err = err
			return
		}
		switch p.s.peek() {
		case 0:
			return
		case ',':
			p.s.pos++
			if p.s.peek() == 0 {
				return
			}
		default:
			b.err = p.s.charErr("after array element (expecting ',' or ']')")
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
	if b == nil || len(b.objs) == 0 && !b.span {
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
	var pattern []byte // the line break between two elements, once known
	tried := false
	for ; ; i++ {
		more, err := p.more(&first)
		if err != nil || !more {
			return err
		}
		if pattern != nil {
			if err := p.send(); err != nil {
				return err
			}
			pl.next = i
			err := p.spans(w, pattern)
			pattern = nil // once an array
			if err == errRewound {
				return p.resume(rw, pl.resumeAt)
			}
			if err != nil {
				return err
			}
			i = pl.next
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
		if !tried {
			tried = true
			pattern = spanPattern(p.s.buf[p.s.pos : p.s.pos+n])
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

// errRewound tells that a span failed and the reader went back to its
// start, the element pipeline.resumeAt, to read on by itself.
var errRewound = errors.New("rewound to a span that failed")

// spanPattern returns the text between two elements of an array whose
// first element is obj, when it is indented as Trivy indents it: obj's
// closing brace alone on its line, after the indentation. Else nil.
func spanPattern(obj []byte) []byte {
	j := len(obj) - 2
	for j >= 0 && obj[j] == ' ' {
		j--
	}
	if j < 0 || obj[j] != '\n' {
		return nil
	}
	indent := obj[j+1 : len(obj)-1]
	if len(indent) < 2 {
		return nil
	}
	pat := make([]byte, 0, 2*len(indent)+5)
	pat = append(append(append(pat, '\n'), indent...), "},\n"...)
	return append(append(pat, indent...), '{')
}

// closesArray reports whether b holds a line that closes an array indented
// by outer spaces: "]" alone after them. An array's elements are indented
// two more, as Trivy writes it.
func closesArray(b []byte, outer int) bool {
	for {
		k := bytes.IndexByte(b, ']')
		if k < 0 {
			return false
		}
		j := k - 1
		for j >= 0 && b[j] == ' ' {
			j--
		}
		if j >= 0 && b[j] == '\n' && k-1-j == outer {
			return true
		}
		b = b[k+1:]
	}
}

// spans hands the elements from pos on to the workers in spans, as long as
// each span's end is found within reach, and merges them all. It returns
// with pos at the first element it did not hand out, pipeline.next, or
// errRewound.
func (p *parser) spans(w *where, pattern []byte) error {
	s, pl := p.s, p.pipe
	outer := (len(pattern)-5)/2 - 2 // pattern is "\n" + indent + "},\n" + indent + "{"
	for s.peek() == '{' {
		s.fill(batchSize + spanWindow)
		from := s.pos + max(1, batchSize-len(pattern))
		if from >= len(s.buf) {
			break
		}
		k := bytes.Index(s.buf[from:], pattern)
		if k < 0 {
			break
		}
		end := from + k + len(pattern) - 1 // the next element's '{'
		if closesArray(s.buf[s.pos:end], outer) {
			break // the array ends before: its last elements are read exactly
		}
		// Room first: merging may rewind, which needs the spans to tile
		// the text up to pos.
		if len(pl.pending) >= maxPending() {
			if err := p.merge(1); err != nil {
				return err
			}
			continue // the buffer may have moved
		}
		b := pl.batch(w)
		b.span, b.off, b.depth = true, s.offset(), s.depth
		b.data = append(b.data, s.buf[s.pos:end]...)
		s.pos = end
		spanCount.made.Add(1)
		pl.pending = append(pl.pending, b)
		pl.work <- b
	}
	return p.merge(len(pl.pending))
}

// rewind puts the reader back at the start of the failed span b, the
// oldest pending batch, with the text of b and of the spans after it
// before what it has not read yet. Spans tile the text from b on to pos.
func (p *parser) rewind(b *batch) {
	pl, s := p.pipe, p.s
	n := len(s.buf) - s.pos
	for _, o := range pl.pending {
		<-o.done
		n += len(o.data)
	}
	nb := make([]byte, 0, n+readSize)
	for _, o := range pl.pending {
		nb = append(nb, o.data...)
		clear(o.findings)
		o.findings = nil
		pl.spare = append(pl.spare, o)
	}
	nb = append(nb, s.buf[s.pos:]...)
	s.buf, s.pos, s.off, s.depth = nb, 0, b.off, b.depth
	pl.pending = pl.pending[:0]
	spanCount.rewound.Add(1)
}

// resume reads the elements of an array from element i on, at pos after a
// rewind, on this goroutine.
func (p *parser) resume(rw *where, i int) error {
	w := &where{result: rw.result, target: rw.target, kind: "vulnerability"}
	first := false
	for ; ; i++ {
		if err := p.oneVuln(w, i); err != nil {
			return err
		}
		p.cur = rw
		more, err := p.more(&first)
		if err != nil || !more {
			return err
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
	b.span, b.off, b.count = false, 0, 0
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
		if b.span && b.err != nil {
			pl.resumeAt = pl.next
			p.rewind(b)
			return errRewound
		}
		pl.pending = pl.pending[1:]
		if b.err != nil {
			pl.err = b.err
			break
		}
		base := 0
		if b.span {
			base = pl.next - 1
			pl.next += b.count
			for k := range b.meta {
				b.meta[k].index += int32(base)
			}
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
			msg := w.msg
			if w.at != nil {
				w.at.index += base
				msg = w.at.String() + msg
			}
			p.warn(w.kind, msg)
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
	all := make([]report.Finding, p.found())
	chunks := append(p.done, p.rep.Findings)
	at := make([]int, len(chunks)+1) // where each chunk goes
	for i, c := range chunks {
		at[i+1] = at[i] + len(c)
	}
	// The chunks are copied on all cores, each goroutine taking a run of
	// them.
	par.Do(par.Split(len(chunks), 2), func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			copy(all[at[i]:], chunks[i])
			// Copying a chunk is a runtime call that cannot be preempted;
			// a garbage collection starting during a loop of them would
			// spin waiting to stop this goroutine, so let it in between.
			runtime.Gosched()
		}
	})
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
