package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/localyun/localyun"
)

// EventColumns are the columns of the events table (migration 0011) an
// insert gives, in the order of EventValues.
const EventColumns = `account_id, event_time, event_id, event_name, service_name, event_rw, user_name, access_key_id,
	resource_types, resource_names, body`

// storedEvent is the body column: every field of the event, in Go's names
// (the wire form is Event.MarshalJSON, rendered when read).
type storedEvent localyun.Event

// EventValues are the values of ev for EventColumns. The event's time is
// kept in milliseconds, the precision of event_time.
func EventValues(ev localyun.Event) ([]any, error) {
	ev.Time = FromMillis(Millis(ev.Time))
	ev.Seq = 0
	body, err := json.Marshal(storedEvent(ev))
	if err != nil {
		return nil, err
	}
	types, names := listColumn(ev.Resources, func(r localyun.EventResource) string { return r.Type }),
		listColumn(ev.Resources, func(r localyun.EventResource) string { return r.Name })
	return []any{ev.AccountID, Millis(ev.Time), ev.ID, ev.Name, ev.Service, ev.RW, ev.Identity.UserName,
		ev.Identity.AccessKeyID, types, names, string(body)}, nil
}

// listColumn is ",a,b," of the distinct values of f over rs: a value is in
// the list when ",value," is in the column.
func listColumn(rs []localyun.EventResource, f func(localyun.EventResource) string) string {
	var b strings.Builder
	b.WriteByte(',')
	seen := map[string]bool{}
	for _, r := range rs {
		if v := f(r); v != "" && !seen[v] {
			seen[v] = true
			b.WriteString(v)
			b.WriteByte(',')
		}
	}
	return b.String()
}

// EventSelectColumns are the columns ScanEvent reads.
const EventSelectColumns = `seq, event_time, body`

// ScanEvent reads a row of EventSelectColumns.
func ScanEvent(row Scanner) (localyun.Event, error) {
	var seq, at int64
	var body string
	if err := row.Scan(&seq, &at, &body); err != nil {
		return localyun.Event{}, err
	}
	var ev storedEvent
	if err := json.Unmarshal([]byte(body), &ev); err != nil {
		return localyun.Event{}, fmt.Errorf("event %d: %w", seq, err)
	}
	ev.Seq, ev.Time = seq, FromMillis(at)
	return localyun.Event(ev), nil
}

// EventDialect is what FindEventsQuery needs of a dialect.
type EventDialect struct {
	// Placeholder is the n-th (from 1) parameter's placeholder.
	Placeholder func(n int) string
	// Contains is the condition that the text column col contains the
	// text of the expression sub.
	Contains func(col, sub string) string
}

// eventColumnOf is the column each LookupAttribute key matches; the two
// list columns match one of their values.
var eventColumnOf = map[string]string{
	localyun.LookupServiceName: "service_name", localyun.LookupEventName: "event_name",
	localyun.LookupUser: "user_name", localyun.LookupEventID: "event_id", localyun.LookupEventRW: "event_rw",
	localyun.LookupEventAccessKeyID: "access_key_id",
	localyun.LookupResourceType:     "resource_types", localyun.LookupResourceName: "resource_names",
}

// FindEventsQuery composes the query of FindEvents from literal fragments:
// the account and time window, each attribute, the cursor, the order and
// the limit. An unknown attribute key is an error (the API validates them).
func FindEventsQuery(d EventDialect, f localyun.EventFilter) (string, []any, error) {
	var args []any
	add := func(v any) string {
		args = append(args, v)
		return d.Placeholder(len(args))
	}
	var q strings.Builder
	q.WriteString(`SELECT ` + EventSelectColumns + ` FROM events WHERE account_id = ` + add(f.AccountID))
	if !f.Start.IsZero() {
		q.WriteString(` AND event_time >= ` + add(Millis(f.Start)))
	}
	if !f.End.IsZero() {
		q.WriteString(` AND event_time <= ` + add(Millis(f.End)))
	}
	for _, a := range f.Attributes {
		col, ok := eventColumnOf[a.Key]
		if !ok {
			return "", nil, fmt.Errorf("lookup attribute %q: %w", a.Key, localyun.ErrInvalid)
		}
		if a.Key == localyun.LookupResourceType || a.Key == localyun.LookupResourceName {
			q.WriteString(` AND ` + d.Contains(col, add(","+a.Value+",")))
			continue
		}
		q.WriteString(` AND ` + col + ` = ` + add(a.Value))
	}
	cmp, order := " < ", " DESC"
	if f.Forward {
		cmp, order = " > ", ""
	}
	if f.After != nil {
		q.WriteString(` AND (event_time, seq)` + cmp + `(` + add(Millis(f.After.Time)) + `, ` + add(f.After.Seq) + `)`)
	}
	q.WriteString(` ORDER BY event_time` + order + `, seq` + order)
	if f.Limit > 0 {
		q.WriteString(` LIMIT ` + add(f.Limit))
	}
	return q.String(), args, nil
}

// EventRetentionBatch bounds the rows one DELETE of DeleteEventsBefore
// removes: each batch is a short transaction of its own.
const EventRetentionBatch = 5000

// EventSQL is what the EventStore methods both stores share need of one:
// its dialect, its insert and retention statements, its reads and write
// transactions, its error mapping.
type EventSQL struct {
	Dialect EventDialect
	Insert  string // INSERT INTO events (EventColumns) VALUES (...)
	// Expire deletes at most its second argument of the events older than
	// its first (Unix milliseconds).
	Expire string
	Query  func(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	InTx   func(ctx context.Context, fn func(context.Context, *sql.Tx) error) error
	Format func(error) error
}

// Find lists events; see localyun.EventStore.
func (e EventSQL) Find(ctx context.Context, f localyun.EventFilter) ([]localyun.Event, error) {
	q, args, err := FindEventsQuery(e.Dialect, f)
	if err != nil {
		return nil, err
	}
	rows, err := e.Query(ctx, q, args...)
	if err != nil {
		return nil, e.Format(err)
	}
	defer rows.Close()
	var out []localyun.Event
	for rows.Next() {
		ev, err := ScanEvent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	return out, e.Format(rows.Err())
}

// Append writes events in one write transaction of their own.
func (e EventSQL) Append(ctx context.Context, events []localyun.Event) error {
	rows := make([][]any, len(events))
	for i, ev := range events {
		v, err := EventValues(ev)
		if err != nil {
			return err
		}
		rows[i] = v
	}
	return e.InTx(localyun.WithoutEvent(ctx), func(ctx context.Context, tx *sql.Tx) error {
		for _, v := range rows {
			if _, err := tx.ExecContext(ctx, e.Insert, v...); err != nil {
				return err
			}
		}
		return nil
	})
}

// DeleteBefore deletes the events older than t, in batches of
// EventRetentionBatch, each a write of its own.
func (e EventSQL) DeleteBefore(ctx context.Context, t time.Time) (int, error) {
	ctx = localyun.WithoutEvent(ctx)
	total := 0
	for {
		var n int64
		err := e.InTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, e.Expire, Millis(t), EventRetentionBatch)
			if err == nil {
				n, err = res.RowsAffected()
			}
			return err
		})
		total += int(n)
		if err != nil || n < EventRetentionBatch {
			return total, err
		}
	}
}

// PendingEventArgs returns the insert arguments of ctx's pending event, or
// nil when there is none to write (see localyun.WithEvent).
func PendingEventArgs(ctx context.Context) ([]any, error) {
	ev, ok := localyun.PendingEvent(ctx)
	if !ok {
		return nil, nil
	}
	return EventValues(ev)
}
