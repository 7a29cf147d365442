package auditq

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

// TestQueue: items are written in batches; a full queue drops and counts;
// a failed write counts its batch as lost; Flush waits for everything
// queued before it, also while other goroutines keep adding (run with
// -race: Add during Flush was a WaitGroup misuse in the first version).
func TestQueue(t *testing.T) {
	release := make(chan struct{})
	var wrote atomic.Int64
	fail := atomic.Bool{}
	q := New(4, 2, func(_ context.Context, items []int) (int, error) {
		<-release
		if fail.Load() {
			return 0, errors.New("store down")
		}
		wrote.Add(int64(len(items)))
		return len(items), nil
	})
	// The writer holds the first batch; 4 more fill the channel.
	for i := range 10 {
		q.Add(i)
	}
	if q.Dropped() == 0 {
		t.Fatal("a full queue dropped nothing")
	}
	close(release)
	q.Flush()
	if got := wrote.Load() + int64(q.Dropped()); got != 10 {
		t.Fatalf("written %d + dropped %d != 10", wrote.Load(), q.Dropped())
	}
	fail.Store(true)
	before := q.Dropped()
	q.Add(1)
	q.Flush()
	if q.Dropped() != before+1 {
		t.Fatalf("a failed write was not counted: dropped %d, want %d", q.Dropped(), before+1)
	}
	fail.Store(false)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for i := range 200 {
				q.Add(i)
				if i%50 == 0 {
					q.Flush()
				}
			}
		})
	}
	wg.Wait()
	q.Flush()
	if n := wrote.Load() + int64(q.Dropped()); n < 810 {
		t.Fatalf("written + dropped = %d, want at least 810", n)
	}
}
