// Package bastionhost implements the Bastionhost API (Yundun-bastionhost
// 2019-12-09) subset localyun serves: bastion instances, hosts, host
// accounts, users, user groups, host groups and the grants between them.
package bastionhost

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/localyun/localyun"
)

// Store is what the Bastionhost service needs of a store.
type Store interface {
	localyun.BastionInstanceStore
	localyun.BastionStore
}

// Options configure a Service.
type Options struct {
	Now func() time.Time
}

// Service holds the Bastionhost rules.
type Service struct {
	store Store
	opts  Options
}

// NewService returns a Bastionhost service over store.
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

// Instance checks that the bastion instance exists in the caller's account
// (and in regionID, when given). Returns Commodity.BizError.InvalidStatus.
func (s *Service) Instance(ctx context.Context, instanceID, regionID string) (localyun.BastionInstance, error) {
	b, err := s.store.FindBastionInstance(ctx, accountOf(ctx), instanceID)
	if errors.Is(err, localyun.ErrNotFound) || err == nil && regionID != "" && b.RegionID != regionID {
		return b, errInstanceNotFound
	}
	return b, err
}

// objectError maps store kinds to the top-level error of an object kind.
func objectError(err error, notFound, exists error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, localyun.ErrNotFound) && notFound != nil:
		return notFound
	case errors.Is(err, localyun.ErrAlreadyExists) && exists != nil:
		return exists
	}
	return err
}

// Validation. Each rule names the parameter it is about, so the seed file
// loader can reuse it.

func checkLen(name, v string, min, max int) error {
	if !utf8.ValidString(v) {
		return errInvalid(name, "not valid UTF-8")
	}
	n := utf8.RuneCountInString(v)
	if n < min || n > max {
		if min > 0 && v == "" {
			return errMissing(name)
		}
		return errInvalid(name, "length must be from "+strconv.Itoa(min)+" to "+strconv.Itoa(max))
	}
	for _, r := range v {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return errInvalid(name, "control characters are not allowed")
		}
	}
	return nil
}

func checkEnum(name, v string, allowed ...string) (string, error) {
	for _, a := range allowed {
		if strings.EqualFold(v, a) {
			return a, nil
		}
	}
	return "", errInvalid(name, "must be one of "+strings.Join(allowed, ", "))
}

// checkAddress accepts an IPv4 or IPv6 address or a domain name.
func checkAddress(name, v string) error {
	if v == "" || len(v) > 253 {
		return errInvalid(name, "must be an IP address or a domain name")
	}
	for _, r := range v {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == ':' || r == '_') {
			return errInvalid(name, "must be an IP address or a domain name")
		}
	}
	return nil
}

var prefKexes = []string{"default", "diffie-hellman-group1-sha1", "diffie-hellman-group14-sha1",
	"diffie-hellman-group-exchange-sha1", "diffie-hellman-group-exchange-sha256", "ecdh-sha2-nistp256",
	"ecdh-sha2-nistp384", "ecdh-sha2-nistp521", "curve25519-sha256", "curve25519-sha256@libssh.org"}

