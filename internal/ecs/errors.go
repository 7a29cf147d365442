package ecs

import (
	"net/http"

	"github.com/localyun/localyun"
)

// The ECS error codes, with the HTTP statuses and messages of the ECS API
// reference (DetachInstanceRamRole, AttachInstanceRamRole,
// DescribeInstanceRamRole, DescribeInstances, DescribeRegions).

func apiError(status int, code, message string) error {
	return &localyun.Error{Status: status, Code: code, Message: message}
}

func errMissing(name string) error {
	return apiError(http.StatusBadRequest, "MissingParameter."+name,
		"The input parameter "+name+" that is mandatory for processing this request is missing.")
}

func errInvalidParameter(name string) error {
	return apiError(http.StatusBadRequest, "InvalidParameter",
		`The specified parameter "`+name+`" is not valid.`)
}

var (
	errInstanceIDsMalformed = apiError(http.StatusBadRequest, "InvalidInstanceIds.Malformed", "The specified InstanceIds is not valid.")
	errInstanceNotFound     = apiError(http.StatusNotFound, "InvalidInstanceId.NotFound", "The specified InstanceId does not exist.")
	errRAMRoleNotFound      = apiError(http.StatusNotFound, "InvalidRamRole.NotFound", "The specified RamRoleName does not exist.")
	errRAMRoleNotECS        = apiError(http.StatusNotFound, "InvalidRamRole.NotEcsRole", "The specified ram role is not authorized for ecs, please check your role policy.")
	errClassicNetwork       = apiError(http.StatusForbidden, "InvalidNetworkType.MismatchRamRole", "Ram role cannot be attached to instances of Classic network type.")
	errAllEmpty             = apiError(http.StatusForbidden, "InvalidParameter.AllEmpty", "The specified parameters InstanceIds and RamRoleName cannot both be empty.")
	errRegionNotFound       = apiError(http.StatusNotFound, "InvalidRegionId.NotFound", "The specified RegionId does not exist.")
	errNetworkTypeNotFound  = apiError(http.StatusNotFound, "InvalidNetworkType.NotFound", "The specified InstanceNetworkType is not found.")
	errStatusNotFound       = apiError(http.StatusNotFound, "InvalidStatus.NotFound", "The specified Status is not found.")
	errLanguageNotFound     = apiError(http.StatusNotFound, "InvalidAcceptLanguage.NotFound", "The specified AcceptLanguage is not found.")
	errResourceTypeNotFound = apiError(http.StatusNotFound, "InvalidResourceType.NotFound", "The specified ResourceType is not found.")
	errIncorrectStatus      = apiError(http.StatusForbidden, "IncorrectInstanceStatus", "The current status of the resource does not support this operation.")
	errAmountMalformed      = apiError(http.StatusBadRequest, "InvalidAmount.Malformed", "The specified parameter Amount is not valid; it must be from 1 to 100.")
	errNameMalformed        = apiError(http.StatusBadRequest, "InvalidInstanceName.Malformed", "The specified parameter InstanceName is not valid.")
	errPolicyMalformed      = apiError(http.StatusBadRequest, "InvalidParameter.Policy", "The specified parameter Policy is not valid; it must be a JSON policy document of 1 to 1024 characters.")
	errTooManyInstanceIDs   = apiError(http.StatusBadRequest, "InvalidParameter.TooManyInstanceIds", "Instance ids cannot be more than 100.")
	errPassRoleForbidden    = apiError(http.StatusForbidden, "InvalidUser.PassRoleForbidden", "The RAM user does not have the privilege to pass a RAM role.")
)

// Per-instance result codes of Attach/DetachInstanceRamRole. The real
// service documents only "200" for success; see docs/compatibility.md.
const (
	resultOK               = "200"
	codeRoleAttached       = "InvalidRamRole.Attached"
	codeRoleNotAttached    = "InvalidRamRole.NotAttached"
	codeRoleMismatch       = "InvalidRamRole.Mismatch"
	messageRoleAttached    = "The instance already has an instance RAM role attached."
	messageRoleNotAttached = "The instance has no instance RAM role attached."
	messageRoleMismatch    = "The specified RamRoleName is not the instance RAM role attached to the instance."
)
