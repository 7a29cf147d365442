package server

import (
	"context"
	"net/http"
	"strings"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/console"
	"github.com/localyun/localyun/internal/protocol"
)

// consoleAPI is the Server as the web console's Backend: Invoke and
// SignIn, and Resolve, the key check of every console request (the
// session holds no secret).
type consoleAPI struct{ s *Server }

func (a consoleAPI) Invoke(ctx context.Context, p localyun.Principal, c console.Call) ([]byte, string, error) {
	ctx = localyun.WithEventType(ctx, localyun.EventTypeConsole)
	return a.s.Invoke(ctx, p, Call{Version: c.Version, Action: c.Action, Params: c.Params, SourceIP: c.SourceIP,
		UserAgent: c.UserAgent, Secure: c.Secure})
}

// SignIn checks the pair and records a ConsoleSignin event, for a
// refusal too when the key belongs to an account (written through the
// audit queue, as a denial is: a sign-in changes nothing).
func (a consoleAPI) SignIn(ctx context.Context, accessKeyID, secret, token string, from console.Call) (localyun.Principal, error) {
	p, err := a.s.SignIn(ctx, accessKeyID, secret, token)
	scheme := "http"
	if from.Secure {
		scheme = "https"
	}
	ev := localyun.Event{ID: NewRequestID(), Name: localyun.EventTypeConsoleSignin, Time: a.s.now().UTC(),
		Source: "signin.aliyun.com", Type: localyun.EventTypeConsoleSignin, RW: localyun.EventWrite,
		Region: defaultEventRegion, Service: "AasSub", SourceIP: from.SourceIP, UserAgent: localyun.EventText(from.UserAgent, maxEventUserAgent),
		RequestID: NewRequestID(), Parameters: map[string]string{}, Additional: map[string]string{"Scheme": scheme}}
	if err != nil {
		e := protocol.AsAPIError(err)
		if e.Status >= 500 || protocol.CheckName(accessKeyID, 1, 128) != nil {
			return p, err
		}
		ev.ErrorCode, ev.ErrorMessage = e.Code, e.Message
		ev.Identity.AccessKeyID = accessKeyID
		a.s.enqueue(auditItem{ev: ev, resolve: a.s.resolveKeyOwner})
		return p, err
	}
	ev.Identity, ev.AccountID = eventIdentity(p), p.AccountID
	a.s.enqueue(auditItem{ev: ev})
	return p, nil
}

// Resolve returns the principal of a key (and STS token) as a signed
// request would authenticate it, without checking a secret.
func (a consoleAPI) Resolve(ctx context.Context, accessKeyID, token string) (localyun.Principal, error) {
	_, p, err := a.s.resolveKey(ctx, accessKeyID, token)
	return p, err
}

// newConsole returns the web console of s, or nil when opts turn it off.
func (s *Server) newConsole(opts Options) *console.Console {
	if !opts.Console {
		return nil
	}
	return console.New(consoleAPI{s}, console.Options{MasterKey: opts.MasterKey, Now: s.now, Logger: s.log})
}

// serveConsole serves the paths under /console when the console is on;
// false otherwise.
func (s *Server) serveConsole(w http.ResponseWriter, hr *http.Request) bool {
	if s.console == nil || (hr.URL.Path != console.Root && !strings.HasPrefix(hr.URL.Path, console.Root+"/")) {
		return false
	}
	s.console.ServeHTTP(w, hr)
	return true
}
