package ram

import (
	"net/http"

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

var (
	errRoleNameChars  = localyun.NewError(http.StatusBadRequest, "InvalidParameter.RoleName.InvalidChars", "The parameter - RoleName contains invalid chars.")
	errRoleNotExist   = localyun.NewError(http.StatusNotFound, "EntityNotExist.Role", "The role does not exist.")
	errRoleExists     = localyun.NewError(http.StatusConflict, "EntityAlreadyExists.Role", "The role does already EXIST.")
	errRolePolicy     = localyun.NewError(http.StatusConflict, "DeleteConflict.Role.Policy", "The role CAN NOT has any attached policy while deleting the role.")
	errInvalidMarker  = localyun.NewError(http.StatusBadRequest, "InvalidParameter.Marker", "The parameter - Marker is invalid.")
	errInvalidMaxItem = localyun.NewError(http.StatusBadRequest, "InvalidParameter.MaxItems", "The parameter - MaxItems is invalid; it must be from 1 to 1000.")
)

func errMalformedPolicy(detail string) error {
	return localyun.NewError(http.StatusBadRequest, "MalformedPolicyDocument", "The policy document is malformed: "+detail)
}
