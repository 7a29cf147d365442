package bastionhost

import (
	"context"
	"errors"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/protocol"
)

// InstanceRef names the bastion instance an action acts on: every
// Bastionhost input embeds one.
type InstanceRef struct {
	InstanceID string
	RegionID   string // as sent; "" when absent
}

// parseInstanceRef reads the required InstanceId and the optional RegionId.
func parseInstanceRef(r *protocol.Request) (InstanceRef, error) {
	id, err := required(r, "InstanceId")
	if err != nil {
		return InstanceRef{}, err
	}
	return InstanceRef{InstanceID: id, RegionID: r.Get("RegionId")}, nil
}

// InstanceARN is the resource an instance-scoped action is decided on:
// acs:yundun-bastionhost:<region>:<uid>:instance/<id>, with the region the
// instance really lives in, so that leaving RegionId out cannot step
// around a Deny written for that region. For an instance the caller's
// account does not hold (the action then fails with
// Commodity.BizError.InvalidStatus) the RegionId sent is used, or "*".
func (s *Service) InstanceARN(ctx context.Context, p localyun.Principal, ref InstanceRef) ([]string, error) {
	region := ref.RegionID
	b, err := s.store.FindBastionInstance(ctx, p.AccountID, ref.InstanceID)
	switch {
	case err == nil:
		region = b.RegionID
	case !errors.Is(err, localyun.ErrNotFound):
		return nil, err
	}
	if region == "" {
		region = "*"
	}
	return []string{"acs:yundun-bastionhost:" + region + ":" + p.AccountID + ":instance/" + ref.InstanceID}, nil
}

// docInstanceARN documents InstanceARN in docs/authorization.md.
const docInstanceARN = "acs:yundun-bastionhost:<region of the instance>:<uid>:instance/<InstanceId>"
