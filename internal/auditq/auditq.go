// Package auditq is the bounded queue through which the audit events that
// change nothing (denials, refused logins, sign-ins) are written on their
// own: callers never wait for the store, one goroutine writes the queued
// items in batches, and when the queue is full an item is dropped and
// counted, so that a flood of refused calls never slows anyone else.
// The server (API and metadata refusals) and the bastion SSH gateway each
// have one.
package auditq

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// WriteTimeout bounds the write of one batch: a store that does not
// answer must not hold Flush (and a shutdown) for ever.
const WriteTimeout = 10 * time.Second

// Queue is a bounded queue of items of type T written in batches by write,
// which returns how many events it stored (an item may turn out to be
// nothing to write) and an error when the batch was lost.
type Queue[T any] struct {
	ch    chan T
	batch int
	write func(ctx context.Context, items []T) (int, error)

	dropped atomic.Uint64 // refused (full queue) or lost (failed write)
	written atomic.Uint64

	mu      sync.Mutex
	idle    sync.Cond // on mu: pending went to 0
	running bool      // a writer goroutine runs
	pending int       // items queued or being written
}

// New returns a queue holding at most size items, written batch at a time
// by write.
func New[T any](size, batch int, write func(ctx context.Context, items []T) (int, error)) *Queue[T] {
	q := &Queue[T]{ch: make(chan T, size), batch: batch, write: write}
	q.idle.L = &q.mu
	return q
}

// Add queues it without waiting, and reports false when the queue was full
// and it was dropped (and counted).
func (q *Queue[T]) Add(it T) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	select {
	case q.ch <- it:
	default:
		q.dropped.Add(1)
		return false
	}
	q.pending++
	if !q.running {
		q.running = true
		go q.run()
	}
	return true
}

// run writes the queued items in batches until the queue is empty.
func (q *Queue[T]) run() {
	batch := make([]T, 0, q.batch)
	for {
		batch = batch[:0]
	take:
		for len(batch) < q.batch {
			select {
			case it := <-q.ch:
				batch = append(batch, it)
			default:
				break take
			}
		}
		if len(batch) == 0 {
			q.mu.Lock()
			if len(q.ch) == 0 {
				q.running = false
				q.mu.Unlock()
				return
			}
			q.mu.Unlock()
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), WriteTimeout)
		n, err := q.write(ctx, batch)
		cancel()
		if err != nil {
			q.dropped.Add(uint64(len(batch)))
		} else {
			q.written.Add(uint64(n))
		}
		q.mu.Lock()
		if q.pending -= len(batch); q.pending == 0 {
			q.idle.Broadcast()
		}
		q.mu.Unlock()
	}
}

// Flush waits until the queue is empty: every item queued before it, and
// any added meanwhile, written or lost (each batch takes at most
// WriteTimeout).
func (q *Queue[T]) Flush() {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.pending > 0 {
		q.idle.Wait()
	}
}

// Dropped is how many items were dropped (a full queue) or lost (a failed
// write).
func (q *Queue[T]) Dropped() uint64 { return q.dropped.Load() }

// Written is how many events the writes stored.
func (q *Queue[T]) Written() uint64 { return q.written.Load() }
