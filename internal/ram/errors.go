package ram

import (
	"net/http"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/protocol"
)

// RAM error codes, with the statuses and messages of the RAM API reference.

func apiError(status int, code, message string) error {
	return &localyun.Error{Status: status, Code: code, Message: message}
}

func errMissing(name string) error { return protocol.ErrMissing(name) }

func errLength(name string) error {
	return apiError(http.StatusBadRequest, "InvalidParameter."+name+".Length", "The parameter - "+name+" beyond the length limit.")
}

func errInvalid(name string) error {
	return apiError(http.StatusBadRequest, "InvalidParameter."+name, "The parameter - "+name+" is invalid.")
}

var (
	errRoleNameChars  = apiError(http.StatusBadRequest, "InvalidParameter.RoleName.InvalidChars", "The parameter - RoleName contains invalid chars.")
	errRoleNotExist   = apiError(http.StatusNotFound, "EntityNotExist.Role", "The role does not exist.")
	errRoleExists     = apiError(http.StatusConflict, "EntityAlreadyExists.Role", "The role does already EXIST.")
	errRolePolicy     = apiError(http.StatusConflict, "DeleteConflict.Role.Policy", "The role CAN NOT has any attached policy while deleting the role.")
	errInvalidMarker  = apiError(http.StatusBadRequest, "InvalidParameter.Marker", "The parameter - Marker is invalid.")
	errInvalidMaxItem = apiError(http.StatusBadRequest, "InvalidParameter.MaxItems", "The parameter - MaxItems is invalid; it must be from 1 to 1000.")
)

func errMalformedPolicy(detail string) error {
	return apiError(http.StatusBadRequest, "MalformedPolicyDocument", "The policy document is malformed: "+detail)
}
