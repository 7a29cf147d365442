package server_test

import (
	"errors"
	"testing"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/server"
)

func TestCheckTime(t *testing.T) {
	now := time.Date(2026, 11, 22, 19, 26, 23, 0, time.UTC)
	tests := []struct {
		name     string
		v        string
		want     time.Time
		wantCode string
	}{
		{"SDK layout", "2026-11-22T19:26:23Z", now, ""},
		{"fraction", "2026-11-22T19:26:23.312Z", now.Add(312 * time.Millisecond), ""},
		{"offset", "2026-11-23T03:26:23+08:00", now, ""},
		{"offset with fraction", "2026-11-22T20:26:23.5+01:00", now.Add(500 * time.Millisecond), ""},
		{"14m59s in the past", "2026-11-22T19:11:24Z", now.Add(-14*time.Minute - 59*time.Second), ""},
		{"exactly 15m in the past", "2026-11-22T19:11:23Z", now.Add(-15 * time.Minute), ""},
		{"exactly 15m in the future", "2026-11-22T19:41:23Z", now.Add(15 * time.Minute), ""},
		{"stale", "2026-11-22T19:11:22Z", time.Time{}, "InvalidTimeStamp.Expired"},
		{"future", "2026-11-22T19:41:24Z", time.Time{}, "InvalidTimeStamp.Expired"},
		{"yesterday", "2026-11-21T19:26:23Z", time.Time{}, "InvalidTimeStamp.Expired"},
		{"stale by offset", "2026-11-22T19:26:23+08:00", time.Time{}, "InvalidTimeStamp.Expired"},
		{"no zone", "2026-11-22T19:26:23", time.Time{}, "InvalidTimeStamp.Format"},
		{"date only", "2026-11-22", time.Time{}, "InvalidTimeStamp.Format"},
		{"space separator", "2026-11-22 19:26:23Z", time.Time{}, "InvalidTimeStamp.Format"},
		{"unix seconds", "1795375583", time.Time{}, "InvalidTimeStamp.Format"},
		{"RFC 1123", "Sun, 22 Nov 2026 19:26:23 GMT", time.Time{}, "InvalidTimeStamp.Format"},
		{"empty", "", time.Time{}, "InvalidTimeStamp.Format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := server.CheckTime(now, tt.v)
			if tt.wantCode != "" {
				var e *localyun.Error
				if !errors.As(err, &e) || e.Code != tt.wantCode || e.Status != 400 {
					t.Fatalf("CheckTime(%q) = %v, %v; want 400 %s", tt.v, got, err, tt.wantCode)
				}
				return
			}
			if err != nil || !got.Equal(tt.want) {
				t.Fatalf("CheckTime(%q) = %v, %v; want %v", tt.v, got, err, tt.want)
			}
		})
	}
}

func TestNewRequestID(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		id := server.NewRequestID()
		if len(id) != 36 || id[8] != '-' || id[13] != '-' || id[14] != '4' || id[18] != '-' || id[23] != '-' {
			t.Fatalf("request id %q is not an upper-case UUID", id)
		}
		for _, c := range id {
			if !(c == '-' || '0' <= c && c <= '9' || 'A' <= c && c <= 'F') {
				t.Fatalf("request id %q has %q", id, c)
			}
		}
		if seen[id] {
			t.Fatalf("duplicate %s", id)
		}
		seen[id] = true
	}
}
