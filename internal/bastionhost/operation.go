package bastionhost

import (
	"context"
	"strconv"
	"strings"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/protocol"
)

// The O&M family, what a bastion user uses: ListOperationHosts,
// ListOperationHostAccounts and GenerateAssetOperationToken (answered for
// the bastion user the caller is, see callerUser), the user public keys
// (CreateUserPublicKey, ListUserPublicKeys, DeleteUserPublicKey), LockUsers,
// UnlockUsers and ModifyHostsPort. Their rules are in operation_service.go.

func registerOperations(m *protocol.Mux, s *Service) {
	handleInstance(m, s, "ListOperationHosts", parseListOperationHosts, func(ctx context.Context, in ListHostsInput) (any, error) {
		hosts, total, err := s.ListOperationHosts(ctx, in)
		if err != nil {
			return nil, err
		}
		out := listOperationHostsResponse{TotalCount: int64(total), Hosts: []operationHostItem{}}
		for _, h := range hosts {
			out.Hosts = append(out.Hosts, operationHostItem{HostID: h.ID, HostName: h.Name, Comment: h.Comment, OSType: h.OSType,
				Source: h.Source, SourceInstanceID: h.SourceInstanceID, SourceInstanceState: h.SourceInstanceState,
				ActiveAddressType: h.ActiveAddressType, HostPublicAddress: h.PublicAddress, HostPrivateAddress: h.PrivateAddress})
		}
		return out, nil
	})
	handleInstance(m, s, "ListOperationHostAccounts", parseListOperationHostAccounts, func(ctx context.Context, in OperationHostAccountsInput) (any, error) {
		accts, total, err := s.ListOperationHostAccounts(ctx, in)
		if err != nil {
			return nil, err
		}
		out := listOperationHostAccountsResponse{TotalCount: int64(total), HostAccounts: []operationAccountItem{}}
		for _, a := range accts {
			item := operationAccountItem{HostAccountID: a.ID, HostAccountName: a.Name, HostID: a.HostID, ProtocolName: a.ProtocolName,
				HasPassword: a.HasPassword, PrivateKeyFingerprint: a.PrivateKeyFingerprint, HostShareKeyID: a.HostShareKeyID}
			if a.ProtocolName == "SSH" {
				item.SSHConfig = &sshConfig{EnableSSHChannel: true, EnableSFTPChannel: true}
			}
			out.HostAccounts = append(out.HostAccounts, item)
		}
		return out, nil
	})
	handleInstance(m, s, "GenerateAssetOperationToken", parseGenerateToken, func(ctx context.Context, in GenerateTokenInput) (any, error) {
		tok, t, err := s.GenerateAssetOperationToken(ctx, in)
		if err != nil {
			return nil, err
		}
		return generateTokenResponse{AssetOperationToken: assetToken{Token: tok, TokenID: t.ID, ExpireTime: t.ExpiresAt.Unix()}}, nil
	})
	registerPublicKeys(m, s)
	handleInstance(m, s, "LockUsers", parseUserIDs, func(ctx context.Context, in MemberIDsInput) (any, error) {
		return userResults(s.LockUsers(ctx, in))
	})
	handleInstance(m, s, "UnlockUsers", parseUserIDs, func(ctx context.Context, in MemberIDsInput) (any, error) {
		return userResults(s.UnlockUsers(ctx, in))
	})
	handleInstance(m, s, "ModifyHostsPort", parseModifyHostsPort, func(ctx context.Context, in ModifyHostsPortInput) (any, error) {
		res, err := s.ModifyHostsPort(ctx, in)
		if err != nil {
			return nil, err
		}
		out := membersResponse{Results: []memberResult{}}
		for _, r := range res {
			code, msg := resultCode(r.Outcome)
			out.Results = append(out.Results, memberResult{Code: code, Message: msg, HostID: r.ID})
		}
		return out, nil
	})
}

