package ledger

import (
	"crypto/sha256"
	"encoding/hex"
	"path"
	"regexp"
	"strings"
	"testing"
)

// h is the suffix Slug appends: the first 8 hex digits of the SHA-256 of
// the reference.
func h(ref string) string {
	sum := sha256.Sum256([]byte(ref))
	return "-" + hex.EncodeToString(sum[:])[:8]
}

func TestSlug(t *testing.T) {
	long := strings.Repeat("a", 10_000)
	tests := []struct {
		ref  string
		want string
	}{
		{"alpine", "alpine"},
		{"debian-12.5", "debian-12.5"},
		{"my_app", "my_app"},
		{"console", "console"},
		{"registry.example.com/team/app:1.2", "registry.example.com_team_app_1.2" + h("registry.example.com/team/app:1.2")},
		{"../../etc/passwd", "etc_passwd" + h("../../etc/passwd")},
		{"/etc/passwd", "etc_passwd" + h("/etc/passwd")},
		{"..", "image" + h("..")},
		{"...", "image" + h("...")},
		{"/", "image" + h("/")},
		{"a..b", "a._b" + h("a..b")},
		{"a...b", "a._.b" + h("a...b")},
		{".hidden", "hidden" + h(".hidden")},
		{"-rm", "rm" + h("-rm")},
		{"app-", "app" + h("app-")},
		{"app:latest", "app_latest" + h("app:latest")},
		{"app@sha256:0123abcd", "app_sha256_0123abcd" + h("app@sha256:0123abcd")},
		{"ghcr.io/org/app:1.0@sha256:ff", "ghcr.io_org_app_1.0_sha256_ff" + h("ghcr.io/org/app:1.0@sha256:ff")},
		{"docker-archive:/tmp/img.tar", "docker-archive_tmp_img.tar" + h("docker-archive:/tmp/img.tar")},
		{`C:\images\app.tar`, "c_images_app.tar" + h(`C:\images\app.tar`)},
		{"App", "app" + h("App")},
		{"über/app", "ber_app" + h("über/app")},
		{"应用", "image" + h("应用")},
		{"a b", "a_b" + h("a b")},
		{"a__b", "a_b" + h("a__b")},
		{"con", "con_" + h("con")},
		{"NUL", "nul_" + h("NUL")},
		{"con.d", "con_.d" + h("con.d")},
		{"com1", "com1_" + h("com1")},
		{"lpt9.tar", "lpt9_.tar" + h("lpt9.tar")},
		{"con_", "con_" + h("con_")},
		{"app-deadbeef", "app-deadbeef" + h("app-deadbeef")},
		{"app-deadbee", "app-deadbee"},
		{long, strings.Repeat("a", MaxSlug-9) + h(long)},
		{strings.Repeat("a", MaxSlug), strings.Repeat("a", MaxSlug)},
		{strings.Repeat("a", MaxSlug+1), strings.Repeat("a", MaxSlug-9) + h(strings.Repeat("a", MaxSlug+1))},
		{strings.Repeat("a/", 100), strings.Repeat("a_", 55) + "a" + h(strings.Repeat("a/", 100))},
	}
	for _, tt := range tests {
		got, err := Slug(tt.ref)
		if err != nil {
			t.Errorf("Slug(%s): %v", quoteShort(tt.ref), err)
			continue
		}
		if got != tt.want {
			t.Errorf("Slug(%s) = %q, want %q", quoteShort(tt.ref), got, tt.want)
		}
		checkSlug(t, tt.ref, got)
	}
}

func TestSlugErrors(t *testing.T) {
	for _, ref := range []string{"", " ", "\t\n", "a\x00b", "app\n", "a\rb", "a\x7fb", "a\u0085b", "\xff\xfe", " app", "app ", "app\u00a0"} {
		if s, err := Slug(ref); err == nil {
			t.Errorf("Slug(%q) = %q, want an error", ref, s)
		}
		if p, err := Path(ref); err == nil {
			t.Errorf("Path(%q) = %q, want an error", ref, p)
		}
	}
}

func TestSlugDistinct(t *testing.T) {
	refs := []string{
		"app:1", "app_1", "app/1", "APP:1", "App:1", "app-1", "app.1", "app__1", "app:_1",
		"app", "App", "APP", "app.", "app-", "_app", "app@1", "app 1",
		"con", "CON", "con_", "con.", "con-",
		"a..b", "a._b", "a_.b", "a.b",
		"..", "...", "/", "//", "image",
		"app-deadbeef", "app" + h("App"),
		strings.Repeat("a", 200), strings.Repeat("a", 201), strings.Repeat("a", 200) + "b",
	}
	seen := map[string]string{}
	for _, ref := range refs {
		s, err := Slug(ref)
		if err != nil {
			t.Fatalf("Slug(%q): %v", ref, err)
		}
		if other, dup := seen[s]; dup {
			t.Errorf("Slug(%q) = Slug(%q) = %q", ref, other, s)
		}
		seen[s] = ref
	}
}

func TestPath(t *testing.T) {
	p, err := Path("registry.example.com/team/app:1.2")
	if err != nil {
		t.Fatal(err)
	}
	if want := "cvetrail/registry.example.com_team_app_1.2" + h("registry.example.com/team/app:1.2") + ".jsonl"; p != want {
		t.Errorf("Path = %q, want %q", p, want)
	}
}

var slugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)

// checkSlug checks what every slug must be.
func checkSlug(t *testing.T, ref, s string) {
	t.Helper()
	switch {
	case !slugRE.MatchString(s):
		t.Errorf("Slug(%s) = %q: not of the form %s", quoteShort(ref), s, slugRE)
	case strings.Contains(s, ".."):
		t.Errorf("Slug(%s) = %q contains ..", quoteShort(ref), s)
	case len(s) > MaxSlug:
		t.Errorf("Slug(%s) = %q is %d bytes, more than %d", quoteShort(ref), s, len(s), MaxSlug)
	}
	first, _, _ := strings.Cut(s+Ext, ".")
	if windowsReserved(first) {
		t.Errorf("Slug(%s) = %q starts with the Windows device name %q", quoteShort(ref), s, first)
	}
	p, err := Path(ref)
	if err != nil || path.Dir(p) != Dir || path.Base(p) != s+Ext || !isLedgerPath(p) {
		t.Errorf("Path(%s) = %q, %v; want %s/%s%s", quoteShort(ref), p, err, Dir, s, Ext)
	}
}

func FuzzSlug(f *testing.F) {
	for _, s := range []string{"alpine", "registry.example.com/team/app:1.2", "../../etc/passwd", "/abs", "app@sha256:00", "con", "App", "a..b", "über", strings.Repeat("x/", 80)} {
		f.Add(s, strings.ToUpper(s))
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		sa, errA := Slug(a)
		sb, errB := Slug(b)
		if errA == nil {
			checkSlug(t, a, sa)
			if again, _ := Slug(a); again != sa {
				t.Errorf("Slug(%q) is not stable: %q then %q", a, sa, again)
			}
		}
		if errB == nil {
			checkSlug(t, b, sb)
		}
		if errA == nil && errB == nil && a != b && sa == sb {
			t.Errorf("Slug(%q) = Slug(%q) = %q", a, b, sa)
		}
	})
}
