package ram

import (
	"strings"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/protocol"
)

// The typed inputs of the RAM actions. Each parser checks the parameters
// in the order RAM answers them; entities() names what the action acts
// on, for authorization.

// roleInput names one role: GetRole, DeleteRole, ListPoliciesForRole.
type roleInput struct{ Name string }

func (in roleInput) entities() []Entity { return []Entity{roleRef(in.Name)} }

func parseRole(r *protocol.Request) (roleInput, error) {
	n, err := roleName(r)
	return roleInput{n}, err
}

// createRoleInput is CreateRole's.
type createRoleInput struct{ Role localyun.Role }

func (in createRoleInput) entities() []Entity { return []Entity{roleRef(in.Role.Name)} }

func parseCreateRole(r *protocol.Request) (createRoleInput, error) {
	var in createRoleInput
	var err error
	if in.Role.Name, err = roleName(r); err != nil {
		return in, err
	}
	in.Role.AssumeRolePolicyDocument = r.Get("AssumeRolePolicyDocument")
	if strings.TrimSpace(in.Role.AssumeRolePolicyDocument) == "" {
		return in, errMissing("AssumeRolePolicyDocument")
	}
	if err := trustDocument(in.Role.AssumeRolePolicyDocument, "AssumeRolePolicyDocument"); err != nil {
		return in, err
	}
	if in.Role.Description, err = text(r, "Description", 1024); err != nil {
		return in, err
	}
	msd, ok, err := maxSession(r, "MaxSessionDuration")
	if !ok {
		msd = DefaultMaxSessionDuration
	}
	in.Role.MaxSessionDuration = msd
	return in, err
}

// updateRoleInput is UpdateRole's: only the New* parameters sent change.
type updateRoleInput struct {
	Name   string
	Update localyun.RoleUpdate
}

func (in updateRoleInput) entities() []Entity { return []Entity{roleRef(in.Name)} }

func parseUpdateRole(r *protocol.Request) (updateRoleInput, error) {
	var in updateRoleInput
	var err error
	if in.Name, err = roleName(r); err != nil {
		return in, err
	}
	if r.Has("NewAssumeRolePolicyDocument") {
		doc := r.Get("NewAssumeRolePolicyDocument")
		if err := trustDocument(doc, "NewAssumeRolePolicyDocument"); err != nil {
			return in, err
		}
		in.Update.AssumeRolePolicyDocument = &doc
	}
	if r.Has("NewDescription") {
		d, err := text(r, "NewDescription", 1024)
		if err != nil {
			return in, err
		}
		in.Update.Description = &d
	}
	msd, ok, err := maxSession(r, "NewMaxSessionDuration")
	if ok {
		in.Update.MaxSessionDuration = &msd
	}
	return in, err
}

// listInput is the paging of ListRoles, ListUsers and ListGroups: they act
// on every entity of their kind.
type listInput struct {
	kind string
	page
}

func (in listInput) entities() []Entity { return []Entity{{Kind: in.kind, Name: "*"}} }

func parseList(kind string) func(r *protocol.Request) (listInput, error) {
	return func(r *protocol.Request) (listInput, error) {
		pg, err := parsePage(r)
		return listInput{kind, pg}, err
	}
}

// userInput names one user: GetUser, DeleteUser, ListGroupsForUser,
// ListPoliciesForUser.
type userInput struct{ Name string }

func (in userInput) entities() []Entity { return []Entity{userRef(in.Name)} }

func parseUser(r *protocol.Request) (userInput, error) {
	n, err := userName(r, "UserName")
	return userInput{n}, err
}

// createUserInput is CreateUser's.
type createUserInput struct{ User localyun.User }

func (in createUserInput) entities() []Entity { return []Entity{userRef(in.User.Name)} }

func parseCreateUser(r *protocol.Request) (createUserInput, error) {
	var in createUserInput
	var err error
	if in.User.Name, err = userName(r, "UserName"); err != nil {
		return in, err
	}
	for _, f := range []struct {
		dst   *string
		param string
		max   int
		read  func(*protocol.Request, string, int) (string, error)
	}{{&in.User.DisplayName, "DisplayName", 128, line}, {&in.User.Comments, "Comments", 128, text},
		{&in.User.Email, "Email", 128, line}, {&in.User.MobilePhone, "MobilePhone", 32, line}} {
		if *f.dst, err = f.read(r, f.param, f.max); err != nil {
			return in, err
		}
	}
	return in, nil
}

// updateUserInput is UpdateUser's: only the New* parameters sent change.
type updateUserInput struct {
	Name   string
	Update localyun.UserUpdate
}

func (in updateUserInput) entities() []Entity { return []Entity{userRef(in.Name)} }

