package bastionhost

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/localyun/localyun"
)

// DefaultTokenTTL is how long an O&M token is valid: the product lets the
// administrator choose 1 to 480 minutes; localyun's default is an hour.
const DefaultTokenTTL = time.Hour

var (
	errNotBastionUser = localyun.NewError(http.StatusNotFound, codeNotFound,
		"The caller is not a user of this bastion host (a user of Source Ram with the caller's RAM user id).")
	errNotAuthorized = localyun.NewError(http.StatusForbidden, "NoPermission",
		"The user is not authorized to use this host account.")
)

// ramUsers is the store of RAM users, which names the caller's user id.
type ramUsers interface {
	FindUserByName(ctx context.Context, accountID, name string) (localyun.User, error)
}

// callerUser returns the bastion user the caller is: the user of Source
// Ram whose SourceUserId is the calling RAM user's id. The account root,
// an assumed role and a RAM user without such a bastion user are none
// (ok false).
func (s *Service) callerUser(ctx context.Context, instanceID string) (localyun.BastionUser, bool, error) {
	p, _ := localyun.PrincipalFromContext(ctx)
	users, isRAM := s.store.(ramUsers)
	if p.Type != localyun.PrincipalTypeUser || !isRAM {
		return localyun.BastionUser{}, false, nil
	}
	ru, err := users.FindUserByName(ctx, p.AccountID, p.UserName)
	if errors.Is(err, localyun.ErrNotFound) {
		return localyun.BastionUser{}, false, nil
	}
	if err != nil {
		return localyun.BastionUser{}, false, err
	}
	found, _, err := s.store.FindBastionUsers(ctx, localyun.BastionUserFilter{InstanceID: instanceID, Source: localyun.BastionUserRAM,
		SourceUserID: ru.ID, Now: s.opts.Now(), Limit: 1})
	if err != nil || len(found) == 0 {
		return localyun.BastionUser{}, false, err
	}
	return found[0], true, nil
}

// callerAccess is the effective access of the caller's bastion user (none
// for a caller that is no bastion user).
func (s *Service) callerAccess(ctx context.Context, ref InstanceRef) ([]localyun.BastionAccess, localyun.BastionUser, bool, error) {
	if err := s.instance(ctx, ref); err != nil {
		return nil, localyun.BastionUser{}, false, err
	}
	u, ok, err := s.callerUser(ctx, ref.InstanceID)
	if err != nil || !ok {
		return nil, u, false, err
	}
	access, err := s.EffectiveAccess(ctx, ref.InstanceID, u.ID)
	return access, u, true, err
}

// ListOperationHosts lists a page of the hosts the caller's bastion user
// may use now (EffectiveAccess: a host with at least one usable account)
// that match in.Filter, in id order, and their total. A caller that is no
// bastion user gets none.
func (s *Service) ListOperationHosts(ctx context.Context, in ListHostsInput) ([]localyun.BastionHost, int, error) {
	access, _, _, err := s.callerAccess(ctx, in.InstanceRef)
	if err != nil {
		return nil, 0, err
	}
	var hosts []localyun.BastionHost
	for i, a := range access {
		if (i == 0 || access[i-1].Host.ID != a.Host.ID) && hostMatches(a.Host, in.Filter) {
			hosts = append(hosts, a.Host)
		}
	}
	return page(hosts, in.Filter.Offset, in.Filter.Limit), len(hosts), nil
}

// hostMatches applies the exact-match filters of ListOperationHosts.
func hostMatches(h localyun.BastionHost, f localyun.BastionHostFilter) bool {
	eq := func(want, got string) bool { return want == "" || want == got }
	return eq(f.Name, h.Name) && eq(f.OSType, h.OSType) && eq(f.Source, h.Source) && eq(f.SourceInstanceID, h.SourceInstanceID) &&
		eq(f.SourceInstanceState, h.SourceInstanceState) && (f.Address == "" || f.Address == h.PublicAddress || f.Address == h.PrivateAddress)
}

func page[T any](items []T, offset, limit int) []T {
	if offset >= len(items) {
		return nil
	}
	return items[offset:min(len(items), offset+limit)]
}

// ListOperationHostAccounts lists a page of the accounts of in.HostID the
// caller's bastion user may use now (named in.HostAccountName, when set),
// and their total: none for a host it may not use or that does not exist.
func (s *Service) ListOperationHostAccounts(ctx context.Context, in OperationHostAccountsInput) ([]localyun.BastionHostAccount, int, error) {
	access, _, _, err := s.callerAccess(ctx, in.InstanceRef)
	if err != nil {
		return nil, 0, err
	}
	var accts []localyun.BastionHostAccount
	for _, a := range access {
		if a.Host.ID == in.HostID && (in.HostAccountName == "" || a.Account.Name == in.HostAccountName) {
			accts = append(accts, a.Account)
		}
	}
	return page(accts, in.Offset, in.Limit), len(accts), nil
}

