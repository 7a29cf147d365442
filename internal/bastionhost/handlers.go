package bastionhost

import (
	"context"
	"errors"
	"strings"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/auth"
	"github.com/localyun/localyun/internal/protocol"
)

// Register adds the Bastionhost actions to m: one route row per action, in
// the file of its family.
func Register(m *protocol.Mux, s *Service) {
	registerInstances(m, s)
	registerHosts(m, s)
	registerHostAccounts(m, s)
	registerUsers(m, s)
	registerGroups(m, s)

	h := handlers{s}
	for action, fn := range map[string]protocol.Handler{
		"AttachHostAccountsToUserGroup":   h.changeHostGrants(localyun.GranteeUserGroup, true),
		"DetachHostAccountsFromUserGroup": h.changeHostGrants(localyun.GranteeUserGroup, false),
		"ListHostsForUserGroup":           h.listHostsFor(localyun.GranteeUserGroup),
		"ListHostAccountsForUserGroup":    h.listHostAccountsFor(localyun.GranteeUserGroup),
		"AttachHostAccountsToUser":        h.changeHostGrants(localyun.GranteeUser, true),
		"DetachHostAccountsFromUser":      h.changeHostGrants(localyun.GranteeUser, false),
		"ListHostsForUser":                h.listHostsFor(localyun.GranteeUser),
		"ListHostAccountsForUser":         h.listHostAccountsFor(localyun.GranteeUser),

		"AttachHostGroupAccountsToUserGroup":    h.changeHostGroupGrants(localyun.GranteeUserGroup, true),
		"DetachHostGroupAccountsFromUserGroup":  h.changeHostGroupGrants(localyun.GranteeUserGroup, false),
		"ListHostGroupsForUserGroup":            h.listHostGroupsFor(localyun.GranteeUserGroup),
		"ListHostGroupAccountNamesForUserGroup": h.listHostGroupAccountNamesFor(localyun.GranteeUserGroup),
		"AttachHostGroupAccountsToUser":         h.changeHostGroupGrants(localyun.GranteeUser, true),
		"DetachHostGroupAccountsFromUser":       h.changeHostGroupGrants(localyun.GranteeUser, false),
		"ListHostGroupsForUser":                 h.listHostGroupsFor(localyun.GranteeUser),
		"ListHostGroupAccountNamesForUser":      h.listHostGroupAccountNamesFor(localyun.GranteeUser),
	} {
		auth.Legacy(m, Product, action, fn)
	}
}

// handlers serves the grant actions, which still read the wire request
// themselves (auth.Legacy).
type handlers struct{ s *Service }

// instanceOf checks InstanceId (and RegionId) of an object action.
func (h handlers) instanceOf(ctx context.Context, r *protocol.Request) (string, error) {
	id, err := required(r, "InstanceId")
	if err != nil {
		return "", err
	}
	if _, err := h.s.Instance(ctx, id, r.Get("RegionId")); err != nil {
		return "", err
	}
	return id, nil
}

// parseHosts parses the Hosts parameter: a JSON array of 1 to 10
// {"HostId", "HostAccountIds"?} with distinct hosts and up to 10 distinct
// account ids each.
func parseHosts(s string) ([]localyun.BastionHostGrant, error) {
	var raw []struct {
		HostID         *flexID   `json:"HostId"`
		HostAccountIDs *[]flexID `json:"HostAccountIds"`
	}
	if err := decodeStrict(s, &raw); err != nil {
		return nil, errInvalid("Hosts", "must be a JSON array of {\"HostId\",\"HostAccountIds\"} objects")
	}
	if len(raw) == 0 || len(raw) > maxGrantItems {
		return nil, errInvalid("Hosts", "must name 1 to 10 hosts")
	}
	seen := map[flexID]bool{}
	out := make([]localyun.BastionHostGrant, len(raw))
	for i, item := range raw {
		if item.HostID == nil || *item.HostID == "" || len(*item.HostID) > 64 {
			return nil, errInvalid("Hosts", "every entry needs a HostId")
		}
		if seen[*item.HostID] {
			return nil, errInvalid("Hosts", "duplicate HostId "+string(*item.HostID))
		}
		seen[*item.HostID] = true
		out[i].HostID = string(*item.HostID)
		if item.HostAccountIDs != nil && len(*item.HostAccountIDs) > 0 {
			ids, err := uniqueIDs("Hosts", *item.HostAccountIDs, maxGrantSub)
			if err != nil {
				return nil, errInvalid("Hosts", "HostAccountIds of host "+out[i].HostID+" must be 1 to 10 distinct ids")
			}
			out[i].AccountIDs = ids
		}
	}
	return out, nil
}

