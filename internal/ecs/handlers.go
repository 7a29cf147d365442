package ecs

import (
	"context"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/protocol"
)

// Product is ECS 2014-05-26 as the wire and RAM know it.
var Product = protocol.Product{Name: "Ecs", Version: "2014-05-26", Service: "ecs", DenyCode: "Forbidden.RAM",
	DenyMessage: "User not authorized to operate on the specified resource, or this API doesn't support RAM."}

// The ARN patterns of the rows, for docs/authorization.md.
const (
	docInstances         = "acs:ecs:<RegionId>:<uid>:instance/<id> (each id of InstanceIds)"
	docInstancesOrAll    = "acs:ecs:<RegionId>:<uid>:instance/<id> (each id of InstanceIds; instance/* without)"
	docInstanceAnyRegion = "acs:ecs:<the instance's region>:<uid>:instance/<InstanceId> (unknown instance: <RegionId> if a region, else *)"
)

// Register adds the ECS actions to m: one row per action, its input parsed
// once, authorized on Resources(input) and served by the Service method of
// the action's name.
func Register(m *protocol.Mux, s *Service) {
	h := handlers{s}
	protocol.Handle(m, Product, protocol.Action[DescribeRegionsInput]{Name: "DescribeRegions",
		Resource: "acs:ecs:<RegionId, * without>:<uid>:*",
		Parse:    parseDescribeRegions,
		Resources: func(_ context.Context, p localyun.Principal, in DescribeRegionsInput) ([]string, error) {
			region := in.RegionID
			if region == "" {
				region = "*"
			}
			return []string{"acs:ecs:" + region + ":" + p.AccountID + ":*"}, nil
		},
		Serve: h.describeRegions,
	})
	protocol.Handle(m, Product, protocol.Action[RunInstancesInput]{Name: "RunInstances",
		Resource: "acs:ecs:<RegionId>:<uid>:instance/*",
		Parse:    parseRunInstances,
		Resources: func(_ context.Context, p localyun.Principal, in RunInstancesInput) ([]string, error) {
			return instanceARNs(p, in.RegionID, nil), nil
		},
		Serve: h.runInstances,
	})
	registerCreateInstance(m, s)
	protocol.Handle(m, Product, protocol.Action[DeleteInstanceInput]{Name: "DeleteInstance",
		Resource: docInstanceAnyRegion,
		Parse:    parseDeleteInstance,
		Resources: func(ctx context.Context, p localyun.Principal, in DeleteInstanceInput) ([]string, error) {
			return s.InstanceARN(ctx, p, in.RegionID, in.InstanceID)
		},
		Serve: func(ctx context.Context, in DeleteInstanceInput) (any, error) { return nil, s.DeleteInstance(ctx, in) },
	})
	protocol.Handle(m, Product, protocol.Action[DeleteInstancesInput]{Name: "DeleteInstances",
		Resource: "acs:ecs:<RegionId>:<uid>:instance/<id> (each InstanceId.N)",
		Parse:    parseDeleteInstances,
		Resources: func(_ context.Context, p localyun.Principal, in DeleteInstancesInput) ([]string, error) {
			return instanceARNs(p, in.RegionID, in.InstanceIDs), nil
		},
		Serve: func(ctx context.Context, in DeleteInstancesInput) (any, error) {
			return nil, s.DeleteInstances(ctx, in)
		},
	})
	protocol.Handle(m, Product, protocol.Action[StartInstanceInput]{Name: "StartInstance",
		Resource: docInstanceAnyRegion,
		Parse:    parseStartInstance,
		Resources: func(ctx context.Context, p localyun.Principal, in StartInstanceInput) ([]string, error) {
			return s.InstanceARN(ctx, p, in.RegionID, in.InstanceID)
		},
		Serve: func(ctx context.Context, in StartInstanceInput) (any, error) { return nil, s.StartInstance(ctx, in) },
	})
	protocol.Handle(m, Product, protocol.Action[StopInstanceInput]{Name: "StopInstance",
		Resource: docInstanceAnyRegion,
		Parse:    parseStopInstance,
		Resources: func(ctx context.Context, p localyun.Principal, in StopInstanceInput) ([]string, error) {
			return s.InstanceARN(ctx, p, in.RegionID, in.InstanceID)
		},
		Serve: func(ctx context.Context, in StopInstanceInput) (any, error) { return nil, s.StopInstance(ctx, in) },
	})
	protocol.Handle(m, Product, protocol.Action[DescribeInstancesInput]{Name: "DescribeInstances",
		Resource: docInstancesOrAll,
		Parse:    parseDescribeInstances,
		Resources: func(_ context.Context, p localyun.Principal, in DescribeInstancesInput) ([]string, error) {
			return instanceARNs(p, in.RegionID, in.InstanceIDs), nil
		},
		Serve: h.describeInstances,
	})
	registerRAMRoles(m, s)
	registerInstanceActions(m, s)
}

