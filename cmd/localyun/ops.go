package main

import "github.com/localyun/localyun/internal/sshgw"

// sshStats returns the SSH gateway's counts for /metrics, nil when the
// gateway is off.
func (m *Main) sshStats() func() sshgw.Stats {
	if m.ssh == nil {
		return nil
	}
	return m.ssh.Stats
}
