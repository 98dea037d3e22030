package triage

import (
	"strings"
	"testing"
	"time"
)

func TestParseExpiry(t *testing.T) {
	now := time.Date(2026, 1, 31, 22, 30, 0, 0, time.UTC)
	tests := []struct {
		in   string
		now  time.Time
		want string // date, or "error: substring"
	}{
		{"2027-03-01", now, "2027-03-01"},
		{" 2027-03-01 ", now, "2027-03-01"},
		{"2026-01-31", now, "2026-01-31"}, // today is allowed
		{"2026-01-30", now, "error: expiry 2026-01-30 is in the past (today is 2026-01-31)"},
		{"2027-13-01", now, "error: expiry \"2027-13-01\" is not a date (YYYY-MM-DD)"},
		{"2027-02-29", now, "error: is not a date"},
		{"2028-02-29", now, "2028-02-29"},
		{"0d", now, "2026-01-31"},
		{"1d", now, "2026-02-01"},
		{"30d", now, "2026-03-02"},
		{"2w", now, "2026-02-14"},
		{"12w", now, "2026-04-25"},
		{"1m", now, "2026-02-28"}, // calendar month, clamped to its end
		{"6m", now, "2026-07-31"},
		{"13m", now, "2027-02-28"},
		{"1y", now, "2027-01-31"},
		{"1y", time.Date(2028, 2, 29, 12, 0, 0, 0, time.UTC), "2029-02-28"},
		{"4y", time.Date(2028, 2, 29, 12, 0, 0, 0, time.UTC), "2032-02-29"},
		// The date counts in UTC: late evening in New York is the next day.
		{"1d", time.Date(2026, 3, 1, 21, 0, 0, 0, time.FixedZone("EST", -5*3600)), "2026-03-03"},
		{"", now, "error: neither a date"},
		{"30", now, "error: neither a date"},
		{"d", now, "error: neither a date"},
		{"-1d", now, "error: neither a date"},
		{"1.5m", now, "error: neither a date"},
		{"30D", now, "error: neither a date"},
		{"1h", now, "error: neither a date"},
		{"2027/03/01", now, "error: neither a date"},
		{"99999999999999999999d", now, "error: neither a date"},
		{"100000y", now, "error: too far in the future"},
		{"9999-12-31", now, "9999-12-31"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseExpiry(tt.in, tt.now)
			if want, ok := strings.CutPrefix(tt.want, "error: "); ok {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("ParseExpiry(%q) = %v, %v; want an error containing %q", tt.in, got, err, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseExpiry(%q): %v", tt.in, err)
			}
			if got.Format(time.DateOnly) != tt.want || got.Location() != time.UTC || got.Hour() != 0 || got.Minute() != 0 {
				t.Errorf("ParseExpiry(%q) = %v, want %s at midnight UTC", tt.in, got, tt.want)
			}
			d := Decision{Expires: got}
			if d.Expired(tt.now) {
				t.Errorf("a fresh expiry %v has already expired at %v", got, tt.now)
			}
		})
	}
}
