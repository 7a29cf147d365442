package ram

import (
	"errors"
	"net/http"
	"strings"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/protocol"
)

// RAM error codes, with the statuses and messages of the RAM API reference.

func errMissing(name string) error { return protocol.ErrMissing(name) }

func errLength(name string) error {
	return localyun.NewError(http.StatusBadRequest, "InvalidParameter."+name+".Length", "The parameter - "+name+" beyond the length limit.")
}

func errInvalid(name string) error {
	return localyun.NewError(http.StatusBadRequest, "InvalidParameter."+name, "The parameter - "+name+" is invalid.")
}

func errInvalidChars(name string) error {
	return localyun.NewError(http.StatusBadRequest, "InvalidParameter."+name+".InvalidChars", "The parameter - "+name+" contains invalid chars.")
}

func errMalformedPolicy(detail string) error {
	return localyun.NewError(http.StatusBadRequest, "MalformedPolicyDocument", "The policy document is malformed: "+detail)
}

var (
	errRoleNotExist    = localyun.NewError(http.StatusNotFound, "EntityNotExist.Role", "The role does not exist.")
	errRoleExists      = localyun.NewError(http.StatusConflict, "EntityAlreadyExists.Role", "The role does already EXIST.")
	errRolePolicy      = localyun.NewError(http.StatusConflict, "DeleteConflict.Role.Policy", "The role CAN NOT has any attached policy while deleting the role.")
	errInvalidMarker   = localyun.NewError(http.StatusBadRequest, "InvalidParameter.Marker", "The parameter - Marker is invalid.")
	errInvalidMaxItem  = localyun.NewError(http.StatusBadRequest, "InvalidParameter.MaxItems", "The parameter - MaxItems is invalid; it must be from 1 to 1000.")
	errUserNotExist    = localyun.NewError(http.StatusNotFound, "EntityNotExist.User", "The user does not exist.")
	errUserExists      = localyun.NewError(http.StatusConflict, "EntityAlreadyExists.User", "The user does already EXIST.")
	errUserKeys        = localyun.NewError(http.StatusConflict, "DeleteConflict.User.AccessKey", "The user CAN NOT has any access key while deleting the user.")
	errUserPolicies    = localyun.NewError(http.StatusConflict, "DeleteConflict.User.Policy", "The user CAN NOT has any attached policy while deleting the user.")
	errUserGroups      = localyun.NewError(http.StatusConflict, "DeleteConflict.User.Group", "The user CAN NOT belong to any group while deleting the user.")
	errKeyNotExist     = localyun.NewError(http.StatusNotFound, "EntityNotExist.User.AccessKey", "The access key does not exist.")
	errKeyLimit        = localyun.NewError(http.StatusConflict, "LimitExceeded.User.AccessKey", "The count of access keys beyond the current limits.")
	errGroupNotExist   = localyun.NewError(http.StatusNotFound, "EntityNotExist.Group", "The group does not exist.")
	errGroupExists     = localyun.NewError(http.StatusConflict, "EntityAlreadyExists.Group", "The group does already EXIST.")
	errGroupUsers      = localyun.NewError(http.StatusConflict, "DeleteConflict.Group.User", "The group CAN NOT has any user member while deleting the group.")
	errGroupPolicies   = localyun.NewError(http.StatusConflict, "DeleteConflict.Group.Policy", "The group CAN NOT has any attached policy while deleting the group.")
	errMemberExists    = localyun.NewError(http.StatusConflict, "EntityAlreadyExists.User.Group", "The user has already belonged to the group.")
	errMemberNotExist  = localyun.NewError(http.StatusNotFound, "EntityNotExist.User.Group", "The user does not belong to the group.")
	errPolicyNotExist  = localyun.NewError(http.StatusNotFound, "EntityNotExist.Policy", "The policy does not exist.")
	errPolicyExists    = localyun.NewError(http.StatusConflict, "EntityAlreadyExists.Policy", "The policy does already EXIST.")
	errVersionNotExist = localyun.NewError(http.StatusNotFound, "EntityNotExist.PolicyVersion", "The policy version does not exist.")
	errVersionLimit    = localyun.NewError(http.StatusConflict, "LimitExceeded.Policy.Version", "The count of versions of the policy beyond the current limits.")
	errVersionDefault  = localyun.NewError(http.StatusConflict, "DeleteConflict.PolicyVersion.Default", "The default version of the policy CAN NOT be deleted.")
	errPolicyVersions  = localyun.NewError(http.StatusConflict, "DeleteConflict.Policy.Version", "The policy CAN NOT has any non-default version while deleting the policy.")
	errNoSelf          = localyun.NewError(http.StatusBadRequest, "MissingUserName", "UserName is mandatory for this action.")
)

