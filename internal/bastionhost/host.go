package bastionhost

import (
	"context"
	"strings"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/protocol"
)

// The host family: CreateHost, GetHost, ListHosts, ModifyHost, DeleteHost.
// Their rules are in host_service.go.

func registerHosts(m *protocol.Mux, s *Service) {
	handleInstance(m, s, "CreateHost", parseCreateHost, func(ctx context.Context, in CreateHostInput) (any, error) {
		id, err := s.CreateHost(ctx, in)
		if err != nil {
			return nil, err
		}
		return createHostResponse{HostID: id}, nil
	})
	handleInstance(m, s, "GetHost", parseObjectRef("HostId"), func(ctx context.Context, in ObjectRef) (any, error) {
		h, err := s.GetHost(ctx, in)
		if err != nil {
			return nil, err
		}
		return getHostResponse{Host: hostDetailOf(h)}, nil
	})
	handleInstance(m, s, "ListHosts", parseListHosts, func(ctx context.Context, in ListHostsInput) (any, error) {
		hosts, total, err := s.ListHosts(ctx, in)
		if err != nil {
			return nil, err
		}
		out := listHostsResponse{TotalCount: int32(total), Hosts: []hostItem{}}
		for _, h := range hosts {
			out.Hosts = append(out.Hosts, hostItemOf(h))
		}
		return out, nil
	})
	handleInstance(m, s, "ModifyHost", parseModifyHost, func(ctx context.Context, in ModifyHostInput) (any, error) {
		return nil, s.ModifyHost(ctx, in)
	})
	handleInstance(m, s, "DeleteHost", parseObjectRef("HostId"), func(ctx context.Context, in ObjectRef) (any, error) {
		return nil, s.DeleteHost(ctx, in)
	})
}

// CreateHostInput is the parsed input of CreateHost: a host ValidateHost
// accepted.
type CreateHostInput struct {
	InstanceRef
	Host localyun.BastionHost
}

func parseCreateHost(r *protocol.Request) (CreateHostInput, error) {
	ref, err := parseInstanceRef(r)
	if err != nil {
		return CreateHostInput{}, err
	}
	for _, name := range []string{"HostName", "OSType", "Source", "ActiveAddressType"} {
		if _, err := required(r, name); err != nil {
			return CreateHostInput{}, err
		}
	}
	host := localyun.BastionHost{Name: r.Get("HostName"), Comment: r.Get("Comment"), OSType: r.Get("OSType"),
		Source: r.Get("Source"), SourceInstanceID: strings.TrimSpace(r.Get("SourceInstanceId")),
		InstanceRegionID: strings.TrimSpace(r.Get("InstanceRegionId")), ActiveAddressType: r.Get("ActiveAddressType"),
		PublicAddress: strings.TrimSpace(r.Get("HostPublicAddress")), PrivateAddress: strings.TrimSpace(r.Get("HostPrivateAddress")),
		NetworkDomainID: r.Get("NetworkDomainId")}
	n, ok, err := r.Int("InstanceMemberId")
	if err != nil {
		return CreateHostInput{}, errInvalid("InstanceMemberId", "must be an integer")
	}
	if ok {
		host.InstanceMemberID = n
	}
	if err := ValidateHost(&host); err != nil {
		return CreateHostInput{}, err
	}
	return CreateHostInput{InstanceRef: ref, Host: host}, nil
}

// ListHostsInput is the parsed input of ListHosts: the filter of the
// instance's hosts.
type ListHostsInput struct {
	InstanceRef
	Filter localyun.BastionHostFilter
}

// hostFilter parses the host filters shared by ListHosts and ListHostsFor*.
func hostFilter(r *protocol.Request) (localyun.BastionHostFilter, error) {
	f := localyun.BastionHostFilter{Name: r.Get("HostName"), Address: strings.TrimSpace(r.Get("HostAddress"))}
	var err error
	if f.OSType, err = enumParam(r, "OSType", "Linux", "Windows"); err != nil {
		return f, err
	}
	f.Offset, f.Limit, err = paging(r, 20)
	return f, err
}

func parseListHosts(r *protocol.Request) (ListHostsInput, error) {
	ref, err := parseInstanceRef(r)
	if err != nil {
		return ListHostsInput{}, err
	}
	f, err := hostFilter(r)
	if err != nil {
		return ListHostsInput{}, err
	}
	if f.Source, err = enumParam(r, "Source", localyun.BastionSourceLocal, localyun.BastionSourceEcs, localyun.BastionSourceRds); err != nil {
		return ListHostsInput{}, err
	}
	if f.SourceInstanceState, err = enumParam(r, "SourceInstanceState", "Normal", "Release"); err != nil {
		return ListHostsInput{}, err
	}
	f.SourceInstanceID, f.HostGroupID = r.Get("SourceInstanceId"), r.Get("HostGroupId")
	return ListHostsInput{InstanceRef: ref, Filter: f}, nil
}

// ModifyHostInput is the parsed input of ModifyHost: the parameters sent.
type ModifyHostInput struct {
	ObjectRef
	Update HostUpdate
}

func parseModifyHost(r *protocol.Request) (ModifyHostInput, error) {
	ref, err := parseObjectRef("HostId")(r)
	return ModifyHostInput{ObjectRef: ref, Update: HostUpdate{Name: optional(r, "HostName"), Comment: optional(r, "Comment"),
		OSType: optional(r, "OSType"), PublicAddress: optional(r, "HostPublicAddress"),
		PrivateAddress: optional(r, "HostPrivateAddress"), NetworkDomainID: optional(r, "NetworkDomainId"),
		PrefKex: optional(r, "PrefKex")}}, err
}

// hostProtocols lists the protocol of a host's OS with its port
// (ModifyHostsPort).
func hostProtocols(h localyun.BastionHost) []protocolItem {
	if h.OSType == "Windows" {
		return []protocolItem{{ProtocolName: "RDP", Port: int32(portOr(h.RDPPort, 3389))}}
	}
	return []protocolItem{{ProtocolName: "SSH", Port: int32(h.SSHPortOrDefault())}}
}

// portOr is port, or def when it is not set.
func portOr(port, def int) int {
	if port == 0 {
		return def
	}
	return port
}

func hostDetailOf(h localyun.BastionHost) hostDetail {
	return hostDetail{HostID: h.ID, HostName: h.Name, Comment: h.Comment, OSType: h.OSType,
		Source: h.Source, SourceInstanceID: h.SourceInstanceID, SourceInstanceState: h.SourceInstanceState,
		ActiveAddressType: h.ActiveAddressType, HostPublicAddress: h.PublicAddress, HostPrivateAddress: h.PrivateAddress,
		NetworkDomainID: h.NetworkDomainID, PrefKex: h.PrefKex, Protocols: hostProtocols(h)}
}

func hostItemOf(h localyun.BastionHost) hostItem {
	return hostItem{HostID: h.ID, HostName: h.Name, Comment: h.Comment, OSType: h.OSType,
		Source: h.Source, SourceInstanceID: h.SourceInstanceID, SourceInstanceState: h.SourceInstanceState,
		ActiveAddressType: h.ActiveAddressType, HostPublicAddress: h.PublicAddress, HostPrivateAddress: h.PrivateAddress,
		HostAccountCount: int32(h.AccountCount)}
}
