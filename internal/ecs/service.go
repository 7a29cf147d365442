// Package ecs implements the ECS API (2014-05-26) subset localyun serves:
// regions, instances, and instance RAM roles. handlers.go holds the route
// rows, inputs.go the typed inputs and their parsers, and the Service (this
// file, roles.go, instances.go) every rule.
package ecs

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/auth"
)

// Store is what the ECS service needs of a store.
type Store interface {
	localyun.InstanceStore
	localyun.ClientTokenStore
	FindRoleByName(ctx context.Context, accountID, name string) (localyun.Role, error)
}

// Options configure a Service.
type Options struct {
	Now   func() time.Time
	NewID func(kind string) string
	// CheckPassRole, when set, decides whether the caller may pass the RAM
	// role of that name, in its stored spelling (ram:PassRole); it returns
	// an error to refuse. The service asks before it writes, never while a
	// store transaction is open. Nil allows every caller.
	CheckPassRole func(ctx context.Context, roleName string) error
}

// Service holds the ECS rules.
type Service struct {
	store  Store
	opts   Options
	trusts trustMemo
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

// findRole returns the named role (names are case-insensitive) or
// InvalidRamRole.NotFound.
func (s *Service) findRole(ctx context.Context, name string) (localyun.Role, error) {
	role, err := s.store.FindRoleByName(ctx, accountOf(ctx), name)
	if errors.Is(err, localyun.ErrNotFound) {
		return role, errRAMRoleNotFound
	}
	return role, err
}

// checkPassRole asks whether the caller may pass the role named (stored
// spelling).
func (s *Service) checkPassRole(ctx context.Context, roleName string) error {
	if !s.decidesPassRole(ctx) {
		return nil
	}
	return s.opts.CheckPassRole(ctx, roleName)
}

// decidesPassRole reports whether the caller's PassRole must be decided:
// the root may pass any role, and without a CheckPassRole every caller may.
func (s *Service) decidesPassRole(ctx context.Context) bool {
	p, _ := localyun.PrincipalFromContext(ctx)
	return !p.IsRoot() && s.opts.CheckPassRole != nil
}

// findInstances reads the instances ids of the caller's account in a
// region, in the order of ids. Returns InvalidInstanceId.NotFound unless
// every one exists there.
func (s *Service) findInstances(ctx context.Context, regionID string, ids []string) ([]localyun.Instance, error) {
	found, _, err := s.store.FindInstances(ctx, localyun.InstanceFilter{AccountID: accountOf(ctx), RegionID: regionID, IDs: ids})
	if err != nil {
		return nil, err
	}
	if len(found) != len(ids) {
		return nil, errInstanceNotFound
	}
	if inOrder(found, ids) { // the usual case: ids listed in creation order
		return found, nil
	}
	byID := make(map[string]localyun.Instance, len(found))
	for _, in := range found {
		byID[in.ID] = in
	}
	out := make([]localyun.Instance, len(ids))
	for i, id := range ids {
		in, ok := byID[id]
		if !ok {
			return nil, errInstanceNotFound
		}
		out[i] = in
	}
	return out, nil
}

// inOrder reports whether insts are the instances ids, in that order.
func inOrder(insts []localyun.Instance, ids []string) bool {
	for i, in := range insts {
		if in.ID != ids[i] {
			return false
		}
	}
	return true
}

// findInstance reads one instance of the caller's account, in any region.
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

// instanceError maps the store's ErrNotFound to InvalidInstanceId.NotFound.
func instanceError(err error) error {
	if errors.Is(err, localyun.ErrNotFound) {
		return errInstanceNotFound
	}
	return err
}

// TrustsECS reports whether a trust policy lets ecs.aliyuncs.com assume the
// role: the policy engine's own trust evaluation, so that a Deny statement
// or an unmet condition counts exactly as it does for AssumeRole.
func TrustsECS(doc string) bool {
	return auth.TrustAllows(doc, auth.Caller{Service: "ecs.aliyuncs.com"}, nil)
}

// trustMemo remembers TrustsECS by document. TrustsECS is a function of the
// document's text alone (no clock, no request context), so a remembered
// answer is the answer: nothing to invalidate when a role's policy
// changes, since the new text is another key. Evaluating a policy parses
// its JSON (about 30 µs and 140 allocations), which every Attach would
// otherwise pay.
type trustMemo struct {
	mu sync.RWMutex
	m  map[string]bool
}

// maxTrustMemo bounds the documents remembered; beyond it they are
// evaluated every time.
const maxTrustMemo = 1024

// trustsECS is TrustsECS(doc), remembered.
func (s *Service) trustsECS(doc string) bool {
	m := &s.trusts
	m.mu.RLock()
	ok, known := m.m[doc]
	m.mu.RUnlock()
	if known {
		return ok
	}
	ok = TrustsECS(doc)
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.m) < maxTrustMemo {
		if m.m == nil {
			m.m = map[string]bool{}
		}
		m.m[doc] = ok
	}
	return ok
}
