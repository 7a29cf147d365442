package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/sqlstore"
)

// CreatePolicy creates a custom policy whose default version is v.
func (st *Store) CreatePolicy(ctx context.Context, p localyun.Policy, v localyun.PolicyVersion) error {
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO policies (account_id, name, description, default_version, next_version, created_at, updated_at)
			VALUES ($1, $2, $3, 'v1', 2, $4, $5)`, p.AccountID, p.Name, p.Description, ms(p.CreatedAt), ms(p.UpdatedAt)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO policy_versions (account_id, policy_name, version_id, seq, document, created_at)
			VALUES ($1, $2, 'v1', 1, $3, $4)`, p.AccountID, p.Name, v.Document, ms(v.CreatedAt))
		return err
	})
}

// FindPolicy returns ErrNotFound if the account has no such custom policy.
func (st *Store) FindPolicy(ctx context.Context, accountID, name string) (localyun.Policy, error) {
	p, err := sqlstore.One(st.db.QueryRowContext(ctx, `SELECT `+sqlstore.PolicyColumns+` FROM policies p
		WHERE p.account_id = $1 AND p.name = $2`, accountID, name), sqlstore.ScanPolicy, fmt.Errorf("policy %s: %w", name, localyun.ErrNotFound))
	return p, formatError(err)
}

// lockedPolicy is the part of a policy row that writers read under its lock.
type lockedPolicy struct {
	name           string
	defaultVersion string
	nextVersion    int64
}

// lockPolicy reads a custom policy with lock ("FOR UPDATE" or "FOR SHARE").
// Every change to a policy's versions or default holds its FOR UPDATE
// lock, so the default version always exists and version ids never repeat.
func lockPolicy(ctx context.Context, tx *sql.Tx, accountID, name, lock string) (lockedPolicy, error) {
	var p lockedPolicy
	err := tx.QueryRowContext(ctx, `SELECT name, default_version, next_version FROM policies
		WHERE account_id = $1 AND name = $2 `+lock, accountID, name).Scan(&p.name, &p.defaultVersion, &p.nextVersion)
	if errors.Is(err, sql.ErrNoRows) {
		return p, fmt.Errorf("policy %s: %w", name, localyun.ErrNotFound)
	}
	return p, err
}

// FindPolicies lists custom policies in name order after f.After.
func (st *Store) FindPolicies(ctx context.Context, f localyun.PolicyFilter) ([]localyun.Policy, error) {
	ps, err := sqlstore.All(sqlstore.ScanPolicy)(st.db.QueryContext(ctx, `SELECT `+sqlstore.PolicyColumns+` FROM policies p
		WHERE p.account_id = $1 AND lower(p.name COLLATE "C") > lower($2::text COLLATE "C") ORDER BY lower(p.name COLLATE "C") LIMIT $3`, f.AccountID, f.After, limitOf(f.Limit)))
	return ps, formatError(err)
}

// DeletePolicy refuses while the policy is attached or has non-default versions.
func (st *Store) DeletePolicy(ctx context.Context, accountID, name string) error {
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := lockPolicy(ctx, tx, accountID, name, "FOR UPDATE"); err != nil {
			return err
		}
		var with string
		err := tx.QueryRowContext(ctx, `SELECT principal_type FROM policy_attachments
			WHERE account_id = $1 AND policy_type = 'Custom' AND policy_name = $2 ORDER BY seq LIMIT 1`, accountID, name).Scan(&with)
		if err == nil {
			return &localyun.ConflictError{With: with}
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM policy_versions WHERE account_id = $1 AND policy_name = $2`,
			accountID, name).Scan(&n); err != nil {
			return err
		}
		if n > 1 {
			return &localyun.ConflictError{With: "Version"}
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM policies WHERE account_id = $1 AND name = $2`, accountID, name)
		return err
	})
}

