package triage

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// errNotEditable marks a file whose layout Upsert does not edit, such as a
// list written in flow style; the message says what to change by hand.
var errNotEditable = errors.New("cannot edit this layout")

// errEditFailed marks an edit whose result did not read back as intended.
var errEditFailed = errors.New("editing the decisions file went wrong")

// Upsert records decision d in the decisions file data (path is for
// messages) and returns the new file. This is what `cvetrail ack` does.
//
// When an entry with the same id (case-insensitive) and the same scope —
// the same sets of packages and of images, in any order — exists, it is
// updated in place and updated is true: the status, justification, reason,
// expiry and ticket of d replace the entry's when d gives them (non-empty,
// non-zero), the severity is always replaced by d's (the caller passes the
// finding's current severity), and a justification is dropped when d
// changes the status to one other than not_affected without giving one.
// Otherwise d is appended as a new entry at the end of the list. Empty or
// absent data (nil) gets the mapping form with schemaVersion 1.
//
// Everything else in the file is kept byte for byte: comments, blank lines,
// key order, quoting and the other entries. To do so Upsert uses yaml.v3
// only to find where things are and then edits the text, since re-encoding
// a yaml.v3 node tree drops blank lines and moves comments. Upsert refuses
// a file with problems (see Load), an invalid resulting decision, and the
// rare layouts it cannot edit safely (a non-empty list or an entry written
// in flow style, "[…]" or "{…}"); the result is loaded again and compared
// with what was intended before it is returned.
func Upsert(path string, data []byte, d Decision) (out []byte, updated bool, err error) {
	before, lay, err := load(path, data)
	if err != nil {
		return nil, false, fmt.Errorf("not recording the decision: %w", err)
	}
	d = normalized(d)
	if err := checkText(&d); err != nil {
		return nil, false, err
	}
	idx := -1
	for i := range before.Decisions {
		if sameScope(&before.Decisions[i], &d) {
			idx = i
		}
	}
	merged := d
	if idx >= 0 {
		merged = merge(before.Decisions[idx], d)
	}
	if err := merged.Validate(); err != nil {
		return nil, false, err
	}

	hasBOM := len(data) >= len(bom) && string(data[:len(bom)]) == string(bom)
	src := string(data)
	if hasBOM {
		src = src[len(bom):]
	}
	if !utf8.ValidString(src) {
		return nil, false, fmt.Errorf("%s: %w: it is not UTF-8 text", path, errNotEditable)
	}
	if strings.ContainsAny(strings.ReplaceAll(src, "\r\n", ""), "\r\u0085\u2028\u2029") {
		return nil, false, fmt.Errorf("%s: %w: it uses line breaks other than \\n and \\r\\n", path, errNotEditable)
	}
	e := newEditor(lay, src)
	if idx >= 0 {
		err = e.update(&lay.entries[idx], &before.Decisions[idx], &merged)
	} else {
		err = e.appendEntry(&merged)
	}
	if err == nil {
		err = e.err
	}
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", path, err)
	}
	res := e.apply()
	if hasBOM {
		res = string(bom) + res
	}
	out = []byte(res)
	if err := verify(path, out, before, idx, &merged); err != nil {
		return nil, false, err
	}
	return out, idx >= 0, nil
}

// normalized trims d's texts, removes repeated scope names, drops the time
// of day from the expiry and forgets d's lines.
func normalized(d Decision) Decision {
	d.ID = strings.TrimSpace(d.ID)
	d.Packages = uniqueTrimmed(d.Packages)
	d.Images = uniqueTrimmed(d.Images)
	d.Status = Status(strings.TrimSpace(string(d.Status)))
	d.Justification = strings.TrimSpace(d.Justification)
	d.Reason = strings.TrimSpace(d.Reason)
	d.Ticket = strings.TrimSpace(d.Ticket)
	if !d.Expires.IsZero() {
		y, m, day := d.Expires.Date()
		d.Expires = time.Date(y, m, day, 0, 0, 0, 0, time.UTC)
	}
	d.Line, d.EndLine = 0, 0
	return d
}