// parseHostGroups parses the HostGroups parameter: a JSON array of 1 to 10
// {"HostGroupId", "HostAccountNames"?} with up to 10 distinct names each.
func parseHostGroups(s string) ([]localyun.BastionHostGroupGrant, error) {
	var raw []struct {
		HostGroupID      *flexID   `json:"HostGroupId"`
		HostAccountNames *[]string `json:"HostAccountNames"`
	}
	if err := decodeStrict(s, &raw); err != nil {
		return nil, errInvalid("HostGroups", "must be a JSON array of {\"HostGroupId\",\"HostAccountNames\"} objects")
	}
	if len(raw) == 0 || len(raw) > maxGrantItems {
		return nil, errInvalid("HostGroups", "must name 1 to 10 host groups")
	}
	seen := map[flexID]bool{}
	out := make([]localyun.BastionHostGroupGrant, len(raw))
	for i, item := range raw {
		if item.HostGroupID == nil || *item.HostGroupID == "" || len(*item.HostGroupID) > 64 {
			return nil, errInvalid("HostGroups", "every entry needs a HostGroupId")
		}
		if seen[*item.HostGroupID] {
			return nil, errInvalid("HostGroups", "duplicate HostGroupId "+string(*item.HostGroupID))
		}
		seen[*item.HostGroupID] = true
		out[i].HostGroupID = string(*item.HostGroupID)
		if item.HostAccountNames == nil {
			continue
		}
		names := *item.HostAccountNames
		if len(names) > maxGrantSub {
			return nil, errInvalid("HostGroups", "at most 10 HostAccountNames per host group")
		}
		dup := map[string]bool{}
		for _, n := range names {
			if n == "" || len(n) > 128 || dup[n] {
				return nil, errInvalid("HostGroups", "HostAccountNames must be distinct names of 1 to 128 characters")
			}
			dup[n] = true
		}
		if len(names) > 0 {
			out[i].AccountNames = names
		}
	}
	return out, nil
}

// granteeParam is the id parameter of a grantee kind.
func granteeParam(kind string) string {
	if kind == localyun.GranteeUser {
		return "UserId"
	}
	return "UserGroupId"
}

// granteeOf reads the grantee id of kind and checks that InstanceId and
// the more parameters are present.
func granteeOf(r *protocol.Request, kind string, more ...string) (localyun.BastionGrantee, error) {
	g := localyun.BastionGrantee{Kind: kind}
	if _, err := required(r, "InstanceId"); err != nil {
		return g, err
	}
	var err error
	if g.ID, err = required(r, granteeParam(kind)); err != nil {
		return g, err
	}
	for _, name := range more {
		if _, err := required(r, name); err != nil {
			return g, err
		}
	}
	return g, nil
}

func (h handlers) changeHostGrants(kind string, attach bool) protocol.Handler {
	return func(ctx context.Context, r *protocol.Request) (any, error) {
		g, err := granteeOf(r, kind, "Hosts")
		if err != nil {
			return nil, err
		}
		req, err := parseHosts(r.Get("Hosts"))
		if err != nil {
			return nil, err
		}
		inst, err := h.instanceOf(ctx, r)
		if err != nil {
			return nil, err
		}
		change := h.s.store.AttachBastionHostAccounts
		if !attach {
			change = h.s.store.DetachBastionHostAccounts
		}
		res, err := change(ctx, inst, g, req)
		if err != nil {
			return nil, objectError(err, errObjectNotFound(granteeWhat(kind)), nil)
		}
		out := hostGrantsResponse{Results: []hostGrantResult{}}
		for _, x := range res {
			item := hostGrantResult{HostID: x.HostID, HostAccounts: []accountResult{}}
			item.Code, item.Message = resultCode(x.Outcome)
			if kind == localyun.GranteeUser {
				item.UserID = g.ID
			} else {
				item.UserGroupID = g.ID
			}
			for _, a := range x.Accounts {
				code, msg := resultCode(a.Outcome)
				item.HostAccounts = append(item.HostAccounts, accountResult{HostAccountID: a.ID, Code: code, Message: msg})
			}
			out.Results = append(out.Results, item)
		}
		return out, nil
	}
}

// modeParam parses Mode: Authorized (default) or Unauthorized.
func modeParam(r *protocol.Request) (bool, error) {
	mode, err := enumParam(r, "Mode", "Authorized", "Unauthorized")
	return mode != "Unauthorized", err
}

func (h handlers) listHostsFor(kind string) protocol.Handler {
	return func(ctx context.Context, r *protocol.Request) (any, error) {
		g, err := granteeOf(r, kind)
		if err != nil {
			return nil, err
		}
		f, err := hostFilter(r)
		if err != nil {
			return nil, err
		}
		if f.Authorized, err = modeParam(r); err != nil {
			return nil, err
		}
		f.Grantee, f.Brief = &g, true
		if f.InstanceID, err = h.instanceOf(ctx, r); err != nil {
			return nil, err
		}
		hosts, total, err := h.s.store.FindBastionHosts(ctx, f)
		if err != nil {
			return nil, objectError(err, errObjectNotFound(granteeWhat(kind)), nil)
		}
		out := listGrantHostsResponse{TotalCount: int32(total), Hosts: []grantHostItem{}}
		for _, x := range hosts {
			out.Hosts = append(out.Hosts, grantHostItem{HostID: x.ID, HostName: x.Name, Comment: x.Comment, OSType: x.OSType,
				ActiveAddressType: x.ActiveAddressType, HostPublicAddress: x.PublicAddress, HostPrivateAddress: x.PrivateAddress})
		}
		return out, nil
	}
}

