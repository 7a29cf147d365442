package localyun

import (
	"context"
	"time"
)

// BastionSSHHostKey is what the bastion SSH gateway keeps of one bastion
// instance across restarts: the port slot of its listener and its SSH host
// key, so that clients' known_hosts entries stay valid.
type BastionSSHHostKey struct {
	InstanceID string
	// AccountID and RegionID are the instance's, read with its key (the
	// gateway's audit events belong to that account and region); the
	// input of CreateBastionSSHHostKey ignores them.
	AccountID, RegionID string
	// Slot is the listener's offset from the gateway's base address: 0, 1,
	// 2 ... in the order the gateway first met the instances; -1 for an
	// instance that has no key yet.
	Slot int
	// PrivateKey is the host key in OpenSSH PEM form. Stores seal it at
	// rest; it is never logged nor shown to anyone.
	PrivateKey string
	CreatedAt  time.Time
}

// BastionSSHHostKeyStore persists the gateway's host keys (migration 0010).
type BastionSSHHostKeyStore interface {
	// FindBastionSSHHostKeys lists every bastion instance of every account,
	// in creation order (created at, then id), each with its host key; one
	// without a key has Slot -1 and an empty PrivateKey.
	FindBastionSSHHostKeys(ctx context.Context) ([]BastionSSHHostKey, error)
	// CreateBastionSSHHostKey stores k.PrivateKey as the host key of
	// k.InstanceID at the next slot (one past the highest taken), unless
	// the instance has a key already; either way it returns the stored key,
	// so that nodes sharing a database agree. k.Slot is ignored. Returns
	// ErrNotFound if the instance does not exist.
	CreateBastionSSHHostKey(ctx context.Context, k BastionSSHHostKey) (BastionSSHHostKey, error)
}
