package ecs

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/protocol"
)

// DescribeInstanceAttributeInput is the input of DescribeInstanceAttribute.
type DescribeInstanceAttributeInput struct {
	InstanceID string // of any region (the action takes no RegionId)
}

// DescribeInstanceStatusInput is the input of DescribeInstanceStatus.
type DescribeInstanceStatusInput struct {
	RegionID    string
	InstanceIDs []string // InstanceId.N, 1 to 100; nil: every instance
	ZoneID      string
	PageNumber  int
	PageSize    int // 1 to 50
}

// ModifyInstanceAttributeInput is the input of ModifyInstanceAttribute: the
// changes of Update, checked; a Password is checked and dropped.
type ModifyInstanceAttributeInput struct {
	RegionID   string // as sent (the SDKs send their region); the instance's own region is used
	InstanceID string
	Update     localyun.InstanceUpdate // its SecurityGroupIDs replace the instance's groups when not nil
}

// ModifyInstanceMetadataOptionsInput is the input of
// ModifyInstanceMetadataOptions: the options sent.
type ModifyInstanceMetadataOptionsInput struct {
	RegionID   string
	InstanceID string
	Options    localyun.MetadataOptions // "" and 0: keep the instance's
}

// TagResourcesInput is the input of TagResources.
type TagResourcesInput struct {
	RegionID    string
	ResourceIDs []string // instance ids, 1 to 50
	Tags        []localyun.Tag
}

// UntagResourcesInput is the input of UntagResources.
type UntagResourcesInput struct {
	RegionID    string
	ResourceIDs []string
	Keys        []string // TagKey.N, 1 to 20; nil with All
	All         bool
}

// ListTagResourcesInput is the input of ListTagResources.
type ListTagResourcesInput struct {
	RegionID    string
	ResourceIDs []string // nil: every tagged instance
	Tags        []localyun.TagFilter
	AfterSeq    int64 // NextToken: resume at the instance of this seq ...
	AfterIndex  int   // ... at this tag of it
}

func parseDescribeInstanceAttribute(r *protocol.Request) (DescribeInstanceAttributeInput, error) {
	id, err := required(r, "InstanceId")
	return DescribeInstanceAttributeInput{InstanceID: id}, err
}

func parseDescribeInstanceStatus(r *protocol.Request) (DescribeInstanceStatusInput, error) {
	region, err := regionOf(r)
	if err != nil {
		return DescribeInstanceStatusInput{}, err
	}
	in := DescribeInstanceStatusInput{RegionID: region, ZoneID: r.Get("ZoneId"), InstanceIDs: r.RepeatList("InstanceId")}
	if len(in.InstanceIDs) > 100 {
		return in, errTooManyInstanceIDs
	}
	for _, id := range in.InstanceIDs {
		if protocol.CheckName(id, 1, 64) != nil {
			return in, errInvalidParameter("InstanceId")
		}
	}
	if in.PageNumber, err = intParam(r, "PageNumber", 1, 1, 1<<30); err != nil {
		return in, err
	}
	in.PageSize, err = intParam(r, "PageSize", 10, 1, 50)
	return in, err
}

func parseModifyInstanceAttribute(r *protocol.Request) (ModifyInstanceAttributeInput, error) {
	in := ModifyInstanceAttributeInput{RegionID: r.Get("RegionId")}
	var err error
	if in.InstanceID, err = required(r, "InstanceId"); err != nil {
		return in, err
	}
	u := &in.Update
	if name, ok := r.Params["InstanceName"]; ok && name[0] != "" {
		if !validInstanceName(name[0]) {
			return in, errNameMalformed
		}
		u.Name = &name[0]
	}
	if d, ok := r.Params["Description"]; ok && d[0] != "" {
		if protocol.CheckText(d[0], 2, 256) != nil || strings.HasPrefix(d[0], "http://") || strings.HasPrefix(d[0], "https://") {
			return in, errDescriptionMalformed
		}
		u.Description = &d[0]
	}
	if h, ok := r.Params["HostName"]; ok && h[0] != "" {
		// The OS is the image's, which the service knows: it checks the
		// Windows limits; any host name must pass the Linux ones.
		if !validHostName(h[0], "") {
			return in, errHostNameMalformed
		}
		u.HostName = &h[0]
	}
	if err := checkPassword(r); err != nil {
		return in, err
	}
	if ids := r.RepeatList("SecurityGroupIds"); len(ids) > 0 {
		if u.SecurityGroupIDs, err = securityGroupsParam(r); err != nil {
			return in, err
		}
	}
	return in, nil
}

