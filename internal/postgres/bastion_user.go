package postgres

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
		WHERE u.instance_id = $1 AND u.id = $2`, instanceID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return u, bhNotFound("user", id)
	}
	return u, err
}

// CreateBastionUser assigns the next user id.
func (st *Store) CreateBastionUser(ctx context.Context, u localyun.BastionUser, s localyun.BastionSecret) (localyun.BastionUser, error) {
	var out localyun.BastionUser
	err := st.withTx(ctx, func(tx *sql.Tx) error {
		id, err := nextBastionID(ctx, tx, u.InstanceID, "user")
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO bastion_users (instance_id, id, created_at, name, display_name,
			comment, email, mobile, mobile_country_code, source, source_user_id, need_reset_password, effective_start_time,
			effective_end_time, two_factor_status, two_factor_methods, language_status, language)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
			append([]any{u.InstanceID, id, ms(u.CreatedAt)}, sqlstore.BastionUserValues(u)...)...); err != nil {
			return err
		}
		if err := st.writeUserSecret(ctx, tx, u.InstanceID, id, sqlstore.SetSecret(s)); err != nil {
			return err
		}
		out, err = findBHUser(ctx, tx, u.InstanceID, id)
		return err
	})
	return out, err
}

// FindBastionUser returns ErrNotFound.
func (st *Store) FindBastionUser(ctx context.Context, instanceID, id string) (localyun.BastionUser, error) {
	n, ok := parseBastionID(id)
	if !ok {
		return localyun.BastionUser{}, bhNotFound("user", id)
	}
	u, err := findBHUser(ctx, st.db, instanceID, n)
	return u, formatError(err)
}

// FindBastionUsers lists users in id order and the total. A user group's
// users are joined from the member table by its primary key.
func (st *Store) FindBastionUsers(ctx context.Context, f localyun.BastionUserFilter) ([]localyun.BastionUser, int, error) {
	var a args
	from := "bastion_users u"
	where := []string{"u.instance_id = " + a.add(f.InstanceID)}
	eq := func(col, v string) {
		if v != "" {
			where = append(where, col+" = "+a.add(v))
		}
	}
	eq("u.name", f.Name)
	eq("u.display_name", f.DisplayName)
	eq("u.mobile", f.Mobile)
	eq("u.source", f.Source)
	eq("u.source_user_id", f.SourceUserID)
	if f.UserGroupID != "" {
		gid, _ := parseBastionID(f.UserGroupID) // 0 for a malformed id: no member
		from += ` JOIN bastion_user_group_members m ON m.instance_id = u.instance_id AND m.user_id = u.id
			AND m.user_group_id = ` + a.add(gid)
	}
	switch f.State {
	case "":
	case localyun.BastionUserExpired:
		where = append(where, "(u.effective_end_time <> 0 AND u.effective_end_time < "+a.add(f.Now.Unix())+")")
	case localyun.BastionUserNormal:
		where = append(where, "NOT (u.effective_end_time <> 0 AND u.effective_end_time < "+a.add(f.Now.Unix())+")")
	default: // no user is ever frozen (users are not locked)
		where = append(where, "FALSE")
	}
	var out []localyun.BastionUser
	total, err := bhPage(ctx, st.db, from, "u", strings.Join(where, " AND "), a, sqlstore.BastionUserColumns,
		f.Offset, f.Limit, func(rows *sql.Rows) error {
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
		changed, err := bhRowsChanged(tx.ExecContext(ctx, `UPDATE bastion_users SET name = $1, display_name = $2,
			comment = $3, email = $4, mobile = $5, mobile_country_code = $6, source = $7, source_user_id = $8,
			need_reset_password = $9, effective_start_time = $10, effective_end_time = $11, two_factor_status = $12,
			two_factor_methods = $13, language_status = $14, language = $15
			WHERE instance_id = $16 AND id = $17 AND name = $18 AND display_name = $19
			AND comment = $20 AND email = $21 AND mobile = $22 AND mobile_country_code = $23 AND source = $24
			AND source_user_id = $25 AND need_reset_password = $26 AND effective_start_time = $27
			AND effective_end_time = $28 AND two_factor_status = $29 AND two_factor_methods = $30
			AND language_status = $31 AND language = $32`,
			sqlstore.CASArgs(sqlstore.BastionUserValues(to), from.InstanceID, n, sqlstore.BastionUserValues(from))...))
		if err := sqlstore.Swapped(changed, err, func() (bool, error) {
			return bhExists(ctx, tx, `SELECT 1 FROM bastion_users WHERE instance_id = $1 AND id = $2`, from.InstanceID, n)
		}, "user", from.ID); err != nil {
			return err
		}
		return st.writeUserSecret(ctx, tx, from.InstanceID, n, s)
	})
}

// DeleteBastionUser deletes a user, its memberships and grants.
func (st *Store) DeleteBastionUser(ctx context.Context, instanceID, id string) error {
	return st.deleteBastionObject(ctx, `DELETE FROM bastion_users WHERE instance_id = $1 AND id = $2`, "user", instanceID, id)
}
