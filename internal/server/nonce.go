package server

import (
	"context"
	"hash/maphash"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"

	"github.com/localyun/localyun"
)

// DefaultMaxNonces is the default safety cap of MemoryNonces: 16 Mi
// nonces. 5,000 requests a second leave 4.5 million in a 15-minute window
// (9 million if every client's clock runs 15 minutes ahead), so the cap is
// reached only far beyond what one node serves.
const DefaultMaxNonces = 16 << 20

const (
	// nonceShards is how many independently locked parts the window has.
	nonceShards = 64
	// nonceBuckets is the ring of buckets of a shard: one per minute of
	// expiry, so keys may expire up to an hour ahead (timestamps are
	// accepted up to 30 minutes ahead of expiring).
	nonceBuckets = 64
	bucketSpan   = 60 // seconds of expiry per bucket
)

// MemoryNonces is an in-process replay window, sized by time rather than
// by count. A key is held as a 64-bit fingerprint of its SHA-256 Sum
// (keyed by a seed of this process, so nobody can aim at another's
// fingerprint or crowd a table) in the bucket of its expiry minute, in one
// of nonceShards shards; a bucket is dropped whole once its minute has
// passed, so no request pays for a sweep and memory follows requests per
// second × the window, about 12 bytes a nonce (BenchmarkMemoryNonces). A
// replay has the same fingerprint and is always refused; a fresh request
// is falsely refused (as a replay) only when its fingerprint equals one of
// the n held, with probability at most n/2^64 (below 3·10^-13 at 5,000
// requests a second).
//
// Beyond the safety cap a new key is refused (503) rather than a replay
// let through. The window drops buckets by the latest now it has seen; if
// the clock goes back (by up to a minute, see advance) it refuses as
// expired a key whose bucket it may have dropped.
type MemoryNonces struct {
	max     int64
	seed    maphash.Seed
	count   atomic.Int64 // keys in buckets not yet dropped
	clock   atomic.Int64 // the latest now seen, Unix nanoseconds
	dropped atomic.Int64 // the minute UseNonce last called dropExpired
	shards  [nonceShards]nonceShard
}

// nonceShard is one locked part of the window: a ring of buckets indexed
// by expiry minute modulo nonceBuckets.
type nonceShard struct {
	mu      sync.Mutex
	buckets [nonceBuckets]nonceBucket
}

// nonceBucket holds the keys expiring within one minute.
type nonceBucket struct {
	minute int64 // Unix minute of the keys' expiries
	keys   *keySet
}

// NewMemoryNonces returns a replay window holding at most max nonces
// (DefaultMaxNonces when max is not positive).
func NewMemoryNonces(max int) *MemoryNonces {
	if max <= 0 {
		max = DefaultMaxNonces
	}
	return &MemoryNonces{max: int64(max), seed: maphash.MakeSeed()}
}

// UseNonce records key until key.Expires; see localyun.NonceStore. A key is
// held until the end of its expiry minute, at most a minute longer than
// asked.
func (n *MemoryNonces) UseNonce(_ context.Context, key localyun.ReplayKey, now time.Time) error {
	minute, current := minuteOf(key.Expires), minuteOf(n.advance(now))
	if key.Expires.Before(now) || minute < current {
		// Expired, or its bucket may be gone: the clock went back.
		return localyun.ErrInvalid
	}
	if minute >= current+nonceBuckets {
		return localyun.ErrUnavailable // beyond the ring
	}
	if d := n.dropped.Load(); d < current && n.dropped.CompareAndSwap(d, current) {
		n.dropExpired(current) // the first request of a minute
	}
	h := maphash.Bytes(n.seed, key.Sum[:])
	if h == 0 {
		h = 1 // 0 marks a free slot
	}
	sh := &n.shards[h%nonceShards]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	for i := range sh.buckets {
		if b := &sh.buckets[i]; b.keys != nil && b.minute >= current && b.keys.has(h) {
			return localyun.ErrAlreadyExists
		}
	}
	if n.count.Load() >= n.max {
		return localyun.ErrUnavailable
	}
	b := &sh.buckets[uint64(minute)%nonceBuckets]
	if b.keys == nil || b.minute < current {
		// Live buckets span fewer than nonceBuckets minutes, so a slot
		// holds another minute only once that one has passed.
		n.count.Add(-int64(b.keys.len()))
		hint := 0
		if prev := &sh.buckets[uint64(minute-1)%nonceBuckets]; prev.minute == minute-1 {
			hint = prev.keys.len()
		}
		*b = nonceBucket{minute: minute, keys: newKeySet(hint)}
	}
	b.keys.add(h)
	n.count.Add(1)
	return nil
}

// Len returns the number of nonces held, after dropping the buckets whose
// minute has passed (by the latest now UseNonce has seen).
func (n *MemoryNonces) Len() int {
	n.dropExpired(minuteOf(time.Unix(0, n.clock.Load())))
	return int(n.count.Load())
}

