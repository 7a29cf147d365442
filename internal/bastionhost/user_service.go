package bastionhost

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/localyun/localyun"
)

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

// newUserPassword checks the password of a new user: a Local user needs
// one that passes CheckUserPassword, other users have none.
func newUserPassword(u localyun.BastionUser, password *string) (string, error) {
	switch {
	case u.Source == localyun.BastionUserLocal && (password == nil || *password == ""):
		return "", errMissing("Password")
	case u.Source == localyun.BastionUserLocal:
		return *password, CheckUserPassword(*password)
	case password != nil && *password != "":
		return "", errInvalid("Password", "only Local users have a password")
	}
	return "", nil
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
	if err = checkText("Comment", u.Comment, 0, 500); err != nil {
		return err
	}
	if err := validateUserSource(u); err != nil {
		return err
	}
	if err := validateUserContact(u); err != nil {
		return err
	}
	if u.EffectiveStartTime < 0 {
		return errInvalid("EffectiveStartTime", "must not be negative")
	}
	if u.EffectiveEndTime < 0 || u.EffectiveEndTime != 0 && u.EffectiveEndTime < u.EffectiveStartTime {
		return errInvalid("EffectiveEndTime", "must not be before EffectiveStartTime")
	}
	if err := validateUserTwoFactor(u); err != nil {
		return err
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

// validateUserSource checks where a user comes from: a Local user has no
// SourceUserId, the others need one (a number for Ram users).
func validateUserSource(u *localyun.BastionUser) error {
	var err error
	if u.Source, err = checkEnum("Source", u.Source, localyun.BastionUserLocal, localyun.BastionUserRAM, localyun.BastionUserAD, localyun.BastionUserLDAP); err != nil {
		return err
	}
	if u.Source == localyun.BastionUserLocal {
		if u.SourceUserID != "" {
			return errInvalid("SourceUserId", "Local users have none")
		}
		return nil
	}
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
	return nil
}

// validateUserContact checks the email address and the mobile number.
func validateUserContact(u *localyun.BastionUser) error {
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
	var err error
	u.MobileCountryCode, err = checkEnum("MobileCountryCode", u.MobileCountryCode, mobileCountryCodes...)
	return err
}

// validateUserTwoFactor checks the two-factor status and its methods.
func validateUserTwoFactor(u *localyun.BastionUser) error {
	if u.TwoFactorStatus == "" {
		u.TwoFactorStatus = "Global"
	}
	var err error
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
	return nil
}

// CreateUser creates the user of in (which its parser validated) and
// returns its id. Returns OBJECT_AlREADY_EXISTS (name taken).
func (s *Service) CreateUser(ctx context.Context, in CreateUserInput) (string, error) {
	if err := s.instance(ctx, in.InstanceRef); err != nil {
		return "", err
	}
	u := in.User
	u.InstanceID, u.CreatedAt = in.InstanceID, s.opts.Now()
	created, err := s.store.CreateBastionUser(ctx, u, in.Secret)
	if err != nil {
		return "", objectError(err, errInstanceNotFound, errObjectExists("user"))
	}
	return created.ID, nil
}

// GetUser returns a user. Returns OBJECT_NOT_FOUND.
func (s *Service) GetUser(ctx context.Context, ref ObjectRef) (localyun.BastionUser, error) {
	if err := s.instance(ctx, ref.InstanceRef); err != nil {
		return localyun.BastionUser{}, err
	}
	u, err := s.store.FindBastionUser(ctx, ref.InstanceID, ref.ID)
	return u, objectError(err, errObjectNotFound("user"), nil)
}

// ListUsers lists the users of an instance that match in.Filter (their
// state as of now) and their total.
func (s *Service) ListUsers(ctx context.Context, in ListUsersInput) ([]localyun.BastionUser, int, error) {
	if err := s.instance(ctx, in.InstanceRef); err != nil {
		return nil, 0, err
	}
	f := in.Filter
	f.InstanceID, f.Now = in.InstanceID, s.opts.Now()
	return s.store.FindBastionUsers(ctx, f)
}

// UserUpdate holds the ModifyUser parameters that were sent.
type UserUpdate struct {
	DisplayName, Comment, Email, Mobile, MobileCountryCode, TwoFactorStatus, LanguageStatus, Language, Password *string
	NeedResetPassword                                                                                           *bool
	EffectiveStartTime, EffectiveEndTime                                                                        *int64
	TwoFactorMethods                                                                                            *[]string
}

// apply returns u with the parameters of upd but Password.
func (upd UserUpdate) apply(u localyun.BastionUser) localyun.BastionUser {
	for _, f := range []struct{ dst, v *string }{{&u.DisplayName, upd.DisplayName}, {&u.Comment, upd.Comment},
		{&u.Email, upd.Email}, {&u.Mobile, upd.Mobile}, {&u.MobileCountryCode, upd.MobileCountryCode},
		{&u.TwoFactorStatus, upd.TwoFactorStatus}, {&u.LanguageStatus, upd.LanguageStatus}, {&u.Language, upd.Language}} {
		if f.v != nil {
			*f.dst = *f.v
		}
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
	// A copy: ValidateUser normalizes the methods in place.
	u.TwoFactorMethods = slices.Clone(u.TwoFactorMethods)
	if upd.TwoFactorMethods != nil {
		u.TwoFactorMethods = slices.Clone(*upd.TwoFactorMethods)
	}
	return u
}

// ModifyUser applies the parameters sent to a user; the user it leaves
// must pass ValidateUser, and only a Local user takes a new password (which
// must pass CheckUserPassword). The write is a compare-and-set, retried
// like ModifyHost's. Returns OBJECT_NOT_FOUND or OperationConflict (every
// round lost).
func (s *Service) ModifyUser(ctx context.Context, in ModifyUserInput) error {
	if err := s.instance(ctx, in.InstanceRef); err != nil {
		return err
	}
	upd := in.Update
	err := localyun.RetryOnConflict(ctx, func() error {
		old, err := s.store.FindBastionUser(ctx, in.InstanceID, in.ID)
		if err != nil {
			return err
		}
		if upd.DisplayName != nil && *upd.DisplayName == "" {
			return errInvalid("DisplayName", "must not be empty")
		}
		u := upd.apply(old)
		if err := ValidateUser(&u); err != nil {
			return err
		}
		if upd.Password != nil {
			if u.Source != localyun.BastionUserLocal {
				return errInvalid("Password", "only Local users have a password")
			}
			if err := CheckUserPassword(*upd.Password); err != nil {
				return err
			}
		}
		return s.store.UpdateBastionUser(ctx, old, u, localyun.BastionSecretUpdate{Password: upd.Password})
	})
	return objectError(s.afterAccessWrite(in.InstanceID, err), errObjectNotFound("user"), nil)
}

// DeleteUser deletes a user, its memberships and grants. Returns OBJECT_NOT_FOUND.
func (s *Service) DeleteUser(ctx context.Context, ref ObjectRef) error {
	if err := s.instance(ctx, ref.InstanceRef); err != nil {
		return err
	}
	return objectError(s.afterAccessWrite(ref.InstanceID, s.store.DeleteBastionUser(ctx, ref.InstanceID, ref.ID)), errObjectNotFound("user"), nil)
}

// UserState is the state of a user at now: Frozen while locked
// (LockUsers), else Expired once its validity period has ended, else
// Normal.
func UserState(u localyun.BastionUser, now time.Time) string {
	if u.Locked {
		return localyun.BastionUserFrozen
	}
	if u.EffectiveEndTime != 0 && u.EffectiveEndTime < now.Unix() {
		return localyun.BastionUserExpired
	}
	return localyun.BastionUserNormal
}

// userState is the state of a user now.
func (s *Service) userState(u localyun.BastionUser) string { return UserState(u, s.opts.Now()) }
