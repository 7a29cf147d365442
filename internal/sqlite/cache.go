package sqlite

import "sync"

// rowCache is a read-through cache of rows that requests read far more
// often than anything writes them (access keys, bastion instances, the
// listing columns of bastion hosts, ECS instances). It is kept exact by the
// store's own writes: a write that can change a cached row calls forget,
// forgetAll, update or invalidate after its transaction has ended, and a
// row read before such a write of it is not stored after it (the check in
// put). Only this process writes the file (Open takes an exclusive lock on
// it, see lockFile), so no other writer can leave the cache stale. Nothing
// is cached for a row that does not exist, so creating a row needs no
// invalidation.
//
// Every write that ends moves the generation; the cache remembers, for the
// keys written lately, the generation their last write ended at (written),
// so that a write of one row does not make the reads of others unstorable.
// Beyond maxWrittenKeys it forgets those and treats every read before then
// as stale (floor).
//
// A write may also carry its change into the cached rows instead of
// forgetting them (generation, update): see update for when that is exact.
type rowCache[K comparable, V any] struct {
	max int // rows kept at most; 0 is defaultMaxCachedRows

	mu      sync.RWMutex
	gen     uint64
	m       map[K]V
	written map[K]uint64 // key → generation its last write ended at, for writes since floor
	floor   uint64       // rows read at a generation before it are unstorable
}

// defaultMaxCachedRows bounds a cache; beyond it rows are read from the
// database.
const defaultMaxCachedRows = 10_000

// maxWrittenKeys bounds the keys whose last write a cache remembers.
const maxWrittenKeys = 4096

// get returns the cached row for k, or the generation to pass to put with
// the row read from the database.
func (c *rowCache[K, V]) get(k K) (V, uint64, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	v, ok := c.m[k]
	return v, c.gen, ok
}

// getAll is get for several keys under one lock: vals[i] and found[i] are
// set for keys[i]; gen is as for get.
func (c *rowCache[K, V]) getAll(keys []K, vals []V, found []bool) (gen uint64) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for i, k := range keys {
		vals[i], found[i] = c.m[k]
	}
	return c.gen
}

// full reports whether the cache holds as many rows as it may: put would
// store nothing.
func (c *rowCache[K, V]) full() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m) >= c.limit()
}

// limit is the number of rows the cache keeps at most.
func (c *rowCache[K, V]) limit() int {
	if c.max == 0 {
		return defaultMaxCachedRows
	}
	return c.max
}

// stale reports whether the row of k as read at generation gen may be older
// than the committed row: a write of it has ended since.
func (c *rowCache[K, V]) stale(k K, gen uint64) bool {
	return gen < c.floor || c.written[k] > gen
}

// put stores a row read at generation gen, unless a write of it has ended
// since.
func (c *rowCache[K, V]) put(k K, v V, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stale(k, gen) || len(c.m) >= c.limit() {
		return
	}
	if c.m == nil {
		c.m = map[K]V{}
	}
	c.m[k] = v
}

// wrote notes that a write of k ended at the current generation. Called
// with c.mu held, after c.gen moved.
func (c *rowCache[K, V]) wrote(k K) {
	if len(c.written) >= maxWrittenKeys {
		c.floor = c.gen
		clear(c.written)
	}
	if c.written == nil {
		c.written = map[K]uint64{}
	}
	c.written[k] = c.gen
}

// forget forgets the row of k (and makes it unstorable as read before now).
func (c *rowCache[K, V]) forget(k K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	delete(c.m, k)
	c.wrote(k)
}

// forgetAll forgets the rows of keys (and makes them unstorable as read
// before now).
func (c *rowCache[K, V]) forgetAll(keys []K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for _, k := range keys {
		delete(c.m, k)
		c.wrote(k)
	}
}

// invalidate forgets every row (and makes every row read before now
// unstorable).
func (c *rowCache[K, V]) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.m)
	c.floor = c.gen
	clear(c.written)
}

// generation returns the generation for update, which a write notes
// before its transaction commits: inside it, once the write holds the
// write connection, so that writes ending while it waited do not count.
func (c *rowCache[K, V]) generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

// update is forgetAll(keys) for a write whose transaction has committed,
// except that the cached row of a key no other write has ended on since
// gen (see generation) becomes change(i, row) (for keys[i]) rather than
// being forgotten, unless change returns false.
//
// What keeps the cache exact: a cached row differs from the committed row
// only while a write that committed a change of it has not yet ended, and
// every write ends before it returns. update keeps that: writes commit one
// after another on the one write connection, and a row of keys no write
// has ended on since gen is as this write found it, or as a write that
// committed since left it, or as a write that committed before gen was
// noted but has not ended left it. Either of those other writes noted its
// own generation before now, so when it ends it finds this write ended on
// the row since, and forgets it. change turns the first kind into the row
// this write committed. A row another write has ended on since gen is
// forgotten. Rows of keys read before now are unstorable, as with forget.
func (c *rowCache[K, V]) update(gen uint64, keys []K, change func(i int, row V) (V, bool)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for i, k := range keys {
		if v, ok := c.m[k]; ok {
			if !c.stale(k, gen) {
				v, ok = change(i, v)
			} else {
				ok = false
			}
			if ok {
				c.m[k] = v
			} else {
				delete(c.m, k)
			}
		}
		c.wrote(k)
	}
}
