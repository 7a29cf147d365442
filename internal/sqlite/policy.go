package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/sqlstore"
)

// CreatePolicy creates a custom policy whose default version is v.
func (st *Store) CreatePolicy(ctx context.Context, p localyun.Policy, v localyun.PolicyVersion) error {
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO policies (account_id, name, description, default_version, next_version, created_at, updated_at)
			VALUES (?, ?, ?, 'v1', 2, ?, ?)`, p.AccountID, p.Name, p.Description, ms(p.CreatedAt), ms(p.UpdatedAt)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO policy_versions (account_id, policy_name, version_id, seq, document, created_at)
			VALUES (?, ?, 'v1', 1, ?, ?)`, p.AccountID, p.Name, v.Document, ms(v.CreatedAt))
		return err
	})
}

// policyByName reads a custom policy by name (any case).
const policyByName = `SELECT ` + sqlstore.PolicyColumns + ` FROM policies p WHERE p.account_id = ? AND p.name = ?`

// FindPolicy returns ErrNotFound if the account has no such custom policy.
// It runs through a cached statement: authorization reads the custom
// policies of every RAM user's request.
func (st *Store) FindPolicy(ctx context.Context, accountID, name string) (localyun.Policy, error) {
	return sqlstore.One(st.readRow(ctx, policyByName, accountID, name), sqlstore.ScanPolicy, policyNotFound(name))
}

func policyNotFound(name string) error {
	return fmt.Errorf("policy %s: %w", name, localyun.ErrNotFound)
}

// findPolicy reads a custom policy in a write transaction.
func findPolicy(ctx context.Context, tx *sql.Tx, accountID, name string) (localyun.Policy, error) {
	return sqlstore.One(tx.QueryRowContext(ctx, policyByName, accountID, name), sqlstore.ScanPolicy, policyNotFound(name))
}

// FindPolicies lists custom policies in name order after f.After.
func (st *Store) FindPolicies(ctx context.Context, f localyun.PolicyFilter) ([]localyun.Policy, error) {
	return sqlstore.All(sqlstore.ScanPolicy)(st.read.QueryContext(ctx, `SELECT `+sqlstore.PolicyColumns+` FROM policies p
		WHERE p.account_id = ? AND p.name > ? ORDER BY p.name LIMIT ?`, f.AccountID, f.After, limitOf(f.Limit)))
}

// DeletePolicy refuses while the policy is attached or has non-default versions.
func (st *Store) DeletePolicy(ctx context.Context, accountID, name string) error {
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := findPolicy(ctx, tx, accountID, name); err != nil {
			return err
		}
		var with string
		err := tx.QueryRowContext(ctx, `SELECT principal_type FROM policy_attachments
			WHERE account_id = ? AND policy_type = 'Custom' AND policy_name = ? ORDER BY seq LIMIT 1`, accountID, name).Scan(&with)
		if err == nil {
			return &localyun.ConflictError{With: with}
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM policy_versions WHERE account_id = ? AND policy_name = ?`,
			accountID, name).Scan(&n); err != nil {
			return err
		}
		if n > 1 {
			return &localyun.ConflictError{With: "Version"}
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM policies WHERE account_id = ? AND name = ?`, accountID, name)
		return err
	})
}

// CreatePolicyVersion adds the next version of a policy.
func (st *Store) CreatePolicyVersion(ctx context.Context, accountID, name string, v localyun.PolicyVersion, limit int, rotate bool) (localyun.PolicyVersion, error) {
	err := st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		p, err := findPolicy(ctx, tx, accountID, name)
		if err != nil {
			return err
		}
		var n, next int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*), (SELECT next_version FROM policies WHERE account_id = ? AND name = ?)
			FROM policy_versions WHERE account_id = ? AND policy_name = ?`, accountID, name, accountID, name).Scan(&n, &next); err != nil {
			return err
		}
		if n >= limit {
			if !rotate {
				return fmt.Errorf("policy %s has %d versions: %w", name, n, localyun.ErrLimitExceeded)
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM policy_versions WHERE rowid = (SELECT rowid FROM policy_versions
				WHERE account_id = ? AND policy_name = ? AND version_id <> ? ORDER BY seq LIMIT 1)`, accountID, name, p.DefaultVersion); err != nil {
				return err
			}
		}
		v.VersionID = "v" + strconv.Itoa(next)
		if _, err := tx.ExecContext(ctx, `INSERT INTO policy_versions (account_id, policy_name, version_id, seq, document, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, accountID, p.Name, v.VersionID, next, v.Document, ms(v.CreatedAt)); err != nil {
			return err
		}
		def := p.DefaultVersion
		if v.IsDefault {
			def = v.VersionID
		}
		_, err = tx.ExecContext(ctx, `UPDATE policies SET next_version = ?, default_version = ?, updated_at = ? WHERE account_id = ? AND name = ?`,
			next+1, def, ms(v.CreatedAt), accountID, name)
		return err
	})
	return v, err
}

func versionNotFound(name, versionID string) error {
	return fmt.Errorf("policy %s version %s: %w", name, versionID, localyun.ErrNotFound)
}

// FindPolicyVersion returns ErrNotFound if the version does not exist.
func (st *Store) FindPolicyVersion(ctx context.Context, accountID, name, versionID string) (localyun.PolicyVersion, error) {
	return sqlstore.One(st.read.QueryRowContext(ctx, `SELECT `+sqlstore.VersionColumns+`
		FROM policy_versions v JOIN policies p ON p.account_id = v.account_id AND p.name = v.policy_name
		WHERE v.account_id = ? AND v.policy_name = ? AND v.version_id = ?`, accountID, name, versionID),
		sqlstore.ScanVersion, versionNotFound(name, versionID))
}

// FindPolicyVersions lists versions in creation order.
func (st *Store) FindPolicyVersions(ctx context.Context, accountID, name string) ([]localyun.PolicyVersion, error) {
	return sqlstore.All(sqlstore.ScanVersion)(st.read.QueryContext(ctx, `SELECT `+sqlstore.VersionColumns+`
		FROM policy_versions v JOIN policies p ON p.account_id = v.account_id AND p.name = v.policy_name
		WHERE v.account_id = ? AND v.policy_name = ? ORDER BY v.seq`, accountID, name))
}

// SetDefaultPolicyVersion returns ErrNotFound if the version does not exist.
func (st *Store) SetDefaultPolicyVersion(ctx context.Context, accountID, name, versionID string, at time.Time) error {
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE policies SET default_version = ?, updated_at = ? WHERE account_id = ? AND name = ?
			AND EXISTS (SELECT 1 FROM policy_versions WHERE account_id = ? AND policy_name = ? AND version_id = ?)`,
			versionID, ms(at), accountID, name, accountID, name, versionID)
		return sqlstore.Changed(res, err, versionNotFound(name, versionID))
	})
}

