package bastionhost

import (
	"context"
	"encoding/xml"
	"strings"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/protocol"
)

// The 16 grant actions: for hosts and their accounts, and for host groups
// and account names on them, an Attach, a Detach and two listings, each to
// a user group and to a user. The two rows of a pair share their parser and
// their response; each serves through the Service method of its own name
// (grant_service.go). Every action is decided by RAM on its instance
// (handleInstance).

// registerGrants adds the grant actions to m.
func registerGrants(m *protocol.Mux, s *Service) {
	ug, u := localyun.GranteeUserGroup, localyun.GranteeUser
	handleInstance(m, s, "AttachHostAccountsToUserGroup", parseHostGrants(ug), serveHostGrants(s.AttachHostAccountsToUserGroup))
	handleInstance(m, s, "DetachHostAccountsFromUserGroup", parseHostGrants(ug), serveHostGrants(s.DetachHostAccountsFromUserGroup))
	handleInstance(m, s, "ListHostsForUserGroup", parseHostsFor(ug), serveHostsFor(s.ListHostsForUserGroup))
	handleInstance(m, s, "ListHostAccountsForUserGroup", parseHostAccountsFor(ug), serveHostAccountsFor(s.ListHostAccountsForUserGroup))
	handleInstance(m, s, "AttachHostAccountsToUser", parseHostGrants(u), serveHostGrants(s.AttachHostAccountsToUser))
	handleInstance(m, s, "DetachHostAccountsFromUser", parseHostGrants(u), serveHostGrants(s.DetachHostAccountsFromUser))
	handleInstance(m, s, "ListHostsForUser", parseHostsFor(u), serveHostsFor(s.ListHostsForUser))
	handleInstance(m, s, "ListHostAccountsForUser", parseHostAccountsFor(u), serveHostAccountsFor(s.ListHostAccountsForUser))

	handleInstance(m, s, "AttachHostGroupAccountsToUserGroup", parseHostGroupGrants(ug), serveHostGroupGrants(s.AttachHostGroupAccountsToUserGroup))
	handleInstance(m, s, "DetachHostGroupAccountsFromUserGroup", parseHostGroupGrants(ug), serveHostGroupGrants(s.DetachHostGroupAccountsFromUserGroup))
	handleInstance(m, s, "ListHostGroupsForUserGroup", parseHostGroupsFor(ug), serveHostGroupsFor(s.ListHostGroupsForUserGroup))
	handleInstance(m, s, "ListHostGroupAccountNamesForUserGroup", parseAccountNamesFor(ug), serveAccountNamesFor(s.ListHostGroupAccountNamesForUserGroup))
	handleInstance(m, s, "AttachHostGroupAccountsToUser", parseHostGroupGrants(u), serveHostGroupGrants(s.AttachHostGroupAccountsToUser))
	handleInstance(m, s, "DetachHostGroupAccountsFromUser", parseHostGroupGrants(u), serveHostGroupGrants(s.DetachHostGroupAccountsFromUser))
	handleInstance(m, s, "ListHostGroupsForUser", parseHostGroupsFor(u), serveHostGroupsFor(s.ListHostGroupsForUser))
	handleInstance(m, s, "ListHostGroupAccountNamesForUser", parseAccountNamesFor(u), serveAccountNamesFor(s.ListHostGroupAccountNamesForUser))
}

// The typed inputs of the grant actions, parsed once from the wire.

// GranteeRef names the instance and the user group or user of a grant
// action.
type GranteeRef struct {
	InstanceRef
	Grantee localyun.BastionGrantee
}

// HostGrantsInput is the input of Attach/DetachHostAccountsTo/FromUserGroup
// and Attach/DetachHostAccountsTo/FromUser.
type HostGrantsInput struct {
	GranteeRef
	Hosts []localyun.BastionHostGrant // 1 to 10, distinct
}

// HostGroupGrantsInput is the input of the four
// Attach/DetachHostGroupAccounts actions.
type HostGroupGrantsInput struct {
	GranteeRef
	HostGroups []localyun.BastionHostGroupGrant // 1 to 10, distinct
}

// HostsForInput is the input of ListHostsForUserGroup and ListHostsForUser:
// Filter holds the host filters, paging and Authorized (the Mode).
type HostsForInput struct {
	GranteeRef
	Filter localyun.BastionHostFilter
}

