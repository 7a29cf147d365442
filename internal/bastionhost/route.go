package bastionhost

import (
	"context"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/protocol"
)

// Product is Yundun-bastionhost 2019-12-09 as the wire and RAM know it.
// Its denial code is UNCONFIRMED for the real service (docs/authorization.md).
var Product = protocol.Product{Name: "Yundun-bastionhost", Version: "2019-12-09", Service: "yundun-bastionhost",
	DenyCode: "NoPermission", DenyMessage: "You are not authorized to do this action. You should be authorized by RAM."}

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
// embeds the InstanceRef.
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
