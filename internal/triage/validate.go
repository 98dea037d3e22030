package triage

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"unicode"

	"github.com/cvetrail/cvetrail/internal/report"
)

// fieldProblem is a problem with one field of a decision.
type fieldProblem struct {
	field string // the key it is about; the entry when absent
	msg   string
}

// Validate reports what is wrong with d as a decision: a missing id,
// status or reason, an unknown status, justification or severity, a
// not_affected status without a justification, a justification with another
// status, or an invalid package name or image glob. All problems are
// reported in one error.
func (d *Decision) Validate() error {
	ps := d.problems()
	if len(ps) == 0 {
		return nil
	}
	msgs := make([]string, len(ps))
	for i, p := range ps {
		msgs[i] = p.msg
	}
	id := d.ID
	if id == "" {
		id = "(no id)"
	}
	return fmt.Errorf("invalid decision for %s: %s", id, strings.Join(msgs, "; "))
}

func (d *Decision) problems() []fieldProblem {
	var ps []fieldProblem
	add := func(field, format string, args ...any) {
		ps = append(ps, fieldProblem{field, fmt.Sprintf(format, args...)})
	}
	switch {
	case d.ID == "":
		add("id", "missing id (the vulnerability id, such as CVE-2023-0464)")
	case strings.ContainsFunc(d.ID, unicode.IsSpace):
		add("id", "id %q contains white space", d.ID)
	}
	for _, p := range d.Packages {
		if strings.TrimSpace(p) == "" || strings.ContainsFunc(p, unicode.IsSpace) {
			add("packages", "package name %q is empty or contains white space", p)
		}
	}
	for _, g := range d.Images {
		if err := checkGlob(g); err != nil {
			add("images", "image glob %q: %v", g, err)
		}
	}
	statuses := statusList()
	switch {
	case d.Status == "":
		add("status", "missing status (one of %s)", statuses)
	case !d.Status.Valid():
		add("status", "%s", unknownValue("status", string(d.Status), statusNames()))
	case d.Status == NotAffected && d.Justification == "":
		add("status", "status not_affected needs a justification (one of %s)", strings.Join(Justifications, ", "))
	}
	switch {
	case d.Justification == "":
	case !slices.Contains(Justifications, d.Justification):
		add("justification", "%s", unknownValue("justification", d.Justification, Justifications))
	case d.Status.Valid() && d.Status != NotAffected:
		add("justification", "a justification is only given with status not_affected, not %s", d.Status)
	}
	if strings.TrimSpace(d.Reason) == "" {
		add("reason", "missing reason (why this decision was made)")
	}
	if d.Severity < report.Unknown || d.Severity > report.Critical {
		add("severity", "unknown severity %d", d.Severity)
	}
	return ps
}

// unknownValue says that got is not one of valid, suggesting the closest.
func unknownValue(what, got string, valid []string) string {
	msg := fmt.Sprintf("unknown %s %q", what, got)
	if s := didYouMean(got, valid); s != "" {
		msg += "; " + strings.TrimSuffix(strings.TrimPrefix(s, " ("), ")")
	}
	return msg + " (one of " + strings.Join(valid, ", ") + ")"
}

func statusNames() []string {
	names := make([]string, len(Statuses))
	for i, s := range Statuses {
		names[i] = string(s)
	}
	return names
}

func statusList() string { return strings.Join(statusNames(), ", ") }

// checkGlob reports whether g is a usable image glob.
func checkGlob(g string) error {
	if strings.TrimSpace(g) == "" {
		return errors.New("empty glob")
	}
	// path.Match reports a malformed pattern even when the match fails
	// early, so matching the empty string checks the whole glob.
	if _, err := path.Match(g, ""); err != nil {
		return fmt.Errorf("malformed glob: %w", err)
	}
	return nil
}

// synonyms maps keys people plausibly write to the key they mean.
var synonyms = map[string]string{
	"pkg": "packages", "pkgs": "packages", "package": "packages",
	"image":  "images",
	"expiry": "expires", "expiration": "expires", "expire": "expires", "until": "expires", "expires_at": "expires",
	"comment": "reason", "note": "reason", "why": "reason",
	"cve": "id", "vuln": "id", "vulnerability": "id",
	"state":   "status",
	"version": "schemaVersion", "schema": "schemaVersion", "schema_version": "schemaVersion",
	"decision": "decisions",
}

// suggest returns "(did you mean …?)" for an unknown key, or the list of
// the keys that are known.
func suggest(name string, known []string) string {
	if s := didYouMean(name, known); s != "" {
		return strings.TrimPrefix(s, " ")
	}
	return "(known keys: " + strings.Join(known, ", ") + ")"
}

// didYouMean returns ` (did you mean "x"?)` when some known word is close
// to s, or "".
func didYouMean(s string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known {
		switch {
		case strings.EqualFold(k, s):
			return fmt.Sprintf(" (did you mean %q?)", k)
		case synonyms[strings.ToLower(s)] == k:
			best, bestDist = k, 0
		}
		if dist := editDistance(strings.ToLower(s), strings.ToLower(k)); dist < bestDist {
			best, bestDist = k, dist
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 30
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