func parseUpdateUser(r *protocol.Request) (updateUserInput, error) {
	var in updateUserInput
	var err error
	if in.Name, err = userName(r, "UserName"); err != nil {
		return in, err
	}
	if r.Has("NewUserName") {
		nn, err := userName(r, "NewUserName")
		if err != nil {
			return in, err
		}
		in.Update.Name = &nn
	}
	for _, f := range []struct {
		dst   **string
		param string
		max   int
		read  func(*protocol.Request, string, int) (string, error)
	}{{&in.Update.DisplayName, "NewDisplayName", 128, line}, {&in.Update.Comments, "NewComments", 128, text},
		{&in.Update.Email, "NewEmail", 128, line}, {&in.Update.MobilePhone, "NewMobilePhone", 32, line}} {
		if *f.dst, err = optional(r, f.param, f.max, f.read); err != nil {
			return in, err
		}
	}
	return in, nil
}

// keyOwnerInput names whose keys CreateAccessKey and ListAccessKeys act
// on: UserName, or the caller itself when it is absent.
type keyOwnerInput struct{ UserName string }

func (in keyOwnerInput) entities() []Entity { return []Entity{keyOwnerRef(in.UserName)} }

func parseKeyOwner(r *protocol.Request) (keyOwnerInput, error) {
	if r.Get("UserName") == "" {
		return keyOwnerInput{}, nil
	}
	n, err := userName(r, "UserName")
	return keyOwnerInput{n}, err
}

// keyInput names one access key of an owner: DeleteAccessKey,
// GetAccessKeyLastUsed, and UpdateAccessKey with its Status.
type keyInput struct {
	keyOwnerInput
	ID     string
	Status string // UpdateAccessKey only
}

func parseKey(r *protocol.Request) (keyInput, error) {
	owner, err := parseKeyOwner(r)
	if err != nil {
		return keyInput{}, err
	}
	id, err := keyID(r)
	return keyInput{keyOwnerInput: owner, ID: id}, err
}

func parseKeyStatus(r *protocol.Request) (keyInput, error) {
	in, err := parseKey(r)
	if err != nil {
		return in, err
	}
	switch in.Status = r.Get("Status"); in.Status {
	case "":
		return in, errMissing("Status")
	case localyun.AccessKeyActive, localyun.AccessKeyInactive:
		return in, nil
	}
	return in, errInvalid("Status")
}

// groupInput names one group: GetGroup, DeleteGroup, ListPoliciesForGroup.
type groupInput struct{ Name string }

func (in groupInput) entities() []Entity { return []Entity{groupRef(in.Name)} }

func parseGroup(r *protocol.Request) (groupInput, error) {
	n, err := groupName(r, "GroupName")
	return groupInput{n}, err
}

// createGroupInput is CreateGroup's.
type createGroupInput struct{ Group localyun.Group }

func (in createGroupInput) entities() []Entity { return []Entity{groupRef(in.Group.Name)} }

func parseCreateGroup(r *protocol.Request) (createGroupInput, error) {
	var in createGroupInput
	var err error
	if in.Group.Name, err = groupName(r, "GroupName"); err != nil {
		return in, err
	}
	in.Group.Comments, err = text(r, "Comments", 128)
	return in, err
}

// updateGroupInput is UpdateGroup's: only the New* parameters sent change.
type updateGroupInput struct {
	Name   string
	Update localyun.GroupUpdate
}

func (in updateGroupInput) entities() []Entity { return []Entity{groupRef(in.Name)} }

func parseUpdateGroup(r *protocol.Request) (updateGroupInput, error) {
	var in updateGroupInput
	var err error
	if in.Name, err = groupName(r, "GroupName"); err != nil {
		return in, err
	}
	if r.Has("NewGroupName") {
		nn, err := groupName(r, "NewGroupName")
		if err != nil {
			return in, err
		}
		in.Update.Name = &nn
	}
	in.Update.Comments, err = optional(r, "NewComments", 128, text)
	return in, err
}

// memberInput is AddUserToGroup's and RemoveUserFromGroup's.
type memberInput struct{ Group, User string }

func (in memberInput) entities() []Entity { return []Entity{groupRef(in.Group), userRef(in.User)} }

func parseMember(r *protocol.Request) (memberInput, error) {
	var in memberInput
	var err error
	if in.Group, err = groupName(r, "GroupName"); err != nil {
		return in, err
	}
	in.User, err = userName(r, "UserName")
	return in, err
}

// groupPageInput is ListUsersForGroup's.
type groupPageInput struct {
	Group string
	page
}

func (in groupPageInput) entities() []Entity { return []Entity{groupRef(in.Group)} }

func parseGroupPage(r *protocol.Request) (groupPageInput, error) {
	var in groupPageInput
	var err error
	if in.Group, err = groupName(r, "GroupName"); err != nil {
		return in, err
	}
	in.page, err = parsePage(r)
	return in, err
}