// registerRAMRoles adds the instance RAM role actions, the seed document's
// DetachInstanceRamRole among them.
func registerRAMRoles(m *protocol.Mux, s *Service) {
	h := handlers{s}
	protocol.Handle(m, Product, protocol.Action[AttachInstanceRAMRoleInput]{Name: "AttachInstanceRamRole",
		Resource: docInstances,
		Parse:    parseAttachInstanceRAMRole,
		Resources: func(_ context.Context, p localyun.Principal, in AttachInstanceRAMRoleInput) ([]string, error) {
			return instanceARNs(p, in.RegionID, in.InstanceIDs), nil
		},
		Serve: h.attachInstanceRAMRole,
	})
	protocol.Handle(m, Product, protocol.Action[DetachInstanceRAMRoleInput]{Name: "DetachInstanceRamRole",
		Resource: docInstances,
		Parse:    parseDetachInstanceRAMRole,
		Resources: func(_ context.Context, p localyun.Principal, in DetachInstanceRAMRoleInput) ([]string, error) {
			return instanceARNs(p, in.RegionID, in.InstanceIDs), nil
		},
		Serve: h.detachInstanceRAMRole,
	})
	protocol.Handle(m, Product, protocol.Action[DescribeInstanceRAMRoleInput]{Name: "DescribeInstanceRamRole",
		Resource: docInstancesOrAll,
		Parse:    parseDescribeInstanceRAMRole,
		Resources: func(_ context.Context, p localyun.Principal, in DescribeInstanceRAMRoleInput) ([]string, error) {
			return instanceARNs(p, in.RegionID, in.InstanceIDs), nil
		},
		Serve: h.describeInstanceRAMRole,
	})
}

// instanceARNs are the ARNs of the instances ids of a region, or
// instance/* for nil ids (every instance, or one not created yet).
func instanceARNs(p localyun.Principal, regionID string, ids []string) []string {
	prefix := "acs:ecs:" + regionID + ":" + p.AccountID + ":instance/"
	if ids == nil {
		return []string{prefix + "*"}
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = prefix + id
	}
	return out
}

// handlers are the Serve functions of the rows: each calls the Service
// method of its action's name and builds the response.
type handlers struct{ s *Service }

func (h handlers) runInstances(ctx context.Context, in RunInstancesInput) (any, error) {
	ids, err := h.s.RunInstances(ctx, in)
	if err != nil {
		return nil, err
	}
	out := runInstancesResponse{}
	out.InstanceIDSets.InstanceIDSet = ids
	return out, nil
}

func (h handlers) describeRegions(ctx context.Context, in DescribeRegionsInput) (any, error) {
	regions, err := h.s.DescribeRegions(ctx, in)
	if err != nil {
		return nil, err
	}
	out := describeRegionsResponse{}
	out.Regions.Region = make([]regionItem, len(regions))
	for i, rg := range regions {
		out.Regions.Region[i] = regionItem{RegionID: rg.ID, LocalName: rg.LocalName, RegionEndpoint: rg.Endpoint, Status: "available"}
	}
	return out, nil
}