// HostAccountsForInput is the input of ListHostAccountsForUserGroup and
// ListHostAccountsForUser.
type HostAccountsForInput struct {
	GranteeRef
	HostID          string
	HostAccountName string
	Offset, Limit   int
}

// HostGroupsForInput is the input of ListHostGroupsForUserGroup and
// ListHostGroupsForUser.
type HostGroupsForInput struct {
	GranteeRef
	HostGroupName string
	Authorized    bool // Mode Authorized (default) or Unauthorized
	Offset, Limit int
}

// HostGroupAccountNamesForInput is the input of
// ListHostGroupAccountNamesForUserGroup and ListHostGroupAccountNamesForUser.
type HostGroupAccountNamesForInput struct {
	GranteeRef
	HostGroupID string
}

// granteeParam is the id parameter of a grantee kind.
func granteeParam(kind string) string {
	if kind == localyun.GranteeUser {
		return "UserId"
	}
	return "UserGroupId"
}

// parseGranteeRef reads InstanceId (and RegionId), the grantee id of kind,
// and checks that the more parameters are present, in that order.
func parseGranteeRef(r *protocol.Request, kind string, more ...string) (GranteeRef, error) {
	ref, err := parseInstanceRef(r)
	if err != nil {
		return GranteeRef{}, err
	}
	g := GranteeRef{InstanceRef: ref, Grantee: localyun.BastionGrantee{Kind: kind}}
	if g.Grantee.ID, err = required(r, granteeParam(kind)); err != nil {
		return g, err
	}
	for _, name := range more {
		if _, err := required(r, name); err != nil {
			return g, err
		}
	}
	return g, nil
}

// modeParam parses Mode: Authorized (default) or Unauthorized.
func modeParam(r *protocol.Request) (bool, error) {
	mode, err := enumParam(r, "Mode", "Authorized", "Unauthorized")
	return mode != "Unauthorized", err
}

// Attach/DetachHostAccountsTo/FromUserGroup and ...User.