// ValidateHost checks a host as CreateHost and ModifyHost leave it, and
// normalizes the case of its enumerations.
func ValidateHost(h *localyun.BastionHost) error {
	var err error
	if err = checkLen("HostName", h.Name, 1, 128); err != nil {
		return err
	}
	if err = checkLen("Comment", h.Comment, 0, 500); err != nil {
		return err
	}
	if h.OSType, err = checkEnum("OSType", h.OSType, "Linux", "Windows"); err != nil {
		return err
	}
	if h.Source, err = checkEnum("Source", h.Source, localyun.BastionSourceLocal, localyun.BastionSourceEcs, localyun.BastionSourceRds); err != nil {
		return err
	}
	if h.ActiveAddressType, err = checkEnum("ActiveAddressType", h.ActiveAddressType, localyun.BastionAddressPublic, localyun.BastionAddressPrivate); err != nil {
		return err
	}
	for _, a := range []struct{ name, v, active string }{
		{"HostPublicAddress", h.PublicAddress, localyun.BastionAddressPublic},
		{"HostPrivateAddress", h.PrivateAddress, localyun.BastionAddressPrivate},
	} {
		switch {
		case a.v == "" && h.ActiveAddressType == a.active:
			return errMissing(a.name)
		case a.v != "":
			if err := checkAddress(a.name, a.v); err != nil {
				return err
			}
		}
	}
	if h.Source == localyun.BastionSourceLocal {
		if h.SourceInstanceID != "" {
			return errInvalid("SourceInstanceId", "only hosts of source Ecs or Rds have one")
		}
		h.InstanceRegionID, h.SourceInstanceState = "", ""
	} else {
		if h.SourceInstanceID == "" {
			return errMissing("SourceInstanceId")
		}
		if err := checkLen("SourceInstanceId", h.SourceInstanceID, 1, 64); err != nil {
			return err
		}
		if h.InstanceRegionID == "" {
			return errMissing("InstanceRegionId")
		}
		// The region of the source ECS or RDS instance: any Alibaba Cloud
		// region id, not only the ones Bastionhost itself is sold in.
		if !regionIDRE.MatchString(h.InstanceRegionID) {
			return errInvalid("InstanceRegionId", "not a region id")
		}
		if h.SourceInstanceState == "" {
			h.SourceInstanceState = "Normal"
		}
	}
	if h.InstanceMemberID < 0 {
		return errInvalid("InstanceMemberId", "must not be negative")
	}
	if err := checkLen("NetworkDomainId", h.NetworkDomainID, 0, 64); err != nil {
		return err
	}
	if h.PrefKex != "" {
		if h.OSType != "Linux" {
			return errInvalid("PrefKex", "only Linux hosts have a key exchange preference")
		}
		if h.PrefKex, err = checkEnum("PrefKex", h.PrefKex, prefKexes...); err != nil {
			return err
		}
	}
	return nil
}

// CreateHost validates and creates a host; it returns the new id.
func (s *Service) CreateHost(ctx context.Context, h localyun.BastionHost) (string, error) {
	if err := ValidateHost(&h); err != nil {
		return "", err
	}
	h.CreatedAt = s.opts.Now()
	created, err := s.store.CreateBastionHost(ctx, h)
	if err != nil {
		return "", objectError(err, errInstanceNotFound, nil)
	}
	return created.ID, nil
}

// HostUpdate holds the ModifyHost parameters that were sent.
type HostUpdate struct {
	Name, Comment, OSType, PublicAddress, PrivateAddress, NetworkDomainID, PrefKex *string
}

// ModifyHost applies upd to a host. Returns HostNotFound.
func (s *Service) ModifyHost(ctx context.Context, instanceID, id string, upd HostUpdate) error {
	_, err := s.store.UpdateBastionHost(ctx, instanceID, id, func(h *localyun.BastionHost) error {
		set := func(dst *string, v *string) {
			if v != nil {
				*dst = *v
			}
		}
		set(&h.Name, upd.Name)
		set(&h.Comment, upd.Comment)
		set(&h.OSType, upd.OSType)
		set(&h.PublicAddress, upd.PublicAddress)
		set(&h.PrivateAddress, upd.PrivateAddress)
		set(&h.NetworkDomainID, upd.NetworkDomainID)
		set(&h.PrefKex, upd.PrefKex)
		if upd.OSType != nil && upd.PrefKex == nil && !strings.EqualFold(*upd.OSType, "Linux") {
			h.PrefKex = ""
		}
		return ValidateHost(h)
	})
	return objectError(err, errHostNotFound, nil)
}

// HostAccountSecret holds the credential parameters that were sent.
type HostAccountSecret struct {
	Password, PrivateKey, PassPhrase *string
}

