package trivy

import (
	"bytes"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
)

func expData(b *testing.B) []byte {
	var buf bytes.Buffer
	if err := genReport(&buf, 8<<20, 1); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

func BenchmarkExpSkipJsontext(b *testing.B) {
	data := expData(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		d := jsontext.NewDecoder(bytes.NewReader(data), jsontext.AllowDuplicateNames(true))
		if err := d.SkipValue(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkExpSkipScanner(b *testing.B) {
	data := expData(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		s, _ := newScanner(bytes.NewReader(data))
		if err := s.skip(); err != nil {
			b.Fatal(err)
		}
	}
}
