package server

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/protocol"
)

// The audit trail (ActionTrail's LookupEvents reads it, internal/actiontrail).
//
// A call's event rides in its context from run on (localyun.WithLazyEvent,
// after its input is parsed), built only when a write or a denial needs
// it: the store writes it inside the first write transaction of the call
// that commits, so an acknowledged change always has its event and a
// failed one never does. A call that commits no write (a read, a refused
// change) has none. Housekeeping writes of a call (expired STS sessions,
// a key's last use) never carry it.
//
// Denials change nothing, so their events are written on their own: RAM
// denials (any 403 of an authenticated call: NoPermission, Forbidden.RAM,
// InvalidUser.PassRoleForbidden...), throttled calls, and gateway refusals
// whose AccessKeyId resolves to an account (a bad signature, an inactive
// key, a wrong, malformed or expired SecurityToken, a used nonce, an
// expired timestamp). An unknown AccessKeyId has no account to record it
// in: only the access log sees it. These go through a bounded queue that
// one goroutine writes in batches (AppendEvents); when it is full an event
// is dropped and counted (AuditEventsDropped; internal/auditq), so that a
// flood of refused calls never slows the calls of others.

// AuditEventHeader is the response header that carries the eventId of a
// successful call whose change was written with its event: a test harness
// matches it against LookupEvents.
const AuditEventHeader = "X-Localyun-Audit-Event"

const (
	auditQueueSize = 4096
	auditBatch     = 256
)

// auditItem is a queued event; resolve, when set, completes it from the
// store in the writer (the account of an AccessKeyId) and reports whether
// it is to be written.
type auditItem struct {
	ev      localyun.Event
	resolve func(ctx context.Context, ev *localyun.Event) bool
}

// enqueue queues an event to be written on its own, or drops and counts
// it when the queue is full (false).
func (s *Server) enqueue(it auditItem) bool { return s.audit.Add(it) }

// What the access log tells of a request's audit event (its attributes
// event and audit, accesslog.go).
const (
	// auditWritten: the event was written with the request's change, in
	// the transaction that committed it.
	auditWritten = "written"
	// auditQueued: the event of a denial (or a data-plane refusal) was
	// queued to be written on its own; the writer drops it when its key
	// or instance resolves to no account.
	auditQueued = "queued"
)

// auditNote is what a request's access-log line tells of its event.
type auditNote struct {
	event string // the eventId
	state string // auditWritten or auditQueued
}

type auditNoteKey struct{}

// withAuditNote returns a context under which noteAudit fills n.
func withAuditNote(ctx context.Context, n *auditNote) context.Context {
	return context.WithValue(ctx, auditNoteKey{}, n)
}

// noteAudit tells the access-log line of the request ctx serves (if it
// has one) that its event id is written or queued.
func noteAudit(ctx context.Context, id, state string) {
	if n, ok := ctx.Value(auditNoteKey{}).(*auditNote); ok {
		n.event, n.state = id, state
	}
}

// writeAudit writes a batch of queued events (auditq), each completed by
// its resolve first; an event whose resolve says no is not written.
func (s *Server) writeAudit(ctx context.Context, items []auditItem) (int, error) {
	batch := make([]localyun.Event, 0, len(items))
	for _, it := range items {
		if it.resolve == nil || it.resolve(ctx, &it.ev) {
			batch = append(batch, it.ev)
		}
	}
	if len(batch) == 0 {
		return 0, nil
	}
	if err := s.store.AppendEvents(ctx, batch); err != nil {
		s.log.Error("audit: write denial events", "events", len(batch), "err", err)
		return 0, err
	}
	return len(batch), nil
}

// AuditEventsDropped returns how many events the audit queue dropped
// because it was full or lost in a failed write (a metric:
// localyun_audit_events_dropped_total).
func (s *Server) AuditEventsDropped() uint64 { return s.audit.Dropped() }

// FlushAuditEvents waits until every queued event is written (or lost).
func (s *Server) FlushAuditEvents() { s.audit.Flush() }

// eventSources are the eventSource of each product's events, by product
// name; serviceNames the serviceName where it is not the product name.
var (
	eventSources = map[string]string{
		"Ecs": "ecs.aliyuncs.com", "Ram": "ram.aliyuncs.com", "Sts": "sts.aliyuncs.com",
		"Yundun-bastionhost": "yundun-bastionhost.aliyuncs.com", "Actiontrail": "actiontrail.aliyuncs.com",
		"Localyun": "localyun.aliyuncs.com",
	}
	serviceNames = map[string]string{"Yundun-bastionhost": "Bastionhost"}
)

