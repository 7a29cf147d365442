package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/localyun/localyun"
)

// The RAM and STS rows (accounts' access keys, roles, users, groups,
// policies, attachments, sessions) as both stores read them: the columns
// of each SELECT and the scan of its row, which must agree. Times are
// stored as Unix milliseconds (0 for the zero time).

// Scanner is one row: *sql.Row, *sql.Rows, or the SQLite store's rows of
// a cached statement.
type Scanner interface{ Scan(dest ...any) error }

// All returns the reader of every row of a query, scanned with scan; it
// closes the rows. Use: sqlstore.All(scan)(db.QueryContext(...)).
func All[T any](scan func(Scanner) (T, error)) func(rows *sql.Rows, err error) ([]T, error) {
	return func(rows *sql.Rows, err error) ([]T, error) {
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []T
		for rows.Next() {
			v, err := scan(rows)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, rows.Err()
	}
}

// One reads the single row of a query with scan; when there is none it
// returns notFound (a localyun.ErrNotFound kind).
func One[T any](row Scanner, scan func(Scanner) (T, error), notFound error) (T, error) {
	v, err := scan(row)
	if errors.Is(err, sql.ErrNoRows) {
		return v, notFound
	}
	return v, err
}

// Changed turns the result of a write that must change a row into
// notFound when it changed none.
func Changed(res sql.Result, err error, notFound error) error {
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound
	}
	return nil
}

// Dependent is a query that counts the dependents of one kind (With) that
// keep an entity from being deleted.
type Dependent struct{ With, Count string }

// NoDependents runs each count with args in tx and returns a
// *localyun.ConflictError for the first kind that has any.
func NoDependents(ctx context.Context, tx *sql.Tx, args []any, deps ...Dependent) error {
	for _, d := range deps {
		var n int
		if err := tx.QueryRowContext(ctx, d.Count, args...).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return &localyun.ConflictError{With: d.With}
		}
	}
	return nil
}

// AccountColumns are the columns of an account, in ScanAccount's order.
const AccountColumns = `id, name, created_at`

// ScanAccount reads AccountColumns.
func ScanAccount(row Scanner) (localyun.Account, error) {
	var a localyun.Account
	var created int64
	err := row.Scan(&a.ID, &a.Name, &created)
	a.CreatedAt = FromMillis(created)
	return a, err
}

// SecretKeyColumns are the columns of an access key with its secret (as
// stored: sealed when the store seals secrets), in ScanSecretKey's order.
const SecretKeyColumns = `id, secret, account_id, user_name, status, created_at`

// ScanSecretKey reads SecretKeyColumns.
func ScanSecretKey(row Scanner) (localyun.AccessKey, error) {
	var k localyun.AccessKey
	var created int64
	err := row.Scan(&k.ID, &k.Secret, &k.AccountID, &k.UserName, &k.Status, &created)
	k.CreatedAt = FromMillis(created)
	return k, err
}

// KeyColumns are the columns of an access key ScanKey reads (no secret).
const KeyColumns = `id, account_id, user_name, status, created_at`

// ScanKey reads KeyColumns.
func ScanKey(row Scanner) (localyun.AccessKey, error) {
	var k localyun.AccessKey
	var created int64
	err := row.Scan(&k.ID, &k.AccountID, &k.UserName, &k.Status, &created)
	k.CreatedAt = FromMillis(created)
	return k, err
}

// ScanMillis reads one stored time.
func ScanMillis(row Scanner) (time.Time, error) {
	var n int64
	err := row.Scan(&n)
	return FromMillis(n), err
}

// RoleColumns are the columns of a role, in ScanRole's order.
const RoleColumns = `id, account_id, name, description, assume_role_policy, max_session_duration, created_at, updated_at`

// ScanRole reads RoleColumns.
func ScanRole(row Scanner) (localyun.Role, error) {
	var r localyun.Role
	var created, updated int64
	err := row.Scan(&r.ID, &r.AccountID, &r.Name, &r.Description, &r.AssumeRolePolicyDocument,
		&r.MaxSessionDuration, &created, &updated)
	r.CreatedAt, r.UpdatedAt = FromMillis(created), FromMillis(updated)
	return r, err
}

// UserColumns are the columns of a user, in ScanUser's order.
const UserColumns = `id, account_id, name, display_name, comments, email, mobile_phone, created_at, updated_at`

// ScanUser reads UserColumns.
func ScanUser(row Scanner) (localyun.User, error) { return scanUser(row) }

