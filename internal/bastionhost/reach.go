package bastionhost

import (
	"context"

	"github.com/localyun/localyun"
)

// UserReach is one bastion user's effective access to a host: the host
// accounts it may use there, each with its grant paths.
type UserReach struct {
	User   localyun.BastionUser
	Access []localyun.BastionAccess
}

// WhoCanReach is EffectiveAccess in the reverse direction: every user of
// the instance who may use the host now (as accountID only, when set), in
// user id order, with the accounts and the grant paths of each. It asks
// EffectiveAccess of every user, so the rules are that function's alone.
// Returns Commodity.BizError.InvalidStatus for an instance the caller does
// not hold and HostNotFound for an unknown host.
func (s *Service) WhoCanReach(ctx context.Context, ref ObjectRef, accountID string) (localyun.BastionHost, []UserReach, error) {
	host, err := s.GetHost(ctx, ref)
	if err != nil {
		return localyun.BastionHost{}, nil, err
	}
	var out []UserReach
	const page = 500
	for offset := 0; ; offset += page {
		users, total, err := s.store.FindBastionUsers(ctx, localyun.BastionUserFilter{InstanceID: ref.InstanceID, Offset: offset, Limit: page})
		if err != nil {
			return host, nil, err
		}
		for _, u := range users {
			access, err := s.EffectiveAccess(ctx, ref.InstanceID, u.ID)
			if err != nil {
				return host, nil, err
			}
			var here []localyun.BastionAccess
			for _, a := range access {
				if a.Host.ID == host.ID && (accountID == "" || a.Account.ID == accountID) {
					here = append(here, a)
				}
			}
			if len(here) > 0 {
				out = append(out, UserReach{User: u, Access: here})
			}
		}
		if offset+page >= total || len(users) == 0 {
			return host, out, nil
		}
	}
}
