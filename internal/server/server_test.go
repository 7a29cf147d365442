package server_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/server"
)

func TestMemoryNonces(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	exp := t0.Add(server.SkewWindow)

	t.Run("replay within the window", func(t *testing.T) {
		n := server.NewMemoryNonces(10)
		if err := n.UseNonce(ctx, "ak\x00n1", t0, exp); err != nil {
			t.Fatal(err)
		}
		for _, now := range []time.Time{t0, t0.Add(time.Minute), exp.Add(-time.Nanosecond)} {
			if err := n.UseNonce(ctx, "ak\x00n1", now, now.Add(server.SkewWindow)); !errors.Is(err, localyun.ErrAlreadyExists) {
				t.Fatalf("replay at %v: %v, want ErrAlreadyExists", now.Sub(t0), err)
			}
		}
		// Another key (another AccessKey or nonce) is independent.
		if err := n.UseNonce(ctx, "ak2\x00n1", t0, exp); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("expiry", func(t *testing.T) {
		n := server.NewMemoryNonces(10)
		if err := n.UseNonce(ctx, "k", t0, exp); err != nil {
			t.Fatal(err)
		}
		// At the expiry instant the entry is gone and the nonce is usable again.
		if err := n.UseNonce(ctx, "k", exp, exp.Add(server.SkewWindow)); err != nil {
			t.Fatalf("after expiry: %v", err)
		}
		if err := n.UseNonce(ctx, "k", exp.Add(time.Second), exp.Add(time.Hour)); !errors.Is(err, localyun.ErrAlreadyExists) {
			t.Fatalf("re-recorded nonce not remembered: %v", err)
		}
	})

	t.Run("bound", func(t *testing.T) {
		const max = 5
		n := server.NewMemoryNonces(max)
		for i := range max {
			if err := n.UseNonce(ctx, "k"+strconv.Itoa(i), t0, exp); err != nil {
				t.Fatal(err)
			}
		}
		if err := n.UseNonce(ctx, "overflow", t0, exp); !errors.Is(err, localyun.ErrUnavailable) {
			t.Fatalf("full window: %v, want ErrUnavailable", err)
		}
		if n.Len() != max {
			t.Fatalf("Len = %d, want %d", n.Len(), max)
		}
		// A full window still refuses replays rather than forgetting them.
		if err := n.UseNonce(ctx, "k0", t0, exp); !errors.Is(err, localyun.ErrAlreadyExists) {
			t.Fatalf("replay into a full window: %v", err)
		}
		// Once entries expire they are swept and room is made.
		later := exp.Add(time.Second)
		if err := n.UseNonce(ctx, "overflow", later, later.Add(server.SkewWindow)); err != nil {
			t.Fatalf("after expiry: %v", err)
		}
		if n.Len() != 1 {
			t.Fatalf("Len after sweep = %d, want 1", n.Len())
		}
	})

	t.Run("periodic sweep", func(t *testing.T) {
		n := server.NewMemoryNonces(100)
		for i := range 10 {
			if err := n.UseNonce(ctx, "k"+strconv.Itoa(i), t0, t0.Add(time.Second)); err != nil {
				t.Fatal(err)
			}
		}
		later := t0.Add(2 * time.Minute)
		if err := n.UseNonce(ctx, "fresh", later, later.Add(server.SkewWindow)); err != nil {
			t.Fatal(err)
		}
		if n.Len() != 1 {
			t.Fatalf("expired entries kept: Len = %d", n.Len())
		}
	})
}

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