// parseHostGrants parses InstanceId, the grantee id of kind and Hosts.
func parseHostGrants(kind string) func(*protocol.Request) (HostGrantsInput, error) {
	return func(r *protocol.Request) (HostGrantsInput, error) {
		var in HostGrantsInput
		var err error
		if in.GranteeRef, err = parseGranteeRef(r, kind, "Hosts"); err != nil {
			return in, err
		}
		in.Hosts, err = parseHosts(r.Get("Hosts"))
		return in, err
	}
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

type accountResult struct {
	HostAccountID string `json:"HostAccountId" xml:"HostAccountId"`
	Code          string `json:"Code" xml:"Code"`
	Message       string `json:"Message" xml:"Message"`
}

// hostGrantResult is one Results item of Attach/DetachHostAccountsTo*:
// UserGroupId for the user-group actions, UserId for the per-user ones.
type hostGrantResult struct {
	HostID       string          `json:"HostId" xml:"HostId"`
	UserGroupID  string          `json:"UserGroupId,omitempty" xml:"UserGroupId,omitempty"`
	UserID       string          `json:"UserId,omitempty" xml:"UserId,omitempty"`
	Code         string          `json:"Code" xml:"Code"`
	Message      string          `json:"Message" xml:"Message"`
	HostAccounts []accountResult `json:"HostAccounts" xml:"HostAccounts"`
}

type hostGrantsResponse struct {
	Results []hostGrantResult `json:"Results" xml:"Results"`
}

// serveHostGrants serves a host grant action with its Service method: one
// Results item per Hosts entry, in order.
func serveHostGrants(serve func(context.Context, HostGrantsInput) ([]localyun.BastionHostGrantResult, error)) func(context.Context, HostGrantsInput) (any, error) {
	return func(ctx context.Context, in HostGrantsInput) (any, error) {
		res, err := serve(ctx, in)
		if err != nil {
			return nil, err
		}
		out := hostGrantsResponse{Results: []hostGrantResult{}}
		for _, x := range res {
			item := hostGrantResult{HostID: x.HostID, HostAccounts: []accountResult{}}
			item.Code, item.Message = resultCode(x.Outcome)
			item.UserGroupID, item.UserID = granteeIDs(in.Grantee)
			for _, a := range x.Accounts {
				code, msg := resultCode(a.Outcome)
				item.HostAccounts = append(item.HostAccounts, accountResult{HostAccountID: a.ID, Code: code, Message: msg})
			}
			out.Results = append(out.Results, item)
		}
		return out, nil
	}
}

// granteeIDs returns the grantee's id as UserGroupId or as UserId.
func granteeIDs(g localyun.BastionGrantee) (userGroupID, userID string) {
	if g.Kind == localyun.GranteeUser {
		return "", g.ID
	}
	return g.ID, ""
}

// ListHostsForUserGroup and ListHostsForUser.

// parseHostsFor parses the grantee and the host filters, paging and Mode.
func parseHostsFor(kind string) func(*protocol.Request) (HostsForInput, error) {
	return func(r *protocol.Request) (HostsForInput, error) {
		var in HostsForInput
		var err error
		if in.GranteeRef, err = parseGranteeRef(r, kind); err != nil {
			return in, err
		}
		if in.Filter, err = hostFilter(r); err != nil {
			return in, err
		}
		in.Filter.Authorized, err = modeParam(r)
		return in, err
	}
}

// grantHostItem is a host of ListHostsForUserGroup / ListHostsForUser.
type grantHostItem struct {
	HostID             string `json:"HostId" xml:"HostId"`
	HostName           string `json:"HostName" xml:"HostName"`
	Comment            string `json:"Comment" xml:"Comment"`
	OSType             string `json:"OSType" xml:"OSType"`
	ActiveAddressType  string `json:"ActiveAddressType" xml:"ActiveAddressType"`
	HostPublicAddress  string `json:"HostPublicAddress" xml:"HostPublicAddress"`
	HostPrivateAddress string `json:"HostPrivateAddress" xml:"HostPrivateAddress"`
}

// listGrantHostsResponse is the answer of a ListHostsFor* action: the
// page of hosts as the store gave them, rendered as grantHostsWire without
// a copy in JSON (AppendJSONFields) and through one in XML (MarshalXML).
type listGrantHostsResponse struct {
	total int
	hosts []localyun.BastionHost
}

// grantHostsWire is the wire form of listGrantHostsResponse.
type grantHostsWire struct {
	TotalCount int32           `json:"TotalCount" xml:"TotalCount"`
	Hosts      []grantHostItem `json:"Hosts" xml:"Hosts"`
}

func (r listGrantHostsResponse) wire() grantHostsWire {
	out := grantHostsWire{TotalCount: int32(r.total), Hosts: make([]grantHostItem, 0, len(r.hosts))}
	for _, x := range r.hosts {
		out.Hosts = append(out.Hosts, grantHostItem{HostID: x.ID, HostName: x.Name, Comment: x.Comment, OSType: x.OSType,
			ActiveAddressType: x.ActiveAddressType, HostPublicAddress: x.PublicAddress, HostPrivateAddress: x.PrivateAddress})
	}
	return out
}

// MarshalXML renders the wire form.
func (r listGrantHostsResponse) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	return e.EncodeElement(r.wire(), start)
}

// AppendJSONFields renders the wire form as encoding/json does from its
// tags (protocol.JSONFields; TestGrantHostsJSON holds the two equal).
func (r listGrantHostsResponse) AppendJSONFields(b []byte) []byte {
	b = protocol.AppendJSONInt(protocol.AppendJSONField(b, "TotalCount", true), int64(int32(r.total)))
	b = append(protocol.AppendJSONField(b, "Hosts", false), '[')
	for i, h := range r.hosts {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		b = protocol.AppendJSONString(protocol.AppendJSONField(b, "HostId", true), h.ID)
		b = protocol.AppendJSONString(protocol.AppendJSONField(b, "HostName", false), h.Name)
		b = protocol.AppendJSONString(protocol.AppendJSONField(b, "Comment", false), h.Comment)
		b = protocol.AppendJSONString(protocol.AppendJSONField(b, "OSType", false), h.OSType)
		b = protocol.AppendJSONString(protocol.AppendJSONField(b, "ActiveAddressType", false), h.ActiveAddressType)
		b = protocol.AppendJSONString(protocol.AppendJSONField(b, "HostPublicAddress", false), h.PublicAddress)
		b = protocol.AppendJSONString(protocol.AppendJSONField(b, "HostPrivateAddress", false), h.PrivateAddress)
		b = append(b, '}')
	}
	return append(b, ']')
}