func (h handlers) describeInstances(ctx context.Context, in DescribeInstancesInput) (any, error) {
	page, err := h.s.DescribeInstances(ctx, in)
	if err != nil {
		return nil, err
	}
	out := describeInstancesResponse{TotalCount: page.TotalCount, NextToken: page.NextToken}
	if in.TokenPaging {
		out.PageSize = in.MaxResults
	} else {
		out.PageNumber, out.PageSize = in.PageNumber, in.PageSize
	}
	out.Instances.Instance = instanceItems(page.Instances)
	return out, nil
}

func instanceItems(insts []localyun.Instance) []instanceItem {
	items := make([]instanceItem, len(insts))
	for i, in := range insts {
		it := instanceItem{
			InstanceID: in.ID, InstanceName: in.Name, Description: in.Description, RegionID: in.RegionID,
			ZoneID: in.ZoneID, Status: in.Status, InstanceNetworkType: in.NetworkType,
			InstanceType: in.InstanceType, ImageID: in.ImageID, CreationTime: in.CreatedAt.UTC().Format("2006-01-02T15:04Z"),
		}
		it.instanceModel = modelOf(in)
		it.VpcAttributes.PrivateIPAddress.IPAddress = []string{}
		it.InnerIPAddress.IPAddress = []string{}
		it.PublicIPAddress.IPAddress = []string{}
		if in.NetworkType == localyun.NetworkVPC {
			it.VpcAttributes.VpcID, it.VpcAttributes.VSwitchID = in.VpcID, in.VSwitchID
			it.VpcAttributes.PrivateIPAddress.IPAddress = []string{in.PrivateIP}
		} else {
			it.InnerIPAddress.IPAddress = []string{in.PrivateIP}
		}
		items[i] = it
	}
	return items
}

func (h handlers) attachInstanceRAMRole(ctx context.Context, in AttachInstanceRAMRoleInput) (any, error) {
	name, results, err := h.s.AttachInstanceRAMRole(ctx, in)
	if err != nil {
		return nil, err
	}
	out := attachResponse{RAMRoleName: name, TotalCount: len(results)}
	out.Results.Result = make([]attachResult, len(results))
	for i, res := range results {
		out.Results.Result[i] = attachResult{InstanceID: res.InstanceID, Code: res.Code, Message: res.Message, Success: res.Success}
		if !res.Success {
			out.FailCount++
		}
	}
	return out, nil
}

func (h handlers) detachInstanceRAMRole(ctx context.Context, in DetachInstanceRAMRoleInput) (any, error) {
	name, results, err := h.s.DetachInstanceRAMRole(ctx, in)
	if err != nil {
		return nil, err
	}
	out := detachResponse{RAMRoleName: name, TotalCount: len(results)}
	out.Results.Result = make([]detachResult, len(results))
	for i, res := range results {
		item := detachResult{InstanceID: res.InstanceID, Code: res.Code, Message: res.Message, Success: res.Success}
		item.Sets.Set = []roleSet{}
		if res.Success {
			item.Sets.Set = []roleSet{{InstanceID: res.InstanceID, RAMRoleName: res.RAMRoleName}}
		} else {
			out.FailCount++
		}
		out.Results.Result[i] = item
	}
	return out, nil
}

func (h handlers) describeInstanceRAMRole(ctx context.Context, in DescribeInstanceRAMRoleInput) (any, error) {
	rows, total, err := h.s.DescribeInstanceRAMRole(ctx, in)
	if err != nil {
		return nil, err
	}
	out := describeRoleResponse{RegionID: in.RegionID, TotalCount: total}
	out.Sets.Set = make([]roleSet, len(rows))
	for i, row := range rows {
		out.Sets.Set[i] = roleSet(row)
	}
	return out, nil
}
