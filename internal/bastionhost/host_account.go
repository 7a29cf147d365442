package bastionhost

import (
	"context"
	"strings"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/protocol"
)

// The host account family: CreateHostAccount, GetHostAccount,
// ListHostAccounts, ModifyHostAccount, DeleteHostAccount. Their rules are in
// host_account_service.go.

func registerHostAccounts(m *protocol.Mux, s *Service) {
	handleInstance(m, s, "CreateHostAccount", parseCreateHostAccount, func(ctx context.Context, in CreateHostAccountInput) (any, error) {
		id, err := s.CreateHostAccount(ctx, in)
		if err != nil {
			return nil, err
		}
		return createHostAccountResponse{HostAccountID: id}, nil
	})
	handleInstance(m, s, "GetHostAccount", parseObjectRef("HostAccountId"), func(ctx context.Context, in ObjectRef) (any, error) {
		a, err := s.GetHostAccount(ctx, in)
		if err != nil {
			return nil, err
		}
		return getHostAccountResponse{HostAccount: hostAccountItemOf(a)}, nil
	})
	handleInstance(m, s, "ListHostAccounts", parseListHostAccounts, func(ctx context.Context, in ListHostAccountsInput) (any, error) {
		accts, total, err := s.ListHostAccounts(ctx, in)
		if err != nil {
			return nil, err
		}
		out := listHostAccountsResponse{TotalCount: int32(total), HostAccounts: []hostAccountItem{}}
		for _, a := range accts {
			out.HostAccounts = append(out.HostAccounts, hostAccountItemOf(a))
		}
		return out, nil
	})
	handleInstance(m, s, "ModifyHostAccount", parseModifyHostAccount, func(ctx context.Context, in ModifyHostAccountInput) (any, error) {
		return nil, s.ModifyHostAccount(ctx, in)
	})
	handleInstance(m, s, "DeleteHostAccount", parseObjectRef("HostAccountId"), func(ctx context.Context, in ObjectRef) (any, error) {
		return nil, s.DeleteHostAccount(ctx, in)
	})
}

// CreateHostAccountInput is the parsed input of CreateHostAccount: an
// account and its credentials as ValidateHostAccount left them.
type CreateHostAccountInput struct {
	InstanceRef
	Account localyun.BastionHostAccount
	Secret  localyun.BastionSecret
}

func hostAccountSecret(r *protocol.Request) HostAccountSecret {
	return HostAccountSecret{Password: optional(r, "Password"), PrivateKey: optional(r, "PrivateKey"), PassPhrase: optional(r, "PassPhrase")}
}

func parseCreateHostAccount(r *protocol.Request) (CreateHostAccountInput, error) {
	ref, err := parseInstanceRef(r)
	if err != nil {
		return CreateHostAccountInput{}, err
	}
	for _, name := range []string{"HostId", "HostAccountName", "ProtocolName"} {
		if _, err := required(r, name); err != nil {
			return CreateHostAccountInput{}, err
		}
	}
	in := CreateHostAccountInput{InstanceRef: ref, Account: localyun.BastionHostAccount{HostID: strings.TrimSpace(r.Get("HostId")),
		Name: r.Get("HostAccountName"), ProtocolName: r.Get("ProtocolName"), PrivilegeType: r.Get("PrivilegeType"),
		RotationMode: r.Get("RotationMode"), HostShareKeyID: r.Get("HostShareKeyId")}}
	if err := ValidateHostAccount(&in.Account, hostAccountSecret(r), &in.Secret); err != nil {
		return CreateHostAccountInput{}, err
	}
	return in, nil
}

// ListHostAccountsInput is the parsed input of ListHostAccounts: the host
// (HostId, which must exist) and the filter of the accounts.
type ListHostAccountsInput struct {
	ObjectRef
	Filter localyun.BastionHostAccountFilter
}

// parseListHostAccounts reads HostId and the filters; HostIds, when sent,
// lists the accounts of those hosts instead.
func parseListHostAccounts(r *protocol.Request) (ListHostAccountsInput, error) {
	ref, err := parseObjectRef("HostId")(r)
	if err != nil {
		return ListHostAccountsInput{}, err
	}
	f := localyun.BastionHostAccountFilter{HostIDs: []string{ref.ID}, Name: r.Get("HostAccountName")}
	if s := r.Get("HostIds"); s != "" {
		if f.HostIDs, err = parseIDList("HostIds", s, maxMemberIDs); err != nil {
			return ListHostAccountsInput{}, err
		}
	}
	if f.ProtocolName, err = enumParam(r, "ProtocolName", "SSH", "RDP"); err != nil {
		return ListHostAccountsInput{}, err
	}
	if f.Offset, f.Limit, err = paging(r, 20); err != nil {
		return ListHostAccountsInput{}, err
	}
	return ListHostAccountsInput{ObjectRef: ref, Filter: f}, nil
}

// ModifyHostAccountInput is the parsed input of ModifyHostAccount: the
// parameters sent.
type ModifyHostAccountInput struct {
	ObjectRef
	Update HostAccountUpdate
}

func parseModifyHostAccount(r *protocol.Request) (ModifyHostAccountInput, error) {
	ref, err := parseObjectRef("HostAccountId")(r)
	return ModifyHostAccountInput{ObjectRef: ref, Update: HostAccountUpdate{Name: optional(r, "HostAccountName"),
		PrivilegeType: optional(r, "PrivilegeType"), RotationMode: optional(r, "RotationMode"),
		HostShareKeyID: optional(r, "HostShareKeyId"), Secret: hostAccountSecret(r)}}, err
}

func hostAccountItemOf(a localyun.BastionHostAccount) hostAccountItem {
	return hostAccountItem{HostAccountID: a.ID, HostAccountName: a.Name, HostID: a.HostID, ProtocolName: a.ProtocolName,
		HasPassword: a.HasPassword, PrivateKeyFingerprint: a.PrivateKeyFingerprint, HostShareKeyID: a.HostShareKeyID,
		PrivilegeType: a.PrivilegeType, RotationMode: a.RotationMode}
}