func uniqueTrimmed(s []string) []string {
	var out []string
	for _, v := range s {
		v = strings.TrimSpace(v)
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// checkText refuses text the file could not hold faithfully.
func checkText(d *Decision) error {
	texts := append([]string{d.ID, string(d.Status), d.Justification, d.Reason, d.Ticket}, d.Packages...)
	for _, s := range append(texts, d.Images...) {
		if !utf8.ValidString(s) {
			return fmt.Errorf("invalid decision for %s: %q is not valid UTF-8", d.ID, s)
		}
	}
	return nil
}

// merge applies the fields d gives to the existing decision old.
func merge(old, d Decision) Decision {
	m := old
	m.Line, m.EndLine = 0, 0
	if d.Status != "" {
		m.Status = d.Status
	}
	switch {
	case d.Justification != "":
		m.Justification = d.Justification
	case d.Status != "" && d.Status != NotAffected:
		m.Justification = ""
	}
	if d.Reason != "" {
		m.Reason = d.Reason
	}
	m.Severity = d.Severity
	if !d.Expires.IsZero() {
		m.Expires = d.Expires
	}
	if d.Ticket != "" {
		m.Ticket = d.Ticket
	}
	return m
}

// sameDecision compares everything but the lines.
func sameDecision(a, b *Decision) bool {
	return a.ID == b.ID && slices.Equal(a.Packages, b.Packages) && slices.Equal(a.Images, b.Images) &&
		a.Status == b.Status && a.Justification == b.Justification && a.Reason == b.Reason &&
		a.Severity == b.Severity && a.Expires.Equal(b.Expires) && a.Ticket == b.Ticket
}

// verify loads the edited file and checks that it holds exactly the
// decisions intended.
func verify(path string, out []byte, before *File, idx int, merged *Decision) error {
	after, err := Load(path, out)
	if err != nil {
		return fmt.Errorf("%w: the result does not load, so nothing was written: %v", errEditFailed, err)
	}
	want := slices.Clone(before.Decisions)
	if idx >= 0 {
		want[idx] = *merged
	} else {
		want = append(want, *merged)
	}
	if len(after.Decisions) != len(want) {
		return fmt.Errorf("%w: the result has %d decisions instead of %d, so nothing was written", errEditFailed, len(after.Decisions), len(want))
	}
	for i := range want {
		if !sameDecision(&after.Decisions[i], &want[i]) {
			return fmt.Errorf("%w: the result reads decision %d (line %d) differently, so nothing was written", errEditFailed, i+1, after.Decisions[i].Line)
		}
	}
	return nil
}

// editor collects text edits and applies them at once.
type editor struct {
	lay   *layout
	src   string
	offs  []int // offs[n-1] is the byte offset where line n starts
	nl    string
	edits []textEdit
	err   error // set when an edit turned out to be impossible
}

type textEdit struct {
	start, end int // byte range replaced
	text       string
	seq        int // order of edits at the same place
}

func newEditor(lay *layout, src string) *editor {
	e := &editor{lay: lay, src: src, nl: "\n"}
	if strings.Contains(src, "\r\n") {
		e.nl = "\r\n"
	}
	e.offs = append(e.offs, 0)
	for i := 0; i < len(src); i++ {
		if src[i] == '\n' {
			e.offs = append(e.offs, i+1)
		}
	}
	return e
}

func (e *editor) replace(start, end int, text string) {
	e.edits = append(e.edits, textEdit{start, end, text, len(e.edits)})
}

// apply performs the edits, last position first, so earlier offsets stay
// valid; insertions at the same place keep the order they were made in.
func (e *editor) apply() string {
	slices.SortFunc(e.edits, func(a, b textEdit) int {
		if a.start != b.start {
			return b.start - a.start
		}
		return b.seq - a.seq
	})
	s := e.src
	for _, ed := range e.edits {
		s = s[:ed.start] + ed.text + s[ed.end:]
	}
	return s
}

// line returns the text of line n without its line break.
func (e *editor) line(n int) string {
	if n < 1 || n > len(e.offs) {
		return ""
	}
	return e.src[e.offs[n-1]:e.contentEnd(n)]
}

// contentEnd is the offset where line n's text ends, before "\r\n" or "\n".
func (e *editor) contentEnd(n int) int {
	end := len(e.src)
	if n < len(e.offs) {
		end = e.offs[n] - 1
	}
	if end > e.offs[n-1] && e.src[end-1] == '\r' {
		end--
	}
	return end
}

// pos converts a 1-based line and character column to a byte offset.
func (e *editor) pos(line, col int) (int, bool) {
	if line < 1 || line > len(e.offs) {
		return 0, false
	}
	text := e.line(line)
	i := 0
	for c := 1; c < col; c++ {
		if i >= len(text) {
			return 0, false
		}
		_, size := utf8.DecodeRuneInString(text[i:])
		i += size
	}
	return e.offs[line-1] + i, true
}

// insertAfter inserts whole lines of text after line n (0: at the top).
func (e *editor) insertAfter(n int, text string) {
	if n >= len(e.offs) {
		if e.src != "" && !strings.HasSuffix(e.src, "\n") {
			if e.endsInBlock() {
				// The line break would become part of the text.
				e.err = fmt.Errorf("%w: the file ends inside a block text (| or >) without a final line break; add one", errNotEditable)
			}
			text = e.nl + text
		}
		e.replace(len(e.src), len(e.src), text)
		return
	}
	e.replace(e.offs[n], e.offs[n], text)
}

// endsInBlock reports whether the file ends in a block scalar: the node
// that starts last is one, so the last lines are its text.
func (e *editor) endsInBlock() bool {
	var last *yaml.Node
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if last == nil || n.Line >= last.Line {
			last = n
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	if e.lay.root == nil {
		return false
	}
	walk(e.lay.root)
	return last.Kind == yaml.ScalarNode && last.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0
}

// docEnd is the last line of the document: before a "..." end marker, or
// the last line of the file.
func (e *editor) docEnd() int {
	from := 1
	if r := e.lay.root; r != nil {
		from = r.Line
	}
	for n := from; n <= len(e.offs); n++ {
		l := e.line(n)
		if strings.HasPrefix(l, "...") && (len(l) == 3 || l[3] == ' ' || l[3] == '\t') {
			return n - 1
		}
	}
	return len(e.offs)
}

// onlyMarkers reports whether every line but line except holds nothing
// but blanks, comments, directives or document markers.
func (e *editor) onlyMarkers(except int) bool {
	for n := 1; n <= len(e.offs); n++ {
		t := strings.TrimSpace(e.line(n))
		if n == except || t == "" || t[0] == '#' || t[0] == '%' || t == "---" || t == "..." ||
			strings.HasPrefix(t, "--- #") || strings.HasPrefix(t, "... #") {
			continue
		}
		return false
	}
	return true
}

// indentOK reports whether line n has only spaces and at most one "-"
// before character column col, so new lines can be indented like it.
func (e *editor) indentOK(n, col int) bool {
	l := e.line(n)
	if col-1 > len(l) {
		return false
	}
	return strings.Trim(l[:col-1], " -") == "" && strings.Count(l[:col-1], "-") <= 1
}

// removeToken deletes a one-line token at line n, bytes [start, end), and
// the whole line when nothing but blanks would be left.
func (e *editor) removeToken(n, start, end int) {
	l := e.line(n)
	ls := e.offs[n-1]
	rest := l[:start-ls] + l[end-ls:]
	if strings.TrimSpace(rest) == "" {
		lineEnd := len(e.src)
		if n < len(e.offs) {
			lineEnd = e.offs[n]
		}
		e.replace(ls, lineEnd, "")
		return
	}
	// Take the blanks before the token with it: "key: ~ # c" → "key: # c".
	for start > ls && (e.src[start-1] == ' ' || e.src[start-1] == '\t') {
		start--
	}
	e.replace(start, end, "")
}

// appendEntry adds d as a new entry at the end of the list of decisions.
func (e *editor) appendEntry(d *Decision) error {
	lay := e.lay
	switch {
	case lay.form == formEmpty:
		e.insertAfter(e.docEnd(), e.mappingForm(d))
		return nil
	case lay.form == formNull:
		// "---" alone, or a null ("~", "null") at the top.
		r := lay.root
		if r.Value == "" {
			if !e.onlyMarkers(0) {
				return fmt.Errorf("%w: the file holds only a tagged null; replace it by hand", errNotEditable)
			}
			e.insertAfter(e.docEnd(), e.mappingForm(d))
			return nil
		}
		start, ok := e.pos(r.Line, r.Column)
		end, ok2 := 0, false
		if ok {
			end, ok2 = e.scalarEnd(r, start, start)
		}
		if !ok2 || r.Column != 1 || !e.onlyMarkers(r.Line) {
			return fmt.Errorf("%w: line %d holds only %q; replace it by hand", errNotEditable, r.Line, r.Value)
		}
		e.removeToken(r.Line, start, end)
		e.insertAfter(r.Line, e.mappingForm(d))
		return nil
	case lay.form == formMapping && lay.root.Style&yaml.FlowStyle != 0:
		return fmt.Errorf("%w: the file is one mapping in flow style ({…}); write one key per line", errNotEditable)
	case lay.form == formMapping && lay.declKey == nil:
		r := lay.root
		if !e.indentOK(r.Line, r.Column) {
			return fmt.Errorf("%w: the top-level keys are not indented with spaces", errNotEditable)
		}
		after := max(lay.maxLine(r), lay.lastContent(r.Line, e.docEnd(), r.Column-1))
		text := spaces(r.Column-1) + "decisions:" + e.nl + e.renderEntry(d, r.Column+2, r.Column+4)
		e.insertAfter(after, text)
		return nil
	case lay.form == formMapping && lay.seq == nil:
		// decisions: (null)
		k, v := lay.declKey, lay.declVal
		if !e.indentOK(k.Line, k.Column) {
			return fmt.Errorf("%w: the decisions key is not indented with spaces", errNotEditable)
		}
		sp, err := e.valueSpan(k, v)
		if err != nil {
			return err
		}
		after := k.Line
		switch {
		case sp.onLine && sp.end >= 0:
			e.removeToken(k.Line, sp.start, sp.end)
		case sp.onLine:
			return fmt.Errorf("%w: cannot replace the value of decisions on line %d", errNotEditable, k.Line)
		case v.Line != k.Line:
			// "~" alone on a later line.
			start, ok := e.pos(v.Line, v.Column)
			end, ok2 := 0, false
			if ok {
				end, ok2 = e.scalarEnd(v, start, start)
			}
			if !ok2 || v.Value == "" || strings.TrimSpace(e.src[e.offs[v.Line-1]:start]) != "" {
				return fmt.Errorf("%w: cannot replace the value of decisions on line %d", errNotEditable, v.Line)
			}
			e.removeToken(v.Line, start, end)
			after = v.Line
		}
		e.insertAfter(after, e.renderEntry(d, k.Column+2, k.Column+4))
		return nil
	}
	seq := lay.seq
	if seq.Style&yaml.FlowStyle != 0 {
		return e.appendFlow(d, seq)
	}
	// A block list: the new entry goes after the last one, with the same
	// indentation as the entries.
	dash := seq.Column
	key := dash + 2
	for _, ent := range lay.entries {
		if ent.node.Kind == yaml.MappingNode && ent.node.Style&yaml.FlowStyle == 0 {
			key = ent.node.Column
			break
		}
	}
	if key <= dash || !e.indentOK(seq.Line, dash) {
		return fmt.Errorf("%w: the list of decisions starting on line %d is not indented with spaces", errNotEditable, seq.Line)
	}
	last := lay.entries[len(lay.entries)-1]
	text := e.renderEntry(d, dash, key)
	if len(lay.entries) > 1 && strings.TrimSpace(e.line(last.start-1)) == "" {
		// The entries are set apart by blank lines; so is the new one.
		text = e.nl + text
	}
	e.insertAfter(last.end, text)
	return nil
}

// appendFlow handles a list written in flow style: only the empty list
// "[]" is replaced, by a block list.
func (e *editor) appendFlow(d *Decision, seq *yaml.Node) error {
	if len(seq.Content) > 0 {
		return fmt.Errorf("%w: the list of decisions on line %d is written in flow style ([…]); write it as a block list (one \"- id: …\" per entry)", errNotEditable, seq.Line)
	}
	start, ok := e.pos(seq.Line, seq.Column)
	l := e.line(seq.Line)
	if !ok {
		return fmt.Errorf("%w: cannot find the list on line %d", errNotEditable, seq.Line)
	}
	rel := start - e.offs[seq.Line-1]
	// The list may have a tag or an anchor before it: "!!seq []".
	open := strings.IndexByte(l[rel:], '[')
	if open < 0 {
		return fmt.Errorf("%w: cannot find the empty list on line %d", errNotEditable, seq.Line)
	}
	for _, tok := range strings.Fields(l[rel : rel+open]) {
		if tok[0] != '!' && tok[0] != '&' {
			return fmt.Errorf("%w: cannot replace the empty list on line %d; write \"decisions:\" and the entries below it", errNotEditable, seq.Line)
		}
	}
	inner := strings.TrimLeft(l[rel+open+1:], " \t")
	if !strings.HasPrefix(inner, "]") {
		return fmt.Errorf("%w: the empty list on line %d spans lines; write \"decisions:\" and the entries below it", errNotEditable, seq.Line)
	}
	end := start + (len(l[rel:]) - len(inner)) + 1
	var dash int
	switch k := e.lay.declKey; {
	case k == nil: // the bare list form
		dash = seq.Column
		if !e.indentOK(seq.Line, dash) {
			return fmt.Errorf("%w: the list on line %d is not indented with spaces", errNotEditable, seq.Line)
		}
	case !e.indentOK(k.Line, k.Column):
		return fmt.Errorf("%w: the decisions key is not indented with spaces", errNotEditable)
	default:
		dash = k.Column + 2
	}
	e.removeToken(seq.Line, start, end)
	e.insertAfter(seq.Line, e.renderEntry(d, dash, dash+2))
	return nil
}

// update edits the entry ent, which holds old, so that it holds merged.
func (e *editor) update(ent *entry, old, merged *Decision) error {
	n := ent.node
	if n.Style&yaml.FlowStyle != 0 {
		return fmt.Errorf("%w: the decision on line %d is written in flow style ({…}); write it as a block (one key per line)", errNotEditable, n.Line)
	}
	for _, name := range []string{"status", "justification", "reason", "severity", "expires", "ticket"} {
		oldText, _ := fieldText(old, name)
		text, present := fieldText(merged, name)
		if oldText == text {
			continue
		}
		fl := ent.field(name)
		var err error
		switch {
		case !present && fl != nil:
			err = e.deleteField(ent, fl)
		case !present:
		case fl == nil:
			err = e.insertField(ent, name, text)
		default:
			err = e.replaceValue(fl, text)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// replaceValue replaces the value of fl with text.
func (e *editor) replaceValue(fl *field, text string) error {
	v := fl.value
	if v.Kind != yaml.ScalarNode {
		return fmt.Errorf("%w: %s on line %d is not a single value", errNotEditable, fl.name, v.Line)
	}
	sp, err := e.valueSpan(fl.key, v)
	if err != nil {
		return err
	}
	switch {
	case !sp.onLine && v.Tag == "!!null" && v.Value == "":
		// "key:" with nothing after it: write the value after the colon.
		e.replace(sp.start, sp.start, " "+text)
	case !sp.onLine:
		// The value starts on a later line: replace it through its end.
		start, ok := e.pos(v.Line, v.Column)
		if !ok || fl.end < v.Line || e.lineOf(start) != v.Line {
			return fmt.Errorf("%w: cannot find the value of %s on line %d", errNotEditable, fl.name, v.Line)
		}
		if strings.TrimSpace(e.src[e.offs[v.Line-1]:start]) != "" {
			return fmt.Errorf("%w: the value of %s on line %d has a tag or anchor; edit it by hand", errNotEditable, fl.name, v.Line)
		}
		e.replace(start, e.contentEnd(fl.end), text)
	case sp.end < 0:
		// A value over several lines: replace it through its last line.
		e.replace(sp.start, e.contentEnd(fl.end), text)
	default:
		if sp.end < e.contentEnd(fl.key.Line) && e.src[sp.end] != ' ' && e.src[sp.end] != '\t' {
			// A comment right after a quote ("x"# c) must stay apart.
			text += " "
		}
		e.replace(sp.start, sp.end, text)
	}
	return nil
}

// span is where a value's text is, tag and anchor included.
type span struct {
	start, end int  // end < 0: the value goes on past the key's line
	onLine     bool // false: nothing follows the colon on the key's line; start is just after the colon
}

// valueSpan finds the value v of key k on the key's line: from the first
// character after the colon to the end of the value.
func (e *editor) valueSpan(k, v *yaml.Node) (span, error) {
	kstart, ok := e.pos(k.Line, k.Column)
	if !ok {
		return span{}, fmt.Errorf("%w: cannot find %s on line %d", errNotEditable, k.Value, k.Line)
	}
	kend, ok := e.scalarEnd(k, kstart, kstart)
	lineEnd := e.contentEnd(k.Line)
	rest := e.src[kend:lineEnd]
	trimmed := strings.TrimLeft(rest, " \t")
	if !ok || !strings.HasPrefix(trimmed, ":") {
		return span{}, fmt.Errorf("%w: cannot find the colon after %s on line %d", errNotEditable, k.Value, k.Line)
	}
	colon := kend + len(rest) - len(trimmed)
	q := colon + 1
	for q < lineEnd && (e.src[q] == ' ' || e.src[q] == '\t') {
		q++
	}
	if q == lineEnd || e.src[q] == '#' {
		return span{start: colon + 1}, nil
	}
	sp := span{start: q, end: -1, onLine: true}
	if v.Line != k.Line {
		// Only a tag or an anchor on the key's line, the value below.
		return span{}, fmt.Errorf("%w: the value of %s on line %d starts on the next line after a tag or anchor; edit it by hand", errNotEditable, k.Value, k.Line)
	}
	if vs, ok := e.pos(v.Line, v.Column); ok && vs >= q && vs <= lineEnd {
		if end, ok := e.scalarEnd(v, vs, q); ok {
			sp.end = end
		} else if v.Value == "" && v.Style == 0 {
			// Only a tag or an anchor: "key: !".
			if end, ok := e.scalarEnd(v, q, q); ok {
				sp.end = end
			}
		}
	}
	return sp, nil
}

// lineOf returns the line holding byte offset off.
func (e *editor) lineOf(off int) int {
	n, _ := slices.BinarySearch(e.offs, off+1)
	return n
}

// insertField adds "name: text" to ent after the field that precedes name
// in the usual key order, or after the last field.
func (e *editor) insertField(ent *entry, name, text string) error {
	rank := slices.Index(entryKeys, name)
	var after *field
	for i := range ent.fields {
		f := &ent.fields[i]
		if r := slices.Index(entryKeys, f.name); r < rank && (after == nil || r > slices.Index(entryKeys, after.name)) {
			after = f
		}
	}
	if after == nil && len(ent.fields) > 0 {
		after = &ent.fields[len(ent.fields)-1]
	}
	col := ent.node.Column
	if after == nil || !e.indentOK(ent.node.Line, col) {
		return fmt.Errorf("%w: the decision on line %d is not indented with spaces", errNotEditable, ent.node.Line)
	}
	e.insertAfter(after.end, spaces(col-1)+name+": "+text+e.nl)
	return nil
}

// deleteField removes the lines of fl, which must start a line.
func (e *editor) deleteField(ent *entry, fl *field) error {
	k := fl.key
	l := e.line(k.Line)
	start, ok := e.pos(k.Line, k.Column)
	if !ok || strings.TrimLeft(l[:start-e.offs[k.Line-1]], " ") != "" || fl.end < k.Line {
		return fmt.Errorf("%w: remove %s from the decision on line %d by hand", errNotEditable, fl.name, ent.node.Line)
	}
	end := len(e.src)
	if fl.end < len(e.offs) {
		end = e.offs[fl.end]
	}
	e.replace(e.offs[k.Line-1], end, "")
	return nil
}

// scalarEnd finds where the one-line scalar n starting at byte start ends.
// The text from byte from (start, or before a tag or anchor) to there must
// read back as n. It reports false for a scalar over several lines, a
// block scalar, or a text that does not read back as n.
func (e *editor) scalarEnd(n *yaml.Node, start, from int) (int, bool) {
	if n.Kind != yaml.ScalarNode || n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return 0, false
	}
	lineEnd := e.contentEnd(n.Line)
	if start > lineEnd {
		return 0, false
	}
	s := e.src[start:lineEnd]
	end := -1
	switch {
	case strings.HasPrefix(s, `"`):
		for i := 1; i < len(s); i++ {
			if s[i] == '\\' {
				i++
			} else if s[i] == '"' {
				end = i + 1
				break
			}
		}
	case strings.HasPrefix(s, "'"):
		for i := 1; i < len(s); i++ {
			if s[i] == '\'' {
				if i+1 < len(s) && s[i+1] == '\'' {
					i++
					continue
				}
				end = i + 1
				break
			}
		}
	default:
		end = len(s)
		for i := 1; i < len(s); i++ {
			if s[i] == '#' && (s[i-1] == ' ' || s[i-1] == '\t') {
				end = i
				break
			}
		}
		// In a flow collection, or before the colon of a key, a plain
		// scalar stops earlier; the text is trimmed until it reads back.
		for end > 0 && (s[end-1] == ' ' || s[end-1] == '\t') {
			end--
		}
		if i := strings.Index(s[:end], ": "); i >= 0 || strings.HasSuffix(s[:end], ":") {
			if i < 0 {
				i = end - 1
			}
			end = i
		}
	}
	if end <= 0 {
		return 0, false
	}
	text := e.src[from : start+end]
	if v, ok := parseValue("k: " + text); !ok || v.Kind != yaml.ScalarNode || v.Value != n.Value || v.Tag != n.Tag {
		return 0, false
	}
	return start + end, true
}

// mappingForm renders a new file holding d.
func (e *editor) mappingForm(d *Decision) string {
	return fmt.Sprintf("schemaVersion: %d", SchemaVersion) + e.nl + "decisions:" + e.nl + e.renderEntry(d, 3, 5)
}

// renderEntry renders d as a block entry with its "-" at character column
// dash and its keys at column key (1-based).
func (e *editor) renderEntry(d *Decision, dash, key int) string {
	var b strings.Builder
	for i, name := range entryKeys {
		text, ok := fieldText(d, name)
		if !ok {
			continue
		}
		if i == 0 {
			b.WriteString(spaces(dash-1) + "-" + spaces(key-dash-1))
		} else {
			b.WriteString(spaces(key - 1))
		}
		b.WriteString(name + ": " + text + e.nl)
	}
	return b.String()
}

// fieldText renders the value of one key of d as YAML, and whether d has
// it at all.
func fieldText(d *Decision, name string) (string, bool) {
	switch name {
	case "id":
		return scalarText(d.ID), true
	case "packages":
		return listText(d.Packages, false), len(d.Packages) > 0
	case "images":
		return listText(d.Images, true), len(d.Images) > 0
	case "status":
		return scalarText(string(d.Status)), d.Status != ""
	case "justification":
		return scalarText(d.Justification), d.Justification != ""
	case "reason":
		return scalarText(d.Reason), d.Reason != ""
	case "severity":
		return d.Severity.String(), true
	case "expires":
		if d.Expires.IsZero() {
			return "", false
		}
		return d.Expires.Format(time.DateOnly), true
	case "ticket":
		return scalarText(d.Ticket), d.Ticket != ""
	}
	return "", false
}

// scalarText writes s plain when that reads back as the same string, else
// double-quoted. Go's quoting of valid UTF-8 is valid YAML.
func scalarText(s string) string {
	if plainOK(s, "k: ", "") {
		return s
	}
	return strconv.Quote(s)
}

// listText writes a flow list. Globs are always quoted, as people expect
// of globs; other items only when they must be.
func listText(items []string, globs bool) string {
	parts := make([]string, len(items))
	for i, s := range items {
		if !globs && plainOK(s, "k: [", "]") {
			parts[i] = s
		} else {
			parts[i] = strconv.Quote(s)
		}
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// plainOK reports whether s, written plain between prefix and suffix,
// reads back as the string s.
func plainOK(s, prefix, suffix string) bool {
	if s == "" || strings.TrimSpace(s) != s || strings.ContainsAny(s, "\n\r\t#") {
		return false
	}
	v, ok := parseValue(prefix + s + suffix)
	if ok && v.Kind == yaml.SequenceNode && len(v.Content) == 1 {
		v = v.Content[0]
	}
	return ok && v.Kind == yaml.ScalarNode && v.Tag == "!!str" && v.Style == 0 && v.Value == s
}

// parseValue parses "k: …" and returns the value of k.
func parseValue(src string) (v *yaml.Node, ok bool) {
	defer func() {
		if recover() != nil {
			v, ok = nil, false
		}
	}()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil || len(doc.Content) != 1 {
		return nil, false
	}
	m := doc.Content[0]
	if m.Kind != yaml.MappingNode || len(m.Content) != 2 || m.Content[0].Value != "k" {
		return nil, false
	}
	return m.Content[1], true
}

func spaces(n int) string { return strings.Repeat(" ", max(n, 0)) }