// serveHostsFor serves a ListHostsFor* action with its Service method.
func serveHostsFor(serve func(context.Context, HostsForInput) ([]localyun.BastionHost, int, error)) func(context.Context, HostsForInput) (any, error) {
	return func(ctx context.Context, in HostsForInput) (any, error) {
		hosts, total, err := serve(ctx, in)
		if err != nil {
			return nil, err
		}
		return listGrantHostsResponse{total: total, hosts: hosts}, nil
	}
}

// ListHostAccountsForUserGroup and ListHostAccountsForUser.

// parseHostAccountsFor parses the grantee, HostId, HostAccountName and paging.
func parseHostAccountsFor(kind string) func(*protocol.Request) (HostAccountsForInput, error) {
	return func(r *protocol.Request) (HostAccountsForInput, error) {
		var in HostAccountsForInput
		var err error
		if in.GranteeRef, err = parseGranteeRef(r, kind, "HostId"); err != nil {
			return in, err
		}
		in.HostID, in.HostAccountName = strings.TrimSpace(r.Get("HostId")), r.Get("HostAccountName")
		in.Offset, in.Limit, err = paging(r, 20)
		return in, err
	}
}

type grantAccountItem struct {
	HostAccountID   string `json:"HostAccountId" xml:"HostAccountId"`
	HostAccountName string `json:"HostAccountName" xml:"HostAccountName"`
	HostID          string `json:"HostId" xml:"HostId"`
	ProtocolName    string `json:"ProtocolName" xml:"ProtocolName"`
	IsAuthorized    bool   `json:"IsAuthorized" xml:"IsAuthorized"`
}

type listGrantAccountsResponse struct {
	TotalCount   int32              `json:"TotalCount" xml:"TotalCount"`
	HostAccounts []grantAccountItem `json:"HostAccounts" xml:"HostAccounts"`
}

