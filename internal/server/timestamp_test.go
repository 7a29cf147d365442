package server

import (
	"testing"
	"time"
)

var timestampCases = []string{
	"2024-01-01T00:00:00Z", "2026-11-30T23:59:59Z", "2024-02-29T12:00:00Z", "2023-02-29T12:00:00Z", "2024-04-31T00:00:00Z",
	"2024-13-01T00:00:00Z", "2024-00-10T00:00:00Z", "2024-01-00T00:00:00Z", "2024-01-01T24:00:00Z", "2024-01-01T23:60:00Z",
	"2024-01-01T23:59:60Z", "0000-01-01T00:00:00Z", "2024-01-01 00:00:00Z", "2024-01-01T00:00:00z", "2024-1-01T00:00:00Z",
	"+024-01-01T00:00:00Z", "2024-01-01T00:00:0aZ", "2024-01-01T00:00:00.5Z", "2024-01-01T08:00:00+08:00", "",
}

// checkTimestamp: the fast path, where it accepts a timestamp, gives what
// time.Parse gives with the SDK's layout, and it accepts every timestamp of
// that layout's length that time.Parse accepts (the others, such as
// fractional seconds, are left to time.Parse).
func checkTimestamp(t *testing.T, v string) {
	want, err := time.Parse("2006-01-02T15:04:05Z", v)
	got, ok := parseTimestampUTC(v)
	if ok && (err != nil || got != want) || !ok && err == nil && len(v) == len("2006-01-02T15:04:05Z") {
		t.Errorf("parseTimestampUTC(%q) = %v, %v; time.Parse: %v, %v", v, got, ok, want, err)
	}
}

func TestParseTimestampUTC(t *testing.T) {
	for _, v := range timestampCases {
		checkTimestamp(t, v)
	}
}

func FuzzParseTimestampUTC(f *testing.F) {
	for _, v := range timestampCases {
		f.Add(v)
	}
	f.Fuzz(checkTimestamp)
}
