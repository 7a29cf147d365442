// Package actiontrail serves ActionTrail's LookupEvents (2020-07-06): the
// audit trail of the caller's account, which the server writes (see
// internal/server/audit.go) and the stores keep (localyun.EventStore).
package actiontrail

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/protocol"
)

// Product is ActionTrail as the wire and RAM know it.
var Product = protocol.Product{Name: "Actiontrail", Version: "2020-07-06", Service: "actiontrail", DenyCode: "NoPermission",
	DenyMessage: "You are not authorized to do this action. You should be authorized by RAM."}

// Limits of LookupEvents.
const (
	DefaultMaxResults = 20
	MaxMaxResults     = 50
	MaxAttributes     = 2
	DefaultWindow     = 7 * 24 * time.Hour
	timeLayout        = "2006-01-02T15:04:05Z"
)

// Service answers LookupEvents from the store.
type Service struct {
	store localyun.EventStore
	now   func() time.Time
}

// NewService returns the ActionTrail service on store; now defaults to
// time.Now.
func NewService(store localyun.EventStore, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: store, now: now}
}

// Register adds LookupEvents to m.
func Register(m *protocol.Mux, s *Service) {
	protocol.Handle(m, Product, protocol.Action[LookupEventsInput]{Name: "LookupEvents",
		Resource: "acs:actiontrail:<RegionId, * without>:<uid>:*",
		Parse:    parseLookupEvents,
		Resources: func(_ context.Context, p localyun.Principal, in LookupEventsInput) ([]string, error) {
			return []string{"acs:actiontrail:" + cmpOr(in.RegionID, "*") + ":" + p.AccountID + ":*"}, nil
		},
		Serve: s.lookupEvents})
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// LookupEventsInput is the parsed input of LookupEvents.
type LookupEventsInput struct {
	RegionID   string
	Attributes []localyun.LookupAttribute
	// Start and End are the window as given; zero when neither was.
	Start, End time.Time
	Forward    bool
	MaxResults int
	Token      *pageToken
	// binding is the digest of the parameters a NextToken is bound to.
	binding [8]byte
}

func errParam(name, msg string) error {
	return localyun.NewError(http.StatusBadRequest, "InvalidParameter."+name, msg)
}

var attributeRE = regexp.MustCompile(`^LookupAttribute\.([1-9][0-9]*)\.(Key|Value)$`)

// parseLookupEvents validates the parameters (errors: docs/compatibility.md).
func parseLookupEvents(r *protocol.Request) (LookupEventsInput, error) {
	in := LookupEventsInput{RegionID: r.Get("RegionId"), MaxResults: DefaultMaxResults}
	attrs, err := parseAttributes(r)
	if err != nil {
		return in, err
	}
	in.Attributes = attrs
	start, end := r.Get("StartTime"), r.Get("EndTime")
	if (start == "") != (end == "") {
		return in, errParam("Time", "StartTime and EndTime must be specified together.")
	}
	if start != "" {
		if in.Start, err = time.Parse(timeLayout, start); err != nil {
			return in, errParam("StartTime", "The StartTime is not in the format yyyy-MM-ddTHH:mm:ssZ.")
		}
		if in.End, err = time.Parse(timeLayout, end); err != nil {
			return in, errParam("EndTime", "The EndTime is not in the format yyyy-MM-ddTHH:mm:ssZ.")
		}
		if in.End.Before(in.Start) {
			return in, errParam("Time", "The StartTime is later than the EndTime.")
		}
	}
	switch d := r.Get("Direction"); d {
	case "", "BACKWARD":
	case "FORWARD":
		in.Forward = true
	default:
		return in, errParam("Direction", "The Direction must be FORWARD or BACKWARD.")
	}
	if v := r.Get("MaxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxMaxResults {
			return in, errParam("MaxResults", "The MaxResults must be an integer from 1 to 50.")
		}
		in.MaxResults = n
	}
	in.binding = bind(in.Attributes, start, end, in.Forward)
	if v := r.Get("NextToken"); v != "" {
		tok, err := decodeToken(v)
		if err != nil || tok.Binding != in.binding {
			return in, errParam("NextToken", "The NextToken is not valid for these request parameters.")
		}
		in.Token = &tok
	}
	return in, nil
}

// parseAttributes reads LookupAttribute.N.Key/Value: at most two, each a
// known key with a value.
func parseAttributes(r *protocol.Request) ([]localyun.LookupAttribute, error) {
	byN := map[int]*localyun.LookupAttribute{}
	for name, vs := range r.Params {
		m := attributeRE.FindStringSubmatch(name)
		if m == nil {
			if strings.HasPrefix(name, "LookupAttribute.") {
				return nil, errParam("LookupAttribute", "The parameter "+name+" is not valid.")
			}
			continue
		}
		n, err := strconv.Atoi(m[1])
		if err != nil || n > 100 {
			return nil, errParam("LookupAttribute", "The parameter "+name+" is not valid.")
		}
		a := byN[n]
		if a == nil {
			a = &localyun.LookupAttribute{}
			byN[n] = a
		}
		v := ""
		if len(vs) > 0 {
			v = vs[0]
		}
		if m[2] == "Key" {
			a.Key = v
		} else {
			a.Value = v
		}
	}
	if len(byN) > MaxAttributes {
		return nil, errParam("LookupAttribute", "At most 2 LookupAttribute conditions are allowed.")
	}
	ns := make([]int, 0, len(byN))
	for n := range byN {
		ns = append(ns, n)
	}
	sort.Ints(ns)
	var out []localyun.LookupAttribute
	for _, n := range ns {
		a := byN[n]
		if !slices.Contains(localyun.LookupKeys, a.Key) {
			return nil, errParam("LookupAttribute", "The LookupAttribute key "+strconv.Quote(a.Key)+" is not supported.")
		}
		if a.Value == "" || len(a.Value) > 1024 || strings.Contains(a.Value, ",") {
			return nil, errParam("LookupAttribute", "The LookupAttribute value of "+a.Key+" is not valid.")
		}
		out = append(out, *a)
	}
	return out, nil
}

