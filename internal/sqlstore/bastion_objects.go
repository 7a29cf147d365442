package sqlstore

import (
	"context"
	"database/sql"

	"github.com/localyun/localyun"
)

// The localyun.BastionStore and BastionInstanceStore methods of Bastion.

// CreateBastionInstance returns ErrAlreadyExists if the id is taken.
func (b *Bastion) CreateBastionInstance(ctx context.Context, x localyun.BastionInstance) error {
	return b.c.InTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, b.c.SQL.InsertInstance, x.ID, x.AccountID, x.RegionID, x.Status, x.Description,
			x.PlanCode, x.VpcID, x.VSwitchID, Millis(x.CreatedAt), Millis(x.ExpiresAt))
		return err
	})
}

// CreateBastionHost assigns the next host id and returns the host.
func (b *Bastion) CreateBastionHost(ctx context.Context, h localyun.BastionHost) (localyun.BastionHost, error) {
	var out localyun.BastionHost
	err := b.create(ctx, h.InstanceID, "host", func(tx *sql.Tx, n int64) error {
		_, err := tx.ExecContext(ctx, b.c.SQL.InsertHost, append([]any{h.InstanceID, n, Millis(h.CreatedAt)}, BastionHostValues(h)...)...)
		return err
	}, func(tx *sql.Tx, n int64) (err error) {
		return findTx(ctx, tx, "host", b.c.SQL.FindHost, h.InstanceID, n, func(row Scanner) error {
			out, err = ScanBastionHost(row)
			return err
		})
	})
	return out, err
}

// FindBastionHost returns ErrNotFound if there is no such host.
func (b *Bastion) FindBastionHost(ctx context.Context, instanceID, id string) (h localyun.BastionHost, err error) {
	err = b.find(ctx, "host", instanceID, id, b.c.SQL.FindHost, func(row Scanner) error {
		h, err = ScanBastionHost(row)
		return err
	})
	return h, err
}

// UpdateBastionHost writes to over the host from if it is unchanged.
func (b *Bastion) UpdateBastionHost(ctx context.Context, from, to localyun.BastionHost) error {
	if n, ok := localyun.ParseBastionID(from.ID); ok && b.c.HostChanged != nil {
		defer b.c.HostChanged(from.InstanceID, n)
	}
	return b.update(ctx, "host", from.InstanceID, from.ID, b.c.SQL.UpdateHost, b.c.SQL.HostExists, func(n int64) []any {
		return CASArgs(BastionHostValues(to), from.InstanceID, n, BastionHostValues(from))
	}, nil)
}

// DeleteBastionHost deletes a host with its accounts, memberships and grants.
func (b *Bastion) DeleteBastionHost(ctx context.Context, instanceID, id string) error {
	if n, ok := localyun.ParseBastionID(id); ok && b.c.HostChanged != nil {
		defer b.c.HostChanged(instanceID, n)
	}
	return b.remove(ctx, "host", instanceID, id, b.c.SQL.DeleteHost)
}

// CreateBastionHostAccount assigns the next account id. The host is kept
// (locked where the dialect locks) until the account is committed.
func (b *Bastion) CreateBastionHostAccount(ctx context.Context, a localyun.BastionHostAccount, s localyun.BastionSecret) (localyun.BastionHostAccount, error) {
	host, err := parseID("host", a.HostID)
	if err != nil {
		return a, err
	}
	var out localyun.BastionHostAccount
	err = b.create(ctx, a.InstanceID, "host_account", func(tx *sql.Tx, n int64) error {
		if ok, err := Exists(ctx, tx, b.c.SQL.KeepHost, a.InstanceID, host); err != nil || !ok {
			if err == nil {
				err = BastionNotFound("host", host)
			}
			return err
		}
		if _, err := tx.ExecContext(ctx, b.c.SQL.InsertHostAccount,
			append([]any{a.InstanceID, n, host, Millis(a.CreatedAt)}, BastionHostAccountValues(a)...)...); err != nil {
			return err
		}
		return b.writeHostAccountSecret(ctx, tx, a.InstanceID, n, SetSecret(s))
	}, func(tx *sql.Tx, n int64) (err error) {
		return findTx(ctx, tx, "host account", b.c.SQL.FindHostAccount, a.InstanceID, n, func(row Scanner) error {
			out, err = ScanBastionHostAccount(row)
			return err
		})
	})
	return out, err
}

// FindBastionHostAccount returns ErrNotFound.
func (b *Bastion) FindBastionHostAccount(ctx context.Context, instanceID, id string) (a localyun.BastionHostAccount, err error) {
	err = b.find(ctx, "host account", instanceID, id, b.c.SQL.FindHostAccount, func(row Scanner) error {
		a, err = ScanBastionHostAccount(row)
		return err
	})
	return a, err
}

