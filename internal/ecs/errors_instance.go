package ecs

import (
	"net/http"

	"github.com/localyun/localyun"
)

// The error codes of the instance model actions, with the statuses and
// messages of the ECS API reference (DescribeInstances, RunInstances,
// ModifyInstanceAttribute, TagResources, UntagResources, ListTagResources).
// Codes the reference does not name are marked UNCONFIRMED in
// docs/compatibility.md.

func errMalformed(code, name string) error {
	return localyun.NewError(http.StatusBadRequest, code, "The specified parameter "+name+" is not valid.")
}

var (
	errChargeTypeNotFound    = localyun.NewError(http.StatusNotFound, "InvalidInstanceChargeType.NotFound", "The InstanceChargeType does not exist in our records")
	errInternetChargeType    = localyun.NewError(http.StatusNotFound, "InvalidInternetChargeType.ValueNotSupported", "The specified InternetChargeType is not valid")
	errLockReasonNotFound    = localyun.NewError(http.StatusNotFound, "InvalidLockReason.NotFound", "The specified LockReason is not found")
	errFilterKeyNotFound     = localyun.NewError(http.StatusNotFound, "InvalidFilterKey.NotFound", "The specified Filter.N.Key is not valid; it must be CreationStartTime, CreationEndTime, ExpiredStartTime or ExpiredEndTime.")
	errFilterValue           = localyun.NewError(http.StatusNotFound, "InvalidFilterValue", "The specified Filter.N.Value is not valid; it must be a UTC time in the yyyy-MM-ddTHH:mmZ format.")
	errTagMismatch           = localyun.NewError(http.StatusBadRequest, "InvalidTag.Mismatch", "The specified Tag.n.Key and Tag.n.Value are not match.")
	errTagCount              = localyun.NewError(http.StatusBadRequest, "InvalidTagCount", "The specified tags are beyond the permitted range.")
	errHpcClusterNotFound    = localyun.NewError(http.StatusBadRequest, "InvalidHpcClusterId.NotFound", "The specified HpcClusterId is not found.")
	errTagKeyMalformed       = localyun.NewError(http.StatusBadRequest, "InvalidTagKey.Malformed", "The specified Tag.n.Key is not valid.")
	errTagValueMalformed     = localyun.NewError(http.StatusBadRequest, "InvalidTagValue.Malformed", "The specified Tag.n.Value is not valid.")
	errDuplicateTagKey       = localyun.NewError(http.StatusBadRequest, "Duplicate.TagKey", "The Tag.N.Key contain duplicate key.")
	errTooManyResourceIDs    = localyun.NewError(http.StatusBadRequest, "NumberExceed.ResourceIds", "The ResourceIds parameter's number is exceed , Valid : 50")
	errTooManyTags           = localyun.NewError(http.StatusBadRequest, "NumberExceed.Tags", "The Tags parameter's number is exceed , Valid : 20")
	errResourceNotFound      = localyun.NewError(http.StatusNotFound, "InvalidResourceId.NotFound", "The specified ResourceIds are not found in our records.")
	errResourceTypeNotKnown  = localyun.NewError(http.StatusNotFound, "InvalidResourceType.NotFound", "The ResourceType provided does not exist in our records.")
	errTagQuota              = localyun.NewError(http.StatusBadRequest, "OperationDenied.QuotaExceed", "The quota of tags on resource is beyond permitted range.")
	errHostNameMalformed     = localyun.NewError(http.StatusBadRequest, "InvalidHostName.Malformed", "The specified parameter HostName is not valid.")
	errPasswordMalformed     = localyun.NewError(http.StatusBadRequest, "InvalidPassword.Malformed", "The specified parameter Password is not valid.")
	errDescriptionMalformed  = localyun.NewError(http.StatusBadRequest, "InvalidDescription.Malformed", "The specified description is wrongly formed.")
	errPeriodMalformed       = localyun.NewError(http.StatusBadRequest, "InvalidPeriod", "The specified period is not valid.")
	errSecurityGroupNotFound = localyun.NewError(http.StatusNotFound, "InvalidSecurityGroupId.NotFound", "The specified SecurityGroupId does not exist.")
	errSecurityGroupConflict = localyun.NewError(http.StatusBadRequest, "InvalidParameter.Conflict", "The specified parameters SecurityGroupId and SecurityGroupIds.N cannot both be set.")
	errNextTokenMalformed    = localyun.NewError(http.StatusBadRequest, "InvalidNextToken.Malformed", "The specified parameter NextToken is not valid.")
)
