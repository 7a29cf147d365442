// Package ecs implements the ECS API (2014-05-26) subset localyun serves:
// regions, instances, and instance RAM roles.
package ecs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/auth"
)

// Store is what the ECS service needs of a store.
type Store interface {
	localyun.InstanceStore
	FindRoleByName(ctx context.Context, accountID, name string) (localyun.Role, error)
}

// Options configure a Service.
type Options struct {
	Now   func() time.Time
	NewID func(kind string) string
	// CheckPassRole, when set, decides whether the caller may pass role
	// (ram:PassRole); it returns an error to refuse. Nil allows every caller.
	CheckPassRole func(ctx context.Context, role localyun.Role) error
}

// Service holds the ECS rules.
type Service struct {
	store Store
	opts  Options
}

// NewService returns an ECS service over store.
func NewService(store Store, opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Service{store: store, opts: opts}
}

func accountOf(ctx context.Context) string {
	p, _ := localyun.PrincipalFromContext(ctx)
	return p.AccountID
}

// RoleResult is the outcome of attaching or detaching on one instance.
type RoleResult struct {
	InstanceID  string
	Code        string
	Message     string
	Success     bool
	RAMRoleName string // Detach: the role removed
}

// findECSRole returns the named role, checking that it trusts ECS.
// Returns InvalidRamRole.NotFound or InvalidRamRole.NotEcsRole.
func (s *Service) findRole(ctx context.Context, name string) (localyun.Role, error) {
	role, err := s.store.FindRoleByName(ctx, accountOf(ctx), name)
	if errors.Is(err, localyun.ErrNotFound) {
		return role, errRAMRoleNotFound
	}
	return role, err
}

func (s *Service) checkPassRole(ctx context.Context, role localyun.Role) error {
	p, _ := localyun.PrincipalFromContext(ctx)
	if p.IsRoot() || s.opts.CheckPassRole == nil {
		return nil
	}
	return s.opts.CheckPassRole(ctx, role)
}

// AttachInstanceRAMRole attaches role to every instance in ids, all in one
// transaction. Instances that already have a role fail individually.
// Returns InvalidRamRole.NotFound, InvalidRamRole.NotEcsRole,
// InvalidUser.PassRoleForbidden, InvalidInstanceId.NotFound and
// InvalidNetworkType.MismatchRamRole as whole-request errors.
func (s *Service) AttachInstanceRAMRole(ctx context.Context, regionID string, ids []string, roleName string) (string, []RoleResult, error) {
	role, err := s.findRole(ctx, roleName)
	if err != nil {
		return "", nil, err
	}
	if !TrustsECS(role.AssumeRolePolicyDocument) {
		return "", nil, errRAMRoleNotECS
	}
	if err := s.checkPassRole(ctx, role); err != nil {
		return "", nil, err
	}
	var results []RoleResult
	err = s.store.UpdateInstances(ctx, accountOf(ctx), regionID, ids, func(insts []localyun.Instance) ([]localyun.Instance, error) {
		results = make([]RoleResult, 0, len(insts))
		var changed []localyun.Instance
		for _, in := range insts {
			if in.NetworkType == localyun.NetworkClassic {
				return nil, errClassicNetwork
			}
			if in.RAMRoleName != "" {
				results = append(results, RoleResult{InstanceID: in.ID, Code: codeRoleAttached, Message: messageRoleAttached})
				continue
			}
			in.RAMRoleName = role.Name
			changed = append(changed, in)
			results = append(results, RoleResult{InstanceID: in.ID, Code: resultOK, Message: "success", Success: true})
		}
		return changed, nil
	})
	if err != nil {
		return "", nil, instanceError(err)
	}
	return role.Name, results, nil
}