// UpdateBastionHostAccount writes to over the account from if it is
// unchanged, and the credentials s sets.
func (b *Bastion) UpdateBastionHostAccount(ctx context.Context, from, to localyun.BastionHostAccount, s localyun.BastionSecretUpdate) error {
	err := b.update(ctx, "host account", from.InstanceID, from.ID, b.c.SQL.UpdateHostAccount, b.c.SQL.HostAccountExists,
		func(n int64) []any {
			return CASArgs(BastionHostAccountValues(to), from.InstanceID, n, BastionHostAccountValues(from))
		}, func(tx *sql.Tx, n int64) error {
			if err := b.writeHostAccountSecret(ctx, tx, from.InstanceID, n, s); err != nil {
				return err
			}
			return b.accessTx(ctx, tx, from.InstanceID) // a new name leaves the host groups' grants of the old one
		})
	if err == nil {
		b.accessDone(from.InstanceID)
	}
	return err
}

// DeleteBastionHostAccount deletes an account and its grants.
func (b *Bastion) DeleteBastionHostAccount(ctx context.Context, instanceID, id string) error {
	return b.remove(ctx, "host account", instanceID, id, b.c.SQL.DeleteHostAccount)
}

// CreateBastionUser assigns the next user id.
func (b *Bastion) CreateBastionUser(ctx context.Context, u localyun.BastionUser, s localyun.BastionSecret) (localyun.BastionUser, error) {
	var out localyun.BastionUser
	err := b.create(ctx, u.InstanceID, "user", func(tx *sql.Tx, n int64) error {
		if _, err := tx.ExecContext(ctx, b.c.SQL.InsertUser, append([]any{u.InstanceID, n, Millis(u.CreatedAt)}, BastionUserValues(u)...)...); err != nil {
			return err
		}
		return b.writeUserSecret(ctx, tx, u.InstanceID, n, SetSecret(s))
	}, func(tx *sql.Tx, n int64) (err error) {
		return findTx(ctx, tx, "user", b.c.SQL.FindUser, u.InstanceID, n, func(row Scanner) error {
			out, err = ScanBastionUser(row)
			return err
		})
	})
	return out, err
}

// FindBastionUser returns ErrNotFound.
func (b *Bastion) FindBastionUser(ctx context.Context, instanceID, id string) (u localyun.BastionUser, err error) {
	err = b.find(ctx, "user", instanceID, id, b.c.SQL.FindUser, func(row Scanner) error {
		u, err = ScanBastionUser(row)
		return err
	})
	return u, err
}

// UpdateBastionUser writes to over the user from if it is unchanged, and
// the password s sets.
func (b *Bastion) UpdateBastionUser(ctx context.Context, from, to localyun.BastionUser, s localyun.BastionSecretUpdate) error {
	err := b.update(ctx, "user", from.InstanceID, from.ID, b.c.SQL.UpdateUser, b.c.SQL.UserExists, func(n int64) []any {
		return CASArgs(BastionUserValues(to), from.InstanceID, n, BastionUserValues(from))
	}, func(tx *sql.Tx, n int64) error {
		if err := b.writeUserSecret(ctx, tx, from.InstanceID, n, s); err != nil {
			return err
		}
		return b.accessTx(ctx, tx, from.InstanceID) // the validity period may have ended
	})
	if err == nil {
		b.accessDone(from.InstanceID)
	}
	return err
}

// DeleteBastionUser deletes a user, its memberships and grants.
func (b *Bastion) DeleteBastionUser(ctx context.Context, instanceID, id string) error {
	return b.remove(ctx, "user", instanceID, id, b.c.SQL.DeleteUser)
}

// writeHostAccountSecret sets the credentials of an account that s sets.
func (b *Bastion) writeHostAccountSecret(ctx context.Context, tx *sql.Tx, instanceID string, n int64, s localyun.BastionSecretUpdate) error {
	if s == (localyun.BastionSecretUpdate{}) {
		return nil
	}
	password, key, phrase, err := SealSecret(s, b.c.Seal)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, b.c.SQL.WriteHostAccountSecret, password, key, phrase, instanceID, n)
	return err
}

// writeUserSecret sets the password of a user, if s sets it.
func (b *Bastion) writeUserSecret(ctx context.Context, tx *sql.Tx, instanceID string, n int64, s localyun.BastionSecretUpdate) error {
	if s.Password == nil {
		return nil
	}
	password, _, _, err := SealSecret(localyun.BastionSecretUpdate{Password: s.Password}, b.c.Seal)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, b.c.SQL.WriteUserSecret, password, instanceID, n)
	return err
}

// FindBastionHostAccountSecret returns the stored credentials of an account.
func (b *Bastion) FindBastionHostAccountSecret(ctx context.Context, instanceID, id string) (s localyun.BastionSecret, err error) {
	if err := b.find(ctx, "host account", instanceID, id, b.c.SQL.ReadHostAccountSecret, func(row Scanner) error {
		return row.Scan(&s.Password, &s.PrivateKey, &s.PassPhrase)
	}); err != nil {
		return s, err
	}
	return s, OpenSecret(&s, b.c.Open)
}

