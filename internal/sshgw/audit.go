package sshgw

import (
	"context"
	"errors"
	"net"
	"strconv"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/bastionhost"
)

// The gateway's audit events (ActionTrail's LookupEvents reads them, with
// eventType BastionSSH, serviceName Bastionhost). Every event belongs to
// the account of the bastion instance whose listener the client reached
// (recipientAccountId), in the instance's region (acsRegion); its
// userIdentity is the bastion user (type bastion-user, principalId the
// user's id, userName its name), sourceIpAddress the client's address and
// userAgent the client's SSH version string. No event holds a password, a
// key or a token: requestParameters name the instance, the host, the host
// account and the login method only.
//
//   - BastionSSHLogin: a session to a host account started. It is written
//     by the store inside the transaction that creates the session's record
//     (CreateBastionSession under localyun.WithEvent), so a session with a
//     record always has its event and one whose record failed has none. A
//     login to the gateway that opens no session to a host (the menu left,
//     ls) changes nothing and has no event.
//   - BastionSSHSessionEnd: that session ended, written inside the
//     transaction that ends its record (EndBastionSession), with the reason
//     (exit, revoked, locked, expired, idle, shutdown, error), the record's
//     id and the duration in additionalEventData. A session start and its
//     end share their requestId.
//   - BastionSSHLogin with errorCode and errorMessage: a refused login (a
//     wrong user name, password, key or token, a locked or lockout-ed user)
//     or a refused choice of a host account after login (NoPermission).
//     These change nothing: they go through a bounded queue that a goroutine
//     writes with AppendEvents, so the SSH handshake never waits for the
//     store; when the queue is full an event is dropped and counted
//     (Stats.EventsDropped). A public key a client merely offers and the
//     gateway does not know is not an attempt of its own (clients offer
//     every key they have): one event records it only when the connection
//     then ends without any login and without another refusal recorded. An
//     unknown user's refusals are recorded too, with the user name as typed
//     and no principalId: the listener tells the instance, and so the
//     account.

// Event names, eventType and the other constant fields of the events.
const (
	EventLogin      = "BastionSSHLogin"
	EventSessionEnd = "BastionSSHSessionEnd"

	eventSource  = "yundun-bastionhost.aliyuncs.com"
	eventService = "Bastionhost"
	// IdentityBastionUser is the userIdentity.type of the gateway's events
	// (localyun's own: ActionTrail records no bastion logins; UNCONFIRMED).
	IdentityBastionUser = "bastion-user"

	resourceInstance = "ACS::BastionHost::Instance"
	resourceHost     = "ACS::BastionHost::Host" // UNCONFIRMED: no ActionTrail event names a bastion host
)

// Error codes of refused logins (errorCode), localyun's own.
const (
	CodeInvalidUserName  = "InvalidUserName"  // no bastion user of that name
	CodeInvalidPassword  = "InvalidPassword"  // a wrong password (or O&M token typed as one)
	CodeInvalidPublicKey = "InvalidPublicKey" // a key not registered for the user
	CodeLoginLockedOut   = "UserLoginLockedOut"
	CodeUserLocked       = "UserLocked"
	CodeUserInactive     = "UserInactive" // outside its validity period
	CodeTokenExpired     = "OperationTokenExpired"
	CodeNoPermission     = "NoPermission" // a host account the user may not use
	CodeInternalError    = "InternalError"
)

// maxEventUserName bounds a user name as typed in an event, and
// maxEventUserAgent a client's SSH version string (both are the client's
// bytes: localyun.EventText makes them printable UTF-8).
const (
	maxEventUserName  = 128
	maxEventUserAgent = 255
)

// hiddenUserName is the userName of a refused login whose name no user
// has: people type passwords into the user-name prompt, and the trail is
// readable by anyone allowed actiontrail:LookupEvents (CloudTrail hides
// such names the same way).
const hiddenUserName = "HIDDEN_DUE_TO_SECURITY_REASONS"

const (
	eventQueueSize = 1024
	eventBatch     = 128
)

// queuedEvent is a refused login's event; userName, when set, is the user
// name the client gave, looked up by the writer (principalId, and
// InvalidUserName for a name no user has).
type queuedEvent struct {
	ev       localyun.Event
	userName string
}

