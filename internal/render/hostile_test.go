package render

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cvetrail/cvetrail/internal/diff"
	"github.com/cvetrail/cvetrail/internal/report"
)

// hostile is text a malicious advisory or package could carry.
var hostile = []string{
	"pipe | breaks | tables",
	"<script>alert(1)</script><img src=x onerror=alert(1)>",
	"ping @org/team and @someone",
	"see #123, GH-456 and org/repo#789",
	"line one\n# injected heading\n| injected | row |",
	"``` fence break\n```\n$(touch pwned)",
	"[x](javascript:alert(1)) ![i](https://evil.example/t.png) <https://evil.example>",
	"`$(touch pwned)` '; touch pwned; echo '",
	"\x1b]8;;https://evil.example\x07link\x1b]8;;\x07 \x1b[2J",
	"</details><details open><summary>fake</summary>",
	"**bold** _em_ ~~del~~ $math$",
}

func hostileResult(t *testing.T) diff.Result {
	t.Helper()
	var base, head []report.Finding
	for i, h := range hostile {
		id := "CVE-2026-" + string(rune('A'+i))
		pkgName := "pkg-" + h
		f := fnd(id, "npm", pkgName, report.Critical, title(h), versions("1.0 "+h), fixed("2.0|"+h), link("https://example.com/"+h))
		head = append(head, f)
		// Other classes carry the same text.
		g := fnd(id+"-R", "npm", pkgName, report.Low, title(h))
		base = append(base, g)
	}
	bad := fnd("CVE-2026-JS", "npm", "x", report.High, link("javascript:alert(1)"), title("js url"))
	head = append(head, bad)
	img := "registry.example/app:" + "tag'$(touch pwned)`id`"
	r, err := diff.Compare(map[string]*report.Report{img: rep(img, nil, base...)}, map[string]*report.Report{img: rep(img, nil, head...)}, nil, diff.Policy{}, now)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

var (
	mention  = regexp.MustCompile(`@[A-Za-z0-9]`)
	issueRef = regexp.MustCompile(`(#|(?i)gh-)[0-9]`)
	rawLink  = regexp.MustCompile(`(^|[^\\])\]\(`)
	linkDest = regexp.MustCompile(`\]\(https://[^ )]*\)`)
)

func TestMarkdownHostile(t *testing.T) {
	r := hostileResult(t)
	var b bytes.Buffer
	if err := Markdown(&b, r, Meta{Scanners: []string{"trivy <b>@evil</b>"}, Base: "main", Head: "x`y"}, GitHubLimit); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	inCode := false
	var fenceLine string
	for n, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "```") {
			if !inCode {
				inCode, fenceLine = true, strings.TrimSuffix(line, "sh")
			} else if line == fenceLine {
				inCode = false
			} else {
				t.Errorf("line %d: a fence inside a code block: %q", n+1, line)
			}
			continue
		}
		if inCode {
			if !strings.HasPrefix(line, "cvetrail ack ") {
				t.Errorf("line %d: not a command in the command block: %q", n+1, line)
			}
			continue
		}
		// Outside code spans nothing may be raw HTML (ours aside), a
		// mention, an issue reference or a link other than the advisories.
		text := stripCodeSpans(line)
		for _, ours := range []string{"<details>", "</details>", "<summary>", "</summary>", "<sub>", "</sub>"} {
			text = strings.ReplaceAll(text, ours, "")
		}
		for _, m := range rawLink.FindAllStringIndex(text, -1) {
			if !strings.HasPrefix(text[m[1]:], "https://example.com/") && !strings.HasPrefix(text[m[1]:], "https://avd.aquasec.com/") {
				t.Errorf("line %d: an unexpected link: %q", n+1, text[m[0]:])
			}
		}
		// Link destinations are not text: no mention or reference is
		// made from them.
		text = linkDest.ReplaceAllString(text, "](URL)")
		if strings.ContainsAny(text, "<>") {
			t.Errorf("line %d: raw HTML: %q", n+1, line)
		}
		if mention.MatchString(text) {
			t.Errorf("line %d: a mention: %q", n+1, line)
		}
		if issueRef.MatchString(text) {
			t.Errorf("line %d: an issue reference: %q", n+1, line)
		}
		if strings.Contains(text, "javascript:alert") && !strings.Contains(text, `javascript:alert\(1\)`) {
			t.Errorf("line %d: a javascript link: %q", n+1, line)
		}
		if strings.HasPrefix(line, "# injected") || strings.HasPrefix(line, "| injected") {
			t.Errorf("line %d: injected by a title: %q", n+1, line)
		}
		if strings.ContainsRune(line, '\x1b') || strings.ContainsRune(line, '\x07') {
			t.Errorf("line %d: control characters: %q", n+1, line)
		}
		// Every table row has as many cells as its header.
		if strings.HasPrefix(line, "|") {
			if cells := countCells(line); cells != tableWidth(out, n) {
				t.Errorf("line %d: %d cells, want %d: %q", n+1, cells, tableWidth(out, n), line)
			}
		}
	}
	if inCode {
		t.Error("a code block is left open")
	}
	if strings.Contains(out, "[CVE-2026-JS](") {
		t.Error("a javascript: advisory URL became a link")
	}
}

