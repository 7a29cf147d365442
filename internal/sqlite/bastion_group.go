package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/sqlstore"
)

// bhGroupSQL holds the statements of one kind of group (user groups, host
// groups): the same shape on their own tables.
type bhGroupSQL struct {
	what, seq     string // the kind in errors; its bastion_id_seqs kind
	columns, from string // of a listing (alias g)
	insert        string
	update        string // compare-and-set: SET name, comment WHERE instance_id, id, name, comment
	del, exists   string // on (instance_id, id)
	memberExists  string // of a member (user or host) on (instance_id, id)
	addMember     string // on (instance_id, group id, member id)
	removeMember  string
}

var bhGroups = map[string]bhGroupSQL{
	localyun.BastionGroupUser: {what: "user group", seq: "user_group",
		columns: sqlstore.BastionUserGroupColumns, from: "bastion_user_groups g",
		insert:       `INSERT INTO bastion_user_groups (instance_id, id, name, comment, created_at) VALUES (?, ?, ?, ?, ?)`,
		update:       `UPDATE bastion_user_groups SET name = ?, comment = ? WHERE instance_id = ? AND id = ? AND name = ? AND comment = ?`,
		del:          `DELETE FROM bastion_user_groups WHERE instance_id = ? AND id = ?`,
		exists:       `SELECT COUNT(*) FROM bastion_user_groups WHERE instance_id = ? AND id = ?`,
		memberExists: `SELECT COUNT(*) FROM bastion_users WHERE instance_id = ? AND id = ?`,
		addMember: `INSERT INTO bastion_user_group_members (instance_id, user_group_id, user_id) VALUES (?, ?, ?)
			ON CONFLICT DO NOTHING`,
		removeMember: `DELETE FROM bastion_user_group_members WHERE instance_id = ? AND user_group_id = ? AND user_id = ?`},
	localyun.BastionGroupHost: {what: "host group", seq: "host_group",
		columns: sqlstore.BastionHostGroupColumns, from: "bastion_host_groups g",
		insert:       `INSERT INTO bastion_host_groups (instance_id, id, name, comment, created_at) VALUES (?, ?, ?, ?, ?)`,
		update:       `UPDATE bastion_host_groups SET name = ?, comment = ? WHERE instance_id = ? AND id = ? AND name = ? AND comment = ?`,
		del:          `DELETE FROM bastion_host_groups WHERE instance_id = ? AND id = ?`,
		exists:       `SELECT COUNT(*) FROM bastion_host_groups WHERE instance_id = ? AND id = ?`,
		memberExists: `SELECT COUNT(*) FROM bastion_hosts WHERE instance_id = ? AND id = ?`,
		addMember: `INSERT INTO bastion_host_group_members (instance_id, host_group_id, host_id) VALUES (?, ?, ?)
			ON CONFLICT DO NOTHING`,
		removeMember: `DELETE FROM bastion_host_group_members WHERE instance_id = ? AND host_group_id = ? AND host_id = ?`},
}

// bhGroupOf returns the statements of a kind of group.
func bhGroupOf(kind string) (bhGroupSQL, error) {
	k, ok := bhGroups[kind]
	if !ok {
		return k, fmt.Errorf("bastion group kind %q: %w", kind, localyun.ErrInvalid)
	}
	return k, nil
}

func (k bhGroupSQL) find(ctx context.Context, q queryer, kind, instanceID string, id int64) (localyun.BastionGroup, error) {
	g, err := sqlstore.ScanBastionGroup(q.QueryRowContext(ctx, `SELECT `+k.columns+` FROM `+k.from+`
		WHERE g.instance_id = ? AND g.id = ?`, instanceID, id), kind)
	if errors.Is(err, sql.ErrNoRows) {
		return g, bhNotFound(k.what, id)
	}
	return g, err
}

// CreateBastionGroup assigns the next id of the group's kind.
func (st *Store) CreateBastionGroup(ctx context.Context, g localyun.BastionGroup) (localyun.BastionGroup, error) {
	k, err := bhGroupOf(g.Kind)
	if err != nil {
		return g, err
	}
	err = st.withTx(ctx, func(tx *sql.Tx) error {
		id, err := nextBastionID(ctx, tx, g.InstanceID, k.seq)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, k.insert, g.InstanceID, id, g.Name, g.Comment, ms(g.CreatedAt)); err != nil {
			return err
		}
		g, err = k.find(ctx, tx, g.Kind, g.InstanceID, id)
		return err
	})
	return g, err
}

// FindBastionGroup returns ErrNotFound.
func (st *Store) FindBastionGroup(ctx context.Context, kind, instanceID, id string) (localyun.BastionGroup, error) {
	k, err := bhGroupOf(kind)
	if err != nil {
		return localyun.BastionGroup{}, err
	}
	n, ok := parseBastionID(id)
	if !ok {
		return localyun.BastionGroup{}, bhNotFound(k.what, id)
	}
	return k.find(ctx, st.read, kind, instanceID, n)
}

