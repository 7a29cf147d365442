//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package sqlite

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockFile takes an exclusive lock on path+"-lock" for as long as the
// returned file is open: one process at a time serves a SQLite file, so the
// in-process caches (rowCache) and the nonce window see every write.
//
// The lock file is named after the file's real path, so that a symlink to
// the file or to its directory names the same lock.
func lockFile(path string) (*os.File, error) {
	real := path
	if r, err := filepath.EvalSymlinks(path); err == nil {
		real = r
	} else if d, err := filepath.EvalSymlinks(filepath.Dir(path)); err == nil {
		real = filepath.Join(d, filepath.Base(path)) // a new file
	}
	f, err := os.OpenFile(real+"-lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%s is in use by another localyun process (one process at a time may open a SQLite store)", path)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return f, nil
}
