package localyun

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Event types (eventType). ApiCall and ConsoleOperation are ActionTrail's;
// the data-plane types are localyun's own (ActionTrail has no metadata
// service or bastion gateway events).
const (
	EventTypeAPICall       = "ApiCall"
	EventTypeConsole       = "ConsoleOperation"
	EventTypeConsoleSignin = "ConsoleSignin"
	EventTypeMetadata      = "MetadataServiceCall" // the instance metadata service
	EventTypeBastionSSH    = "BastionSSH"          // the bastion SSH gateway
)

// The other constant fields of an event.
const (
	EventRead, EventWrite   = "Read", "Write"
	EventCategoryManagement = "Management"
	EventVersion            = "1"
)

const (
	eventTimeLayout           = "2006-01-02T15:04:05Z"
	redacted                  = "******"
	eventResourceSeparator    = ","
	maxEventParameterValueLen = 4096
)

// userIdentity.type of an event, by principal type (ActionTrail's spelling).
const (
	IdentityRoot    = "root-account"
	IdentityUser    = "ram-user"
	IdentityAssumed = "assumed-role"
	IdentityService = "system" // UNCONFIRMED spelling
	// IdentityInstance is an ECS instance calling the metadata service
	// (localyun's own; ActionTrail records no such call).
	IdentityInstance = "ecs-instance"
)

// Event is one audit-trail record, with ActionTrail's event fields: its
// JSON form (MarshalJSON) is the record LookupEvents returns.
type Event struct {
	ID       string    // eventId, a GUID
	Name     string    // eventName: the API action, or a data-plane event's name
	Time     time.Time // eventTime (UTC; the wire has seconds, the store milliseconds)
	Source   string    // eventSource: the API's host, e.g. ecs.aliyuncs.com
	Type     string    // eventType: EventType*
	RW       string    // eventRW: EventRead or EventWrite
	Region   string    // acsRegion
	Service  string    // serviceName: Ecs, Ram, Sts, Bastionhost, Actiontrail, Localyun
	SourceIP string    // sourceIpAddress
	// UserAgent of the caller.
	UserAgent string
	RequestID string
	// Parameters are the request's flat RPC parameters, secrets redacted
	// (RedactParameters).
	Parameters map[string]string
	// ErrorCode and ErrorMessage are set on a denial.
	ErrorCode, ErrorMessage string
	Identity                EventIdentity
	// Resources are the resources the call touched: resourceType and
	// resourceName hold their types and names, comma-separated.
	Resources []EventResource
	// AccountID owns the event (recipientAccountId): LookupEvents of that
	// account returns it.
	AccountID string
	// Additional is additionalEventData, e.g. Scheme (http, https).
	Additional map[string]string
	// Seq orders events of the same millisecond; the store assigns it.
	Seq int64
}

// EventIdentity is an event's userIdentity.
type EventIdentity struct {
	Type        string // Identity*
	PrincipalID string
	AccountID   string
	AccessKeyID string
	// UserName is the RAM user's name, role:session for a role session,
	// root for the account root: what the LookupAttribute User matches.
	UserName string
	// MFAAuthenticated and CreationDate make sessionContext.attributes.
	MFAAuthenticated bool
	CreationDate     time.Time
}

// EventResource is one resource an event names.
type EventResource struct {
	Type string // e.g. ACS::ECS::Instance
	Name string
}

// ResourceTypes and ResourceNames are resourceType and resourceName: the
// distinct types and names of the event's resources, comma-separated in
// the order they were added.
func (e Event) ResourceTypes() string {
	return joinDistinct(e.Resources, func(r EventResource) string { return r.Type })
}

// ResourceNames is resourceName; see ResourceTypes.
func (e Event) ResourceNames() string {
	return joinDistinct(e.Resources, func(r EventResource) string { return r.Name })
}

