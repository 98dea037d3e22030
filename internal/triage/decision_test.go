package triage

import (
	"strings"
	"testing"
	"time"

	"github.com/cvetrail/cvetrail/internal/report"
)

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestCovers(t *testing.T) {
	cve := report.Finding{ID: "CVE-2023-0464", Aliases: []string{"GHSA-aaaa-bbbb-cccc"}, Type: "deb", Pkg: "libssl3"}
	ghsa := report.Finding{ID: "GHSA-xxxx-yyyy-zzzz", Type: "npm", Pkg: "lodash"}
	withCVEAlias := report.Finding{ID: "CVE-2021-23337", Aliases: []string{"GHSA-35jh-r3h4-6jhm"}, Type: "npm", Pkg: "lodash"}
	py := report.Finding{ID: "CVE-2020-14343", Type: "pypi", Pkg: "pyyaml"}
	tests := []struct {
		name  string
		d     Decision
		image string
		f     report.Finding
		want  bool
	}{
		{"bare id", Decision{ID: "CVE-2023-0464"}, "a:1", cve, true},
		{"id case-insensitive", Decision{ID: "cve-2023-0464"}, "a:1", cve, true},
		{"other id", Decision{ID: "CVE-2023-0465"}, "a:1", cve, false},
		{"decision on the GHSA alias of a CVE finding", Decision{ID: "GHSA-35jh-r3h4-6jhm"}, "a:1", withCVEAlias, true},
		{"decision on the CVE, finding known by its CVE with GHSA alias", Decision{ID: "CVE-2021-23337"}, "a:1", withCVEAlias, true},
		{"decision on a CVE, finding's alias is that CVE", Decision{ID: "CVE-2021-23337"}, "a:1",
			report.Finding{ID: "GHSA-35jh-r3h4-6jhm", Aliases: []string{"CVE-2021-23337"}, Type: "npm", Pkg: "lodash"}, true},
		{"GHSA without alias", Decision{ID: "GHSA-xxxx-yyyy-zzzz"}, "a:1", ghsa, true},
		{"package scope matches", Decision{ID: "CVE-2023-0464", Packages: []string{"openssl", "libssl3"}}, "a:1", cve, true},
		{"package scope misses", Decision{ID: "CVE-2023-0464", Packages: []string{"openssl"}}, "a:1", cve, false},
		{"pypi name canonicalized", Decision{ID: "CVE-2020-14343", Packages: []string{"PyYAML"}}, "a:1", py, true},
		{"pypi separators canonicalized", Decision{ID: "CVE-2020-14343", Packages: []string{"py_yaml"}}, "a:1",
			report.Finding{ID: "CVE-2020-14343", Type: "pypi", Pkg: "py-yaml"}, true},
		{"pypi canonical finding spelled raw", Decision{ID: "CVE-2020-14343", Packages: []string{"pyyaml"}}, "a:1",
			report.Finding{ID: "CVE-2020-14343", Type: "pypi", Pkg: "PyYAML"}, true},
		{"deb names are not folded", Decision{ID: "CVE-2023-0464", Packages: []string{"LibSSL3"}}, "a:1", cve, false},
		{"image glob matches tag", Decision{ID: "CVE-2023-0464", Images: []string{"registry/app:*"}}, "registry/app:1.2", cve, true},
		{"image glob does not match other repo", Decision{ID: "CVE-2023-0464", Images: []string{"registry/app:*"}}, "registry/app2:1", cve, false},
		{"star crosses slashes", Decision{ID: "CVE-2023-0464", Images: []string{"registry/*"}}, "registry/team/app:1", cve, true},
		{"any image", Decision{ID: "CVE-2023-0464", Images: []string{"*"}}, "ghcr.io/a/b@sha256:00", cve, true},
		{"second glob matches", Decision{ID: "CVE-2023-0464", Images: []string{"x:*", "registry/app:1.2"}}, "registry/app:1.2", cve, true},
		{"exact image must be equal", Decision{ID: "CVE-2023-0464", Images: []string{"registry/app"}}, "registry/app:1.2", cve, false},
		{"both scopes", Decision{ID: "CVE-2023-0464", Packages: []string{"libssl3"}, Images: []string{"registry/*"}}, "registry/app:1", cve, true},
		{"both scopes, image misses", Decision{ID: "CVE-2023-0464", Packages: []string{"libssl3"}, Images: []string{"other/*"}}, "registry/app:1", cve, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.d.Covers(tt.image, &tt.f); got != tt.want {
				t.Errorf("Covers(%q, %v) = %v, want %v", tt.image, tt.f.Key(), got, tt.want)
			}
		})
	}
}

func TestMatchImage(t *testing.T) {
	tests := []struct {
		glob, image string
		want        bool
	}{
		{"registry/app:*", "registry/app:1.2", true},
		{"registry/app:*", "registry/app2:1", false},
		{"registry/app:*", "registry/app", false},
		{"*", "registry/team/app:1", true},
		{"registry/*/app:1", "registry/a/b/app:1", true},
		{"registry/app:1.?", "registry/app:1.2", true},
		{"registry/app:1.?", "registry/app:1.10", false},
		{"registry/app:[12]", "registry/app:2", true},
		{"registry/app:[12]", "registry/app:3", false},
		{"registry/app:1", "registry/app:1", true},
		{"registry/app:1", "registry/app:10", false},
		{"registry/app:[", "registry/app:[", false}, // malformed globs match nothing
	}
	for _, tt := range tests {
		if got := MatchImage(tt.glob, tt.image); got != tt.want {
			t.Errorf("MatchImage(%q, %q) = %v, want %v", tt.glob, tt.image, got, tt.want)
		}
	}
}