// FindBastionUserSecret returns the stored password of a user.
func (b *Bastion) FindBastionUserSecret(ctx context.Context, instanceID, id string) (s localyun.BastionSecret, err error) {
	if err := b.find(ctx, "user", instanceID, id, b.c.SQL.ReadUserSecret, func(row Scanner) error {
		return row.Scan(&s.Password)
	}); err != nil {
		return s, err
	}
	return s, OpenSecret(&s, b.c.Open)
}

// CreateBastionGroup assigns the next id of the group's kind.
func (b *Bastion) CreateBastionGroup(ctx context.Context, g localyun.BastionGroup) (localyun.BastionGroup, error) {
	k, err := b.group(g.Kind)
	if err != nil {
		return g, err
	}
	var out localyun.BastionGroup
	err = b.create(ctx, g.InstanceID, k.Seq, func(tx *sql.Tx, n int64) error {
		_, err := tx.ExecContext(ctx, k.Insert, g.InstanceID, n, g.Name, g.Comment, Millis(g.CreatedAt))
		return err
	}, func(tx *sql.Tx, n int64) (err error) {
		return findTx(ctx, tx, k.What, k.Find, g.InstanceID, n, func(row Scanner) error {
			out, err = ScanBastionGroup(row, g.Kind)
			return err
		})
	})
	return out, err
}

// FindBastionGroup returns ErrNotFound.
func (b *Bastion) FindBastionGroup(ctx context.Context, kind, instanceID, id string) (g localyun.BastionGroup, err error) {
	k, err := b.group(kind)
	if err != nil {
		return g, err
	}
	err = b.find(ctx, k.What, instanceID, id, k.Find, func(row Scanner) error {
		g, err = ScanBastionGroup(row, kind)
		return err
	})
	return g, err
}

// UpdateBastionGroup writes the name and comment of to over the group from
// if it is unchanged.
func (b *Bastion) UpdateBastionGroup(ctx context.Context, from, to localyun.BastionGroup) error {
	k, err := b.group(from.Kind)
	if err != nil {
		return err
	}
	return b.update(ctx, k.What, from.InstanceID, from.ID, k.Update, k.Exists, func(n int64) []any {
		return []any{to.Name, to.Comment, from.InstanceID, n, from.Name, from.Comment}
	}, nil)
}

// DeleteBastionGroup deletes a group, its memberships and grants.
func (b *Bastion) DeleteBastionGroup(ctx context.Context, kind, instanceID, id string) error {
	k, err := b.group(kind)
	if err != nil {
		return err
	}
	return b.remove(ctx, k.What, instanceID, id, k.Delete)
}

// AddBastionGroupMembers adds members to a group.
func (b *Bastion) AddBastionGroupMembers(ctx context.Context, kind, instanceID, groupID string, ids []string) ([]localyun.BastionMemberChange, error) {
	return b.changeMembers(ctx, kind, instanceID, groupID, ids, true)
}

// RemoveBastionGroupMembers removes members from a group.
func (b *Bastion) RemoveBastionGroupMembers(ctx context.Context, kind, instanceID, groupID string, ids []string) ([]localyun.BastionMemberChange, error) {
	return b.changeMembers(ctx, kind, instanceID, groupID, ids, false)
}

// changeMembers runs one membership batch in a transaction: the group's
// row (locked) serializes the batches on it, the members it names are
// found (and kept) up front, then each id is added or removed in order.
func (b *Bastion) changeMembers(ctx context.Context, kind, instanceID, groupID string, ids []string, add bool) ([]localyun.BastionMemberChange, error) {
	k, err := b.group(kind)
	if err != nil {
		return nil, err
	}
	gid, err := parseID(k.What, groupID)
	if err != nil {
		return nil, err
	}
	change := k.AddMember
	if !add {
		change = k.RemoveMember
	}
	defer b.grantsChanged()
	var out []localyun.BastionMemberChange
	err = b.c.InTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if ok, err := Exists(ctx, tx, k.Lock, instanceID, gid); err != nil || !ok {
			if err == nil {
				err = BastionNotFound(k.What, groupID)
			}
			return err
		}
		members, err := b.c.FindMembers(ctx, tx, k, instanceID, BastionIDs(ids))
		if err != nil {
			return err
		}
		out, err = MemberChanges(ids, func(n int64) (bool, error) { return members[n], nil }, func(n int64) (bool, error) {
			return RowsChanged(tx.ExecContext(ctx, change, instanceID, gid, n))
		})
		if err == nil && !add {
			err = b.accessTx(ctx, tx, instanceID)
		}
		return err
	})
	if err == nil && !add {
		b.accessDone(instanceID)
	}
	return out, err
}
