package report

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"strconv"
	"unicode/utf8"

	"github.com/cvetrail/cvetrail/internal/jsonword"
	"github.com/cvetrail/cvetrail/internal/par"
)

// The ledger format is JSON Lines: the header, then one finding per line,
// each laid out exactly as encoding/json encodes a Finding (fields in
// struct order, empty optional fields left out, HTML characters not
// escaped). Encode writes finding lines by hand, byte for byte what
// encoding/json writes (a test checks this), several times faster. The
// Decoder reads lines in exactly that layout with a hand-written parser
// (decodeFast) and hands every other line to the strict generic decoder
// (strictUnmarshal), so that what a line means never depends on which
// path read it: the fuzz tests check that a line the fast path accepts
// decodes identically through the strict one.

// Encode writes r as a ledger file: the header on the first line, then one
// finding per line in key order. The output is a pure function of r, so an
// unchanged report gives a byte-identical file. r must be normalized; Encode
// refuses findings out of order or duplicated.
func Encode(w io.Writer, r *Report) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	h := r.Header
	h.SchemaVersion = SchemaVersion
	if err := enc.Encode(&h); err != nil {
		return fmt.Errorf("encoding header: %w", err)
	}
	if len(r.Findings) < parallelMin {
		b, err := encodeRun(make([]byte, 0, len(r.Findings)*lineGuess), r.Findings, 0, len(r.Findings))
		if err != nil {
			return err
		}
		if _, err := bw.Write(b); err != nil {
			return err
		}
		return bw.Flush()
	}
	// A large report is encoded on all cores, a round of runs at a time,
	// each run into its own buffer, written in order: the memory held is a
	// few runs' text, not the ledger's.
	bufs := make([][]byte, par.Cores())
	errs := make([]error, len(bufs))
	for i := range bufs {
		bufs[i] = make([]byte, 0, encodeRun1*lineGuess)
	}
	err := par.Ordered(len(r.Findings), encodeRun1, func(slot, lo, hi int) {
		bufs[slot], errs[slot] = encodeRun(bufs[slot][:0], r.Findings, lo, hi)
	}, func(slot int) error {
		if errs[slot] != nil {
			return errs[slot]
		}
		_, err := bw.Write(bufs[slot])
		return err
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}

// lineGuess is about the length of a finding's line, to size buffers.
const lineGuess = 448

// encodeRun1 is the number of findings in a run that Encode hands to one
// core: a few megabytes of text.
const encodeRun1 = 4096

// encodeRun appends the lines of fs[lo:hi] to b, checking that each is
// after the one before it (fs[lo-1] too).
func encodeRun(b []byte, fs []Finding, lo, hi int) ([]byte, error) {
	for i := lo; i < hi; i++ {
		if i > 0 && compareFindings(fs[i-1], fs[i]) >= 0 {
			return b, fmt.Errorf("encoding finding %d: %s is not after %s (report not normalized)", i+1, fs[i].Key(), fs[i-1].Key())
		}
		var err error
		if b, err = appendFinding(b, &fs[i]); err != nil {
			return b, fmt.Errorf("encoding finding %s: %w", fs[i].Key(), err)
		}
	}
	return b, nil
}

// appendFinding appends the ledger line of f, newline included.
func appendFinding(b []byte, f *Finding) ([]byte, error) {
	b = append(b, `{"id":`...)
	b = appendString(b, f.ID)
	b = appendStrings(b, `,"aliases":`, f.Aliases)
	b = append(b, `,"type":`...)
	b = appendString(b, f.Type)
	b = append(b, `,"pkg":`...)
	b = appendString(b, f.Pkg)
	b = appendStrings(b, `,"versions":`, f.Versions)
	b = appendStrings(b, `,"paths":`, f.Paths)
	b = appendStrings(b, `,"fixed":`, f.Fixed)
	b = append(b, `,"fixState":`...)
	b = appendString(b, string(f.FixState))
	b = append(b, `,"severity":"`...)
	b = append(b, f.Severity.String()...)
	b = append(b, '"')
	b = appendOptString(b, `,"severitySource":`, f.SeveritySource)
	if c := f.CVSS; c != nil {
		if math.IsInf(c.Score, 0) || math.IsNaN(c.Score) {
			return nil, fmt.Errorf("cvss score %v is not a number JSON can hold", c.Score)
		}
		b = append(b, `,"cvss":{"score":`...)
		b = appendFloat(b, c.Score)
		b = appendOptString(b, `,"vector":`, c.Vector)
		b = appendOptString(b, `,"source":`, c.Source)
		b = append(b, '}')
	}
	b = appendOptString(b, `,"title":`, f.Title)
	b = appendOptString(b, `,"url":`, f.URL)
	b = appendOptString(b, `,"published":`, f.Published)
	b = appendOptString(b, `,"suppressed":`, f.Suppressed)
	return append(b, '}', '\n'), nil
}

func appendOptString(b []byte, name, s string) []byte {
	if s == "" {
		return b
	}
	return appendString(append(b, name...), s)
}

func appendStrings(b []byte, name string, s []string) []byte {
	if len(s) == 0 {
		return b
	}
	b = append(b, name...)
	b = append(b, '[')
	for i, v := range s {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, v)
	}
	return append(b, ']')
}