// CreatePolicyVersion adds the next version of a policy.
func (st *Store) CreatePolicyVersion(ctx context.Context, accountID, name string, v localyun.PolicyVersion, limit int, rotate bool) (localyun.PolicyVersion, error) {
	err := st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		p, err := lockPolicy(ctx, tx, accountID, name, "FOR UPDATE")
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM policy_versions WHERE account_id = $1 AND policy_name = $2`,
			accountID, p.name).Scan(&n); err != nil {
			return err
		}
		if n >= limit {
			if !rotate {
				return fmt.Errorf("policy %s has %d versions: %w", name, n, localyun.ErrLimitExceeded)
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM policy_versions WHERE account_id = $1 AND policy_name = $2
				AND version_id = (SELECT version_id FROM policy_versions WHERE account_id = $1 AND policy_name = $2
					AND version_id <> $3 ORDER BY seq LIMIT 1)`, accountID, p.name, p.defaultVersion); err != nil {
				return err
			}
		}
		next := p.nextVersion
		v.VersionID = "v" + strconv.FormatInt(next, 10)
		if _, err := tx.ExecContext(ctx, `INSERT INTO policy_versions (account_id, policy_name, version_id, seq, document, created_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, accountID, p.name, v.VersionID, next, v.Document, ms(v.CreatedAt)); err != nil {
			return err
		}
		def := p.defaultVersion
		if v.IsDefault {
			def = v.VersionID
		}
		_, err = tx.ExecContext(ctx, `UPDATE policies SET next_version = $1, default_version = $2, updated_at = $3 WHERE account_id = $4 AND name = $5`,
			next+1, def, ms(v.CreatedAt), accountID, p.name)
		return err
	})
	return v, err
}

func versionNotFound(name, versionID string) error {
	return fmt.Errorf("policy %s version %s: %w", name, versionID, localyun.ErrNotFound)
}

// FindPolicyVersion returns ErrNotFound if the version does not exist.
func (st *Store) FindPolicyVersion(ctx context.Context, accountID, name, versionID string) (localyun.PolicyVersion, error) {
	v, err := sqlstore.One(st.db.QueryRowContext(ctx, `SELECT `+sqlstore.VersionColumns+`
		FROM policy_versions v JOIN policies p ON p.account_id = v.account_id AND p.name = v.policy_name
		WHERE v.account_id = $1 AND v.policy_name = $2 AND v.version_id = $3`, accountID, name, versionID),
		sqlstore.ScanVersion, versionNotFound(name, versionID))
	return v, formatError(err)
}

// FindPolicyVersions lists versions in creation order.
func (st *Store) FindPolicyVersions(ctx context.Context, accountID, name string) ([]localyun.PolicyVersion, error) {
	vs, err := sqlstore.All(sqlstore.ScanVersion)(st.db.QueryContext(ctx, `SELECT `+sqlstore.VersionColumns+`
		FROM policy_versions v JOIN policies p ON p.account_id = v.account_id AND p.name = v.policy_name
		WHERE v.account_id = $1 AND v.policy_name = $2 ORDER BY v.seq`, accountID, name))
	return vs, formatError(err)
}

// SetDefaultPolicyVersion returns ErrNotFound if the version does not exist.
// The existence check runs under the policy's lock, so a version deleted
// concurrently never becomes the default.
func (st *Store) SetDefaultPolicyVersion(ctx context.Context, accountID, name, versionID string, at time.Time) error {
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		notFound := versionNotFound(name, versionID)
		p, err := lockPolicy(ctx, tx, accountID, name, "FOR UPDATE")
		if errors.Is(err, localyun.ErrNotFound) {
			return notFound
		} else if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM policy_versions WHERE account_id = $1 AND policy_name = $2 AND version_id = $3`,
			accountID, p.name, versionID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return notFound
		}
		_, err = tx.ExecContext(ctx, `UPDATE policies SET default_version = $1, updated_at = $2 WHERE account_id = $3 AND name = $4`,
			versionID, ms(at), accountID, p.name)
		return err
	})
}

