//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package sqlite

import "os"

// lockFile does nothing here: the one-process rule of a SQLite store is not
// enforced on this platform.
func lockFile(string) (*os.File, error) { return nil, nil }