// decodePrivateKey accepts a Base64-encoded key (as the API documents) or
// PEM text and returns the key bytes.
func decodePrivateKey(s string) ([]byte, error) {
	if strings.HasPrefix(strings.TrimSpace(s), "-----BEGIN") {
		return []byte(s), nil
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) == 0 {
		return nil, errInvalid("PrivateKey", "must be a Base64-encoded private key")
	}
	return b, nil
}

// fingerprint is the SHA-256 fingerprint of the key bytes, OpenSSH style.
func fingerprint(key []byte) string {
	sum := sha256.Sum256(key)
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
}

// ValidateHostAccount checks an account and the credentials sent with it,
// applies them to sec and sets the fingerprint.
func ValidateHostAccount(a *localyun.BastionHostAccount, in HostAccountSecret, sec *localyun.BastionSecret) error {
	var err error
	if err = checkLen("HostAccountName", a.Name, 1, 128); err != nil {
		return err
	}
	if a.ProtocolName, err = checkEnum("ProtocolName", a.ProtocolName, "SSH", "RDP"); err != nil {
		return err
	}
	if a.PrivilegeType != "" {
		if a.PrivilegeType, err = checkEnum("PrivilegeType", a.PrivilegeType, "Normal", "Privileged"); err != nil {
			return err
		}
	}
	if a.RotationMode != "" {
		if a.RotationMode, err = checkEnum("RotationMode", a.RotationMode, "Manual", "Auto"); err != nil {
			return err
		}
	}
	if a.HostShareKeyID != "" {
		return errInvalid("HostShareKeyId", "host share keys are not supported")
	}
	if in.Password != nil {
		if err := checkLen("Password", *in.Password, 0, 128); err != nil {
			return err
		}
		sec.Password = *in.Password
	}
	if in.PrivateKey != nil {
		if *in.PrivateKey == "" {
			sec.PrivateKey, a.PrivateKeyFingerprint = "", ""
		} else {
			key, err := decodePrivateKey(*in.PrivateKey)
			if err != nil {
				return err
			}
			if len(key) > 32<<10 {
				return errInvalid("PrivateKey", "longer than 32 KiB")
			}
			sec.PrivateKey, a.PrivateKeyFingerprint = string(key), fingerprint(key)
		}
	}
	if in.PassPhrase != nil {
		if err := checkLen("PassPhrase", *in.PassPhrase, 0, 128); err != nil {
			return err
		}
		sec.PassPhrase = *in.PassPhrase
	}
	if a.ProtocolName == "RDP" && (sec.PrivateKey != "" || sec.PassPhrase != "") {
		if in.PrivateKey != nil && *in.PrivateKey != "" {
			return errInvalid("PrivateKey", "only SSH accounts have a private key")
		}
		return errInvalid("PassPhrase", "only SSH accounts have a passphrase")
	}
	return nil
}

// CreateHostAccount validates and creates an account; it returns the new id.
func (s *Service) CreateHostAccount(ctx context.Context, a localyun.BastionHostAccount, in HostAccountSecret) (string, error) {
	var sec localyun.BastionSecret
	if err := ValidateHostAccount(&a, in, &sec); err != nil {
		return "", err
	}
	a.CreatedAt = s.opts.Now()
	created, err := s.store.CreateBastionHostAccount(ctx, a, sec)
	if err != nil {
		return "", objectError(err, errHostNotFound, errObjectExists("host account"))
	}
	return created.ID, nil
}

// HostAccountUpdate holds the ModifyHostAccount parameters that were sent.
type HostAccountUpdate struct {
	Name, PrivilegeType, RotationMode, HostShareKeyID *string
	Secret                                            HostAccountSecret
}

