package ecs

import (
	"context"
	"errors"
	"strings"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/protocol"
)

// RoleResult is the outcome of attaching or detaching on one instance.
type RoleResult struct {
	InstanceID  string
	Code        string
	Message     string
	Success     bool
	RAMRoleName string // Detach: the role removed
}

// changeRoles is the read-decide-write of Attach and Detach: it reads the
// instances ids of a region (every one must exist, none may be classic),
// asks decide for each one's result in order (a success moves the instance
// from the role it holds to the role to), and asks the store for the
// compare-and-set of those changes in one transaction. While the store
// finds an instance changed since it was read, it reads and decides again
// (localyun.RetryOnConflict); a change that loses every round is
// OperationConflict.
func (s *Service) changeRoles(ctx context.Context, regionID string, ids []string, to string,
	decide func(localyun.Instance) (RoleResult, error)) ([]RoleResult, error) {
	var results []RoleResult
	err := localyun.RetryOnConflict(ctx, func() error {
		insts, err := s.findInstances(ctx, regionID, ids)
		if err != nil {
			return err
		}
		results = make([]RoleResult, len(insts))
		var changes []localyun.InstanceRoleChange
		for i, inst := range insts {
			if inst.NetworkType == localyun.NetworkClassic {
				return errClassicNetwork
			}
			if results[i], err = decide(inst); err != nil {
				return err
			}
			if results[i].Success {
				changes = append(changes, localyun.InstanceRoleChange{InstanceID: inst.ID, From: inst.RAMRoleName, To: to})
			}
		}
		if len(changes) == 0 {
			return nil
		}
		// An instance deleted since it was read is not found; one changed
		// since is ErrConflict, and another round.
		return instanceError(s.store.SetInstancesRAMRole(ctx, accountOf(ctx), regionID, changes))
	})
	if errors.Is(err, localyun.ErrTooManyConflicts) {
		err = protocol.ErrOperationConflict(err)
	}
	return results, err
}

// AttachInstanceRAMRole attaches the role RAMRoleName to every instance of
// InstanceIDs, all in one transaction. Instances that already have a role
// fail individually. Returns InvalidRamRole.NotFound,
// InvalidRamRole.NotEcsRole, InvalidUser.PassRoleForbidden,
// InvalidInstanceId.NotFound and InvalidNetworkType.MismatchRamRole as
// whole-request errors, in that order of precedence.
func (s *Service) AttachInstanceRAMRole(ctx context.Context, in AttachInstanceRAMRoleInput) (string, []RoleResult, error) {
	role, err := s.findRole(ctx, in.RAMRoleName)
	if err != nil {
		return "", nil, err
	}
	if !s.trustsECS(role.AssumeRolePolicyDocument) {
		return "", nil, errRAMRoleNotECS
	}
	if err := s.checkPassRole(ctx, role.Name); err != nil {
		return "", nil, err
	}
	results, err := s.changeRoles(ctx, in.RegionID, in.InstanceIDs, role.Name, func(inst localyun.Instance) (RoleResult, error) {
		if inst.RAMRoleName != "" { // one role per instance
			return RoleResult{InstanceID: inst.ID, Code: codeRoleAttached, Message: messageRoleAttached}, nil
		}
		return RoleResult{InstanceID: inst.ID, Code: resultOK, Message: "success", Success: true}, nil
	})
	if err != nil {
		return "", nil, err
	}
	return role.Name, results, nil
}

// DetachInstanceRAMRole detaches the instance RAM role of every instance of
// InstanceIDs in one transaction. With RAMRoleName the role must exist (and
// the caller may pass it) and only instances holding that role are
// detached; the others fail individually, as do instances with no role.
// Without it every instance's own role is detached, and the caller must be
// allowed to pass each of them. Every PassRole decision is taken before the
// store is asked to write. Returns the role named, or the one role every
// detached instance held ("" when they held several).
func (s *Service) DetachInstanceRAMRole(ctx context.Context, in DetachInstanceRAMRoleInput) (string, []RoleResult, error) {
	var named localyun.Role
	if in.RAMRoleName != "" {
		var err error
		if named, err = s.findRole(ctx, in.RAMRoleName); err != nil {
			return "", nil, err
		}
		if err := s.checkPassRole(ctx, named.Name); err != nil {
			return "", nil, err
		}
	}
	passed := map[string]bool{} // attached roles the caller may pass
	results, err := s.changeRoles(ctx, in.RegionID, in.InstanceIDs, "", func(inst localyun.Instance) (RoleResult, error) {
		switch {
		case inst.RAMRoleName == "":
			return RoleResult{InstanceID: inst.ID, Code: codeRoleNotAttached, Message: messageRoleNotAttached}, nil
		case in.RAMRoleName != "" && !strings.EqualFold(inst.RAMRoleName, named.Name):
			return RoleResult{InstanceID: inst.ID, Code: codeRoleMismatch, Message: messageRoleMismatch}, nil
		case in.RAMRoleName == "" && !passed[inst.RAMRoleName]:
			// Without a RamRoleName the role passed is the attached one.
			if err := s.checkPassAttached(ctx, inst.RAMRoleName); err != nil {
				return RoleResult{}, err
			}
			passed[inst.RAMRoleName] = true
		}
		return RoleResult{InstanceID: inst.ID, Code: resultOK, Message: "success", Success: true, RAMRoleName: inst.RAMRoleName}, nil
	})
	if err != nil {
		return "", nil, err
	}
	if in.RAMRoleName != "" {
		return named.Name, results, nil
	}
	return commonRole(results), results, nil
}

