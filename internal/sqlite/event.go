package sqlite

import (
	"context"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/sqlstore"
)

// The events table (migration 0011) is the audit trail. A request's event
// is written by its first write transaction to commit (withTx), inside
// that request's savepoint of the shared transaction (commit.go), so that
// the change and its event commit or roll back together.
const (
	insertEvent  = `INSERT INTO events (` + sqlstore.EventColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	expireEvents = `DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE event_time < ? LIMIT ?)`
)

var eventDialect = sqlstore.EventDialect{
	Placeholder: func(int) string { return "?" },
	Contains:    func(col, sub string) string { return "instr(" + col + ", " + sub + ") > 0" },
}

// events is the EventStore of st (sqlstore.EventSQL).
func (st *Store) events() sqlstore.EventSQL {
	return sqlstore.EventSQL{Dialect: eventDialect, Insert: insertEvent, Expire: expireEvents, Query: st.readQuery,
		InTx: st.withTx, Format: formatError}
}

// FindEvents lists events; see localyun.EventStore.
func (st *Store) FindEvents(ctx context.Context, f localyun.EventFilter) ([]localyun.Event, error) {
	return st.events().Find(ctx, f)
}

// AppendEvents writes events in one write transaction of their own.
func (st *Store) AppendEvents(ctx context.Context, events []localyun.Event) error {
	return st.events().Append(ctx, events)
}

// DeleteEventsBefore deletes the events older than t, in batches of
// sqlstore.EventRetentionBatch, each a write of its own.
func (st *Store) DeleteEventsBefore(ctx context.Context, t time.Time) (int, error) {
	return st.events().DeleteBefore(ctx, t)
}