// pageToken is the content of a NextToken: where the next page starts,
// the window of the first request (its default moves with the clock) and
// the digest of the parameters it is bound to.
type pageToken struct {
	Binding    [8]byte
	Start, End int64 // Unix milliseconds
	Time, Seq  int64 // the cursor: the last event's time (ms) and seq
}

// bind digests the parameters a NextToken is bound to.
func bind(attrs []localyun.LookupAttribute, start, end string, forward bool) [8]byte {
	h := sha256.New()
	for _, a := range attrs {
		h.Write([]byte(a.Key + "\x00" + a.Value + "\x00"))
	}
	h.Write([]byte(start + "\x00" + end + "\x00" + strconv.FormatBool(forward)))
	var out [8]byte
	copy(out[:], h.Sum(nil))
	return out
}

func (t pageToken) encode() string {
	b := make([]byte, 0, 40)
	b = append(b, t.Binding[:]...)
	for _, v := range []int64{t.Start, t.End, t.Time, t.Seq} {
		b = binary.BigEndian.AppendUint64(b, uint64(v))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeToken(s string) (pageToken, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != 40 {
		return pageToken{}, localyun.ErrInvalid
	}
	var t pageToken
	copy(t.Binding[:], b)
	vs := []*int64{&t.Start, &t.End, &t.Time, &t.Seq}
	for i, v := range vs {
		*v = int64(binary.BigEndian.Uint64(b[8+8*i:]))
	}
	return t, nil
}

// LookupEventsOutput is the answer of LookupEvents.
type LookupEventsOutput struct {
	StartTime string   `json:"StartTime" xml:"StartTime"`
	EndTime   string   `json:"EndTime" xml:"EndTime"`
	NextToken string   `json:"NextToken,omitempty" xml:"NextToken,omitempty"`
	Events    []Record `json:"Events" xml:"Events"`
}

// Record is one event as LookupEvents answers it: ActionTrail's record, a
// JSON object; in XML its fields are elements.
type Record map[string]any

func (s *Service) lookupEvents(ctx context.Context, in LookupEventsInput) (any, error) {
	p, _ := localyun.PrincipalFromContext(ctx)
	start, end := in.Start, in.End
	switch {
	case in.Token != nil:
		start, end = time.UnixMilli(in.Token.Start).UTC(), time.UnixMilli(in.Token.End).UTC()
	case start.IsZero():
		end = s.now().UTC().Truncate(time.Second)
		start = end.Add(-DefaultWindow)
	}
	f := localyun.EventFilter{AccountID: p.AccountID, Start: start, End: end.Add(999 * time.Millisecond),
		Attributes: in.Attributes, Forward: in.Forward, Limit: in.MaxResults + 1}
	if in.Token != nil {
		f.After = &localyun.EventCursor{Time: time.UnixMilli(in.Token.Time), Seq: in.Token.Seq}
	}
	evs, err := s.store.FindEvents(ctx, f)
	if err != nil {
		return nil, err
	}
	out := LookupEventsOutput{StartTime: start.Format(timeLayout), EndTime: end.Format(timeLayout), Events: []Record{}}
	if len(evs) > in.MaxResults {
		evs = evs[:in.MaxResults]
		last := evs[len(evs)-1]
		out.NextToken = pageToken{Binding: in.binding, Start: start.UnixMilli(), End: end.UnixMilli(),
			Time: last.Time.UnixMilli(), Seq: last.Seq}.encode()
	}
	for _, ev := range evs {
		b, err := json.Marshal(ev)
		if err != nil {
			return nil, err
		}
		var rec Record
		if err := json.Unmarshal(b, &rec); err != nil {
			return nil, err
		}
		out.Events = append(out.Events, rec)
	}
	return out, nil
}

// MarshalXML renders the record's fields as elements, in name order,
// nested objects nested.
func (r Record) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	return encodeXMLValue(e, start, map[string]any(r))
}

func encodeXMLValue(e *xml.Encoder, start xml.StartElement, v any) error {
	m, ok := v.(map[string]any)
	if !ok {
		s := ""
		if v != nil {
			if str, isStr := v.(string); isStr {
				s = str
			} else {
				b, _ := json.Marshal(v)
				s = string(b)
			}
		}
		return e.EncodeElement(s, start)
	}
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := encodeXMLValue(e, xml.StartElement{Name: xml.Name{Local: xmlName(k)}}, m[k]); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}

// xmlName makes a parameter name (LookupAttribute.1.Key, or whatever a
// client sent) a valid element name: letters, digits, '.', '-' and '_'
// are kept, any other character becomes '_', and a name that does not
// start with a letter or '_' gets a leading '_' (encoding/xml writes
// names as given, so "a<b" would break the document).
func xmlName(k string) string {
	b := []byte(k)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			b[i] = '_'
		}
	}
	if len(b) == 0 || !(b[0] >= 'a' && b[0] <= 'z' || b[0] >= 'A' && b[0] <= 'Z' || b[0] == '_') ||
		len(b) >= 3 && strings.EqualFold(string(b[:3]), "xml") {
		return "_" + string(b)
	}
	return string(b)
}
