package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/localyun/localyun"
)

// SSHHostKeySQL holds one dialect's statements of the bastion_ssh_host_keys
// table (migration 0010).
type SSHHostKeySQL struct {
	// List: every bastion instance in creation order with its account,
	// region, slot, private key and created_at (-1, '' and 0 without a
	// key).
	List string
	// Lock, when not empty, serializes CreateSSHHostKey's transactions
	// (so that two nodes never pick the same slot).
	Lock string
	// Insert (instance_id, private_key, created_at) at the next slot,
	// changing nothing if the instance has a key.
	Insert string
	// Find (instance_id): slot, private_key, created_at, and the
	// instance's account_id and region_id.
	Find string
}

// FindSSHHostKeys scans the rows of s.List, opening each key with open.
func FindSSHHostKeys(rows *sql.Rows, err error, open func(string) (string, error)) ([]localyun.BastionSSHHostKey, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []localyun.BastionSSHHostKey
	for rows.Next() {
		var k localyun.BastionSSHHostKey
		var created int64
		if err := rows.Scan(&k.InstanceID, &k.AccountID, &k.RegionID, &k.Slot, &k.PrivateKey, &created); err != nil {
			return nil, err
		}
		if k.PrivateKey, err = open(k.PrivateKey); err != nil {
			return nil, fmt.Errorf("host key of %s: %w", k.InstanceID, err)
		}
		k.CreatedAt = FromMillis(created)
		out = append(out, k)
	}
	return out, rows.Err()
}

// CreateSSHHostKey runs CreateBastionSSHHostKey's statements in tx: the
// key is sealed with seal, and the stored one is opened with open.
func CreateSSHHostKey(ctx context.Context, tx *sql.Tx, s SSHHostKeySQL, k localyun.BastionSSHHostKey,
	seal, open func(string) (string, error)) (localyun.BastionSSHHostKey, error) {
	if k.PrivateKey == "" {
		return localyun.BastionSSHHostKey{}, fmt.Errorf("empty host key: %w", localyun.ErrInvalid)
	}
	sealed, err := seal(k.PrivateKey)
	if err != nil {
		return localyun.BastionSSHHostKey{}, err
	}
	if s.Lock != "" {
		if _, err := tx.ExecContext(ctx, s.Lock); err != nil {
			return localyun.BastionSSHHostKey{}, err
		}
	}
	if _, err := tx.ExecContext(ctx, s.Insert, k.InstanceID, sealed, Millis(k.CreatedAt)); err != nil {
		return localyun.BastionSSHHostKey{}, err
	}
	out := localyun.BastionSSHHostKey{InstanceID: k.InstanceID}
	var stored string
	var created int64
	err = tx.QueryRowContext(ctx, s.Find, k.InstanceID).Scan(&out.Slot, &stored, &created, &out.AccountID, &out.RegionID)
	if errors.Is(err, sql.ErrNoRows) {
		return out, fmt.Errorf("host key of %s: %w", k.InstanceID, localyun.ErrNotFound)
	}
	if err != nil {
		return out, err
	}
	if out.PrivateKey, err = open(stored); err != nil {
		return out, fmt.Errorf("host key of %s: %w", k.InstanceID, err)
	}
	out.CreatedAt = FromMillis(created)
	return out, nil
}