func errAttached(kind string) error {
	return localyun.NewError(http.StatusConflict, "EntityAlreadyExists."+kind+".Policy", "The policy has already been attached to the "+strings.ToLower(kind)+".")
}

func errNotAttached(kind string) error {
	return localyun.NewError(http.StatusNotFound, "EntityNotExist."+kind+".Policy", "The policy has not been attached to the "+strings.ToLower(kind)+".")
}

func errPolicyInUse(kind string) error {
	return localyun.NewError(http.StatusConflict, "DeleteConflict.Policy."+kind, "The policy CAN NOT be deleted while it is attached to a "+strings.ToLower(kind)+".")
}

// conflictWith is the kind of dependents a store's *ConflictError names.
func conflictWith(err error) string {
	var ce *localyun.ConflictError
	if errors.As(err, &ce) {
		return ce.With
	}
	return ""
}

// entityErrors turn the error kinds of a store into one entity's codes.
type entityErrors struct {
	notExist, exists error
	conflicts        map[string]error // by ConflictError.With
}

func (ee entityErrors) of(err error) error {
	switch {
	case errors.Is(err, localyun.ErrNotFound):
		return ee.notExist
	case errors.Is(err, localyun.ErrAlreadyExists):
		return ee.exists
	}
	if e, ok := ee.conflicts[conflictWith(err)]; ok {
		return e
	}
	return err
}

var (
	roleErrors  = entityErrors{errRoleNotExist, errRoleExists, map[string]error{"Policy": errRolePolicy}}
	userErrors  = entityErrors{errUserNotExist, errUserExists, map[string]error{"AccessKey": errUserKeys, "Policy": errUserPolicies, "Group": errUserGroups}}
	groupErrors = entityErrors{errGroupNotExist, errGroupExists, map[string]error{"User": errGroupUsers, "Policy": errGroupPolicies}}
)

// missingError turns a store's *localyun.NotFoundError into the missing
// entity's EntityNotExist code.
func missingError(err error) error {
	var nf *localyun.NotFoundError
	if !errors.As(err, &nf) {
		return err
	}
	switch nf.Kind {
	case localyun.AttachUser:
		return errUserNotExist
	case localyun.AttachGroup:
		return errGroupNotExist
	case localyun.AttachRole:
		return errRoleNotExist
	case "Policy":
		return errPolicyNotExist
	}
	return err
}

func roleError(err error) error  { return roleErrors.of(err) }
func userError(err error) error  { return userErrors.of(err) }
func groupError(err error) error { return groupErrors.of(err) }

func policyError(err error) error {
	switch {
	case errors.Is(err, localyun.ErrNotFound):
		return errPolicyNotExist
	case errors.Is(err, localyun.ErrAlreadyExists):
		return errPolicyExists
	case errors.Is(err, localyun.ErrLimitExceeded):
		return errVersionLimit
	}
	switch w := conflictWith(err); w {
	case "User", "Group", "Role":
		return errPolicyInUse(w)
	case "Version":
		return errPolicyVersions
	case "Default":
		return errVersionDefault
	}
	return err
}

func versionError(err error) error {
	if errors.Is(err, localyun.ErrNotFound) {
		return errVersionNotExist
	}
	return policyError(err)
}

func keyError(err error) error {
	if errors.Is(err, localyun.ErrNotFound) {
		return errKeyNotExist
	}
	return err
}
