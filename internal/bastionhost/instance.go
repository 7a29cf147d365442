package bastionhost

import (
	"context"
	"errors"
	"net"
	"strconv"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/protocol"
)

// The instance family: DescribeInstances and DescribeRegions, the two
// actions that name no single bastion instance, and
// DescribeInstanceAttribute.

// docInstancesARN documents InstancesARNs in docs/authorization.md.
const docInstancesARN = "acs:yundun-bastionhost:<region of each instance>:<uid>:instance/<InstanceId.N>, " +
	"or acs:yundun-bastionhost:<RegionId>:<uid>:instance/* without InstanceId.N"

func registerInstances(m *protocol.Mux, s *Service) {
	protocol.Handle(m, Product, protocol.Action[DescribeInstancesInput]{Name: "DescribeInstances",
		Resource: docInstancesARN, Parse: parseDescribeInstances,
		Resources: func(ctx context.Context, p localyun.Principal, in DescribeInstancesInput) ([]string, error) {
			return s.InstancesARNs(ctx, p, in.RegionID, in.IDs)
		},
		Serve: func(ctx context.Context, in DescribeInstancesInput) (any, error) {
			insts, total, err := s.DescribeInstances(ctx, in)
			if err != nil {
				return nil, err
			}
			out := describeInstancesResponse{TotalCount: int64(total), Instances: []instanceItem{}}
			for _, b := range insts {
				out.Instances = append(out.Instances, s.instanceItemOf(b))
			}
			return out, nil
		}})
	handleInstance(m, s, "DescribeInstanceAttribute", parseInstanceRef, func(ctx context.Context, in InstanceRef) (any, error) {
		b, err := s.DescribeInstanceAttribute(ctx, in)
		if err != nil {
			return nil, err
		}
		return describeInstanceAttributeResponse{InstanceAttribute: s.instanceAttributeOf(b)}, nil
	})
	protocol.Handle(m, Product, protocol.Action[DescribeRegionsInput]{Name: "DescribeRegions",
		Resource: "acs:yundun-bastionhost:<RegionId>:<uid>:instance/*", Parse: parseDescribeRegions,
		Resources: func(ctx context.Context, p localyun.Principal, in DescribeRegionsInput) ([]string, error) {
			return s.InstancesARNs(ctx, p, in.RegionID, nil)
		},
		Serve: func(ctx context.Context, in DescribeRegionsInput) (any, error) {
			out := describeRegionsResponse{Regions: []regionItem{}}
			for _, rg := range s.DescribeRegions(ctx, in) {
				out.Regions = append(out.Regions, regionItem{RegionID: rg.ID, LocalName: rg.LocalName, RegionEndpoint: rg.Endpoint})
			}
			return out, nil
		}})
}

// DescribeInstancesInput is the parsed input of DescribeInstances.
type DescribeInstancesInput struct {
	RegionID      string   // as sent; "" for every region
	IDs           []string // InstanceId.N; nil for every instance
	Status        string
	Offset, Limit int
}

// parseDescribeInstances reads InstanceId.N (at most 100), InstanceStatus,
// RegionId and integer paging (PageSize default 10).
func parseDescribeInstances(r *protocol.Request) (DescribeInstancesInput, error) {
	in := DescribeInstancesInput{RegionID: r.Get("RegionId"), IDs: r.RepeatList("InstanceId")}
	if len(in.IDs) > 100 {
		return in, errInvalid("InstanceId", "at most 100 ids")
	}
	var err error
	if in.Status, err = enumParam(r, "InstanceStatus", "PENDING", "CREATING", "RUNNING", "EXPIRED", "CREATE_FAILED",
		"UPGRADING", "UPGRADE_FAILED"); err != nil {
		return in, err
	}
	in.Offset, in.Limit, err = paging(r, 10)
	return in, err
}

// InstancesARNs are the resources of an action on several bastion
// instances: each of ids, in the region it really lives in (as
// InstanceARN), or every instance of regionID (instance/*) when ids is
// empty. An id the caller's account does not hold, and every instance
// without ids, is in regionID, or "*" when it is "".
func (s *Service) InstancesARNs(ctx context.Context, p localyun.Principal, regionID string, ids []string) ([]string, error) {
	if regionID == "" {
		regionID = "*"
	}
	arn := func(region, id string) string { return instanceARN(p.AccountID, region, id) }
	if len(ids) == 0 {
		return []string{arn(regionID, "*")}, nil
	}
	held, _, err := s.store.FindBastionInstances(ctx, localyun.BastionInstanceFilter{AccountID: p.AccountID, IDs: ids})
	if err != nil {
		return nil, err
	}
	regionOf := make(map[string]string, len(held))
	for _, b := range held {
		regionOf[b.ID] = b.RegionID
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		region, ok := regionOf[id]
		if !ok {
			region = regionID
		}
		out[i] = arn(region, id)
	}
	return out, nil
}

