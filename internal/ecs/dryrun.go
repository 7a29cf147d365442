package ecs

import (
	"context"

	"github.com/localyun/localyun"
)

// DryRun. Every ECS action that documents DryRun (RunInstances,
// CreateInstance, DeleteInstance, DeleteInstances, StartInstance,
// StopInstance, DescribeInstances) parses it like any parameter (a value
// other than true or false is InvalidParameter) and is authorized as
// usual; with DryRun=true the service then makes every check of the real
// call, reading what it reads, and answers the error the call would meet
// or, when it would succeed, DryRunOperation. It writes nothing. A read
// (DescribeInstances) succeeds once parsed and authorized, so its dry run
// answers DryRunOperation.

// dryRunDelete checks what deleteInstances would: every instance exists in
// the caller's account and the region and, without force, is Stopped.
func (s *Service) dryRunDelete(ctx context.Context, regionID string, ids []string, force bool) error {
	insts, err := s.findInstances(ctx, regionID, ids)
	if err != nil {
		return err
	}
	for _, in := range insts {
		if !force && in.Status != localyun.StatusStopped {
			return errIncorrectStatus
		}
	}
	return errDryRunOperation
}

// dryRunSetStatus checks what setStatus would: the instance exists in the
// caller's account and is in status from.
func (s *Service) dryRunSetStatus(ctx context.Context, id, from string) error {
	inst, err := s.findInstance(ctx, id)
	if err != nil {
		return err
	}
	if inst.Status != from {
		return errIncorrectStatus
	}
	return errDryRunOperation
}
