package triage

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/cvetrail/cvetrail/internal/report"
)

// SchemaVersion is the version of the decisions file format that Load reads
// and Upsert writes.
const SchemaVersion = 1

// File is a loaded decisions file.
type File struct {
	Path      string     // as given to Load; used in messages and for git blame
	Decisions []Decision // in file order

	// byID indexes Decisions by upper-cased id. It is built by Load and is
	// used only while Decisions is still the slice it was built for.
	byID    map[string][]int
	indexed []Decision
}

// Problem is one thing wrong in a decisions file.
type Problem struct {
	Path string
	Line int // 0 when the problem is not tied to a line
	Msg  string
}

// Error renders p as "path:line: msg".
func (p Problem) Error() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.Path, p.Line, p.Msg)
	}
	return p.Path + ": " + p.Msg
}

// InvalidError lists every problem Load found in a decisions file, in line
// order. Its message has one problem per line.
type InvalidError struct {
	Problems []Problem
}

func (e *InvalidError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.Error()
	}
	return strings.Join(msgs, "\n")
}

// Unwrap returns the problems, so errors.As finds a Problem.
func (e *InvalidError) Unwrap() []error {
	errs := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		errs[i] = p
	}
	return errs
}

// LoadFile reads and loads the decisions file at path. An absent file
// holds no decisions and is not an error.
func LoadFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return &File{Path: path}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading decisions: %w", err)
	}
	return Load(path, data)
}

// Load parses and validates a decisions file strictly. The file is either
// a mapping with schemaVersion (required, 1) and decisions (a list), or, for
// hand-written files, a bare list of decisions, read as schema version 1. An
// empty file holds no decisions.
//
// Every problem found is reported, each with path, line and what is wrong:
// unknown or duplicate keys (with a suggestion), values of the wrong YAML
// type, a missing id, status, reason or severity, an unknown status,
// justification or severity, not_affected without a justification, a
// justification with another status, a bad expiry date, an invalid image
// glob, two decisions with the same id and scope, and an unsupported
// schemaVersion. The error is then an *InvalidError and the File is nil.
func Load(path string, data []byte) (*File, error) {
	f, _, err := load(path, data)
	return f, err
}

// form is the top-level shape of a decisions file.
type form int

const (
	formEmpty   form = iota // no document at all: empty or only comments
	formNull                // a document holding null ("---", "~")
	formMapping             // schemaVersion + decisions
	formList                // a bare list of decisions
)

// layout is where things are in a decisions file, for editing it as text.
// Lines are 1-based, as yaml.v3 reports them.
type layout struct {
	lines   []string   // the file split at "\n"; a line may end in "\r"
	root    *yaml.Node // the document's content; nil for formEmpty
	form    form
	declKey *yaml.Node // the "decisions" key of the mapping form, if present
	declVal *yaml.Node // its value
	seq     *yaml.Node // the list of decisions, if there is one
	entries []entry
}

// entry is where one decision is.
type entry struct {
	node       *yaml.Node
	start, end int
	fields     []field // in file order
}

// field is one key of an entry and its value, which ends on line end.
type field struct {
	name       string
	key, value *yaml.Node
	end        int
}

func (e *entry) field(name string) *field {
	for i := range e.fields {
		if e.fields[i].name == name {
			return &e.fields[i]
		}
	}
	return nil
}

var bom = []byte("\xef\xbb\xbf")

type loader struct {
	path  string
	lay   *layout
	probs []Problem
}

func (l *loader) addf(line int, format string, args ...any) {
	l.probs = append(l.probs, Problem{Path: l.path, Line: line, Msg: fmt.Sprintf(format, args...)})
}

func (l *loader) err() error {
	if len(l.probs) == 0 {
		return nil
	}
	slices.SortStableFunc(l.probs, func(a, b Problem) int { return a.Line - b.Line })
	return &InvalidError{Problems: l.probs}
}

var yamlLineErr = regexp.MustCompile(`(?s)^yaml: line (\d+): (.*)$`)

// syntax records a YAML syntax error as a problem.
func (l *loader) syntax(err error) {
	msg := err.Error()
	reported := 0
	if m := yamlLineErr.FindStringSubmatch(msg); m != nil {
		reported, _ = strconv.Atoi(m[1])
	}
	l.addf(l.errorLine(reported, msg), "invalid YAML: %s", yamlProblem(msg))
}

