package bastionhost

import (
	"context"

	"github.com/localyun/localyun"
)

// The rules of the grant actions. Each action has its Service method; the
// user-group and user variants of an action share one implementation, with
// the grantee kind in the input. A batch is decided on facts read from the
// store (which grantee, hosts and accounts exist) and applied as row
// changes in one store transaction, which reports which rows changed.

// AttachHostAccountsToUserGroup grants hosts, and accounts of them, to a
// user group: see changeHostGrants.
func (s *Service) AttachHostAccountsToUserGroup(ctx context.Context, in HostGrantsInput) ([]localyun.BastionHostGrantResult, error) {
	return s.changeHostGrants(ctx, in, localyun.BastionGrantAdd)
}

// DetachHostAccountsFromUserGroup revokes hosts, or accounts of them, from
// a user group: see changeHostGrants.
func (s *Service) DetachHostAccountsFromUserGroup(ctx context.Context, in HostGrantsInput) ([]localyun.BastionHostGrantResult, error) {
	return s.changeHostGrants(ctx, in, localyun.BastionGrantRevoke)
}

// AttachHostAccountsToUser grants hosts, and accounts of them, to a user.
func (s *Service) AttachHostAccountsToUser(ctx context.Context, in HostGrantsInput) ([]localyun.BastionHostGrantResult, error) {
	return s.changeHostGrants(ctx, in, localyun.BastionGrantAdd)
}

// DetachHostAccountsFromUser revokes hosts, or accounts of them, from a user.
func (s *Service) DetachHostAccountsFromUser(ctx context.Context, in HostGrantsInput) ([]localyun.BastionHostGrantResult, error) {
	return s.changeHostGrants(ctx, in, localyun.BastionGrantRevoke)
}

// changeHostGrants grants (BastionGrantAdd) or revokes the hosts and
// accounts of in, all or nothing, with one result per entry and per
// account. Returns Commodity.BizError.InvalidStatus for an unknown instance
// and OBJECT_NOT_FOUND for an unknown grantee, or OperationConflict when
// its targets change under every round (runGrantBatch); see planHostGrants
// for the per-item outcomes.
func (s *Service) changeHostGrants(ctx context.Context, in HostGrantsInput, op localyun.BastionGrantOp) ([]localyun.BastionHostGrantResult, error) {
	if err := s.instance(ctx, in.InstanceRef); err != nil {
		return nil, err
	}
	var hostIDs, accountIDs []string
	for _, h := range in.Hosts {
		hostIDs = append(hostIDs, h.HostID)
		accountIDs = append(accountIDs, h.AccountIDs...)
	}
	defer s.afterRevoke(in.InstanceID, op)
	return runGrantBatch(ctx, granteeWhat(in.Grantee.Kind),
		func() (localyun.BastionHostGrantTargets, bool, error) {
			t, err := s.store.FindBastionHostGrantTargets(ctx, in.InstanceID, in.Grantee, hostIDs, accountIDs)
			return t, t.GranteeExists, err
		},
		func(t localyun.BastionHostGrantTargets) grantPlan[localyun.BastionHostGrantResult, localyun.BastionHostGrantChange] {
			return planHostGrants(in.Hosts, t, op)
		},
		func(t localyun.BastionHostGrantTargets, changes []localyun.BastionHostGrantChange) ([]bool, error) {
			return s.store.ApplyBastionHostGrants(ctx, in.InstanceID, in.Grantee, t.Version, changes)
		})
}

// runGrantBatch decides a batch with plan on the targets find reads (an
// unknown grantee is OBJECT_NOT_FOUND) and applies its changes, decided on
// those targets. When apply reports that a target is gone since the read
// (ErrConflict), it reads and decides again (localyun.RetryOnConflict). The
// store reports every vanished target so (it checks them in its
// transaction unless nothing was written since the read), never as a
// foreign key's ErrNotFound, so that conflict is the one thing retried.
func runGrantBatch[T, R, C any](ctx context.Context, what string, find func() (T, bool, error), plan func(T) grantPlan[R, C],
	apply func(T, []C) ([]bool, error)) ([]R, error) {
	var results []R
	err := localyun.RetryOnConflict(ctx, func() error {
		t, granteeExists, err := find()
		if err != nil {
			return err
		}
		if !granteeExists {
			return errObjectNotFound(what)
		}
		p := plan(t)
		if len(p.changes) == 0 {
			results = p.results
			return nil
		}
		changed, err := apply(t, p.changes)
		if err != nil {
			return err
		}
		results = p.settle(changed)
		return nil
	})
	if err != nil {
		return nil, objectError(err, nil, nil)
	}
	return results, nil
}

// grantPlan is a decided batch: its results, with the outcomes its changes
// decide still open, and the changes.
type grantPlan[R, C any] struct {
	results []R
	changes []C
	slots   []*string // per change, the outcome it decides (nil: none)
}

