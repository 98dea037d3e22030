package render

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
)

// TestAppendChangeMatchesEncoder: the hand-written writer gives exactly the
// bytes encoding/json writes, for random changes including hostile text.
func TestAppendChangeMatchesEncoder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	texts := []string{"", "CVE-2024-1", "a\"b\\c", "<script>&", "line\nbreak\ttab\r", "\x00\x1f\x7f", "\u2028\u2029", "caf\xc3\xa9", "bad \xff utf8", "emoji 😀"}
	pick := func() string { return texts[rng.IntN(len(texts))] }
	pickList := func() []string {
		n := rng.IntN(3)
		l := []string{}
		for range n {
			l = append(l, pick())
		}
		return l
	}
	for i := range 2000 {
		c := jsonChange{Class: pick(), ID: pick(), Aliases: pickList(), Type: pick(), Pkg: pick(), Severity: pick(),
			Versions: pickList(), Fixed: pickList(), NeedsReview: rng.IntN(2) == 0, Title: pick(), URL: pick()}
		if rng.IntN(2) == 0 {
			s := pick()
			c.PreviousSeverity = &s
		}
		if rng.IntN(3) == 0 {
			c.Why = pick()
		}
		if rng.IntN(2) == 0 {
			d := &jsonDecision{ID: pick(), Status: pick(), Justification: pick(), Reason: pick(), Severity: pick(), Ticket: pick()}
			if rng.IntN(2) == 0 {
				e := pick()
				d.Expires = &e
			}
			c.Decision = d
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		enc.SetIndent("        ", "  ")
		if err := enc.Encode(c); err != nil {
			t.Fatal(err)
		}
		got := appendChange(nil, &c, "        ")
		if w := bytes.TrimSuffix(want.Bytes(), []byte("\n")); !bytes.Equal(got, w) {
			t.Fatalf("change %d differs:\ngot  %q\nwant %q", i, got, w)
		}
	}
}
