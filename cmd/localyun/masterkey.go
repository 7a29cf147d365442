package main

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/postgres"
	"github.com/localyun/localyun/internal/seal"
	"github.com/localyun/localyun/internal/sqlite"
)

// sealSecrets gives the store a sealer keyed by the master key file (an
// ephemeral key with --memory and no --master-key-file).
func (m *Main) sealSecrets(st localyun.Store) error {
	var key []byte
	path := m.Config.MasterKeyFile
	if path == "" && !m.Config.Memory {
		path = filepath.Join(m.Config.DataDir, "master.key")
	}
	if path == "" {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return err
		}
	} else {
		var err error
		if key, err = LoadMasterKey(path); err != nil {
			return err
		}
	}
	m.masterKey = key
	sealer, err := seal.NewAES(key)
	if err != nil {
		return err
	}
	switch st := st.(type) {
	case *sqlite.Store:
		st.Sealer = sealer
	case *postgres.Store:
		st.Sealer = sealer
	default:
		return fmt.Errorf("store %T cannot seal secrets", st)
	}
	return nil
}

// LoadMasterKey reads the 32-byte master key at path, creating it with
// random bytes and mode 0600 when it does not exist. A key file readable
// by others is refused.
func LoadMasterKey(path string) ([]byte, error) {
	key, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("create master key: %w", err)
		}
		if _, err := f.Write(key); err != nil {
			f.Close()
			return nil, err
		}
		return key, f.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("master key %s: mode %v is readable by others; chmod 600 it", path, fi.Mode().Perm())
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("master key %s: %d bytes, want 32", path, len(key))
	}
	return key, nil
}
