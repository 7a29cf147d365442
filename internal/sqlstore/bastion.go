package sqlstore

import (
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/localyun/localyun"
)

// BastionNotFound is the ErrNotFound of a Bastionhost object.
func BastionNotFound(what string, id any) error {
	return fmt.Errorf("bastion %s %v: %w", what, id, localyun.ErrNotFound)
}

// BastionIDs returns the well-formed Bastionhost object ids among ss (see
// localyun.ParseBastionID) as numbers, each once, in their order: ids that
// are not well formed name no object.
func BastionIDs(ss []string) []int64 {
	out := make([]int64, 0, len(ss))
	seen := make(map[int64]bool, len(ss))
	for _, s := range ss {
		if n, ok := localyun.ParseBastionID(s); ok && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// RowsChanged reports whether an Exec changed a row.
func RowsChanged(res sql.Result, err error) (bool, error) {
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// Swapped is the answer of a compare-and-set UPDATE of one object: nil when
// it changed the row; otherwise ErrNotFound when the row is gone (exists
// reports false) and ErrConflict when it no longer holds the values the
// caller read.
func Swapped(changed bool, err error, exists func() (bool, error), what string, id any) error {
	if err != nil || changed {
		return err
	}
	ok, err := exists()
	switch {
	case err != nil:
		return err
	case !ok:
		return BastionNotFound(what, id)
	}
	return fmt.Errorf("bastion %s %v changed since it was read: %w", what, id, localyun.ErrConflict)
}

// MemberChanges runs change, in order, on every id that names a member
// (exists reports true for its number) and reports what it saw: an id that
// is not a well-formed number names no member.
func MemberChanges(ids []string, exists func(n int64) (bool, error), change func(n int64) (bool, error)) ([]localyun.BastionMemberChange, error) {
	out := make([]localyun.BastionMemberChange, len(ids))
	for i, id := range ids {
		out[i].ID = id
		n, ok := localyun.ParseBastionID(id)
		if !ok {
			continue
		}
		var err error
		if out[i].Exists, err = exists(n); err != nil {
			return nil, err
		}
		if !out[i].Exists {
			continue
		}
		if out[i].Changed, err = change(n); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Millis is a time as the stores keep it: Unix milliseconds, 0 for the
// zero time.
func Millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// FromMillis is the reverse of Millis.
func FromMillis(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.UnixMilli(n).UTC()
}

// Flag is a bool as the Bastionhost tables store it: 0 or 1.
func Flag(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// BastionInstanceColumns are the columns ScanBastionInstance reads.
const BastionInstanceColumns = `id, account_id, region_id, status, description, plan_code, vpc_id, vswitch_id, created_at, expires_at`

// ScanBastionInstance scans the BastionInstanceColumns.
func ScanBastionInstance(row Scanner) (localyun.BastionInstance, error) {
	var b localyun.BastionInstance
	var created, expires int64
	err := row.Scan(&b.ID, &b.AccountID, &b.RegionID, &b.Status, &b.Description, &b.PlanCode, &b.VpcID,
		&b.VSwitchID, &created, &expires)
	b.CreatedAt, b.ExpiresAt = FromMillis(created), FromMillis(expires)
	return b, err
}

// BastionHostColumns are the columns of a host (alias h) ScanBastionHost
// reads, with its number of accounts.
const BastionHostColumns = `h.instance_id, h.id, h.name, h.comment, h.os_type, h.source, h.source_instance_id,
	h.source_instance_state, h.instance_region_id, h.instance_member_id, h.active_address_type, h.public_address,
	h.private_address, h.network_domain_id, h.pref_kex, h.created_at, h.ssh_port, h.rdp_port,
	(SELECT COUNT(*) FROM bastion_host_accounts a WHERE a.instance_id = h.instance_id AND a.host_id = h.id)`

// ScanBastionHost scans the BastionHostColumns.
func ScanBastionHost(row Scanner) (localyun.BastionHost, error) {
	var h localyun.BastionHost
	var id, created int64
	err := row.Scan(&h.InstanceID, &id, &h.Name, &h.Comment, &h.OSType, &h.Source, &h.SourceInstanceID,
		&h.SourceInstanceState, &h.InstanceRegionID, &h.InstanceMemberID, &h.ActiveAddressType, &h.PublicAddress,
		&h.PrivateAddress, &h.NetworkDomainID, &h.PrefKex, &created, &h.SSHPort, &h.RDPPort, &h.AccountCount)
	h.ID, h.CreatedAt = localyun.FormatBastionID(id), FromMillis(created)
	return h, err
}

// BastionHostBriefColumns are the columns of BastionHostFilter.Brief: no
// account count.
const BastionHostBriefColumns = `h.instance_id, h.id, h.name, h.comment, h.os_type, h.active_address_type, h.public_address,
	h.private_address`

// ScanBastionHostBrief scans the BastionHostBriefColumns.
func ScanBastionHostBrief(row Scanner) (localyun.BastionHost, error) {
	var h localyun.BastionHost
	var id int64
	err := row.Scan(&h.InstanceID, &id, &h.Name, &h.Comment, &h.OSType, &h.ActiveAddressType, &h.PublicAddress,
		&h.PrivateAddress)
	h.ID = localyun.FormatBastionID(id)
	return h, err
}

// BastionHostAccountColumns are the columns of a host account (alias a)
// ScanBastionHostAccount reads. Of its credentials they read only whether
// it has a password, the one derived fact the API may show.
const BastionHostAccountColumns = `a.instance_id, a.id, a.host_id, a.name, a.protocol_name, a.privilege_type, a.rotation_mode,
	a.host_share_key_id, a.private_key_fingerprint, a.created_at, (a.password <> '')`

// ScanBastionHostAccount scans the BastionHostAccountColumns and then the
// extra columns into extra.
func ScanBastionHostAccount(row Scanner, extra ...any) (localyun.BastionHostAccount, error) {
	var a localyun.BastionHostAccount
	var id, host, created int64
	err := row.Scan(append([]any{&a.InstanceID, &id, &host, &a.Name, &a.ProtocolName, &a.PrivilegeType, &a.RotationMode,
		&a.HostShareKeyID, &a.PrivateKeyFingerprint, &created, &a.HasPassword}, extra...)...)
	a.ID, a.HostID, a.CreatedAt = localyun.FormatBastionID(id), localyun.FormatBastionID(host), FromMillis(created)
	return a, err
}

// BastionUserColumns are the columns of a user (alias u) ScanBastionUser reads.
const BastionUserColumns = `u.instance_id, u.id, u.name, u.display_name, u.comment, u.email, u.mobile, u.mobile_country_code,
	u.source, u.source_user_id, u.need_reset_password, u.effective_start_time, u.effective_end_time,
	u.two_factor_status, u.two_factor_methods, u.language_status, u.language, u.created_at, u.locked`

// ScanBastionUser scans the BastionUserColumns.
func ScanBastionUser(row Scanner) (localyun.BastionUser, error) {
	var u localyun.BastionUser
	var id, created, needReset, locked int64
	var methods string
	err := row.Scan(&u.InstanceID, &id, &u.Name, &u.DisplayName, &u.Comment, &u.Email, &u.Mobile, &u.MobileCountryCode,
		&u.Source, &u.SourceUserID, &needReset, &u.EffectiveStartTime, &u.EffectiveEndTime,
		&u.TwoFactorStatus, &methods, &u.LanguageStatus, &u.Language, &created, &locked)
	u.ID, u.CreatedAt, u.NeedResetPassword = localyun.FormatBastionID(id), FromMillis(created), needReset != 0
	u.Locked = locked != 0
	u.TwoFactorMethods = SplitMethods(methods)
	return u, err
}

// JoinMethods is the two_factor_methods column of a user.
func JoinMethods(methods []string) string { return strings.Join(methods, ",") }

// SplitMethods is the reverse of JoinMethods.
func SplitMethods(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// The columns of a group (alias g) ScanBastionGroup reads, per kind: they
// differ in the member table counted.
const (
	BastionUserGroupColumns = `g.instance_id, g.id, g.name, g.comment, g.created_at,
	(SELECT COUNT(*) FROM bastion_user_group_members m WHERE m.instance_id = g.instance_id AND m.user_group_id = g.id)`
	BastionHostGroupColumns = `g.instance_id, g.id, g.name, g.comment, g.created_at,
	(SELECT COUNT(*) FROM bastion_host_group_members m WHERE m.instance_id = g.instance_id AND m.host_group_id = g.id)`
)

// ScanBastionGroup scans the group columns of kind.
func ScanBastionGroup(row Scanner, kind string) (localyun.BastionGroup, error) {
	g := localyun.BastionGroup{Kind: kind}
	var id, created int64
	err := row.Scan(&g.InstanceID, &id, &g.Name, &g.Comment, &created, &g.MemberCount)
	g.ID, g.CreatedAt = localyun.FormatBastionID(id), FromMillis(created)
	return g, err
}

// SealSecret returns the column values of the credentials u sets, each
// sealed with seal (an empty one stays empty, so that "has a password"
// remains a plain comparison), and nil for those it leaves as stored.
func SealSecret(u localyun.BastionSecretUpdate, seal func(string) (string, error)) (password, privateKey, passPhrase any, err error) {
	out := make([]any, 3)
	for i, v := range []*string{u.Password, u.PrivateKey, u.PassPhrase} {
		switch {
		case v == nil:
		case *v == "":
			out[i] = ""
		default:
			if out[i], err = seal(*v); err != nil {
				return nil, nil, nil, err
			}
		}
	}
	return out[0], out[1], out[2], nil
}

// SetSecret is the BastionSecretUpdate that sets every credential to s's.
func SetSecret(s localyun.BastionSecret) localyun.BastionSecretUpdate {
	return localyun.BastionSecretUpdate{Password: &s.Password, PrivateKey: &s.PrivateKey, PassPhrase: &s.PassPhrase}
}

// OpenSecret opens every stored credential of s with open.
func OpenSecret(s *localyun.BastionSecret, open func(string) (string, error)) error {
	for _, p := range []*string{&s.Password, &s.PrivateKey, &s.PassPhrase} {
		plain, err := open(*p)
		if err != nil {
			return err
		}
		*p = plain
	}
	return nil
}

// The values of the columns a Bastionhost object's INSERT and its
// compare-and-set UPDATE write, in the order of their statements (after
// instance_id, id and created_at):
//
//   - host: name, comment, os_type, source, source_instance_id,
//     source_instance_state, instance_region_id, instance_member_id,
//     active_address_type, public_address, private_address,
//     network_domain_id, pref_kex;
//   - host account (after host_id): name, protocol_name, privilege_type,
//     rotation_mode, host_share_key_id, private_key_fingerprint;
//   - user: name, display_name, comment, email, mobile,
//     mobile_country_code, source, source_user_id, need_reset_password,
//     effective_start_time, effective_end_time, two_factor_status,
//     two_factor_methods, language_status, language.

// BastionHostValues are the column values of a host.
func BastionHostValues(h localyun.BastionHost) []any {
	return []any{h.Name, h.Comment, h.OSType, h.Source, h.SourceInstanceID, h.SourceInstanceState, h.InstanceRegionID,
		h.InstanceMemberID, h.ActiveAddressType, h.PublicAddress, h.PrivateAddress, h.NetworkDomainID, h.PrefKex}
}

// BastionHostAccountValues are the column values of a host account.
func BastionHostAccountValues(a localyun.BastionHostAccount) []any {
	return []any{a.Name, a.ProtocolName, a.PrivilegeType, a.RotationMode, a.HostShareKeyID, a.PrivateKeyFingerprint}
}

// BastionUserValues are the column values of a user.
func BastionUserValues(u localyun.BastionUser) []any {
	return []any{u.Name, u.DisplayName, u.Comment, u.Email, u.Mobile, u.MobileCountryCode, u.Source, u.SourceUserID,
		Flag(u.NeedResetPassword), u.EffectiveStartTime, u.EffectiveEndTime, u.TwoFactorStatus,
		JoinMethods(u.TwoFactorMethods), u.LanguageStatus, u.Language}
}

// CASArgs are the arguments of a compare-and-set UPDATE: "SET <columns> =
// set WHERE instance_id = ? AND id = ? AND <columns> = old".
func CASArgs(set []any, instanceID string, id int64, old []any) []any {
	return append(append(append([]any{}, set...), instanceID, id), old...)
}
