package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"github.com/localyun/localyun"
)

// The Go of the Bastionhost grant stores (localyun.BastionGrantStore). Each
// store keeps its statements (GrantSQL, one per grantee kind) and its
// transactions; what it does with them is here, once. Nothing here decides
// what a batch means: the stores report the rows they find and apply the
// changes the Bastionhost service decided.

// GrantSQL holds the statements of the grants to one grantee kind, in one
// dialect: complete, literal statements. The parameters of each are listed
// with it; "ids" is a list of ids bound to one parameter (GrantDialect.IDs).
type GrantSQL struct {
	What string // the grantee kind in errors: "user group" or "user"

	// HostTargets (instance, grantee, host ids, account ids) returns rows
	// (kind, id, host id): kind 0 the grantee, 1 a host, 2 an account with
	// its host.
	HostTargets string
	// LockHostTargets is HostTargets run in the write transaction; where
	// the dialect needs it, it also locks the rows it finds until the
	// transaction ends (and serializes the batches of a grantee).
	LockHostTargets             string
	GrantHost, RevokeHost       string // (instance, grantee, host)
	GrantAccount, RevokeAccount string // (instance, grantee, host, account)
	// AccountGrantCounts (instance, grantee, host, name, protocol) returns
	// one row: the number of grantees and of hosts of those ids (0 or 1),
	// and the number of accounts of the host that match name and protocol
	// ("" matches any).
	AccountGrantCounts string
	// AccountGrantPage (instance, grantee, host, name, protocol, limit,
	// offset) returns those accounts in id order: instance_id, id, host_id,
	// name, protocol_name, privilege_type, rotation_mode, host_share_key_id,
	// private_key_fingerprint, created_at, whether it has a password, and
	// whether the grantee holds it.
	AccountGrantPage string

	// HostGroupTargets (instance, grantee, host group ids) returns rows
	// (kind, id, 0): kind 0 the grantee, 3 a host group.
	HostGroupTargets string
	// LockHostGroupTargets is HostGroupTargets in the write transaction,
	// like LockHostTargets.
	LockHostGroupTargets                          string
	GrantHostGroup, RevokeHostGroup               string // (instance, grantee, host group)
	GrantHostGroupAccount, RevokeHostGroupAccount string // (instance, grantee, host group, account name)
	// HostGroupAccountNames (instance, grantee, host group) returns the
	// account names the grantee holds on the host group, in byte order.
	HostGroupAccountNames string
}

// GrantDialect is how a dialect binds the parameters of GrantSQL.
type GrantDialect struct {
	IDs     func(ids []int64) any // a list of ids as one parameter
	NoLimit any                   // the LIMIT value that means every row
}