func parseModifyInstanceMetadataOptions(r *protocol.Request) (ModifyInstanceMetadataOptionsInput, error) {
	region, err := regionOf(r)
	if err != nil {
		return ModifyInstanceMetadataOptionsInput{}, err
	}
	in := ModifyInstanceMetadataOptionsInput{RegionID: region}
	if in.InstanceID, err = required(r, "InstanceId"); err != nil {
		return in, err
	}
	switch r.Get("InstanceMetadataTags") {
	case "", localyun.MetadataEnabled, localyun.MetadataDisabled:
	default:
		return in, errInvalidParameter("InstanceMetadataTags")
	}
	return in, metadataParams(r, &in.Options)
}

// resourcesParams reads RegionId, ResourceType (instance) and ResourceId.N
// (1 to 50 distinct ids when need, else 0 to 50) of the tag actions.
// ResourceType values ECS documents for other resources answer
// InvalidResourceId.NotFound (localyun has none of them).
func resourcesParams(r *protocol.Request, need bool) (region string, ids []string, err error) {
	if region, err = regionOf(r); err != nil {
		return "", nil, err
	}
	rt, err := required(r, "ResourceType")
	if err != nil {
		return "", nil, err
	}
	ids = r.RepeatList("ResourceId")
	switch {
	case len(ids) > maxTagResources:
		return "", nil, errTooManyResourceIDs
	case len(ids) == 0 && need:
		return "", nil, errMissing("ResourceIds")
	case hasDuplicate(ids):
		return "", nil, errInvalidParameter("ResourceId")
	}
	for _, id := range ids {
		if protocol.CheckName(id, 1, 64) != nil {
			return "", nil, errResourceNotFound
		}
	}
	switch strings.ToLower(rt) {
	case "instance":
		return region, ids, nil
	case "disk", "snapshot", "image", "securitygroup", "volume", "eni", "ddh", "ddhcluster", "keypair", "launchtemplate",
		"reservedinstance", "snapshotpolicy", "elasticityassurance", "capacityreservation", "command", "invocation",
		"activation", "managedinstance":
		return "", nil, errResourceNotFound
	}
	return "", nil, errResourceTypeNotKnown
}

func parseTagResources(r *protocol.Request) (TagResourcesInput, error) {
	region, ids, err := resourcesParams(r, true)
	in := TagResourcesInput{RegionID: region, ResourceIDs: ids}
	if err != nil {
		return in, err
	}
	if in.Tags, err = tagsParam(r, "Tag", maxTagsPerCall, errTooManyTags); err != nil {
		return in, err
	}
	if len(in.Tags) == 0 {
		return in, errMissing("Tags")
	}
	return in, nil
}

func parseUntagResources(r *protocol.Request) (UntagResourcesInput, error) {
	region, ids, err := resourcesParams(r, true)
	in := UntagResourcesInput{RegionID: region, ResourceIDs: ids}
	if err != nil {
		return in, err
	}
	in.Keys = r.RepeatList("TagKey")
	if len(in.Keys) > maxTagsPerCall {
		return in, errTooManyTags
	}
	for _, k := range in.Keys {
		if protocol.CheckText(k, 1, 128) != nil {
			return in, errTagKeyMalformed
		}
	}
	if in.All, err = boolParam(r, "All"); err != nil {
		return in, err
	}
	if len(in.Keys) > 0 {
		in.All = false // All applies only without TagKey.N
	} else if !in.All {
		return in, errMissing("TagKey")
	}
	return in, nil
}

func parseListTagResources(r *protocol.Request) (ListTagResourcesInput, error) {
	region, ids, err := resourcesParams(r, false)
	in := ListTagResourcesInput{RegionID: region, ResourceIDs: ids}
	if err != nil {
		return in, err
	}
	if len(ids) == 0 {
		in.ResourceIDs = nil
	}
	if len(tagParams(r, "TagFilter")) > 0 {
		// Fuzzy TagFilter matching is not modelled: refused, never ignored.
		return in, localyun.NewError(http.StatusBadRequest, "InvalidParameter", `The specified parameter "TagFilter" is not supported by localyun; use Tag.N.`)
	}
	if in.Tags, err = tagFilters(r, "Tag"); err != nil {
		return in, err
	}
	if tok := r.Get("NextToken"); tok != "" {
		seq, idx, ok := strings.Cut(tok, "-")
		s, err1 := strconv.ParseInt(seq, 16, 64)
		i, err2 := strconv.Atoi(idx)
		if !ok || err1 != nil || err2 != nil || s <= 0 || i < 0 || i >= maxTagsPerResource {
			return in, errNextTokenMalformed
		}
		in.AfterSeq, in.AfterIndex = s, i
	}
	return in, nil
}