// eventRW is Read for an action whose name reads (localyun.ReadAction),
// else Write.
func eventRW(action string) string {
	if localyun.ReadAction(action) {
		return localyun.EventRead
	}
	return localyun.EventWrite
}

// defaultEventRegion is the acsRegion of a call without a RegionId (RAM,
// STS): ActionTrail records global services in cn-hangzhou (UNCONFIRMED).
const defaultEventRegion = "cn-hangzhou"

// signatureParams are the parameters of the signature mechanics, not of
// the call: an event leaves them out (Signature and SecurityToken would
// be redacted anyway).
var signatureParams = map[string]bool{"Signature": true, "SignatureMethod": true, "SignatureVersion": true,
	"SignatureNonce": true, "SignatureType": true, "Timestamp": true, "Format": true, "Version": true, "Action": true,
	"SecurityToken": true}

// maxEventUserAgent bounds an event's userAgent (a client's header).
const maxEventUserAgent = 512

// callEvent is the event of a call by p (built when first needed: see
// WithLazyEvent in run).
func (s *Server) callEvent(typ string, rt *protocol.Route, r *protocol.Request, p localyun.Principal, rid string) localyun.Event {
	params := make(map[string][]string, len(r.Params))
	for k, v := range r.Params {
		if !signatureParams[k] {
			params[k] = v
		}
	}
	region := r.Get("RegionId")
	if region == "" {
		region = defaultEventRegion
	}
	source := eventSources[rt.Product.Name]
	if source == "" {
		source = strings.ToLower(rt.Product.Name) + ".aliyuncs.com"
	}
	service := serviceNames[rt.Product.Name]
	if service == "" {
		service = rt.Product.Name
	}
	scheme := "http"
	if p.Secure {
		scheme = "https"
	}
	return localyun.Event{ID: NewRequestID(), Name: rt.Action, Time: s.now().UTC(), Source: source,
		Type: typ, RW: eventRW(rt.Action), Region: region, Service: service,
		SourceIP: p.SourceIP, UserAgent: localyun.EventText(r.Header.Get("User-Agent"), maxEventUserAgent), RequestID: rid,
		Parameters: localyun.RedactParameters(params), Identity: eventIdentity(p), AccountID: p.AccountID,
		Additional: map[string]string{"Scheme": scheme}}
}

// eventIdentity is the userIdentity of p.
func eventIdentity(p localyun.Principal) localyun.EventIdentity {
	id := localyun.EventIdentity{PrincipalID: p.AccountID, AccountID: p.AccountID, AccessKeyID: p.AccessKeyID}
	switch p.Type {
	case localyun.PrincipalTypeUser:
		id.Type, id.UserName, id.PrincipalID = localyun.IdentityUser, p.UserName, p.UserName
	case localyun.PrincipalTypeAssumed:
		id.Type, id.UserName = localyun.IdentityAssumed, p.RoleName+":"+p.SessionName
		id.PrincipalID = id.UserName
	case localyun.PrincipalTypeRoot:
		id.Type, id.UserName = localyun.IdentityRoot, "root"
	default:
		id.Type, id.UserName = localyun.IdentityService, p.DisplayName()
	}
	return id
}

// noteResources adds the resources the ARNs name to ctx's pending event:
// acs:<service>:<region>:<account>:<type>/<name>; a wildcard names none.
func noteResources(ctx context.Context, arns []string) {
	for _, arn := range arns {
		if typ, name, ok := arnResource(arn); ok {
			localyun.AddEventResources(ctx, typ, name)
		}
	}
}

// resourceTypes are the ActionTrail resource types of ARN resource kinds,
// by service and kind.
var resourceTypes = map[string]string{
	"ecs/instance": "ACS::ECS::Instance", "ram/role": "ACS::RAM::Role", "ram/user": "ACS::RAM::User",
	"ram/group": "ACS::RAM::Group", "ram/policy": "ACS::RAM::Policy",
	"yundun-bastionhost/instance": "ACS::BastionHost::Instance", "actiontrail/trail": "ACS::ActionTrail::Trail",
}

// arnResource returns the type and name of the resource an ARN names.
func arnResource(arn string) (typ, name string, ok bool) {
	parts := strings.SplitN(arn, ":", 5)
	if len(parts) != 5 || parts[0] != "acs" {
		return "", "", false
	}
	kind, rest, ok := strings.Cut(parts[4], "/")
	if !ok || rest == "" || strings.Contains(rest, "*") {
		return "", "", false
	}
	typ, ok = resourceTypes[parts[1]+"/"+kind]
	if !ok {
		return "", "", false
	}
	name, _, _ = strings.Cut(rest, "/")
	return typ, name, true
}

