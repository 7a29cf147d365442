package explain

import (
	"context"
	"errors"
	"net/http"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/auth"
	"github.com/localyun/localyun/internal/ecs"
	"github.com/localyun/localyun/internal/protocol"
)

// instanceInput is ExplainInstance's.
type instanceInput struct{ RegionID, InstanceID string }

func parseInstance(r *protocol.Request) (instanceInput, error) {
	in := instanceInput{RegionID: r.Get("RegionId"), InstanceID: r.Get("InstanceId")}
	switch {
	case in.RegionID == "":
		return in, protocol.ErrMissing("RegionId")
	case in.InstanceID == "":
		return in, protocol.ErrMissing("InstanceId")
	}
	return in, nil
}

var errInstanceNotFound = localyun.NewError(http.StatusNotFound, "InvalidInstanceId.NotFound", "The specified InstanceId does not exist.")

// instance returns the caller's instance in.InstanceID of in.RegionID.
// Returns InvalidInstanceId.NotFound.
func (s *Service) instance(ctx context.Context, accountID string, in instanceInput) (localyun.Instance, error) {
	inst, err := s.store.FindInstanceByID(ctx, in.InstanceID)
	if errors.Is(err, localyun.ErrNotFound) || err == nil && (inst.AccountID != accountID || inst.RegionID != in.RegionID) {
		return localyun.Instance{}, errInstanceNotFound
	}
	return inst, err
}

// instanceARN is ExplainInstance's resource: the instance, in the region
// it lives in (an unknown one: RegionId).
func (s *Service) instanceARN(ctx context.Context, p localyun.Principal, in instanceInput) ([]string, error) {
	region := in.RegionID
	inst, err := s.store.FindInstanceByID(ctx, in.InstanceID)
	switch {
	case err == nil && inst.AccountID == p.AccountID:
		region = inst.RegionID
	case err != nil && !errors.Is(err, localyun.ErrNotFound):
		return nil, err
	}
	return []string{"acs:ecs:" + region + ":" + p.AccountID + ":instance/" + in.InstanceID}, nil
}

// instanceResponse is ExplainInstance's.
type instanceResponse struct {
	InstanceID  string    `json:"InstanceId" xml:"InstanceId"`
	RegionID    string    `json:"RegionId" xml:"RegionId"`
	RAMRoleName string    `json:"RamRoleName" xml:"RamRoleName"`
	Role        *roleItem `json:"Role,omitempty" xml:"Role,omitempty"`
}

// roleItem is an instance's role: whether it trusts ECS (without that the
// metadata service issues it no credentials), its policies and a summary.
type roleItem struct {
	RoleName  string       `json:"RoleName" xml:"RoleName"`
	ARN       string       `json:"Arn" xml:"Arn"`
	Exists    bool         `json:"Exists" xml:"Exists"`
	TrustsECS bool         `json:"TrustsEcs" xml:"TrustsEcs"`
	Policies  []policyItem `json:"Policies" xml:"Policies"`
	Allows    []string     `json:"Allows" xml:"Allows"`
	Denies    []string     `json:"Denies" xml:"Denies"`
}

// ExplainInstance returns an instance's role, whether the role trusts
// ecs.aliyuncs.com, the role's policies (the ones its sessions are
// decided on, loaded as requests load them) and what they allow and deny.
// Returns InvalidInstanceId.NotFound.
func (s *Service) ExplainInstance(ctx context.Context, in instanceInput) (instanceResponse, error) {
	accountID := accountOf(ctx)
	inst, err := s.instance(ctx, accountID, in)
	if err != nil {
		return instanceResponse{}, err
	}
	out := instanceResponse{InstanceID: inst.ID, RegionID: inst.RegionID, RAMRoleName: inst.RAMRoleName}
	if inst.RAMRoleName == "" {
		return out, nil
	}
	item := &roleItem{RoleName: inst.RAMRoleName, ARN: auth.RoleARN(accountID, inst.RAMRoleName), Policies: []policyItem{}}
	out.Role = item
	role, err := s.store.FindRoleByName(ctx, accountID, inst.RAMRoleName)
	if errors.Is(err, localyun.ErrNotFound) {
		return out, nil // deleted from RAM since it was attached
	}
	if err != nil {
		return out, err
	}
	item.RoleName, item.ARN, item.Exists = role.Name, auth.RoleARN(accountID, role.Name), true
	item.TrustsECS = ecs.TrustsECS(role.AssumeRolePolicyDocument)
	who := localyun.Principal{AccountID: accountID, Type: localyun.PrincipalTypeAssumed, RoleName: role.Name}
	policies, sources, err := s.opts.Explainer.Policies(ctx, who)
	if err != nil {
		return out, err
	}
	item.Policies = policiesOf(policies, sources)
	item.Allows, item.Denies = summaryOf(item.Policies)
	return out, nil
}

func (s *Service) serveInstance(ctx context.Context, in instanceInput) (any, error) {
	return s.ExplainInstance(ctx, in)
}
