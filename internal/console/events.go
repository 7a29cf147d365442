package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/localyun/localyun/internal/explain"
)

// trailTime is ActionTrail's time format (StartTime, EndTime, eventTime).
const trailTime = "2006-01-02T15:04:05Z"

// lookupKeys are LookupEvents' LookupAttribute keys, for the filter form.
var lookupKeys = []string{"EventName", "ServiceName", "User", "ResourceName", "ResourceType", "EventRW", "EventAccessKeyId", "EventId"}

// eventsView is the data of the audit trail page.
type eventsView struct {
	Keys               []string
	Key, Value         string
	Start, End         string
	Events             []eventRow
	Next               string // the query of the next page, "" on the last
	Live               bool   // the first page: the live stream appends to it
	StreamURL          string
	NotServed, Failure bool
}

// eventRow is one event as the page and the live stream show it.
type eventRow struct {
	ID       string `json:"id"`
	Time     string `json:"time"`
	Name     string `json:"name"`
	Service  string `json:"service"`
	Type     string `json:"type"`
	RW       string `json:"rw"`
	User     string `json:"user"`
	IP       string `json:"ip"`
	Resource string `json:"resource"`
	Error    string `json:"error"`
	Params   any    `json:"-"`
}

// lookupResult is LookupEvents' answer.
type lookupResult struct {
	NextToken string
	Events    []map[string]any
}

// eventsPage is the audit trail: one LookupEvents call per page (newest
// first, 50 events), with one filter and a time range, and on the first
// page the live stream (stream.js) adding new events on top.
func (c *Console) eventsPage(v *visit) (string, any) {
	q := v.r.URL.Query()
	view := eventsView{Keys: lookupKeys, Key: q.Get("key"), Value: q.Get("value"), Start: q.Get("start"), End: q.Get("end")}
	params := lookupParams(view.Key, view.Value)
	params.Set("MaxResults", "50")
	if view.Start != "" || view.End != "" {
		params.Set("StartTime", view.Start)
		params.Set("EndTime", view.End)
	}
	if tok := q.Get("next"); tok != "" {
		params.Set("NextToken", tok)
	}
	var out lookupResult
	err := c.invoke(v, actiontrailVersion, "LookupEvents", params, &out)
	switch {
	case notServed(err):
		view.NotServed = true
		return "events", view
	case err != nil:
		v.Flashes = append(v.Flashes, flash{Error: true, Text: "LookupEvents: " + errorText(err, true)})
		view.Failure = true
		return "events", view
	}
	for _, e := range out.Events {
		view.Events = append(view.Events, rowOf(e))
	}
	if out.NextToken != "" {
		nq := url.Values{"key": {view.Key}, "value": {view.Value}, "start": {view.Start}, "end": {view.End}, "next": {out.NextToken}}
		view.Next = nq.Encode()
	}
	if q.Get("next") == "" && view.End == "" {
		view.Live = true
		sq := url.Values{"since": {c.now().UTC().Format(trailTime)}}
		if view.Key != "" {
			sq.Set("key", view.Key)
			sq.Set("value", view.Value)
		}
		view.StreamURL = Root + "/events/stream?" + sq.Encode()
	}
	return "events", view
}

// lookupParams is the LookupAttribute filter of key=value (none when key
// is empty).
func lookupParams(key, value string) url.Values {
	p := url.Values{}
	if key != "" {
		p.Set("LookupAttribute.1.Key", key)
		p.Set("LookupAttribute.1.Value", value)
	}
	return p
}

// rowOf reads the fields the console shows from an ActionTrail event.
func rowOf(e map[string]any) eventRow {
	s := func(m map[string]any, k string) string {
		if x, ok := m[k]; ok && x != nil {
			return fmt.Sprint(x)
		}
		return ""
	}
	id, _ := e["userIdentity"].(map[string]any)
	user := s(id, "userName")
	if user == "" {
		user = s(id, "type")
	}
	errText := s(e, "errorCode")
	if m := s(e, "errorMessage"); m != "" {
		errText += ": " + m
	}
	return eventRow{ID: s(e, "eventId"), Time: s(e, "eventTime"), Name: s(e, "eventName"), Service: s(e, "serviceName"),
		Type: s(e, "eventType"), RW: s(e, "eventRW"), User: user, IP: s(e, "sourceIpAddress"),
		Resource: strings.TrimSpace(s(e, "resourceType") + " " + s(e, "resourceName")), Error: errText,
		Params: e["requestParameters"]}
}

// streamLife bounds one stream response: the browser reconnects (with
// Last-Event-ID) and the server's write timeout never cuts a stream.
const streamLife = 50 * time.Second

