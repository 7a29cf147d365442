package ecs

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/auth"
	"github.com/localyun/localyun/internal/protocol"
)

// Product is ECS 2014-05-26 as the wire and RAM know it.
var Product = protocol.Product{Name: "Ecs", Version: "2014-05-26", Service: "ecs", DenyCode: "Forbidden.RAM",
	DenyMessage: "User not authorized to operate on the specified resource, or this API doesn't support RAM."}

// Register adds the ECS actions to m.
func Register(m *protocol.Mux, s *Service) {
	h := handlers{s}
	for action, fn := range map[string]protocol.Handler{
		"DescribeRegions":         h.describeRegions,
		"RunInstances":            h.runInstances,
		"DeleteInstance":          h.deleteInstance,
		"DeleteInstances":         h.deleteInstances,
		"StartInstance":           h.startInstance,
		"StopInstance":            h.stopInstance,
		"DescribeInstances":       h.describeInstances,
		"AttachInstanceRamRole":   h.attachInstanceRAMRole,
		"DetachInstanceRamRole":   h.detachInstanceRAMRole,
		"DescribeInstanceRamRole": h.describeInstanceRAMRole,
	} {
		auth.Legacy(m, Product, action, fn)
	}
}

type handlers struct{ s *Service }

// required returns a parameter that must be present and non-empty.
func required(r *protocol.Request, name string) (string, error) {
	v := strings.TrimSpace(r.Get(name))
	if v == "" {
		return "", errMissing(name)
	}
	return v, nil
}

// regionOf returns the RegionId of a request, which must be a known region.
func regionOf(r *protocol.Request) (string, error) {
	id, err := required(r, "RegionId")
	if err != nil {
		return "", err
	}
	if !KnownRegion(id) {
		return "", errRegionNotFound
	}
	return id, nil
}

// ParseInstanceIDs parses the InstanceIds parameter: a JSON array of 1 to
// max distinct, non-empty instance ids.
func ParseInstanceIDs(s string, max int) ([]string, error) {
	var ids []string
	if err := json.Unmarshal([]byte(s), &ids); err != nil || len(ids) == 0 {
		return nil, errInstanceIDsMalformed
	}
	if len(ids) > max {
		return nil, errInstanceIDsMalformed
	}
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if id == "" || len(id) > 64 || seen[id] {
			return nil, errInstanceIDsMalformed
		}
		seen[id] = true
	}
	return ids, nil
}

// intParam parses an optional integer parameter within [min, max].
func intParam(r *protocol.Request, name string, def, min, max int) (int, error) {
	n, ok, err := r.Int(name)
	if err != nil || (ok && (n < int64(min) || n > int64(max))) {
		return 0, errInvalidParameter(name)
	}
	if !ok {
		return def, nil
	}
	return int(n), nil
}

func boolParam(r *protocol.Request, name string) (bool, error) {
	b, _, err := r.Bool(name)
	if err != nil {
		return false, errInvalidParameter(name)
	}
	return b, nil
}

// describeRegions serves DescribeRegions (2014-05-26).
func (h handlers) describeRegions(ctx context.Context, r *protocol.Request) (any, error) {
	lang := r.Get("AcceptLanguage")
	switch strings.ToLower(lang) {
	case "", "zh-cn", "en-us", "ja":
	default:
		return nil, errLanguageNotFound
	}
	switch rt := r.Get("ResourceType"); rt {
	case "", "instance", "disk", "reservedinstance", "scu":
	default:
		return nil, errResourceTypeNotFound
	}
	out := describeRegionsResponse{}
	out.Regions.Region = make([]regionItem, len(regions))
	for i, rg := range regions {
		name := rg.ZH
		switch strings.ToLower(lang) {
		case "en-us":
			name = rg.EN
		case "ja":
			name = rg.JA
		}
		out.Regions.Region[i] = regionItem{RegionID: rg.ID, LocalName: name, RegionEndpoint: rg.Endpoint, Status: "available"}
	}
	return out, nil
}

