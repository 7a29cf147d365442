package bastionhost

import (
	"context"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/protocol"
)

// The group family, for both kinds of group: user groups (CreateUserGroup,
// GetUserGroup, ListUserGroups, ModifyUserGroup, DeleteUserGroup,
// AddUsersToGroup, RemoveUsersFromGroup) and host groups (the same with
// HostGroup, AddHostsToGroup, RemoveHostsFromGroup). One parser and one
// response builder serve each action of both kinds; the kinds differ only
// in their parameter and field names (groupKind). Their rules are in
// group_service.go.

// groupKind is one kind of group as the API names it.
type groupKind struct {
	kind    string // localyun.BastionGroupUser or BastionGroupHost
	param   string // the prefix of its parameters and fields: UserGroup (UserGroupId, UserGroupName) or HostGroup
	members string // the parameter of its member ids: UserIds or HostIds
	what    string // in messages: "user group" or "host group"
}

var (
	userGroups = groupKind{kind: localyun.BastionGroupUser, param: "UserGroup", members: "UserIds", what: "user group"}
	hostGroups = groupKind{kind: localyun.BastionGroupHost, param: "HostGroup", members: "HostIds", what: "host group"}
)

func registerGroups(m *protocol.Mux, s *Service) {
	handleInstance(m, s, "CreateUserGroup", userGroups.parseCreate, func(ctx context.Context, in CreateGroupInput) (any, error) {
		return userGroups.created(s.CreateUserGroup(ctx, in))
	})
	handleInstance(m, s, "CreateHostGroup", hostGroups.parseCreate, func(ctx context.Context, in CreateGroupInput) (any, error) {
		return hostGroups.created(s.CreateHostGroup(ctx, in))
	})
	handleInstance(m, s, "GetUserGroup", parseObjectRef("UserGroupId"), func(ctx context.Context, in ObjectRef) (any, error) {
		return userGroups.got(s.GetUserGroup(ctx, in))
	})
	handleInstance(m, s, "GetHostGroup", parseObjectRef("HostGroupId"), func(ctx context.Context, in ObjectRef) (any, error) {
		return hostGroups.got(s.GetHostGroup(ctx, in))
	})
	handleInstance(m, s, "ListUserGroups", userGroups.parseList, func(ctx context.Context, in ListGroupsInput) (any, error) {
		return userGroups.listed(s.ListUserGroups(ctx, in))
	})
	handleInstance(m, s, "ListHostGroups", hostGroups.parseList, func(ctx context.Context, in ListGroupsInput) (any, error) {
		return hostGroups.listed(s.ListHostGroups(ctx, in))
	})
	handleInstance(m, s, "ModifyUserGroup", userGroups.parseModify, func(ctx context.Context, in ModifyGroupInput) (any, error) {
		return nil, s.ModifyUserGroup(ctx, in)
	})
	handleInstance(m, s, "ModifyHostGroup", hostGroups.parseModify, func(ctx context.Context, in ModifyGroupInput) (any, error) {
		return nil, s.ModifyHostGroup(ctx, in)
	})
	handleInstance(m, s, "DeleteUserGroup", parseObjectRef("UserGroupId"), func(ctx context.Context, in ObjectRef) (any, error) {
		return nil, s.DeleteUserGroup(ctx, in)
	})
	handleInstance(m, s, "DeleteHostGroup", parseObjectRef("HostGroupId"), func(ctx context.Context, in ObjectRef) (any, error) {
		return nil, s.DeleteHostGroup(ctx, in)
	})
	handleInstance(m, s, "AddUsersToGroup", userGroups.parseMembers, func(ctx context.Context, in GroupMembersInput) (any, error) {
		res, err := s.AddUsersToGroup(ctx, in)
		return userGroups.changed(in.ID, res, err)
	})
	handleInstance(m, s, "AddHostsToGroup", hostGroups.parseMembers, func(ctx context.Context, in GroupMembersInput) (any, error) {
		res, err := s.AddHostsToGroup(ctx, in)
		return hostGroups.changed(in.ID, res, err)
	})
	handleInstance(m, s, "RemoveUsersFromGroup", userGroups.parseMembers, func(ctx context.Context, in GroupMembersInput) (any, error) {
		res, err := s.RemoveUsersFromGroup(ctx, in)
		return userGroups.changed(in.ID, res, err)
	})
	handleInstance(m, s, "RemoveHostsFromGroup", hostGroups.parseMembers, func(ctx context.Context, in GroupMembersInput) (any, error) {
		res, err := s.RemoveHostsFromGroup(ctx, in)
		return hostGroups.changed(in.ID, res, err)
	})
}

