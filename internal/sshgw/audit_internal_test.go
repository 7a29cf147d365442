package sshgw

import (
	"context"
	"testing"
	"time"

	"github.com/localyun/localyun"
)

// blockedStore's AppendEvents waits until release is closed.
type blockedStore struct {
	Store
	release chan struct{}
	written chan int
}

func (s blockedStore) AppendEvents(ctx context.Context, events []localyun.Event) error {
	<-s.release
	s.written <- len(events)
	return nil
}

// TestEventQueueDrops: with the store stuck, enqueue never blocks; the
// events past the queue's size (and the batch the writer holds) are dropped
// and counted, the others written once the store answers.
func TestEventQueueDrops(t *testing.T) {
	st := blockedStore{release: make(chan struct{}), written: make(chan int, 2*eventQueueSize)}
	g := New(Options{Store: st})
	l := &instanceListener{instanceID: "bastionhost-cn-q", accountID: "1", regionID: "cn-hangzhou"}
	lg := login{l: l, instanceID: l.instanceID, userName: "u", clientAddr: "127.0.0.1:1"}
	const extra = 10
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range eventQueueSize + eventBatch + extra {
			g.denied(lg, nil)
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("enqueue blocked on a stuck store")
	}
	dropped := g.Stats().EventsDropped
	if dropped < extra || dropped > eventBatch+extra {
		t.Fatalf("dropped %d, want between %d and %d", dropped, extra, eventBatch+extra)
	}
	close(st.release)
	g.FlushEvents()
	total := 0
	for len(st.written) > 0 {
		total += <-st.written
	}
	if uint64(total)+dropped != eventQueueSize+eventBatch+extra {
		t.Fatalf("written %d + dropped %d", total, dropped)
	}
}
