// Package seal encrypts secrets at rest (access-key and session secrets,
// Bastionhost credentials) for every store, in one format: "sealed:" +
// base64(nonce || AES-256-GCM ciphertext). Values without the prefix are
// plaintext written before a master key was configured, so one master key
// opens a database whichever store wrote it or migrated it.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// Sealer encrypts and decrypts one secret. Seal output must be printable
// text; Open reverses it.
type Sealer interface {
	Seal(plaintext string) (string, error)
	Open(sealed string) (string, error)
}

// Prefix marks a sealed value.
const Prefix = "sealed:"

// Seal seals secret with s, or returns it unchanged when s is nil.
func Seal(s Sealer, secret string) (string, error) {
	if s == nil {
		return secret, nil
	}
	out, err := s.Seal(secret)
	if err != nil {
		return "", fmt.Errorf("seal secret: %w", err)
	}
	return Prefix + out, nil
}

// Open reverses Seal. Values without Prefix are plaintext.
func Open(s Sealer, stored string) (string, error) {
	rest, ok := strings.CutPrefix(stored, Prefix)
	if !ok {
		return stored, nil
	}
	if s == nil {
		return "", errors.New("secret is sealed but no master key is configured")
	}
	out, err := s.Open(rest)
	if err != nil {
		return "", fmt.Errorf("open sealed secret (wrong master key?): %w", err)
	}
	return out, nil
}

// AES seals with AES-256-GCM under a 32-byte master key.
type AES struct{ aead cipher.AEAD }

// NewAES returns a sealer for a 32-byte key.
func NewAES(key []byte) (*AES, error) {
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
	return &AES{aead: aead}, nil
}

// Seal encrypts plaintext with a random nonce.
func (s *AES) Seal(plaintext string) (string, error) {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(s.aead.Seal(nonce, nonce, []byte(plaintext), nil)), nil
}

// Open decrypts what Seal produced.
func (s *AES) Open(sealed string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(sealed)
	n := s.aead.NonceSize()
	if err != nil || len(b) < n {
		return "", errors.New("sealed secret is malformed")
	}
	plain, err := s.aead.Open(nil, b[:n], b[n:], nil)
	if err != nil {
		return "", err
	}
	return string(plain), nil
}

// Derive returns the key of one use of a master key: HMAC-SHA256(key,
// label). Each use (instance secrets, metadata tokens, diagnostic
// messages, console sessions) has a label of its own, so no two share a key.
func Derive(key []byte, label string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(label))
	return m.Sum(nil)
}
