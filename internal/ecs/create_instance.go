package ecs

import (
	"context"
	"maps"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/protocol"
)

// CreateInstanceInput is the input of CreateInstance: the parameters
// RunInstances takes, for one instance (Amount is not a CreateInstance
// parameter and is not read).
type CreateInstanceInput struct {
	RunInstancesInput
}

// parseCreateInstance parses CreateInstance with RunInstances' parser, so
// that both actions read every shared parameter alike, on the request
// without Amount.
func parseCreateInstance(r *protocol.Request) (CreateInstanceInput, error) {
	one := *r
	one.Params = maps.Clone(r.Params)
	one.Params.Del("Amount")
	in, err := parseRunInstances(&one)
	return CreateInstanceInput{in}, err
}

// CreateInstance creates one VPC instance in status Stopped, as
// RunInstances creates its instances (ClientToken and DryRun included),
// and returns its id.
func (s *Service) CreateInstance(ctx context.Context, in CreateInstanceInput) (string, error) {
	ids, err := s.createInstances(ctx, creation{action: "CreateInstance", run: in.RunInstancesInput,
		status: localyun.StatusStopped, sum: paramsDigest("CreateInstance", in)})
	if err != nil {
		return "", err
	}
	return ids[0], nil
}

// createInstanceResponse is CreateInstance's answer. OrderId and
// TradePrice are left out: localyun places no orders (pay-as-you-go).
type createInstanceResponse struct {
	InstanceID string `json:"InstanceId" xml:"InstanceId"`
}

// registerCreateInstance adds CreateInstance, authorized as RunInstances
// is: on instance/* of the region.
func registerCreateInstance(m *protocol.Mux, s *Service) {
	protocol.Handle(m, Product, protocol.Action[CreateInstanceInput]{Name: "CreateInstance",
		Resource: "acs:ecs:<RegionId>:<uid>:instance/*",
		Parse:    parseCreateInstance,
		Resources: func(_ context.Context, p localyun.Principal, in CreateInstanceInput) ([]string, error) {
			return instanceARNs(p, in.RegionID, nil), nil
		},
		Serve: func(ctx context.Context, in CreateInstanceInput) (any, error) {
			id, err := s.CreateInstance(ctx, in)
			if err != nil {
				return nil, err
			}
			return createInstanceResponse{InstanceID: id}, nil
		},
	})
}
