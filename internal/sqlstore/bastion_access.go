package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/localyun/localyun"
)

// The Go of the Bastionhost data plane stores (localyun.BastionAccessStore):
// effective access, user locks, host ports, failed logins, public keys,
// O&M tokens and session records, on the statements of AccessSQL.

// AccessSQL holds the literal statements of one dialect for the data
// plane. The parameters of each are listed with it.
type AccessSQL struct {
	// Access (instance, user) returns the BastionHostAccountColumns of each
	// account the user holds, then the host columns of BastionAccessHost,
	// then the grant path, ordered by host id, account id and path.
	Access string
	// LockUser (locked 0/1, instance, id, locked 0/1) changes a user whose
	// state differs.
	LockUser string
	// SetSSHPort and SetRDPPort (port, instance, id, port) change a host
	// whose port differs.
	SetSSHPort, SetRDPPort string
	// LoginState (instance, user) → failures, locked_until.
	LoginState string
	// NoteFailure (instance, user) counts one failure, returning failures
	// and locked_until; LockLogins (locked_until, instance, user) locks and
	// starts the count again; ClearFailures (instance, user).
	NoteFailure, LockLogins, ClearFailures string
	// InsertPublicKey (instance, id, user, name, comment, key, fingerprint,
	// created_at); DeletePublicKey (instance, id).
	InsertPublicKey, DeletePublicKey string
	// PublicKeyCount and PublicKeyPage (instance, user or 0, key or NULL;
	// PublicKeyPage then limit, offset) in id order: instance_id, id,
	// user_id, name, comment, public_key, fingerprint, created_at.
	PublicKeyCount, PublicKeyPage string
	// InsertToken (instance, id, user, host, account, sum, created_at,
	// expires_at); FindToken (instance, sum) → id, user, host, account,
	// created_at, expires_at; DeleteExpiredTokens (instance, before).
	InsertToken, FindToken, DeleteExpiredTokens string
	// InsertSession (instance, id, user, user_name, client_addr, host,
	// host_address, account, account_name, protocol, mode, started_at);
	// EndSession (ended_at, end_reason, instance, id) ends a running one;
	// SessionExists (instance, id).
	InsertSession, EndSession, SessionExists string
	// SessionCount and SessionPage (instance, user or 0, host or 0, active
	// 0/1; SessionPage then limit, offset), newest first, of the session
	// columns in BastionSession order.
	SessionCount, SessionPage string
}

// BastionAccessHost are the host columns (alias h) after the account
// columns of AccessSQL.Access.
const BastionAccessHost = `h.instance_id, h.id, h.name, h.comment, h.os_type, h.source, h.source_instance_id,
	h.source_instance_state, h.instance_region_id, h.instance_member_id, h.active_address_type, h.public_address,
	h.private_address, h.network_domain_id, h.pref_kex, h.created_at, h.ssh_port, h.rdp_port,
	(SELECT COUNT(*) FROM bastion_host_accounts c WHERE c.instance_id = h.instance_id AND c.host_id = h.id)`

// BastionSessionColumns are the columns of a session, in BastionSession order.
const BastionSessionColumns = `instance_id, id, user_id, user_name, client_addr, host_id, host_address, account_id,
	account_name, protocol, mode, started_at, ended_at, end_reason`

// FindBastionAccess returns the (host, account) pairs the user's grants give.
func (b *Bastion) FindBastionAccess(ctx context.Context, instanceID, userID string) ([]localyun.BastionAccess, error) {
	n, ok := localyun.ParseBastionID(userID)
	if !ok {
		return nil, nil
	}
	rows, err := b.c.Query(ctx, b.c.Access.Access, instanceID, n)
	if err != nil {
		return nil, b.c.FormatError(err)
	}
	defer rows.Close()
	var out []localyun.BastionAccess
	for rows.Next() {
		var h localyun.BastionHost
		var hid, created int64
		var via string
		a, err := ScanBastionHostAccount(rows, &h.InstanceID, &hid, &h.Name, &h.Comment, &h.OSType, &h.Source, &h.SourceInstanceID,
			&h.SourceInstanceState, &h.InstanceRegionID, &h.InstanceMemberID, &h.ActiveAddressType, &h.PublicAddress,
			&h.PrivateAddress, &h.NetworkDomainID, &h.PrefKex, &created, &h.SSHPort, &h.RDPPort, &h.AccountCount, &via)
		if err != nil {
			return nil, err
		}
		h.ID, h.CreatedAt = localyun.FormatBastionID(hid), FromMillis(created)
		if k := len(out) - 1; k >= 0 && out[k].Account.ID == a.ID {
			out[k].Via = append(out[k].Via, via)
			continue
		}
		out = append(out, localyun.BastionAccess{Host: h, Account: a, Via: []string{via}})
	}
	return out, rows.Err()
}

