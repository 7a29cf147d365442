package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/localyun/localyun"
)

// InstanceColumns are the columns of the instances table ScanInstance reads,
// in its order.
const InstanceColumns = `seq, id, account_id, region_id, zone_id, name, description, status, network_type,
	vpc_id, vswitch_id, private_ip, image_id, instance_type, ram_role_name, created_at, host_name, charge_type,
	expires_at, security_group_ids, tags, http_endpoint, http_tokens, hop_limit`

// ScanInstance reads a row of InstanceColumns (created_at and expires_at
// in Unix milliseconds, 0 for none; security_group_ids and tags as JSON).
func ScanInstance(row interface{ Scan(...any) error }) (localyun.Instance, error) {
	var in localyun.Instance
	var created, expires int64
	var groups, tags string
	err := row.Scan(&in.Seq, &in.ID, &in.AccountID, &in.RegionID, &in.ZoneID, &in.Name, &in.Description,
		&in.Status, &in.NetworkType, &in.VpcID, &in.VSwitchID, &in.PrivateIP, &in.ImageID,
		&in.InstanceType, &in.RAMRoleName, &created, &in.HostName, &in.ChargeType, &expires, &groups, &tags,
		&in.Metadata.HTTPEndpoint, &in.Metadata.HTTPTokens, &in.Metadata.HopLimit)
	if err != nil {
		return in, err
	}
	in.CreatedAt, in.ExpiresAt = FromMillis(created), FromMillis(expires)
	if in.SecurityGroupIDs, err = DecodeGroups(groups); err != nil {
		return in, err
	}
	in.Tags, err = DecodeTags(tags)
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
// vpc_id, vswitch_id, private_ip, image_id, instance_type, ram_role_name,
// created_at, host_name, charge_type, expires_at, security_group_ids,
// tags, http_endpoint, http_tokens and hop_limit, once per instance in tx,
// each with its defaults filled (localyun.Instance.WithDefaults).
func InsertInstances(ctx context.Context, tx *sql.Tx, insert string, insts []localyun.Instance) error {
	stmt, err := tx.PrepareContext(ctx, insert)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, in := range insts {
		in = in.WithDefaults()
		groups, err := EncodeGroups(in.SecurityGroupIDs)
		if err != nil {
			return err
		}
		tags, err := EncodeTags(in.Tags)
		if err != nil {
			return err
		}
		if _, err := stmt.ExecContext(ctx, in.ID, in.AccountID, in.RegionID, in.ZoneID, in.Name,
			in.Description, in.Status, in.NetworkType, in.VpcID, in.VSwitchID, in.PrivateIP, in.ImageID,
			in.InstanceType, in.RAMRoleName, Millis(in.CreatedAt), in.HostName, in.ChargeType, Millis(in.ExpiresAt),
			groups, tags, in.Metadata.HTTPEndpoint, in.Metadata.HTTPTokens, in.Metadata.HopLimit); err != nil {
			return err
		}
	}
	return nil
}

// EncodeGroups is the security_group_ids column: a JSON array of ids.
func EncodeGroups(ids []string) (string, error) {
	if ids == nil {
		ids = []string{}
	}
	b, err := json.Marshal(ids)
	return string(b), err
}

// DecodeGroups reads the security_group_ids column.
func DecodeGroups(s string) ([]string, error) {
	var ids []string
	if err := json.Unmarshal([]byte(s), &ids); err != nil {
		return nil, fmt.Errorf("security_group_ids %q: %w", s, err)
	}
	return ids, nil
}

// EncodeTags is the tags column: a JSON array of {"Key","Value"} objects,
// in the instance's order.
func EncodeTags(tags []localyun.Tag) (string, error) {
	if tags == nil {
		tags = []localyun.Tag{}
	}
	b, err := json.Marshal(tags)
	return string(b), err
}

// DecodeTags reads the tags column; nil for none.
func DecodeTags(s string) ([]localyun.Tag, error) {
	var tags []localyun.Tag
	if err := json.Unmarshal([]byte(s), &tags); err != nil {
		return nil, fmt.Errorf("tags %q: %w", s, err)
	}
	if len(tags) == 0 {
		return nil, nil
	}
	return tags, nil
}

// MergeTags returns have with tags set: a key have holds takes the new
// value in place, a new key is appended. ok is false if the result holds
// more than max tags.
func MergeTags(have, tags []localyun.Tag, max int) (out []localyun.Tag, ok bool) {
	out = append([]localyun.Tag(nil), have...)
	for _, t := range tags {
		i := slices.IndexFunc(out, func(o localyun.Tag) bool { return o.Key == t.Key })
		if i >= 0 {
			out[i].Value = t.Value
		} else {
			out = append(out, t)
		}
	}
	return out, len(out) <= max
}

// RemoveTags returns have without the tags keys (without any tag when all).
func RemoveTags(have []localyun.Tag, keys []string, all bool) []localyun.Tag {
	var out []localyun.Tag
	for _, t := range have {
		if !all && !slices.Contains(keys, t.Key) {
			out = append(out, t)
		}
	}
	return out
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

// ScanTagColumns reads the rows of a query of id and tags (as QueryContext
// returns it) into a map from id to tags, and closes them.
func ScanTagColumns(rows *sql.Rows) (map[string][]localyun.Tag, error) {
	defer rows.Close()
	out := map[string][]localyun.Tag{}
	for rows.Next() {
		var id, col string
		if err := rows.Scan(&id, &col); err != nil {
			return nil, err
		}
		tags, err := DecodeTags(col)
		if err != nil {
			return nil, err
		}
		out[id] = tags
	}
	return out, rows.Err()
}

// KeySet is the set of the keys of m.
func KeySet[V any](m map[string]V) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

// InstanceUpdateArgs returns the arguments of UpdateInstance's statement,
// in its order: name, description, host name, the three metadata options,
// the security groups (each nil, SQL NULL, where upd keeps the column, so
// that coalesce keeps it: an update changes exactly what it names, under
// the row's write lock, and two updates of different options cannot undo
// each other), then accountID and id.
func InstanceUpdateArgs(upd localyun.InstanceUpdate, accountID, id string) ([]any, error) {
	args := []any{orNull(upd.Name), orNull(upd.Description), orNull(upd.HostName), nil, nil, nil, nil, accountID, id}
	if m := upd.Metadata; m != nil {
		if m.HTTPEndpoint != "" {
			args[3] = m.HTTPEndpoint
		}
		if m.HTTPTokens != "" {
			args[4] = m.HTTPTokens
		}
		if m.HopLimit != 0 {
			args[5] = m.HopLimit
		}
	}
	if upd.SecurityGroupIDs != nil {
		col, err := EncodeGroups(upd.SecurityGroupIDs)
		if err != nil {
			return nil, err
		}
		args[6] = col
	}
	return args, nil
}

// orNull is *s as a query argument, SQL NULL for nil.
func orNull(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}
