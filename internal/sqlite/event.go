package sqlite

import (
	"context"
	"database/sql"
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

// pendingEventArgs returns the insert arguments of ctx's pending event, or
// nil when there is none to write.
func pendingEventArgs(ctx context.Context) ([]any, error) {
	ev, ok := localyun.PendingEvent(ctx)
	if !ok {
		return nil, nil
	}
	return sqlstore.EventValues(ev)
}

// FindEvents lists events; see localyun.EventStore.
func (st *Store) FindEvents(ctx context.Context, f localyun.EventFilter) ([]localyun.Event, error) {
	q, args, err := sqlstore.FindEventsQuery(eventDialect, f)
	if err != nil {
		return nil, err
	}
	rows, err := st.readQuery(ctx, q, args...)
	if err != nil {
		return nil, formatError(err)
	}
	defer rows.Close()
	var out []localyun.Event
	for rows.Next() {
		ev, err := sqlstore.ScanEvent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	return out, formatError(rows.Err())
}

// AppendEvents writes events in one write transaction of their own.
func (st *Store) AppendEvents(ctx context.Context, events []localyun.Event) error {
	rows := make([][]any, len(events))
	for i, ev := range events {
		v, err := sqlstore.EventValues(ev)
		if err != nil {
			return err
		}
		rows[i] = v
	}
	return st.withTx(localyun.WithoutEvent(ctx), func(ctx context.Context, tx *sql.Tx) error {
		for _, v := range rows {
			if _, err := tx.ExecContext(ctx, insertEvent, v...); err != nil {
				return err
			}
		}
		return nil
	})
}

// DeleteEventsBefore deletes the events older than t, in batches of
// sqlstore.EventRetentionBatch, each a write of its own.
func (st *Store) DeleteEventsBefore(ctx context.Context, t time.Time) (int, error) {
	ctx = localyun.WithoutEvent(ctx)
	total := 0
	for {
		var n int64
		err := st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, expireEvents, ms(t), sqlstore.EventRetentionBatch)
			if err == nil {
				n, err = res.RowsAffected()
			}
			return err
		})
		total += int(n)
		if err != nil || n < sqlstore.EventRetentionBatch {
			return total, err
		}
	}
}
