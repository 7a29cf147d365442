package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/sqlstore"
)

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
		gid, _ := localyun.ParseBastionID(f.UserGroupID)
		where = append(where, `EXISTS (SELECT 1 FROM bastion_user_group_members m
			WHERE m.instance_id = u.instance_id AND m.user_group_id = ? AND m.user_id = u.id)`)
		args = append(args, gid)
	}
	now := f.Now.Unix()
	switch f.State {
	case "":
	case localyun.BastionUserExpired: // a locked user is Frozen, whatever its validity
		where = append(where, "u.locked = 0 AND (u.effective_end_time <> 0 AND u.effective_end_time < ?)")
		args = append(args, now)
	case localyun.BastionUserNormal:
		where = append(where, "u.locked = 0 AND NOT (u.effective_end_time <> 0 AND u.effective_end_time < ?)")
		args = append(args, now)
	default: // Frozen: locked (LockUsers)
		where = append(where, "u.locked <> 0")
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