// ModifyHostAccount applies upd. Returns HostAccountNotFound.
func (s *Service) ModifyHostAccount(ctx context.Context, instanceID, id string, upd HostAccountUpdate) error {
	_, err := s.store.UpdateBastionHostAccount(ctx, instanceID, id, func(a *localyun.BastionHostAccount, sec *localyun.BastionSecret) error {
		for _, f := range []struct {
			dst *string
			v   *string
		}{{&a.Name, upd.Name}, {&a.PrivilegeType, upd.PrivilegeType}, {&a.RotationMode, upd.RotationMode}, {&a.HostShareKeyID, upd.HostShareKeyID}} {
			if f.v != nil {
				*f.dst = *f.v
			}
		}
		return ValidateHostAccount(a, upd.Secret, sec)
	})
	return objectError(err, errHostAccountNotFound, errObjectExists("host account"))
}

var mobileCountryCodes = []string{"CN", "HK", "MO", "TW", "RU", "SG", "MY", "ID", "DE", "AU", "US", "AE", "JP", "GB", "IN", "KR", "PH", "CH", "SE", "SA"}

// CheckUserPassword applies the Local user password policy: 8 to 128
// characters with upper-case and lower-case letters, digits and special
// characters.
func CheckUserPassword(p string) error {
	if len(p) < 8 || len(p) > 128 {
		return errInvalid("Password", "must be 8 to 128 characters")
	}
	var upper, lower, digit, special bool
	for _, r := range p {
		switch {
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= '0' && r <= '9':
			digit = true
		case r > ' ' && r < 0x7f:
			special = true
		default:
			return errInvalid("Password", "only printable ASCII characters are allowed")
		}
	}
	if !upper || !lower || !digit || !special {
		return errInvalid("Password", "must contain upper-case and lower-case letters, digits and special characters")
	}
	return nil
}

// ValidateUser checks a user as CreateUser and ModifyUser leave it and
// normalizes its enumerations.
func ValidateUser(u *localyun.BastionUser) error {
	var err error
	if err = checkLen("UserName", u.Name, 1, 128); err != nil {
		return err
	}
	for _, r := range u.Name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_.-@", r)) {
			return errInvalid("UserName", "only letters, digits, underscores, periods, hyphens and @ are allowed")
		}
	}
	if u.DisplayName == "" {
		u.DisplayName = u.Name
	}
	if err = checkLen("DisplayName", u.DisplayName, 1, 128); err != nil {
		return err
	}
	if err = checkLen("Comment", u.Comment, 0, 500); err != nil {
		return err
	}
	if u.Source, err = checkEnum("Source", u.Source, localyun.BastionUserLocal, localyun.BastionUserRAM, localyun.BastionUserAD, localyun.BastionUserLDAP); err != nil {
		return err
	}
	if u.Source == localyun.BastionUserLocal {
		if u.SourceUserID != "" {
			return errInvalid("SourceUserId", "Local users have none")
		}
	} else {
		if u.SourceUserID == "" {
			return errMissing("SourceUserId")
		}
		if err = checkLen("SourceUserId", u.SourceUserID, 1, 256); err != nil {
			return err
		}
		if u.Source == localyun.BastionUserRAM {
			for _, r := range u.SourceUserID {
				if r < '0' || r > '9' {
					return errInvalid("SourceUserId", "a RAM user id is a number")
				}
			}
		}
	}
	if u.Email != "" && (len(u.Email) > 128 || strings.Count(u.Email, "@") != 1 || strings.HasPrefix(u.Email, "@") ||
		strings.HasSuffix(u.Email, "@") || strings.ContainsAny(u.Email, " \t\r\n")) {
		return errInvalid("Email", "not an email address")
	}
	if u.Mobile != "" {
		if len(u.Mobile) > 20 {
			return errInvalid("Mobile", "not a mobile number")
		}
		for _, r := range u.Mobile {
			if (r < '0' || r > '9') && r != '-' {
				return errInvalid("Mobile", "not a mobile number")
			}
		}
	}
	if u.MobileCountryCode == "" {
		u.MobileCountryCode = "CN"
	}
	if u.MobileCountryCode, err = checkEnum("MobileCountryCode", u.MobileCountryCode, mobileCountryCodes...); err != nil {
		return err
	}
	if u.EffectiveStartTime < 0 {
		return errInvalid("EffectiveStartTime", "must not be negative")
	}
	if u.EffectiveEndTime < 0 || u.EffectiveEndTime != 0 && u.EffectiveEndTime < u.EffectiveStartTime {
		return errInvalid("EffectiveEndTime", "must not be before EffectiveStartTime")
	}
	if u.TwoFactorStatus == "" {
		u.TwoFactorStatus = "Global"
	}
	if u.TwoFactorStatus, err = checkEnum("TwoFactorStatus", u.TwoFactorStatus, "Global", "Disable", "Enable"); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, m := range u.TwoFactorMethods {
		if u.TwoFactorMethods[i], err = checkEnum("TwoFactorMethods", m, "sms", "email", "dingtalk", "totp"); err != nil {
			return err
		}
		if seen[u.TwoFactorMethods[i]] {
			return errInvalid("TwoFactorMethods", "duplicate method")
		}
		seen[u.TwoFactorMethods[i]] = true
	}
	if u.TwoFactorStatus == "Enable" && len(u.TwoFactorMethods) == 0 {
		return errMissing("TwoFactorMethods")
	}
	if u.LanguageStatus == "" {
		u.LanguageStatus = "Global"
	}
	if u.LanguageStatus, err = checkEnum("LanguageStatus", u.LanguageStatus, "Global", "Custom"); err != nil {
		return err
	}
	if u.Language != "" {
		if u.Language, err = checkEnum("Language", u.Language, "zh-cn", "en"); err != nil {
			return err
		}
	}
	if u.LanguageStatus == "Custom" && u.Language == "" {
		return errMissing("Language")
	}
	return nil
}

