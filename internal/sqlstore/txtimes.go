package sqlstore

import (
	"sync/atomic"
	"time"
)

// TxTimes is a histogram of how long a store's write transactions take,
// from the call (queued, on SQLite) to the commit or the rollback: lock
// free, kept by the store and read by /metrics (which is where the
// Prometheus types live: stores import none). The zero value is ready.
type TxTimes struct {
	counts [len(TxTimeBuckets) + 1]atomic.Uint64 // per bucket, the last for +Inf
	sumNs  atomic.Uint64
}

// TxTimeBuckets are the upper bounds of TxTimes's buckets, in seconds.
var TxTimeBuckets = [...]float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}

// ObserveSince counts one transaction that started at start: the store
// calls `defer st.txTimes.ObserveSince(time.Now())` first thing in its
// withTx.
func (t *TxTimes) ObserveSince(start time.Time) {
	d := time.Since(start)
	s := d.Seconds()
	i := 0
	for i < len(TxTimeBuckets) && s > TxTimeBuckets[i] {
		i++
	}
	t.counts[i].Add(1)
	t.sumNs.Add(uint64(d))
}

// Snapshot returns the cumulative count of transactions at or under each
// bound of TxTimeBuckets, the count of all and the sum of their seconds.
func (t *TxTimes) Snapshot() (cumulative []uint64, count uint64, sum float64) {
	cumulative = make([]uint64, len(TxTimeBuckets))
	for i := range TxTimeBuckets {
		count += t.counts[i].Load()
		cumulative[i] = count
	}
	count += t.counts[len(TxTimeBuckets)].Load()
	return cumulative, count, time.Duration(t.sumNs.Load()).Seconds()
}
