package server_test

import (
	"context"
	"errors"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/protocol"
	"github.com/localyun/localyun/internal/server"
	"github.com/localyun/localyun/internal/sqlite"
)

func TestMemoryNonces(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	exp := t0.Add(server.SkewWindow)
	key := func(ak, nonce string, expires time.Time) localyun.ReplayKey {
		return localyun.NewReplayKey(ak, nonce, expires)
	}

	t.Run("replay within the window", func(t *testing.T) {
		n := server.NewMemoryNonces(10)
		if err := n.UseNonce(ctx, key("ak", "n1", exp), t0); err != nil {
			t.Fatal(err)
		}
		// Until the expiry instant included, whatever the new expiry.
		for _, now := range []time.Time{t0, t0.Add(time.Minute), exp.Add(-time.Nanosecond), exp} {
			if err := n.UseNonce(ctx, key("ak", "n1", now.Add(server.SkewWindow)), now); !errors.Is(err, localyun.ErrAlreadyExists) {
				t.Fatalf("replay at %v: %v, want ErrAlreadyExists", now.Sub(t0), err)
			}
		}
		// Another key (another AccessKey or nonce) is independent.
		if err := n.UseNonce(ctx, key("ak2", "n1", exp), t0); err != nil {
			t.Fatal(err)
		}
		if err := n.UseNonce(ctx, key("ak", "n2", exp), t0); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("expiry", func(t *testing.T) {
		n := server.NewMemoryNonces(10)
		if err := n.UseNonce(ctx, key("ak", "k", exp), t0); err != nil {
			t.Fatal(err)
		}
		// Once the minute of its expiry has passed the nonce is usable again.
		later := exp.Truncate(time.Minute).Add(time.Minute)
		if err := n.UseNonce(ctx, key("ak", "k", later.Add(server.SkewWindow)), later); err != nil {
			t.Fatalf("after expiry: %v", err)
		}
		if err := n.UseNonce(ctx, key("ak", "k", later.Add(time.Hour)), later.Add(time.Second)); !errors.Is(err, localyun.ErrAlreadyExists) {
			t.Fatalf("re-recorded nonce not remembered: %v", err)
		}
		// A key whose expiry has passed cannot be recorded: its timestamp
		// is no longer accepted.
		if err := n.UseNonce(ctx, key("ak", "old", later.Add(-time.Nanosecond)), later); !errors.Is(err, localyun.ErrInvalid) {
			t.Fatalf("expired key: %v, want ErrInvalid", err)
		}
	})

	t.Run("clock going back", func(t *testing.T) {
		n := server.NewMemoryNonces(10)
		// Expiring in the minute 03:19, dropped once the clock reaches 03:20.
		k := key("ak", "k", time.Date(2026, 1, 2, 3, 19, 50, 0, time.UTC))
		if err := n.UseNonce(ctx, k, t0); err != nil {
			t.Fatal(err)
		}
		ahead := time.Date(2026, 1, 2, 3, 20, 5, 0, time.UTC)
		if err := n.UseNonce(ctx, key("ak", "other", ahead.Add(server.SkewWindow)), ahead); err != nil {
			t.Fatal(err)
		}
		// Back 30 s, k's timestamp would be accepted again but its bucket
		// is gone: refused as expired, not let through.
		back := ahead.Add(-30 * time.Second)
		if err := n.UseNonce(ctx, k, back); !errors.Is(err, localyun.ErrInvalid) {
			t.Fatalf("replay with the clock set back: %v, want ErrInvalid", err)
		}
		// Set back further, the clock is believed rather than every
		// request refused until it catches up.
		if err := n.UseNonce(ctx, key("ak", "fresh", t0.Add(server.SkewWindow)), t0); err != nil {
			t.Fatalf("fresh request after the clock went back 16 minutes: %v", err)
		}
	})

	t.Run("bound", func(t *testing.T) {
		const max = 5
		n := server.NewMemoryNonces(max)
		for i := range max {
			if err := n.UseNonce(ctx, key("ak", "k"+strconv.Itoa(i), exp), t0); err != nil {
				t.Fatal(err)
			}
		}
		if err := n.UseNonce(ctx, key("ak", "overflow", exp), t0); !errors.Is(err, localyun.ErrUnavailable) {
			t.Fatalf("full window: %v, want ErrUnavailable", err)
		}
		if n.Len() != max {
			t.Fatalf("Len = %d, want %d", n.Len(), max)
		}
		// A full window still refuses replays rather than forgetting them.
		if err := n.UseNonce(ctx, key("ak", "k0", exp), t0); !errors.Is(err, localyun.ErrAlreadyExists) {
			t.Fatalf("replay into a full window: %v", err)
		}
		// Once entries expire their buckets are dropped and room is made.
		later := exp.Add(time.Minute)
		if err := n.UseNonce(ctx, key("ak", "overflow", later.Add(server.SkewWindow)), later); err != nil {
			t.Fatalf("after expiry: %v", err)
		}
		if n.Len() != 1 {
			t.Fatalf("Len after expiry = %d, want 1", n.Len())
		}
	})

	t.Run("Len drops expired buckets of every shard", func(t *testing.T) {
		n := server.NewMemoryNonces(100)
		for i := range 10 {
			if err := n.UseNonce(ctx, key("ak", "k"+strconv.Itoa(i), t0.Add(time.Second)), t0); err != nil {
				t.Fatal(err)
			}
		}
		later := t0.Add(2 * time.Minute)
		if err := n.UseNonce(ctx, key("ak", "fresh", later.Add(server.SkewWindow)), later); err != nil {
			t.Fatal(err)
		}
		if n.Len() != 1 {
			t.Fatalf("expired entries kept: Len = %d", n.Len())
		}
	})

	t.Run("concurrent replays", func(t *testing.T) {
		n := server.NewMemoryNonces(0)
		var wg sync.WaitGroup
		var accepted atomic.Int64
		for g := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 2000 {
					// Each key is sent by two goroutines, across minutes.
					now := t0.Add(time.Duration(i) * 100 * time.Millisecond)
					err := n.UseNonce(ctx, key("ak", strconv.Itoa(g/2)+"-"+strconv.Itoa(i), now.Add(server.SkewWindow)), now)
					switch {
					case err == nil:
						accepted.Add(1)
					case !errors.Is(err, localyun.ErrAlreadyExists):
						t.Error(err)
					}
				}
			}()
		}
		wg.Wait()
		if got := accepted.Load(); got != 4*2000 {
			t.Fatalf("%d requests accepted, want one for each of the %d keys", got, 4*2000)
		}
	})

	t.Run("beyond the ring", func(t *testing.T) {
		n := server.NewMemoryNonces(10)
		if err := n.UseNonce(ctx, key("ak", "far", t0.Add(2*time.Hour)), t0); !errors.Is(err, localyun.ErrUnavailable) {
			t.Fatalf("expiry two hours ahead: %v, want ErrUnavailable", err)
		}
		if err := n.UseNonce(ctx, key("ak", "near", t0.Add(2*server.SkewWindow)), t0); err != nil {
			t.Fatalf("expiry 30 minutes ahead: %v", err)
		}
	})
}

