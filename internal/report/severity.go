package report

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Severity is a normalized severity. The zero value is Unknown, and the
// order of the constants is the order of gravity.
type Severity int

// The severities, in increasing order.
const (
	Unknown Severity = iota
	Low
	Medium
	High
	Critical
)

var severityNames = [...]string{"UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"}

// String returns the upper-case name of s, such as "HIGH".
func (s Severity) String() string {
	if s < Unknown || s > Critical {
		return "UNKNOWN"
	}
	return severityNames[s]
}

// ParseSeverity maps a scanner's severity spelling to a Severity. It is
// case-insensitive and accepts Grype's "Negligible", which maps to Low.
// The empty string is Unknown and ok. Anything else is Unknown and not ok,
// so the caller can warn about it.
func ParseSeverity(s string) (sev Severity, ok bool) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "", "UNKNOWN":
		return Unknown, true
	case "NEGLIGIBLE", "LOW":
		return Low, true
	case "MEDIUM", "MODERATE":
		return Medium, true
	case "HIGH", "IMPORTANT":
		return High, true
	case "CRITICAL":
		return Critical, true
	}
	return Unknown, false
}

// MarshalJSON encodes s as its name.
func (s Severity) MarshalJSON() ([]byte, error) {
	return []byte(`"` + s.String() + `"`), nil
}

// UnmarshalJSON decodes a severity name strictly: only the five canonical
// upper-case names are accepted, since ledger files are written by cvetrail.
func (s *Severity) UnmarshalJSON(b []byte) error {
	var name string
	if err := json.Unmarshal(b, &name); err != nil {
		return fmt.Errorf("severity must be a string: %w", err)
	}
	for i, n := range severityNames {
		if n == name {
			*s = Severity(i)
			return nil
		}
	}
	return fmt.Errorf("unknown severity %q", name)
}

// FixState says whether a fix exists for a finding.
type FixState string

// The fix states.
const (
	FixUnknown FixState = "unknown"
	Fixed      FixState = "fixed"
	NotFixed   FixState = "not-fixed"
	WontFix    FixState = "wont-fix"
)

// Valid reports whether f is one of the defined fix states.
func (f FixState) Valid() bool {
	switch f {
	case FixUnknown, Fixed, NotFixed, WontFix:
		return true
	}
	return false
}
