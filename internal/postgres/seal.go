package postgres

import (
	"errors"
	"fmt"
	"strings"
)

// Sealer encrypts secrets at rest. Seal output must be printable text; Open
// reverses it. It is the same contract as sqlite.Sealer, so one master key
// (for example *sqlite.AESSealer) opens the secrets of a database migrated
// from SQLite.
type Sealer interface {
	Seal(plaintext string) (string, error)
	Open(sealed string) (string, error)
}

// sealedPrefix marks a sealed secret; values without it are plaintext
// (written before a master key was configured, or copied from such a
// database). The format is the SQLite store's: "sealed:" + Sealer.Seal(s).
const sealedPrefix = "sealed:"

// sealWith seals secret with s, or returns it unchanged when s is nil.
func sealWith(s Sealer, secret string) (string, error) {
	if s == nil {
		return secret, nil
	}
	out, err := s.Seal(secret)
	if err != nil {
		return "", fmt.Errorf("seal secret: %w", err)
	}
	return sealedPrefix + out, nil
}

// unsealWith reverses sealWith. Values without sealedPrefix are plaintext.
func unsealWith(s Sealer, stored string) (string, error) {
	rest, ok := strings.CutPrefix(stored, sealedPrefix)
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
