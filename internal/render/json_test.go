package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cvetrail/cvetrail/internal/diff"
	"github.com/cvetrail/cvetrail/internal/report"
)

// The JSON contract, written out independently of the encoder: decoding
// the output into it strictly fails on any field added or renamed without
// updating this mirror (and the documentation), and the key check below
// fails on any field dropped.
type contract struct {
	SchemaVersion int  `json:"schemaVersion"`
	NeedsReview   bool `json:"needsReview"`
	Images        []struct {
		Image   string `json:"image"`
		Changes []struct {
			Class            string   `json:"class"`
			ID               string   `json:"id"`
			Aliases          []string `json:"aliases"`
			Type             string   `json:"type"`
			Pkg              string   `json:"pkg"`
			Severity         string   `json:"severity"`
			PreviousSeverity *string  `json:"previousSeverity"`
			Versions         []string `json:"versions"`
			Fixed            []string `json:"fixed"`
			NeedsReview      bool     `json:"needsReview"`
			Why              string   `json:"why"`
			Decision         *struct {
				ID            string  `json:"id"`
				Status        string  `json:"status"`
				Justification string  `json:"justification"`
				Reason        string  `json:"reason"`
				Severity      string  `json:"severity"`
				Expires       *string `json:"expires"`
				Ticket        string  `json:"ticket"`
			} `json:"decision"`
			Title string `json:"title"`
			URL   string `json:"url"`
		} `json:"changes"`
	} `json:"images"`
	Decisions []struct {
		Class    string   `json:"class"`
		ID       string   `json:"id"`
		Packages []string `json:"packages"`
		Images   []string `json:"images"`
		Status   string   `json:"status"`
		Reason   string   `json:"reason"`
		Line     int      `json:"line"`
	} `json:"decisions"`
	Summary map[string]int `json:"summary"`
}

var (
	topKeys      = []string{"decisions", "images", "needsReview", "schemaVersion", "summary"}
	imageKeys    = []string{"changes", "image"}
	changeKeys   = []string{"aliases", "class", "decision", "fixed", "id", "needsReview", "pkg", "previousSeverity", "severity", "title", "type", "url", "versions"}
	decisionKeys = []string{"expires", "id", "justification", "reason", "severity", "status", "ticket"}
	staleKeys    = []string{"class", "id", "images", "line", "packages", "reason", "status"}
	summaryKeys  = []string{"escalated", "expired", "fix-available", "new", "new-acknowledged", "resolved", "severity-changed", "stale-decision", "updated"}
)

func keys(t *testing.T, what string, v any, want []string, optional ...string) {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%s is %T, not an object", what, v)
	}
	var got []string
	for k := range m {
		if !slices.Contains(optional, k) {
			got = append(got, k)
		}
	}
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s keys (-want +got):\n%s", what, diff)
	}
}

func TestJSONContract(t *testing.T) {
	r := sample(t)
	var b bytes.Buffer
	if err := JSON(&b, r); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b.Bytes()))
	dec.DisallowUnknownFields()
	var c contract
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("the output does not match the contract: %v", err)
	}
	if c.SchemaVersion != 1 || !c.NeedsReview {
		t.Errorf("schemaVersion %d, needsReview %v", c.SchemaVersion, c.NeedsReview)
	}
	// Every change and image of the result is there, in order.
	var want, got []string
	for _, d := range r.Images {
		for _, ch := range d.Changes {
			want = append(want, d.Image+" "+string(ch.Class)+" "+ch.Key.String())
		}
	}
	for _, img := range c.Images {
		for _, ch := range img.Changes {
			got = append(got, img.Image+" "+ch.Class+" "+ch.ID+" "+ch.Type+"/"+ch.Pkg)
			if ch.NeedsReview && ch.Why == "" {
				t.Errorf("%s %s needs review without why", ch.Class, ch.ID)
			}
			if ch.Aliases == nil || ch.Versions == nil || ch.Fixed == nil {
				t.Errorf("%s %s: null arrays", ch.Class, ch.ID)
			}
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("changes (-result +json):\n%s", diff)
	}
	wantSummary := map[string]int{}
	for cl, n := range r.Summary {
		wantSummary[string(cl)] = n
	}
	if diff := cmp.Diff(wantSummary, c.Summary); diff != "" {
		t.Errorf("summary (-result +json):\n%s", diff)
	}
	if len(c.Decisions) != 1 || c.Decisions[0].Class != "stale-decision" || c.Decisions[0].ID != "CVE-2020-1234" {
		t.Errorf("decisions: %+v", c.Decisions)
	}

	// No field of the contract is missing.
	var doc map[string]any
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	keys(t, "document", doc, topKeys)
	keys(t, "summary", doc["summary"], summaryKeys)
	sawDecision, sawPrevious := false, false
	for _, img := range doc["images"].([]any) {
		keys(t, "image", img, imageKeys)
		for _, ch := range img.(map[string]any)["changes"].([]any) {
			m := ch.(map[string]any)
			keys(t, "change", m, changeKeys, "why")
			if d, ok := m["decision"].(map[string]any); ok {
				sawDecision = true
				keys(t, "decision", d, decisionKeys)
			}
			sawPrevious = sawPrevious || m["previousSeverity"] != nil
		}
	}
	if !sawDecision || !sawPrevious {
		t.Errorf("the sample lacks a decision (%v) or a previous severity (%v)", sawDecision, sawPrevious)
	}
	for _, s := range doc["decisions"].([]any) {
		keys(t, "stale decision", s, staleKeys)
	}
}