// DetachInstanceRAMRole detaches the instance RAM role of every instance in
// ids in one transaction. When roleName is set the role must exist and only
// instances holding that role are detached; the others fail individually,
// as do instances with no role. The returned name is the role named, or the
// one role every detached instance held.
func (s *Service) DetachInstanceRAMRole(ctx context.Context, regionID string, ids []string, roleName string) (string, []RoleResult, error) {
	var role localyun.Role
	if roleName != "" {
		var err error
		if role, err = s.findRole(ctx, roleName); err != nil {
			return "", nil, err
		}
		if err := s.checkPassRole(ctx, role); err != nil {
			return "", nil, err
		}
	}
	var results []RoleResult
	err := s.store.UpdateInstances(ctx, accountOf(ctx), regionID, ids, func(insts []localyun.Instance) ([]localyun.Instance, error) {
		results = make([]RoleResult, 0, len(insts))
		var changed []localyun.Instance
		for _, in := range insts {
			if in.NetworkType == localyun.NetworkClassic {
				return nil, errClassicNetwork
			}
			switch {
			case in.RAMRoleName == "":
				results = append(results, RoleResult{InstanceID: in.ID, Code: codeRoleNotAttached, Message: messageRoleNotAttached})
				continue
			case roleName != "" && !strings.EqualFold(in.RAMRoleName, role.Name):
				results = append(results, RoleResult{InstanceID: in.ID, Code: codeRoleMismatch, Message: messageRoleMismatch})
				continue
			}
			if roleName == "" && s.opts.CheckPassRole != nil {
				// Without a RamRoleName the role to pass is the attached one.
				if err := s.checkPassRoleByName(ctx, in.RAMRoleName); err != nil {
					return nil, err
				}
			}
			results = append(results, RoleResult{InstanceID: in.ID, Code: resultOK, Message: "success", Success: true, RAMRoleName: in.RAMRoleName})
			in.RAMRoleName = ""
			changed = append(changed, in)
		}
		return changed, nil
	})
	if err != nil {
		return "", nil, instanceError(err)
	}
	if roleName != "" {
		return role.Name, results, nil
	}
	name := ""
	for _, r := range results {
		switch {
		case !r.Success:
		case name == "":
			name = r.RAMRoleName
		case !strings.EqualFold(name, r.RAMRoleName):
			return "", results, nil
		}
	}
	return name, results, nil
}

func (s *Service) checkPassRoleByName(ctx context.Context, name string) error {
	p, _ := localyun.PrincipalFromContext(ctx)
	if p.IsRoot() {
		return nil
	}
	role, err := s.store.FindRoleByName(ctx, p.AccountID, name)
	if errors.Is(err, localyun.ErrNotFound) {
		// The attached role was deleted from RAM: the ARN is still what
		// PassRole is decided on.
		role = localyun.Role{AccountID: p.AccountID, Name: name}
	} else if err != nil {
		return err
	}
	return s.opts.CheckPassRole(ctx, role)
}

// instanceError maps store kinds to ECS codes.
func instanceError(err error) error {
	if errors.Is(err, localyun.ErrNotFound) {
		return errInstanceNotFound
	}
	return err
}

// RoleAttachment is one row of DescribeInstanceRamRole.
type RoleAttachment struct {
	InstanceID  string
	RAMRoleName string
}