// recordDenial queues the event of a call that was refused with err, when
// it is an access denial (a 403 with AccessDeniedDetail: RAM's decision on
// the call, or on the role it passes) or throttling.
func (s *Server) recordDenial(ctx context.Context, err error, event func() localyun.Event) {
	var e *localyun.Error
	if !errors.As(err, &e) || !(e.Status == http.StatusForbidden && e.Detail != nil || e.Code == errThrottledCode) {
		return
	}
	ev := event()
	ev.ErrorCode, ev.ErrorMessage = e.Code, e.Message
	if s.enqueue(auditItem{ev: ev}) {
		noteAudit(ctx, ev.ID, auditQueued)
	}
}

// errThrottledCode is the code of a call over its key's rate.
const errThrottledCode = "Throttling.User"

// recordGatewayDenial queues the event of a call refused before it had a
// principal; the writer finds the account of its AccessKeyId and drops it
// when there is none.
func (s *Server) recordGatewayDenial(ctx context.Context, rt *protocol.Route, r *protocol.Request, rid string, err error) {
	var e *localyun.Error
	if !errors.As(err, &e) || !localyun.GatewayDenial(e.Code) {
		return
	}
	keyID := claimedKeyID(r)
	if keyID == "" {
		return
	}
	p := localyun.Principal{AccessKeyID: keyID, SourceIP: r.RemoteAddr, Secure: r.Secure}
	ev := s.callEvent(localyun.EventTypeAPICall, rt, r, p, rid)
	ev.ErrorCode, ev.ErrorMessage = e.Code, e.Message
	if s.enqueue(auditItem{ev: ev, resolve: s.resolveKeyOwner}) {
		noteAudit(ctx, ev.ID, auditQueued)
	}
}

// claimedKeyID is the AccessKeyId a request names (V1 parameter or V3
// Authorization), "" when none or not a well-formed name.
func claimedKeyID(r *protocol.Request) string {
	keyID := r.Get("AccessKeyId")
	if auth := r.Header.Get("Authorization"); strings.HasPrefix(auth, "ACS3-") {
		if a, err := protocol.ParseV3Authorization(auth); err == nil {
			keyID = a.AccessKeyID
		}
	}
	if keyID == "" || protocol.CheckName(keyID, 1, 128) != nil {
		return ""
	}
	return keyID
}

// resolveKeyOwner completes a gateway denial's identity from its
// AccessKeyId: a key of an account root or RAM user, or an STS session.
func (s *Server) resolveKeyOwner(ctx context.Context, ev *localyun.Event) bool {
	id := ev.Identity.AccessKeyID
	var p localyun.Principal
	if strings.HasPrefix(id, "STS.") {
		sess, err := s.store.FindSession(ctx, id)
		if err != nil {
			return false
		}
		p = localyun.Principal{AccountID: sess.AccountID, Type: localyun.PrincipalTypeAssumed, RoleName: sess.RoleName,
			SessionName: sess.SessionName, AccessKeyID: id}
	} else {
		k, err := s.store.FindAccessKey(ctx, id)
		if err != nil {
			return false
		}
		p = localyun.Principal{AccountID: k.AccountID, Type: localyun.PrincipalTypeRoot, AccessKeyID: id}
		if k.UserName != "" {
			p.Type, p.UserName = localyun.PrincipalTypeUser, k.UserName
		}
	}
	ev.Identity, ev.AccountID = eventIdentity(p), p.AccountID
	return true
}

// pruneEvents deletes the events older than retention every interval,
// until ctx ends.
func (s *Server) pruneEvents(ctx context.Context, retention, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if n, err := s.store.DeleteEventsBefore(ctx, s.now().Add(-retention)); err != nil {
			if ctx.Err() != nil {
				return
			}
			s.log.Warn("audit: retention", "err", err)
		} else if n > 0 {
			s.log.Info("audit: retention deleted events", "events", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// StartAuditRetention deletes, now and then every hour until ctx ends, the
// events older than retention (serve --audit-retention); zero or less keeps
// every event.
func (s *Server) StartAuditRetention(ctx context.Context, retention time.Duration) {
	if retention > 0 {
		go s.pruneEvents(ctx, retention, time.Hour)
	}
}
