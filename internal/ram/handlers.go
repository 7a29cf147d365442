package ram

import (
	"context"

	"github.com/localyun/localyun"
)

// handlers serve the RAM actions (2015-05-01): each calls the Service
// method of its action's name with the parsed input and builds the answer.
type handlers struct{ s *Service }

func (h handlers) createRole(ctx context.Context, in createRoleInput) (any, error) {
	r, err := h.s.CreateRole(ctx, in.Role)
	if err != nil {
		return nil, err
	}
	return roleResponse{Role: newRoleItem(r, true, false)}, nil
}

func (h handlers) getRole(ctx context.Context, in roleInput) (any, error) {
	r, err := h.s.GetRole(ctx, in.Name)
	if err != nil {
		return nil, err
	}
	return roleResponse{Role: newRoleItem(r, true, true)}, nil
}

// listRoles: items carry no AssumeRolePolicyDocument, as in the SDK model.
func (h handlers) listRoles(ctx context.Context, in listInput) (any, error) {
	roles, next, err := h.s.ListRoles(ctx, in.After, in.Max)
	if err != nil {
		return nil, err
	}
	out := listRolesResponse{IsTruncated: next != "", Marker: next}
	out.Roles.Role = items(roles, func(r localyun.Role) roleItem { return newRoleItem(r, false, true) })
	return out, nil
}

func (h handlers) updateRole(ctx context.Context, in updateRoleInput) (any, error) {
	r, err := h.s.UpdateRole(ctx, in.Name, in.Update)
	if err != nil {
		return nil, err
	}
	return roleResponse{Role: newRoleItem(r, true, true)}, nil
}

func (h handlers) deleteRole(ctx context.Context, in roleInput) (any, error) {
	return nil, h.s.DeleteRole(ctx, in.Name)
}

func (h handlers) createUser(ctx context.Context, in createUserInput) (any, error) {
	u, err := h.s.CreateUser(ctx, in.User)
	if err != nil {
		return nil, err
	}
	it := newUserItem(u)
	it.UpdateDate = ""
	return userResponse{User: it}, nil
}

func (h handlers) getUser(ctx context.Context, in userInput) (any, error) {
	u, err := h.s.GetUser(ctx, in.Name)
	if err != nil {
		return nil, err
	}
	return userResponse{User: newUserItem(u)}, nil
}

func (h handlers) listUsers(ctx context.Context, in listInput) (any, error) {
	users, next, err := h.s.ListUsers(ctx, in.After, in.Max)
	if err != nil {
		return nil, err
	}
	return listUsersResponse{IsTruncated: next != "", Marker: next, Users: usersList{User: items(users, newUserItem)}}, nil
}

func (h handlers) updateUser(ctx context.Context, in updateUserInput) (any, error) {
	u, err := h.s.UpdateUser(ctx, in.Name, in.Update)
	if err != nil {
		return nil, err
	}
	return userResponse{User: newUserItem(u)}, nil
}

func (h handlers) deleteUser(ctx context.Context, in userInput) (any, error) {
	return nil, h.s.DeleteUser(ctx, in.Name)
}

func (h handlers) createAccessKey(ctx context.Context, in keyOwnerInput) (any, error) {
	k, err := h.s.CreateAccessKey(ctx, in.UserName)
	if err != nil {
		return nil, err
	}
	return createAccessKeyResponse{AccessKey: accessKeyItem{AccessKeyID: k.ID, AccessKeySecret: k.Secret,
		Status: k.Status, CreateDate: date(k.CreatedAt)}}, nil
}

// listAccessKeys: secrets never appear.
func (h handlers) listAccessKeys(ctx context.Context, in keyOwnerInput) (any, error) {
	keys, err := h.s.ListAccessKeys(ctx, in.UserName)
	if err != nil {
		return nil, err
	}
	var out listAccessKeysResponse
	out.AccessKeys.AccessKey = items(keys, func(k localyun.AccessKey) accessKeyItem {
		return accessKeyItem{AccessKeyID: k.ID, Status: k.Status, CreateDate: date(k.CreatedAt)}
	})
	return out, nil
}

func (h handlers) updateAccessKey(ctx context.Context, in keyInput) (any, error) {
	return nil, h.s.UpdateAccessKey(ctx, in.UserName, in.ID, in.Status)
}

func (h handlers) deleteAccessKey(ctx context.Context, in keyInput) (any, error) {
	return nil, h.s.DeleteAccessKey(ctx, in.UserName, in.ID)
}

func (h handlers) getAccessKeyLastUsed(ctx context.Context, in keyInput) (any, error) {
	t, err := h.s.GetAccessKeyLastUsed(ctx, in.UserName, in.ID)
	if err != nil {
		return nil, err
	}
	var out lastUsedResponse
	out.AccessKeyLastUsed.LastUsedDate = date(t)
	return out, nil
}

func (h handlers) createGroup(ctx context.Context, in createGroupInput) (any, error) {
	g, err := h.s.CreateGroup(ctx, in.Group)
	if err != nil {
		return nil, err
	}
	it := newGroupItem(g)
	it.UpdateDate = ""
	return groupResponse{Group: it}, nil
}

func (h handlers) getGroup(ctx context.Context, in groupInput) (any, error) {
	g, err := h.s.GetGroup(ctx, in.Name)
	if err != nil {
		return nil, err
	}
	return groupResponse{Group: newGroupItem(g)}, nil
}

func (h handlers) listGroups(ctx context.Context, in listInput) (any, error) {
	groups, next, err := h.s.ListGroups(ctx, in.After, in.Max)
	if err != nil {
		return nil, err
	}
	return listGroupsResponse{IsTruncated: next != "", Marker: next, Groups: groupsList{Group: items(groups, newGroupItem)}}, nil
}

func (h handlers) updateGroup(ctx context.Context, in updateGroupInput) (any, error) {
	g, err := h.s.UpdateGroup(ctx, in.Name, in.Update)
	if err != nil {
		return nil, err
	}
	return groupResponse{Group: newGroupItem(g)}, nil
}

func (h handlers) deleteGroup(ctx context.Context, in groupInput) (any, error) {
	return nil, h.s.DeleteGroup(ctx, in.Name)
}

func (h handlers) addUserToGroup(ctx context.Context, in memberInput) (any, error) {
	return nil, h.s.AddUserToGroup(ctx, in.Group, in.User)
}

func (h handlers) removeUserFromGroup(ctx context.Context, in memberInput) (any, error) {
	return nil, h.s.RemoveUserFromGroup(ctx, in.Group, in.User)
}

func (h handlers) listGroupsForUser(ctx context.Context, in userInput) (any, error) {
	ms, err := h.s.ListGroupsForUser(ctx, in.Name)
	if err != nil {
		return nil, err
	}
	return groupsForUserResponse{Groups: groupsList{Group: items(ms, func(m localyun.Membership) groupItem {
		return groupItem{GroupName: m.Group.Name, Comments: m.Group.Comments, JoinDate: date(m.JoinedAt)}
	})}}, nil
}

func (h handlers) listUsersForGroup(ctx context.Context, in groupPageInput) (any, error) {
	ms, next, err := h.s.ListUsersForGroup(ctx, in.Group, in.After, in.Max)
	if err != nil {
		return nil, err
	}
	return listUsersResponse{IsTruncated: next != "", Marker: next, Users: usersList{User: items(ms, func(m localyun.Membership) userItem {
		return userItem{UserName: m.User.Name, DisplayName: m.User.DisplayName, JoinDate: date(m.JoinedAt)}
	})}}, nil
}
