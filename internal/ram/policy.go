package ram

import (
	"context"
	"strings"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/auth"
)

// PolicyDetail is a policy of either type with its default document.
type PolicyDetail struct {
	localyun.Policy
	Document string
}

// systemPolicy returns a built-in policy by name (any case), in its
// built-in spelling, or EntityNotExist.Policy.
func systemPolicy(name string) (PolicyDetail, error) {
	sp, ok := auth.FindSystemPolicy(name)
	if !ok {
		return PolicyDetail{}, errPolicyNotExist
	}
	return PolicyDetail{Policy: localyun.Policy{Name: sp.Name, Type: localyun.PolicyTypeSystem, Description: sp.Description,
		DefaultVersion: "v1", CreatedAt: auth.SystemPolicyDate, UpdatedAt: auth.SystemPolicyDate}, Document: sp.Document}, nil
}

// systemVersion is the one version of a system policy.
func systemVersion(p PolicyDetail) localyun.PolicyVersion {
	return localyun.PolicyVersion{VersionID: "v1", IsDefault: true, Document: p.Document, CreatedAt: auth.SystemPolicyDate}
}

// findPolicy resolves a policy of a type by name; withDocument also reads
// a custom policy's default document. Returns EntityNotExist.Policy.
func (s *Service) findPolicy(ctx context.Context, typ, name string, withDocument bool) (PolicyDetail, error) {
	if typ == localyun.PolicyTypeSystem {
		return systemPolicy(name)
	}
	p, err := s.store.FindPolicy(ctx, accountOf(ctx), name)
	if err != nil || !withDocument {
		return PolicyDetail{Policy: p}, policyError(err)
	}
	v, err := s.store.FindPolicyVersion(ctx, p.AccountID, p.Name, p.DefaultVersion)
	return PolicyDetail{Policy: p, Document: v.Document}, policyError(err)
}

// CreatePolicy creates a custom policy whose document is its version v1.
// Returns EntityAlreadyExists.Policy.
func (s *Service) CreatePolicy(ctx context.Context, name, document, description string) (localyun.Policy, error) {
	now := s.now()
	p := localyun.Policy{AccountID: accountOf(ctx), Name: name, Type: localyun.PolicyTypeCustom, Description: description,
		DefaultVersion: "v1", CreatedAt: now, UpdatedAt: now}
	return p, policyError(s.store.CreatePolicy(ctx, p, localyun.PolicyVersion{Document: document, CreatedAt: now}))
}

// GetPolicy returns a policy with its default document; AttachmentCount
// counts its attachments in the caller's account (for a system policy
// too). Returns EntityNotExist.Policy.
func (s *Service) GetPolicy(ctx context.Context, typ, name string) (PolicyDetail, error) {
	p, err := s.findPolicy(ctx, typ, name, true)
	if err != nil || typ != localyun.PolicyTypeSystem {
		return p, err
	}
	as, err := s.store.FindAttachments(ctx, localyun.AttachmentFilter{AccountID: accountOf(ctx), PolicyType: typ, PolicyName: p.Name})
	p.AttachmentCount = len(as)
	return p, err
}

// ListPolicies lists the system policies, then the account's custom
// policies, each in name order (typ "" for both, or one type), up to max
// after the Marker after ("<type>/<lower-case name>"), and the Marker of
// the next page. Returns InvalidParameter.Marker for a Marker that names
// no policy of the listing.
func (s *Service) ListPolicies(ctx context.Context, typ, after string, max int) ([]localyun.Policy, string, error) {
	var all []localyun.Policy
	if typ != localyun.PolicyTypeCustom {
		for _, sp := range auth.SystemPolicies() {
			p, _ := systemPolicy(sp.Name)
			all = append(all, p.Policy)
		}
	}
	if typ != localyun.PolicyTypeSystem {
		custom, err := s.store.FindPolicies(ctx, localyun.PolicyFilter{AccountID: accountOf(ctx)})
		if err != nil {
			return nil, "", err
		}
		all = append(all, custom...)
	}
	key := func(p localyun.Policy) string { return p.Type + "/" + strings.ToLower(p.Name) }
	start := 0
	if after != "" {
		start = -1
		for i, p := range all {
			if key(p) == after {
				start = i + 1
			}
		}
		if start < 0 {
			return nil, "", errInvalidMarker
		}
	}
	return listPage(max, func(int) ([]localyun.Policy, error) { return all[start:], nil }, key)
}

