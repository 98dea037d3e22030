package trivy

import (
	"bytes"
	"errors"
	"io"
	"os"
	"testing"
	"testing/iotest"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/cvetrail/cvetrail/internal/report"
)

// validJSON is the oracle for the scanner: jsontext's own validation,
// with duplicate object names allowed as the scanner allows them, after
// the UTF-8 byte order mark that the scanner skips.
func validJSON(b []byte) bool {
	b = bytes.TrimPrefix(b, []byte{0xEF, 0xBB, 0xBF})
	return jsontext.Value(b).IsValid(jsontext.AllowDuplicateNames(true))
}

func isSyntaxError(err error) bool {
	var se *syntaxError
	return errors.As(err, &se)
}

// addSeeds adds the Trivy fixtures and small hand-made inputs to f.
func addSeeds(f *testing.F, add func([]byte)) {
	for _, path := range trivyFixtures(f) {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		add(b)
	}
	for _, s := range []string{
		"", " ", "null", "[]", "{}", `"x"`, "-0.5e+3", "[1,]", `{"a":}`, "\xEF\xBB\xBF[]", "\xFF\xFE[\x00]\x00",
		schema2(), schema2(osResult(vuln("CVE-1"), vuln("GHSA-xxxx-yyyy-zzzz", `"CVSS": {"ghsa": {"V3Score": 5.5}}`))),
		`[{"Target": "app (alpine 3.20.1)", "Vulnerabilities": [{"VulnerabilityID": "CVE-1", "PkgName": "musl", "FixedVersion": "1.2, 1.3"}]}]`,
		`[{"VulnerabilityID": "CVE-1", "PkgName": "Flask_Login", "Severity": "moderate", "Status": "affected"}]`,
		`[{"Target": "requirements.txt", "Vulnerabilities": [{"VulnerabilityID": "CVE-1", "PkgName": "a.b", "Title": "x\u00e9\ud83d\ude00"}]}]`,
		schema2(`{"Target": "t", "Type": "pip", "ExperimentalModifiedFindings": [{"Finding": {"VulnerabilityID": "CVE-9", "PkgName": "A_b"}, "Status": "ignored", "Type": "vulnerability"}]}`),
		`{"SchemaVersion": 2, "Results": [{"Target": "x", "Type": "jar", "Vulnerabilities": [{"VulnerabilityID": " CVE-1 ", "PkgName": "g:a", "PublishedDate": "2024-01-01T00:00:00Z", "Title": "` + string(bytes.Repeat([]byte("a "), 400)) + `"}]}]}`,
	} {
		add([]byte(s))
	}
}

// readers returns readers of b that split it differently, to catch
// mistakes at the boundaries of reads.
func readers(b []byte) []io.Reader {
	rs := []io.Reader{
		bytes.NewReader(b),
		iotest.DataErrReader(iotest.HalfReader(bytes.NewReader(b))),
	}
	if len(b) <= 8<<10 {
		// Byte by byte costs too much on large inputs, which the fuzzer
		// then takes long to minimize.
		rs = append(rs, iotest.OneByteReader(bytes.NewReader(b)))
	}
	return rs
}

func FuzzParse(f *testing.F) {
	addSeeds(f, func(b []byte) {
		f.Add(b, false)
		f.Add(b, true)
	})
	f.Fuzz(func(t *testing.T, in []byte, withType bool) {
		var opts Options
		if withType {
			opts.PkgType = "deb"
		}
		var first []byte
		var firstErr error
		rds := readers(in)
		for _, m := range modes[1:] {
			rds = append(rds, &modeReader{m, bytes.NewReader(in)})
		}
		for i, rd := range rds {
			var r *report.Report
			var err error
			if mr, ok := rd.(*modeReader); ok {
				inMode(mr.m, func() { r, err = Parse(mr.r, opts) })
			} else {
				inMode(modes[0], func() { r, err = Parse(rd, opts) })
			}
			if err != nil {
				if r != nil {
					t.Fatalf("a report came with the error %v", err)
				}
				if isSyntaxError(err) && validJSON(in) {
					t.Fatalf("syntax error %v on valid JSON", err)
				}
				if i > 0 && (firstErr == nil || err.Error() != firstErr.Error()) {
					t.Fatalf("reader %d: error %v; the whole input gave %v", i, err, firstErr)
				}
				firstErr = err
				continue
			}
			if !validJSON(in) {
				t.Fatalf("invalid JSON accepted")
			}
			if r.Image == "" {
				r.Image = "fuzz" // the ledger needs one; the caller would require --image
			}
			enc := ledger(t, r)
			if i > 0 {
				if firstErr != nil || !bytes.Equal(enc, first) {
					t.Fatalf("reader %d: a different result (%v) than the whole input", i, firstErr)
				}
				continue
			}
			first = enc

			r.Normalize()
			if again := ledger(t, r); !bytes.Equal(again, enc) {
				t.Fatalf("normalizing twice changed the ledger:\n%s\n%s", enc, again)
			}
			dec, err := report.Decode(bytes.NewReader(enc))
			if err != nil {
				t.Fatalf("decoding the ledger: %v\n%s", err, enc)
			}
			if round := ledger(t, dec); !bytes.Equal(round, enc) {
				t.Fatalf("encode → decode → encode changed the ledger:\n%s\n%s", enc, round)
			}
		}
	})
}

func ledger(t *testing.T, r *report.Report) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := report.Encode(&b, r); err != nil {
		t.Fatalf("Encode: %v", err)
	}
	return b.Bytes()
}

// modeReader marks a reader to be parsed in another mode.
type modeReader struct {
	m mode
	r io.Reader
}

func (r *modeReader) Read(b []byte) (int, error) { return r.r.Read(b) }

// FuzzScanner checks the scanner against jsontext: it accepts exactly the
// valid JSON texts, however the input is split into reads.
func FuzzScanner(f *testing.F) {
	addSeeds(f, func(b []byte) { f.Add(b) })
	f.Fuzz(func(t *testing.T, in []byte) {
		want := validJSON(in)
		for i, rd := range readers(in) {
			got, err := scanAll(rd)
			if got != want {
				t.Fatalf("reader %d: scanner says valid=%v (%v), jsontext says %v", i, got, err, want)
			}
		}
	})
}

// scanAll reports whether r holds exactly one JSON value.
func scanAll(r io.Reader) (bool, error) {
	s, err := newScanner(r)
	if err != nil {
		return false, err
	}
	if err := s.skip(); err != nil {
		return false, err
	}
	if s.peek() != 0 || s.rerr != io.EOF {
		return false, errors.New("trailing data")
	}
	return true, nil
}

// mode is a way of reading: on one goroutine, or with workers from some
// offset on, in batches small enough that even small inputs are split.
type mode struct {
	name      string
	workers   int
	batchSize int
	from      int64
}

var modes = []mode{{"sequential", 1, 256 << 10, 0}, {"batched", 3, 300, 0}, {"batched from 500", 2, 1000, 500}}

// inMode runs f with the package set to read in mode m.
func inMode(m mode, f func()) {
	w, b, from := workers, batchSize, parallelFrom
	workers, batchSize, parallelFrom = m.workers, m.batchSize, m.from
	defer func() { workers, batchSize, parallelFrom = w, b, from }()
	f()
}
