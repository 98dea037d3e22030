package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

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
	for i := range r.Findings {
		if i > 0 && compareFindings(r.Findings[i-1], r.Findings[i]) >= 0 {
			return fmt.Errorf("encoding finding %d: %s is not after %s (report not normalized)", i+1, r.Findings[i].Key(), r.Findings[i-1].Key())
		}
		if err := enc.Encode(&r.Findings[i]); err != nil {
			return fmt.Errorf("encoding finding %s: %w", r.Findings[i].Key(), err)
		}
	}
	return bw.Flush()
}

// A Decoder reads a ledger file one finding at a time, so that large ledgers
// are processed in bounded memory.
type Decoder struct {
	r      *bufio.Reader
	line   int
	header Header
	last   *Key
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
	*f = Finding{}
	if err := strictUnmarshal(b, f); err != nil {
		return fmt.Errorf("line %d: %w", d.line, err)
	}
	switch {
	case f.ID == "":
		return fmt.Errorf("line %d: finding without id", d.line)
	case f.Type == "" || f.Pkg == "":
		return fmt.Errorf("line %d: %s: finding without type or package", d.line, f.ID)
	case !f.FixState.Valid():
		return fmt.Errorf("line %d: %s: unknown fixState %q", d.line, f.ID, f.FixState)
	}
	k := f.Key()
	if d.last != nil && d.last.Compare(k) >= 0 {
		return fmt.Errorf("line %d: %s is not after %s: the ledger is not sorted", d.line, k, *d.last)
	}
	d.last = &k
	return nil
}

// Line returns the line number of the last line read.
func (d *Decoder) Line() int { return d.line }

func (d *Decoder) readLine() ([]byte, error) {
	b, err := d.r.ReadBytes('\n')
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
		var f Finding
		err := d.Next(&f)
		if err == io.EOF {
			return rep, nil
		}
		if err != nil {
			return nil, err
		}
		rep.Findings = append(rep.Findings, f)
	}
}
