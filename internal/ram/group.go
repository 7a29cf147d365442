package ram

import (
	"context"
	"errors"
	"strings"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/protocol"
)

type groupItem struct {
	GroupID    string `json:"GroupId,omitempty" xml:"GroupId,omitempty"`
	GroupName  string `json:"GroupName" xml:"GroupName"`
	Comments   string `json:"Comments" xml:"Comments"`
	CreateDate string `json:"CreateDate,omitempty" xml:"CreateDate,omitempty"`
	UpdateDate string `json:"UpdateDate,omitempty" xml:"UpdateDate,omitempty"`
	JoinDate   string `json:"JoinDate,omitempty" xml:"JoinDate,omitempty"`
	AttachDate string `json:"AttachDate,omitempty" xml:"AttachDate,omitempty"`
}

func newGroupItem(g localyun.Group) groupItem {
	return groupItem{GroupID: g.ID, GroupName: g.Name, Comments: g.Comments, CreateDate: date(g.CreatedAt), UpdateDate: date(g.UpdatedAt)}
}

type groupResponse struct {
	Group groupItem `json:"Group" xml:"Group"`
}

type groupsList struct {
	Group []groupItem `json:"Group" xml:"Group"`
}

type listGroupsResponse struct {
	IsTruncated bool       `json:"IsTruncated" xml:"IsTruncated"`
	Marker      string     `json:"Marker,omitempty" xml:"Marker,omitempty"`
	Groups      groupsList `json:"Groups" xml:"Groups"`
}

type groupsForUserResponse struct {
	Groups groupsList `json:"Groups" xml:"Groups"`
}

func groupName(r *protocol.Request, param string) (string, error) {
	return name(r, param, 64, groupNameRE)
}

func groupError(err error) error {
	switch {
	case errors.Is(err, localyun.ErrNotFound):
		return errGroupNotExist
	case errors.Is(err, localyun.ErrAlreadyExists):
		return errGroupExists
	}
	switch conflictWith(err) {
	case "User":
		return errGroupUsers
	case "Policy":
		return errGroupPolicies
	}
	return err
}

// createGroup serves CreateGroup (2015-05-01).
func (h handlers) createGroup(ctx context.Context, r *protocol.Request) (any, error) {
	n, err := groupName(r, "GroupName")
	if err != nil {
		return nil, err
	}
	comments, err := text(r, "Comments", 128)
	if err != nil {
		return nil, err
	}
	now := h.s.now()
	g := localyun.Group{ID: numericID(), AccountID: accountOf(ctx), Name: n, Comments: comments, CreatedAt: now, UpdatedAt: now}
	if err := h.s.store.CreateGroup(ctx, g); err != nil {
		return nil, groupError(err)
	}
	it := newGroupItem(g)
	it.UpdateDate = ""
	return groupResponse{Group: it}, nil
}

// getGroup serves GetGroup (2015-05-01).
func (h handlers) getGroup(ctx context.Context, r *protocol.Request) (any, error) {
	n, err := groupName(r, "GroupName")
	if err != nil {
		return nil, err
	}
	g, err := h.s.store.FindGroupByName(ctx, accountOf(ctx), n)
	if err != nil {
		return nil, groupError(err)
	}
	return groupResponse{Group: newGroupItem(g)}, nil
}

// listGroups serves ListGroups (2015-05-01): Marker/MaxItems paging.
func (h handlers) listGroups(ctx context.Context, r *protocol.Request) (any, error) {
	max, err := maxItems(r)
	if err != nil {
		return nil, err
	}
	after, err := decodeMarker(r.Get("Marker"))
	if err != nil {
		return nil, err
	}
	groups, err := h.s.store.FindGroups(ctx, localyun.GroupFilter{AccountID: accountOf(ctx), After: after, Limit: max + 1})
	if err != nil {
		return nil, err
	}
	out := listGroupsResponse{Groups: groupsList{Group: []groupItem{}}}
	if len(groups) > max {
		groups = groups[:max]
		out.IsTruncated, out.Marker = true, encodeMarker(groups[max-1].Name)
	}
	for _, g := range groups {
		out.Groups.Group = append(out.Groups.Group, newGroupItem(g))
	}
	return out, nil
}

// updateGroup serves UpdateGroup (2015-05-01).
func (h handlers) updateGroup(ctx context.Context, r *protocol.Request) (any, error) {
	n, err := groupName(r, "GroupName")
	if err != nil {
		return nil, err
	}
	upd := localyun.GroupUpdate{UpdatedAt: h.s.now()}
	if r.Has("NewGroupName") {
		nn, err := groupName(r, "NewGroupName")
		if err != nil {
			return nil, err
		}
		upd.Name = &nn
	}
	if upd.Comments, err = optText(r, "NewComments", 128); err != nil {
		return nil, err
	}
	g, err := h.s.store.UpdateGroup(ctx, accountOf(ctx), n, upd)
	if err != nil {
		return nil, groupError(err)
	}
	return groupResponse{Group: newGroupItem(g)}, nil
}