// CreateGroupInput is the parsed input of CreateUserGroup and
// CreateHostGroup: the name and comment ValidateGroup accepted.
type CreateGroupInput struct {
	InstanceRef
	Name, Comment string
}

func (k groupKind) parseCreate(r *protocol.Request) (CreateGroupInput, error) {
	ref, err := parseInstanceRef(r)
	if err != nil {
		return CreateGroupInput{}, err
	}
	in := CreateGroupInput{InstanceRef: ref, Name: r.Get(k.param + "Name"), Comment: r.Get("Comment")}
	if err := ValidateGroup(k.param, in.Name, in.Comment); err != nil {
		return CreateGroupInput{}, err
	}
	return in, nil
}

// ListGroupsInput is the parsed input of ListUserGroups and ListHostGroups.
type ListGroupsInput struct {
	InstanceRef
	Name          string // "" for every name
	Offset, Limit int
}

func (k groupKind) parseList(r *protocol.Request) (ListGroupsInput, error) {
	ref, err := parseInstanceRef(r)
	if err != nil {
		return ListGroupsInput{}, err
	}
	in := ListGroupsInput{InstanceRef: ref, Name: r.Get(k.param + "Name")}
	if in.Offset, in.Limit, err = paging(r, 20); err != nil {
		return ListGroupsInput{}, err
	}
	return in, nil
}

// ModifyGroupInput is the parsed input of ModifyUserGroup and
// ModifyHostGroup: the name and comment, when sent.
type ModifyGroupInput struct {
	ObjectRef
	Name, Comment *string
}

func (k groupKind) parseModify(r *protocol.Request) (ModifyGroupInput, error) {
	ref, err := parseObjectRef(k.param + "Id")(r)
	return ModifyGroupInput{ObjectRef: ref, Name: optional(r, k.param+"Name"), Comment: optional(r, "Comment")}, err
}

// GroupMembersInput is the parsed input of Add*ToGroup and
// Remove*FromGroup: the group (ID) and 1 to 100 distinct member ids.
type GroupMembersInput struct {
	ObjectRef
	MemberIDs []string
}

func (k groupKind) parseMembers(r *protocol.Request) (GroupMembersInput, error) {
	ref, err := parseObjectRef(k.param + "Id")(r)
	if err != nil {
		return GroupMembersInput{}, err
	}
	s, err := required(r, k.members)
	if err != nil {
		return GroupMembersInput{}, err
	}
	ids, err := parseIDList(k.members, s, maxMemberIDs)
	if err != nil {
		return GroupMembersInput{}, err
	}
	return GroupMembersInput{ObjectRef: ref, MemberIDs: ids}, nil
}

// detail is a group with the kind's id and name fields.
func (k groupKind) detail(g localyun.BastionGroup) groupDetail {
	d := groupDetail{Comment: g.Comment}
	if k.kind == localyun.BastionGroupUser {
		d.UserGroupID, d.UserGroupName = g.ID, g.Name
	} else {
		d.HostGroupID, d.HostGroupName = g.ID, g.Name
	}
	return d
}

// created is the response of Create*Group.
func (k groupKind) created(id string, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	if k.kind == localyun.BastionGroupUser {
		return createGroupResponse{UserGroupID: id}, nil
	}
	return createGroupResponse{HostGroupID: id}, nil
}

// got is the response of Get*Group.
func (k groupKind) got(g localyun.BastionGroup, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	d := k.detail(g)
	if k.kind == localyun.BastionGroupUser {
		return getGroupResponse{UserGroup: &d}, nil
	}
	return getGroupResponse{HostGroup: &d}, nil
}

// listed is the response of List*Groups.
func (k groupKind) listed(gs []localyun.BastionGroup, total int, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	items := []groupItem{}
	for _, g := range gs {
		items = append(items, groupItem{groupDetail: k.detail(g), MemberCount: int32(g.MemberCount)})
	}
	if k.kind == localyun.BastionGroupUser {
		return listGroupsResponse{TotalCount: int32(total), UserGroups: &items}, nil
	}
	return listGroupsResponse{TotalCount: int32(total), HostGroups: &items}, nil
}

// changed is the response of Add*ToGroup and Remove*FromGroup: one result
// per id, with the kind's group and member id fields.
func (k groupKind) changed(groupID string, res []localyun.ItemResult, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	out := membersResponse{Results: []memberResult{}}
	for _, x := range res {
		r := memberResult{}
		r.Code, r.Message = resultCode(x.Outcome)
		if k.kind == localyun.BastionGroupUser {
			r.UserGroupID, r.UserID = groupID, x.ID
		} else {
			r.HostGroupID, r.HostID = groupID, x.ID
		}
		out.Results = append(out.Results, r)
	}
	return out, nil
}