// GrantQueryer runs the read statements: a pool, a transaction or a
// statement cache.
type GrantQueryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// GrantExecer is a write transaction.
type GrantExecer interface {
	GrantQueryer
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// PickGrantSQL returns the statements of a grantee kind.
func PickGrantSQL(kind string, userGroup, user *GrantSQL) (*GrantSQL, error) {
	switch kind {
	case localyun.GranteeUserGroup:
		return userGroup, nil
	case localyun.GranteeUser:
		return user, nil
	}
	return nil, fmt.Errorf("grantee kind %q: %w", kind, localyun.ErrInvalid)
}

// The kinds of rows of the target statements.
const (
	targetGrantee   = 0
	targetHost      = 1
	targetAccount   = 2
	targetHostGroup = 3
)

// grantID parses a per-instance object id: a canonical positive decimal
// number. Anything else names no object.
func grantID(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || strconv.FormatInt(n, 10) != s {
		return 0, false
	}
	return n, true
}

// grantIDs parses the ids that can name an object, each once.
func grantIDs(ss []string) []int64 {
	out := make([]int64, 0, len(ss))
	seen := make(map[int64]bool, len(ss))
	for _, s := range ss {
		if n, ok := grantID(s); ok && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

func grantNotFound(what string, id any) error {
	return fmt.Errorf("bastion %s %v: %w", what, id, localyun.ErrNotFound)
}

// errTargetsChanged is the conflict of a batch decided on targets that are
// gone by the time it is applied.
func errTargetsChanged(what, id string) error {
	return fmt.Errorf("bastion grant batch: the %s %s or an object it names no longer exists: %w", what, id, localyun.ErrConflict)
}

// grantTargets are the rows of a target statement.
type grantTargets struct {
	grantee      bool
	hosts        map[string]bool
	accountHosts map[string]string
	hostGroups   map[string]bool
}

func findTargets(ctx context.Context, q GrantQueryer, query string, args ...any) (grantTargets, error) {
	t := grantTargets{hosts: map[string]bool{}, accountHosts: map[string]string{}, hostGroups: map[string]bool{}}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return t, err
	}
	defer rows.Close()
	for rows.Next() {
		var kind int
		var id, host int64
		if err := rows.Scan(&kind, &id, &host); err != nil {
			return t, err
		}
		switch kind {
		case targetGrantee:
			t.grantee = true
		case targetHost:
			t.hosts[formatID(id)] = true
		case targetAccount:
			t.accountHosts[formatID(id)] = formatID(host)
		case targetHostGroup:
			t.hostGroups[formatID(id)] = true
		}
	}
	return t, rows.Err()
}

func formatID(n int64) string { return strconv.FormatInt(n, 10) }

// FindHostGrantTargets implements FindBastionHostGrantTargets with
// s.HostTargets.
func FindHostGrantTargets(ctx context.Context, q GrantQueryer, d GrantDialect, s *GrantSQL, instanceID string,
	g localyun.BastionGrantee, hostIDs, accountIDs []string) (localyun.BastionHostGrantTargets, error) {
	out := localyun.BastionHostGrantTargets{Hosts: map[string]bool{}, AccountHosts: map[string]string{}}
	gid, ok := grantID(g.ID)
	if !ok {
		return out, nil
	}
	t, err := findTargets(ctx, q, s.HostTargets, instanceID, gid, d.IDs(grantIDs(hostIDs)), d.IDs(grantIDs(accountIDs)))
	out.GranteeExists, out.Hosts, out.AccountHosts = t.grantee, t.hosts, t.accountHosts
	return out, err
}

// ApplyHostGrants implements ApplyBastionHostGrants in tx: it checks the
// targets with s.LockHostTargets, then runs one statement per change.
func ApplyHostGrants(ctx context.Context, tx GrantExecer, d GrantDialect, s *GrantSQL, instanceID string,
	g localyun.BastionGrantee, changes []localyun.BastionHostGrantChange) ([]bool, error) {
	gid, ok := grantID(g.ID)
	if !ok {
		return nil, errTargetsChanged(s.What, g.ID)
	}
	var hostIDs, accountIDs []string
	for _, c := range changes {
		if err := checkOp(c.Op); err != nil {
			return nil, err
		}
		if _, ok := grantID(c.HostID); !ok {
			return nil, fmt.Errorf("grant change of host %q: %w", c.HostID, localyun.ErrInvalid)
		}
		hostIDs = append(hostIDs, c.HostID)
		if c.AccountID != "" {
			if _, ok := grantID(c.AccountID); !ok {
				return nil, fmt.Errorf("grant change of host account %q: %w", c.AccountID, localyun.ErrInvalid)
			}
			accountIDs = append(accountIDs, c.AccountID)
		}
	}
	t, err := findTargets(ctx, tx, s.LockHostTargets, instanceID, gid, d.IDs(grantIDs(hostIDs)), d.IDs(grantIDs(accountIDs)))
	if err != nil {
		return nil, err
	}
	for _, c := range changes {
		if !t.grantee || !t.hosts[c.HostID] || c.AccountID != "" && t.accountHosts[c.AccountID] != c.HostID {
			return nil, errTargetsChanged(s.What, g.ID)
		}
	}
	changed := make([]bool, len(changes))
	for i, c := range changes {
		host, _ := grantID(c.HostID)
		args := []any{instanceID, gid, host}
		if c.AccountID != "" {
			account, _ := grantID(c.AccountID)
			args = append(args, account)
		}
		if changed[i], err = rowChanged(tx.ExecContext(ctx, s.hostStatement(c), args...)); err != nil {
			return nil, err
		}
	}
	return changed, nil
}

// hostStatement is the statement of a host grant change.
func (s *GrantSQL) hostStatement(c localyun.BastionHostGrantChange) string {
	switch {
	case c.Op == localyun.BastionGrantAdd && c.AccountID == "":
		return s.GrantHost
	case c.Op == localyun.BastionGrantAdd:
		return s.GrantAccount
	case c.AccountID == "":
		return s.RevokeHost
	}
	return s.RevokeAccount
}

// hostGroupStatement is the statement of a host group grant change.
func (s *GrantSQL) hostGroupStatement(c localyun.BastionHostGroupGrantChange) string {
	switch {
	case c.Op == localyun.BastionGrantAdd && c.AccountName == "":
		return s.GrantHostGroup
	case c.Op == localyun.BastionGrantAdd:
		return s.GrantHostGroupAccount
	case c.AccountName == "":
		return s.RevokeHostGroup
	}
	return s.RevokeHostGroupAccount
}

func checkOp(op localyun.BastionGrantOp) error {
	if op != localyun.BastionGrantAdd && op != localyun.BastionGrantRevoke {
		return fmt.Errorf("grant operation %q: %w", op, localyun.ErrInvalid)
	}
	return nil
}

// rowChanged reports whether an Exec changed a row.
func rowChanged(res sql.Result, err error) (bool, error) {
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// FindHostAccountGrants implements FindBastionHostAccountGrants with
// s.AccountGrantCounts and s.AccountGrantPage.
func FindHostAccountGrants(ctx context.Context, q GrantQueryer, d GrantDialect, s *GrantSQL, g localyun.BastionGrantee,
	f localyun.BastionHostAccountFilter) ([]localyun.BastionHostAccountGrant, int, error) {
	if len(f.HostIDs) != 1 {
		return nil, 0, fmt.Errorf("host account grants need exactly one host: %w", localyun.ErrInvalid)
	}
	gid, ok := grantID(g.ID)
	if !ok {
		return nil, 0, grantNotFound(s.What, g.ID)
	}
	host, ok := grantID(f.HostIDs[0])
	if !ok {
		return nil, 0, grantNotFound("host", f.HostIDs[0])
	}
	var grantees, hosts, total int
	if err := scanOne(q.QueryContext(ctx, s.AccountGrantCounts, f.InstanceID, gid, host, f.Name, f.ProtocolName))(&grantees, &hosts, &total); err != nil {
		return nil, 0, err
	}
	switch {
	case grantees == 0:
		return nil, 0, grantNotFound(s.What, g.ID)
	case hosts == 0:
		return nil, 0, grantNotFound("host", host)
	}
	limit := d.NoLimit
	if f.Limit > 0 {
		limit = f.Limit
	}
	rows, err := q.QueryContext(ctx, s.AccountGrantPage, f.InstanceID, gid, host, f.Name, f.ProtocolName, limit, f.Offset)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []localyun.BastionHostAccountGrant
	for rows.Next() {
		var ag localyun.BastionHostAccountGrant
		a := &ag.BastionHostAccount
		var id, hostID, created int64
		if err := rows.Scan(&a.InstanceID, &id, &hostID, &a.Name, &a.ProtocolName, &a.PrivilegeType, &a.RotationMode,
			&a.HostShareKeyID, &a.PrivateKeyFingerprint, &created, &a.HasPassword, &ag.Authorized); err != nil {
			return nil, 0, err
		}
		a.ID, a.HostID = formatID(id), formatID(hostID)
		if created != 0 {
			a.CreatedAt = time.UnixMilli(created).UTC()
		}
		out = append(out, ag)
	}
	return out, total, rows.Err()
}

// scanOne returns a Scan of the one row of a query.
func scanOne(rows *sql.Rows, err error) func(dest ...any) error {
	return func(dest ...any) error {
		if err != nil {
			return err
		}
		defer rows.Close()
		if !rows.Next() {
			if err := rows.Err(); err != nil {
				return err
			}
			return sql.ErrNoRows
		}
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		return rows.Close()
	}
}

// FindHostGroupGrantTargets implements FindBastionHostGroupGrantTargets
// with s.HostGroupTargets.
func FindHostGroupGrantTargets(ctx context.Context, q GrantQueryer, d GrantDialect, s *GrantSQL, instanceID string,
	g localyun.BastionGrantee, hostGroupIDs []string) (localyun.BastionHostGroupGrantTargets, error) {
	out := localyun.BastionHostGroupGrantTargets{HostGroups: map[string]bool{}}
	gid, ok := grantID(g.ID)
	if !ok {
		return out, nil
	}
	t, err := findTargets(ctx, q, s.HostGroupTargets, instanceID, gid, d.IDs(grantIDs(hostGroupIDs)))
	out.GranteeExists, out.HostGroups = t.grantee, t.hostGroups
	return out, err
}

// ApplyHostGroupGrants implements ApplyBastionHostGroupGrants in tx, like
// ApplyHostGrants.
func ApplyHostGroupGrants(ctx context.Context, tx GrantExecer, d GrantDialect, s *GrantSQL, instanceID string,
	g localyun.BastionGrantee, changes []localyun.BastionHostGroupGrantChange) ([]bool, error) {
	gid, ok := grantID(g.ID)
	if !ok {
		return nil, errTargetsChanged(s.What, g.ID)
	}
	groupIDs := make([]string, len(changes))
	for i, c := range changes {
		if err := checkOp(c.Op); err != nil {
			return nil, err
		}
		if _, ok := grantID(c.HostGroupID); !ok {
			return nil, fmt.Errorf("grant change of host group %q: %w", c.HostGroupID, localyun.ErrInvalid)
		}
		groupIDs[i] = c.HostGroupID
	}
	t, err := findTargets(ctx, tx, s.LockHostGroupTargets, instanceID, gid, d.IDs(grantIDs(groupIDs)))
	if err != nil {
		return nil, err
	}
	for _, c := range changes {
		if !t.grantee || !t.hostGroups[c.HostGroupID] {
			return nil, errTargetsChanged(s.What, g.ID)
		}
	}
	changed := make([]bool, len(changes))
	for i, c := range changes {
		group, _ := grantID(c.HostGroupID)
		args := []any{instanceID, gid, group}
		if c.AccountName != "" {
			args = append(args, c.AccountName)
		}
		if changed[i], err = rowChanged(tx.ExecContext(ctx, s.hostGroupStatement(c), args...)); err != nil {
			return nil, err
		}
	}
	return changed, nil
}

// FindHostGroupAccountNames implements FindBastionHostGroupAccountNames
// with s.HostGroupTargets and s.HostGroupAccountNames.
func FindHostGroupAccountNames(ctx context.Context, q GrantQueryer, d GrantDialect, s *GrantSQL, instanceID string,
	g localyun.BastionGrantee, hostGroupID string) ([]string, error) {
	gid, ok := grantID(g.ID)
	if !ok {
		return nil, grantNotFound(s.What, g.ID)
	}
	group, ok := grantID(hostGroupID)
	if !ok {
		return nil, grantNotFound("host group", hostGroupID)
	}
	t, err := findTargets(ctx, q, s.HostGroupTargets, instanceID, gid, d.IDs([]int64{group}))
	switch {
	case err != nil:
		return nil, err
	case !t.grantee:
		return nil, grantNotFound(s.What, g.ID)
	case !t.hostGroups[hostGroupID]:
		return nil, grantNotFound("host group", hostGroupID)
	}
	rows, err := q.QueryContext(ctx, s.HostGroupAccountNames, instanceID, gid, group)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	names := []string{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	return names, rows.Err()
}