// appendFloat formats a float64 as encoding/json does: like ES6, %f
// between 1e-6 and 1e21, else an exponent without padding.
func appendFloat(b []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// e-09 becomes e-9.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

const hexDigits = "0123456789abcdef"

// plain marks the bytes a string holds without escaping or a closer look:
// printable ASCII (and DEL) other than '"' and '\\'.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendString quotes s as encoding/json does without HTML escaping:
// control characters, '"' and '\\' escaped, invalid UTF-8 replaced by
// \ufffd, U+2028 and U+2029 escaped.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if plain[c] {
			i += 1 + jsonword.Plain(s[i+1:])
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// A Decoder reads a ledger file one finding at a time, so that large ledgers
// are processed in bounded memory.
type Decoder struct {
	r       *bufio.Reader
	line    int
	header  Header
	last    RawKey // the key of the last line, in buffers of its own
	hasLast bool
	long    []byte // a line longer than the read buffer
	fast    fastDecoder
}

// NewDecoder reads and checks the header line of a ledger.
func NewDecoder(r io.Reader) (*Decoder, error) {
	d := &Decoder{r: bufio.NewReaderSize(r, 64<<10)}
	b, err := d.readLine()
	if err == io.EOF {
		return nil, errors.New("line 1: empty ledger: no header line")
	}
	if err != nil {
		return nil, err
	}
	if err := strictUnmarshal(b, &d.header); err != nil {
		return nil, fmt.Errorf("line 1: header: %w", err)
	}
	if d.header.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("line 1: header: schemaVersion %d is not supported (this cvetrail reads %d)", d.header.SchemaVersion, SchemaVersion)
	}
	if d.header.Image == "" {
		return nil, errors.New("line 1: header: no image")
	}
	return d, nil
}

// Header returns the ledger's header.
func (d *Decoder) Header() Header { return d.header }

// Next decodes the next finding into f. It returns io.EOF after the last
// one.
func (d *Decoder) Next(f *Finding) error {
	b, err := d.readLine()
	if err != nil {
		return err
	}
	return d.DecodeRaw(b, f)
}

// Line returns the line number of the last line read.
func (d *Decoder) Line() int { return d.line }

// readLine returns the next line without its newline. The slice is valid
// until the next call.
func (d *Decoder) readLine() ([]byte, error) {
	b, err := d.r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		d.long = append(d.long[:0], b...)
		for errors.Is(err, bufio.ErrBufferFull) {
			b, err = d.r.ReadSlice('\n')
			d.long = append(d.long, b...)
		}
		b = d.long
	}
	if err == io.EOF && len(b) == 0 {
		return nil, io.EOF
	}
	d.line++
	if err == io.EOF {
		return nil, fmt.Errorf("line %d: last line has no newline (truncated file?)", d.line)
	}
	if err != nil {
		return nil, fmt.Errorf("line %d: %w", d.line, err)
	}
	return b[:len(b)-1], nil
}

