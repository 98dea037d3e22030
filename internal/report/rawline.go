package report

import (
	"bytes"
	"fmt"
)

// NextRaw returns the next finding line of the ledger, without its newline
// and undecoded. The slice is valid until the next call. A line returned by
// NextRaw must be passed to DecodeRaw or Skip, so that the ledger's order is
// still checked.
func (d *Decoder) NextRaw() ([]byte, error) { return d.readLine() }

// DecodeRaw decodes a line returned by NextRaw with every check of Next.
func (d *Decoder) DecodeRaw(line []byte, f *Finding) error {
	if !d.fast.decode(line, f) {
		*f = Finding{}
		if err := strictUnmarshal(line, f); err != nil {
			return fmt.Errorf("line %d: %w", d.line, err)
		}
	}
	switch {
	case f.ID == "":
		return fmt.Errorf("line %d: finding without id", d.line)
	case f.Type == "" || f.Pkg == "":
		return fmt.Errorf("line %d: %s: finding without type or package", d.line, f.ID)
	case !f.FixState.Valid():
		return fmt.Errorf("line %d: %s: unknown fixState %q", d.line, f.ID, f.FixState)
	}
	return d.order(f.Key())
}

// Skip accepts a line returned by NextRaw without decoding it, given its
// key (from LineKey). Only the order of the ledger is checked; a caller
// skips only lines it knows to be byte-identical to a line it trusts
// otherwise, such as the same finding in another ledger.
func (d *Decoder) Skip(k Key) error { return d.order(k) }

func (d *Decoder) order(k Key) error {
	if d.hasLast && d.last.Compare(k) >= 0 {
		return fmt.Errorf("line %d: %s is not after %s: the ledger is not sorted", d.line, k, d.last)
	}
	d.last, d.hasLast = k, true
	return nil
}

// LineKey reads the key of a ledger line in the layout Encode writes, and
// the raw aliases array (nil when there is none), without decoding the
// rest. ok is false for any line not in that exact layout, or holding an
// escape in those fields: decode such a line instead.
func LineKey(line []byte) (k Key, aliases []byte, ok bool) {
	rest, ok := bytes.CutPrefix(line, []byte(`{"id":"`))
	if !ok {
		return Key{}, nil, false
	}
	id, rest, ok := plainString(rest)
	if !ok {
		return Key{}, nil, false
	}
	if r, found := bytes.CutPrefix(rest, []byte(`,"aliases":[`)); found {
		end := bytes.IndexByte(r, ']')
		if end < 0 || bytes.IndexByte(r[:end], '\\') >= 0 {
			return Key{}, nil, false
		}
		aliases, rest = r[:end], r[end+1:]
	}
	rest, ok = bytes.CutPrefix(rest, []byte(`,"type":"`))
	if !ok {
		return Key{}, nil, false
	}
	typ, rest, ok := plainString(rest)
	if !ok {
		return Key{}, nil, false
	}
	rest, ok = bytes.CutPrefix(rest, []byte(`,"pkg":"`))
	if !ok {
		return Key{}, nil, false
	}
	pkg, _, ok := plainString(rest)
	if !ok || len(id) == 0 || len(typ) == 0 || len(pkg) == 0 || line[len(line)-1] != '}' {
		return Key{}, nil, false
	}
	return Key{ID: string(id), Type: string(typ), Pkg: string(pkg)}, aliases, true
}

// plainString returns the string up to the next quote, refusing escapes.
func plainString(b []byte) (s, rest []byte, ok bool) {
	end := bytes.IndexByte(b, '"')
	if end < 0 || bytes.IndexByte(b[:end], '\\') >= 0 {
		return nil, nil, false
	}
	return b[:end], b[end+1:], true
}