// DescribeInstances lists the caller's bastion instances and their total.
func (s *Service) DescribeInstances(ctx context.Context, in DescribeInstancesInput) ([]localyun.BastionInstance, int, error) {
	return s.store.FindBastionInstances(ctx, localyun.BastionInstanceFilter{AccountID: accountOf(ctx), RegionID: in.RegionID,
		IDs: in.IDs, Status: in.Status, Offset: in.Offset, Limit: in.Limit})
}

// DescribeInstanceAttribute returns one bastion instance of the caller's.
// Returns Commodity.BizError.InvalidStatus for an instance it does not
// hold (or not in RegionId, when sent).
func (s *Service) DescribeInstanceAttribute(ctx context.Context, ref InstanceRef) (localyun.BastionInstance, error) {
	b, err := s.store.FindBastionInstance(ctx, accountOf(ctx), ref.InstanceID)
	if errors.Is(err, localyun.ErrNotFound) || err == nil && ref.RegionID != "" && b.RegionID != ref.RegionID {
		return localyun.BastionInstance{}, errInstanceNotFound
	}
	return b, err
}

// StandardSSHPort is the product's O&M port for SSH (Ports.StandardPort).
const StandardSSHPort = 60022

// endpoint is where the bastion SSH gateway of this process listens for an
// instance now: its host (both InternetEndpoint and IntranetEndpoint, the
// one address localyun has) and its port. ok is false when the gateway is
// off or does not listen for the instance (made after the gateway
// started): then no endpoint is shown, rather than one nobody answers.
func (s *Service) endpoint(instanceID string) (host string, port int, ok bool) {
	if s.opts.SSHAddr == nil {
		return "", 0, false
	}
	addr := s.opts.SSHAddr(instanceID)
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, false
	}
	port, err = strconv.Atoi(portText)
	return host, port, err == nil && port > 0 && port <= 65535
}

func (s *Service) instanceItemOf(b localyun.BastionInstance) instanceItem {
	host, _, _ := s.endpoint(b.ID)
	return instanceItem{InstanceID: b.ID, InstanceStatus: b.Status, RegionID: b.RegionID,
		Description: b.Description, ImageVersion: imageVersion, LicenseCode: licenseCode, PlanCode: b.PlanCode,
		StartTime: b.CreatedAt.UnixMilli(), ExpireTime: b.ExpiresAt.UnixMilli(),
		InternetEndpoint: host, IntranetEndpoint: host,
		PublicNetworkAccess: true, VpcID: b.VpcID, VswitchID: b.VSwitchID}
}

func (s *Service) instanceAttributeOf(b localyun.BastionInstance) instanceAttribute {
	host, port, ok := s.endpoint(b.ID)
	ports := []portItem{}
	if ok {
		ports = append(ports, portItem{StandardPort: StandardSSHPort, CustomPort: int32(port)})
	}
	return instanceAttribute{InstanceID: b.ID, InstanceStatus: b.Status, RegionID: b.RegionID,
		Description: b.Description, ImageVersionName: imageVersion, LicenseCode: licenseCode,
		StartTime: b.CreatedAt.UnixMilli(), ExpireTime: b.ExpiresAt.UnixMilli(),
		InternetEndpoint: host, IntranetEndpoint: host, Ports: ports,
		PublicNetworkAccess: true, VpcID: b.VpcID, VswitchID: b.VSwitchID}
}

// What localyun says of every instance's edition.
const (
	imageVersion = "3.2.44"
	licenseCode  = "bhah_ent_50_asset"
)

// DescribeRegionsInput is the parsed input of DescribeRegions.
type DescribeRegionsInput struct {
	RegionID string // as sent, for the resource only
	Language string // zh-CN (default) or en-US
}

func parseDescribeRegions(r *protocol.Request) (DescribeRegionsInput, error) {
	lang, err := enumParam(r, "AcceptLanguage", "zh-CN", "en-US")
	return DescribeRegionsInput{RegionID: r.Get("RegionId"), Language: lang}, err
}

// Region is a Bastionhost region as DescribeRegions shows it.
type Region struct {
	ID, LocalName, Endpoint string
}

// DescribeRegions lists the Bastionhost regions, named in in.Language.
func (s *Service) DescribeRegions(_ context.Context, in DescribeRegionsInput) []Region {
	out := make([]Region, len(regions))
	for i, rg := range regions {
		name := rg.ZH
		if in.Language == "en-US" {
			name = rg.EN
		}
		out[i] = Region{ID: rg.ID, LocalName: name, Endpoint: endpointOf(rg.ID)}
	}
	return out
}
