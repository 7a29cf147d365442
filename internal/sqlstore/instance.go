package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/localyun/localyun"
)

// InstanceColumns are the columns of the instances table ScanInstance reads,
// in its order.
const InstanceColumns = `seq, id, account_id, region_id, zone_id, name, description, status, network_type,
	vpc_id, vswitch_id, private_ip, image_id, instance_type, ram_role_name, created_at`

// ScanInstance reads a row of InstanceColumns (created_at in Unix
// milliseconds, 0 for none).
func ScanInstance(row interface{ Scan(...any) error }) (localyun.Instance, error) {
	var in localyun.Instance
	var created int64
	err := row.Scan(&in.Seq, &in.ID, &in.AccountID, &in.RegionID, &in.ZoneID, &in.Name, &in.Description,
		&in.Status, &in.NetworkType, &in.VpcID, &in.VSwitchID, &in.PrivateIP, &in.ImageID,
		&in.InstanceType, &in.RAMRoleName, &created)
	if created != 0 {
		in.CreatedAt = time.UnixMilli(created).UTC()
	}
	return in, err
}

// ScanInstances reads the rows of a query of InstanceColumns (as
// QueryContext returns it) and closes them.
func ScanInstances(rows *sql.Rows, err error) ([]localyun.Instance, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []localyun.Instance
	for rows.Next() {
		in, err := ScanInstance(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	return out, rows.Err()
}

// InsertInstances runs insert, an INSERT of the instances columns id,
// account_id, region_id, zone_id, name, description, status, network_type,
// vpc_id, vswitch_id, private_ip, image_id, instance_type, ram_role_name and
// created_at (Unix milliseconds, 0 for none), once per instance in tx.
func InsertInstances(ctx context.Context, tx *sql.Tx, insert string, insts []localyun.Instance) error {
	stmt, err := tx.PrepareContext(ctx, insert)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, in := range insts {
		var created int64
		if !in.CreatedAt.IsZero() {
			created = in.CreatedAt.UnixMilli()
		}
		if _, err := stmt.ExecContext(ctx, in.ID, in.AccountID, in.RegionID, in.ZoneID, in.Name,
			in.Description, in.Status, in.NetworkType, in.VpcID, in.VSwitchID, in.PrivateIP, in.ImageID,
			in.InstanceType, in.RAMRoleName, created); err != nil {
			return err
		}
	}
	return nil
}

// RoleChangeGroup is the instances of one SetInstancesRAMRole call that go
// from the same role to the same role: one compare-and-set UPDATE.
type RoleChangeGroup struct {
	From, To string
	IDs      []string
}

// GroupRoleChanges groups changes by (From, To), in the order each pair
// first appears. Attach is one group (from "" to the role); Detach is one
// group per role detached.
func GroupRoleChanges(changes []localyun.InstanceRoleChange) []RoleChangeGroup {
	var groups []RoleChangeGroup
	at := map[[2]string]int{}
	for _, c := range changes {
		k := [2]string{c.From, c.To}
		i, ok := at[k]
		if !ok {
			i = len(groups)
			at[k] = i
			groups = append(groups, RoleChangeGroup{From: c.From, To: c.To})
		}
		groups[i].IDs = append(groups[i].IDs, c.InstanceID)
	}
	return groups
}

// ChangedIDs returns the instance ids of changes, in order.
func ChangedIDs(changes []localyun.InstanceRoleChange) []string {
	ids := make([]string, len(changes))
	for i, c := range changes {
		ids[i] = c.InstanceID
	}
	return ids
}

// MissingIDs returns a *localyun.MissingIDsError naming, in order, the ids
// found does not hold, or nil when it holds them all.
func MissingIDs(ids []string, found map[string]bool) error {
	var missing []string
	for _, id := range ids {
		if !found[id] {
			missing = append(missing, id)
		}
	}
	if missing != nil {
		return &localyun.MissingIDsError{IDs: missing}
	}
	return nil
}

// Unchanged is the error of a compare-and-set on the instances ids that
// changed fewer rows than it named, given the ids found inside its
// transaction: err when the count could not be read; a
// *localyun.MissingIDsError when some are not there; else ErrConflict (a
// row is no longer as the caller read it).
func Unchanged(ids []string, found map[string]bool, err error) error {
	if err != nil {
		return err
	}
	if err := MissingIDs(ids, found); err != nil {
		return err
	}
	return fmt.Errorf("instances %s: changed since they were read: %w", strings.Join(ids, ","), localyun.ErrConflict)
}

// ScanIDs reads the result of a query of one id column (as QueryContext
// returns it) into a set, and closes it.
func ScanIDs(rows *sql.Rows, err error) (map[string]bool, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	found := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		found[id] = true
	}
	return found, rows.Err()
}