func (h handlers) listHostAccountsFor(kind string) protocol.Handler {
	return func(ctx context.Context, r *protocol.Request) (any, error) {
		g, err := granteeOf(r, kind, "HostId")
		if err != nil {
			return nil, err
		}
		f := localyun.BastionHostAccountFilter{HostIDs: []string{strings.TrimSpace(r.Get("HostId"))}, Name: r.Get("HostAccountName")}
		if f.Offset, f.Limit, err = paging(r, 20); err != nil {
			return nil, err
		}
		if f.InstanceID, err = h.instanceOf(ctx, r); err != nil {
			return nil, err
		}
		accts, total, err := h.s.store.FindBastionHostAccountGrants(ctx, g, f)
		if err != nil {
			if errors.Is(err, localyun.ErrNotFound) {
				return nil, errObjectNotFound(granteeWhat(kind) + " or host")
			}
			return nil, err
		}
		out := listGrantAccountsResponse{TotalCount: int32(total), HostAccounts: []grantAccountItem{}}
		for _, a := range accts {
			out.HostAccounts = append(out.HostAccounts, grantAccountItem{HostAccountID: a.ID, HostAccountName: a.Name,
				HostID: a.HostID, ProtocolName: a.ProtocolName, IsAuthorized: a.Authorized})
		}
		return out, nil
	}
}

func (h handlers) changeHostGroupGrants(kind string, attach bool) protocol.Handler {
	return func(ctx context.Context, r *protocol.Request) (any, error) {
		g, err := granteeOf(r, kind, "HostGroups")
		if err != nil {
			return nil, err
		}
		req, err := parseHostGroups(r.Get("HostGroups"))
		if err != nil {
			return nil, err
		}
		inst, err := h.instanceOf(ctx, r)
		if err != nil {
			return nil, err
		}
		change := h.s.store.AttachBastionHostGroupAccounts
		if !attach {
			change = h.s.store.DetachBastionHostGroupAccounts
		}
		res, err := change(ctx, inst, g, req)
		if err != nil {
			return nil, objectError(err, errObjectNotFound(granteeWhat(kind)), nil)
		}
		out := hostGroupGrantsResponse{Results: []hostGroupGrantResult{}}
		for _, x := range res {
			item := hostGroupGrantResult{HostGroupID: x.HostGroupID, HostAccountNames: []accountNameResult{}}
			item.Code, item.Message = resultCode(x.Outcome)
			if kind == localyun.GranteeUser {
				item.UserID = g.ID
			} else {
				item.UserGroupID = g.ID
			}
			for _, a := range x.AccountNames {
				code, msg := resultCode(a.Outcome)
				item.HostAccountNames = append(item.HostAccountNames, accountNameResult{HostAccountName: a.ID, Code: code, Message: msg})
			}
			out.Results = append(out.Results, item)
		}
		return out, nil
	}
}

func (h handlers) listHostGroupsFor(kind string) protocol.Handler {
	return func(ctx context.Context, r *protocol.Request) (any, error) {
		g, err := granteeOf(r, kind)
		if err != nil {
			return nil, err
		}
		f := localyun.BastionGroupFilter{Kind: localyun.BastionGroupHost, Name: r.Get("HostGroupName"), Grantee: &g}
		if f.Authorized, err = modeParam(r); err != nil {
			return nil, err
		}
		if f.Offset, f.Limit, err = paging(r, 20); err != nil {
			return nil, err
		}
		if f.InstanceID, err = h.instanceOf(ctx, r); err != nil {
			return nil, err
		}
		gs, total, err := h.s.store.FindBastionGroups(ctx, f)
		if err != nil {
			return nil, objectError(err, errObjectNotFound(granteeWhat(kind)), nil)
		}
		out := listGrantHostGroupsResponse{TotalCount: int32(total), HostGroups: []hostGroupDetail{}}
		for _, x := range gs {
			out.HostGroups = append(out.HostGroups, hostGroupDetail{HostGroupID: x.ID, HostGroupName: x.Name, Comment: x.Comment})
		}
		return out, nil
	}
}

func (h handlers) listHostGroupAccountNamesFor(kind string) protocol.Handler {
	return func(ctx context.Context, r *protocol.Request) (any, error) {
		g, err := granteeOf(r, kind, "HostGroupId")
		if err != nil {
			return nil, err
		}
		inst, err := h.instanceOf(ctx, r)
		if err != nil {
			return nil, err
		}
		names, err := h.s.store.FindBastionHostGroupAccountNames(ctx, inst, g, strings.TrimSpace(r.Get("HostGroupId")))
		if err != nil {
			if errors.Is(err, localyun.ErrNotFound) {
				return nil, errObjectNotFound(granteeWhat(kind) + " or host group")
			}
			return nil, err
		}
		return accountNamesResponse{HostAccountNames: names}, nil
	}
}