// FindBastionGroups lists groups in id order and the total.
func (st *Store) FindBastionGroups(ctx context.Context, f localyun.BastionGroupFilter) ([]localyun.BastionGroup, int, error) {
	k, err := bhGroupOf(f.Kind)
	if err != nil {
		return nil, 0, err
	}
	p := bhPage{from: k.from, cols: k.columns, order: "g.id", offset: f.Offset, limit: f.Limit}
	where := []string{"g.instance_id = ?"}
	p.args = []any{f.InstanceID}
	if f.Name != "" {
		where = append(where, "g.name = ?")
		p.args = append(p.args, f.Name)
	}
	if f.Grantee != nil {
		if f.Kind != localyun.BastionGroupHost {
			return nil, 0, fmt.Errorf("grants of user groups: %w", localyun.ErrInvalid)
		}
		t, grantee, err := bhGranteeOf(f.InstanceID, *f.Grantee)
		if err != nil {
			return nil, 0, err
		}
		cond := t.grantedHostGroup
		if !f.Authorized {
			cond = t.notGrantedHostGroup
		}
		where = append(where, cond)
		p.args, p.mustExist = append(p.args, grantee.id), grantee
	}
	p.cond = strings.Join(where, " AND ")
	var out []localyun.BastionGroup
	total, err := p.run(ctx, cachedRead{st}, func(rows *sql.Rows) error {
		g, err := sqlstore.ScanBastionGroup(rows, f.Kind)
		out = append(out, g)
		return err
	})
	return out, total, err
}

// UpdateBastionGroup writes the name and comment of to over the group from
// if it is unchanged.
func (st *Store) UpdateBastionGroup(ctx context.Context, from, to localyun.BastionGroup) error {
	k, err := bhGroupOf(from.Kind)
	if err != nil {
		return err
	}
	n, ok := parseBastionID(from.ID)
	if !ok {
		return bhNotFound(k.what, from.ID)
	}
	return st.withTx(ctx, func(tx *sql.Tx) error {
		changed, err := bhRowsChanged(tx.ExecContext(ctx, k.update, to.Name, to.Comment, from.InstanceID, n, from.Name, from.Comment))
		return sqlstore.Swapped(changed, err, func() (bool, error) {
			return bhExists(ctx, tx, k.exists, from.InstanceID, n)
		}, k.what, from.ID)
	})
}

// DeleteBastionGroup deletes a group, its memberships and grants.
func (st *Store) DeleteBastionGroup(ctx context.Context, kind, instanceID, id string) error {
	k, err := bhGroupOf(kind)
	if err != nil {
		return err
	}
	return st.deleteBastionObject(ctx, k.del, k.what, instanceID, id)
}

// AddBastionGroupMembers adds members to a group.
func (st *Store) AddBastionGroupMembers(ctx context.Context, kind, instanceID, groupID string, ids []string) ([]localyun.BastionMemberChange, error) {
	return st.changeBHMembers(ctx, kind, instanceID, groupID, ids, true)
}

// RemoveBastionGroupMembers removes members from a group.
func (st *Store) RemoveBastionGroupMembers(ctx context.Context, kind, instanceID, groupID string, ids []string) ([]localyun.BastionMemberChange, error) {
	return st.changeBHMembers(ctx, kind, instanceID, groupID, ids, false)
}

// changeBHMembers runs one membership batch in a transaction (the one
// writer serializes it with every other batch).
func (st *Store) changeBHMembers(ctx context.Context, kind, instanceID, groupID string, ids []string, add bool) ([]localyun.BastionMemberChange, error) {
	k, err := bhGroupOf(kind)
	if err != nil {
		return nil, err
	}
	gid, ok := parseBastionID(groupID)
	if !ok {
		return nil, bhNotFound(k.what, groupID)
	}
	change := k.addMember
	if !add {
		change = k.removeMember
	}
	var out []localyun.BastionMemberChange
	err = st.withTx(ctx, func(tx *sql.Tx) error {
		if ok, err := bhExists(ctx, tx, k.exists, instanceID, gid); err != nil || !ok {
			if err == nil {
				err = bhNotFound(k.what, groupID)
			}
			return err
		}
		out, err = sqlstore.MemberChanges(ids, func(n int64) (bool, error) {
			return bhExists(ctx, tx, k.memberExists, instanceID, n)
		}, func(n int64) (bool, error) {
			return bhRowsChanged(tx.ExecContext(ctx, change, instanceID, gid, n))
		})
		return err
	})
	return out, err
}

// bhOutcome is the outcome of a change that did or did not change a row
// (the grant code's).
func bhOutcome(changed bool) string {
	if changed {
		return localyun.OutcomeChanged
	}
	return localyun.OutcomeUnchanged
}