// CreateUser validates and creates a user; password is its Local password.
func (s *Service) CreateUser(ctx context.Context, u localyun.BastionUser, password *string) (string, error) {
	if err := ValidateUser(&u); err != nil {
		return "", err
	}
	var sec localyun.BastionSecret
	switch {
	case u.Source == localyun.BastionUserLocal && (password == nil || *password == ""):
		return "", errMissing("Password")
	case u.Source == localyun.BastionUserLocal:
		if err := CheckUserPassword(*password); err != nil {
			return "", err
		}
		sec.Password = *password
	case password != nil && *password != "":
		return "", errInvalid("Password", "only Local users have a password")
	}
	u.CreatedAt = s.opts.Now()
	created, err := s.store.CreateBastionUser(ctx, u, sec)
	if err != nil {
		return "", objectError(err, errInstanceNotFound, errObjectExists("user"))
	}
	return created.ID, nil
}

// UserUpdate holds the ModifyUser parameters that were sent.
type UserUpdate struct {
	DisplayName, Comment, Email, Mobile, MobileCountryCode, TwoFactorStatus, LanguageStatus, Language, Password *string
	NeedResetPassword                                                                                           *bool
	EffectiveStartTime, EffectiveEndTime                                                                        *int64
	TwoFactorMethods                                                                                            *[]string
}

// ModifyUser applies upd. Returns OBJECT_NOT_FOUND.
func (s *Service) ModifyUser(ctx context.Context, instanceID, id string, upd UserUpdate) error {
	_, err := s.store.UpdateBastionUser(ctx, instanceID, id, func(u *localyun.BastionUser, sec *localyun.BastionSecret) error {
		for _, f := range []struct {
			dst *string
			v   *string
		}{{&u.DisplayName, upd.DisplayName}, {&u.Comment, upd.Comment}, {&u.Email, upd.Email}, {&u.Mobile, upd.Mobile},
			{&u.MobileCountryCode, upd.MobileCountryCode}, {&u.TwoFactorStatus, upd.TwoFactorStatus},
			{&u.LanguageStatus, upd.LanguageStatus}, {&u.Language, upd.Language}} {
			if f.v != nil {
				*f.dst = *f.v
			}
		}
		if upd.DisplayName != nil && *upd.DisplayName == "" {
			return errInvalid("DisplayName", "must not be empty")
		}
		if upd.NeedResetPassword != nil {
			u.NeedResetPassword = *upd.NeedResetPassword
		}
		if upd.EffectiveStartTime != nil {
			u.EffectiveStartTime = *upd.EffectiveStartTime
		}
		if upd.EffectiveEndTime != nil {
			u.EffectiveEndTime = *upd.EffectiveEndTime
		}
		if upd.TwoFactorMethods != nil {
			u.TwoFactorMethods = *upd.TwoFactorMethods
		}
		if err := ValidateUser(u); err != nil {
			return err
		}
		if upd.Password != nil {
			if u.Source != localyun.BastionUserLocal {
				return errInvalid("Password", "only Local users have a password")
			}
			if err := CheckUserPassword(*upd.Password); err != nil {
				return err
			}
			sec.Password = *upd.Password
		}
		return nil
	})
	return objectError(err, errObjectNotFound("user"), nil)
}