// DeletePolicyVersion refuses to delete the default version.
func (st *Store) DeletePolicyVersion(ctx context.Context, accountID, name, versionID string) error {
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		p, err := lockPolicy(ctx, tx, accountID, name, "FOR UPDATE")
		if err != nil {
			return err
		}
		if p.defaultVersion == versionID {
			return &localyun.ConflictError{With: "Default"}
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM policy_versions WHERE account_id = $1 AND policy_name = $2 AND version_id = $3`,
			accountID, p.name, versionID)
		return sqlstore.Changed(res, err, versionNotFound(name, versionID))
	})
}

// principalLocks share-lock the principal of an attachment, by type, so
// that a delete of it that starts after AttachPolicy waits for the
// attachment and refuses with a conflict.
var principalLocks = map[string]string{
	localyun.AttachUser:  `SELECT 1 FROM users WHERE account_id = $1 AND name = $2 FOR SHARE`,
	localyun.AttachGroup: `SELECT 1 FROM ram_groups WHERE account_id = $1 AND name = $2 FOR SHARE`,
	localyun.AttachRole:  `SELECT 1 FROM roles WHERE account_id = $1 AND name_key = lower($2::text) FOR SHARE`,
}

// AttachPolicy returns ErrAlreadyExists if the policy is already attached,
// or a *localyun.NotFoundError if the custom policy, or else the
// principal, does not exist. It share-locks both rows (principal first),
// so a delete of either that starts later waits and sees the attachment.
func (st *Store) AttachPolicy(ctx context.Context, a localyun.Attachment) error {
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		principalFound := false
		if q, ok := principalLocks[a.PrincipalType]; ok {
			var err error
			if principalFound, err = sqlstore.Exists(ctx, tx, q, a.AccountID, a.PrincipalName); err != nil {
				return err
			}
		}
		policyFound := a.PolicyType != localyun.PolicyTypeCustom
		if !policyFound {
			var err error
			if policyFound, err = sqlstore.Exists(ctx, tx, `SELECT 1 FROM policies WHERE account_id = $1 AND name = $2 FOR SHARE`,
				a.AccountID, a.PolicyName); err != nil {
				return err
			}
		}
		if !principalFound || !policyFound {
			return sqlstore.AttachmentMissing(a, policyFound)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO policy_attachments (`+sqlstore.AttachmentColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6)`, a.AccountID, a.PolicyType, a.PolicyName, a.PrincipalType, a.PrincipalName, ms(a.AttachedAt))
		return err
	})
}

// DetachPolicy returns ErrNotFound if the policy is not attached.
func (st *Store) DetachPolicy(ctx context.Context, a localyun.Attachment) error {
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM policy_attachments WHERE account_id = $1 AND policy_type = $2 AND policy_name = $3
			AND principal_type = $4 AND principal_name = $5`, a.AccountID, a.PolicyType, a.PolicyName, a.PrincipalType, a.PrincipalName)
		return sqlstore.Changed(res, err, fmt.Errorf("attachment of %s to %s %s: %w", a.PolicyName, a.PrincipalType, a.PrincipalName, localyun.ErrNotFound))
	})
}

// FindAttachments lists attachments matching f in attach order.
func (st *Store) FindAttachments(ctx context.Context, f localyun.AttachmentFilter) ([]localyun.Attachment, error) {
	var a args
	where := []string{"account_id = " + a.add(f.AccountID)}
	for _, c := range []struct{ col, v string }{
		{"policy_type", f.PolicyType}, {"policy_name", f.PolicyName},
		{"principal_type", f.PrincipalType}, {"principal_name", f.PrincipalName},
	} {
		if c.v != "" {
			where = append(where, c.col+" = "+a.add(c.v))
		}
	}
	as, err := sqlstore.All(sqlstore.ScanAttachment)(st.db.QueryContext(ctx, `SELECT `+sqlstore.AttachmentColumns+`
		FROM policy_attachments WHERE `+strings.Join(where, " AND ")+` ORDER BY seq`, a...))
	return as, formatError(err)
}

var _ localyun.PolicyStore = (*Store)(nil)
