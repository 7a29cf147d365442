package postgres

import (
	"context"
	"database/sql"
	"strings"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/sqlstore"
)

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
		gid, _ := localyun.ParseBastionID(f.UserGroupID) // 0 for a malformed id: no member
		from += ` JOIN bastion_user_group_members m ON m.instance_id = u.instance_id AND m.user_id = u.id
			AND m.user_group_id = ` + a.add(gid)
	}
	switch f.State {
	case "":
	case localyun.BastionUserExpired: // a locked user is Frozen, whatever its validity
		where = append(where, "u.locked = 0 AND (u.effective_end_time <> 0 AND u.effective_end_time < "+a.add(f.Now.Unix())+")")
	case localyun.BastionUserNormal:
		where = append(where, "u.locked = 0 AND NOT (u.effective_end_time <> 0 AND u.effective_end_time < "+a.add(f.Now.Unix())+")")
	default: // Frozen: locked (LockUsers)
		where = append(where, "u.locked <> 0")
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