// SetBastionUsersLocked locks or unlocks users, reporting per id.
func (b *Bastion) SetBastionUsersLocked(ctx context.Context, instanceID string, ids []string, locked bool) ([]localyun.BastionMemberChange, error) {
	return b.perID(ctx, instanceID, ids, b.c.SQL.UserExists, locked, b.c.Access.LockUser, Flag(locked))
}

// SetBastionHostsPort sets the SSH or RDP port of hosts, reporting per id.
func (b *Bastion) SetBastionHostsPort(ctx context.Context, instanceID string, ids []string, protocol string, port int) ([]localyun.BastionMemberChange, error) {
	query := b.c.Access.SetSSHPort
	switch protocol {
	case "SSH":
	case "RDP":
		query = b.c.Access.SetRDPPort
	default:
		return nil, fmt.Errorf("protocol %q: %w", protocol, localyun.ErrInvalid)
	}
	if b.c.HostChanged != nil {
		defer func() {
			for _, n := range BastionIDs(ids) {
				b.c.HostChanged(instanceID, n)
			}
		}()
	}
	return b.perID(ctx, instanceID, ids, b.c.SQL.HostExists, false, query, int64(port))
}

// perID runs update (value, instance, id, value) on every id that exists,
// in one transaction; with notify, the access watchers hear of it.
func (b *Bastion) perID(ctx context.Context, instanceID string, ids []string, exists string, notify bool, update string, value int64) ([]localyun.BastionMemberChange, error) {
	var out []localyun.BastionMemberChange
	err := b.c.InTx(ctx, func(ctx context.Context, tx *sql.Tx) (err error) {
		out, err = MemberChanges(ids, func(n int64) (bool, error) {
			return Exists(ctx, tx, exists, instanceID, n)
		}, func(n int64) (bool, error) {
			return RowsChanged(tx.ExecContext(ctx, update, value, instanceID, n, value))
		})
		if err == nil && notify {
			err = b.accessTx(ctx, tx, instanceID)
		}
		return err
	})
	if err == nil && notify {
		b.accessDone(instanceID)
	}
	return out, b.c.FormatError(err)
}

// FindBastionLoginState returns a user's failed logins.
func (b *Bastion) FindBastionLoginState(ctx context.Context, instanceID, userID string) (localyun.BastionLoginState, error) {
	var s localyun.BastionLoginState
	n, ok := localyun.ParseBastionID(userID)
	if !ok {
		return s, nil
	}
	var until int64
	err := b.c.ReadRow(ctx, b.c.Access.LoginState, instanceID, n).Scan(&s.Failures, &until)
	if errors.Is(err, sql.ErrNoRows) {
		return s, nil
	}
	s.LockedUntil = FromMillis(until)
	return s, b.c.FormatError(err)
}

// NoteBastionLoginFailure counts a failed login; the max-th locks logins.
func (b *Bastion) NoteBastionLoginFailure(ctx context.Context, instanceID, userID string, now time.Time, max int, lockFor time.Duration) (localyun.BastionLoginState, error) {
	var s localyun.BastionLoginState
	n, err := parseID("user", userID)
	if err != nil {
		return s, err
	}
	err = b.c.InTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var until int64
		if err := tx.QueryRowContext(ctx, b.c.Access.NoteFailure, instanceID, n).Scan(&s.Failures, &until); err != nil {
			return err
		}
		s.LockedUntil = FromMillis(until)
		if s.Failures < max {
			return nil
		}
		s = localyun.BastionLoginState{LockedUntil: now.Add(lockFor)}
		_, err := tx.ExecContext(ctx, b.c.Access.LockLogins, Millis(s.LockedUntil), instanceID, n)
		return err
	})
	return s, b.c.FormatError(err)
}

// ClearBastionLoginFailures forgets a user's failed logins.
func (b *Bastion) ClearBastionLoginFailures(ctx context.Context, instanceID, userID string) error {
	n, ok := localyun.ParseBastionID(userID)
	if !ok {
		return nil
	}
	return b.c.FormatError(b.c.InTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, b.c.Access.ClearFailures, instanceID, n)
		return err
	}))
}

// CreateBastionPublicKey assigns the next public key id.
func (b *Bastion) CreateBastionPublicKey(ctx context.Context, k localyun.BastionPublicKey) (localyun.BastionPublicKey, error) {
	user, err := parseID("user", k.UserID)
	if err != nil {
		return k, err
	}
	err = b.create(ctx, k.InstanceID, "public_key", func(tx *sql.Tx, n int64) error {
		k.ID = localyun.FormatBastionID(n)
		_, err := tx.ExecContext(ctx, b.c.Access.InsertPublicKey, k.InstanceID, n, user, k.Name, k.Comment, k.PublicKey,
			k.Fingerprint, Millis(k.CreatedAt))
		return err
	}, func(*sql.Tx, int64) error { return nil })
	return k, b.c.FormatError(err)
}

