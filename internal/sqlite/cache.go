package sqlite

import "sync"

// rowCache is a read-through cache of rows that requests read far more
// often than anything writes them (access keys, bastion instances, the
// listing columns of bastion hosts). It is kept exact by the store's own
// writes: a write that can change a cached row calls forget or invalidate
// after its transaction has ended, and a row read before such a write is
// not stored after it (the generation check in put). Only this
// process writes the file (Open takes an exclusive lock on it, see
// lockFile), so no other writer can leave the cache stale. Nothing is cached
// for a row that does not exist, so creating a row needs no invalidation.
//
// A write may also carry its change into the cached rows instead of
// forgetting them (generation, update): see update for when that is exact.
type rowCache[K comparable, V any] struct {
	max int // rows kept at most; 0 is defaultMaxCachedRows

	mu  sync.RWMutex
	gen uint64
	m   map[K]V
}

// defaultMaxCachedRows bounds a cache; beyond it rows are read from the
// database.
const defaultMaxCachedRows = 10_000

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

// put stores a row read at generation gen, unless a write has invalidated
// the cache since.
func (c *rowCache[K, V]) put(k K, v V, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	limit := c.max
	if limit == 0 {
		limit = defaultMaxCachedRows
	}
	if gen != c.gen || len(c.m) >= limit {
		return
	}
	if c.m == nil {
		c.m = map[K]V{}
	}
	c.m[k] = v
}

// forget forgets the row of k (and makes rows read before now unstorable).
func (c *rowCache[K, V]) forget(k K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	delete(c.m, k)
}

// invalidate forgets every row.
func (c *rowCache[K, V]) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.m)
}

// forgetAll forgets the rows of keys (and makes rows read before now
// unstorable).
func (c *rowCache[K, V]) forgetAll(keys []K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for _, k := range keys {
		delete(c.m, k)
	}
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
// except that while the cache is still at gen (see generation) it changes
// the cached row of keys[i] to change(i, row), unless that returns false
// to forget the row instead, rather than forgetting it.
//
// What keeps the cache exact: a cached row differs from the committed row
// only while a write that committed a change of it has not yet ended (moved
// the generation), and every write ends before it returns. update keeps
// that: writes commit one after another on the one write connection, and a
// cache still at gen has seen no write end since this one noted gen, so the
// cached rows of keys are as this write found them, or as a write that
// committed later left them (it has not ended, and will forget its rows, as
// it finds the generation moved), or as a write that committed earlier but
// has not ended left them (that one will forget them too). change turns the
// first kind into the row this write committed. When another write has
// ended since gen, this one forgets its rows. Rows read before now are
// unstorable, as with forget.
func (c *rowCache[K, V]) update(gen uint64, keys []K, change func(i int, row V) (V, bool)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	same := gen == c.gen
	c.gen++
	for i, k := range keys {
		v, ok := c.m[k]
		if !ok {
			continue
		}
		if same {
			v, ok = change(i, v)
		}
		if same && ok {
			c.m[k] = v
		} else {
			delete(c.m, k)
		}
	}
}