func TestJSONNothing(t *testing.T) {
	r, err := diff.Compare(nil, nil, nil, diff.Policy{}, now)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := JSON(&b, r); err != nil {
		t.Fatal(err)
	}
	want := `{
  "schemaVersion": 1,
  "needsReview": false,
  "images": [],
  "decisions": [],
  "summary": {
    "new": 0,
    "new-acknowledged": 0,
    "escalated": 0,
    "expired": 0,
    "severity-changed": 0,
    "fix-available": 0,
    "updated": 0,
    "resolved": 0,
    "stale-decision": 0
  }
}
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("empty diff (-want +got):\n%s", diff)
	}
}

// TestJSONIsOneDocument checks the streamed output against encoding/json's
// own rendering of the same value: the same bytes once re-indented.
func TestJSONIsOneDocument(t *testing.T) {
	var b bytes.Buffer
	if err := JSON(&b, sample(t)); err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	var compact, reindented bytes.Buffer
	if err := json.Compact(&compact, b.Bytes()); err != nil {
		t.Fatal(err)
	}
	if err := json.Indent(&reindented, compact.Bytes(), "", "  "); err != nil {
		t.Fatal(err)
	}
	if got := b.String(); got != reindented.String()+"\n" {
		t.Errorf("the output is not indented as encoding/json indents:\n%s", got)
	}
	if strings.Count(b.String(), "\n}\n") != 1 {
		t.Error("not a single document")
	}
}

// errWriter fails every write.
type errWriter struct{}

func (errWriter) Write([]byte) (int, error) { return 0, errWrite }

var errWrite = errors.New("disk full")

func TestWriteErrors(t *testing.T) {
	r := sample(t)
	for name, err := range map[string]error{
		"json":     JSON(errWriter{}, r),
		"table":    Table(errWriter{}, r, false),
		"markdown": Markdown(errWriter{}, r, sampleMeta, GitHubLimit),
	} {
		if !errors.Is(err, errWrite) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

// TestJSONKeepsMarkupCharacters checks that "<", ">" and "&" in untrusted
// text are written as they are, not as \u003c escapes, and that the
// document still decodes to the same text.
func TestJSONKeepsMarkupCharacters(t *testing.T) {
	const text = `glibc: <GLIBC_TUNABLES> & "ld.so" overflow`
	const url = "https://tracker.example/?q=CVE-2023-4911&lang=en"
	head := map[string]*report.Report{"app": rep("app", nil, fnd("CVE-2023-4911", "deb", "libc6", report.High, title(text), link(url)))}
	r, err := diff.Compare(nil, head, nil, diff.Policy{}, now)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := JSON(&b, r); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{`"title": "glibc: <GLIBC_TUNABLES> & \"ld.so\" overflow"`, `"url": "` + url + `"`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
	var c contract
	if err := json.Unmarshal(b.Bytes(), &c); err != nil {
		t.Fatal(err)
	}
	if got := c.Images[0].Changes[0]; got.Title != text || got.URL != url {
		t.Errorf("decoded title %q, url %q", got.Title, got.URL)
	}
}