func registerPublicKeys(m *protocol.Mux, s *Service) {
	handleInstance(m, s, "CreateUserPublicKey", parseCreatePublicKey, func(ctx context.Context, in CreatePublicKeyInput) (any, error) {
		id, err := s.CreateUserPublicKey(ctx, in)
		if err != nil {
			return nil, err
		}
		return createPublicKeyResponse{PublicKeyID: id}, nil
	})
	handleInstance(m, s, "ListUserPublicKeys", parseListPublicKeys, func(ctx context.Context, in ListPublicKeysInput) (any, error) {
		keys, total, err := s.ListUserPublicKeys(ctx, in)
		if err != nil {
			return nil, err
		}
		out := listPublicKeysResponse{TotalCount: int64(total), PublicKeys: []publicKeyItem{}}
		for _, k := range keys {
			out.PublicKeys = append(out.PublicKeys, publicKeyItem{PublicKeyID: k.ID, PublicKeyName: k.Name, Comment: k.Comment,
				FingerPrint: k.Fingerprint, UserID: k.UserID})
		}
		return out, nil
	})
	handleInstance(m, s, "DeleteUserPublicKey", parseObjectRef("PublicKeyId"), func(ctx context.Context, in ObjectRef) (any, error) {
		return nil, s.DeleteUserPublicKey(ctx, in)
	})
}

// parseListOperationHosts parses the filters of ListOperationHosts: those
// of ListHosts but HostGroupId, with Source Local or Ecs.
func parseListOperationHosts(r *protocol.Request) (ListHostsInput, error) {
	ref, err := parseInstanceRef(r)
	if err != nil {
		return ListHostsInput{}, err
	}
	f, err := hostFilter(r)
	if err != nil {
		return ListHostsInput{}, err
	}
	if f.Source, err = enumParam(r, "Source", localyun.BastionSourceLocal, localyun.BastionSourceEcs); err != nil {
		return ListHostsInput{}, err
	}
	if f.SourceInstanceState, err = enumParam(r, "SourceInstanceState", "Normal", "Release"); err != nil {
		return ListHostsInput{}, err
	}
	f.SourceInstanceID = r.Get("SourceInstanceId")
	return ListHostsInput{InstanceRef: ref, Filter: f}, nil
}

// OperationHostAccountsInput is the input of ListOperationHostAccounts.
type OperationHostAccountsInput struct {
	InstanceRef
	HostID, HostAccountName string
	Offset, Limit           int
}

func parseListOperationHostAccounts(r *protocol.Request) (OperationHostAccountsInput, error) {
	ref, err := parseInstanceRef(r)
	if err != nil {
		return OperationHostAccountsInput{}, err
	}
	in := OperationHostAccountsInput{InstanceRef: ref, HostAccountName: r.Get("HostAccountName")}
	if in.HostID, err = required(r, "HostId"); err != nil {
		return in, err
	}
	in.Offset, in.Limit, err = paging(r, 20)
	return in, err
}

// GenerateTokenInput is the input of GenerateAssetOperationToken: a host
// and one of its accounts, by id or by name (and protocol).
type GenerateTokenInput struct {
	InstanceRef
	HostID                 string
	AccountID, AccountName string // AccountID wins when both are sent
	AccountProtocol        string // "" or SSH or RDP, with AccountName
	OperationNote          string
}

func parseGenerateToken(r *protocol.Request) (GenerateTokenInput, error) {
	ref, err := parseInstanceRef(r)
	if err != nil {
		return GenerateTokenInput{}, err
	}
	in := GenerateTokenInput{InstanceRef: ref, AccountID: strings.TrimSpace(r.Get("AssetAccountId")),
		AccountName: r.Get("AssetAccountName"), OperationNote: r.Get("OperationNote")}
	if in.HostID, err = required(r, "AssetId"); err != nil {
		return in, err
	}
	if _, err := required(r, "AssetType"); err != nil {
		return in, err
	}
	if _, err := checkEnum("AssetType", r.Get("AssetType"), "Host"); err != nil {
		return in, errInvalid("AssetType", "only Host assets are served")
	}
	if mode := r.Get("OperationMode"); mode != "" {
		if _, err := checkEnum("OperationMode", mode, "WebToken"); err != nil {
			return in, errInvalid("OperationMode", "only WebToken is served")
		}
	}
	if r.Get("AssetAccountPassword") != "" {
		return in, errInvalid("AssetAccountPassword", "custom accounts are not served")
	}
	if in.AccountProtocol, err = enumParam(r, "AssetAccountProtocolName", "SSH", "RDP"); err != nil {
		return in, err
	}
	if in.AccountID == "" && in.AccountName == "" {
		return in, errMissing("AssetAccountId")
	}
	return in, checkText("OperationNote", in.OperationNote, 0, 500)
}