func strictUnmarshal(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("more than one JSON value on the line")
	}
	return nil
}

// Decode reads a whole ledger.
func Decode(r io.Reader) (*Report, error) {
	d, err := NewDecoder(r)
	if err != nil {
		return nil, err
	}
	rep := &Report{Header: d.Header()}
	for {
		rep.Findings = append(rep.Findings, Finding{})
		err := d.Next(&rep.Findings[len(rep.Findings)-1])
		if err == io.EOF {
			rep.Findings = rep.Findings[:len(rep.Findings)-1]
			if len(rep.Findings) == 0 {
				rep.Findings = nil
			}
			return rep, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// fastDecoder decodes finding lines laid out exactly as appendFinding
// writes them. The strings of a finding that are not one of a few common
// values are cut from one string holding all of them (one allocation per
// line instead of one per field), and its lists share one backing array.
// What it records while reading holds no pointers, so that reading costs
// no write barriers while the collector runs.
type fastDecoder struct {
	b     []byte // the line being decoded
	i     int    // position in b
	buf   []byte // content of the finding's uncommon strings
	refs  []sref // the strings read, in order
	ends  [4]int // end of each list in refs: aliases, versions, paths, fixed
	lists int    // number of list elements in refs
}

// sref is a decoded string: common[common-1] when common is not zero,
// else buf[off:end]. field says where it goes.
type sref struct {
	off, end int32
	field    uint8
	common   uint8
}

// The fields a string can go to.
const (
	fID = iota
	fType
	fPkg
	fSeveritySource
	fVector
	fSource
	fTitle
	fURL
	fPublished
	fSuppressed
	fAliases // list elements
	fVersions
	fPaths
	fFixed
)

// common holds values that many findings share, so that they are shared
// rather than copied: package types and severity and CVSS sources.
var common = [...]string{
	"deb", "apk", "rpm", "npm", "pypi", "golang", "maven", "gem", "cargo", "nuget", "composer",
	"nvd", "ghsa", "redhat", "debian", "ubuntu", "alpine", "amazon", "oracle-oval",
}

// commonIndex returns 1 + the index of v in common, or 0.
func commonIndex(v []byte) uint8 {
	switch string(v) {
	case "deb":
		return 1
	case "apk":
		return 2
	case "rpm":
		return 3
	case "npm":
		return 4
	case "pypi":
		return 5
	case "golang":
		return 6
	case "maven":
		return 7
	case "gem":
		return 8
	case "cargo":
		return 9
	case "nuget":
		return 10
	case "composer":
		return 11
	case "nvd":
		return 12
	case "ghsa":
		return 13
	case "redhat":
		return 14
	case "debian":
		return 15
	case "ubuntu":
		return 16
	case "alpine":
		return 17
	case "amazon":
		return 18
	case "oracle-oval":
		return 19
	}
	return 0
}

// decode decodes line into f and reports whether it could. When it
// cannot, f holds garbage and the line must go to strictUnmarshal, which
// either decodes it or says what is wrong with it.
func (p *fastDecoder) decode(line []byte, f *Finding) bool {
	if len(line) < 2 || line[0] != '{' || line[len(line)-1] != '}' {
		return false
	}
	p.b, p.i = line, 0
	p.buf, p.refs, p.lists = p.buf[:0], p.refs[:0], 0
	var score float64
	var hasCVSS bool
	*f = Finding{}
	ok := p.finding(f, &score, &hasCVSS)
	p.b = nil
	if !ok {
		return false
	}
	all := string(p.buf)
	// The CVSS and the lists of most findings fit in one allocation.
	var mem *findingMem
	var strs []string
	if hasCVSS || p.lists > 0 {
		mem = new(findingMem)
		strs = mem.strs[:0]
		if p.lists > len(mem.strs) {
			strs = make([]string, 0, p.lists)
		}
	}
	var c *CVSS
	if hasCVSS {
		c = &mem.cvss
		c.Score = score
		f.CVSS = c
	}
	for i := range p.refs {
		r := &p.refs[i]
		v := all[r.off:r.end]
		if r.common != 0 {
			v = common[r.common-1]
		}
		switch r.field {
		case fID:
			f.ID = v
		case fType:
			f.Type = v
		case fPkg:
			f.Pkg = v
		case fSeveritySource:
			f.SeveritySource = v
		case fVector:
			c.Vector = v
		case fSource:
			c.Source = v
		case fTitle:
			f.Title = v
		case fURL:
			f.URL = v
		case fPublished:
			f.Published = v
		case fSuppressed:
			f.Suppressed = v
		default:
			strs = append(strs, v)
		}
	}
	start := 0
	for k, end := range p.ends {
		if end <= start {
			continue
		}
		l := strs[start:end:end]
		switch k {
		case 0:
			f.Aliases = l
		case 1:
			f.Versions = l
		case 2:
			f.Paths = l
		case 3:
			f.Fixed = l
		}
		start = end
	}
	return true
}

// findingMem holds the CVSS and the lists of a decoded finding.
type findingMem struct {
	cvss CVSS
	strs [3]string
}

func (p *fastDecoder) finding(f *Finding, score *float64, hasCVSS *bool) bool {
	if !p.lit(`{"id":`) || !p.str(fID) {
		return false
	}
	if !p.list(`,"aliases":`, 0) || !p.lit(`,"type":`) || !p.str(fType) {
		return false
	}
	if !p.lit(`,"pkg":`) || !p.str(fPkg) {
		return false
	}
	if !p.list(`,"versions":`, 1) || !p.list(`,"paths":`, 2) || !p.list(`,"fixed":`, 3) {
		return false
	}
	if !p.lit(`,"fixState":"`) || !p.fixState(&f.FixState) {
		return false
	}
	if !p.lit(`,"severity":"`) || !p.severity(&f.Severity) {
		return false
	}
	if !p.opt(`,"severitySource":`, fSeveritySource) {
		return false
	}
	if p.lit(`,"cvss":{"score":`) {
		if !p.number(score) || !p.opt(`,"vector":`, fVector) || !p.opt(`,"source":`, fSource) || !p.lit("}") {
			return false
		}
		*hasCVSS = true
	}
	if !p.opt(`,"title":`, fTitle) || !p.opt(`,"url":`, fURL) || !p.opt(`,"published":`, fPublished) || !p.opt(`,"suppressed":`, fSuppressed) {
		return false
	}
	return p.lit("}") && p.i == len(p.b)
}

// lit consumes s if the line continues with it.
func (p *fastDecoder) lit(s string) bool {
	if len(p.b)-p.i >= len(s) && string(p.b[p.i:p.i+len(s)]) == s {
		p.i += len(s)
		return true
	}
	return false
}

// opt reads the optional member that starts with name.
func (p *fastDecoder) opt(name string, field uint8) bool {
	return !p.lit(name) || p.str(field)
}

// list reads the optional list member that starts with name: a non-empty
// array of strings. The list ends at p.ends[k].
func (p *fastDecoder) list(name string, k int) bool {
	if p.lit(name) {
		if !p.lit("[") {
			return false
		}
		for {
			if !p.str(fAliases + uint8(k)) {
				return false
			}
			p.lists++
			if p.lit("]") {
				break
			}
			if !p.lit(",") {
				return false
			}
		}
	}
	p.ends[k] = p.lists
	return true
}

// fixState reads a fix state's name and its closing quote, after the
// opening one. Other strings go to the strict path, which keeps them for
// Next to refuse.
func (p *fastDecoder) fixState(s *FixState) bool {
	for _, st := range [...]FixState{Fixed, NotFixed, FixUnknown, WontFix} {
		if p.lit(string(st)) && p.lit(`"`) {
			*s = st
			return true
		}
	}
	return false
}

// severity reads a severity's name and its closing quote, after the
// opening one.
func (p *fastDecoder) severity(s *Severity) bool {
	if p.i >= len(p.b) {
		return false
	}
	var sev Severity
	switch p.b[p.i] {
	case 'U':
		sev = Unknown
	case 'L':
		sev = Low
	case 'M':
		sev = Medium
	case 'H':
		sev = High
	case 'C':
		sev = Critical
	default:
		return false
	}
	if !p.lit(severityNames[sev]) || !p.lit(`"`) {
		return false
	}
	*s = sev
	return true
}

// str reads a string that goes to field.
func (p *fastDecoder) str(field uint8) bool {
	r, ok := p.scan(field == fType || field == fSeveritySource || field == fSource)
	r.field = field
	p.refs = append(p.refs, r)
	return ok
}

// scan reads a string. When shared, a common value is returned as its
// index; any other string is appended to p.buf. A string without escapes is copied as it is; one with
// the escapes appendString writes (and \uXXXX for any character but a
// lone surrogate) is unescaped. Anything else — raw control characters,
// invalid UTF-8, other escapes — is refused.
func (p *fastDecoder) scan(shared bool) (sref, bool) {
	b := p.b
	if p.i >= len(b) || b[p.i] != '"' {
		return sref{}, false
	}
	start := p.i + 1
	i := start
	ascii := true
	for {
		for i+8 <= len(b) {
			if m := jsonword.Special(binary.LittleEndian.Uint64(b[i:])); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
			i += 8
		}
		for i < len(b) && plain[b[i]] {
			i++
		}
		if i >= len(b) {
			return sref{}, false
		}
		c := b[i]
		if c == '"' {
			break
		}
		switch {
		case c == '\\':
			return p.unescape(start)
		case c < 0x20:
			return sref{}, false
		}
		ascii = false
		i++
	}
	v := b[start:i]
	if !ascii && !utf8.Valid(v) {
		return sref{}, false
	}
	p.i = i + 1
	if shared {
		if c := commonIndex(v); c != 0 {
			return sref{common: c}, true
		}
	}
	off := len(p.buf)
	p.buf = append(p.buf, v...)
	return sref{off: int32(off), end: int32(len(p.buf))}, true
}

// unescape reads the string whose content starts at start and contains an
// escape, appending it unescaped to p.buf.
func (p *fastDecoder) unescape(start int) (sref, bool) {
	b := p.b
	off := len(p.buf)
	i, lit := start, start
	for {
		if i >= len(b) {
			return sref{}, false
		}
		c := b[i]
		switch {
		case c == '"':
			p.buf = append(p.buf, b[lit:i]...)
			if !utf8.Valid(p.buf[off:]) {
				return sref{}, false
			}
			p.i = i + 1
			return sref{off: int32(off), end: int32(len(p.buf))}, true
		case c < 0x20:
			return sref{}, false
		case c != '\\':
			i++
			continue
		}
		p.buf = append(p.buf, b[lit:i]...)
		if i+1 >= len(b) {
			return sref{}, false
		}
		r, n, ok := jsonword.Unescape(b[i:])
		if !ok {
			// Only a valid pair for a surrogate: encoding/json turns a
			// lone one into U+FFFD, which the strict path does.
			return sref{}, false
		}
		p.buf = utf8.AppendRune(p.buf, r)
		i += n
		lit = i
	}
}

// number reads a JSON number (RFC 8259 grammar) that strconv.ParseFloat
// holds without error, as encoding/json reads a float64.
func (p *fastDecoder) number(f *float64) bool {
	b := p.b
	i := p.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return false
		}
	}
	v, err := strconv.ParseFloat(string(b[p.i:i]), 64)
	if err != nil {
		return false
	}
	*f = v
	p.i = i
	return true
}

// AppendJSONString appends s to b as a JSON string, byte for byte as
// encoding/json writes it with HTML escaping off. Writers of large JSON
// documents (the diff) use it to stay off reflection.
func AppendJSONString(b []byte, s string) []byte { return appendString(b, s) }