// DeletePolicyVersion refuses to delete the default version.
func (st *Store) DeletePolicyVersion(ctx context.Context, accountID, name, versionID string) error {
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		p, err := findPolicy(ctx, tx, accountID, name)
		if err != nil {
			return err
		}
		if p.DefaultVersion == versionID {
			return &localyun.ConflictError{With: "Default"}
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM policy_versions WHERE account_id = ? AND policy_name = ? AND version_id = ?`,
			accountID, name, versionID)
		return sqlstore.Changed(res, err, versionNotFound(name, versionID))
	})
}

// attachPolicy inserts an attachment (?1..?6: AttachmentColumns) only
// when its principal, and its policy when custom, exist; the check and the
// insert are one statement. Names compare as the NOCASE columns do.
const attachPolicy = `INSERT INTO policy_attachments (` + sqlstore.AttachmentColumns + `)
	SELECT ?1, ?2, ?3, ?4, ?5, ?6
	WHERE CASE ?4
		WHEN 'User' THEN EXISTS (SELECT 1 FROM users WHERE account_id = ?1 AND name = ?5)
		WHEN 'Group' THEN EXISTS (SELECT 1 FROM ram_groups WHERE account_id = ?1 AND name = ?5)
		WHEN 'Role' THEN EXISTS (SELECT 1 FROM roles WHERE account_id = ?1 AND name = ?5)
	END
	AND (?2 <> 'Custom' OR EXISTS (SELECT 1 FROM policies WHERE account_id = ?1 AND name = ?3))`

// AttachPolicy returns ErrAlreadyExists if the policy is already attached,
// or a *localyun.NotFoundError if the custom policy, or else the
// principal, does not exist (the write connection serializes this against
// the deletes).
func (st *Store) AttachPolicy(ctx context.Context, a localyun.Attachment) error {
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, attachPolicy, a.AccountID, a.PolicyType, a.PolicyName, a.PrincipalType, a.PrincipalName, ms(a.AttachedAt))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n > 0 {
			return err
		}
		policyFound := a.PolicyType != localyun.PolicyTypeCustom
		if !policyFound {
			if policyFound, err = sqlstore.Exists(ctx, tx, `SELECT 1 FROM policies WHERE account_id = ? AND name = ?`,
				a.AccountID, a.PolicyName); err != nil {
				return err
			}
		}
		return sqlstore.AttachmentMissing(a, policyFound)
	})
}

// DetachPolicy returns ErrNotFound if the policy is not attached.
func (st *Store) DetachPolicy(ctx context.Context, a localyun.Attachment) error {
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM policy_attachments WHERE account_id = ? AND policy_type = ? AND policy_name = ?
			AND principal_type = ? AND principal_name = ?`, a.AccountID, a.PolicyType, a.PolicyName, a.PrincipalType, a.PrincipalName)
		return sqlstore.Changed(res, err, fmt.Errorf("attachment of %s to %s %s: %w", a.PolicyName, a.PrincipalType, a.PrincipalName, localyun.ErrNotFound))
	})
}

// FindAttachments lists attachments matching f in attach order.
func (st *Store) FindAttachments(ctx context.Context, f localyun.AttachmentFilter) ([]localyun.Attachment, error) {
	return sqlstore.All(sqlstore.ScanAttachment)(st.read.QueryContext(ctx, `SELECT `+sqlstore.AttachmentColumns+`
		FROM policy_attachments WHERE account_id = ?
		AND (? = '' OR policy_type = ?) AND (? = '' OR policy_name = ?)
		AND (? = '' OR principal_type = ?) AND (? = '' OR principal_name = ?) ORDER BY seq`,
		f.AccountID, f.PolicyType, f.PolicyType, f.PolicyName, f.PolicyName,
		f.PrincipalType, f.PrincipalType, f.PrincipalName, f.PrincipalName))
}
