package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"runtime"
	"testing"

	"github.com/cvetrail/cvetrail/internal/diff"
	"github.com/cvetrail/cvetrail/internal/report"
)

// TestJSONManyChanges checks that the changes of an image with many, written
// on several cores, come out as on one core, in order, each once.
func TestJSONManyChanges(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	const n = 2*parallelChanges + 3*changesRun + 17
	cs := make([]diff.Change, n)
	for i := range cs {
		f := &report.Finding{ID: fmt.Sprintf("CVE-2024-%06d", i), Type: "deb", Pkg: "openssl", Versions: []string{"1.0"}, Severity: report.High}
		cs[i] = diff.Change{Class: diff.New, Image: "app", Key: f.Key(), Finding: f, NeedsReview: true, Why: "new"}
	}
	r := diff.Result{NeedsReview: true, Images: []diff.ImageDiff{{Image: "app", Changes: cs}, {Image: "small", Changes: cs[:3]}}}
	render := func(procs int) []byte {
		runtime.GOMAXPROCS(procs)
		var b bytes.Buffer
		if err := JSON(&b, r); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	want := render(1)
	var doc struct {
		Images []struct {
			Image   string `json:"image"`
			Changes []struct {
				ID string `json:"id"`
			} `json:"changes"`
		} `json:"images"`
	}
	if err := json.Unmarshal(want, &doc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if len(doc.Images) != 2 || len(doc.Images[0].Changes) != n || len(doc.Images[1].Changes) != 3 {
		t.Fatalf("images %d, changes %d: want 2 and %d", len(doc.Images), len(doc.Images[0].Changes), n)
	}
	for i, c := range doc.Images[0].Changes {
		if c.ID != cs[i].Finding.ID {
			t.Fatalf("change %d is %s, want %s", i, c.ID, cs[i].Finding.ID)
		}
	}
	for _, procs := range []int{2, 3, 8} {
		if got := render(procs); !bytes.Equal(got, want) {
			t.Fatalf("GOMAXPROCS %d: the document differs from the one written on one core", procs)
		}
	}
}
