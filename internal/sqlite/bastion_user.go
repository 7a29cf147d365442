package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/sqlstore"
)

func findBHUser(ctx context.Context, q queryer, instanceID string, id int64) (localyun.BastionUser, error) {
	u, err := sqlstore.ScanBastionUser(q.QueryRowContext(ctx, `SELECT `+sqlstore.BastionUserColumns+` FROM bastion_users u
		WHERE u.instance_id = ? AND u.id = ?`, instanceID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return u, bhNotFound("user", id)
	}
	return u, err
}

// CreateBastionUser assigns the next user id.
func (st *Store) CreateBastionUser(ctx context.Context, u localyun.BastionUser, s localyun.BastionSecret) (localyun.BastionUser, error) {
	err := st.withTx(ctx, func(tx *sql.Tx) error {
		id, err := nextBastionID(ctx, tx, u.InstanceID, "user")
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO bastion_users (instance_id, id, created_at, name, display_name,
			comment, email, mobile, mobile_country_code, source, source_user_id, need_reset_password, effective_start_time,
			effective_end_time, two_factor_status, two_factor_methods, language_status, language)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			append([]any{u.InstanceID, id, ms(u.CreatedAt)}, sqlstore.BastionUserValues(u)...)...); err != nil {
			return err
		}
		if err := st.writeUserSecret(ctx, tx, u.InstanceID, id, sqlstore.SetSecret(s)); err != nil {
			return err
		}
		u, err = findBHUser(ctx, tx, u.InstanceID, id)
		return err
	})
	return u, err
}

// FindBastionUser returns ErrNotFound.
func (st *Store) FindBastionUser(ctx context.Context, instanceID, id string) (localyun.BastionUser, error) {
	n, ok := parseBastionID(id)
	if !ok {
		return localyun.BastionUser{}, bhNotFound("user", id)
	}
	return findBHUser(ctx, st.read, instanceID, n)
}

// FindBastionUsers lists users in id order and the total.
func (st *Store) FindBastionUsers(ctx context.Context, f localyun.BastionUserFilter) ([]localyun.BastionUser, int, error) {
	where := []string{"u.instance_id = ?"}
	args := []any{f.InstanceID}
	eq := func(col, v string) {
		if v != "" {
			where = append(where, col+" = ?")
			args = append(args, v)
		}
	}
	eq("u.name", f.Name)
	eq("u.display_name", f.DisplayName)
	eq("u.mobile", f.Mobile)
	eq("u.source", f.Source)
	eq("u.source_user_id", f.SourceUserID)
	if f.UserGroupID != "" {
		gid, _ := parseBastionID(f.UserGroupID)
		where = append(where, `EXISTS (SELECT 1 FROM bastion_user_group_members m
			WHERE m.instance_id = u.instance_id AND m.user_group_id = ? AND m.user_id = u.id)`)
		args = append(args, gid)
	}
	now := f.Now.Unix()
	switch f.State {
	case "":
	case localyun.BastionUserExpired:
		where = append(where, "(u.effective_end_time <> 0 AND u.effective_end_time < ?)")
		args = append(args, now)
	case localyun.BastionUserNormal:
		where = append(where, "NOT (u.effective_end_time <> 0 AND u.effective_end_time < ?)")
		args = append(args, now)
	default: // no user is ever frozen (users are not locked)
		where = append(where, "0")
	}
	var out []localyun.BastionUser
	total, err := bastionPage(ctx, cachedRead{st}, "bastion_users u", strings.Join(where, " AND "), args,
		sqlstore.BastionUserColumns, "u.id", f.Offset, f.Limit, func(rows *sql.Rows) error {
			u, err := sqlstore.ScanBastionUser(rows)
			out = append(out, u)
			return err
		})
	return out, total, err
}

// UpdateBastionUser writes to over the user from if it is unchanged, and
// the password s sets.
func (st *Store) UpdateBastionUser(ctx context.Context, from, to localyun.BastionUser, s localyun.BastionSecretUpdate) error {
	n, ok := parseBastionID(from.ID)
	if !ok {
		return bhNotFound("user", from.ID)
	}
	return st.withTx(ctx, func(tx *sql.Tx) error {
		changed, err := bhRowsChanged(tx.ExecContext(ctx, `UPDATE bastion_users SET name = ?, display_name = ?, comment = ?,
			email = ?, mobile = ?, mobile_country_code = ?, source = ?, source_user_id = ?, need_reset_password = ?,
			effective_start_time = ?, effective_end_time = ?, two_factor_status = ?, two_factor_methods = ?,
			language_status = ?, language = ?
			WHERE instance_id = ? AND id = ? AND name = ? AND display_name = ? AND comment = ?
			AND email = ? AND mobile = ? AND mobile_country_code = ? AND source = ? AND source_user_id = ? AND need_reset_password = ?
			AND effective_start_time = ? AND effective_end_time = ? AND two_factor_status = ? AND two_factor_methods = ?
			AND language_status = ? AND language = ?`,
			sqlstore.CASArgs(sqlstore.BastionUserValues(to), from.InstanceID, n, sqlstore.BastionUserValues(from))...))
		if err := sqlstore.Swapped(changed, err, func() (bool, error) {
			return bhExists(ctx, tx, `SELECT COUNT(*) FROM bastion_users WHERE instance_id = ? AND id = ?`, from.InstanceID, n)
		}, "user", from.ID); err != nil {
			return err
		}
		return st.writeUserSecret(ctx, tx, from.InstanceID, n, s)
	})
}

// DeleteBastionUser deletes a user, its memberships and grants.
func (st *Store) DeleteBastionUser(ctx context.Context, instanceID, id string) error {
	return st.deleteBastionObject(ctx, `DELETE FROM bastion_users WHERE instance_id = ? AND id = ?`, "user", instanceID, id)
}