// GenerateAssetOperationToken issues an O&M token for the caller's bastion
// user to log in to one host as one account (by id, or by name and
// protocol) it may use now, valid for Options.TokenTTL. The token is
// returned once; the store keeps its SHA-256. Returns OBJECT_NOT_FOUND
// when the caller is no bastion user, HostNotFound / HostAccountNotFound,
// or 403 NoPermission when the user may not use that account.
func (s *Service) GenerateAssetOperationToken(ctx context.Context, in GenerateTokenInput) (string, localyun.BastionOperationToken, error) {
	var none localyun.BastionOperationToken
	access, u, ok, err := s.callerAccess(ctx, in.InstanceRef)
	if err != nil {
		return "", none, err
	}
	if !ok {
		return "", none, errNotBastionUser
	}
	if _, err := s.store.FindBastionHost(ctx, in.InstanceID, in.HostID); err != nil {
		return "", none, objectError(err, errHostNotFound, nil)
	}
	var chosen *localyun.BastionHostAccount
	for i, a := range access {
		if a.Host.ID == in.HostID && tokenAccountMatches(a.Account, in) {
			chosen = &access[i].Account
			break
		}
	}
	if chosen == nil {
		if in.AccountID != "" {
			if a, err := s.store.FindBastionHostAccount(ctx, in.InstanceID, in.AccountID); err != nil || a.HostID != in.HostID {
				return "", none, objectError(firstErr(err, localyun.ErrNotFound), errHostAccountNotFound, nil)
			}
		}
		return "", none, errNotAuthorized
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", none, err
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	sum := sha256.Sum256([]byte(token))
	now := s.opts.Now()
	t, err := s.store.CreateBastionOperationToken(ctx, localyun.BastionOperationToken{InstanceID: in.InstanceID, UserID: u.ID,
		HostID: in.HostID, AccountID: chosen.ID, Sum: sum[:], CreatedAt: now, ExpiresAt: now.Add(s.opts.TokenTTL)})
	if err != nil {
		return "", none, objectError(err, errHostAccountNotFound, nil)
	}
	return token, t, nil
}

// tokenAccountMatches reports whether a is the account a token request
// names: by id, or by name (and protocol, when sent).
func tokenAccountMatches(a localyun.BastionHostAccount, in GenerateTokenInput) bool {
	if in.AccountID != "" {
		return a.ID == in.AccountID
	}
	return a.Name == in.AccountName && (in.AccountProtocol == "" || a.ProtocolName == in.AccountProtocol)
}

// CreateUserPublicKey registers a public key of a user for SSH logins to
// the bastion and returns its id. Returns OBJECT_NOT_FOUND (no such user)
// or OBJECT_AlREADY_EXISTS (the user has that key).
func (s *Service) CreateUserPublicKey(ctx context.Context, in CreatePublicKeyInput) (string, error) {
	if err := s.instance(ctx, in.InstanceRef); err != nil {
		return "", err
	}
	k := in.Key
	k.InstanceID, k.CreatedAt = in.InstanceID, s.opts.Now()
	created, err := s.store.CreateBastionPublicKey(ctx, k)
	if err != nil {
		return "", objectError(err, errObjectNotFound("user"), errObjectExists("public key"))
	}
	return created.ID, nil
}

// ListUserPublicKeys lists a page of the public keys of a user (of every
// user without UserId), in id order, and their total. Returns
// OBJECT_NOT_FOUND for an unknown user.
func (s *Service) ListUserPublicKeys(ctx context.Context, in ListPublicKeysInput) ([]localyun.BastionPublicKey, int, error) {
	if err := s.instance(ctx, in.InstanceRef); err != nil {
		return nil, 0, err
	}
	if in.UserID != "" {
		if _, err := s.store.FindBastionUser(ctx, in.InstanceID, in.UserID); err != nil {
			return nil, 0, objectError(err, errObjectNotFound("user"), nil)
		}
	}
	return s.store.FindBastionPublicKeys(ctx, localyun.BastionPublicKeyFilter{InstanceID: in.InstanceID, UserID: in.UserID,
		Offset: in.Offset, Limit: in.Limit})
}

// DeleteUserPublicKey deletes a public key. Returns OBJECT_NOT_FOUND.
// Sessions logged in with it stay up.
func (s *Service) DeleteUserPublicKey(ctx context.Context, ref ObjectRef) error {
	if err := s.instance(ctx, ref.InstanceRef); err != nil {
		return err
	}
	return objectError(s.store.DeleteBastionPublicKey(ctx, ref.InstanceID, ref.ID), errObjectNotFound("public key"), nil)
}

// LockUsers locks users: they can no longer log in to the bastion, have no
// access (EffectiveAccess) and their state is Frozen; their live sessions
// end. One outcome per id: OK, OBJECT_AlREADY_EXISTS (already locked),
// OBJECT_NOT_FOUND or INVALID_ARGUMENT.
func (s *Service) LockUsers(ctx context.Context, in MemberIDsInput) ([]localyun.ItemResult, error) {
	return s.setLocked(ctx, in, true)
}

// UnlockUsers unlocks users, the reverse of LockUsers.
func (s *Service) UnlockUsers(ctx context.Context, in MemberIDsInput) ([]localyun.ItemResult, error) {
	return s.setLocked(ctx, in, false)
}

func (s *Service) setLocked(ctx context.Context, in MemberIDsInput, locked bool) ([]localyun.ItemResult, error) {
	if err := s.instance(ctx, in.InstanceRef); err != nil {
		return nil, err
	}
	facts, err := s.store.SetBastionUsersLocked(ctx, in.InstanceID, in.IDs, locked)
	if locked {
		err = s.afterAccessWrite(in.InstanceID, err)
	}
	if err != nil {
		return nil, objectError(err, nil, nil)
	}
	return memberResults(facts, false), nil
}

// ModifyHostsPort sets the SSH or RDP port of hosts, which the gateway
// then reaches them on. One outcome per id: OK (also when the port was
// that already), OBJECT_NOT_FOUND or INVALID_ARGUMENT.
func (s *Service) ModifyHostsPort(ctx context.Context, in ModifyHostsPortInput) ([]localyun.ItemResult, error) {
	if err := s.instance(ctx, in.InstanceRef); err != nil {
		return nil, err
	}
	facts, err := s.store.SetBastionHostsPort(ctx, in.InstanceID, in.HostIDs, in.Protocol, in.Port)
	if err != nil {
		return nil, objectError(err, nil, nil)
	}
	return memberResults(facts, true), nil
}

// memberResults turns the facts of a per-id batch into outcomes; with
// sameIsOK an id whose state was already the one asked for is OK.
func memberResults(facts []localyun.BastionMemberChange, sameIsOK bool) []localyun.ItemResult {
	out := make([]localyun.ItemResult, len(facts))
	for i, f := range facts {
		out[i].ID = f.ID
		_, wellFormed := localyun.ParseBastionID(f.ID)
		switch {
		case !wellFormed:
			out[i].Outcome = localyun.OutcomeInvalid
		case !f.Exists:
			out[i].Outcome = localyun.OutcomeMissing
		case f.Changed || sameIsOK:
			out[i].Outcome = localyun.OutcomeChanged
		default:
			out[i].Outcome = localyun.OutcomeUnchanged
		}
	}
	return out
}

// sshKeyTypes are the public key algorithms a user may register.
var sshKeyTypes = []string{"ssh-rsa", "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
	"sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com"}

// ParsePublicKeyParam parses the PublicKey parameter: an OpenSSH
// authorized_keys line ("ssh-ed25519 AAAA... comment"), Base64-encoded as
// the API asks, or as it is. It returns the key in SSH wire format.
func ParsePublicKeyParam(v string) ([]byte, error) {
	line := strings.TrimSpace(v)
	if dec, err := base64.StdEncoding.DecodeString(line); err == nil && strings.HasPrefix(string(dec), "ssh-") ||
		err == nil && strings.HasPrefix(string(dec), "ecdsa-") || err == nil && strings.HasPrefix(string(dec), "sk-") {
		line = strings.TrimSpace(string(dec))
	}
	fields := strings.Fields(line)
	bad := errInvalid("PublicKey", "must be an OpenSSH public key (ssh-ed25519, ssh-rsa or ecdsa), Base64-encoded")
	if len(fields) < 2 || len(v) > 16384 {
		return nil, bad
	}
	blob, err := base64.StdEncoding.DecodeString(fields[1])
	if err != nil || len(blob) < 4 {
		return nil, bad
	}
	n := binary.BigEndian.Uint32(blob)
	if uint64(n) > uint64(len(blob)-4) || string(blob[4:4+n]) != fields[0] {
		return nil, bad
	}
	for _, t := range sshKeyTypes {
		if t == fields[0] {
			return blob, nil
		}
	}
	return nil, bad
}

// FingerprintMD5 is the MD5 fingerprint of a wire-format key, as
// ListUserPublicKeys shows it: colon-separated lower-case hex.
func FingerprintMD5(key []byte) string {
	sum := md5.Sum(key)
	var b bytes.Buffer
	for i, c := range sum {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02x", c)
	}
	return b.String()
}
