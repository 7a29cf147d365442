package bastionhost

import (
	"context"
	"errors"
	"time"

	"github.com/localyun/localyun"
)

// Effective access: what a bastion user may use now. It is computed here
// and nowhere else: ListOperationHosts, ListOperationHostAccounts,
// GenerateAssetOperationToken and the SSH gateway all ask EffectiveAccess
// or MayUse, which read the store on every call (no cache), so that a
// revocation is seen by the next call.

// AccessWatcher is told, after every committed write that can remove
// access, the bastion instance it was in: the gateway then re-checks its
// live sessions there. AccessChanged must not block.
type AccessWatcher interface{ AccessChanged(instanceID string) }

// accessChanged tells the watcher, if any, that access in instanceID may
// have been removed.
func (s *Service) accessChanged(instanceID string) {
	if s.opts.Watcher != nil {
		s.opts.Watcher.AccessChanged(instanceID)
	}
}

// UserActive reports whether a user may log in and use hosts at now: it is
// not locked (LockUsers) and now is within its validity period
// (EffectiveStartTime to EffectiveEndTime, unix seconds, both included;
// 0 is no bound).
func UserActive(u localyun.BastionUser, now time.Time) bool {
	t := now.Unix()
	return !u.Locked && (u.EffectiveStartTime == 0 || u.EffectiveStartTime <= t) &&
		(u.EffectiveEndTime == 0 || t <= u.EffectiveEndTime)
}

// EffectiveAccess returns every (host, host account) pair the user may use
// now, in host then account id order, with the grant paths that give each
// (localyun.BastionAccess.Via): a grant of the account to the user or to
// one of its user groups, or a grant of the account's name on a host group
// holding the host, to the user or to one of its groups. A host granted
// without accounts gives no pair. A locked user, one outside its validity
// period and an unknown user have none.
func (s *Service) EffectiveAccess(ctx context.Context, instanceID, userID string) ([]localyun.BastionAccess, error) {
	u, err := s.store.FindBastionUser(ctx, instanceID, userID)
	if errors.Is(err, localyun.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !UserActive(u, s.opts.Now()) {
		return nil, nil
	}
	return s.store.FindBastionAccess(ctx, instanceID, userID)
}

// MayUse reports whether the user may use the host as the account now
// (the account must be of that host): EffectiveAccess for one pair.
func (s *Service) MayUse(ctx context.Context, instanceID, userID, hostID, accountID string) (bool, error) {
	access, err := s.EffectiveAccess(ctx, instanceID, userID)
	if err != nil {
		return false, err
	}
	for _, a := range access {
		if a.Host.ID == hostID && a.Account.ID == accountID {
			return true, nil
		}
	}
	return false, nil
}

// HostAccountCredential returns the stored credentials of a host account,
// for the gateway to log in to the host with. They are never shown to the
// bastion user. Returns localyun.ErrNotFound.
func (s *Service) HostAccountCredential(ctx context.Context, instanceID, accountID string) (localyun.BastionSecret, error) {
	return s.store.FindBastionHostAccountSecret(ctx, instanceID, accountID)
}

// afterAccessWrite tells the watcher about a write that can remove access
// in instanceID once it has committed (err nil), and returns err.
func (s *Service) afterAccessWrite(instanceID string, err error) error {
	if err == nil {
		s.accessChanged(instanceID)
	}
	return err
}

// afterRevoke tells the watcher about a grant batch that revoked, whatever
// its outcome: a batch that failed may have committed before its answer
// was lost, and a needless re-check costs little.
func (s *Service) afterRevoke(instanceID string, op localyun.BastionGrantOp) {
	if op == localyun.BastionGrantRevoke {
		s.accessChanged(instanceID)
	}
}
