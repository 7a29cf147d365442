// Package admin implements the administrative actions of localyun's own
// product Localyun (Version 2026-11-30, the Product of package explain):
// ResetAccount, which empties the caller's account on a running server so
// that a test suite can start each test from a clean account without
// restarting it.
//
// The action is one row of Register: a typed input parsed once, the
// resource RAM would decide localyun:ResetAccount on, and the Service
// method of the action's name. Only the account's root may call it: a RAM
// user or a role session is refused whatever its policies allow.
package admin

import (
	"context"
	"net/http"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/auth"
	"github.com/localyun/localyun/internal/explain"
	"github.com/localyun/localyun/internal/protocol"
)

// Store is what the admin service changes.
type Store interface {
	ResetAccount(ctx context.Context, accountID string, opts localyun.ResetOptions) ([]localyun.ResetCount, error)
}

// Service answers the Localyun administrative actions.
type Service struct {
	store Store
}

// NewService returns the admin service over store.
func NewService(store Store) *Service {
	return &Service{store: store}
}

// Register adds the administrative actions to m, under the Localyun
// product (explain.Product).
func Register(m *protocol.Mux, s *Service) {
	protocol.Handle(m, explain.Product, protocol.Action[resetInput]{Name: "ResetAccount", Resource: docAccount,
		Parse: parseReset, Resources: s.accountARN, Serve: s.serveReset})
}

// docAccount is ResetAccount's resource, as docs/authorization.md shows it.
const docAccount = "acs:ram::<uid>:root (the caller's account; the account's root only: RAM users and roles are refused whatever their policies)"

// resetInput is ResetAccount's: DryRun counts without deleting;
// KeepEvents (default true) keeps the account's audit trail.
type resetInput struct {
	DryRun     bool
	KeepEvents bool
}

func parseReset(r *protocol.Request) (resetInput, error) {
	in := resetInput{KeepEvents: true}
	var err error
	if in.DryRun, _, err = r.Bool("DryRun"); err != nil {
		return in, errInvalid("DryRun")
	}
	if keep, sent, err := r.Bool("KeepEvents"); err != nil {
		return in, errInvalid("KeepEvents")
	} else if sent {
		in.KeepEvents = keep
	}
	return in, nil
}

func errInvalid(name string) error {
	return localyun.NewError(http.StatusBadRequest, "InvalidParameter."+name, "The parameter "+name+" is invalid: true or false.")
}

// ramAction is ResetAccount's RAM action.
const ramAction = "localyun:ResetAccount"

// errRootOnly refuses ResetAccount to a principal other than the root, as
// a RAM denial (AccessDeniedDetail, so that it is an audit event like
// one): an explicit deny, which no policy lifts.
func errRootOnly(p localyun.Principal) error {
	return &localyun.Error{Status: http.StatusForbidden, Code: explain.Product.DenyCode,
		Message: "Only the account's root may reset the account: RAM users and roles cannot be granted " + ramAction + ".",
		Detail:  auth.Detail(ramAction, p, auth.Decision{ExplicitDeny: true}, "")}
}

// accountARN is ResetAccount's resource: the caller's account, named by
// its root. Returns NoPermission unless the caller is the root (the
// server asks for the resources of every principal but the root).
func (s *Service) accountARN(_ context.Context, p localyun.Principal, _ resetInput) ([]string, error) {
	if !p.IsRoot() {
		return nil, errRootOnly(p)
	}
	return []string{"acs:ram::" + p.AccountID + ":root"}, nil
}

// resetResponse is ResetAccount's. Deleted lists the rows deleted (with
// DryRun: that would be) per table of the schema, children before
// parents; rows that go with them (a bastion instance's hosts, users and
// grants, an instance's metadata session) are not counted.
type resetResponse struct {
	AccountID  string      `json:"AccountId" xml:"AccountId"`
	DryRun     bool        `json:"DryRun" xml:"DryRun"`
	KeepEvents bool        `json:"KeepEvents" xml:"KeepEvents"`
	TotalCount int         `json:"TotalCount" xml:"TotalCount"`
	Deleted    []countItem `json:"Deleted" xml:"Deleted"`
}

type countItem struct {
	Table string `json:"Table" xml:"Table"`
	Count int    `json:"Count" xml:"Count"`
}

func (s *Service) serveReset(ctx context.Context, in resetInput) (any, error) {
	return s.ResetAccount(ctx, in)
}

// ResetAccount deletes every resource of the caller's account (see
// localyun.AccountResetStore): RAM users and their AccessKeys, groups,
// roles, custom policies and attachments, STS sessions (every temporary
// credential of the account stops at its next call, whatever the
// revocation mode), ECS instances with their metadata sessions and client
// tokens, bastion instances and everything under them (their live SSH
// sessions end), keeping the account, its root AccessKeys and, with
// KeepEvents, its audit events; the reset is an event itself, the only
// one left without KeepEvents. With DryRun it counts and deletes nothing
// (and leaves no event). Returns NoPermission for any caller but the root.
func (s *Service) ResetAccount(ctx context.Context, in resetInput) (*resetResponse, error) {
	p, _ := localyun.PrincipalFromContext(ctx)
	if !p.IsRoot() {
		return nil, errRootOnly(p)
	}
	counts, err := s.store.ResetAccount(ctx, p.AccountID, localyun.ResetOptions{DryRun: in.DryRun, ClearEvents: !in.KeepEvents})
	if err != nil {
		return nil, err
	}
	out := &resetResponse{AccountID: p.AccountID, DryRun: in.DryRun, KeepEvents: in.KeepEvents, Deleted: []countItem{}}
	for _, c := range counts {
		out.Deleted = append(out.Deleted, countItem{Table: c.Table, Count: c.Rows})
		out.TotalCount += c.Rows
	}
	return out, nil
}