func TestExpired(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		paris = time.FixedZone("CET", 3600)
	}
	tests := []struct {
		name    string
		expires time.Time
		now     time.Time
		want    bool
	}{
		{"never", time.Time{}, date("2999-01-01"), false},
		{"day before", date("2027-03-01"), time.Date(2027, 2, 28, 23, 59, 59, 0, time.UTC), false},
		{"start of the day", date("2027-03-01"), time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC), false},
		{"last nanosecond of the day", date("2027-03-01"), time.Date(2027, 3, 1, 23, 59, 59, 999999999, time.UTC), false},
		{"next midnight UTC", date("2027-03-01"), time.Date(2027, 3, 2, 0, 0, 0, 0, time.UTC), true},
		{"later", date("2027-03-01"), date("2028-01-01"), true},
		{"now in another zone, still the day in UTC", date("2027-03-01"), time.Date(2027, 3, 2, 0, 30, 0, 0, paris), false},
		{"now in another zone, next day in UTC", date("2027-03-01"), time.Date(2027, 3, 2, 1, 30, 0, 0, paris), true},
		{"expiry with a time of day counts by its date", time.Date(2027, 3, 1, 18, 0, 0, 0, time.UTC), time.Date(2027, 3, 2, 12, 0, 0, 0, time.UTC), true},
		{"expiry as local midnight counts by its date", time.Date(2027, 3, 1, 0, 0, 0, 0, paris), time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Decision{Expires: tt.expires}
			if got := d.Expired(tt.now); got != tt.want {
				t.Errorf("Expired(%v) with expiry %v = %v, want %v", tt.now, tt.expires, got, tt.want)
			}
		})
	}
}

func TestActive(t *testing.T) {
	now := time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		d         Decision
		sev       report.Severity
		escalated bool
		active    bool
	}{
		{"same severity", Decision{Severity: report.High}, report.High, false, true},
		{"severity fell", Decision{Severity: report.High}, report.Low, false, true},
		{"severity rose", Decision{Severity: report.Medium}, report.Critical, true, false},
		{"recorded unknown, now known", Decision{Severity: report.Unknown}, report.Low, true, false},
		{"expired today is still active", Decision{Severity: report.High, Expires: date("2027-03-01")}, report.High, false, true},
		{"expired yesterday", Decision{Severity: report.High, Expires: date("2027-02-28")}, report.High, false, false},
		{"expired and escalated", Decision{Severity: report.Low, Expires: date("2027-02-28")}, report.High, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.d.Escalated(tt.sev); got != tt.escalated {
				t.Errorf("Escalated(%v) = %v, want %v", tt.sev, got, tt.escalated)
			}
			if got := tt.d.Active(now, tt.sev); got != tt.active {
				t.Errorf("Active(%v, %v) = %v, want %v", now, tt.sev, got, tt.active)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	ok := Decision{ID: "CVE-1", Status: Accepted, Reason: "r", Severity: report.High}
	tests := []struct {
		name string
		edit func(d *Decision)
		want []string // substrings of the error; none: valid
	}{
		{"valid", func(d *Decision) {}, nil},
		{"not_affected with justification", func(d *Decision) { d.Status, d.Justification = NotAffected, "component_not_present" }, nil},
		{"everything missing", func(d *Decision) { *d = Decision{} },
			[]string{"invalid decision for (no id)", "missing id", "missing status (one of not_affected, accepted, false_positive, fixing, under_investigation)", "missing reason"}},
		{"not_affected alone", func(d *Decision) { d.Status = NotAffected }, []string{"status not_affected needs a justification (one of component_not_present,"}},
		{"bad status with hint", func(d *Decision) { d.Status = "Accepted" }, []string{`unknown status "Accepted"; did you mean "accepted"?`}},
		{"bad justification", func(d *Decision) { d.Status, d.Justification = NotAffected, "because" }, []string{`unknown justification "because"`, "inline_mitigations_already_exist"}},
		{"justification with accepted", func(d *Decision) { d.Justification = "component_not_present" }, []string{"only given with status not_affected, not accepted"}},
		{"bad glob", func(d *Decision) { d.Images = []string{"app:["} }, []string{`image glob "app:["`}},
		{"empty package", func(d *Decision) { d.Packages = []string{" "} }, []string{"package name"}},
		{"id with space", func(d *Decision) { d.ID = "CVE 1" }, []string{"contains white space"}},
		{"reason of blanks", func(d *Decision) { d.Reason = "  " }, []string{"missing reason"}},
		{"severity out of range", func(d *Decision) { d.Severity = 9 }, []string{"unknown severity 9"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := ok
			tt.edit(&d)
			err := d.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}
