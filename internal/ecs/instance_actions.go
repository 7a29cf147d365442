package ecs

import (
	"context"
	"errors"
	"strconv"

	"github.com/localyun/localyun"
)

// DescribeInstanceAttribute returns one instance of the caller's, in any
// region. Returns InvalidInstanceId.NotFound.
func (s *Service) DescribeInstanceAttribute(ctx context.Context, in DescribeInstanceAttributeInput) (localyun.Instance, error) {
	return s.findInstance(ctx, in.InstanceID)
}

// DescribeInstanceStatus lists one page of the statuses of the caller's
// instances of a region (of the ids and zone asked for, if any); ids that
// do not exist there are left out.
func (s *Service) DescribeInstanceStatus(ctx context.Context, in DescribeInstanceStatusInput) ([]localyun.Instance, int, error) {
	return s.store.FindInstances(ctx, localyun.InstanceFilter{AccountID: accountOf(ctx), RegionID: in.RegionID,
		IDs: in.InstanceIDs, ZoneID: in.ZoneID, Offset: (in.PageNumber - 1) * in.PageSize, Limit: in.PageSize})
}

// ModifyInstanceAttribute changes the name, description, host name or
// security groups of an instance of any region. A Windows instance's host
// name must keep the Windows limits (InvalidHostName.Malformed).
func (s *Service) ModifyInstanceAttribute(ctx context.Context, in ModifyInstanceAttributeInput) error {
	inst, err := s.findInstance(ctx, in.InstanceID)
	if err != nil {
		return err
	}
	if h := in.Update.HostName; h != nil && !validHostName(*h, inst.ImageID) {
		return errHostNameMalformed
	}
	return instanceError(s.store.UpdateInstance(ctx, inst.AccountID, inst.ID, in.Update))
}

// ModifyInstanceMetadataOptions sets the metadata options sent of an
// instance of the region; the others stay.
func (s *Service) ModifyInstanceMetadataOptions(ctx context.Context, in ModifyInstanceMetadataOptionsInput) error {
	insts, err := s.findInstances(ctx, in.RegionID, []string{in.InstanceID})
	if err != nil {
		return err
	}
	// The store sets only the options sent (zero ones stay as stored).
	opts := in.Options
	return instanceError(s.store.UpdateInstance(ctx, insts[0].AccountID, in.InstanceID, localyun.InstanceUpdate{Metadata: &opts}))
}

// TagResources adds the tags to every instance named, all or none:
// InvalidResourceId.NotFound unless all exist in the region,
// OperationDenied.QuotaExceed if one would hold more than 20 tags.
func (s *Service) TagResources(ctx context.Context, in TagResourcesInput) error {
	err := s.store.TagInstances(ctx, accountOf(ctx), in.RegionID, in.ResourceIDs, in.Tags, maxTagsPerResource)
	return tagError(err)
}

// UntagResources removes the keys (or, with All, every tag) from every
// instance named, all or none: InvalidResourceId.NotFound unless all
// exist in the region. A key an instance does not hold is no error.
func (s *Service) UntagResources(ctx context.Context, in UntagResourcesInput) error {
	return tagError(s.store.UntagInstances(ctx, accountOf(ctx), in.RegionID, in.ResourceIDs, in.Keys, in.All))
}

func tagError(err error) error {
	switch {
	case errors.Is(err, localyun.ErrNotFound):
		return errResourceNotFound
	case errors.Is(err, localyun.ErrConflict):
		return errTagQuota
	}
	return err
}

// TagResource is one (instance, tag) pair of ListTagResources.
type TagResource struct {
	InstanceID string
	Tag        localyun.Tag
}

// tagPageSize is how many pairs a ListTagResources page holds.
const tagPageSize = 50

// ListTagResources lists one page of the tags of the caller's instances of
// the region, by instance creation then tag order: of the instances named
// (every tagged one if none), those holding every tag of the filter; a
// filtered listing lists only the tags of the filter. The next page's
// token is "" at the end.
func (s *Service) ListTagResources(ctx context.Context, in ListTagResourcesInput) ([]TagResource, string, error) {
	f := localyun.InstanceFilter{AccountID: accountOf(ctx), RegionID: in.RegionID, IDs: in.ResourceIDs, Tags: in.Tags,
		Tagged: true, AfterSeq: in.AfterSeq - 1, Limit: tagPageSize + 1}
	insts, _, err := s.store.FindInstances(ctx, f)
	if err != nil {
		return nil, "", err
	}
	var out []TagResource
	for _, inst := range insts {
		for i, t := range inst.Tags {
			if inst.Seq == in.AfterSeq && i < in.AfterIndex || !listed(t, in.Tags) {
				continue
			}
			if len(out) == tagPageSize {
				return out, strconv.FormatInt(inst.Seq, 16) + "-" + strconv.Itoa(i), nil
			}
			out = append(out, TagResource{InstanceID: inst.ID, Tag: t})
		}
	}
	return out, "", nil
}

// listed reports whether a tag is listed under the filters: every tag
// without filters, else the tags they name.
func listed(t localyun.Tag, filters []localyun.TagFilter) bool {
	if len(filters) == 0 {
		return true
	}
	for _, f := range filters {
		if f.Key == t.Key && (f.AnyValue || f.Value == t.Value) {
			return true
		}
	}
	return false
}
