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
	if err := d.fast.Decode(line, f); err != nil {
		return fmt.Errorf("line %d: %w", d.line, err)
	}
	return d.order(f.Key())
}

// A LineDecoder decodes single finding lines of a ledger with every check
// but the ledger's order, which belongs to the Decoder that read them (see
// Skip), so that lines read in one goroutine can be decoded in another.
// The zero value is ready; it is not safe for concurrent use.
type LineDecoder struct{ fast fastDecoder }

// Decode decodes one finding line.
func (ld *LineDecoder) Decode(line []byte, f *Finding) error { return ld.fast.Decode(line, f) }

// Decode decodes one finding line with every check but the order.
func (p *fastDecoder) Decode(line []byte, f *Finding) error {
	if !p.decode(line, f) {
		*f = Finding{}
		if err := strictUnmarshal(line, f); err != nil {
			return err
		}
	}
	switch {
	case f.ID == "":
		return fmt.Errorf("finding without id")
	case f.Type == "" || f.Pkg == "":
		return fmt.Errorf("%s: finding without type or package", f.ID)
	case !f.FixState.Valid():
		return fmt.Errorf("%s: unknown fixState %q", f.ID, f.FixState)
	}
	return nil
}

// Skip accepts a line returned by NextRaw without decoding it, given its
// key (from LineKey). Only the order of the ledger is checked; a caller
// skips only lines it knows to be byte-identical to a line it trusts
// otherwise, such as the same finding in another ledger.
func (d *Decoder) Skip(k RawKey) error { return d.orderRaw(k.ID, k.Type, k.Pkg) }

func (d *Decoder) order(k Key) error {
	if d.hasLast && d.last.compareKey(k) >= 0 {
		return fmt.Errorf("line %d: %s is not after %s: the ledger is not sorted", d.line, k, d.last)
	}
	d.last.ID = append(d.last.ID[:0], k.ID...)
	d.last.Type = append(d.last.Type[:0], k.Type...)
	d.last.Pkg = append(d.last.Pkg[:0], k.Pkg...)
	d.hasLast = true
	return nil
}

func (d *Decoder) orderRaw(id, typ, pkg []byte) error {
	k := RawKey{ID: id, Type: typ, Pkg: pkg}
	if d.hasLast && d.last.Compare(k) >= 0 {
		return fmt.Errorf("line %d: %s is not after %s: the ledger is not sorted", d.line, k, d.last)
	}
	d.last.ID = append(d.last.ID[:0], id...)
	d.last.Type = append(d.last.Type[:0], typ...)
	d.last.Pkg = append(d.last.Pkg[:0], pkg...)
	d.hasLast = true
	return nil
}

// compareKey orders a raw key against a key without converting either.
func (k RawKey) compareKey(o Key) int {
	if c := compareBS(k.ID, o.ID); c != 0 {
		return c
	}
	if c := compareBS(k.Type, o.Type); c != 0 {
		return c
	}
	return compareBS(k.Pkg, o.Pkg)
}

func compareBS(b []byte, s string) int {
	for i := 0; i < len(b) && i < len(s); i++ {
		if b[i] != s[i] {
			if b[i] < s[i] {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(b) < len(s):
		return -1
	case len(b) > len(s):
		return 1
	}
	return 0
}

// RawKey is a Key whose parts are still bytes of a ledger line.
type RawKey struct{ ID, Type, Pkg []byte }

// Compare orders raw keys as Key.Compare orders keys.
func (k RawKey) Compare(o RawKey) int {
	if c := bytes.Compare(k.ID, o.ID); c != 0 {
		return c
	}
	if c := bytes.Compare(k.Type, o.Type); c != 0 {
		return c
	}
	return bytes.Compare(k.Pkg, o.Pkg)
}

// String renders k as Key.String does.
func (k RawKey) String() string { return string(k.ID) + " " + string(k.Type) + "/" + string(k.Pkg) }

// LineKey reads the key of a ledger line in the layout Encode writes, and
// the raw aliases array (nil when there is none), without decoding the
// rest; the key's bytes are the line's. ok is false for any line not in that exact layout, or holding an
// escape in those fields: decode such a line instead.
func LineKey(line []byte) (k RawKey, aliases []byte, ok bool) {
	rest, ok := bytes.CutPrefix(line, []byte(`{"id":"`))
	if !ok {
		return RawKey{}, nil, false
	}
	id, rest, ok := plainString(rest)
	if !ok {
		return RawKey{}, nil, false
	}
	if r, found := bytes.CutPrefix(rest, []byte(`,"aliases":[`)); found {
		end := bytes.IndexByte(r, ']')
		if end < 0 || bytes.IndexByte(r[:end], '\\') >= 0 {
			return RawKey{}, nil, false
		}
		aliases, rest = r[:end], r[end+1:]
	}
	rest, ok = bytes.CutPrefix(rest, []byte(`,"type":"`))
	if !ok {
		return RawKey{}, nil, false
	}
	typ, rest, ok := plainString(rest)
	if !ok {
		return RawKey{}, nil, false
	}
	rest, ok = bytes.CutPrefix(rest, []byte(`,"pkg":"`))
	if !ok {
		return RawKey{}, nil, false
	}
	pkg, _, ok := plainString(rest)
	if !ok || len(id) == 0 || len(typ) == 0 || len(pkg) == 0 || line[len(line)-1] != '}' {
		return RawKey{}, nil, false
	}
	return RawKey{ID: id, Type: typ, Pkg: pkg}, aliases, true
}

// plainString returns the string up to the next quote, refusing escapes.
func plainString(b []byte) (s, rest []byte, ok bool) {
	end := bytes.IndexByte(b, '"')
	if end < 0 || bytes.IndexByte(b[:end], '\\') >= 0 {
		return nil, nil, false
	}
	return b[:end], b[end+1:], true
}
