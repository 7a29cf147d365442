package bastionhost

import (
	"net/http"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/protocol"
)

// The Bastionhost error codes. The API reference documents none of them per
// action; these are the codes real clients (Terraform) match on, with the
// statuses chosen in docs/compatibility.md.

func errMissing(name string) error { return protocol.ErrMissing(name) }

// errInvalid is a malformed parameter: 400 InvalidParameter naming it.
func errInvalid(name, why string) error {
	msg := `The specified parameter "` + name + `" is not valid.`
	if why != "" {
		msg = `The specified parameter "` + name + `" is not valid: ` + why + "."
	}
	return localyun.NewError(http.StatusBadRequest, "InvalidParameter", msg)
}

var (
	errInstanceNotFound = localyun.NewError(http.StatusNotFound, "Commodity.BizError.InvalidStatus",
		"The specified bastion host instance does not exist or is not in a usable status.")
	errHostNotFound        = localyun.NewError(http.StatusNotFound, "HostNotFound", "The specified host does not exist.")
	errHostAccountNotFound = localyun.NewError(http.StatusNotFound, "HostAccountNotFound", "The specified host account does not exist.")
)

// errObjectNotFound is the top-level OBJECT_NOT_FOUND of a kind of object.
func errObjectNotFound(what string) error {
	return localyun.NewError(http.StatusNotFound, codeNotFound, "The specified "+what+" does not exist.")
}

// errObjectExists is the top-level OBJECT_AlREADY_EXISTS for a taken name.
func errObjectExists(what string) error {
	return localyun.NewError(http.StatusConflict, codeExists, "A "+what+" with the specified name already exists.")
}

// Per-item result codes, spelled exactly as the API does (the lower-case l
// of OBJECT_AlREADY_EXISTS is part of the wire contract).
const (
	codeOK         = "OK"
	codeUnexpected = "UNEXPECTED"
	codeInvalid    = "INVALID_ARGUMENT"
	codeNotFound   = "OBJECT_NOT_FOUND"
	codeExists     = "OBJECT_AlREADY_EXISTS"
)

// resultCode maps a store outcome to the per-item code and message.
func resultCode(outcome string) (code, message string) {
	switch outcome {
	case localyun.OutcomeChanged:
		return codeOK, ""
	case localyun.OutcomeUnchanged:
		return codeExists, "The object is already in the requested state."
	case localyun.OutcomeMissing:
		return codeNotFound, "The object does not exist."
	case localyun.OutcomeInvalid:
		return codeInvalid, "The id is not valid."
	}
	return codeUnexpected, "N/A"
}