// checkPassAttached decides PassRole on a role an instance holds, named in
// the spelling of the RAM role of that name; a role deleted from RAM since
// it was attached is decided on the name the instance holds.
func (s *Service) checkPassAttached(ctx context.Context, name string) error {
	if !s.decidesPassRole(ctx) {
		return nil // and no read of the role
	}
	role, err := s.store.FindRoleByName(ctx, accountOf(ctx), name)
	switch {
	case err == nil:
		name = role.Name
	case !errors.Is(err, localyun.ErrNotFound):
		return err
	}
	return s.opts.CheckPassRole(ctx, name)
}

// commonRole is the one role the successful results detached, or "" when
// they detached several (or none).
func commonRole(results []RoleResult) string {
	name := ""
	for _, r := range results {
		switch {
		case !r.Success:
		case name == "":
			name = r.RAMRoleName
		case !strings.EqualFold(name, r.RAMRoleName):
			return ""
		}
	}
	return name
}

// RoleAttachment is one row of DescribeInstanceRamRole.
type RoleAttachment struct {
	InstanceID  string
	RAMRoleName string
}

// DescribeInstanceRAMRole lists the RAM roles of instances. With ids, every
// id must exist; with RAMRoleName, the role must exist and only its
// instances are listed. Returns the page and the total number of matches.
func (s *Service) DescribeInstanceRAMRole(ctx context.Context, in DescribeInstanceRAMRoleInput) ([]RoleAttachment, int, error) {
	f := localyun.InstanceFilter{AccountID: accountOf(ctx), RegionID: in.RegionID, IDs: in.InstanceIDs}
	if in.RAMRoleName != "" {
		role, err := s.findRole(ctx, in.RAMRoleName)
		if err != nil {
			return nil, 0, err
		}
		f.RAMRoleName = role.Name
	}
	if in.InstanceIDs != nil {
		return s.describeListedRoles(ctx, in, f.RAMRoleName)
	}
	f.Offset, f.Limit = (in.PageNumber-1)*in.PageSize, in.PageSize
	insts, total, err := s.store.FindInstances(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	out := make([]RoleAttachment, len(insts))
	for i, inst := range insts {
		out[i] = RoleAttachment{InstanceID: inst.ID, RAMRoleName: inst.RAMRoleName}
	}
	return out, total, nil
}

// describeListedRoles is DescribeInstanceRAMRole with InstanceIds: every
// listed id must exist, and none may be a classic instance. The same rows
// (at most one per id, in creation order) give the role filter, the total
// and the page.
func (s *Service) describeListedRoles(ctx context.Context, in DescribeInstanceRAMRoleInput, role string) ([]RoleAttachment, int, error) {
	all, _, err := s.store.FindInstances(ctx, localyun.InstanceFilter{AccountID: accountOf(ctx), RegionID: in.RegionID, IDs: in.InstanceIDs})
	if err != nil {
		return nil, 0, err
	}
	if len(all) != len(in.InstanceIDs) {
		return nil, 0, errInstanceNotFound
	}
	for _, inst := range all {
		if inst.NetworkType == localyun.NetworkClassic {
			return nil, 0, errClassicNetwork
		}
	}
	out := []RoleAttachment{}
	total := 0
	offset := (in.PageNumber - 1) * in.PageSize
	for _, inst := range all {
		if role != "" && !strings.EqualFold(inst.RAMRoleName, role) { // role names are ASCII
			continue
		}
		if total >= offset && (in.PageSize <= 0 || total < offset+in.PageSize) {
			out = append(out, RoleAttachment{InstanceID: inst.ID, RAMRoleName: inst.RAMRoleName})
		}
		total++
	}
	return out, total, nil
}
