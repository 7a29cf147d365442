package bastionhost

import (
	"context"
	"strings"

	"github.com/localyun/localyun"
)

var prefKexes = []string{"default", "diffie-hellman-group1-sha1", "diffie-hellman-group14-sha1",
	"diffie-hellman-group-exchange-sha1", "diffie-hellman-group-exchange-sha256", "ecdh-sha2-nistp256",
	"ecdh-sha2-nistp384", "ecdh-sha2-nistp521", "curve25519-sha256", "curve25519-sha256@libssh.org"}

// ValidateHost checks a host as CreateHost and ModifyHost leave it, and
// normalizes the case of its enumerations.
func ValidateHost(h *localyun.BastionHost) error {
	var err error
	if err = checkLen("HostName", h.Name, 1, 128); err != nil {
		return err
	}
	if err = checkText("Comment", h.Comment, 0, 500); err != nil {
		return err
	}
	if h.OSType, err = checkEnum("OSType", h.OSType, "Linux", "Windows"); err != nil {
		return err
	}
	if h.Source, err = checkEnum("Source", h.Source, localyun.BastionSourceLocal, localyun.BastionSourceEcs, localyun.BastionSourceRds); err != nil {
		return err
	}
	if h.ActiveAddressType, err = checkEnum("ActiveAddressType", h.ActiveAddressType, localyun.BastionAddressPublic, localyun.BastionAddressPrivate); err != nil {
		return err
	}
	for _, a := range []struct{ name, v, active string }{
		{"HostPublicAddress", h.PublicAddress, localyun.BastionAddressPublic},
		{"HostPrivateAddress", h.PrivateAddress, localyun.BastionAddressPrivate},
	} {
		switch {
		case a.v == "" && h.ActiveAddressType == a.active:
			return errMissing(a.name)
		case a.v != "":
			if err := checkAddress(a.name, a.v); err != nil {
				return err
			}
		}
	}
	if err := validateHostSource(h); err != nil {
		return err
	}
	if h.InstanceMemberID < 0 {
		return errInvalid("InstanceMemberId", "must not be negative")
	}
	if err := checkLen("NetworkDomainId", h.NetworkDomainID, 0, 64); err != nil {
		return err
	}
	if h.PrefKex != "" {
		if h.OSType != "Linux" {
			return errInvalid("PrefKex", "only Linux hosts have a key exchange preference")
		}
		if h.PrefKex, err = checkEnum("PrefKex", h.PrefKex, prefKexes...); err != nil {
			return err
		}
	}
	return nil
}

// validateHostSource checks the source instance of an Ecs or Rds host
// (a Local host has none).
func validateHostSource(h *localyun.BastionHost) error {
	if h.Source == localyun.BastionSourceLocal {
		if h.SourceInstanceID != "" {
			return errInvalid("SourceInstanceId", "only hosts of source Ecs or Rds have one")
		}
		h.InstanceRegionID, h.SourceInstanceState = "", ""
		return nil
	}
	if h.SourceInstanceID == "" {
		return errMissing("SourceInstanceId")
	}
	if err := checkLen("SourceInstanceId", h.SourceInstanceID, 1, 64); err != nil {
		return err
	}
	if h.InstanceRegionID == "" {
		return errMissing("InstanceRegionId")
	}
	// The region of the source ECS or RDS instance: any Alibaba Cloud
	// region id, not only the ones Bastionhost itself is sold in.
	if !regionIDRE.MatchString(h.InstanceRegionID) {
		return errInvalid("InstanceRegionId", "not a region id")
	}
	if h.SourceInstanceState == "" {
		h.SourceInstanceState = "Normal"
	}
	return nil
}

// CreateHost creates the host of in (which its parser validated) and
// returns its id. Returns Commodity.BizError.InvalidStatus.
func (s *Service) CreateHost(ctx context.Context, in CreateHostInput) (string, error) {
	if err := s.instance(ctx, in.InstanceRef); err != nil {
		return "", err
	}
	h := in.Host
	h.InstanceID, h.CreatedAt = in.InstanceID, s.opts.Now()
	created, err := s.store.CreateBastionHost(ctx, h)
	if err != nil {
		return "", objectError(err, errInstanceNotFound, nil)
	}
	return created.ID, nil
}

// GetHost returns a host. Returns HostNotFound.
func (s *Service) GetHost(ctx context.Context, ref ObjectRef) (localyun.BastionHost, error) {
	if err := s.instance(ctx, ref.InstanceRef); err != nil {
		return localyun.BastionHost{}, err
	}
	h, err := s.store.FindBastionHost(ctx, ref.InstanceID, ref.ID)
	return h, objectError(err, errHostNotFound, nil)
}

// ListHosts lists the hosts of an instance that match in.Filter and their total.
func (s *Service) ListHosts(ctx context.Context, in ListHostsInput) ([]localyun.BastionHost, int, error) {
	if err := s.instance(ctx, in.InstanceRef); err != nil {
		return nil, 0, err
	}
	f := in.Filter
	f.InstanceID = in.InstanceID
	return s.store.FindBastionHosts(ctx, f)
}

// HostUpdate holds the ModifyHost parameters that were sent.
type HostUpdate struct {
	Name, Comment, OSType, PublicAddress, PrivateAddress, NetworkDomainID, PrefKex *string
}

// apply returns h with the parameters of upd. A new OSType other than
// Linux drops the key exchange preference, unless PrefKex is sent too.
func (upd HostUpdate) apply(h localyun.BastionHost) localyun.BastionHost {
	for _, f := range []struct{ dst, v *string }{{&h.Name, upd.Name}, {&h.Comment, upd.Comment}, {&h.OSType, upd.OSType},
		{&h.PublicAddress, upd.PublicAddress}, {&h.PrivateAddress, upd.PrivateAddress},
		{&h.NetworkDomainID, upd.NetworkDomainID}, {&h.PrefKex, upd.PrefKex}} {
		if f.v != nil {
			*f.dst = *f.v
		}
	}
	if upd.OSType != nil && upd.PrefKex == nil && !strings.EqualFold(*upd.OSType, "Linux") {
		h.PrefKex = ""
	}
	return h
}

// ModifyHost applies the parameters sent to a host; the host it leaves
// must pass ValidateHost. The write is a compare-and-set, read and applied
// again while concurrent changes win the race (localyun.RetryOnConflict).
// Returns HostNotFound, or OperationConflict when it loses every round.
func (s *Service) ModifyHost(ctx context.Context, in ModifyHostInput) error {
	if err := s.instance(ctx, in.InstanceRef); err != nil {
		return err
	}
	err := localyun.RetryOnConflict(ctx, func() error {
		old, err := s.store.FindBastionHost(ctx, in.InstanceID, in.ID)
		if err != nil {
			return err
		}
		h := in.Update.apply(old)
		if err := ValidateHost(&h); err != nil {
			return err
		}
		return s.store.UpdateBastionHost(ctx, old, h)
	})
	return objectError(err, errHostNotFound, nil)
}

// DeleteHost deletes a host with its accounts, memberships and grants.
// Returns OBJECT_NOT_FOUND.
func (s *Service) DeleteHost(ctx context.Context, ref ObjectRef) error {
	if err := s.instance(ctx, ref.InstanceRef); err != nil {
		return err
	}
	return objectError(s.afterAccessWrite(ref.InstanceID, s.store.DeleteBastionHost(ctx, ref.InstanceID, ref.ID)), errObjectNotFound("host"), nil)
}
