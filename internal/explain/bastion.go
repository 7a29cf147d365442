package explain

import (
	"context"
	"strings"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/bastionhost"
	"github.com/localyun/localyun/internal/protocol"
)

// hostInput is ExplainHostAccess's: a host of a bastion instance and,
// optionally, one of its accounts (by id or name).
type hostInput struct {
	bastionhost.ObjectRef
	HostAccountID, HostAccountName string
}

func parseHost(r *protocol.Request) (hostInput, error) {
	in := hostInput{ObjectRef: bastionhost.ObjectRef{InstanceRef: bastionhost.InstanceRef{InstanceID: r.Get("InstanceId"),
		RegionID: r.Get("RegionId")}, ID: r.Get("HostId")}, HostAccountID: r.Get("HostAccountId"), HostAccountName: r.Get("HostAccountName")}
	switch {
	case in.InstanceID == "":
		return in, protocol.ErrMissing("InstanceId")
	case in.ID == "":
		return in, protocol.ErrMissing("HostId")
	}
	return in, nil
}

func (s *Service) hostARN(ctx context.Context, p localyun.Principal, in hostInput) ([]string, error) {
	return s.opts.Bastion.InstanceARN(ctx, p, in.InstanceRef)
}

// hostResponse is ExplainHostAccess's: every user who may use the host now
// (as the account asked, if one was), each account with its grant paths.
type hostResponse struct {
	InstanceID string     `json:"InstanceId" xml:"InstanceId"`
	HostID     string     `json:"HostId" xml:"HostId"`
	HostName   string     `json:"HostName" xml:"HostName"`
	Users      []userItem `json:"Users" xml:"Users"`
}

type userItem struct {
	UserID   string       `json:"UserId" xml:"UserId"`
	UserName string       `json:"UserName" xml:"UserName"`
	Accounts []accessItem `json:"HostAccounts" xml:"HostAccounts"`
}

// accessItem is one (host, host account) pair and how it is granted.
type accessItem struct {
	HostID          string     `json:"HostId" xml:"HostId"`
	HostName        string     `json:"HostName" xml:"HostName"`
	HostAccountID   string     `json:"HostAccountId" xml:"HostAccountId"`
	HostAccountName string     `json:"HostAccountName" xml:"HostAccountName"`
	Paths           []pathItem `json:"GrantPaths" xml:"GrantPaths"`
}

// pathItem is one grant path: Kind User (the account granted to the
// user), UserGroup (to one of its user groups), HostGroup (the account's
// name on a host group holding the host, granted to the user) or
// UserGroupHostGroup (the same, granted to a user group); Via is
// bastionhost's spelling of it.
type pathItem struct {
	Kind          string `json:"Kind" xml:"Kind"`
	UserGroupID   string `json:"UserGroupId,omitempty" xml:"UserGroupId,omitempty"`
	UserGroupName string `json:"UserGroupName,omitempty" xml:"UserGroupName,omitempty"`
	HostGroupID   string `json:"HostGroupId,omitempty" xml:"HostGroupId,omitempty"`
	HostGroupName string `json:"HostGroupName,omitempty" xml:"HostGroupName,omitempty"`
	Via           string `json:"Via" xml:"Via"`
}

// ExplainHostAccess returns every user who may use the host now and how
// (bastionhost.Service.WhoCanReach). An account named by name is matched
// case-sensitively. Returns the errors of WhoCanReach.
func (s *Service) ExplainHostAccess(ctx context.Context, in hostInput) (hostResponse, error) {
	host, reach, err := s.opts.Bastion.WhoCanReach(ctx, in.ObjectRef, in.HostAccountID)
	if err != nil {
		return hostResponse{}, err
	}
	out := hostResponse{InstanceID: in.InstanceID, HostID: host.ID, HostName: host.Name, Users: []userItem{}}
	names := groupNames{s: s, ref: in.InstanceRef}
	for _, r := range reach {
		u := userItem{UserID: r.User.ID, UserName: r.User.Name}
		for _, a := range r.Access {
			if in.HostAccountName == "" || a.Account.Name == in.HostAccountName {
				u.Accounts = append(u.Accounts, names.access(ctx, a))
			}
		}
		if len(u.Accounts) > 0 {
			out.Users = append(out.Users, u)
		}
	}
	return out, nil
}

func (s *Service) serveHost(ctx context.Context, in hostInput) (any, error) {
	return s.ExplainHostAccess(ctx, in)
}

// groupNames names the groups of grant paths, reading each group once.
type groupNames struct {
	s     *Service
	ref   bastionhost.InstanceRef
	users map[string]string
	hosts map[string]string
}

func (g *groupNames) access(ctx context.Context, a localyun.BastionAccess) accessItem {
	item := accessItem{HostID: a.Host.ID, HostName: a.Host.Name, HostAccountID: a.Account.ID, HostAccountName: a.Account.Name}
	for _, via := range a.Via {
		item.Paths = append(item.Paths, g.path(ctx, via))
	}
	return item
}

// path parses a BastionAccess.Via path ("user", "group:<id>",
// "hostgroup:<id>", "group:<id>/hostgroup:<id>").
func (g *groupNames) path(ctx context.Context, via string) pathItem {
	p := pathItem{Kind: "User", Via: via}
	for _, part := range strings.Split(via, "/") {
		if id, ok := strings.CutPrefix(part, localyun.BastionViaGroup); ok {
			p.UserGroupID, p.UserGroupName = id, g.name(ctx, true, id)
		}
		if id, ok := strings.CutPrefix(part, localyun.BastionViaHostGroup); ok {
			p.HostGroupID, p.HostGroupName = id, g.name(ctx, false, id)
		}
	}
	switch {
	case p.UserGroupID != "" && p.HostGroupID != "":
		p.Kind = "UserGroupHostGroup"
	case p.UserGroupID != "":
		p.Kind = "UserGroup"
	case p.HostGroupID != "":
		p.Kind = "HostGroup"
	}
	return p
}

func (g *groupNames) name(ctx context.Context, user bool, id string) string {
	m, get := &g.hosts, g.s.opts.Bastion.GetHostGroup
	if user {
		m, get = &g.users, g.s.opts.Bastion.GetUserGroup
	}
	if *m == nil {
		*m = map[string]string{}
	}
	if n, ok := (*m)[id]; ok {
		return n
	}
	grp, err := get(ctx, bastionhost.ObjectRef{InstanceRef: g.ref, ID: id})
	if err != nil {
		return "" // the grant was read a moment ago; a group deleted since has no name
	}
	(*m)[id] = grp.Name
	return grp.Name
}