// clientIP is the address part of a client's host:port.
func clientIP(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

// newEvent is an event of instance l's listener, from the client at addr
// whose SSH version string is version, by the bastion user named user.
func (g *Gateway) newEvent(l *instanceListener, addr, version, user string) localyun.Event {
	user, version = localyun.EventText(user, maxEventUserName), localyun.EventText(version, maxEventUserAgent)
	return localyun.Event{ID: localyun.NewGUID(), Name: EventLogin, Time: g.opts.Now().UTC(), Source: eventSource,
		Type: localyun.EventTypeBastionSSH, RW: localyun.EventWrite, Region: l.regionID, Service: eventService,
		SourceIP: clientIP(addr), UserAgent: version, RequestID: localyun.NewGUID(), AccountID: l.accountID,
		Identity:   localyun.EventIdentity{Type: IdentityBastionUser, AccountID: l.accountID, UserName: user},
		Parameters: map[string]string{"InstanceId": l.instanceID},
		Resources:  []localyun.EventResource{{Type: resourceInstance, Name: l.instanceID}},
		Additional: map[string]string{}}
}

// sessionEvent is the event named name of a live session: its user, host
// account and login method.
func (g *Gateway) sessionEvent(s *liveSession, name string) localyun.Event {
	lg := s.login
	ev := g.newEvent(lg.l, lg.clientAddr, lg.clientVersion, lg.userName)
	ev.Name, ev.RequestID, ev.Identity.PrincipalID = name, s.requestID, lg.userID
	ev.Parameters["HostId"], ev.Parameters["HostAccountId"] = s.access.Host.ID, s.access.Account.ID
	ev.Parameters["HostAccountName"], ev.Parameters["LoginMethod"] = s.access.Account.Name, lg.method
	ev.Resources = append(ev.Resources, localyun.EventResource{Type: resourceHost, Name: s.access.Host.ID})
	ev.Additional["SessionMode"] = s.mode
	ev.Additional["HostAddress"] = hostAddr(s.access.Host)
	return ev
}

// sessionEndEvent is the BastionSSHSessionEnd event of s, ended for reason
// at end.
func (g *Gateway) sessionEndEvent(s *liveSession, reason string, end time.Time) localyun.Event {
	ev := g.sessionEvent(s, EventSessionEnd)
	ev.Additional["SessionId"] = s.record
	ev.Additional["EndReason"] = reason
	ev.Additional["DurationSeconds"] = strconv.FormatInt(int64(max(end.Sub(s.startedAt), 0)/time.Second), 10)
	return ev
}

// refusalCodes are the error codes and messages of the login refusals the
// Bastionhost service tells apart.
var refusalCodes = []struct {
	err           error
	code, message string
}{
	{bastionhost.ErrLoginLockedOut, CodeLoginLockedOut, "too many failed logins; try again later"},
	{bastionhost.ErrUserLocked, CodeUserLocked, "the bastion user is locked"},
	{bastionhost.ErrUserInactive, CodeUserInactive, "the bastion user is outside its validity period"},
	{bastionhost.ErrTokenExpired, CodeTokenExpired, "the O&M token has expired"},
	{bastionhost.ErrTokenNotAllowed, CodeNoPermission, "the O&M token's host account is no longer authorized"},
}

// refusal returns the error code and message of a login refused by err
// with method (a wrong credential's code is the method's; the writer makes
// it InvalidUserName when no user has the name).
func refusal(method string, err error) (code, message string) {
	if isLoginFailed(err) {
		if method == "publickey" {
			return CodeInvalidPublicKey, "the public key is not registered for the bastion user"
		}
		return CodeInvalidPassword, "wrong password or O&M token"
	}
	for _, r := range refusalCodes {
		if errors.Is(err, r.err) {
			return r.code, r.message
		}
	}
	return CodeInternalError, "the bastion could not check the login"
}

// loginRefusedEvent is the event of a login to l that c's client made
// with method and that err refused.
func (g *Gateway) loginRefusedEvent(l *instanceListener, c ssh.ConnMetadata, method string, err error) localyun.Event {
	ev := g.newEvent(l, c.RemoteAddr().String(), string(c.ClientVersion()), c.User())
	ev.Parameters["LoginMethod"] = method
	ev.ErrorCode, ev.ErrorMessage = refusal(method, err)
	return ev
}

// deniedEvent is the event of a logged-in user's refused choice of a host
// account: params name what the user asked for (HostId, Host as typed,
// HostAccountName).
func (g *Gateway) deniedEvent(lg login, params map[string]string) localyun.Event {
	ev := g.newEvent(lg.l, lg.clientAddr, lg.clientVersion, lg.userName)
	ev.Identity.PrincipalID = lg.userID
	ev.Parameters["LoginMethod"] = lg.method
	for k, v := range params {
		if v != "" {
			ev.Parameters[k] = v
		}
	}
	if id := params["HostId"]; id != "" {
		ev.Resources = append(ev.Resources, localyun.EventResource{Type: resourceHost, Name: id})
	}
	ev.ErrorCode, ev.ErrorMessage = CodeNoPermission, "the bastion user may not use this host account"
	return ev
}

// denied records a logged-in user's refused choice of a host account.
func (g *Gateway) denied(lg login, params map[string]string) {
	g.enqueue(queuedEvent{ev: g.deniedEvent(lg, params)})
}

// loginAttempts is what one connection's refused logins left to record:
// a refused public key waits for the end of the handshake (see the top of
// this file).
type loginAttempts struct {
	recorded bool
	offered  *localyun.Event
}

// refused records (or, for an unknown offered key, keeps) the event of a
// refused login. The SSH server calls its callbacks one at a time, on the
// goroutine of the handshake.
func (g *Gateway) refused(l *instanceListener, c ssh.ConnMetadata, att *loginAttempts, method string, err error) {
	ev := g.loginRefusedEvent(l, c, method, err)
	if method == "publickey" && isLoginFailed(err) {
		att.offered = &ev
		return
	}
	att.recorded = true
	g.enqueue(queuedEvent{ev: ev, userName: c.User()})
}

// handshakeFailed records the offered key of a connection that ended
// without a login and without another refusal recorded.
func (g *Gateway) handshakeFailed(att *loginAttempts) {
	if !att.recorded && att.offered != nil {
		g.enqueue(queuedEvent{ev: *att.offered, userName: att.offered.Identity.UserName})
	}
}

// enqueue queues an event to be written on its own, or drops and counts
// it when the queue is full. It never blocks.
func (g *Gateway) enqueue(it queuedEvent) {
	if !g.events.Add(it) {
		g.opts.Logger.Warn("ssh audit: queue full, event dropped", "instance", it.ev.Parameters["InstanceId"])
	}
}

// writeBatch completes each event's identity from its user name and
// writes the batch in one transaction (auditq runs it).
func (g *Gateway) writeBatch(ctx context.Context, batch []queuedEvent) (int, error) {
	events := make([]localyun.Event, 0, len(batch))
	for _, it := range batch {
		ev := it.ev
		if it.userName != "" {
			g.resolveUser(ctx, &ev, it.userName)
		}
		events = append(events, ev)
	}
	if err := g.opts.Store.AppendEvents(ctx, events); err != nil {
		g.opts.Logger.Error("ssh audit: write events", "events", len(events), "err", err)
		return 0, err
	}
	return len(events), nil
}

// resolveUser sets the principalId of a refused login's event from the
// user name the client gave; a name no user of the instance has is hidden
// (hiddenUserName) and makes a wrong credential's code InvalidUserName.
func (g *Gateway) resolveUser(ctx context.Context, ev *localyun.Event, name string) {
	users, _, err := g.opts.Store.FindBastionUsers(ctx, localyun.BastionUserFilter{InstanceID: ev.Parameters["InstanceId"],
		Name: name, Limit: 1})
	if err == nil && len(users) == 1 && users[0].Name == name {
		ev.Identity.PrincipalID = users[0].ID
		return
	}
	// A name that is no user's (or could not be looked up) may be a
	// password typed at the wrong prompt: never stored.
	ev.Identity.UserName = hiddenUserName
	if err == nil && (ev.ErrorCode == CodeInvalidPassword || ev.ErrorCode == CodeInvalidPublicKey) {
		ev.ErrorCode, ev.ErrorMessage = CodeInvalidUserName, "no bastion user of this name"
	}
}

// FlushEvents waits until every event queued so far is written (or its
// write failed).
func (g *Gateway) FlushEvents() { g.events.Flush() }
