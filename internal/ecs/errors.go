package ecs

import (
	"net/http"

	"github.com/localyun/localyun"
)

// The ECS error codes, with the HTTP statuses and messages of the ECS API
// reference (DetachInstanceRamRole, AttachInstanceRamRole,
// DescribeInstanceRamRole, DescribeInstances, DescribeRegions).

func errMissing(name string) error {
	return localyun.NewError(http.StatusBadRequest, "MissingParameter."+name,
		"The input parameter "+name+" that is mandatory for processing this request is missing.")
}

func errInvalidParameter(name string) error {
	return localyun.NewError(http.StatusBadRequest, "InvalidParameter",
		`The specified parameter "`+name+`" is not valid.`)
}

var (
	errInstanceIDsMalformed = localyun.NewError(http.StatusBadRequest, "InvalidInstanceIds.Malformed", "The specified InstanceIds is not valid.")
	errInstanceNotFound     = localyun.NewError(http.StatusNotFound, "InvalidInstanceId.NotFound", "The specified InstanceId does not exist.")
	errRAMRoleNotFound      = localyun.NewError(http.StatusNotFound, "InvalidRamRole.NotFound", "The specified RamRoleName does not exist.")
	errRAMRoleNotECS        = localyun.NewError(http.StatusNotFound, "InvalidRamRole.NotEcsRole", "The specified ram role is not authorized for ecs, please check your role policy.")
	errClassicNetwork       = localyun.NewError(http.StatusForbidden, "InvalidNetworkType.MismatchRamRole", "Ram role cannot be attached to instances of Classic network type.")
	errAllEmpty             = localyun.NewError(http.StatusForbidden, "InvalidParameter.AllEmpty", "The specified parameters InstanceIds and RamRoleName cannot both be empty.")
	errRegionNotFound       = localyun.NewError(http.StatusNotFound, "InvalidRegionId.NotFound", "The specified RegionId does not exist.")
	errNetworkTypeNotFound  = localyun.NewError(http.StatusNotFound, "InvalidNetworkType.NotFound", "The specified InstanceNetworkType is not found.")
	errStatusNotFound       = localyun.NewError(http.StatusNotFound, "InvalidStatus.NotFound", "The specified Status is not found.")
	errLanguageNotFound     = localyun.NewError(http.StatusNotFound, "InvalidAcceptLanguage.NotFound", "The specified AcceptLanguage is not found.")
	errResourceTypeNotFound = localyun.NewError(http.StatusNotFound, "InvalidResourceType.NotFound", "The specified ResourceType is not found.")
	errIncorrectStatus      = localyun.NewError(http.StatusForbidden, "IncorrectInstanceStatus", "The current status of the resource does not support this operation.")
	errAmountMalformed      = localyun.NewError(http.StatusBadRequest, "InvalidAmount.Malformed", "The specified parameter Amount is not valid; it must be from 1 to 100.")
	errNameMalformed        = localyun.NewError(http.StatusBadRequest, "InvalidInstanceName.Malformed", "The specified parameter InstanceName is not valid.")
	errPolicyMalformed      = localyun.NewError(http.StatusBadRequest, "InvalidParameter.Policy", "The specified parameter Policy is not valid; it must be a JSON policy document of 1 to 1024 characters.")
	errTooManyInstanceIDs   = localyun.NewError(http.StatusBadRequest, "InvalidParameter.TooManyInstanceIds", "Instance ids cannot be more than 100.")
)

// The answers of DryRun and ClientToken, common to the ECS actions that
// take them (see dryrun.go, idempotency.go).
var (
	// errDryRunOperation is what a DryRun request that would succeed
	// answers.
	errDryRunOperation  = localyun.NewError(http.StatusBadRequest, "DryRunOperation", "Request validation has been passed with DryRun flag set.")
	errClientToken      = localyun.NewError(http.StatusBadRequest, "InvalidClientToken.ValueNotSupported", "The ClientToken provided is invalid.")
	errIdempotentParams = localyun.NewError(http.StatusBadRequest, "IdempotentParameterMismatch", "Request uses a client token in a previous request but is not identical to that request.")
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