// FindBastionPublicKeys lists public keys in id order and the total.
func (b *Bastion) FindBastionPublicKeys(ctx context.Context, f localyun.BastionPublicKeyFilter) ([]localyun.BastionPublicKey, int, error) {
	var user int64
	if f.UserID != "" {
		var ok bool
		if user, ok = localyun.ParseBastionID(f.UserID); !ok {
			return nil, 0, nil
		}
	}
	var key any
	if f.PublicKey != nil {
		key = f.PublicKey
	}
	var total int
	if err := b.c.ReadRow(ctx, b.c.Access.PublicKeyCount, f.InstanceID, user, key).Scan(&total); err != nil {
		return nil, 0, b.c.FormatError(err)
	}
	rows, err := b.c.Query(ctx, b.c.Access.PublicKeyPage, f.InstanceID, user, key, f.Limit, f.Offset)
	if err != nil {
		return nil, 0, b.c.FormatError(err)
	}
	defer rows.Close()
	var out []localyun.BastionPublicKey
	for rows.Next() {
		var k localyun.BastionPublicKey
		var id, uid, created int64
		if err := rows.Scan(&k.InstanceID, &id, &uid, &k.Name, &k.Comment, &k.PublicKey, &k.Fingerprint, &created); err != nil {
			return nil, 0, err
		}
		k.ID, k.UserID, k.CreatedAt = localyun.FormatBastionID(id), localyun.FormatBastionID(uid), FromMillis(created)
		out = append(out, k)
	}
	return out, total, rows.Err()
}

// DeleteBastionPublicKey deletes a public key. Returns ErrNotFound.
func (b *Bastion) DeleteBastionPublicKey(ctx context.Context, instanceID, id string) error {
	n, err := parseID("public key", id)
	if err != nil {
		return err
	}
	return b.c.FormatError(b.c.InTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		changed, err := RowsChanged(tx.ExecContext(ctx, b.c.Access.DeletePublicKey, instanceID, n))
		if err == nil && !changed {
			return BastionNotFound("public key", id)
		}
		return err
	}))
}

// tokenKeep is how long an expired O&M token is kept before the creation
// of another token of its instance deletes it.
const tokenKeep = 24 * time.Hour

// CreateBastionOperationToken assigns the next token id.
func (b *Bastion) CreateBastionOperationToken(ctx context.Context, t localyun.BastionOperationToken) (localyun.BastionOperationToken, error) {
	ids := BastionIDs([]string{t.UserID})
	hosts, accounts := BastionIDs([]string{t.HostID}), BastionIDs([]string{t.AccountID})
	if len(ids) == 0 || len(hosts) == 0 || len(accounts) == 0 {
		return t, BastionNotFound("token target", t.UserID+"/"+t.HostID+"/"+t.AccountID)
	}
	err := b.create(ctx, t.InstanceID, "operation_token", func(tx *sql.Tx, n int64) error {
		t.ID = localyun.FormatBastionID(n)
		if _, err := tx.ExecContext(ctx, b.c.Access.DeleteExpiredTokens, t.InstanceID, Millis(t.CreatedAt.Add(-tokenKeep))); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, b.c.Access.InsertToken, t.InstanceID, n, ids[0], hosts[0], accounts[0], t.Sum,
			Millis(t.CreatedAt), Millis(t.ExpiresAt))
		return err
	}, func(*sql.Tx, int64) error { return nil })
	return t, b.c.FormatError(err)
}

// FindBastionOperationToken finds a token by its SHA-256.
func (b *Bastion) FindBastionOperationToken(ctx context.Context, instanceID string, sum []byte) (localyun.BastionOperationToken, error) {
	t := localyun.BastionOperationToken{InstanceID: instanceID, Sum: sum}
	var id, user, host, account, created, expires int64
	err := b.c.ReadRow(ctx, b.c.Access.FindToken, instanceID, sum).Scan(&id, &user, &host, &account, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return t, BastionNotFound("operation token", "")
	}
	t.ID, t.UserID, t.HostID, t.AccountID = localyun.FormatBastionID(id), localyun.FormatBastionID(user),
		localyun.FormatBastionID(host), localyun.FormatBastionID(account)
	t.CreatedAt, t.ExpiresAt = FromMillis(created), FromMillis(expires)
	return t, b.c.FormatError(err)
}

