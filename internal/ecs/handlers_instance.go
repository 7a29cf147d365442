package ecs

import (
	"context"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/protocol"
)

// registerInstanceActions adds the instance attribute, status, tag and
// metadata actions.
func registerInstanceActions(m *protocol.Mux, s *Service) {
	h := handlers{s}
	protocol.Handle(m, Product, protocol.Action[DescribeInstanceAttributeInput]{Name: "DescribeInstanceAttribute",
		Resource: docInstanceAnyRegion,
		Parse:    parseDescribeInstanceAttribute,
		Resources: func(ctx context.Context, p localyun.Principal, in DescribeInstanceAttributeInput) ([]string, error) {
			return s.InstanceARN(ctx, p, "", in.InstanceID)
		},
		Serve: h.describeInstanceAttribute,
	})
	protocol.Handle(m, Product, protocol.Action[DescribeInstanceStatusInput]{Name: "DescribeInstanceStatus",
		Resource: "acs:ecs:<RegionId>:<uid>:instance/<id> (each InstanceId.N; instance/* without)",
		Parse:    parseDescribeInstanceStatus,
		Resources: func(_ context.Context, p localyun.Principal, in DescribeInstanceStatusInput) ([]string, error) {
			return instanceARNs(p, in.RegionID, in.InstanceIDs), nil
		},
		Serve: h.describeInstanceStatus,
	})
	protocol.Handle(m, Product, protocol.Action[ModifyInstanceAttributeInput]{Name: "ModifyInstanceAttribute",
		Resource: docInstanceAnyRegion,
		Parse:    parseModifyInstanceAttribute,
		Resources: func(ctx context.Context, p localyun.Principal, in ModifyInstanceAttributeInput) ([]string, error) {
			return s.InstanceARN(ctx, p, in.RegionID, in.InstanceID)
		},
		Serve: func(ctx context.Context, in ModifyInstanceAttributeInput) (any, error) {
			return nil, s.ModifyInstanceAttribute(ctx, in)
		},
	})
	protocol.Handle(m, Product, protocol.Action[ModifyInstanceMetadataOptionsInput]{Name: "ModifyInstanceMetadataOptions",
		Resource: "acs:ecs:<RegionId>:<uid>:instance/<InstanceId>",
		Parse:    parseModifyInstanceMetadataOptions,
		Resources: func(_ context.Context, p localyun.Principal, in ModifyInstanceMetadataOptionsInput) ([]string, error) {
			return instanceARNs(p, in.RegionID, []string{in.InstanceID}), nil
		},
		Serve: func(ctx context.Context, in ModifyInstanceMetadataOptionsInput) (any, error) {
			return nil, s.ModifyInstanceMetadataOptions(ctx, in)
		},
	})
	registerTagActions(m, s)
}

// registerTagActions adds TagResources, UntagResources and
// ListTagResources (ResourceType instance).
func registerTagActions(m *protocol.Mux, s *Service) {
	h := handlers{s}
	protocol.Handle(m, Product, protocol.Action[TagResourcesInput]{Name: "TagResources",
		Resource: "acs:ecs:<RegionId>:<uid>:instance/<id> (each ResourceId.N)",
		Parse:    parseTagResources,
		Resources: func(_ context.Context, p localyun.Principal, in TagResourcesInput) ([]string, error) {
			return instanceARNs(p, in.RegionID, in.ResourceIDs), nil
		},
		Serve: func(ctx context.Context, in TagResourcesInput) (any, error) { return nil, s.TagResources(ctx, in) },
	})
	protocol.Handle(m, Product, protocol.Action[UntagResourcesInput]{Name: "UntagResources",
		Resource: "acs:ecs:<RegionId>:<uid>:instance/<id> (each ResourceId.N)",
		Parse:    parseUntagResources,
		Resources: func(_ context.Context, p localyun.Principal, in UntagResourcesInput) ([]string, error) {
			return instanceARNs(p, in.RegionID, in.ResourceIDs), nil
		},
		Serve: func(ctx context.Context, in UntagResourcesInput) (any, error) { return nil, s.UntagResources(ctx, in) },
	})
	protocol.Handle(m, Product, protocol.Action[ListTagResourcesInput]{Name: "ListTagResources",
		Resource: "acs:ecs:<RegionId>:<uid>:instance/<id> (each ResourceId.N; instance/* without)",
		Parse:    parseListTagResources,
		Resources: func(_ context.Context, p localyun.Principal, in ListTagResourcesInput) ([]string, error) {
			return instanceARNs(p, in.RegionID, in.ResourceIDs), nil
		},
		Serve: h.listTagResources,
	})
}

