//go:build !unix

package main

// openFileLimit is 0: this system has no RLIMIT_NOFILE to derive from.
func openFileLimit() int { return 0 }
