package bastionhost

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"strings"

	"github.com/localyun/localyun"
)

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
	if err := applySecret(a, in, sec); err != nil {
		return err
	}
	if a.ProtocolName == "RDP" && (sec.PrivateKey != "" || sec.PassPhrase != "") {
		if in.PrivateKey != nil && *in.PrivateKey != "" {
			return errInvalid("PrivateKey", "only SSH accounts have a private key")
		}
		return errInvalid("PassPhrase", "only SSH accounts have a passphrase")
	}
	return nil
}

// applySecret checks the credentials sent and sets them in sec (and the
// key's fingerprint in a).
func applySecret(a *localyun.BastionHostAccount, in HostAccountSecret, sec *localyun.BastionSecret) error {
	if in.Password != nil {
		if err := checkText("Password", *in.Password, 0, 128); err != nil {
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
		if err := checkText("PassPhrase", *in.PassPhrase, 0, 128); err != nil {
			return err
		}
		sec.PassPhrase = *in.PassPhrase
	}
	return nil
}

// CreateHostAccount creates the account of in (which its parser
// validated) and returns its id. Returns HostNotFound or
// OBJECT_AlREADY_EXISTS (the host has an account of that name and protocol).
func (s *Service) CreateHostAccount(ctx context.Context, in CreateHostAccountInput) (string, error) {
	if err := s.instance(ctx, in.InstanceRef); err != nil {
		return "", err
	}
	a := in.Account
	a.InstanceID, a.CreatedAt = in.InstanceID, s.opts.Now()
	created, err := s.store.CreateBastionHostAccount(ctx, a, in.Secret)
	if err != nil {
		return "", objectError(err, errHostNotFound, errObjectExists("host account"))
	}
	return created.ID, nil
}

// GetHostAccount returns an account. Returns HostAccountNotFound.
func (s *Service) GetHostAccount(ctx context.Context, ref ObjectRef) (localyun.BastionHostAccount, error) {
	if err := s.instance(ctx, ref.InstanceRef); err != nil {
		return localyun.BastionHostAccount{}, err
	}
	a, err := s.store.FindBastionHostAccount(ctx, ref.InstanceID, ref.ID)
	return a, objectError(err, errHostAccountNotFound, nil)
}

// ListHostAccounts lists the accounts of in.Filter and their total; the
// host in.ID must exist. Returns HostNotFound.
func (s *Service) ListHostAccounts(ctx context.Context, in ListHostAccountsInput) ([]localyun.BastionHostAccount, int, error) {
	if err := s.instance(ctx, in.InstanceRef); err != nil {
		return nil, 0, err
	}
	if _, err := s.store.FindBastionHost(ctx, in.InstanceID, in.ID); err != nil {
		return nil, 0, objectError(err, errHostNotFound, nil)
	}
	f := in.Filter
	f.InstanceID = in.InstanceID
	return s.store.FindBastionHostAccounts(ctx, f)
}

// HostAccountUpdate holds the ModifyHostAccount parameters that were sent.
type HostAccountUpdate struct {
	Name, PrivilegeType, RotationMode, HostShareKeyID *string
	Secret                                            HostAccountSecret
}

// ModifyHostAccount applies the parameters sent to an account; the account
// it leaves must pass ValidateHostAccount. The credentials sent replace the
// stored ones; the others stay. The write is a compare-and-set, retried
// like ModifyHost's. Returns HostAccountNotFound, OBJECT_AlREADY_EXISTS
// (name taken) or OperationConflict (every round lost).
func (s *Service) ModifyHostAccount(ctx context.Context, in ModifyHostAccountInput) error {
	if err := s.instance(ctx, in.InstanceRef); err != nil {
		return err
	}
	upd := in.Update
	err := localyun.RetryOnConflict(ctx, func() error {
		old, err := s.store.FindBastionHostAccount(ctx, in.InstanceID, in.ID)
		if err != nil {
			return err
		}
		a := old
		for _, f := range []struct{ dst, v *string }{{&a.Name, upd.Name}, {&a.PrivilegeType, upd.PrivilegeType},
			{&a.RotationMode, upd.RotationMode}, {&a.HostShareKeyID, upd.HostShareKeyID}} {
			if f.v != nil {
				*f.dst = *f.v
			}
		}
		// Only the credentials sent are checked and written: an account's
		// protocol never changes, so the stored ones (an RDP account has
		// neither key nor passphrase) cannot make it invalid.
		var sec localyun.BastionSecret
		if err := ValidateHostAccount(&a, upd.Secret, &sec); err != nil {
			return err
		}
		return s.store.UpdateBastionHostAccount(ctx, old, a, upd.Secret.sent(sec))
	})
	return objectError(s.afterAccessWrite(in.InstanceID, err), errHostAccountNotFound, errObjectExists("host account"))
}

// sent is the store update of the credentials of in that were sent, with
// the values ValidateHostAccount left in sec.
func (in HostAccountSecret) sent(sec localyun.BastionSecret) localyun.BastionSecretUpdate {
	var u localyun.BastionSecretUpdate
	if in.Password != nil {
		u.Password = &sec.Password
	}
	if in.PrivateKey != nil {
		u.PrivateKey = &sec.PrivateKey
	}
	if in.PassPhrase != nil {
		u.PassPhrase = &sec.PassPhrase
	}
	return u
}

// DeleteHostAccount deletes an account and its grants. Returns OBJECT_NOT_FOUND.
func (s *Service) DeleteHostAccount(ctx context.Context, ref ObjectRef) error {
	if err := s.instance(ctx, ref.InstanceRef); err != nil {
		return err
	}
	return objectError(s.afterAccessWrite(ref.InstanceID, s.store.DeleteBastionHostAccount(ctx, ref.InstanceID, ref.ID)), errObjectNotFound("host account"), nil)
}