// modelOf is the wire form of the model fields of an instance.
func modelOf(in localyun.Instance) instanceModel {
	cpu, mem := InstanceShape(in.InstanceType)
	osType, osName, osNameEn := ImageOS(in.ImageID)
	m := instanceModel{Cpu: cpu, Memory: mem, InstanceTypeFamily: InstanceTypeFamily(in.InstanceType),
		OSType: osType, OSName: osName, OSNameEn: osNameEn, HostName: in.HostName,
		InstanceChargeType: in.ChargeType, InternetChargeType: internetChargeType,
		ExpiredTime: in.ExpiresAt.UTC().Format("2006-01-02T15:04Z"), StartTime: in.CreatedAt.UTC().Format("2006-01-02T15:04Z"),
		SerialNumber: serialNumber(in.ID), StoppedMode: "Not-applicable",
		MetadataOptions: metadataOptions{HTTPEndpoint: in.Metadata.HTTPEndpoint, HTTPTokens: in.Metadata.HTTPTokens,
			HopLimit: in.Metadata.HopLimit},
	}
	if in.Status == localyun.StatusStopped {
		m.StoppedMode = "KeepCharging"
	}
	m.SecurityGroupIDs.SecurityGroupID = append([]string{}, in.SecurityGroupIDs...)
	m.Tags.Tag = make([]tagItem, len(in.Tags))
	for i, t := range in.Tags {
		m.Tags.Tag[i] = tagItem{TagKey: t.Key, TagValue: t.Value}
	}
	m.OperationLocks.LockReason = []struct{}{}
	return m
}

// serialNumber is a stable UUID-shaped serial number of an instance.
func serialNumber(id string) string {
	d := digest("serial", id) + digest("number", id)
	return d[:8] + "-" + d[8:12] + "-" + d[12:16] + "-" + d[16:20] + "-" + d[20:32]
}

func (h handlers) describeInstanceAttribute(ctx context.Context, in DescribeInstanceAttributeInput) (any, error) {
	inst, err := h.s.DescribeInstanceAttribute(ctx, in)
	if err != nil {
		return nil, err
	}
	return instanceItems([]localyun.Instance{inst})[0], nil
}

func (h handlers) describeInstanceStatus(ctx context.Context, in DescribeInstanceStatusInput) (any, error) {
	insts, total, err := h.s.DescribeInstanceStatus(ctx, in)
	if err != nil {
		return nil, err
	}
	out := describeInstanceStatusResponse{TotalCount: total, PageNumber: in.PageNumber, PageSize: in.PageSize}
	out.InstanceStatuses.InstanceStatus = make([]instanceStatus, len(insts))
	for i, inst := range insts {
		out.InstanceStatuses.InstanceStatus[i] = instanceStatus{InstanceID: inst.ID, Status: inst.Status}
	}
	return out, nil
}

func (h handlers) listTagResources(ctx context.Context, in ListTagResourcesInput) (any, error) {
	pairs, next, err := h.s.ListTagResources(ctx, in)
	if err != nil {
		return nil, err
	}
	out := listTagResourcesResponse{NextToken: next}
	out.TagResources.TagResource = make([]tagResourceItem, len(pairs))
	for i, p := range pairs {
		out.TagResources.TagResource[i] = tagResourceItem{ResourceID: p.InstanceID, ResourceType: "instance",
			TagKey: p.Tag.Key, TagValue: p.Tag.Value}
	}
	return out, nil
}