// dropExpired drops, in every shard, the buckets of minutes before
// current: a few thousand comparisons, once a minute, whatever the number
// of keys (their memory goes to the garbage collector).
func (n *MemoryNonces) dropExpired(current int64) {
	for i := range n.shards {
		sh := &n.shards[i]
		sh.mu.Lock()
		for j := range sh.buckets {
			if b := &sh.buckets[j]; b.keys != nil && b.minute < current {
				n.count.Add(-int64(b.keys.len()))
				*b = nonceBucket{}
			}
		}
		sh.mu.Unlock()
	}
}

// advance moves the window's clock to now unless it is already later by at
// most a minute, and returns the clock. A wall clock set back further is
// believed: refusing every request until it catches up would be worse
// than forgetting the keys of the minutes it went back.
func (n *MemoryNonces) advance(now time.Time) time.Time {
	ns := now.UnixNano()
	for {
		seen := n.clock.Load()
		if seen >= ns && seen-ns <= int64(time.Minute) {
			return time.Unix(0, seen)
		}
		if n.clock.CompareAndSwap(seen, ns) {
			return now
		}
	}
}

// minuteOf returns the Unix minute of t: a bucket of minute m holds the
// expiries in [m·60 s, (m+1)·60 s), and every one of them has passed once
// minuteOf(now) > m.
func minuteOf(t time.Time) int64 {
	s := t.Unix()
	m := s / bucketSpan
	if s%bucketSpan < 0 {
		m--
	}
	return m
}

// keySet is a set of non-zero 64-bit fingerprints in one slice: open
// addressing with linear probing, at most 3/4 full, 8 bytes a slot and no
// other overhead. Fingerprints are uniform, so the high bits of h·len
// spread them evenly.
type keySet struct {
	slots []uint64 // 0: free
	n     int
}

// newKeySet returns a set sized for hint keys and a sixteenth more.
func newKeySet(hint int) *keySet {
	return &keySet{slots: make([]uint64, (hint+hint/16)*4/3+8)}
}

func (s *keySet) len() int {
	if s == nil {
		return 0
	}
	return s.n
}

// slot returns the index of h, or of the free slot where it belongs.
func (s *keySet) slot(h uint64) int {
	i, _ := bits.Mul64(h, uint64(len(s.slots)))
	for s.slots[i] != 0 && s.slots[i] != h {
		if i++; i == uint64(len(s.slots)) {
			i = 0
		}
	}
	return int(i)
}

func (s *keySet) has(h uint64) bool { return s.slots[s.slot(h)] == h }

// add adds h, which the set does not hold, doubling the slots first if
// they would be more than 3/4 full.
func (s *keySet) add(h uint64) {
	if (s.n+1)*4 > len(s.slots)*3 {
		old := s.slots
		s.slots = make([]uint64, 2*len(old))
		for _, k := range old {
			if k != 0 {
				s.slots[s.slot(k)] = k
			}
		}
	}
	s.slots[s.slot(h)] = h
	s.n++
}

// replaySlot is where useNonce leaves the replay key of the request it
// accepted, for ServeHTTP to put in the context the handlers see.
type replaySlot struct{}

// withReplaySlot returns a context whose useNonce stores into key.
func withReplaySlot(ctx context.Context, key *localyun.ReplayKey) context.Context {
	return context.WithValue(ctx, replaySlot{}, key)
}

var _ localyun.NonceStore = (*MemoryNonces)(nil)

// RecordedKeys is where a previous process recorded the replay keys of the
// requests whose writes committed (the SQLite store's replay_keys).
type RecordedKeys interface {
	ReplayKeyRecorded(ctx context.Context, key localyun.ReplayKey) (bool, error)
}

// recordedNonces is a replay window that also refuses the replays of
// requests a previous process recorded, expiring at the latest at until.
type recordedNonces struct {
	window   localyun.NonceStore
	recorded RecordedKeys
	until    time.Time
}

// WithRecordedKeys returns window, made to also refuse the keys recorded
// in rec that expire at or before until (the latest recorded expiry when
// the process started). Nothing is loaded: a request is looked up in rec
// only when the window took its key and it expires no later than until,
// which a request signed after the restart does not (its timestamp is
// later than any recorded one), so start-up costs the same whatever the
// number of keys, and lookups stop once until has passed. A replay carries
// its request's timestamp, hence its key's expiry: one lookup on rec's
// primary key finds it.
func WithRecordedKeys(window localyun.NonceStore, rec RecordedKeys, until time.Time) localyun.NonceStore {
	return &recordedNonces{window: window, recorded: rec, until: until}
}

// UseNonce implements localyun.NonceStore.
func (r *recordedNonces) UseNonce(ctx context.Context, key localyun.ReplayKey, now time.Time) error {
	if err := r.window.UseNonce(ctx, key, now); err != nil || key.Expires.After(r.until) {
		return err
	}
	used, err := r.recorded.ReplayKeyRecorded(ctx, key)
	switch {
	case err != nil:
		return err
	case used:
		return localyun.ErrAlreadyExists
	}
	return nil
}

// Len returns the number of nonces the window holds in memory (for
// /metrics), or -1 when the window does not count them.
func (r *recordedNonces) Len() int {
	if w, ok := r.window.(interface{ Len() int }); ok {
		return w.Len()
	}
	return -1
}
