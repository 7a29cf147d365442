package server

import (
	"context"
	"errors"
	"strings"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/sts"
)

// Revocation modes (Options.Revocation): what becomes of the credentials
// the metadata service issued to an instance once the instance no longer
// holds their role.
const (
	// RevocationTail keeps them valid until their Expiration, as STS
	// documents for issued tokens (the default). Their requests are still
	// authorized on the policies of the role of that name at each call.
	RevocationTail = "tail"
	// RevocationStrict refuses them on their next request, as expired
	// (InvalidSecurityToken.Expired), once the instance is deleted, the
	// role is detached or replaced by another, or the role is deleted or
	// recreated (its id differs).
	RevocationStrict = "strict"
)

// bindingHolds reports whether the instance a session was issued to still
// holds the role it was issued for: the instance exists in the session's
// account, its attached role has the session's role name, and the role of
// that name has the session's role id. Both are read from the store,
// whose reads are exact (the SQLite caches are kept by its own writes; on
// PostgreSQL every node reads the database).
func (s *Server) bindingHolds(ctx context.Context, sess localyun.Session) (bool, error) {
	inst, err := s.store.FindInstanceByID(ctx, sess.InstanceID) // one point read (instance ids are unique)
	if errors.Is(err, localyun.ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	if inst.AccountID != sess.AccountID || !strings.EqualFold(inst.RAMRoleName, sess.RoleName) {
		return false, nil
	}
	role, err := s.store.FindRoleByName(ctx, sess.AccountID, sess.RoleName)
	if errors.Is(err, localyun.ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return role.ID == sess.RoleID, nil
}

// InstanceCredentials returns the credentials of the role attached to
// inst, issued by the server's STS service (its clock and
// MetadataCredentialTTL); see sts.Service.InstanceCredentials.
func (s *Server) InstanceCredentials(ctx context.Context, inst localyun.Instance) (sts.InstanceCredentials, error) {
	return s.sts.InstanceCredentials(ctx, inst)
}