// runInstances serves RunInstances (2014-05-26). Instances start Running in
// a VPC; disks, images and networks are not modelled.
func (h handlers) runInstances(ctx context.Context, r *protocol.Request) (any, error) {
	region, err := regionOf(r)
	if err != nil {
		return nil, err
	}
	in := RunInstancesInput{RegionID: region, ZoneID: r.Get("ZoneId"), VSwitchID: r.Get("VSwitchId"),
		Name: r.Get("InstanceName"), Description: r.Get("Description"), RAMRoleName: strings.TrimSpace(r.Get("RamRoleName"))}
	if in.ImageID, err = required(r, "ImageId"); err != nil {
		return nil, err
	}
	if in.InstanceType, err = required(r, "InstanceType"); err != nil {
		return nil, err
	}
	n, ok, err := r.Int("Amount")
	switch {
	case err != nil || ok && (n < 1 || n > 100):
		return nil, errAmountMalformed
	case ok:
		in.Amount = int(n)
	default:
		in.Amount = 1
	}
	if utf8.RuneCountInString(in.Name) > 128 || !utf8.ValidString(in.Name) {
		return nil, errNameMalformed
	}
	if utf8.RuneCountInString(in.Description) > 256 || !utf8.ValidString(in.Description) {
		return nil, errInvalidParameter("Description")
	}
	ids, err := h.s.RunInstances(ctx, in)
	if err != nil {
		return nil, err
	}
	out := runInstancesResponse{}
	out.InstanceIDSets.InstanceIDSet = ids
	return out, nil
}

// deleteInstance serves DeleteInstance (2014-05-26). A running instance
// needs Force=true.
func (h handlers) deleteInstance(ctx context.Context, r *protocol.Request) (any, error) {
	id, err := required(r, "InstanceId")
	if err != nil {
		return nil, err
	}
	force, err := boolParam(r, "Force")
	if err != nil {
		return nil, err
	}
	return nil, h.s.DeleteInstance(ctx, id, force)
}

// deleteInstances serves DeleteInstances (2014-05-26): InstanceId.N, 1 to 100.
func (h handlers) deleteInstances(ctx context.Context, r *protocol.Request) (any, error) {
	region, err := regionOf(r)
	if err != nil {
		return nil, err
	}
	ids := r.RepeatList("InstanceId")
	if len(ids) == 0 {
		return nil, errMissing("InstanceId")
	}
	if len(ids) > 100 {
		return nil, errTooManyInstanceIDs
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if id == "" || seen[id] {
			return nil, errInvalidParameter("InstanceId")
		}
		seen[id] = true
	}
	force, err := boolParam(r, "Force")
	if err != nil {
		return nil, err
	}
	return nil, h.s.DeleteInstances(ctx, region, ids, force)
}

func (h handlers) startInstance(ctx context.Context, r *protocol.Request) (any, error) {
	id, err := required(r, "InstanceId")
	if err != nil {
		return nil, err
	}
	return nil, h.s.SetInstanceStatus(ctx, id, localyun.StatusStopped, localyun.StatusRunning)
}

func (h handlers) stopInstance(ctx context.Context, r *protocol.Request) (any, error) {
	id, err := required(r, "InstanceId")
	if err != nil {
		return nil, err
	}
	return nil, h.s.SetInstanceStatus(ctx, id, localyun.StatusRunning, localyun.StatusStopped)
}