// CreateBastionSession assigns the next session id.
func (b *Bastion) CreateBastionSession(ctx context.Context, s localyun.BastionSession) (localyun.BastionSession, error) {
	user, _ := localyun.ParseBastionID(s.UserID)
	host, _ := localyun.ParseBastionID(s.HostID)
	account, _ := localyun.ParseBastionID(s.AccountID)
	s.EndedAt, s.EndReason = time.Time{}, ""
	err := b.create(ctx, s.InstanceID, "session", func(tx *sql.Tx, n int64) error {
		s.ID = localyun.FormatBastionID(n)
		_, err := tx.ExecContext(ctx, b.c.Access.InsertSession, s.InstanceID, n, user, s.UserName, s.ClientAddr, host,
			s.HostAddress, account, s.AccountName, s.Protocol, s.Mode, Millis(s.StartedAt))
		return err
	}, func(*sql.Tx, int64) error { return nil })
	return s, b.c.FormatError(err)
}

// EndBastionSession records the end of a running session.
func (b *Bastion) EndBastionSession(ctx context.Context, instanceID, id string, endedAt time.Time, reason string) error {
	n, err := parseID("session", id)
	if err != nil {
		return err
	}
	if reason == "" {
		reason = localyun.BastionSessionExit
	}
	return b.c.FormatError(b.c.InTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		changed, err := RowsChanged(tx.ExecContext(ctx, b.c.Access.EndSession, Millis(endedAt), reason, instanceID, n))
		if err != nil || changed {
			return err
		}
		ok, err := Exists(ctx, tx, b.c.Access.SessionExists, instanceID, n)
		switch {
		case err != nil:
			return err
		case !ok:
			return BastionNotFound("session", id)
		}
		return fmt.Errorf("bastion session %s has ended already: %w", id, localyun.ErrConflict)
	}))
}

// FindBastionSessions lists sessions, newest first, and the total.
func (b *Bastion) FindBastionSessions(ctx context.Context, f localyun.BastionSessionFilter) ([]localyun.BastionSession, int, error) {
	var user, host int64
	var ok bool
	if f.UserID != "" {
		if user, ok = localyun.ParseBastionID(f.UserID); !ok {
			return nil, 0, nil
		}
	}
	if f.HostID != "" {
		if host, ok = localyun.ParseBastionID(f.HostID); !ok {
			return nil, 0, nil
		}
	}
	args := []any{f.InstanceID, user, host, Flag(f.Active)}
	var total int
	if err := b.c.ReadRow(ctx, b.c.Access.SessionCount, args...).Scan(&total); err != nil {
		return nil, 0, b.c.FormatError(err)
	}
	rows, err := b.c.Query(ctx, b.c.Access.SessionPage, append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, b.c.FormatError(err)
	}
	defer rows.Close()
	var out []localyun.BastionSession
	for rows.Next() {
		var s localyun.BastionSession
		var id, uid, hid, aid, started, ended int64
		if err := rows.Scan(&s.InstanceID, &id, &uid, &s.UserName, &s.ClientAddr, &hid, &s.HostAddress, &aid, &s.AccountName,
			&s.Protocol, &s.Mode, &started, &ended, &s.EndReason); err != nil {
			return nil, 0, err
		}
		s.ID, s.UserID, s.HostID, s.AccountID = localyun.FormatBastionID(id), localyun.FormatBastionID(uid),
			localyun.FormatBastionID(hid), localyun.FormatBastionID(aid)
		s.StartedAt, s.EndedAt = FromMillis(started), FromMillis(ended)
		out = append(out, s)
	}
	return out, total, rows.Err()
}

// accessTx runs the store's AccessChanged hook in the transaction of a
// write that can remove access in instanceID.
func (b *Bastion) accessTx(ctx context.Context, tx *sql.Tx, instanceID string) error {
	if b.c.AccessChanged == nil {
		return nil
	}
	return b.c.AccessChanged(ctx, tx, instanceID)
}

// accessDone runs the store's AccessCommitted hook once such a write has
// committed.
func (b *Bastion) accessDone(instanceID string) {
	if b.c.AccessCommitted != nil {
		b.c.AccessCommitted(instanceID)
	}
}

// AccessTx and AccessDone are accessTx and accessDone for the writes a
// store runs itself (the grant batches).
func (b *Bastion) AccessTx(ctx context.Context, tx *sql.Tx, instanceID string) error {
	return b.accessTx(ctx, tx, instanceID)
}

// AccessDone: see AccessTx.
func (b *Bastion) AccessDone(instanceID string) { b.accessDone(instanceID) }

// RevokesHosts reports whether a batch of host grant changes revokes.
func RevokesHosts(changes []localyun.BastionHostGrantChange) bool {
	for _, c := range changes {
		if c.Op == localyun.BastionGrantRevoke {
			return true
		}
	}
	return false
}

// RevokesHostGroups reports whether a batch of host group grant changes revokes.
func RevokesHostGroups(changes []localyun.BastionHostGroupGrantChange) bool {
	for _, c := range changes {
		if c.Op == localyun.BastionGrantRevoke {
			return true
		}
	}
	return false
}
