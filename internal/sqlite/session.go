package sqlite

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/localyun/localyun"
)

// Sealer encrypts secrets at rest (access key and session secrets). Seal
// output must be printable text; Open reverses it.
type Sealer interface {
	Seal(plaintext string) (string, error)
	Open(sealed string) (string, error)
}

// sealedPrefix marks a sealed secret; rows without it are plaintext (written
// before a master key was configured).
const sealedPrefix = "sealed:"

func (st *Store) seal(secret string) (string, error) {
	if st.Sealer == nil {
		return secret, nil
	}
	s, err := st.Sealer.Seal(secret)
	if err != nil {
		return "", fmt.Errorf("seal secret: %w", err)
	}
	return sealedPrefix + s, nil
}

func (st *Store) unseal(stored string) (string, error) {
	rest, ok := strings.CutPrefix(stored, sealedPrefix)
	if !ok {
		return stored, nil
	}
	if st.Sealer == nil {
		return "", errors.New("secret is sealed but no master key is configured")
	}
	s, err := st.Sealer.Open(rest)
	if err != nil {
		return "", fmt.Errorf("open sealed secret (wrong master key?): %w", err)
	}
	return s, nil
}

const sessionColumns = `access_key_id, secret, token_hash, account_id, role_name, role_id, session_name, policy, caller, created_at, expires_at`

// CreateSession returns ErrAlreadyExists if the AccessKeyID is taken.
func (st *Store) CreateSession(ctx context.Context, s localyun.Session) error {
	secret, err := st.seal(s.Secret)
	if err != nil {
		return err
	}
	return st.withTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sts_sessions (`+sessionColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			s.AccessKeyID, secret, s.TokenHash, s.AccountID, s.RoleName, s.RoleID, s.SessionName, s.Policy, s.Caller,
			ms(s.CreatedAt), ms(s.ExpiresAt))
		return err
	})
}

// FindSession returns ErrNotFound if there is no such session.
func (st *Store) FindSession(ctx context.Context, accessKeyID string) (localyun.Session, error) {
	var s localyun.Session
	var created, expires int64
	err := st.read.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM sts_sessions WHERE access_key_id = ?`, accessKeyID).
		Scan(&s.AccessKeyID, &s.Secret, &s.TokenHash, &s.AccountID, &s.RoleName, &s.RoleID, &s.SessionName, &s.Policy, &s.Caller, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return s, fmt.Errorf("session %s: %w", accessKeyID, localyun.ErrNotFound)
	}
	if err != nil {
		return s, err
	}
	s.CreatedAt, s.ExpiresAt = fromMS(created), fromMS(expires)
	s.Secret, err = st.unseal(s.Secret)
	return s, err
}

// DeleteExpiredSessions deletes sessions that expired before t.
func (st *Store) DeleteExpiredSessions(ctx context.Context, t time.Time) (int, error) {
	var n int64
	err := st.withTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sts_sessions WHERE expires_at < ?`, ms(t))
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return int(n), err
}

// AESSealer seals secrets with AES-256-GCM under a 32-byte master key; the
// sealed text is base64(nonce || ciphertext).
type AESSealer struct{ aead cipher.AEAD }

// NewAESSealer returns a sealer for a 32-byte key.
func NewAESSealer(key []byte) (*AESSealer, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("master key must be 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &AESSealer{aead: aead}, nil
}

// Seal encrypts plaintext with a random nonce.
func (s *AESSealer) Seal(plaintext string) (string, error) {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := s.aead.Seal(nonce, nonce, []byte(plaintext), nil)
	return base64.StdEncoding.EncodeToString(out), nil
}

// Open decrypts what Seal produced.
func (s *AESSealer) Open(sealed string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil || len(b) < s.aead.NonceSize() {
		return "", errors.New("sealed secret is malformed")
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, b[:n], b[n:], nil)
	if err != nil {
		return "", err
	}
	return string(plain), nil
}