// deleteGroup serves DeleteGroup (2015-05-01): refused while the group has
// members or policies.
func (h handlers) deleteGroup(ctx context.Context, r *protocol.Request) (any, error) {
	n, err := groupName(r, "GroupName")
	if err != nil {
		return nil, err
	}
	return nil, groupError(h.s.store.DeleteGroup(ctx, accountOf(ctx), n))
}

func (h handlers) memberParams(ctx context.Context, r *protocol.Request) (group, user string, err error) {
	if group, err = groupName(r, "GroupName"); err != nil {
		return
	}
	if user, err = userName(r, "UserName"); err != nil {
		return
	}
	if _, err = h.s.store.FindGroupByName(ctx, accountOf(ctx), group); err != nil {
		return "", "", groupError(err)
	}
	if _, err = h.s.store.FindUserByName(ctx, accountOf(ctx), user); err != nil {
		return "", "", userError(err)
	}
	return group, user, nil
}

// addUserToGroup serves AddUserToGroup (2015-05-01).
func (h handlers) addUserToGroup(ctx context.Context, r *protocol.Request) (any, error) {
	group, user, err := h.memberParams(ctx, r)
	if err != nil {
		return nil, err
	}
	err = h.s.store.AddUserToGroup(ctx, accountOf(ctx), group, user, h.s.now())
	switch {
	case errors.Is(err, localyun.ErrAlreadyExists):
		return nil, errMemberExists
	case errors.Is(err, localyun.ErrNotFound):
		return nil, errUserNotExist
	}
	return nil, err
}

// removeUserFromGroup serves RemoveUserFromGroup (2015-05-01).
func (h handlers) removeUserFromGroup(ctx context.Context, r *protocol.Request) (any, error) {
	group, user, err := h.memberParams(ctx, r)
	if err != nil {
		return nil, err
	}
	if err := h.s.store.RemoveUserFromGroup(ctx, accountOf(ctx), group, user); errors.Is(err, localyun.ErrNotFound) {
		return nil, errMemberNotExist
	} else if err != nil {
		return nil, err
	}
	return nil, nil
}

// listGroupsForUser serves ListGroupsForUser (2015-05-01).
func (h handlers) listGroupsForUser(ctx context.Context, r *protocol.Request) (any, error) {
	user, err := userName(r, "UserName")
	if err != nil {
		return nil, err
	}
	if _, err := h.s.store.FindUserByName(ctx, accountOf(ctx), user); err != nil {
		return nil, userError(err)
	}
	ms, err := h.s.store.FindGroupsForUser(ctx, accountOf(ctx), user)
	if err != nil {
		return nil, err
	}
	out := groupsForUserResponse{Groups: groupsList{Group: []groupItem{}}}
	for _, m := range ms {
		out.Groups.Group = append(out.Groups.Group, groupItem{GroupName: m.Group.Name, Comments: m.Group.Comments, JoinDate: date(m.JoinedAt)})
	}
	return out, nil
}

// listUsersForGroup serves ListUsersForGroup (2015-05-01), paged by
// Marker/MaxItems over the members in name order.
func (h handlers) listUsersForGroup(ctx context.Context, r *protocol.Request) (any, error) {
	group, err := groupName(r, "GroupName")
	if err != nil {
		return nil, err
	}
	max, err := maxItems(r)
	if err != nil {
		return nil, err
	}
	after, err := decodeMarker(r.Get("Marker"))
	if err != nil {
		return nil, err
	}
	if _, err := h.s.store.FindGroupByName(ctx, accountOf(ctx), group); err != nil {
		return nil, groupError(err)
	}
	ms, err := h.s.store.FindUsersForGroup(ctx, accountOf(ctx), group)
	if err != nil {
		return nil, err
	}
	out := listUsersResponse{Users: usersList{User: []userItem{}}}
	for _, m := range ms {
		// Members come in case-insensitive name order, as markers compare.
		if after != "" && strings.ToLower(m.User.Name) <= strings.ToLower(after) {
			continue
		}
		if len(out.Users.User) == max {
			last := out.Users.User[max-1].UserName
			out.IsTruncated, out.Marker = true, encodeMarker(last)
			break
		}
		out.Users.User = append(out.Users.User, userItem{UserName: m.User.Name, DisplayName: m.User.DisplayName, JoinDate: date(m.JoinedAt)})
	}
	return out, nil
}