// describeInstances serves DescribeInstances (2014-05-26) with the filters
// RegionId, InstanceIds, InstanceNetworkType, Status, InstanceName, VpcId
// and PageNumber/PageSize or NextToken/MaxResults paging.
func (h handlers) describeInstances(ctx context.Context, r *protocol.Request) (any, error) {
	region, err := regionOf(r)
	if err != nil {
		return nil, err
	}
	f := localyun.InstanceFilter{RegionID: region, NamePattern: r.Get("InstanceName")}
	if s := r.Get("InstanceIds"); s != "" {
		if f.IDs, err = ParseInstanceIDs(s, 100); err != nil {
			return nil, err
		}
	}
	switch nt := r.Get("InstanceNetworkType"); nt {
	case "", localyun.NetworkVPC, localyun.NetworkClassic:
		f.NetworkType = nt
	default:
		return nil, errNetworkTypeNotFound
	}
	switch st := r.Get("Status"); st {
	case "", localyun.StatusPending, localyun.StatusRunning, localyun.StatusStarting, localyun.StatusStopping, localyun.StatusStopped:
		f.Status = st
	default:
		return nil, errStatusNotFound
	}
	out := describeInstancesResponse{}
	tokenPaging := r.Get("NextToken") != "" || r.Get("MaxResults") != ""
	if tokenPaging {
		max, err := intParam(r, "MaxResults", 10, 1, 100)
		if err != nil {
			return nil, err
		}
		if tok := r.Get("NextToken"); tok != "" {
			seq, err := strconv.ParseInt(tok, 16, 64)
			if err != nil || seq <= 0 {
				return nil, errInvalidParameter("NextToken")
			}
			f.AfterSeq = seq
		}
		f.Limit = max + 1
		insts, total, err := h.s.DescribeInstances(ctx, f)
		if err != nil {
			return nil, err
		}
		if len(insts) > max {
			insts = insts[:max]
			out.NextToken = strconv.FormatInt(insts[max-1].Seq, 16)
		}
		out.TotalCount, out.PageSize = total, max
		out.Instances.Instance = instanceItems(insts)
		return out, nil
	}
	page, err := intParam(r, "PageNumber", 1, 1, 1<<30)
	if err != nil {
		return nil, err
	}
	size, err := intParam(r, "PageSize", 10, 1, 100)
	if err != nil {
		return nil, err
	}
	f.Offset, f.Limit = (page-1)*size, size
	insts, total, err := h.s.DescribeInstances(ctx, f)
	if err != nil {
		return nil, err
	}
	out.TotalCount, out.PageNumber, out.PageSize = total, page, size
	out.Instances.Instance = instanceItems(insts)
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

// instanceIDsParam reads the mandatory InstanceIds of the RAM-role actions.
func instanceIDsParam(r *protocol.Request, max int) ([]string, error) {
	s, err := required(r, "InstanceIds")
	if err != nil {
		return nil, err
	}
	return ParseInstanceIDs(s, max)
}

// attachInstanceRAMRole serves AttachInstanceRamRole (2014-05-26). The
// optional Policy is validated but not applied (there is no metadata
// service yet to scope credentials with it).
func (h handlers) attachInstanceRAMRole(ctx context.Context, r *protocol.Request) (any, error) {
	region, err := regionOf(r)
	if err != nil {
		return nil, err
	}
	ids, err := instanceIDsParam(r, 100)
	if err != nil {
		return nil, err
	}
	role, err := required(r, "RamRoleName")
	if err != nil {
		return nil, err
	}
	if p := r.Get("Policy"); r.Has("Policy") {
		var doc map[string]any
		if len(p) < 1 || len(p) > 1024 || json.Unmarshal([]byte(p), &doc) != nil {
			return nil, errPolicyMalformed
		}
	}
	name, results, err := h.s.AttachInstanceRAMRole(ctx, region, ids, role)
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

// detachInstanceRAMRole serves DetachInstanceRamRole (2014-05-26), the
// seed document: RegionId, InstanceIds (1 to 100), optional RamRoleName.
func (h handlers) detachInstanceRAMRole(ctx context.Context, r *protocol.Request) (any, error) {
	region, err := regionOf(r)
	if err != nil {
		return nil, err
	}
	ids, err := instanceIDsParam(r, 100)
	if err != nil {
		return nil, err
	}
	name, results, err := h.s.DetachInstanceRAMRole(ctx, region, ids, strings.TrimSpace(r.Get("RamRoleName")))
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

// describeInstanceRAMRole serves DescribeInstanceRamRole (2014-05-26).
func (h handlers) describeInstanceRAMRole(ctx context.Context, r *protocol.Request) (any, error) {
	region, err := regionOf(r)
	if err != nil {
		return nil, err
	}
	var ids []string
	if s := strings.TrimSpace(r.Get("InstanceIds")); s != "" {
		if ids, err = ParseInstanceIDs(s, 100); err != nil {
			return nil, err
		}
	}
	role := strings.TrimSpace(r.Get("RamRoleName"))
	if ids == nil && role == "" {
		return nil, errAllEmpty
	}
	page, err := intParam(r, "PageNumber", 1, 1, 1<<30)
	if err != nil {
		return nil, err
	}
	size, err := intParam(r, "PageSize", 10, 1, 50)
	if err != nil {
		return nil, err
	}
	rows, total, err := h.s.DescribeInstanceRAMRole(ctx, region, ids, role, page, size)
	if err != nil {
		return nil, err
	}
	out := describeRoleResponse{RegionID: region, TotalCount: total}
	out.Sets.Set = make([]roleSet, len(rows))
	for i, row := range rows {
		out.Sets.Set[i] = roleSet{InstanceID: row.InstanceID, RAMRoleName: row.RAMRoleName}
	}
	return out, nil
}
