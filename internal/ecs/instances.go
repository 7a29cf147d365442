package ecs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/localyun/localyun"
)

// InstanceARN returns the ARN authorization decides an action on one
// instance of any region on (StartInstance, StopInstance, DeleteInstance):
// in the region the instance lives in. An instance that does not exist (the
// action then answers InvalidInstanceId.NotFound) is named in regionID when
// that is a region, else in "*".
func (s *Service) InstanceARN(ctx context.Context, p localyun.Principal, regionID, id string) ([]string, error) {
	insts, _, err := s.store.FindInstances(ctx, localyun.InstanceFilter{AccountID: p.AccountID, IDs: []string{id}})
	if err != nil {
		return nil, err
	}
	region := "*"
	switch {
	case len(insts) == 1:
		region = insts[0].RegionID
	case KnownRegion(regionID):
		region = regionID
	}
	return instanceARNs(p, region, []string{id}), nil
}

// RunInstances creates Amount running VPC instances of in's spec (see
// newInstances). With a ClientToken a retry gets the first request's
// instances (idempotency.go); with DryRun nothing is created.
func (s *Service) RunInstances(ctx context.Context, in RunInstancesInput) ([]string, error) {
	return s.createInstances(ctx, creation{action: "RunInstances", run: in, status: localyun.StatusRunning,
		sum: paramsDigest("RunInstances", in)})
}

// newInstances checks the RAM role of spec and returns amount instances of
// it, in status, created at now, with new ids: the instances of
// RunInstances (Running) and CreateInstance (Stopped). RAMRoleName is
// attached under the same checks as AttachInstanceRamRole. Disks, images,
// networks and security groups are not modelled: the network is derived
// (see InstanceNetwork), and an instance without a security group gets the
// default one of its VPC.
func (s *Service) newInstances(ctx context.Context, spec InstanceSpec, amount int, status string, now time.Time) ([]localyun.Instance, error) {
	account := accountOf(ctx)
	roleName := ""
	if spec.RAMRoleName != "" {
		role, err := s.findRole(ctx, spec.RAMRoleName)
		if err != nil {
			return nil, err
		}
		if !s.trustsECS(role.AssumeRolePolicyDocument) {
			return nil, errRAMRoleNotECS
		}
		if err := s.checkPassRole(ctx, role.Name); err != nil {
			return nil, err
		}
		roleName = role.Name
	}
	zone := spec.ZoneID
	if zone == "" {
		zone = spec.RegionID + "-a"
	}
	insts := make([]localyun.Instance, amount)
	for i := range insts {
		id := s.opts.NewID("instance")
		vpc, vswitch, ip := InstanceNetwork(account, spec.RegionID, zone, spec.VSwitchID, id)
		insts[i] = localyun.Instance{
			ID: id, AccountID: account, RegionID: spec.RegionID, ZoneID: zone, Name: spec.Name,
			Description: spec.Description, Status: status, NetworkType: localyun.NetworkVPC,
			VpcID: vpc, VSwitchID: vswitch, PrivateIP: ip,
			ImageID: spec.ImageID, InstanceType: spec.InstanceType, RAMRoleName: roleName, CreatedAt: now,
			HostName:   strings.ReplaceAll(spec.HostName, "${instance_id}", id),
			ChargeType: spec.ChargeType, ExpiresAt: spec.ExpiresAt(now), SecurityGroupIDs: spec.SecurityGroupIDs,
			Tags: spec.Tags, Metadata: spec.Metadata,
		}
		if insts[i].Name == "" {
			insts[i].Name = id
		}
		insts[i] = insts[i].WithDefaults()
	}
	return insts, nil
}

// InstanceNetwork derives the network facts localyun shows but does not
// model: the VSwitch (one per account and zone when none is given), the VPC
// (one per account, region and VSwitch) and a stable private IP.
func InstanceNetwork(accountID, regionID, zoneID, vswitchID, instanceID string) (vpc, vswitch, ip string) {
	vswitch = vswitchID
	if vswitch == "" {
		vswitch = "vsw-" + digest(accountID, zoneID)
	}
	h := sha256.Sum256([]byte(instanceID))
	return "vpc-" + digest(accountID, regionID, vswitch), vswitch, fmt.Sprintf("172.16.%d.%d", h[0], 1+h[1]%254)
}

func digest(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:])[:20]
}

// deleteInstances deletes instances of one region (and their role
// attachments) in one transaction, all or none: every one must exist
// (InvalidInstanceId.NotFound) and, without force, be Stopped
// (IncorrectInstanceStatus).
func (s *Service) deleteInstances(ctx context.Context, regionID string, ids []string, force bool) error {
	status := localyun.StatusStopped
	if force {
		status = "" // any
	}
	err := s.store.DeleteInstances(ctx, accountOf(ctx), regionID, ids, status)
	if errors.Is(err, localyun.ErrConflict) {
		return errIncorrectStatus
	}
	return instanceError(err)
}