func scanUser(row Scanner, extra ...any) (localyun.User, error) {
	var u localyun.User
	var created, updated int64
	err := row.Scan(append([]any{&u.ID, &u.AccountID, &u.Name, &u.DisplayName, &u.Comments, &u.Email, &u.MobilePhone,
		&created, &updated}, extra...)...)
	u.CreatedAt, u.UpdatedAt = FromMillis(created), FromMillis(updated)
	return u, err
}

// GroupColumns are the columns of a group, in ScanGroup's order.
const GroupColumns = `id, account_id, name, comments, created_at, updated_at`

// ScanGroup reads GroupColumns.
func ScanGroup(row Scanner) (localyun.Group, error) { return scanGroup(row) }

func scanGroup(row Scanner, extra ...any) (localyun.Group, error) {
	var g localyun.Group
	var created, updated int64
	err := row.Scan(append([]any{&g.ID, &g.AccountID, &g.Name, &g.Comments, &created, &updated}, extra...)...)
	g.CreatedAt, g.UpdatedAt = FromMillis(created), FromMillis(updated)
	return g, err
}

// ScanUserMember reads UserColumns, then joined_at: a member of a group.
func ScanUserMember(row Scanner) (localyun.Membership, error) {
	var joined int64
	u, err := scanUser(row, &joined)
	return localyun.Membership{User: u, JoinedAt: FromMillis(joined)}, err
}

// ScanGroupMember reads GroupColumns, then joined_at: a group of a user.
func ScanGroupMember(row Scanner) (localyun.Membership, error) {
	var joined int64
	g, err := scanGroup(row, &joined)
	return localyun.Membership{Group: g, JoinedAt: FromMillis(joined)}, err
}

// PolicyColumns are the columns of a custom policy p, with its count of
// attachments, in ScanPolicy's order.
const PolicyColumns = `p.account_id, p.name, p.description, p.default_version, p.created_at, p.updated_at,
	(SELECT COUNT(*) FROM policy_attachments a WHERE a.account_id = p.account_id AND a.policy_type = 'Custom' AND a.policy_name = p.name)`

// ScanPolicy reads PolicyColumns.
func ScanPolicy(row Scanner) (localyun.Policy, error) {
	p := localyun.Policy{Type: localyun.PolicyTypeCustom}
	var created, updated int64
	err := row.Scan(&p.AccountID, &p.Name, &p.Description, &p.DefaultVersion, &created, &updated, &p.AttachmentCount)
	p.CreatedAt, p.UpdatedAt = FromMillis(created), FromMillis(updated)
	return p, err
}

// VersionColumns are the columns of a version v of policy p, in
// ScanVersion's order.
const VersionColumns = `v.version_id, v.document, v.version_id = p.default_version, v.created_at`

// ScanVersion reads VersionColumns.
func ScanVersion(row Scanner) (localyun.PolicyVersion, error) {
	var v localyun.PolicyVersion
	var created int64
	err := row.Scan(&v.VersionID, &v.Document, &v.IsDefault, &created)
	v.CreatedAt = FromMillis(created)
	return v, err
}

// AttachmentColumns are the columns of an attachment, in ScanAttachment's
// order.
const AttachmentColumns = `account_id, policy_type, policy_name, principal_type, principal_name, attached_at`

// ScanAttachment reads AttachmentColumns.
func ScanAttachment(row Scanner) (localyun.Attachment, error) {
	var a localyun.Attachment
	var at int64
	err := row.Scan(&a.AccountID, &a.PolicyType, &a.PolicyName, &a.PrincipalType, &a.PrincipalName, &at)
	a.AttachedAt = FromMillis(at)
	return a, err
}

// AttachmentMissing is the *localyun.NotFoundError of an attachment that
// AttachPolicy refused: its custom policy's when policyFound is false,
// else its principal's.
func AttachmentMissing(a localyun.Attachment, policyFound bool) error {
	if !policyFound {
		return &localyun.NotFoundError{Kind: "Policy", Name: a.PolicyName}
	}
	return &localyun.NotFoundError{Kind: a.PrincipalType, Name: a.PrincipalName}
}

// SessionColumns are the columns of an STS session, in ScanSession's
// order.
const SessionColumns = `access_key_id, secret, token_hash, account_id, role_name, role_id, session_name, policy, caller, created_at, expires_at, instance_id`

// ScanSession reads SessionColumns; Secret is as stored (sealed when the
// store seals secrets).
func ScanSession(row Scanner) (localyun.Session, error) {
	var s localyun.Session
	var created, expires int64
	err := row.Scan(&s.AccessKeyID, &s.Secret, &s.TokenHash, &s.AccountID, &s.RoleName, &s.RoleID, &s.SessionName, &s.Policy,
		&s.Caller, &created, &expires, &s.InstanceID)
	s.CreatedAt, s.ExpiresAt = FromMillis(created), FromMillis(expires)
	return s, err
}