// UserState is the state of a user at now.
func UserState(u localyun.BastionUser, now time.Time) string {
	if u.EffectiveEndTime != 0 && u.EffectiveEndTime < now.Unix() {
		return localyun.BastionUserExpired
	}
	return localyun.BastionUserNormal
}

// ValidateGroup checks the name and comment of a user or host group; kind
// is "UserGroup" or "HostGroup", the parameter prefix.
func ValidateGroup(kind, name, comment string) error {
	if err := checkLen(kind+"Name", name, 1, 128); err != nil {
		return err
	}
	return checkLen("Comment", comment, 0, 500)
}

// CreateUserGroup validates and creates a user group.
func (s *Service) CreateUserGroup(ctx context.Context, g localyun.BastionUserGroup) (string, error) {
	if err := ValidateGroup("UserGroup", g.Name, g.Comment); err != nil {
		return "", err
	}
	g.CreatedAt = s.opts.Now()
	created, err := s.store.CreateBastionUserGroup(ctx, g)
	if err != nil {
		return "", objectError(err, errInstanceNotFound, errObjectExists("user group"))
	}
	return created.ID, nil
}

// CreateHostGroup validates and creates a host group.
func (s *Service) CreateHostGroup(ctx context.Context, g localyun.BastionHostGroup) (string, error) {
	if err := ValidateGroup("HostGroup", g.Name, g.Comment); err != nil {
		return "", err
	}
	g.CreatedAt = s.opts.Now()
	created, err := s.store.CreateBastionHostGroup(ctx, g)
	if err != nil {
		return "", objectError(err, errInstanceNotFound, errObjectExists("host group"))
	}
	return created.ID, nil
}

// ModifyUserGroup renames or re-comments a user group.
func (s *Service) ModifyUserGroup(ctx context.Context, instanceID, id string, name, comment *string) error {
	_, err := s.store.UpdateBastionUserGroup(ctx, instanceID, id, func(g *localyun.BastionUserGroup) error {
		if name != nil {
			g.Name = *name
		}
		if comment != nil {
			g.Comment = *comment
		}
		return ValidateGroup("UserGroup", g.Name, g.Comment)
	})
	return objectError(err, errObjectNotFound("user group"), errObjectExists("user group"))
}

// ModifyHostGroup renames or re-comments a host group.
func (s *Service) ModifyHostGroup(ctx context.Context, instanceID, id string, name, comment *string) error {
	_, err := s.store.UpdateBastionHostGroup(ctx, instanceID, id, func(g *localyun.BastionHostGroup) error {
		if name != nil {
			g.Name = *name
		}
		if comment != nil {
			g.Comment = *comment
		}
		return ValidateGroup("HostGroup", g.Name, g.Comment)
	})
	return objectError(err, errObjectNotFound("host group"), errObjectExists("host group"))
}

// granteeWhat names a grantee kind in messages.
func granteeWhat(kind string) string {
	if kind == localyun.GranteeUser {
		return "user"
	}
	return "user group"
}
