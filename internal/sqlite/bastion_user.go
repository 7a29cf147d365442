package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/localyun/localyun"
)

const bhUserColumns = `u.instance_id, u.id, u.name, u.display_name, u.comment, u.email, u.mobile, u.mobile_country_code,
	u.source, u.source_user_id, u.need_reset_password, u.effective_start_time, u.effective_end_time,
	u.two_factor_status, u.two_factor_methods, u.language_status, u.language, u.created_at`

func scanBHUser(row interface{ Scan(...any) error }) (localyun.BastionUser, error) {
	var u localyun.BastionUser
	var id, created int64
	var methods string
	err := row.Scan(&u.InstanceID, &id, &u.Name, &u.DisplayName, &u.Comment, &u.Email, &u.Mobile, &u.MobileCountryCode,
		&u.Source, &u.SourceUserID, &u.NeedResetPassword, &u.EffectiveStartTime, &u.EffectiveEndTime,
		&u.TwoFactorStatus, &methods, &u.LanguageStatus, &u.Language, &created)
	u.ID, u.CreatedAt = formatBastionID(id), fromMS(created)
	if methods != "" {
		u.TwoFactorMethods = strings.Split(methods, ",")
	}
	return u, err
}

func findBHUser(ctx context.Context, q queryer, instanceID string, id int64) (localyun.BastionUser, error) {
	u, err := scanBHUser(q.QueryRowContext(ctx, `SELECT `+bhUserColumns+` FROM bastion_users u
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
		if _, err := tx.ExecContext(ctx, `INSERT INTO bastion_users (instance_id, id, name, display_name, comment, email,
			mobile, mobile_country_code, source, source_user_id, need_reset_password, effective_start_time,
			effective_end_time, two_factor_status, two_factor_methods, language_status, language, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, u.InstanceID, id, u.Name, u.DisplayName, u.Comment,
			u.Email, u.Mobile, u.MobileCountryCode, u.Source, u.SourceUserID, u.NeedResetPassword, u.EffectiveStartTime,
			u.EffectiveEndTime, u.TwoFactorStatus, strings.Join(u.TwoFactorMethods, ","), u.LanguageStatus, u.Language,
			ms(u.CreatedAt)); err != nil {
			return err
		}
		if err := st.writeUserSecret(ctx, tx, u.InstanceID, id, s); err != nil {
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
	total, err := bastionPage(ctx, cachedRead{st}, "bastion_users u", strings.Join(where, " AND "), args, bhUserColumns, "u.id",
		f.Offset, f.Limit, func(rows *sql.Rows) error {
			u, err := scanBHUser(rows)
			out = append(out, u)
			return err
		})
	return out, total, err
}

// UpdateBastionUser applies fn to the user and its secret.
func (st *Store) UpdateBastionUser(ctx context.Context, instanceID, id string,
	fn func(*localyun.BastionUser, *localyun.BastionSecret) error) (localyun.BastionUser, error) {
	var u localyun.BastionUser
	n, ok := parseBastionID(id)
	if !ok {
		return u, bhNotFound("user", id)
	}
	err := st.withTx(ctx, func(tx *sql.Tx) error {
		var err error
		if u, err = findBHUser(ctx, tx, instanceID, n); err != nil {
			return err
		}
		s, err := st.readUserSecret(ctx, tx, instanceID, n)
		if err != nil {
			return err
		}
		if err := fn(&u, &s); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE bastion_users SET name = ?, display_name = ?, comment = ?, email = ?,
			mobile = ?, mobile_country_code = ?, source = ?, source_user_id = ?, need_reset_password = ?,
			effective_start_time = ?, effective_end_time = ?, two_factor_status = ?, two_factor_methods = ?,
			language_status = ?, language = ? WHERE instance_id = ? AND id = ?`, u.Name, u.DisplayName, u.Comment,
			u.Email, u.Mobile, u.MobileCountryCode, u.Source, u.SourceUserID, u.NeedResetPassword, u.EffectiveStartTime,
			u.EffectiveEndTime, u.TwoFactorStatus, strings.Join(u.TwoFactorMethods, ","), u.LanguageStatus, u.Language,
			instanceID, n); err != nil {
			return err
		}
		if err := st.writeUserSecret(ctx, tx, instanceID, n, s); err != nil {
			return err
		}
		u, err = findBHUser(ctx, tx, instanceID, n)
		return err
	})
	return u, err
}

// DeleteBastionUser deletes a user, its memberships and grants.
func (st *Store) DeleteBastionUser(ctx context.Context, instanceID, id string) error {
	return st.deleteBastionObject(ctx, "bastion_users", "user", instanceID, id)
}

// bhGroupKind describes one of the two group tables (user groups, host
// groups) and their member tables.
type bhGroupKind struct {
	table, what, seq       string
	members, groupCol, col string // member table, its group column and member column
	memberTable            string // the members' object table
}

var (
	bhUserGroups = bhGroupKind{table: "bastion_user_groups", what: "user group", seq: "user_group",
		members: "bastion_user_group_members", groupCol: "user_group_id", col: "user_id", memberTable: "bastion_users"}
	bhHostGroups = bhGroupKind{table: "bastion_host_groups", what: "host group", seq: "host_group",
		members: "bastion_host_group_members", groupCol: "host_group_id", col: "host_id", memberTable: "bastion_hosts"}
)

// bhGroup is the shape both kinds of group share.
type bhGroup struct {
	InstanceID, ID, Name, Comment string
	MemberCount                   int
	CreatedAt                     int64
}

func (k bhGroupKind) columns() string {
	return `g.instance_id, g.id, g.name, g.comment, g.created_at, (SELECT COUNT(*) FROM ` + k.members +
		` m WHERE m.instance_id = g.instance_id AND m.` + k.groupCol + ` = g.id)`
}

func scanBHGroup(row interface{ Scan(...any) error }) (bhGroup, error) {
	var g bhGroup
	var id int64
	err := row.Scan(&g.InstanceID, &id, &g.Name, &g.Comment, &g.CreatedAt, &g.MemberCount)
	g.ID = formatBastionID(id)
	return g, err
}

func (k bhGroupKind) find(ctx context.Context, q queryer, instanceID string, id int64) (bhGroup, error) {
	g, err := scanBHGroup(q.QueryRowContext(ctx, `SELECT `+k.columns()+` FROM `+k.table+` g
		WHERE g.instance_id = ? AND g.id = ?`, instanceID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return g, bhNotFound(k.what, id)
	}
	return g, err
}

func (st *Store) createBHGroup(ctx context.Context, k bhGroupKind, g bhGroup) (bhGroup, error) {
	err := st.withTx(ctx, func(tx *sql.Tx) error {
		id, err := nextBastionID(ctx, tx, g.InstanceID, k.seq)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO `+k.table+` (instance_id, id, name, comment, created_at)
			VALUES (?, ?, ?, ?, ?)`, g.InstanceID, id, g.Name, g.Comment, g.CreatedAt); err != nil {
			return err
		}
		g, err = k.find(ctx, tx, g.InstanceID, id)
		return err
	})
	return g, err
}

func (st *Store) findBHGroup(ctx context.Context, k bhGroupKind, instanceID, id string) (bhGroup, error) {
	n, ok := parseBastionID(id)
	if !ok {
		return bhGroup{}, bhNotFound(k.what, id)
	}
	return k.find(ctx, st.read, instanceID, n)
}

func (st *Store) findBHGroups(ctx context.Context, k bhGroupKind, instanceID, name string, grantee *localyun.BastionGrantee,
	authorized bool, offset, limit int) ([]bhGroup, int, error) {
	where := []string{"g.instance_id = ?"}
	args := []any{instanceID}
	if name != "" {
		where = append(where, "g.name = ?")
		args = append(args, name)
	}
	if grantee != nil {
		gid, t, err := findGrantee(ctx, cachedRead{st}, instanceID, *grantee)
		if err != nil {
			return nil, 0, err
		}
		not := ""
		if !authorized {
			not = "NOT "
		}
		where = append(where, not+`EXISTS (SELECT 1 FROM `+t.hostGroupGrants+` x
			WHERE x.instance_id = g.instance_id AND x.grantee_id = ? AND x.host_group_id = g.id)`)
		args = append(args, gid)
	}
	var out []bhGroup
	total, err := bastionPage(ctx, cachedRead{st}, k.table+" g", strings.Join(where, " AND "), args, k.columns(), "g.id",
		offset, limit, func(rows *sql.Rows) error {
			g, err := scanBHGroup(rows)
			out = append(out, g)
			return err
		})
	return out, total, err
}

func (st *Store) updateBHGroup(ctx context.Context, k bhGroupKind, instanceID, id string, fn func(*bhGroup) error) (bhGroup, error) {
	var g bhGroup
	n, ok := parseBastionID(id)
	if !ok {
		return g, bhNotFound(k.what, id)
	}
	err := st.withTx(ctx, func(tx *sql.Tx) error {
		var err error
		if g, err = k.find(ctx, tx, instanceID, n); err != nil {
			return err
		}
		if err := fn(&g); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE `+k.table+` SET name = ?, comment = ? WHERE instance_id = ? AND id = ?`,
			g.Name, g.Comment, instanceID, n); err != nil {
			return err
		}
		g, err = k.find(ctx, tx, instanceID, n)
		return err
	})
	return g, err
}

// changeMembers adds (add) or removes members of a group, one result per id.
func (st *Store) changeBHMembers(ctx context.Context, k bhGroupKind, instanceID, groupID string, ids []string, add bool) ([]localyun.ItemResult, error) {
	gid, ok := parseBastionID(groupID)
	if !ok {
		return nil, bhNotFound(k.what, groupID)
	}
	var out []localyun.ItemResult
	err := st.withTx(ctx, func(tx *sql.Tx) error {
		out = make([]localyun.ItemResult, 0, len(ids))
		if _, err := k.find(ctx, tx, instanceID, gid); err != nil {
			return err
		}
		for _, id := range ids {
			r := localyun.ItemResult{ID: id}
			out = append(out, r)
			n, ok := parseBastionID(id)
			if !ok {
				out[len(out)-1].Outcome = localyun.OutcomeInvalid
				continue
			}
			exists, err := bastionExists(ctx, tx, k.memberTable, instanceID, n)
			if err != nil {
				return err
			}
			if !exists {
				out[len(out)-1].Outcome = localyun.OutcomeMissing
				continue
			}
			q := `INSERT INTO ` + k.members + ` (instance_id, ` + k.groupCol + `, ` + k.col + `) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`
			if !add {
				q = `DELETE FROM ` + k.members + ` WHERE instance_id = ? AND ` + k.groupCol + ` = ? AND ` + k.col + ` = ?`
			}
			changed, err := bhRowsChanged(tx.ExecContext(ctx, q, instanceID, gid, n))
			if err != nil {
				return err
			}
			out[len(out)-1].Outcome = bhOutcome(changed)
		}
		return nil
	})
	return out, err
}

func bhOutcome(changed bool) string {
	if changed {
		return localyun.OutcomeChanged
	}
	return localyun.OutcomeUnchanged
}

func bastionExistsSQL(table string) string {
	return `SELECT COUNT(*) FROM ` + table + ` WHERE instance_id = ? AND id = ?`
}

func bastionExists(ctx context.Context, q pageQueryer, table, instanceID string, id int64) (bool, error) {
	var n int
	rows, err := q.QueryContext(ctx, bastionExistsSQL(table), instanceID, id)
	err = rowScanner{rows: rows, err: err}.Scan(&n)
	return n > 0, err
}

func bhUserGroupOf(g bhGroup) localyun.BastionUserGroup {
	return localyun.BastionUserGroup{InstanceID: g.InstanceID, ID: g.ID, Name: g.Name, Comment: g.Comment,
		MemberCount: g.MemberCount, CreatedAt: fromMS(g.CreatedAt)}
}

func bhHostGroupOf(g bhGroup) localyun.BastionHostGroup {
	return localyun.BastionHostGroup{InstanceID: g.InstanceID, ID: g.ID, Name: g.Name, Comment: g.Comment,
		MemberCount: g.MemberCount, CreatedAt: fromMS(g.CreatedAt)}
}

// CreateBastionUserGroup assigns the next id.
func (st *Store) CreateBastionUserGroup(ctx context.Context, g localyun.BastionUserGroup) (localyun.BastionUserGroup, error) {
	r, err := st.createBHGroup(ctx, bhUserGroups, bhGroup{InstanceID: g.InstanceID, Name: g.Name, Comment: g.Comment, CreatedAt: ms(g.CreatedAt)})
	return bhUserGroupOf(r), err
}

// FindBastionUserGroup returns ErrNotFound.
func (st *Store) FindBastionUserGroup(ctx context.Context, instanceID, id string) (localyun.BastionUserGroup, error) {
	g, err := st.findBHGroup(ctx, bhUserGroups, instanceID, id)
	return bhUserGroupOf(g), err
}

// FindBastionUserGroups lists groups in id order and the total.
func (st *Store) FindBastionUserGroups(ctx context.Context, f localyun.BastionUserGroupFilter) ([]localyun.BastionUserGroup, int, error) {
	gs, total, err := st.findBHGroups(ctx, bhUserGroups, f.InstanceID, f.Name, nil, false, f.Offset, f.Limit)
	out := make([]localyun.BastionUserGroup, len(gs))
	for i, g := range gs {
		out[i] = bhUserGroupOf(g)
	}
	return out, total, err
}

// UpdateBastionUserGroup applies fn.
func (st *Store) UpdateBastionUserGroup(ctx context.Context, instanceID, id string, fn func(*localyun.BastionUserGroup) error) (localyun.BastionUserGroup, error) {
	g, err := st.updateBHGroup(ctx, bhUserGroups, instanceID, id, func(g *bhGroup) error {
		ug := bhUserGroupOf(*g)
		if err := fn(&ug); err != nil {
			return err
		}
		g.Name, g.Comment = ug.Name, ug.Comment
		return nil
	})
	return bhUserGroupOf(g), err
}

// DeleteBastionUserGroup deletes a group, its memberships and grants.
func (st *Store) DeleteBastionUserGroup(ctx context.Context, instanceID, id string) error {
	return st.deleteBastionObject(ctx, bhUserGroups.table, bhUserGroups.what, instanceID, id)
}

// AddBastionUsersToGroup adds users to a group.
func (st *Store) AddBastionUsersToGroup(ctx context.Context, instanceID, groupID string, userIDs []string) ([]localyun.ItemResult, error) {
	return st.changeBHMembers(ctx, bhUserGroups, instanceID, groupID, userIDs, true)
}

// RemoveBastionUsersFromGroup removes users from a group.
func (st *Store) RemoveBastionUsersFromGroup(ctx context.Context, instanceID, groupID string, userIDs []string) ([]localyun.ItemResult, error) {
	return st.changeBHMembers(ctx, bhUserGroups, instanceID, groupID, userIDs, false)
}

// CreateBastionHostGroup assigns the next id.
func (st *Store) CreateBastionHostGroup(ctx context.Context, g localyun.BastionHostGroup) (localyun.BastionHostGroup, error) {
	r, err := st.createBHGroup(ctx, bhHostGroups, bhGroup{InstanceID: g.InstanceID, Name: g.Name, Comment: g.Comment, CreatedAt: ms(g.CreatedAt)})
	return bhHostGroupOf(r), err
}

// FindBastionHostGroup returns ErrNotFound.
func (st *Store) FindBastionHostGroup(ctx context.Context, instanceID, id string) (localyun.BastionHostGroup, error) {
	g, err := st.findBHGroup(ctx, bhHostGroups, instanceID, id)
	return bhHostGroupOf(g), err
}

// FindBastionHostGroups lists host groups in id order and the total.
func (st *Store) FindBastionHostGroups(ctx context.Context, f localyun.BastionHostGroupFilter) ([]localyun.BastionHostGroup, int, error) {
	gs, total, err := st.findBHGroups(ctx, bhHostGroups, f.InstanceID, f.Name, f.Grantee, f.Authorized, f.Offset, f.Limit)
	out := make([]localyun.BastionHostGroup, len(gs))
	for i, g := range gs {
		out[i] = bhHostGroupOf(g)
	}
	return out, total, err
}

// UpdateBastionHostGroup applies fn.
func (st *Store) UpdateBastionHostGroup(ctx context.Context, instanceID, id string, fn func(*localyun.BastionHostGroup) error) (localyun.BastionHostGroup, error) {
	g, err := st.updateBHGroup(ctx, bhHostGroups, instanceID, id, func(g *bhGroup) error {
		hg := bhHostGroupOf(*g)
		if err := fn(&hg); err != nil {
			return err
		}
		g.Name, g.Comment = hg.Name, hg.Comment
		return nil
	})
	return bhHostGroupOf(g), err
}

// DeleteBastionHostGroup deletes a host group, its memberships and grants.
func (st *Store) DeleteBastionHostGroup(ctx context.Context, instanceID, id string) error {
	return st.deleteBastionObject(ctx, bhHostGroups.table, bhHostGroups.what, instanceID, id)
}

// AddBastionHostsToGroup adds hosts to a host group.
func (st *Store) AddBastionHostsToGroup(ctx context.Context, instanceID, groupID string, hostIDs []string) ([]localyun.ItemResult, error) {
	return st.changeBHMembers(ctx, bhHostGroups, instanceID, groupID, hostIDs, true)
}

// RemoveBastionHostsFromGroup removes hosts from a host group.
func (st *Store) RemoveBastionHostsFromGroup(ctx context.Context, instanceID, groupID string, hostIDs []string) ([]localyun.ItemResult, error) {
	return st.changeBHMembers(ctx, bhHostGroups, instanceID, groupID, hostIDs, false)
}
