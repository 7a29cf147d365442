package postgres

import (
	"time"

	"github.com/localyun/localyun/internal/sqlstore"
)

// observeTx starts timing one write transaction; withTx defers the
// function it returns, which counts the transaction in TxTimes.
func (st *Store) observeTx() func() {
	start := time.Now()
	return func() { st.txTimes.ObserveSince(start) }
}

// TxTimes reports the write transactions' durations (withTx: from the
// call to the commit or rollback, retries included), for /metrics.
func (st *Store) TxTimes() *sqlstore.TxTimes { return &st.txTimes }