// DeletePolicy deletes a custom policy. Returns EntityNotExist.Policy, or
// DeleteConflict.Policy.User, .Group, .Role or .Version while it is
// attached or has versions other than the default.
func (s *Service) DeletePolicy(ctx context.Context, name string) error {
	return policyError(s.store.DeletePolicy(ctx, accountOf(ctx), name))
}

// CreatePolicyVersion adds the next version of a custom policy, its new
// default when setDefault; at MaxPolicyVersions it refuses
// (LimitExceeded.Policy.Version) unless rotate, which deletes the oldest
// non-default version first. Returns EntityNotExist.Policy.
func (s *Service) CreatePolicyVersion(ctx context.Context, name, document string, setDefault, rotate bool) (localyun.PolicyVersion, error) {
	v, err := s.store.CreatePolicyVersion(ctx, accountOf(ctx), name, localyun.PolicyVersion{Document: document, IsDefault: setDefault,
		CreatedAt: s.now()}, MaxPolicyVersions, rotate)
	return v, policyError(err)
}

// GetPolicyVersion returns one version of a policy (a system policy has
// only v1). Returns EntityNotExist.Policy or EntityNotExist.PolicyVersion.
func (s *Service) GetPolicyVersion(ctx context.Context, typ, name, id string) (localyun.PolicyVersion, error) {
	p, err := s.findPolicy(ctx, typ, name, typ == localyun.PolicyTypeSystem)
	if err != nil {
		return localyun.PolicyVersion{}, err
	}
	if typ == localyun.PolicyTypeSystem {
		if id != "v1" {
			return localyun.PolicyVersion{}, errVersionNotExist
		}
		return systemVersion(p), nil
	}
	v, err := s.store.FindPolicyVersion(ctx, p.AccountID, name, id)
	return v, versionError(err)
}

// ListPolicyVersions lists the versions of a policy in creation order.
// Returns EntityNotExist.Policy.
func (s *Service) ListPolicyVersions(ctx context.Context, typ, name string) ([]localyun.PolicyVersion, error) {
	p, err := s.findPolicy(ctx, typ, name, typ == localyun.PolicyTypeSystem)
	if err != nil {
		return nil, err
	}
	if typ == localyun.PolicyTypeSystem {
		return []localyun.PolicyVersion{systemVersion(p)}, nil
	}
	return s.store.FindPolicyVersions(ctx, p.AccountID, name)
}

// SetDefaultPolicyVersion makes a version of a custom policy its default.
// Returns EntityNotExist.Policy or EntityNotExist.PolicyVersion.
func (s *Service) SetDefaultPolicyVersion(ctx context.Context, name, id string) error {
	p, err := s.findPolicy(ctx, localyun.PolicyTypeCustom, name, false)
	if err != nil {
		return err
	}
	return versionError(s.store.SetDefaultPolicyVersion(ctx, p.AccountID, name, id, s.now()))
}

// DeletePolicyVersion deletes a version of a custom policy. Returns
// EntityNotExist.Policy, EntityNotExist.PolicyVersion or
// DeleteConflict.PolicyVersion.Default.
func (s *Service) DeletePolicyVersion(ctx context.Context, name, id string) error {
	p, err := s.findPolicy(ctx, localyun.PolicyTypeCustom, name, false)
	if err != nil {
		return err
	}
	return versionError(s.store.DeletePolicyVersion(ctx, p.AccountID, name, id))
}