// DescribeInstanceRAMRole lists the RAM roles of instances. With ids, every
// id must exist; with roleName, the role must exist and only its instances
// are listed. Returns the page and the total number of matches.
func (s *Service) DescribeInstanceRAMRole(ctx context.Context, regionID string, ids []string, roleName string, pageNumber, pageSize int) ([]RoleAttachment, int, error) {
	account := accountOf(ctx)
	f := localyun.InstanceFilter{AccountID: account, RegionID: regionID, IDs: ids}
	if roleName != "" {
		role, err := s.findRole(ctx, roleName)
		if err != nil {
			return nil, 0, err
		}
		f.RAMRoleName = role.Name
	}
	if ids != nil {
		// Every listed id must exist, and none may be a classic instance.
		// The same rows (at most one per id, in creation order) give the
		// role filter, the total and the page.
		all, _, err := s.store.FindInstances(ctx, localyun.InstanceFilter{AccountID: account, RegionID: regionID, IDs: ids})
		if err != nil {
			return nil, 0, err
		}
		if len(all) != len(ids) {
			return nil, 0, errInstanceNotFound
		}
		for _, in := range all {
			if in.NetworkType == localyun.NetworkClassic {
				return nil, 0, errClassicNetwork
			}
		}
		var out []RoleAttachment
		total := 0
		offset := (pageNumber - 1) * pageSize
		for _, in := range all {
			if f.RAMRoleName != "" && !strings.EqualFold(in.RAMRoleName, f.RAMRoleName) { // role names are ASCII
				continue
			}
			if total >= offset && (pageSize <= 0 || total < offset+pageSize) {
				out = append(out, RoleAttachment{InstanceID: in.ID, RAMRoleName: in.RAMRoleName})
			}
			total++
		}
		if out == nil {
			out = []RoleAttachment{}
		}
		return out, total, nil
	}
	f.Offset, f.Limit = (pageNumber-1)*pageSize, pageSize
	insts, total, err := s.store.FindInstances(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	out := make([]RoleAttachment, len(insts))
	for i, in := range insts {
		out[i] = RoleAttachment{InstanceID: in.ID, RAMRoleName: in.RAMRoleName}
	}
	return out, total, nil
}

// RunInstancesInput is what RunInstances creates.
type RunInstancesInput struct {
	RegionID     string
	ZoneID       string
	ImageID      string
	InstanceType string
	Name         string
	Description  string
	VSwitchID    string
	RAMRoleName  string
	Amount       int
}

// RunInstances creates Amount running VPC instances, attaching RAMRoleName
// under the same checks as AttachInstanceRamRole.
func (s *Service) RunInstances(ctx context.Context, in RunInstancesInput) ([]string, error) {
	account := accountOf(ctx)
	roleName := ""
	if in.RAMRoleName != "" {
		role, err := s.findRole(ctx, in.RAMRoleName)
		if err != nil {
			return nil, err
		}
		if !TrustsECS(role.AssumeRolePolicyDocument) {
			return nil, errRAMRoleNotECS
		}
		if err := s.checkPassRole(ctx, role); err != nil {
			return nil, err
		}
		roleName = role.Name
	}
	zone := in.ZoneID
	if zone == "" {
		zone = in.RegionID + "-a"
	}
	now := s.opts.Now().UTC()
	insts := make([]localyun.Instance, in.Amount)
	ids := make([]string, in.Amount)
	for i := range insts {
		id := s.opts.NewID("instance")
		ids[i] = id
		vpc, vswitch, ip := InstanceNetwork(account, in.RegionID, zone, in.VSwitchID, id)
		insts[i] = localyun.Instance{
			ID: id, AccountID: account, RegionID: in.RegionID, ZoneID: zone, Name: in.Name,
			Description: in.Description, Status: localyun.StatusRunning, NetworkType: localyun.NetworkVPC,
			VpcID: vpc, VSwitchID: vswitch, PrivateIP: ip,
			ImageID: in.ImageID, InstanceType: in.InstanceType, RAMRoleName: roleName, CreatedAt: now,
		}
		if insts[i].Name == "" {
			insts[i].Name = id
		}
	}
	if err := s.store.CreateInstances(ctx, insts); err != nil {
		return nil, err
	}
	return ids, nil
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

// DeleteInstances deletes instances (and their role attachments) in one
// transaction. Running instances need force.
func (s *Service) DeleteInstances(ctx context.Context, regionID string, ids []string, force bool) error {
	err := s.store.DeleteInstances(ctx, accountOf(ctx), regionID, ids, func(insts []localyun.Instance) error {
		for _, in := range insts {
			if in.Status != localyun.StatusStopped && !force {
				return errIncorrectStatus
			}
		}
		return nil
	})
	return instanceError(err)
}

// DeleteInstance deletes one instance of any region.
func (s *Service) DeleteInstance(ctx context.Context, id string, force bool) error {
	in, err := s.findInstance(ctx, id)
	if err != nil {
		return err
	}
	return s.DeleteInstances(ctx, in.RegionID, []string{id}, force)
}

func (s *Service) findInstance(ctx context.Context, id string) (localyun.Instance, error) {
	insts, _, err := s.store.FindInstances(ctx, localyun.InstanceFilter{AccountID: accountOf(ctx), IDs: []string{id}})
	if err != nil {
		return localyun.Instance{}, err
	}
	if len(insts) == 0 {
		return localyun.Instance{}, errInstanceNotFound
	}
	return insts[0], nil
}

// SetInstanceStatus moves an instance from one status to another
// (StartInstance: Stopped→Running; StopInstance: Running→Stopped).
func (s *Service) SetInstanceStatus(ctx context.Context, id, from, to string) error {
	in, err := s.findInstance(ctx, id)
	if err != nil {
		return err
	}
	err = s.store.UpdateInstances(ctx, in.AccountID, in.RegionID, []string{id}, func(insts []localyun.Instance) ([]localyun.Instance, error) {
		if insts[0].Status != from {
			return nil, errIncorrectStatus
		}
		insts[0].Status = to
		return insts, nil
	})
	return instanceError(err)
}

// DescribeInstances lists the instances matching f.
func (s *Service) DescribeInstances(ctx context.Context, f localyun.InstanceFilter) ([]localyun.Instance, int, error) {
	f.AccountID = accountOf(ctx)
	return s.store.FindInstances(ctx, f)
}

// TrustsECS reports whether a trust policy lets ecs.aliyuncs.com assume the
// role: the policy engine's own trust evaluation, so that a Deny statement
// or an unmet condition counts exactly as it does for AssumeRole.
func TrustsECS(doc string) bool {
	return auth.TrustAllows(doc, auth.Caller{Service: "ecs.aliyuncs.com"}, nil)
}
