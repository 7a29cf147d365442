package sqlstore

import (
	"encoding/json"
	"fmt"
	"strings"

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