// MemberIDsInput is the input of LockUsers and UnlockUsers: 1 to 100
// distinct ids.
type MemberIDsInput struct {
	InstanceRef
	IDs []string
}

func parseUserIDs(r *protocol.Request) (MemberIDsInput, error) {
	ref, err := parseInstanceRef(r)
	if err != nil {
		return MemberIDsInput{}, err
	}
	s, err := required(r, "UserIds")
	if err != nil {
		return MemberIDsInput{}, err
	}
	ids, err := parseIDList("UserIds", s, maxMemberIDs)
	return MemberIDsInput{InstanceRef: ref, IDs: ids}, err
}

// ModifyHostsPortInput is the input of ModifyHostsPort.
type ModifyHostsPortInput struct {
	InstanceRef
	HostIDs  []string
	Protocol string // SSH or RDP
	Port     int    // 22 to 65535
}

func parseModifyHostsPort(r *protocol.Request) (ModifyHostsPortInput, error) {
	ref, err := parseInstanceRef(r)
	if err != nil {
		return ModifyHostsPortInput{}, err
	}
	in := ModifyHostsPortInput{InstanceRef: ref}
	for _, name := range []string{"HostIds", "ProtocolName", "Port"} {
		if _, err := required(r, name); err != nil {
			return in, err
		}
	}
	if in.HostIDs, err = parseIDList("HostIds", r.Get("HostIds"), maxMemberIDs); err != nil {
		return in, err
	}
	if in.Protocol, err = checkEnum("ProtocolName", r.Get("ProtocolName"), "SSH", "RDP"); err != nil {
		return in, err
	}
	port, err := strconv.Atoi(strings.TrimSpace(r.Get("Port")))
	if err != nil || port < 22 || port > 65535 {
		return in, errInvalid("Port", "must be an integer from 22 to 65535")
	}
	in.Port = port
	return in, nil
}

// CreatePublicKeyInput is the input of CreateUserPublicKey: the key parsed.
type CreatePublicKeyInput struct {
	InstanceRef
	Key localyun.BastionPublicKey
}

func parseCreatePublicKey(r *protocol.Request) (CreatePublicKeyInput, error) {
	ref, err := parseInstanceRef(r)
	if err != nil {
		return CreatePublicKeyInput{}, err
	}
	in := CreatePublicKeyInput{InstanceRef: ref}
	for _, name := range []string{"UserId", "PublicKeyName", "PublicKey"} {
		if _, err := required(r, name); err != nil {
			return in, err
		}
	}
	in.Key = localyun.BastionPublicKey{UserID: strings.TrimSpace(r.Get("UserId")), Name: r.Get("PublicKeyName"), Comment: r.Get("Comment")}
	if err := checkLen("PublicKeyName", in.Key.Name, 1, 128); err != nil {
		return in, err
	}
	if err := checkText("Comment", in.Key.Comment, 0, 500); err != nil {
		return in, err
	}
	in.Key.PublicKey, err = ParsePublicKeyParam(r.Get("PublicKey"))
	if err != nil {
		return in, err
	}
	in.Key.Fingerprint = FingerprintMD5(in.Key.PublicKey)
	return in, nil
}

// ListPublicKeysInput is the input of ListUserPublicKeys.
type ListPublicKeysInput struct {
	InstanceRef
	UserID        string // "": every user's
	Offset, Limit int
}

func parseListPublicKeys(r *protocol.Request) (ListPublicKeysInput, error) {
	ref, err := parseInstanceRef(r)
	if err != nil {
		return ListPublicKeysInput{}, err
	}
	in := ListPublicKeysInput{InstanceRef: ref, UserID: strings.TrimSpace(r.Get("UserId"))}
	in.Offset, in.Limit, err = paging(r, 20)
	return in, err
}