func joinDistinct(rs []EventResource, f func(EventResource) string) string {
	var out []string
	for _, r := range rs {
		if v := f(r); v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return strings.Join(out, eventResourceSeparator)
}

// eventJSON is the wire form of an event.
type eventJSON struct {
	EventID             string            `json:"eventId"`
	EventName           string            `json:"eventName"`
	EventTime           string            `json:"eventTime"`
	EventSource         string            `json:"eventSource"`
	EventType           string            `json:"eventType"`
	EventVersion        string            `json:"eventVersion"`
	EventRW             string            `json:"eventRW"`
	EventCategory       string            `json:"eventCategory"`
	AcsRegion           string            `json:"acsRegion"`
	ServiceName         string            `json:"serviceName"`
	SourceIPAddress     string            `json:"sourceIpAddress"`
	UserAgent           string            `json:"userAgent"`
	RequestID           string            `json:"requestId"`
	RequestParameters   map[string]string `json:"requestParameters"`
	ErrorCode           string            `json:"errorCode"`
	ErrorMessage        string            `json:"errorMessage"`
	UserIdentity        identityJSON      `json:"userIdentity"`
	ResourceName        string            `json:"resourceName"`
	ResourceType        string            `json:"resourceType"`
	RecipientAccountID  string            `json:"recipientAccountId"`
	AdditionalEventData map[string]string `json:"additionalEventData"`
}

type identityJSON struct {
	Type           string `json:"type"`
	PrincipalID    string `json:"principalId"`
	AccountID      string `json:"accountId"`
	AccessKeyID    string `json:"accessKeyId"`
	UserName       string `json:"userName"`
	SessionContext struct {
		Attributes struct {
			MFAAuthenticated string `json:"mfaAuthenticated"`
			CreationDate     string `json:"creationDate"`
		} `json:"attributes"`
	} `json:"sessionContext"`
}

// MarshalJSON renders the event as ActionTrail's record (camelCase names,
// eventTime in seconds, empty strings for absent errors).
func (e Event) MarshalJSON() ([]byte, error) {
	w := eventJSON{EventID: e.ID, EventName: e.Name, EventTime: e.Time.UTC().Format(eventTimeLayout),
		EventSource: e.Source, EventType: e.Type, EventVersion: EventVersion, EventRW: e.RW,
		EventCategory: EventCategoryManagement, AcsRegion: e.Region, ServiceName: e.Service,
		SourceIPAddress: e.SourceIP, UserAgent: e.UserAgent, RequestID: e.RequestID,
		RequestParameters: e.Parameters, ErrorCode: e.ErrorCode, ErrorMessage: e.ErrorMessage,
		ResourceName: e.ResourceNames(), ResourceType: e.ResourceTypes(), RecipientAccountID: e.AccountID,
		AdditionalEventData: e.Additional}
	if w.RequestParameters == nil {
		w.RequestParameters = map[string]string{}
	}
	if w.AdditionalEventData == nil {
		w.AdditionalEventData = map[string]string{}
	}
	id := &w.UserIdentity
	id.Type, id.PrincipalID, id.AccountID = e.Identity.Type, e.Identity.PrincipalID, e.Identity.AccountID
	id.AccessKeyID, id.UserName = e.Identity.AccessKeyID, e.Identity.UserName
	id.SessionContext.Attributes.MFAAuthenticated = "false"
	if e.Identity.MFAAuthenticated {
		id.SessionContext.Attributes.MFAAuthenticated = "true"
	}
	if !e.Identity.CreationDate.IsZero() {
		id.SessionContext.Attributes.CreationDate = e.Identity.CreationDate.UTC().Format(eventTimeLayout)
	}
	return json.Marshal(w)
}

// SecretParameter reports whether an event must redact the value of the
// parameter name: any name containing secret, password, passphrase,
// token, privatekey or signature (case-insensitive), so that
// AccessKeySecret, SecurityToken, NewPassword, ClientToken... and a future
// secret are all covered.
// ClientToken is redacted with them: it is not a secret, but a rule that
// never leaks one is worth an idempotency token.
func SecretParameter(name string) bool {
	l := strings.ToLower(name)
	for _, s := range []string{"secret", "password", "passphrase", "token", "privatekey", "signature"} {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// RedactParameters returns the flat RPC parameters of a request for an
// event: the first value of each, a secret's (SecretParameter) replaced
// by "******", a value longer than 4 KiB cut there; at most
// maxEventParameters of them (in name order), at most
// maxEventParameterBytes in all, names and values made printable UTF-8
// (EventText) and copied, so that a queued event never holds on to the
// body of the request it came from.
func RedactParameters(params map[string][]string) map[string]string {
	names := make([]string, 0, len(params))
	for k, vs := range params {
		if len(vs) > 0 {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	out := make(map[string]string, min(len(names), maxEventParameters))
	size := 0
	for _, k := range names {
		v := params[k][0]
		raw := k
		k = EventText(k, maxEventParameterName)
		if SecretParameter(raw) || SecretParameter(k) {
			v = redacted
		}
		v = EventText(v, maxEventParameterValueLen)
		if _, dup := out[k]; dup && v != redacted {
			continue // "Pass\x00word" must not overwrite "Password"'s "******"
		}
		if len(out) == maxEventParameters || size+len(k)+len(v) > maxEventParameterBytes {
			break
		}
		size += len(k) + len(v)
		out[k] = v
	}
	return out
}

// Bounds of an event's requestParameters.
const (
	maxEventParameters     = 100
	maxEventParameterName  = 128
	maxEventParameterBytes = 64 << 10
)

// EventText returns s for an event field taken from a client: valid UTF-8,
// control characters (NUL included) dropped, at most max bytes, cut at a
// character boundary, and a copy (not a slice of a request's buffer).
func EventText(s string, max int) string {
	clean := func(r rune) rune {
		if r < 0x20 && r != '\t' || r == 0x7f || r == utf8.RuneError {
			return -1
		}
		return r
	}
	s = strings.Map(clean, strings.ToValidUTF8(s, ""))
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return strings.Clone(s)
}

// Lookup attribute keys of LookupEvents, each matched by an EventFilter.
const (
	LookupServiceName      = "ServiceName"
	LookupEventName        = "EventName"
	LookupUser             = "User"
	LookupEventID          = "EventId"
	LookupResourceType     = "ResourceType"
	LookupResourceName     = "ResourceName"
	LookupEventRW          = "EventRW"
	LookupEventAccessKeyID = "EventAccessKeyId"
)

// LookupKeys are the LookupAttribute keys, in ActionTrail's order.
var LookupKeys = []string{LookupServiceName, LookupEventName, LookupUser, LookupEventID,
	LookupResourceType, LookupResourceName, LookupEventRW, LookupEventAccessKeyID}

// LookupAttribute is one condition of an EventFilter: the event's field of
// Key equals Value (for ResourceType and ResourceName: one of the event's
// resources has it).
type LookupAttribute struct{ Key, Value string }

// EventCursor is the position of an event in the order of the store
// (its time in milliseconds, then Seq).
type EventCursor struct {
	Time time.Time
	Seq  int64
}

// Cursor is the position of e.
func (e Event) Cursor() EventCursor { return EventCursor{Time: e.Time, Seq: e.Seq} }

// EventFilter selects the events FindEvents lists.
type EventFilter struct {
	AccountID  string
	Start, End time.Time // both included
	Attributes []LookupAttribute
	// Forward lists oldest first; otherwise newest first.
	Forward bool
	// After, when set, lists only the events past it in the listing's
	// direction: the cursor of the last event of the previous page.
	After *EventCursor
	Limit int
}

// EventStore persists the audit trail.
type EventStore interface {
	// FindEvents lists the events of f.AccountID matching f, in the order
	// of f.Forward, at most f.Limit.
	FindEvents(ctx context.Context, f EventFilter) ([]Event, error)
	// AppendEvents writes events in one transaction of their own: denials
	// and data-plane events, which change no other state. A request's own
	// event rides on its write instead (WithEvent).
	AppendEvents(ctx context.Context, events []Event) error
	// DeleteEventsBefore deletes the events older than t (retention) and
	// returns how many.
	DeleteEventsBefore(ctx context.Context, t time.Time) (int, error)
}

type eventContextKey struct{}

// pendingEvent is the event of the request a context serves.
type pendingEvent struct {
	mu      sync.Mutex
	build   func() Event // nil once ev is built
	ev      Event
	off     bool // WithoutEvent
	written bool
}

// event returns the event, building it on first use; pe.mu is held.
func (pe *pendingEvent) event() *Event {
	if pe.build != nil {
		res := pe.ev.Resources // added before the build
		pe.ev = pe.build()
		pe.build = nil
		for _, r := range res {
			if !slices.Contains(pe.ev.Resources, r) {
				pe.ev.Resources = append(pe.ev.Resources, r)
			}
		}
	}
	return &pe.ev
}

// WithEvent returns a context that carries ev as the pending event of the
// request it serves. Both stores write the pending event inside the first
// write transaction that commits under the context (with the change, so
// an acknowledged change has its event and a rolled-back one has none),
// and only that one.
func WithEvent(ctx context.Context, ev Event) context.Context {
	return context.WithValue(ctx, eventContextKey{}, &pendingEvent{ev: ev})
}

// WithLazyEvent is WithEvent with the event built by build when it is
// first needed (a write or a denial), so that a call that writes nothing
// does not pay for it. build runs at most once, under a lock.
func WithLazyEvent(ctx context.Context, build func() Event) context.Context {
	return context.WithValue(ctx, eventContextKey{}, &pendingEvent{build: build})
}

// WithoutEvent returns a context under which no store writes the pending
// event: a housekeeping write (expired sessions, a key's last use) that
// is not the request's change.
func WithoutEvent(ctx context.Context) context.Context {
	if _, ok := ctx.Value(eventContextKey{}).(*pendingEvent); !ok {
		return ctx
	}
	return context.WithValue(ctx, eventContextKey{}, &pendingEvent{off: true})
}

// PendingEvent returns the event a store is to write with its transaction
// under ctx: false when there is none, it is written already or
// WithoutEvent turned it off. Call MarkEventWritten once the transaction
// commits.
func PendingEvent(ctx context.Context) (Event, bool) {
	pe, ok := ctx.Value(eventContextKey{}).(*pendingEvent)
	if !ok {
		return Event{}, false
	}
	pe.mu.Lock()
	defer pe.mu.Unlock()
	if pe.off || pe.written {
		return Event{}, false
	}
	ev := *pe.event()
	ev.Resources = slices.Clone(ev.Resources)
	return ev, true
}

// MarkEventWritten notes that a committed transaction wrote ctx's pending
// event: later writes of the request do not write it again.
func MarkEventWritten(ctx context.Context) {
	if pe, ok := ctx.Value(eventContextKey{}).(*pendingEvent); ok && !pe.off {
		pe.mu.Lock()
		pe.written = true
		pe.mu.Unlock()
	}
}

// EventWritten returns the pending event of ctx and whether a committed
// transaction wrote it.
func EventWritten(ctx context.Context) (Event, bool) {
	pe, ok := ctx.Value(eventContextKey{}).(*pendingEvent)
	if !ok || pe.off {
		return Event{}, false
	}
	pe.mu.Lock()
	defer pe.mu.Unlock()
	return *pe.event(), pe.written
}

// WrittenEventID returns the id of ctx's pending event once a committed
// transaction wrote it, and false before (without building a lazy event).
func WrittenEventID(ctx context.Context) (string, bool) {
	pe, ok := ctx.Value(eventContextKey{}).(*pendingEvent)
	if !ok || pe.off {
		return "", false
	}
	pe.mu.Lock()
	defer pe.mu.Unlock()
	if !pe.written {
		return "", false
	}
	return pe.event().ID, true
}

// AddEventResources adds resources of type typ named names to the pending
// event of ctx (e.g. the ids of the instances a call creates, known only
// to its service), before the store call that writes it.
func AddEventResources(ctx context.Context, typ string, names ...string) {
	pe, ok := ctx.Value(eventContextKey{}).(*pendingEvent)
	if !ok || pe.off {
		return
	}
	pe.mu.Lock()
	defer pe.mu.Unlock()
	for _, n := range names {
		r := EventResource{Type: typ, Name: n}
		if !slices.Contains(pe.ev.Resources, r) {
			pe.ev.Resources = append(pe.ev.Resources, r)
		}
	}
}

type eventTypeKey struct{}

// WithEventType returns a context whose requests' events have eventType
// typ (EventTypeConsole for the web console's calls through
// server.Invoke); without it an event is an ApiCall.
func WithEventType(ctx context.Context, typ string) context.Context {
	return context.WithValue(ctx, eventTypeKey{}, typ)
}

// EventTypeFromContext returns the type WithEventType set, or
// EventTypeAPICall.
func EventTypeFromContext(ctx context.Context) string {
	if t, ok := ctx.Value(eventTypeKey{}).(string); ok && t != "" {
		return t
	}
	return EventTypeAPICall
}

// readPrefixes are the beginnings of the names of actions that read.
var readPrefixes = []string{"Describe", "List", "Get", "Lookup", "Query", "Check", "Explain", "Decode"}

// ReadAction reports whether an API action only reads (its events'
// eventRW is Read): its name begins with Describe, List, Get, Lookup,
// Query, Check, Explain or Decode.
func ReadAction(action string) bool {
	for _, p := range readPrefixes {
		if strings.HasPrefix(action, p) {
			return true
		}
	}
	return false
}

// gatewayDenialCodes are the refusals of authentication whose event is
// recorded in the account of the AccessKeyId they name (when it has one).
var gatewayDenialCodes = map[string]bool{
	"SignatureDoesNotMatch": true, "InvalidAccessKeyId.Inactive": true, "InvalidSecurityToken.Expired": true,
	"InvalidSecurityToken.Mismatch": true, "InvalidSecurityToken.Malformed": true, "MissingSecurityToken": true,
	"SignatureNonceUsed": true, "InvalidTimeStamp.Expired": true,
}

// GatewayDenial reports whether a refusal of authentication with error
// code is an audit event of the key's account: a bad signature, an
// inactive key, a wrong, malformed or expired SecurityToken, a used nonce,
// an expired timestamp.
func GatewayDenial(code string) bool { return gatewayDenialCodes[code] }

// NewGUID returns an upper-case UUID (version 4), the form of Alibaba
// Cloud's RequestId and ActionTrail's eventId.
func NewGUID() string {
	const hexDigits = "0123456789ABCDEF"
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	j := 0
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out[j] = '-'
			j++
		}
		out[j], out[j+1] = hexDigits[c>>4], hexDigits[c&15]
		j += 2
	}
	return string(out[:])
}
