package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/localyun/localyun"
)

// The Go of the Bastionhost grant stores (localyun.BastionGrantStore). Each
// store keeps its statements (Grants: a GrantSQL per grantee kind) and its
// transactions; what it does with them is here, once. Nothing here decides
// what a batch means: the stores report the rows they find and apply the
// changes the Bastionhost service decided.

// GrantSQL holds the statements of the grants to one grantee kind, in one
// dialect: complete, literal statements. The parameters of each are listed
// with it; "ids" is a list of ids bound to one parameter (Grants.IDs).
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

// Grants is a store's grant statements, one GrantSQL per grantee kind, and
// how its dialect binds them. Its methods implement the
// localyun.BastionGrantStore methods of their names, on the queryer or
// transaction the store gives them.
type Grants struct {
	UserGroup, User GrantSQL
	IDs             func(ids []int64) any // a list of ids as one parameter
	NoLimit         any                   // the LIMIT value that means every row
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

// of returns the statements of a grantee kind.
func (gr *Grants) of(kind string) (*GrantSQL, error) {
	switch kind {
	case localyun.GranteeUserGroup:
		return &gr.UserGroup, nil
	case localyun.GranteeUser:
		return &gr.User, nil
	}
	return nil, fmt.Errorf("grantee kind %q: %w", kind, localyun.ErrInvalid)
}

// HostChangeSQL lists the statements ApplyHostGrants runs for a grantee
// kind, for a store to prepare.
func (gr *Grants) HostChangeSQL(kind string) ([]string, error) {
	s, err := gr.of(kind)
	if err != nil {
		return nil, err
	}
	return []string{s.LockHostTargets, s.GrantHost, s.GrantAccount, s.RevokeHost, s.RevokeAccount}, nil
}

// HostGroupChangeSQL lists the statements ApplyHostGroupGrants runs for a
// grantee kind, for a store to prepare.
func (gr *Grants) HostGroupChangeSQL(kind string) ([]string, error) {
	s, err := gr.of(kind)
	if err != nil {
		return nil, err
	}
	return []string{s.LockHostGroupTargets, s.GrantHostGroup, s.GrantHostGroupAccount, s.RevokeHostGroup, s.RevokeHostGroupAccount}, nil
}

// The kinds of rows of the target statements.
const (
	targetGrantee   = 0
	targetHost      = 1
	targetAccount   = 2
	targetHostGroup = 3
)

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
			t.hosts[localyun.FormatBastionID(id)] = true
		case targetAccount:
			t.accountHosts[localyun.FormatBastionID(id)] = localyun.FormatBastionID(host)
		case targetHostGroup:
			t.hostGroups[localyun.FormatBastionID(id)] = true
		}
	}
	return t, rows.Err()
}

// FindHostGrantTargets implements FindBastionHostGrantTargets with
// s.HostTargets.
func (gr *Grants) FindHostGrantTargets(ctx context.Context, q GrantQueryer, instanceID string,
	g localyun.BastionGrantee, hostIDs, accountIDs []string) (localyun.BastionHostGrantTargets, error) {
	out := localyun.BastionHostGrantTargets{Hosts: map[string]bool{}, AccountHosts: map[string]string{}}
	s, err := gr.of(g.Kind)
	if err != nil {
		return out, err
	}
	gid, ok := localyun.ParseBastionID(g.ID)
	if !ok {
		return out, nil
	}
	t, err := findTargets(ctx, q, s.HostTargets, instanceID, gid, gr.IDs(BastionIDs(hostIDs)), gr.IDs(BastionIDs(accountIDs)))
	out.GranteeExists, out.Hosts, out.AccountHosts = t.grantee, t.hosts, t.accountHosts
	return out, err
}

// ApplyHostGrants implements ApplyBastionHostGrants in tx: unless the store
// knows them unchanged since they were read, it checks the targets with
// s.LockHostTargets; then it runs one statement per change.
func (gr *Grants) ApplyHostGrants(ctx context.Context, tx GrantExecer, instanceID string,
	g localyun.BastionGrantee, unchanged bool, changes []localyun.BastionHostGrantChange) ([]bool, error) {
	s, gid, err := gr.grantee(g)
	if err != nil {
		return nil, err
	}
	var hostIDs, accountIDs []string
	run := make([]statement, len(changes))
	for i, c := range changes {
		host, ok := localyun.ParseBastionID(c.HostID)
		if err := checkOp(c.Op); err != nil || !ok {
			return nil, fmt.Errorf("grant change %+v: %w", c, localyun.ErrInvalid)
		}
		run[i] = statement{s.hostStatement(c), []any{instanceID, gid, host}}
		hostIDs = append(hostIDs, c.HostID)
		if c.AccountID != "" {
			account, ok := localyun.ParseBastionID(c.AccountID)
			if !ok {
				return nil, fmt.Errorf("grant change %+v: %w", c, localyun.ErrInvalid)
			}
			run[i].args = append(run[i].args, account)
			accountIDs = append(accountIDs, c.AccountID)
		}
	}
	if !unchanged {
		t, err := findTargets(ctx, tx, s.LockHostTargets, instanceID, gid, gr.IDs(BastionIDs(hostIDs)), gr.IDs(BastionIDs(accountIDs)))
		if err != nil {
			return nil, err
		}
		for _, c := range changes {
			if !t.grantee || !t.hosts[c.HostID] || c.AccountID != "" && t.accountHosts[c.AccountID] != c.HostID {
				return nil, errTargetsChanged(s.What, g.ID)
			}
		}
	}
	return execAll(ctx, tx, run)
}