// serveStream is the live audit stream (Server-Sent Events) for a
// signed-in visit: every PollInterval it asks LookupEvents, FORWARD from
// the last event seen, and sends each new event as a "trail" event whose
// id ("<eventTime> <eventId>") resumes the stream after a reconnect. The
// key is resolved again at each poll: a revoked key ends the stream.
func (c *Console) serveStream(w http.ResponseWriter, r *http.Request) {
	v, err := c.visitOf(r)
	if err != nil {
		http.Error(w, "sign in first", http.StatusUnauthorized)
		return
	}
	q := r.URL.Query()
	cur := streamCursor{since: q.Get("since"), seen: map[string]bool{}}
	if last := r.Header.Get("Last-Event-ID"); last != "" {
		cur.since, _, _ = strings.Cut(last, " ")
		cur.seen[strings.TrimPrefix(last, cur.since+" ")] = true
	}
	if _, err := time.Parse(trailTime, cur.since); err != nil {
		cur.since = c.now().UTC().Format(trailTime)
	}
	filter := lookupParams(q.Get("key"), q.Get("value"))
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(c.now().Add(streamLife + 10*time.Second))
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	fmt.Fprint(w, "retry: 1000\n\n")
	rc.Flush()
	tick := time.NewTicker(c.poll)
	defer tick.Stop()
	end := time.After(streamLife)
	for {
		if !c.pushNew(w, v, &cur, filter) {
			return
		}
		rc.Flush()
		select {
		case <-r.Context().Done():
			return
		case <-end:
			return
		case <-tick.C:
		}
		if _, err := c.api.Resolve(r.Context(), v.sess.KeyID, v.sess.Token); err != nil {
			return
		}
	}
}

// streamCursor is where a stream is in the trail: the time of the newest
// event sent and the ids of the events of that second already sent.
type streamCursor struct {
	since string
	seen  map[string]bool
}

// pushNew sends the events after cur and advances it; false when the
// stream must end (LookupEvents failed or the client left).
func (c *Console) pushNew(w http.ResponseWriter, v *visit, cur *streamCursor, filter url.Values) bool {
	params := clone(filter)
	params.Set("Direction", "FORWARD")
	params.Set("MaxResults", "50")
	params.Set("StartTime", cur.since)
	params.Set("EndTime", c.now().UTC().Add(time.Second).Format(trailTime))
	for range 10 { // at most 500 events a poll; the rest at the next
		var out lookupResult
		if err := c.invoke(v, actiontrailVersion, "LookupEvents", params, &out); err != nil {
			fmt.Fprintf(w, "event: failure\ndata: %s\n\n", jsonString(errorText(err, false)))
			return false
		}
		for _, e := range out.Events {
			row := rowOf(e)
			if cur.seen[row.ID] || row.Time < cur.since {
				continue
			}
			if row.Time > cur.since {
				cur.since, cur.seen = row.Time, map[string]bool{}
			}
			cur.seen[row.ID] = true
			data, _ := json.Marshal(row)
			if _, err := fmt.Fprintf(w, "id: %s %s\nevent: trail\ndata: %s\n\n", row.Time, row.ID, data); err != nil {
				return false
			}
		}
		if out.NextToken == "" {
			break
		}
		params.Set("NextToken", out.NextToken)
	}
	return true
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// explainForms are the explain views: the action and the parameters its
// form sends (shapes of the answers are rendered generically).
var explainForms = []explainForm{
	{Action: "ExplainAccess", Title: "Why is this allowed or denied?",
		Params: []string{"UserName", "RoleName", "SessionName", "AuthAction", "AuthResource", "RamRoleName"}},
	{Action: "ExplainInstance", Title: "What can an ECS instance's role do?", Params: []string{"RegionId", "InstanceId"}},
	{Action: "ExplainHostAccess", Title: "Who can reach a bastion host?",
		Params: []string{"InstanceId", "HostId", "HostAccountId", "HostAccountName"}},
	{Action: "ExplainUserAccess", Title: "What can a user reach? (a bastion user, or a RAM user by UserName)",
		Params: []string{"InstanceId", "UserId", "UserName"}},
}

type explainForm struct {
	Action string
	Title  string
	Params []string
	Values map[string]string
}

// explainView is the data of the explain page.
type explainView struct {
	Forms  []explainForm
	Action string
	// Summary is the answer as `localyun explain` prints it (the
	// decision and what made it); Result all of it, as a nested list.
	Summary   string
	Result    any
	NotServed bool
}

// explainResult returns the text summary and the decoded answer raw of
// action.
func explainResult(action string, raw json.RawMessage) (string, any) {
	var sum strings.Builder
	if err := explain.WriteText(&sum, action, raw); err != nil {
		sum.Reset()
	}
	var out any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	dec.Decode(&out)
	return sum.String(), out
}

// explainPage shows the four explain forms (GET: they only read) and the
// answer of the one sent, rendered as a nested list.
func (c *Console) explainPage(v *visit) (string, any) {
	q := v.r.URL.Query()
	view := explainView{Action: q.Get("action")}
	for _, f := range explainForms {
		f.Values = map[string]string{}
		params := url.Values{}
		for _, p := range f.Params {
			if x := strings.TrimSpace(q.Get(p)); x != "" && f.Action == view.Action {
				f.Values[p] = x
				params.Set(p, x)
			}
		}
		if f.Action == view.Action {
			var raw json.RawMessage
			err := c.invoke(v, localyunVersion, f.Action, params, &raw)
			switch {
			case notServed(err):
				view.NotServed = true
			case err != nil:
				v.Flashes = append(v.Flashes, flash{Error: true, Text: f.Action + ": " + errorText(err, true)})
			default:
				view.Summary, view.Result = explainResult(f.Action, raw)
			}
		}
		view.Forms = append(view.Forms, f)
	}
	return "explain", view
}
