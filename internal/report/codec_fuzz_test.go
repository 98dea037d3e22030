package report

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzLedgerCodec decodes arbitrary bytes as a ledger. Whatever decodes
// must encode back to the same bytes, and normalizing it must be
// idempotent.
func FuzzLedgerCodec(f *testing.F) {
	header := `{"schemaVersion":1,"image":"registry.example/app:1","os":{"family":"debian","version":"12.5"}}` + "\n"
	for _, s := range []string{
		"",
		"\n",
		header,
		`{"schemaVersion":1,"image":"app"}` + "\n",
		`{"schemaVersion":2,"image":"app"}` + "\n",
		`{"schemaVersion":1,"image":""}` + "\n",
		header + `{"id":"CVE-2024-0001","type":"deb","pkg":"bash","versions":["5.2-1"],"fixed":["5.2-2"],"fixState":"fixed","severity":"HIGH","severitySource":"nvd","cvss":{"score":9.8,"vector":"CVSS:3.1/AV:N","source":"nvd"},"title":"bash: a bug","url":"https://example.com/CVE-2024-0001","published":"2024-02-03"}` + "\n",
		header + `{"id":"CVE-2024-0001","aliases":["GHSA-aaaa-bbbb-cccc"],"type":"pypi","pkg":"flask-login","paths":["a","b"],"fixState":"unknown","severity":"UNKNOWN","suppressed":"vex"}` + "\n" +
			`{"id":"CVE-2024-0002","type":"pypi","pkg":"flask-login","fixState":"not-fixed","severity":"LOW"}` + "\n",
		header + `{"id":"CVE-1","type":"npm","pkg":"a","fixState":"fixed","severity":"LOW"}` + "\n" + `{"id":"CVE-0","type":"npm","pkg":"a","fixState":"fixed","severity":"LOW"}` + "\n",
		header + `{"id":"GHSA-x","aliases":["CVE-2"],"type":"npm","pkg":"a","fixState":"wont-fix","severity":"CRITICAL","title":"` + strings.Repeat("a ", 300) + `"}` + "\n",
		header + `{"id":"CVE-1","type":"npm","pkg":"a","fixState":"fixed","severity":"LOW","extra":1}` + "\n",
		header + `{"id":"CVE-1","type":"npm","pkg":"a","fixState":"fixed","severity":"LOW"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		r, err := Decode(bytes.NewReader(in))
		if err != nil {
			if r != nil {
				t.Fatalf("a report came with the error %v", err)
			}
			return
		}
		enc := encodeLedger(t, r)
		back, err := Decode(bytes.NewReader(enc))
		if err != nil {
			t.Fatalf("decoding what Encode wrote: %v\n%s", err, enc)
		}
		if again := encodeLedger(t, back); !bytes.Equal(again, enc) {
			t.Fatalf("encode → decode → encode changed the ledger:\n%s\n%s", enc, again)
		}

		r.Normalize()
		once := encodeLedger(t, r)
		r.Normalize()
		if twice := encodeLedger(t, r); !bytes.Equal(once, twice) {
			t.Fatalf("normalizing twice changed the ledger:\n%s\n%s", once, twice)
		}
		back, err = Decode(bytes.NewReader(once))
		if err != nil {
			t.Fatalf("decoding a normalized ledger: %v\n%s", err, once)
		}
		if again := encodeLedger(t, back); !bytes.Equal(again, once) {
			t.Fatalf("encode → decode → encode changed the normalized ledger:\n%s\n%s", once, again)
		}
	})
}

func encodeLedger(t *testing.T, r *Report) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Encode(&b, r); err != nil {
		t.Fatalf("Encode: %v", err)
	}
	return b.Bytes()
}
