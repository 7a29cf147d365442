package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/sqlstore"
)

// CreateGroup returns ErrAlreadyExists if the name is taken in the account.
func (st *Store) CreateGroup(ctx context.Context, g localyun.Group) error {
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO ram_groups (`+sqlstore.GroupColumns+`) VALUES (?, ?, ?, ?, ?, ?)`,
			g.ID, g.AccountID, g.Name, g.Comments, ms(g.CreatedAt), ms(g.UpdatedAt))
		return err
	})
}

// groupByName reads a group by name (any case).
const groupByName = `SELECT ` + sqlstore.GroupColumns + ` FROM ram_groups WHERE account_id = ? AND name = ?`

// FindGroupByName returns ErrNotFound if the account has no such group.
// It runs through a cached statement: authorization reads groups by name.
func (st *Store) FindGroupByName(ctx context.Context, accountID, name string) (localyun.Group, error) {
	return sqlstore.One(st.readRow(ctx, groupByName, accountID, name), sqlstore.ScanGroup, groupNotFound(name))
}

func groupNotFound(name string) error { return fmt.Errorf("group %s: %w", name, localyun.ErrNotFound) }

// findGroup reads a group in a write transaction.
func findGroup(ctx context.Context, tx *sql.Tx, accountID, name string) (localyun.Group, error) {
	return sqlstore.One(tx.QueryRowContext(ctx, groupByName, accountID, name), sqlstore.ScanGroup, groupNotFound(name))
}

// FindGroups lists groups in case-insensitive name order after f.After.
func (st *Store) FindGroups(ctx context.Context, f localyun.GroupFilter) ([]localyun.Group, error) {
	return sqlstore.All(sqlstore.ScanGroup)(st.read.QueryContext(ctx, `SELECT `+sqlstore.GroupColumns+` FROM ram_groups
		WHERE account_id = ? AND name > ? ORDER BY name LIMIT ?`, f.AccountID, f.After, limitOf(f.Limit)))
}

// UpdateGroup applies upd; a rename carries members and attachments along.
func (st *Store) UpdateGroup(ctx context.Context, accountID, name string, upd localyun.GroupUpdate) (localyun.Group, error) {
	var g localyun.Group
	err := st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		old, err := findGroup(ctx, tx, accountID, name)
		if err != nil {
			return err
		}
		g = upd.Apply(old)
		if _, err := tx.ExecContext(ctx, `UPDATE ram_groups SET name = ?, comments = ?, updated_at = ? WHERE account_id = ? AND name = ?`,
			g.Name, g.Comments, ms(g.UpdatedAt), accountID, old.Name); err != nil {
			return err
		}
		if g.Name == old.Name {
			return nil
		}
		_, err = tx.ExecContext(ctx, `UPDATE policy_attachments SET principal_name = ?
			WHERE account_id = ? AND principal_type = 'Group' AND principal_name = ?`, g.Name, accountID, old.Name)
		return err
	})
	return g, err
}

// DeleteGroup refuses while the group has members or policies.
func (st *Store) DeleteGroup(ctx context.Context, accountID, name string) error {
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := findGroup(ctx, tx, accountID, name); err != nil {
			return err
		}
		if err := sqlstore.NoDependents(ctx, tx, []any{accountID, name},
			sqlstore.Dependent{With: "User", Count: `SELECT COUNT(*) FROM group_members WHERE account_id = ? AND group_name = ?`},
			sqlstore.Dependent{With: "Policy", Count: `SELECT COUNT(*) FROM policy_attachments WHERE account_id = ? AND principal_type = 'Group' AND principal_name = ?`},
		); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM ram_groups WHERE account_id = ? AND name = ?`, accountID, name)
		return err
	})
}

// AddUserToGroup returns ErrNotFound or ErrAlreadyExists.
func (st *Store) AddUserToGroup(ctx context.Context, accountID, group, user string, at time.Time) error {
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		g, err := findGroup(ctx, tx, accountID, group)
		if err != nil {
			return err
		}
		u, err := findUser(ctx, tx, accountID, user)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO group_members (account_id, group_name, user_name, joined_at) VALUES (?, ?, ?, ?)`,
			accountID, g.Name, u.Name, ms(at))
		return err
	})
}

// RemoveUserFromGroup returns ErrNotFound if the user is not a member.
func (st *Store) RemoveUserFromGroup(ctx context.Context, accountID, group, user string) error {
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM group_members WHERE account_id = ? AND group_name = ? AND user_name = ?`,
			accountID, group, user)
		return sqlstore.Changed(res, err, fmt.Errorf("user %s in group %s: %w", user, group, localyun.ErrNotFound))
	})
}

// FindGroupsForUser lists the groups of a user in group name order.
func (st *Store) FindGroupsForUser(ctx context.Context, accountID, user string) ([]localyun.Membership, error) {
	return sqlstore.All(sqlstore.ScanGroupMember)(st.read.QueryContext(ctx, `SELECT g.id, g.account_id, g.name, g.comments,
		g.created_at, g.updated_at, m.joined_at
		FROM group_members m JOIN ram_groups g ON g.account_id = m.account_id AND g.name = m.group_name
		WHERE m.account_id = ? AND m.user_name = ? ORDER BY g.name`, accountID, user))
}

// FindUsersForGroup lists the members of a group in user name order.
func (st *Store) FindUsersForGroup(ctx context.Context, accountID, group string) ([]localyun.Membership, error) {
	return sqlstore.All(sqlstore.ScanUserMember)(st.read.QueryContext(ctx, `SELECT u.id, u.account_id, u.name, u.display_name,
		u.comments, u.email, u.mobile_phone, u.created_at, u.updated_at, m.joined_at
		FROM group_members m JOIN users u ON u.account_id = m.account_id AND u.name = m.user_name
		WHERE m.account_id = ? AND m.group_name = ? ORDER BY u.name`, accountID, group))
}
