package postgres

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
		_, err := tx.ExecContext(ctx, `INSERT INTO ram_groups (`+sqlstore.GroupColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
			g.ID, g.AccountID, g.Name, g.Comments, ms(g.CreatedAt), ms(g.UpdatedAt))
		return err
	})
}

// FindGroupByName returns ErrNotFound if the account has no such group.
func (st *Store) FindGroupByName(ctx context.Context, accountID, name string) (localyun.Group, error) {
	g, err := findGroup(ctx, st.db, accountID, name, "")
	return g, formatError(err)
}

// findGroup reads a group; lock is "", "FOR SHARE" or "FOR UPDATE".
func findGroup(ctx context.Context, q queryer, accountID, name, lock string) (localyun.Group, error) {
	return sqlstore.One(q.QueryRowContext(ctx, `SELECT `+sqlstore.GroupColumns+` FROM ram_groups
		WHERE account_id = $1 AND name = $2 `+lock, accountID, name), sqlstore.ScanGroup, fmt.Errorf("group %s: %w", name, localyun.ErrNotFound))
}

// FindGroups lists groups in case-insensitive name order after f.After.
func (st *Store) FindGroups(ctx context.Context, f localyun.GroupFilter) ([]localyun.Group, error) {
	groups, err := sqlstore.All(sqlstore.ScanGroup)(st.db.QueryContext(ctx, `SELECT `+sqlstore.GroupColumns+` FROM ram_groups
		WHERE account_id = $1 AND lower(name COLLATE "C") > lower($2::text COLLATE "C") ORDER BY lower(name COLLATE "C") LIMIT $3`, f.AccountID, f.After, limitOf(f.Limit)))
	return groups, formatError(err)
}

// UpdateGroup applies upd; a rename carries members (ON UPDATE CASCADE)
// and attachments along.
func (st *Store) UpdateGroup(ctx context.Context, accountID, name string, upd localyun.GroupUpdate) (localyun.Group, error) {
	var g localyun.Group
	err := st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		old, err := findGroup(ctx, tx, accountID, name, "FOR UPDATE")
		if err != nil {
			return err
		}
		g = upd.Apply(old)
		if _, err := tx.ExecContext(ctx, `UPDATE ram_groups SET name = $1, comments = $2, updated_at = $3 WHERE account_id = $4 AND name = $5`,
			g.Name, g.Comments, ms(g.UpdatedAt), accountID, old.Name); err != nil {
			return err
		}
		if g.Name == old.Name {
			return nil
		}
		_, err = tx.ExecContext(ctx, `UPDATE policy_attachments SET principal_name = $1
			WHERE account_id = $2 AND principal_type = 'Group' AND principal_name = $3`, g.Name, accountID, old.Name)
		return err
	})
	return g, err
}

// DeleteGroup refuses while the group has members or policies. The group
// row is locked first (AddUserToGroup and AttachPolicy lock it too).
func (st *Store) DeleteGroup(ctx context.Context, accountID, name string) error {
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := findGroup(ctx, tx, accountID, name, "FOR UPDATE"); err != nil {
			return err
		}
		if err := sqlstore.NoDependents(ctx, tx, []any{accountID, name},
			sqlstore.Dependent{With: "User", Count: `SELECT COUNT(*) FROM group_members WHERE account_id = $1 AND group_name = $2`},
			sqlstore.Dependent{With: "Policy", Count: `SELECT COUNT(*) FROM policy_attachments WHERE account_id = $1 AND principal_type = 'Group' AND principal_name = $2`},
		); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM ram_groups WHERE account_id = $1 AND name = $2`, accountID, name)
		return err
	})
}

// AddUserToGroup returns ErrNotFound or ErrAlreadyExists. It locks the group,
// then the user (always in that order) against concurrent deletes.
func (st *Store) AddUserToGroup(ctx context.Context, accountID, group, user string, at time.Time) error {
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		g, err := findGroup(ctx, tx, accountID, group, "FOR SHARE")
		if err != nil {
			return err
		}
		u, err := findUser(ctx, tx, accountID, user, "FOR SHARE")
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO group_members (account_id, group_name, user_name, joined_at) VALUES ($1, $2, $3, $4)`,
			accountID, g.Name, u.Name, ms(at))
		return err
	})
}

// RemoveUserFromGroup returns ErrNotFound if the user is not a member.
func (st *Store) RemoveUserFromGroup(ctx context.Context, accountID, group, user string) error {
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM group_members WHERE account_id = $1 AND group_name = $2 AND user_name = $3`,
			accountID, group, user)
		return sqlstore.Changed(res, err, fmt.Errorf("user %s in group %s: %w", user, group, localyun.ErrNotFound))
	})
}

// FindGroupsForUser lists the groups of a user in group name order.
func (st *Store) FindGroupsForUser(ctx context.Context, accountID, user string) ([]localyun.Membership, error) {
	ms, err := sqlstore.All(sqlstore.ScanGroupMember)(st.db.QueryContext(ctx, `SELECT g.id, g.account_id, g.name, g.comments,
		g.created_at, g.updated_at, m.joined_at
		FROM group_members m JOIN ram_groups g ON g.account_id = m.account_id AND g.name = m.group_name
		WHERE m.account_id = $1 AND m.user_name = $2 ORDER BY lower(g.name COLLATE "C")`, accountID, user))
	return ms, formatError(err)
}

// FindUsersForGroup lists the members of a group in user name order.
func (st *Store) FindUsersForGroup(ctx context.Context, accountID, group string) ([]localyun.Membership, error) {
	ms, err := sqlstore.All(sqlstore.ScanUserMember)(st.db.QueryContext(ctx, `SELECT u.id, u.account_id, u.name, u.display_name,
		u.comments, u.email, u.mobile_phone, u.created_at, u.updated_at, m.joined_at
		FROM group_members m JOIN users u ON u.account_id = m.account_id AND u.name = m.user_name
		WHERE m.account_id = $1 AND m.group_name = $2 ORDER BY lower(u.name COLLATE "C")`, accountID, group))
	return ms, formatError(err)
}

var _ localyun.GroupStore = (*Store)(nil)