// gateway returns a server with the default replay window whose clock
// reads *now.
func gateway(t testing.TB, now *time.Time) *server.Server {
	t.Helper()
	st, err := sqlite.Open(context.Background(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return server.New(server.Options{Store: st, Now: func() time.Time { return *now }})
}

// code returns the API error code of err ("" for nil).
func code(err error) string {
	if err == nil {
		return ""
	}
	if e := protocol.AsAPIError(err); e != nil {
		return strconv.Itoa(e.Status) + " " + e.Code
	}
	return err.Error()
}

// heapInUse returns the bytes of live heap objects after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestReplayWindow5000PerSecond feeds the gateway's replay check 5,000
// requests a second for 16 simulated minutes (4.8 million nonces, with an
// injected clock): none may be refused, a replay within the timestamp
// window must be, a nonce reused after it must not, and the window must
// hold them within +150 MB of heap.
func TestReplayWindow5000PerSecond(t *testing.T) {
	if testing.Short() {
		t.Skip("4.8 million requests")
	}
	const rate, minutes = 5000, 16
	ctx := context.Background()
	t0 := time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)
	now := t0
	srv := gateway(t, &now)
	ak := func(i int) string { return "LTAIload" + strconv.Itoa(i%100) }
	ts := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Second / rate).Truncate(time.Second) }
	before := heapInUse()
	for i := 0; i < rate*60*minutes; i++ {
		now = t0.Add(time.Duration(i) * time.Second / rate)
		if err := srv.UseNonce(ctx, ak(i), "nonce-"+strconv.Itoa(i), ts(i)); err != nil {
			t.Fatalf("request %d at %v refused: %s", i, now.Sub(t0), code(err))
		}
		if i%(rate*60) != rate*60-1 {
			continue
		}
		// Each minute: requests of a second ago and of 14 minutes ago (if
		// any) replayed as they were, and with a new timestamp.
		for _, j := range []int{i - rate, i - 14*60*rate} {
			if j < 0 {
				continue
			}
			for _, when := range []time.Time{ts(j), now.Truncate(time.Second)} {
				if err := srv.UseNonce(ctx, ak(j), "nonce-"+strconv.Itoa(j), when); code(err) != "400 SignatureNonceUsed" {
					t.Fatalf("replay at %v of request %d: %q, want 400 SignatureNonceUsed", now.Sub(t0), j, code(err))
				}
			}
		}
	}
	grown := int64(heapInUse()) - int64(before)
	held := srv.NonceWindowLen()
	t.Logf("%d nonces held: heap +%.1f MB, %.1f bytes a nonce", held, float64(grown)/1e6, float64(grown)/float64(held))
	if held < rate*60*15 {
		t.Errorf("window holds %d nonces, want at least 15 minutes' worth (%d)", held, rate*60*15)
	}
	if grown > 150e6 {
		t.Errorf("heap grew %.1f MB for the window, want at most 150 MB", float64(grown)/1e6)
	}
	// Once the clock has passed the first minute's expiries, that minute's
	// requests have left the window: their nonces may be used again.
	now = t0.Add(minutes * time.Minute)
	for j := 0; j < rate*60; j += 997 {
		if err := srv.UseNonce(ctx, ak(j), "nonce-"+strconv.Itoa(j), now.Truncate(time.Second)); err != nil {
			t.Fatalf("nonce %d reused after its window: %s", j, code(err))
		}
	}
	runtime.KeepAlive(srv)
}