// stripCodeSpans removes inline code spans, where nothing is interpreted.
func stripCodeSpans(line string) string {
	var b strings.Builder
	for i := 0; i < len(line); {
		if line[i] == '\\' && i+1 < len(line) {
			b.WriteString(line[i : i+2])
			i += 2
			continue
		}
		if line[i] != '`' {
			b.WriteByte(line[i])
			i++
			continue
		}
		j := i
		for j < len(line) && line[j] == '`' {
			j++
		}
		delim := line[i:j]
		end := strings.Index(line[j:], delim)
		for end >= 0 && j+end+len(delim) < len(line) && line[j+end+len(delim)] == '`' {
			next := strings.Index(line[j+end+len(delim)+1:], delim)
			if next < 0 {
				end = -1
				break
			}
			end += len(delim) + 1 + next
		}
		if end < 0 {
			b.WriteString(delim)
			i = j
			continue
		}
		b.WriteString("CODE")
		i = j + end + len(delim)
	}
	return b.String()
}

// countCells counts the cells of a table row: unescaped pipes, minus one.
func countCells(line string) int {
	n := 0
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '\\':
			i++
		case '|':
			n++
		}
	}
	return n - 1
}

// tableWidth is the number of cells of the header of the table holding
// line n.
func tableWidth(out string, n int) int {
	lines := strings.Split(out, "\n")
	for n > 0 && strings.HasPrefix(lines[n-1], "|") {
		n--
	}
	return countCells(lines[n])
}

// TestAckCommandsInShell runs the acknowledge commands of the hostile
// diff through a real shell, with a function standing in for cvetrail that
// prints its arguments: every hostile value must arrive as one argument,
// unchanged, and nothing injected may run.
func TestAckCommandsInShell(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	r := hostileResult(t)
	var b bytes.Buffer
	if err := Markdown(&b, r, Meta{}, 0); err != nil {
		t.Fatal(err)
	}
	var cmds []string
	for _, line := range strings.Split(b.String(), "\n") {
		if strings.HasPrefix(line, "cvetrail ack ") {
			cmds = append(cmds, line)
		}
	}
	if len(cmds) != len(hostile)+1 {
		t.Fatalf("%d commands, want %d", len(cmds), len(hostile)+1)
	}
	dir := t.TempDir()
	script := "cvetrail() { printf '%s\\0' \"$@\"; printf '\\n\\0'; }\n" + strings.Join(cmds, "\n") + "\n"
	cmd := exec.Command(bash, "--norc", "--noprofile", "-c", script)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("bash: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "pwned")); err == nil {
		t.Fatal("an injected command ran")
	}
	calls := strings.Split(strings.TrimSuffix(string(out), "\n\x00"), "\n\x00")
	if len(calls) != len(cmds) {
		t.Fatalf("%d calls, want %d", len(calls), len(cmds))
	}
	img := r.Images[0].Image
	byID := map[string]report.Finding{}
	for _, c := range r.Images[0].Changes {
		if c.Finding != nil {
			byID[c.Finding.ID] = *c.Finding
		}
	}
	for i, call := range calls {
		args := strings.Split(strings.TrimSuffix(call, "\x00"), "\x00")
		if len(args) < 9 || args[0] != "ack" || args[2] != "--pkg" || args[4] != "--image" || args[6] != "--status" {
			t.Errorf("call %d: %q", i, args)
			continue
		}
		f, ok := byID[args[1]]
		if !ok {
			t.Errorf("call %d: unknown id %q", i, args[1])
			continue
		}
		if args[3] != f.Pkg || args[5] != img {
			t.Errorf("call %d: pkg %q image %q, want %q %q", i, args[3], args[5], f.Pkg, img)
		}
	}
}

func TestTableHostile(t *testing.T) {
	r := hostileResult(t)
	var b bytes.Buffer
	if err := Table(&b, r, false); err != nil {
		t.Fatal(err)
	}
	for n, line := range strings.Split(b.String(), "\n") {
		if strings.ContainsFunc(line, isInvisibleControl) {
			t.Errorf("line %d: control characters: %q", n+1, line)
		}
		if strings.HasPrefix(line, "# injected") {
			t.Errorf("line %d: injected line", n+1)
		}
	}
	b.Reset()
	if err := Table(&b, r, true); err != nil {
		t.Fatal(err)
	}
	// With colours on, the only escape sequences are cvetrail's own.
	own := regexp.MustCompile(`\x1b\[(31|32|90|39|01|0)m`)
	if rest := own.ReplaceAllString(b.String(), ""); strings.ContainsRune(rest, '\x1b') {
		t.Errorf("a foreign escape sequence:\n%q", rest)
	}
}