func (p *grantPlan[R, C]) add(c C, slot *string) {
	p.changes = append(p.changes, c)
	p.slots = append(p.slots, slot)
}

// settle fills in the outcomes of the changes from what the store changed.
func (p grantPlan[R, C]) settle(changed []bool) []R {
	for i, slot := range p.slots {
		if slot != nil {
			*slot = changedOutcome(changed[i])
		}
	}
	return p.results
}

// planHostGrants decides a batch on the targets t. Per entry:
//   - a host id that is not an id (localyun.ParseBastionID): INVALID_ARGUMENT,
//     and so each account;
//   - a host that does not exist: OBJECT_NOT_FOUND, and so each account;
//   - a host without accounts: its grant is granted or revoked (revoking a
//     host revokes every account grant on it): OK, or
//     OBJECT_AlREADY_EXISTS when it already was;
//   - a host with accounts: the host is found, so OK, and it stays granted
//     (or, when attaching, becomes granted); each account is INVALID_ARGUMENT,
//     OBJECT_NOT_FOUND when it is not an account of that host, or granted or
//     revoked like a host.
func planHostGrants(items []localyun.BastionHostGrant, t localyun.BastionHostGrantTargets, op localyun.BastionGrantOp) grantPlan[localyun.BastionHostGrantResult, localyun.BastionHostGrantChange] {
	var p grantPlan[localyun.BastionHostGrantResult, localyun.BastionHostGrantChange]
	p.results = make([]localyun.BastionHostGrantResult, len(items))
	for i, item := range items {
		r := &p.results[i]
		r.HostID = item.HostID
		r.Accounts = make([]localyun.ItemResult, len(item.AccountIDs))
		for j, id := range item.AccountIDs {
			r.Accounts[j].ID = id
		}
		_, wellFormed := localyun.ParseBastionID(item.HostID)
		switch {
		case !wellFormed:
			setAll(r, localyun.OutcomeInvalid)
		case !t.Hosts[item.HostID]:
			setAll(r, localyun.OutcomeMissing)
		case len(item.AccountIDs) == 0:
			p.add(localyun.BastionHostGrantChange{Op: op, HostID: item.HostID}, &r.Outcome)
		default:
			r.Outcome = localyun.OutcomeChanged
			if op == localyun.BastionGrantAdd {
				p.add(localyun.BastionHostGrantChange{Op: op, HostID: item.HostID}, nil)
			}
			for j, id := range item.AccountIDs {
				a := &r.Accounts[j]
				_, wellFormed := localyun.ParseBastionID(id)
				switch {
				case !wellFormed:
					a.Outcome = localyun.OutcomeInvalid
				case t.AccountHosts[id] != item.HostID:
					a.Outcome = localyun.OutcomeMissing
				default:
					p.add(localyun.BastionHostGrantChange{Op: op, HostID: item.HostID, AccountID: id}, &a.Outcome)
				}
			}
		}
	}
	return p
}

func setAll(r *localyun.BastionHostGrantResult, outcome string) {
	r.Outcome = outcome
	for j := range r.Accounts {
		r.Accounts[j].Outcome = outcome
	}
}

// changedOutcome is the outcome of a change that changed a row, or not:
// OK, or OBJECT_AlREADY_EXISTS (already in the requested state).
func changedOutcome(changed bool) string {
	if changed {
		return localyun.OutcomeChanged
	}
	return localyun.OutcomeUnchanged
}

// AttachHostGroupAccountsToUserGroup grants host groups, and account names
// on them, to a user group: see changeHostGroupGrants.
func (s *Service) AttachHostGroupAccountsToUserGroup(ctx context.Context, in HostGroupGrantsInput) ([]localyun.BastionHostGroupGrantResult, error) {
	return s.changeHostGroupGrants(ctx, in, localyun.BastionGrantAdd)
}

// DetachHostGroupAccountsFromUserGroup revokes host groups, or account
// names on them, from a user group: see changeHostGroupGrants.
func (s *Service) DetachHostGroupAccountsFromUserGroup(ctx context.Context, in HostGroupGrantsInput) ([]localyun.BastionHostGroupGrantResult, error) {
	return s.changeHostGroupGrants(ctx, in, localyun.BastionGrantRevoke)
}

// AttachHostGroupAccountsToUser grants host groups, and account names on
// them, to a user.
func (s *Service) AttachHostGroupAccountsToUser(ctx context.Context, in HostGroupGrantsInput) ([]localyun.BastionHostGroupGrantResult, error) {
	return s.changeHostGroupGrants(ctx, in, localyun.BastionGrantAdd)
}