// serveHostAccountsFor serves a ListHostAccountsFor* action with its Service method.
func serveHostAccountsFor(serve func(context.Context, HostAccountsForInput) ([]localyun.BastionHostAccountGrant, int, error)) func(context.Context, HostAccountsForInput) (any, error) {
	return func(ctx context.Context, in HostAccountsForInput) (any, error) {
		accts, total, err := serve(ctx, in)
		if err != nil {
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

// Attach/DetachHostGroupAccountsTo/FromUserGroup and ...User.

// parseHostGroupGrants parses InstanceId, the grantee id of kind and HostGroups.
func parseHostGroupGrants(kind string) func(*protocol.Request) (HostGroupGrantsInput, error) {
	return func(r *protocol.Request) (HostGroupGrantsInput, error) {
		var in HostGroupGrantsInput
		var err error
		if in.GranteeRef, err = parseGranteeRef(r, kind, "HostGroups"); err != nil {
			return in, err
		}
		in.HostGroups, err = parseHostGroups(r.Get("HostGroups"))
		return in, err
	}
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
			if protocol.CheckName(n, 1, 128) != nil || dup[n] {
				return nil, errInvalid("HostGroups", "HostAccountNames must be distinct names of 1 to 128 characters, without control characters")
			}
			dup[n] = true
		}
		if len(names) > 0 {
			out[i].AccountNames = names
		}
	}
	return out, nil
}

type accountNameResult struct {
	HostAccountName string `json:"HostAccountName" xml:"HostAccountName"`
	Code            string `json:"Code" xml:"Code"`
	Message         string `json:"Message" xml:"Message"`
}

type hostGroupGrantResult struct {
	HostGroupID      string              `json:"HostGroupId" xml:"HostGroupId"`
	UserGroupID      string              `json:"UserGroupId,omitempty" xml:"UserGroupId,omitempty"`
	UserID           string              `json:"UserId,omitempty" xml:"UserId,omitempty"`
	Code             string              `json:"Code" xml:"Code"`
	Message          string              `json:"Message" xml:"Message"`
	HostAccountNames []accountNameResult `json:"HostAccountNames" xml:"HostAccountNames"`
}

type hostGroupGrantsResponse struct {
	Results []hostGroupGrantResult `json:"Results" xml:"Results"`
}

// serveHostGroupGrants serves a host group grant action with its Service
// method: one Results item per HostGroups entry, in order.
func serveHostGroupGrants(serve func(context.Context, HostGroupGrantsInput) ([]localyun.BastionHostGroupGrantResult, error)) func(context.Context, HostGroupGrantsInput) (any, error) {
	return func(ctx context.Context, in HostGroupGrantsInput) (any, error) {
		res, err := serve(ctx, in)
		if err != nil {
			return nil, err
		}
		out := hostGroupGrantsResponse{Results: []hostGroupGrantResult{}}
		for _, x := range res {
			item := hostGroupGrantResult{HostGroupID: x.HostGroupID, HostAccountNames: []accountNameResult{}}
			item.Code, item.Message = resultCode(x.Outcome)
			item.UserGroupID, item.UserID = granteeIDs(in.Grantee)
			for _, a := range x.AccountNames {
				code, msg := resultCode(a.Outcome)
				item.HostAccountNames = append(item.HostAccountNames, accountNameResult{HostAccountName: a.ID, Code: code, Message: msg})
			}
			out.Results = append(out.Results, item)
		}
		return out, nil
	}
}

// ListHostGroupsForUserGroup and ListHostGroupsForUser.

// parseHostGroupsFor parses the grantee, HostGroupName, Mode and paging.
func parseHostGroupsFor(kind string) func(*protocol.Request) (HostGroupsForInput, error) {
	return func(r *protocol.Request) (HostGroupsForInput, error) {
		var in HostGroupsForInput
		var err error
		if in.GranteeRef, err = parseGranteeRef(r, kind); err != nil {
			return in, err
		}
		in.HostGroupName = r.Get("HostGroupName")
		if in.Authorized, err = modeParam(r); err != nil {
			return in, err
		}
		in.Offset, in.Limit, err = paging(r, 20)
		return in, err
	}
}

type listGrantHostGroupsResponse struct {
	TotalCount int32             `json:"TotalCount" xml:"TotalCount"`
	HostGroups []hostGroupDetail `json:"HostGroups" xml:"HostGroups"`
}

// serveHostGroupsFor serves a ListHostGroupsFor* action with its Service method.
func serveHostGroupsFor(serve func(context.Context, HostGroupsForInput) ([]localyun.BastionGroup, int, error)) func(context.Context, HostGroupsForInput) (any, error) {
	return func(ctx context.Context, in HostGroupsForInput) (any, error) {
		groups, total, err := serve(ctx, in)
		if err != nil {
			return nil, err
		}
		out := listGrantHostGroupsResponse{TotalCount: int32(total), HostGroups: []hostGroupDetail{}}
		for _, x := range groups {
			out.HostGroups = append(out.HostGroups, hostGroupDetail{HostGroupID: x.ID, HostGroupName: x.Name, Comment: x.Comment})
		}
		return out, nil
	}
}

// ListHostGroupAccountNamesForUserGroup and ListHostGroupAccountNamesForUser.

// parseAccountNamesFor parses the grantee and HostGroupId.
func parseAccountNamesFor(kind string) func(*protocol.Request) (HostGroupAccountNamesForInput, error) {
	return func(r *protocol.Request) (HostGroupAccountNamesForInput, error) {
		var in HostGroupAccountNamesForInput
		var err error
		if in.GranteeRef, err = parseGranteeRef(r, kind, "HostGroupId"); err != nil {
			return in, err
		}
		in.HostGroupID = strings.TrimSpace(r.Get("HostGroupId"))
		return in, nil
	}
}

type accountNamesResponse struct {
	HostAccountNames []string `json:"HostAccountNames" xml:"HostAccountNames"`
}

// serveAccountNamesFor serves a ListHostGroupAccountNamesFor* action with its
// Service method.
func serveAccountNamesFor(serve func(context.Context, HostGroupAccountNamesForInput) ([]string, error)) func(context.Context, HostGroupAccountNamesForInput) (any, error) {
	return func(ctx context.Context, in HostGroupAccountNamesForInput) (any, error) {
		names, err := serve(ctx, in)
		if err != nil {
			return nil, err
		}
		return accountNamesResponse{HostAccountNames: names}, nil
	}
}
