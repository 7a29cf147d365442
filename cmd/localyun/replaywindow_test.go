package main

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/sqlite"
)

// TestReplayWindowRefusesRecordedKeys: a new process's window refuses the
// keys of writes a previous process committed, without loading them, and
// takes any other key; a replayed key is refused again from memory.
func TestReplayWindowRefusesRecordedKeys(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "localyun.db")
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	written := localyun.NewReplayKey("LTAIkey", "nonce-written", now.Add(15*time.Minute))
	wctx := localyun.WithReplayKey(ctx, written, now)
	if err := st.CreateAccount(wctx, localyun.Account{ID: "1234567890123456", Name: "dev", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	later := now.Add(time.Second)
	w, err := replayWindow(ctx, st, later)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.UseNonce(ctx, written, later); !errors.Is(err, localyun.ErrAlreadyExists) {
		t.Fatalf("the recorded key: %v, want ErrAlreadyExists", err)
	}
	if err := w.UseNonce(ctx, written, later); !errors.Is(err, localyun.ErrAlreadyExists) {
		t.Fatalf("the recorded key again: %v, want ErrAlreadyExists", err)
	}
	// The same nonce and timestamp under another AccessKey, the same nonce
	// with an earlier timestamp, and a fresh one: none was recorded.
	for _, k := range []localyun.ReplayKey{
		localyun.NewReplayKey("LTAIother", "nonce-written", now.Add(15*time.Minute)),
		localyun.NewReplayKey("LTAIkey", "nonce-earlier", now.Add(14*time.Minute)),
		localyun.NewReplayKey("LTAIkey", "nonce-fresh", later.Add(15*time.Minute)),
	} {
		if err := w.UseNonce(ctx, k, later); err != nil {
			t.Fatalf("a key never recorded: %v", err)
		}
		if err := w.UseNonce(ctx, k, later); !errors.Is(err, localyun.ErrAlreadyExists) {
			t.Fatalf("its replay: %v, want ErrAlreadyExists", err)
		}
	}

	// Once every recorded key has expired, the window is memory alone.
	w, err = replayWindow(ctx, st, written.Expires.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := w.(interface{ Len() int }); !ok {
		t.Fatal("the window does not report its size")
	}
}
