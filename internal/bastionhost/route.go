package bastionhost

import (
	"context"
	"errors"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/protocol"
)

// The route plumbing every Bastionhost action shares: the product, the
// instance and object references its inputs embed, and handleInstance,
// the route row of an action on one bastion instance, which RAM decides
// on that instance (InstanceARN).

// Product is Yundun-bastionhost 2019-12-09 as the wire and RAM know it.
// Its denial code is UNCONFIRMED for the real service (docs/authorization.md).
var Product = protocol.Product{Name: "Yundun-bastionhost", Version: "2019-12-09", Service: "yundun-bastionhost",
	DenyCode: "NoPermission", DenyMessage: "You are not authorized to do this action. You should be authorized by RAM."}

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
	return []string{instanceARN(p.AccountID, region, ref.InstanceID)}, nil
}

// instanceARN is acs:yundun-bastionhost:<region>:<uid>:instance/<id>.
func instanceARN(accountID, region, id string) string {
	return "acs:yundun-bastionhost:" + region + ":" + accountID + ":instance/" + id
}

// docInstanceARN documents InstanceARN in docs/authorization.md.
const docInstanceARN = "acs:yundun-bastionhost:<region of the instance>:<uid>:instance/<InstanceId>"

// ObjectRef names one object (host, host account, user, group) of a
// bastion instance: the input of the Get* and Delete* actions.
type ObjectRef struct {
	InstanceRef
	ID string
}

// parseObjectRef returns the parser of InstanceId and the object id
// parameter name, both required.
func parseObjectRef(name string) func(r *protocol.Request) (ObjectRef, error) {
	return func(r *protocol.Request) (ObjectRef, error) {
		ref, err := parseInstanceRef(r)
		if err != nil {
			return ObjectRef{}, err
		}
		id, err := required(r, name)
		return ObjectRef{InstanceRef: ref, ID: id}, err
	}
}

// instanceScoped is the input of an action on one bastion instance: it
// embeds the InstanceRef (directly, or through ObjectRef or GranteeRef).
type instanceScoped interface{ instanceRef() InstanceRef }

func (ref InstanceRef) instanceRef() InstanceRef { return ref }

// handleInstance registers an action on one bastion instance: RAM decides
// it on that instance (InstanceARN), serve calls the service method of the
// action's name and builds the response.
func handleInstance[In instanceScoped](m *protocol.Mux, s *Service, name string,
	parse func(r *protocol.Request) (In, error), serve func(ctx context.Context, in In) (any, error)) {
	protocol.Handle(m, Product, protocol.Action[In]{Name: name, Resource: docInstanceARN, Parse: parse,
		Resources: func(ctx context.Context, p localyun.Principal, in In) ([]string, error) {
			return s.InstanceARN(ctx, p, in.instanceRef())
		},
		Serve: serve})
}
