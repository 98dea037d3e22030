package triage

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseExpiry parses the value of --expires: a date, YYYY-MM-DD, or a
// duration from today (now's date in UTC): "30d" days, "12w" weeks, "6m"
// calendar months, "1y" years. A month or year step that lands past the end
// of a month stops at its last day (2026-01-31 + 1m is 2026-02-28). The
// result is midnight UTC of the date; a decision stays valid through that
// whole day.
//
// A date before today is refused here, since now is known: expiring a new
// decision in the past is always a mistake. Today itself ("0d") is allowed.
// Load does not use ParseExpiry: a file may well hold expired decisions.
func ParseExpiry(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	y, m, d := now.UTC().Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	var t time.Time
	if dateRE.MatchString(s) {
		var err error
		if t, err = time.Parse(time.DateOnly, s); err != nil {
			return time.Time{}, fmt.Errorf("expiry %q is not a date (YYYY-MM-DD)", s)
		}
	} else {
		n, unit, ok := splitDuration(s)
		if !ok {
			return time.Time{}, fmt.Errorf("expiry %q is neither a date (YYYY-MM-DD) nor a duration such as 30d, 12w, 6m or 1y", s)
		}
		switch unit {
		case 'd':
			t = today.AddDate(0, 0, n)
		case 'w':
			t = today.AddDate(0, 0, 7*n)
		case 'm':
			t = addMonths(today, n)
		case 'y':
			t = addMonths(today, 12*n)
		}
	}
	if t.Before(today) {
		return time.Time{}, fmt.Errorf("expiry %s is in the past (today is %s)", t.Format(time.DateOnly), today.Format(time.DateOnly))
	}
	if t.Year() > 9999 {
		return time.Time{}, fmt.Errorf("expiry %q is too far in the future", s)
	}
	return t, nil
}

// maxDurationCount bounds the number in a duration, far beyond any useful
// expiry, so the arithmetic cannot overflow.
const maxDurationCount = 100000

func splitDuration(s string) (n int, unit byte, ok bool) {
	if len(s) < 2 {
		return 0, 0, false
	}
	unit = s[len(s)-1]
	if !strings.ContainsRune("dwmy", rune(unit)) {
		return 0, 0, false
	}
	digits := s[:len(s)-1]
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, 0, false
		}
	}
	n, err := strconv.Atoi(digits)
	if err != nil || n > maxDurationCount {
		return 0, 0, false
	}
	return n, unit, true
}

// addMonths adds n calendar months to t, keeping the day of the month when
// it exists and taking the month's last day when it does not.
func addMonths(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	first := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	return time.Date(first.Year(), first.Month(), min(d, last), 0, 0, 0, 0, time.UTC)
}
