package sts

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/auth"
)

// Instance credential lifetimes: the metadata service's sessions last
// DefaultInstanceCredentialTTL (6 h, as ECS's documented sample) unless
// --metadata-credential-ttl sets another within the bounds.
const (
	DefaultInstanceCredentialTTL = 6 * time.Hour
	MinInstanceCredentialTTL     = 15 * time.Minute
	MaxInstanceCredentialTTL     = 12 * time.Hour
)

// ECSService is the service principal an instance RAM role must trust.
const ECSService = "ecs.aliyuncs.com"

// ErrNotTrusted is returned by InstanceCredentials when the instance's
// role does not trust ECSService: the metadata service answers as if no
// role were attached, and logs why. It wraps localyun.ErrDenied.
var ErrNotTrusted = fmt.Errorf("the role does not trust %s: %w", ECSService, localyun.ErrDenied)

// InstanceCredentials are the temporary credentials of an instance's RAM
// role, as the metadata service answers them.
type InstanceCredentials struct {
	AccessKeyID, AccessKeySecret, SecurityToken string
	Expiration, LastUpdated                     time.Time // LastUpdated: when the session was issued
}

// InstanceCredentials returns the current STS session of the role attached
// to inst, issuing one when there is none, when the role was replaced
// (another name or id), or when at most a third of its lifetime is left:
// the same instance asking again gets the same credentials until then,
// and a client refreshing at 180 s before Expiration (credentials-go, the
// v1 SDK) or at 95 % of the lifetime it saw (the legacy signer) always
// gets fresh ones, valid for at least a third of the TTL more.
//
// The session is a role session like AssumeRole's: principal
// assumed-role/<role>/<instance id> (the session name is the instance
// id), authorized by the role's policies, bound to the instance, the
// role's name and its id (Session.InstanceID) for --revocation strict.
//
// inst must be read from the store by the caller for this request (its
// RAMRoleName is the attachment the answer follows). The role is read
// here, from the store, and must trust ECSService now. Returns an error
// wrapping localyun.ErrNotFound when inst has no role or the role does not
// exist, ErrNotTrusted when it does not trust ECS. Concurrent first calls
// for one instance hand out one session: the store's compare-and-set lets
// one become current, and the others return it.
func (s *Service) InstanceCredentials(ctx context.Context, inst localyun.Instance) (InstanceCredentials, error) {
	if inst.RAMRoleName == "" {
		return InstanceCredentials{}, fmt.Errorf("instance %s has no RAM role: %w", inst.ID, localyun.ErrNotFound)
	}
	role, err := s.store.FindRoleByName(ctx, inst.AccountID, inst.RAMRoleName)
	if err != nil {
		return InstanceCredentials{}, fmt.Errorf("role %s of instance %s: %w", inst.RAMRoleName, inst.ID, err)
	}
	if !s.trusts.ecs(role.AssumeRolePolicyDocument) {
		return InstanceCredentials{}, fmt.Errorf("role %s of instance %s: %w", role.Name, inst.ID, ErrNotTrusted)
	}
	// A few rounds: each lost compare-and-set means another request made
	// a session current, which the next round returns unless it is for
	// another role.
	for range 4 {
		now := s.opts.Now().UTC().Truncate(time.Second)
		cur, err := s.store.FindInstanceSession(ctx, inst.AccountID, inst.ID)
		prev := ""
		switch {
		case err == nil:
			if cur.RoleID == role.ID && cur.RoleName == role.Name && cur.ExpiresAt.Sub(now) > s.rotateBefore() {
				s.issued.reused.Add(1)
				return instanceCredentials(cur), nil
			}
			prev = cur.AccessKeyID
		case !errors.Is(err, localyun.ErrNotFound):
			return InstanceCredentials{}, err
		}
		next := s.newInstanceSession(role, inst.ID, now)
		if _, err := s.store.DeleteExpiredSessions(ctx, now.Add(-s.opts.Retain)); err != nil {
			return InstanceCredentials{}, err
		}
		err = s.store.ReplaceInstanceSession(ctx, next, prev)
		if err == nil {
			s.issued.created.Add(1)
			return instanceCredentials(next), nil
		}
		if !errors.Is(err, localyun.ErrConflict) {
			return InstanceCredentials{}, err
		}
	}
	return InstanceCredentials{}, fmt.Errorf("instance %s: its session kept changing: %w", inst.ID, localyun.ErrUnavailable)
}

// rotateBefore is how long before its expiry an instance session is
// replaced: a third of the TTL (at least 5 minutes within the TTL bounds,
// well over the clients' 180 s).
func (s *Service) rotateBefore() time.Duration { return s.opts.InstanceCredentialTTL / 3 }

func (s *Service) newInstanceSession(role localyun.Role, instanceID string, now time.Time) localyun.InstanceSession {
	token := TokenPrefix + base64.RawURLEncoding.EncodeToString(random(48))
	return localyun.InstanceSession{Token: token, Session: localyun.Session{
		AccessKeyID: "STS.NT" + alnum(26),
		Secret:      alnum(44),
		TokenHash:   HashToken(token),
		AccountID:   role.AccountID,
		RoleName:    role.Name,
		RoleID:      role.ID,
		SessionName: instanceID,
		Caller:      ECSService,
		CreatedAt:   now,
		ExpiresAt:   now.Add(s.opts.InstanceCredentialTTL),
		InstanceID:  instanceID,
	}}
}

func instanceCredentials(s localyun.InstanceSession) InstanceCredentials {
	return InstanceCredentials{AccessKeyID: s.AccessKeyID, AccessKeySecret: s.Secret, SecurityToken: s.Token,
		Expiration: s.ExpiresAt, LastUpdated: s.CreatedAt}
}

// trustMemo remembers whether a trust policy trusts ECSService, by its
// text: the answer is a function of the text alone (no clock or request
// context in the evaluation), so a remembered answer never goes stale; a
// changed policy is another key. It spares the metadata path a JSON parse
// per request.
type trustMemo struct {
	mu sync.RWMutex
	m  map[string]bool
}

// maxTrustMemo bounds the documents remembered; beyond it they are
// evaluated every time.
const maxTrustMemo = 1024

func (m *trustMemo) ecs(doc string) bool {
	m.mu.RLock()
	ok, known := m.m[doc]
	m.mu.RUnlock()
	if known {
		return ok
	}
	// The same evaluation as ECS's attach check (ecs.TrustsECS).
	ok = auth.TrustAllows(doc, auth.Caller{Service: ECSService}, nil)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = map[string]bool{}
	}
	if len(m.m) < maxTrustMemo {
		m.m[doc] = ok
	}
	return ok
}