// DetachHostGroupAccountsFromUser revokes host groups, or account names on
// them, from a user.
func (s *Service) DetachHostGroupAccountsFromUser(ctx context.Context, in HostGroupGrantsInput) ([]localyun.BastionHostGroupGrantResult, error) {
	return s.changeHostGroupGrants(ctx, in, localyun.BastionGrantRevoke)
}

// changeHostGroupGrants grants or revokes the host groups and account names
// of in, all or nothing, like changeHostGrants. Per entry: a host group id
// that is not an id is INVALID_ARGUMENT and one that does not exist
// OBJECT_NOT_FOUND (and so each name); a host group without names is
// granted or revoked itself (revoking it revokes every name on it); with
// names, the host group is OK and stays (or becomes) granted, and each name
// is granted or revoked. Names need no account of that name.
func (s *Service) changeHostGroupGrants(ctx context.Context, in HostGroupGrantsInput, op localyun.BastionGrantOp) ([]localyun.BastionHostGroupGrantResult, error) {
	if err := s.instance(ctx, in.InstanceRef); err != nil {
		return nil, err
	}
	groupIDs := make([]string, len(in.HostGroups))
	for i, g := range in.HostGroups {
		groupIDs[i] = g.HostGroupID
	}
	defer s.afterRevoke(in.InstanceID, op)
	return runGrantBatch(ctx, granteeWhat(in.Grantee.Kind),
		func() (localyun.BastionHostGroupGrantTargets, bool, error) {
			t, err := s.store.FindBastionHostGroupGrantTargets(ctx, in.InstanceID, in.Grantee, groupIDs)
			return t, t.GranteeExists, err
		},
		func(t localyun.BastionHostGroupGrantTargets) grantPlan[localyun.BastionHostGroupGrantResult, localyun.BastionHostGroupGrantChange] {
			return planHostGroupGrants(in.HostGroups, t, op)
		},
		func(t localyun.BastionHostGroupGrantTargets, changes []localyun.BastionHostGroupGrantChange) ([]bool, error) {
			return s.store.ApplyBastionHostGroupGrants(ctx, in.InstanceID, in.Grantee, t.Version, changes)
		})
}

// planHostGroupGrants decides a batch of host group grants on t, as
// changeHostGroupGrants describes.
func planHostGroupGrants(items []localyun.BastionHostGroupGrant, t localyun.BastionHostGroupGrantTargets,
	op localyun.BastionGrantOp) grantPlan[localyun.BastionHostGroupGrantResult, localyun.BastionHostGroupGrantChange] {
	var p grantPlan[localyun.BastionHostGroupGrantResult, localyun.BastionHostGroupGrantChange]
	p.results = make([]localyun.BastionHostGroupGrantResult, len(items))
	for i, item := range items {
		r := &p.results[i]
		r.HostGroupID = item.HostGroupID
		r.AccountNames = make([]localyun.ItemResult, len(item.AccountNames))
		for j, name := range item.AccountNames {
			r.AccountNames[j].ID = name
		}
		_, wellFormed := localyun.ParseBastionID(item.HostGroupID)
		switch {
		case !wellFormed:
			setAllNames(r, localyun.OutcomeInvalid)
		case !t.HostGroups[item.HostGroupID]:
			setAllNames(r, localyun.OutcomeMissing)
		case len(item.AccountNames) == 0:
			p.add(localyun.BastionHostGroupGrantChange{Op: op, HostGroupID: item.HostGroupID}, &r.Outcome)
		default:
			r.Outcome = localyun.OutcomeChanged
			if op == localyun.BastionGrantAdd {
				p.add(localyun.BastionHostGroupGrantChange{Op: op, HostGroupID: item.HostGroupID}, nil)
			}
			for j, name := range item.AccountNames {
				p.add(localyun.BastionHostGroupGrantChange{Op: op, HostGroupID: item.HostGroupID, AccountName: name}, &r.AccountNames[j].Outcome)
			}
		}
	}
	return p
}

func setAllNames(r *localyun.BastionHostGroupGrantResult, outcome string) {
	r.Outcome = outcome
	for j := range r.AccountNames {
		r.AccountNames[j].Outcome = outcome
	}
}

// ListHostsForUserGroup lists the hosts a user group holds (or, with
// Filter.Authorized false, does not hold): see listHostsFor.
func (s *Service) ListHostsForUserGroup(ctx context.Context, in HostsForInput) ([]localyun.BastionHost, int, error) {
	return s.listHostsFor(ctx, in)
}

// ListHostsForUser lists the hosts a user holds directly (or does not).
func (s *Service) ListHostsForUser(ctx context.Context, in HostsForInput) ([]localyun.BastionHost, int, error) {
	return s.listHostsFor(ctx, in)
}

