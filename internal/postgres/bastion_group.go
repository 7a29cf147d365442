package postgres

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
	del           string // on (instance_id, id)
	exists        string // on (instance_id, id), with a lock clause appended
	keepMembers   string // locks the members (users or hosts) among the ids $2 (FOR KEY SHARE)
	addMember     string // on (instance_id, group id, member id)
	removeMember  string
}

var bhGroups = map[string]bhGroupSQL{
	localyun.BastionGroupUser: {what: "user group", seq: "user_group",
		columns: sqlstore.BastionUserGroupColumns, from: "bastion_user_groups g",
		insert: `INSERT INTO bastion_user_groups (instance_id, id, name, comment, created_at) VALUES ($1, $2, $3, $4, $5)`,
		update: `UPDATE bastion_user_groups SET name = $1, comment = $2
			WHERE instance_id = $3 AND id = $4 AND name = $5 AND comment = $6`,
		del:    `DELETE FROM bastion_user_groups WHERE instance_id = $1 AND id = $2`,
		exists: `SELECT 1 FROM bastion_user_groups WHERE instance_id = $1 AND id = $2`,
		keepMembers: `SELECT id FROM bastion_users WHERE instance_id = $1 AND id = ANY($2)
			ORDER BY id FOR KEY SHARE`,
		addMember: `INSERT INTO bastion_user_group_members (instance_id, user_group_id, user_id) VALUES ($1, $2, $3)
			ON CONFLICT DO NOTHING`,
		removeMember: `DELETE FROM bastion_user_group_members WHERE instance_id = $1 AND user_group_id = $2 AND user_id = $3`},
	localyun.BastionGroupHost: {what: "host group", seq: "host_group",
		columns: sqlstore.BastionHostGroupColumns, from: "bastion_host_groups g",
		insert: `INSERT INTO bastion_host_groups (instance_id, id, name, comment, created_at) VALUES ($1, $2, $3, $4, $5)`,
		update: `UPDATE bastion_host_groups SET name = $1, comment = $2
			WHERE instance_id = $3 AND id = $4 AND name = $5 AND comment = $6`,
		del:    `DELETE FROM bastion_host_groups WHERE instance_id = $1 AND id = $2`,
		exists: `SELECT 1 FROM bastion_host_groups WHERE instance_id = $1 AND id = $2`,
		keepMembers: `SELECT id FROM bastion_hosts WHERE instance_id = $1 AND id = ANY($2)
			ORDER BY id FOR KEY SHARE`,
		addMember: `INSERT INTO bastion_host_group_members (instance_id, host_group_id, host_id) VALUES ($1, $2, $3)
			ON CONFLICT DO NOTHING`,
		removeMember: `DELETE FROM bastion_host_group_members WHERE instance_id = $1 AND host_group_id = $2 AND host_id = $3`},
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
		WHERE g.instance_id = $1 AND g.id = $2`, instanceID, id), kind)
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
	var out localyun.BastionGroup
	err = st.withTx(ctx, func(tx *sql.Tx) error {
		id, err := nextBastionID(ctx, tx, g.InstanceID, k.seq)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, k.insert, g.InstanceID, id, g.Name, g.Comment, ms(g.CreatedAt)); err != nil {
			return err
		}
		out, err = k.find(ctx, tx, g.Kind, g.InstanceID, id)
		return err
	})
	return out, err
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
	g, err := k.find(ctx, st.db, kind, instanceID, n)
	return g, formatError(err)
}

// FindBastionGroups lists groups in id order and the total; a grantee's
// host groups are joined from its grants.
func (st *Store) FindBastionGroups(ctx context.Context, f localyun.BastionGroupFilter) ([]localyun.BastionGroup, int, error) {
	k, err := bhGroupOf(f.Kind)
	if err != nil {
		return nil, 0, err
	}
	var a args
	from := k.from
	var where []string
	if f.Grantee != nil {
		if f.Kind != localyun.BastionGroupHost {
			return nil, 0, fmt.Errorf("grants of user groups: %w", localyun.ErrInvalid)
		}
		var t bhGrantee
		if t, a, err = st.bhFindGrantee(ctx, f.InstanceID, *f.Grantee); err != nil {
			return nil, 0, err
		}
		if f.Authorized {
			from += t.grantedHostGroups
		} else {
			where = append(where, t.notGrantedHostGroup)
		}
	}
	where = append(where, "g.instance_id = "+a.add(f.InstanceID))
	if f.Name != "" {
		where = append(where, "g.name = "+a.add(f.Name))
	}
	var out []localyun.BastionGroup
	total, err := bhPage(ctx, st.db, from, "g", strings.Join(where, " AND "), a, k.columns,
		f.Offset, f.Limit, func(rows *sql.Rows) error {
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

// changeBHMembers runs one membership batch in a transaction. The group's
// row serializes the batches on it; the members it names are locked up
// front in id order so that none disappears halfway.
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
		if ok, err := bhExists(ctx, tx, k.exists+bhLockSerialize, instanceID, gid); err != nil || !ok {
			if err == nil {
				err = bhNotFound(k.what, groupID)
			}
			return err
		}
		members, err := bhKeepMembers(ctx, tx, k.keepMembers, instanceID, bhParseIDs(ids))
		if err != nil {
			return err
		}
		out, err = sqlstore.MemberChanges(ids, func(n int64) (bool, error) {
			return members[n], nil
		}, func(n int64) (bool, error) {
			return bhRowsChanged(tx.ExecContext(ctx, change, instanceID, gid, n))
		})
		return err
	})
	return out, err
}

// bhKeepMembers runs keep, the locking read of the members among ids, and
// returns the ids it found.
func bhKeepMembers(ctx context.Context, tx *sql.Tx, keep, instanceID string, ids []int64) (map[int64]bool, error) {
	found := make(map[int64]bool, len(ids))
	if len(ids) == 0 {
		return found, nil
	}
	rows, err := tx.QueryContext(ctx, keep, instanceID, ids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		found[id] = true
	}
	return found, rows.Err()
}

// bhOutcome is the outcome of a change that did or did not change a row
// (the grant code's).
func bhOutcome(changed bool) string {
	if changed {
		return localyun.OutcomeChanged
	}
	return localyun.OutcomeUnchanged
}