// errorLine finds the line a YAML syntax error is on. yaml.v3 reports,
// for most errors, the line where the enclosing collection starts, counted
// from zero. The parser reads from the start, so a prefix of the file
// fails with the same message once it holds the offending text, and
// usually not before: a binary search over prefixes finds that line in a
// few parses. reported is kept when no prefix reproduces the error.
func (l *loader) errorLine(reported int, msg string) int {
	lines := l.lay.lines
	want := yamlProblem(msg)
	fails := func(k int) bool {
		_, err := decodeAll(strings.Join(lines[:k], "\n"))
		return err != nil && yamlProblem(err.Error()) == want
	}
	lo, hi := max(1, reported-1), len(lines)
	if lo > hi || !fails(hi) {
		return reported
	}
	for lo < hi {
		mid := lo + (hi-lo)/2
		if fails(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// yamlProblem is a yaml.v3 error message without its "yaml: line N: ".
func yamlProblem(msg string) string {
	if m := yamlLineErr.FindStringSubmatch(msg); m != nil {
		return m[2]
	}
	return strings.TrimPrefix(msg, "yaml: ")
}

// decodeAll parses every document of src, turning a parser panic into an
// error.
func decodeAll(src string) (n int, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: the parser failed: %v", r)
		}
	}()
	dec := yaml.NewDecoder(strings.NewReader(src))
	for {
		var d yaml.Node
		if err := dec.Decode(&d); err == io.EOF {
			return n, nil
		} else if err != nil {
			return n, err
		}
		n++
	}
}

// decode reads the only document of data. A panic inside the YAML parser
// is turned into a problem: a decisions file must never crash cvetrail.
func (l *loader) decode(data []byte) (doc *yaml.Node, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			l.addf(0, "invalid YAML: the parser failed: %v", r)
			doc, ok = nil, false
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var d yaml.Node
	if err := dec.Decode(&d); err == io.EOF {
		return nil, true
	} else if err != nil {
		l.syntax(err)
		return nil, false
	}
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		l.addf(next.Line, "a second YAML document (---): a decisions file holds one")
		return nil, false
	} else if err != io.EOF {
		l.syntax(err)
		return nil, false
	}
	return &d, true
}

func load(path string, data []byte) (*File, *layout, error) {
	data = bytes.TrimPrefix(data, bom)
	l := &loader{path: path, lay: &layout{lines: strings.Split(string(data), "\n")}}
	f := &File{Path: path}
	doc, ok := l.decode(data)
	if !ok {
		return nil, nil, l.err()
	}
	if doc == nil || len(doc.Content) == 0 {
		return f, l.lay, nil
	}
	root := doc.Content[0]
	l.lay.root = root
	if !l.checkNodes(root) {
		return nil, nil, l.err()
	}
	var entries []*yaml.Node
	boundary := len(l.lay.lines) + 1
	switch root.Kind {
	case yaml.ScalarNode:
		if root.Tag != "!!null" {
			l.addf(root.Line, "a decisions file is a mapping (schemaVersion: 1, decisions: …) or a list of decisions, not a %s", kindName(root))
			return nil, nil, l.err()
		}
		l.lay.form = formNull
	case yaml.SequenceNode:
		l.lay.form = formList
		l.lay.seq = root
		entries = root.Content
	case yaml.MappingNode:
		l.lay.form = formMapping
		var ok bool
		entries, boundary, ok = l.top(root)
		if !ok {
			return nil, nil, l.err()
		}
	default:
		l.addf(root.Line, "a decisions file is a mapping (schemaVersion: 1, decisions: …) or a list of decisions, not a %s", kindName(root))
		return nil, nil, l.err()
	}

	seen := map[string]int{}
	for i, n := range entries {
		next := boundary
		if i+1 < len(entries) {
			next = entries[i+1].Line
		}
		d, e, scopeOK := l.entry(n, next)
		l.lay.entries = append(l.lay.entries, e)
		f.Decisions = append(f.Decisions, d)
		if d.ID == "" || !scopeOK {
			continue
		}
		k := scopeKey(&d)
		if first, dup := seen[k]; dup {
			l.addf(d.Line, "duplicate decision for %s with the same scope as line %d", d.ID, first)
			continue
		}
		seen[k] = d.Line
	}
	if err := l.err(); err != nil {
		return nil, nil, err
	}
	f.reindex()
	return f, l.lay, nil
}