// DeleteInstances deletes the instances of one region; see deleteInstances.
func (s *Service) DeleteInstances(ctx context.Context, in DeleteInstancesInput) error {
	if in.DryRun {
		return s.dryRunDelete(ctx, in.RegionID, in.InstanceIDs, in.Force)
	}
	return s.deleteInstances(ctx, in.RegionID, in.InstanceIDs, in.Force)
}

// DeleteInstance deletes one instance of any region; see deleteInstances.
func (s *Service) DeleteInstance(ctx context.Context, in DeleteInstanceInput) error {
	inst, err := s.findInstance(ctx, in.InstanceID)
	if err != nil {
		return err
	}
	if in.DryRun {
		return s.dryRunDelete(ctx, inst.RegionID, []string{inst.ID}, in.Force)
	}
	return s.deleteInstances(ctx, inst.RegionID, []string{inst.ID}, in.Force)
}

// StartInstance moves a Stopped instance of any region to Running.
func (s *Service) StartInstance(ctx context.Context, in StartInstanceInput) error {
	if in.DryRun {
		return s.dryRunSetStatus(ctx, in.InstanceID, localyun.StatusStopped)
	}
	return s.setStatus(ctx, in.InstanceID, localyun.StatusStopped, localyun.StatusRunning)
}

// StopInstance moves a Running instance of any region to Stopped.
func (s *Service) StopInstance(ctx context.Context, in StopInstanceInput) error {
	if in.DryRun {
		return s.dryRunSetStatus(ctx, in.InstanceID, localyun.StatusRunning)
	}
	return s.setStatus(ctx, in.InstanceID, localyun.StatusRunning, localyun.StatusStopped)
}

// setStatus moves an instance from one status to another, as a
// compare-and-set: IncorrectInstanceStatus when it is not in from.
func (s *Service) setStatus(ctx context.Context, id, from, to string) error {
	inst, err := s.findInstance(ctx, id)
	if err != nil {
		return err
	}
	err = s.store.SetInstanceStatus(ctx, inst.AccountID, inst.RegionID, inst.ID, from, to)
	if errors.Is(err, localyun.ErrConflict) {
		return errIncorrectStatus
	}
	return instanceError(err)
}

// InstancePage is one page of DescribeInstances.
type InstancePage struct {
	Instances  []localyun.Instance
	TotalCount int
	NextToken  string // NextToken paging: the token of the next page, "" at the end
}

// DescribeInstances lists the caller's instances matching the filters of
// in, one page of them.
func (s *Service) DescribeInstances(ctx context.Context, in DescribeInstancesInput) (InstancePage, error) {
	if in.DryRun {
		return InstancePage{}, errDryRunOperation
	}
	if in.Filters.None {
		return InstancePage{}, nil
	}
	f := in.Filters.Filter
	if f.NetworkType != "" && in.NetworkType != "" && f.NetworkType != in.NetworkType {
		return InstancePage{}, nil // PrivateIpAddresses are VPC addresses, InnerIpAddresses classic ones
	}
	if in.NetworkType != "" {
		f.NetworkType = in.NetworkType
	}
	f.AccountID, f.RegionID, f.IDs, f.Status, f.NamePattern = accountOf(ctx), in.RegionID, in.InstanceIDs, in.Status, in.NamePattern
	if in.TokenPaging {
		f.AfterSeq, f.Limit = in.AfterSeq, in.MaxResults+1 // one more tells whether a next page exists
	} else {
		f.Offset, f.Limit = (in.PageNumber-1)*in.PageSize, in.PageSize
	}
	insts, total, err := s.store.FindInstances(ctx, f)
	if err != nil {
		return InstancePage{}, err
	}
	page := InstancePage{Instances: insts, TotalCount: total}
	if in.TokenPaging && len(insts) > in.MaxResults {
		page.Instances = insts[:in.MaxResults]
		page.NextToken = strconv.FormatInt(insts[in.MaxResults-1].Seq, 16)
	}
	return page, nil
}

// Region is one ECS region as DescribeRegions lists it.
type Region struct {
	ID, Endpoint, LocalName string
}

// DescribeRegions lists every region, named in the language asked for
// (Chinese by default).
func (s *Service) DescribeRegions(_ context.Context, in DescribeRegionsInput) ([]Region, error) {
	out := make([]Region, len(regions))
	for i, rg := range regions {
		name := rg.ZH
		switch strings.ToLower(in.AcceptLanguage) {
		case "en-us":
			name = rg.EN
		case "ja":
			name = rg.JA
		}
		out[i] = Region{ID: rg.ID, Endpoint: rg.Endpoint, LocalName: name}
	}
	return out, nil
}