// TestReplayWindowBoundary: a timestamp is accepted up to SkewWindow old,
// that instant included, so its nonce is refused until then too.
func TestReplayWindowBoundary(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	now := t0
	srv := gateway(t, &now)
	if err := srv.UseNonce(ctx, "LTAIedge", "edge", t0); err != nil {
		t.Fatal(err)
	}
	now = t0.Add(server.SkewWindow)
	if _, err := server.CheckTime(now, t0.Format("2006-01-02T15:04:05Z")); err != nil {
		t.Fatalf("timestamp refused at the boundary: %v", err)
	}
	if err := srv.UseNonce(ctx, "LTAIedge", "edge", t0); code(err) != "400 SignatureNonceUsed" {
		t.Fatalf("replay at the last instant its timestamp is accepted: %q, want 400 SignatureNonceUsed", code(err))
	}
}

// TestReplayWindowLongNonce: the window keeps a fixed-size digest, so 100
// requests with a 1,000,000-byte nonce leave no more heap behind than 100
// with a short one.
func TestReplayWindowLongNonce(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	grown := func(size int) int64 {
		now := t0
		srv := gateway(t, &now)
		before := heapInUse()
		for i := range 100 {
			suffix := strconv.Itoa(i)
			nonce := strings.Repeat("n", size-len(suffix)) + suffix
			if err := srv.UseNonce(ctx, "LTAIlong", nonce, t0); err != nil {
				t.Fatal(err)
			}
		}
		g := int64(heapInUse()) - int64(before)
		runtime.KeepAlive(srv)
		return g
	}
	short, long := grown(16), grown(1_000_000)
	t.Logf("100 nonces: heap +%d bytes with 16-byte nonces, +%d with 1,000,000-byte ones", short, long)
	if long > short+256<<10 {
		t.Fatalf("100 long nonces cost %d bytes of heap, short ones %d", long, short)
	}
}

// BenchmarkMemoryNonces records nonces at 5,000 requests a second of a
// simulated clock and reports the heap each held nonce costs, and what a
// window of 1,000 requests a second (900,000 nonces) costs.
func BenchmarkMemoryNonces(b *testing.B) {
	ctx := context.Background()
	t0 := time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)
	keys := make([]localyun.ReplayKey, 1<<16)
	n := server.NewMemoryNonces(0)
	before := heapInUse()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i%len(keys) == 0 {
			b.StopTimer()
			for j := range keys {
				now := t0.Add(time.Duration(i+j) * time.Second / 5000)
				keys[j] = localyun.NewReplayKey("LTAIbench", "nonce-"+strconv.Itoa(i+j), now.Add(server.SkewWindow))
			}
			b.StartTimer()
		}
		k := keys[i%len(keys)]
		if err := n.UseNonce(ctx, k, k.Expires.Add(-server.SkewWindow)); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.StopTimer()
	per := float64(int64(heapInUse())-int64(before)) / float64(n.Len())
	runtime.KeepAlive(keys)
	b.ReportMetric(per, "heap-B/nonce")
	b.ReportMetric(per*900_000/1e6, "heap-MB/1000rps")
}