// checkNodes refuses aliases and unusual tags anywhere in the tree.
func (l *loader) checkNodes(n *yaml.Node) bool {
	ok := true
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.AliasNode {
			l.addf(n.Line, "aliases (*%s) are not supported in a decisions file; write the value out", n.Value)
			ok = false
			return
		}
		switch n.Tag {
		case "", "!!str", "!!int", "!!float", "!!bool", "!!null", "!!timestamp", "!!map", "!!seq":
		default:
			l.addf(n.Line, "unsupported YAML tag %s", n.Tag)
			ok = false
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(n)
	return ok
}

// top reads the mapping form and returns the entries and the line that
// follows the list of decisions (the next top-level key, or the end).
func (l *loader) top(root *yaml.Node) (entries []*yaml.Node, boundary int, ok bool) {
	boundary = len(l.lay.lines) + 1
	seen := map[string]int{}
	var version *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		name, ok := l.keyName(k, seen)
		if !ok {
			continue
		}
		switch name {
		case "schemaVersion":
			version = v
		case "decisions":
			l.lay.declKey, l.lay.declVal = k, v
			if i+2 < len(root.Content) {
				boundary = root.Content[i+2].Line
			}
		default:
			l.addf(k.Line, "unknown key %q %s", name, suggest(name, topKeys))
		}
	}
	switch {
	case version == nil:
		l.addf(root.Line, "missing schemaVersion (add \"schemaVersion: %d\")", SchemaVersion)
	case version.Kind != yaml.ScalarNode || version.Tag != "!!int":
		l.addf(version.Line, "schemaVersion must be a whole number, not a %s", kindName(version))
	default:
		if n, err := strconv.Atoi(version.Value); err != nil || n != SchemaVersion {
			l.addf(version.Line, "unsupported schemaVersion %s (this cvetrail reads schemaVersion %d)", version.Value, SchemaVersion)
			return nil, 0, false
		}
	}
	if v := l.lay.declVal; v != nil {
		switch {
		case v.Kind == yaml.SequenceNode:
			l.lay.seq = v
			entries = v.Content
		case v.Kind == yaml.ScalarNode && v.Tag == "!!null":
		default:
			l.addf(v.Line, "decisions must be a list, not a %s", kindName(v))
		}
	}
	return entries, boundary, true
}

var topKeys = []string{"schemaVersion", "decisions"}

// entryKeys are the keys of a decision, in the order Upsert writes them.
var entryKeys = []string{"id", "packages", "images", "status", "justification", "reason", "severity", "expires", "ticket"}

// keyName returns the name of a mapping key, reporting a key that is not a
// plain name or that was already seen.
func (l *loader) keyName(k *yaml.Node, seen map[string]int) (string, bool) {
	if k.Kind != yaml.ScalarNode {
		l.addf(k.Line, "a key must be a name, not a %s", kindName(k))
		return "", false
	}
	if first, dup := seen[k.Value]; dup {
		l.addf(k.Line, "duplicate key %q (first at line %d)", k.Value, first)
		return "", false
	}
	seen[k.Value] = k.Line
	return k.Value, true
}

// entry reads one decision; next is the line where whatever follows it
// starts.
//
// scopeOK is false when the packages or images could not be read, so the
// decision's scope is unknown.
func (l *loader) entry(n *yaml.Node, next int) (d Decision, e entry, scopeOK bool) {
	d = Decision{Line: n.Line}
	e = entry{node: n, start: n.Line}
	e.end = max(l.lay.maxLine(n), l.lay.lastContent(n.Line, next-1, n.Column-1))
	d.EndLine = e.end
	if n.Kind != yaml.MappingNode {
		l.addf(n.Line, "a decision must be a mapping (id: …, status: …, reason: …), not a %s", kindName(n))
		return Decision{}, e, false
	}
	seen := map[string]int{}
	lines := map[string]int{} // line of each key's value
	bad := map[string]bool{}  // keys whose value had the wrong type or form
	text := func(v *yaml.Node, name string) string {
		s, ok := l.text(v, name)
		if !ok {
			bad[name] = true
		}
		return s
	}
	sevSet := false
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		name, ok := l.keyName(k, seen)
		if !ok {
			continue
		}
		fnext := e.end + 1
		if i+2 < len(n.Content) {
			fnext = n.Content[i+2].Line
		}
		e.fields = append(e.fields, field{name: name, key: k, value: v,
			end: max(l.lay.maxLine(v), l.lay.lastContent(k.Line, fnext-1, k.Column-1))})
		lines[name] = v.Line
		switch name {
		case "id":
			d.ID = text(v, name)
		case "packages", "images":
			example := map[string]string{"packages": "libssl3", "images": `"registry/app:*"`}[name]
			before := len(l.probs)
			list := l.list(v, name, example)
			if len(l.probs) > before {
				bad[name] = true
			}
			if name == "packages" {
				d.Packages = list
			} else {
				d.Images = list
			}
		case "status":
			d.Status = Status(text(v, name))
		case "justification":
			d.Justification = text(v, name)
		case "reason":
			d.Reason = text(v, name)
		case "severity":
			s := text(v, name)
			if s == "" {
				break
			}
			sevSet = true
			sev, ok := parseSeverityName(s)
			if !ok {
				l.addf(v.Line, "%s", severityProblem(s))
			}
			d.Severity = sev
		case "expires":
			s := text(v, name)
			if s == "" {
				break
			}
			t, err := time.Parse(time.DateOnly, s)
			if err != nil || !dateRE.MatchString(s) {
				l.addf(v.Line, "expires: %s is not a date (YYYY-MM-DD)", s)
				break
			}
			d.Expires = t
		case "ticket":
			d.Ticket = text(v, name)
		default:
			l.addf(k.Line, "unknown key %q %s", name, suggest(name, entryKeys))
		}
	}
	for _, p := range d.problems() {
		if !bad[p.field] {
			l.addf(lineOr(lines, p.field, n.Line), "%s", p.msg)
		}
	}
	if !sevSet && !bad["severity"] {
		l.addf(lineOr(lines, "severity", n.Line), "missing severity (the severity when decided: %s)", severityList())
	}
	return d, e, !bad["packages"] && !bad["images"]
}

var dateRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

func lineOr(lines map[string]int, name string, def int) int {
	if n, ok := lines[name]; ok {
		return n
	}
	return def
}

// text returns the text of a scalar value; null is "". It reports a value
// that is not a scalar and returns ok false.
func (l *loader) text(v *yaml.Node, name string) (s string, ok bool) {
	if v.Kind != yaml.ScalarNode {
		l.addf(v.Line, "%s must be a single value, not a %s", name, kindName(v))
		return "", false
	}
	if v.Tag == "!!null" {
		return "", true
	}
	return v.Value, true
}

// list returns the texts of a list of scalars; null is an empty list.
func (l *loader) list(v *yaml.Node, name, example string) []string {
	switch {
	case v.Kind == yaml.ScalarNode && v.Tag == "!!null":
		return nil
	case v.Kind != yaml.SequenceNode:
		l.addf(v.Line, "%s must be a list, such as %s: [%s], not a %s", name, name, example, kindName(v))
		return nil
	}
	var out []string
	for _, c := range v.Content {
		if c.Kind != yaml.ScalarNode || c.Tag == "!!null" {
			l.addf(c.Line, "%s must list names, not a %s", name, kindName(c))
			continue
		}
		out = append(out, c.Value)
	}
	return out
}

// kindName names the YAML type of n for messages.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "list"
	case yaml.MappingNode:
		return "mapping"
	case yaml.AliasNode:
		return "alias"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "null value"
		case "!!int", "!!float":
			return "number"
		case "!!bool":
			return "boolean"
		case "!!timestamp":
			return "date"
		}
		return "string"
	}
	return "document"
}

// maxLine is the last line n is known to reach: the largest line of any
// node inside it, plus the lines of a block scalar's text.
func (lay *layout) maxLine(n *yaml.Node) int {
	m := n.Line
	if n.Kind == yaml.ScalarNode && n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		m += strings.Count(n.Value, "\n")
	}
	for _, c := range n.Content {
		m = max(m, lay.maxLine(c))
	}
	return min(m, len(lay.lines))
}

// lastContent returns the last line in from..to that holds something other
// than blanks, a lone "-", a document marker, or a comment indented by
// indent spaces or less; or from. A "#" line indented deeper may be the
// text of a block scalar, so it counts.
func (lay *layout) lastContent(from, to, indent int) int {
	for n := min(to, len(lay.lines)); n > from; n-- {
		line := strings.TrimRight(lay.lines[n-1], "\r")
		s := strings.TrimLeft(line, " ")
		switch {
		case strings.TrimSpace(s) == "", s == "-", s == "...", s == "---":
			continue
		case strings.HasPrefix(s, "#") && len(line)-len(s) <= indent:
			continue
		}
		return n
	}
	return from
}

// scopeKey identifies a decision's id and scope, order-insensitively.
func scopeKey(d *Decision) string {
	return strings.ToUpper(d.ID) + "\x00" + strings.Join(nameSet(d.Packages), "\x01") + "\x00" + strings.Join(nameSet(d.Images), "\x01")
}

func nameSet(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

// sameScope reports whether a and b have the same id and the same sets of
// packages and images.
func sameScope(a, b *Decision) bool { return scopeKey(a) == scopeKey(b) }

// parseSeverityName accepts exactly the five severity names.
func parseSeverityName(s string) (report.Severity, bool) {
	for sev := report.Unknown; sev <= report.Critical; sev++ {
		if sev.String() == s {
			return sev, true
		}
	}
	return report.Unknown, false
}

func severityList() string {
	var names []string
	for sev := report.Unknown; sev <= report.Critical; sev++ {
		names = append(names, sev.String())
	}
	return strings.Join(names, ", ")
}

func severityProblem(s string) string {
	var names []string
	for sev := report.Unknown; sev <= report.Critical; sev++ {
		names = append(names, sev.String())
	}
	if sev, ok := report.ParseSeverity(s); ok {
		return fmt.Sprintf("unknown severity %q; did you mean %q? (one of %s)", s, sev.String(), severityList())
	}
	return unknownValue("severity", s, names)
}