// userResults renders per-user outcomes as LockUsers answers them.
func userResults(res []localyun.ItemResult, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	out := membersResponse{Results: []memberResult{}}
	for _, r := range res {
		code, msg := resultCode(r.Outcome)
		out.Results = append(out.Results, memberResult{Code: code, Message: msg, UserID: r.ID})
	}
	return out, nil
}

// Wire shapes (tea SDK models of the 2019-12-09 API).

type operationHostItem struct {
	ActiveAddressType   string `json:"ActiveAddressType" xml:"ActiveAddressType"`
	Comment             string `json:"Comment" xml:"Comment"`
	HostID              string `json:"HostId" xml:"HostId"`
	HostName            string `json:"HostName" xml:"HostName"`
	HostPrivateAddress  string `json:"HostPrivateAddress" xml:"HostPrivateAddress"`
	HostPublicAddress   string `json:"HostPublicAddress" xml:"HostPublicAddress"`
	OSType              string `json:"OSType" xml:"OSType"`
	Source              string `json:"Source" xml:"Source"`
	SourceInstanceID    string `json:"SourceInstanceId" xml:"SourceInstanceId"`
	SourceInstanceState string `json:"SourceInstanceState" xml:"SourceInstanceState"`
}

type listOperationHostsResponse struct {
	TotalCount int64               `json:"TotalCount" xml:"TotalCount"`
	Hosts      []operationHostItem `json:"Hosts" xml:"Hosts"`
}

type sshConfig struct {
	EnableSFTPChannel bool `json:"EnableSFTPChannel" xml:"EnableSFTPChannel"`
	EnableSSHChannel  bool `json:"EnableSSHChannel" xml:"EnableSSHChannel"`
}

type operationAccountItem struct {
	HasPassword           bool       `json:"HasPassword" xml:"HasPassword"`
	HostAccountID         string     `json:"HostAccountId" xml:"HostAccountId"`
	HostAccountName       string     `json:"HostAccountName" xml:"HostAccountName"`
	HostID                string     `json:"HostId" xml:"HostId"`
	HostShareKeyID        string     `json:"HostShareKeyId" xml:"HostShareKeyId"`
	PrivateKeyFingerprint string     `json:"PrivateKeyFingerprint" xml:"PrivateKeyFingerprint"`
	ProtocolName          string     `json:"ProtocolName" xml:"ProtocolName"`
	SSHConfig             *sshConfig `json:"SSHConfig,omitempty" xml:"SSHConfig,omitempty"`
}

type listOperationHostAccountsResponse struct {
	TotalCount   int64                  `json:"TotalCount" xml:"TotalCount"`
	HostAccounts []operationAccountItem `json:"HostAccounts" xml:"HostAccounts"`
}

type assetToken struct {
	Token         string `json:"Token" xml:"Token"`
	TokenID       string `json:"TokenId" xml:"TokenId"`
	ExpireTime    int64  `json:"ExpireTime" xml:"ExpireTime"`
	HasCountLimit bool   `json:"HasCountLimit" xml:"HasCountLimit"`
	CountLeft     int64  `json:"CountLeft" xml:"CountLeft"`
	MaxRenewCount int64  `json:"MaxRenewCount" xml:"MaxRenewCount"`
	RenewCount    int64  `json:"RenewCount" xml:"RenewCount"`
	SsoURL        string `json:"SsoUrl" xml:"SsoUrl"`
}

type generateTokenResponse struct {
	AssetOperationToken assetToken `json:"AssetOperationToken" xml:"AssetOperationToken"`
}

type createPublicKeyResponse struct {
	PublicKeyID string `json:"PublicKeyId" xml:"PublicKeyId"`
}

type publicKeyItem struct {
	Comment       string `json:"Comment" xml:"Comment"`
	FingerPrint   string `json:"FingerPrint" xml:"FingerPrint"`
	PublicKeyID   string `json:"PublicKeyId" xml:"PublicKeyId"`
	PublicKeyName string `json:"PublicKeyName" xml:"PublicKeyName"`
	UserID        string `json:"UserId" xml:"UserId"`
}

type listPublicKeysResponse struct {
	TotalCount int64           `json:"TotalCount" xml:"TotalCount"`
	PublicKeys []publicKeyItem `json:"PublicKeys" xml:"PublicKeys"`
}