// grantee returns the statements of g's kind and its numeric id; an id
// that names nothing is a grantee that is gone (ErrConflict).
func (gr *Grants) grantee(g localyun.BastionGrantee) (*GrantSQL, int64, error) {
	s, err := gr.of(g.Kind)
	if err != nil {
		return nil, 0, err
	}
	gid, ok := localyun.ParseBastionID(g.ID)
	if !ok {
		return nil, 0, errTargetsChanged(s.What, g.ID)
	}
	return s, gid, nil
}

// statement is one statement of a batch with its arguments.
type statement struct {
	query string
	args  []any
}

// execAll runs the statements of a batch, in order, and reports for each
// whether it changed a row.
func execAll(ctx context.Context, tx GrantExecer, run []statement) ([]bool, error) {
	changed := make([]bool, len(run))
	for i, st := range run {
		var err error
		if changed[i], err = RowsChanged(tx.ExecContext(ctx, st.query, st.args...)); err != nil {
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

// FindHostAccountGrants implements FindBastionHostAccountGrants with
// s.AccountGrantCounts and s.AccountGrantPage.
func (gr *Grants) FindHostAccountGrants(ctx context.Context, q GrantQueryer, g localyun.BastionGrantee,
	f localyun.BastionHostAccountFilter) ([]localyun.BastionHostAccountGrant, int, error) {
	s, err := gr.of(g.Kind)
	if err != nil {
		return nil, 0, err
	}
	if len(f.HostIDs) != 1 {
		return nil, 0, fmt.Errorf("host account grants need exactly one host: %w", localyun.ErrInvalid)
	}
	gid, ok := localyun.ParseBastionID(g.ID)
	if !ok {
		return nil, 0, BastionNotFound(s.What, g.ID)
	}
	host, ok := localyun.ParseBastionID(f.HostIDs[0])
	if !ok {
		return nil, 0, BastionNotFound("host", f.HostIDs[0])
	}
	var grantees, hosts, total int
	if err := scanOne(q.QueryContext(ctx, s.AccountGrantCounts, f.InstanceID, gid, host, f.Name, f.ProtocolName))(&grantees, &hosts, &total); err != nil {
		return nil, 0, err
	}
	switch {
	case grantees == 0:
		return nil, 0, BastionNotFound(s.What, g.ID)
	case hosts == 0:
		return nil, 0, BastionNotFound("host", host)
	}
	limit := gr.NoLimit
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
		var err error
		if ag.BastionHostAccount, err = ScanBastionHostAccount(rows, &ag.Authorized); err != nil {
			return nil, 0, err
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
func (gr *Grants) FindHostGroupGrantTargets(ctx context.Context, q GrantQueryer, instanceID string,
	g localyun.BastionGrantee, hostGroupIDs []string) (localyun.BastionHostGroupGrantTargets, error) {
	out := localyun.BastionHostGroupGrantTargets{HostGroups: map[string]bool{}}
	s, err := gr.of(g.Kind)
	if err != nil {
		return out, err
	}
	gid, ok := localyun.ParseBastionID(g.ID)
	if !ok {
		return out, nil
	}
	t, err := findTargets(ctx, q, s.HostGroupTargets, instanceID, gid, gr.IDs(BastionIDs(hostGroupIDs)))
	out.GranteeExists, out.HostGroups = t.grantee, t.hostGroups
	return out, err
}

// ApplyHostGroupGrants implements ApplyBastionHostGroupGrants in tx, like
// ApplyHostGrants.
func (gr *Grants) ApplyHostGroupGrants(ctx context.Context, tx GrantExecer, instanceID string,
	g localyun.BastionGrantee, unchanged bool, changes []localyun.BastionHostGroupGrantChange) ([]bool, error) {
	s, gid, err := gr.grantee(g)
	if err != nil {
		return nil, err
	}
	groupIDs := make([]string, len(changes))
	run := make([]statement, len(changes))
	for i, c := range changes {
		group, ok := localyun.ParseBastionID(c.HostGroupID)
		if err := checkOp(c.Op); err != nil || !ok {
			return nil, fmt.Errorf("grant change %+v: %w", c, localyun.ErrInvalid)
		}
		run[i] = statement{s.hostGroupStatement(c), []any{instanceID, gid, group}}
		if c.AccountName != "" {
			run[i].args = append(run[i].args, c.AccountName)
		}
		groupIDs[i] = c.HostGroupID
	}
	if !unchanged {
		t, err := findTargets(ctx, tx, s.LockHostGroupTargets, instanceID, gid, gr.IDs(BastionIDs(groupIDs)))
		if err != nil {
			return nil, err
		}
		for _, c := range changes {
			if !t.grantee || !t.hostGroups[c.HostGroupID] {
				return nil, errTargetsChanged(s.What, g.ID)
			}
		}
	}
	return execAll(ctx, tx, run)
}

// FindHostGroupAccountNames implements FindBastionHostGroupAccountNames
// with s.HostGroupTargets and s.HostGroupAccountNames.
func (gr *Grants) FindHostGroupAccountNames(ctx context.Context, q GrantQueryer, instanceID string,
	g localyun.BastionGrantee, hostGroupID string) ([]string, error) {
	s, err := gr.of(g.Kind)
	if err != nil {
		return nil, err
	}
	gid, ok := localyun.ParseBastionID(g.ID)
	if !ok {
		return nil, BastionNotFound(s.What, g.ID)
	}
	group, ok := localyun.ParseBastionID(hostGroupID)
	if !ok {
		return nil, BastionNotFound("host group", hostGroupID)
	}
	t, err := findTargets(ctx, q, s.HostGroupTargets, instanceID, gid, gr.IDs([]int64{group}))
	switch {
	case err != nil:
		return nil, err
	case !t.grantee:
		return nil, BastionNotFound(s.What, g.ID)
	case !t.hostGroups[hostGroupID]:
		return nil, BastionNotFound("host group", hostGroupID)
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
