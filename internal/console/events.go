package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/explain"
)

// trailTime is ActionTrail's time format (StartTime, EndTime, eventTime).
const trailTime = "2006-01-02T15:04:05Z"

// eventsView is the data of the audit trail page.
type eventsView struct {
	Keys               []string
	Key, Value         string
	Start, End         string // as the form gave them (timeRange completes them)
	Events             []eventRow
	Next               string // the URL of the next page, "" on the last
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
	view := eventsView{Keys: localyun.LookupKeys, Key: q.Get("key"), Value: q.Get("value"), Start: q.Get("start"), End: q.Get("end")}
	params := lookupParams(view.Key, view.Value)
	params.Set("MaxResults", "50")
	start, end := view.Start, view.End
	if start != "" || end != "" {
		// The completed bounds go on to the next page: its NextToken is
		// bound to them.
		start, end = timeRange(start, end, c.now())
		params.Set("StartTime", start)
		params.Set("EndTime", end)
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
		nq := url.Values{"key": {view.Key}, "value": {view.Value}, "start": {start}, "end": {end}, "next": {out.NextToken}}
		view.Next = Root + "/events?" + nq.Encode() // whole: in an href, html/template escapes a query part as one value
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

// eventsWindow is the range a form with only "to" looks back over.
const eventsWindow = 7 * 24 * time.Hour

// timeRange completes a range the form gave one bound of (LookupEvents
// takes both or neither): "to" defaults to now, "from" to a week before
// "to". A bound that is not a time is sent as is, for LookupEvents to
// name it.
func timeRange(start, end string, now time.Time) (string, string) {
	if end == "" {
		end = now.UTC().Format(trailTime)
	}
	if start == "" {
		to, err := time.Parse(trailTime, end)
		if err != nil {
			to = now
		}
		start = to.Add(-eventsWindow).UTC().Format(trailTime)
	}
	return start, end
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

// streamOverlap is how far before the newest event sent each scan of the
// stream starts: an event can be stored after newer ones (a denial goes
// through the audit queue, a write waits for its group commit), with a
// time up to this much older than the newest event already sent.
const streamOverlap = 5 * time.Second

// throttledCode is the error of a call over its key's --rate-limit.
const throttledCode = "Throttling.User"

// streamPages bounds the LookupEvents pages (of 50 events) one poll reads;
// a longer scan goes on from its NextToken at the next poll.
const streamPages = 20

// serveStream is the live audit stream (Server-Sent Events) for a
// signed-in visit: every PollInterval it goes on with a FORWARD scan of
// LookupEvents from streamOverlap before the newest event sent and sends
// each event not sent yet as a "trail" event whose id ("<time> <eventId>",
// the time being the newest sent) resumes the stream after a reconnect.
// The key is resolved again at each poll: a revoked key ends the stream.
func (c *Console) serveStream(w http.ResponseWriter, r *http.Request) {
	v, err := c.visitOf(r)
	if err != nil {
		http.Error(w, "sign in first", http.StatusUnauthorized)
		return
	}
	q := r.URL.Query()
	cur := streamCursor{sent: map[string]time.Time{}}
	since := q.Get("since")
	if last := r.Header.Get("Last-Event-ID"); last != "" {
		since, _, _ = strings.Cut(last, " ")
	}
	if cur.since, err = time.Parse(trailTime, since); err != nil {
		cur.since = c.now().UTC().Truncate(time.Second)
	}
	filter := lookupParams(q.Get("key"), q.Get("value"))
	c.slide(w, v) // a page left open renews its session through its stream
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Now().Add(streamLife + 10*time.Second)) // the network's clock, not the test clock
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
		if _, err := c.api.Resolve(r.Context(), v.sess.KeyID, v.sess.Token); err != nil || c.signedOut(v.sess.ID) {
			return
		}
	}
}

// streamCursor is where a stream is in the trail.
type streamCursor struct {
	since time.Time            // the time of the newest event sent (or the page's start point)
	sent  map[string]time.Time // the events sent since streamOverlap before since, by id
	scan  url.Values           // the scan under way (its bounds and NextToken); nil between scans
}

// pushNew goes on with the stream's scan for at most streamPages pages
// and sends the events not sent yet; false when the stream must end
// (LookupEvents failed or the client left). A scan runs from
// streamOverlap before the newest event sent to a second after now.
func (c *Console) pushNew(w http.ResponseWriter, v *visit, cur *streamCursor, filter url.Values) bool {
	if cur.scan == nil {
		cur.scan = clone(filter)
		cur.scan.Set("Direction", "FORWARD")
		cur.scan.Set("MaxResults", "50")
		cur.scan.Set("StartTime", cur.since.Add(-streamOverlap).UTC().Format(trailTime))
		cur.scan.Set("EndTime", c.now().UTC().Add(time.Second).Format(trailTime))
	}
	for range streamPages {
		var out lookupResult
		if err := c.invoke(v, actiontrailVersion, "LookupEvents", cur.scan, &out); err != nil {
			if localyun.ErrorCode(err) == throttledCode {
				return true // over the key's rate: the scan goes on at the next poll
			}
			fmt.Fprintf(w, "event: failure\ndata: %s\n\n", jsonString(errorText(err, false)))
			return false
		}
		for _, e := range out.Events {
			if cur.send(w, rowOf(e)) != nil {
				return false
			}
		}
		if out.NextToken == "" {
			cur.scan = nil
			cur.prune()
			return true
		}
		cur.scan.Set("NextToken", out.NextToken)
	}
	return true // the scan goes on from its NextToken at the next poll
}

// send writes row unless it was sent already.
func (cur *streamCursor) send(w io.Writer, row eventRow) error {
	if _, ok := cur.sent[row.ID]; ok {
		return nil
	}
	t, err := time.Parse(trailTime, row.Time)
	if err != nil {
		t = cur.since
	}
	cur.sent[row.ID] = t
	if t.After(cur.since) {
		cur.since = t
	}
	data, _ := json.Marshal(row)
	_, err = fmt.Fprintf(w, "id: %s %s\nevent: trail\ndata: %s\n\n", cur.since.Format(trailTime), row.ID, data)
	return err
}

// prune forgets the events older than the next scan's start: they are
// never read again.
func (cur *streamCursor) prune() {
	from := cur.since.Add(-streamOverlap)
	for id, t := range cur.sent {
		if t.Before(from) {
			delete(cur.sent, id)
		}
	}
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