// listHostsFor lists a page of the grantee's hosts with the fields a grant
// listing shows, and the total. Returns OBJECT_NOT_FOUND for an unknown
// grantee.
func (s *Service) listHostsFor(ctx context.Context, in HostsForInput) ([]localyun.BastionHost, int, error) {
	if err := s.instance(ctx, in.InstanceRef); err != nil {
		return nil, 0, err
	}
	f := in.Filter
	f.InstanceID, f.Grantee, f.Brief = in.InstanceID, &in.Grantee, true
	hosts, total, err := s.store.FindBastionHosts(ctx, f)
	if err != nil {
		return nil, 0, objectError(err, errObjectNotFound(granteeWhat(in.Grantee.Kind)), nil)
	}
	return hosts, total, nil
}

// ListHostAccountsForUserGroup lists the accounts of a host with whether a
// user group holds each: see listHostAccountsFor.
func (s *Service) ListHostAccountsForUserGroup(ctx context.Context, in HostAccountsForInput) ([]localyun.BastionHostAccountGrant, int, error) {
	return s.listHostAccountsFor(ctx, in)
}

// ListHostAccountsForUser lists the accounts of a host with whether a user
// holds each directly.
func (s *Service) ListHostAccountsForUser(ctx context.Context, in HostAccountsForInput) ([]localyun.BastionHostAccountGrant, int, error) {
	return s.listHostAccountsFor(ctx, in)
}

// listHostAccountsFor returns a page of the accounts of in.HostID (named
// in.HostAccountName, when set) and the total. Returns OBJECT_NOT_FOUND
// when the grantee or the host does not exist.
func (s *Service) listHostAccountsFor(ctx context.Context, in HostAccountsForInput) ([]localyun.BastionHostAccountGrant, int, error) {
	if err := s.instance(ctx, in.InstanceRef); err != nil {
		return nil, 0, err
	}
	f := localyun.BastionHostAccountFilter{InstanceID: in.InstanceID, HostIDs: []string{in.HostID}, Name: in.HostAccountName,
		Offset: in.Offset, Limit: in.Limit}
	accts, total, err := s.store.FindBastionHostAccountGrants(ctx, in.Grantee, f)
	return accts, total, objectError(err, errObjectNotFound(granteeWhat(in.Grantee.Kind)+" or host"), nil)
}

// ListHostGroupsForUserGroup lists the host groups a user group holds (or
// does not hold): see listHostGroupsFor.
func (s *Service) ListHostGroupsForUserGroup(ctx context.Context, in HostGroupsForInput) ([]localyun.BastionGroup, int, error) {
	return s.listHostGroupsFor(ctx, in)
}

// ListHostGroupsForUser lists the host groups a user holds (or does not).
func (s *Service) ListHostGroupsForUser(ctx context.Context, in HostGroupsForInput) ([]localyun.BastionGroup, int, error) {
	return s.listHostGroupsFor(ctx, in)
}

// listHostGroupsFor returns a page of the grantee's host groups and the
// total. Returns OBJECT_NOT_FOUND for an unknown grantee.
func (s *Service) listHostGroupsFor(ctx context.Context, in HostGroupsForInput) ([]localyun.BastionGroup, int, error) {
	if err := s.instance(ctx, in.InstanceRef); err != nil {
		return nil, 0, err
	}
	f := localyun.BastionGroupFilter{Kind: localyun.BastionGroupHost, InstanceID: in.InstanceID, Name: in.HostGroupName, Grantee: &in.Grantee,
		Authorized: in.Authorized, Offset: in.Offset, Limit: in.Limit}
	groups, total, err := s.store.FindBastionGroups(ctx, f)
	return groups, total, objectError(err, errObjectNotFound(granteeWhat(in.Grantee.Kind)), nil)
}

// ListHostGroupAccountNamesForUserGroup lists the account names a user
// group holds on a host group: see listHostGroupAccountNamesFor.
func (s *Service) ListHostGroupAccountNamesForUserGroup(ctx context.Context, in HostGroupAccountNamesForInput) ([]string, error) {
	return s.listHostGroupAccountNamesFor(ctx, in)
}

// ListHostGroupAccountNamesForUser lists the account names a user holds on
// a host group.
func (s *Service) ListHostGroupAccountNamesForUser(ctx context.Context, in HostGroupAccountNamesForInput) ([]string, error) {
	return s.listHostGroupAccountNamesFor(ctx, in)
}

// listHostGroupAccountNamesFor returns the names in byte order. Returns
// OBJECT_NOT_FOUND when the grantee or the host group does not exist.
func (s *Service) listHostGroupAccountNamesFor(ctx context.Context, in HostGroupAccountNamesForInput) ([]string, error) {
	if err := s.instance(ctx, in.InstanceRef); err != nil {
		return nil, err
	}
	names, err := s.store.FindBastionHostGroupAccountNames(ctx, in.InstanceID, in.Grantee, in.HostGroupID)
	return names, objectError(err, errObjectNotFound(granteeWhat(in.Grantee.Kind)+" or host group"), nil)
}
