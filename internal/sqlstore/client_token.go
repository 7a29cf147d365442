package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/localyun/localyun"
)

// ClientTokenColumns are the columns of the client_tokens table
// ScanClientToken reads, in its order.
const ClientTokenColumns = `account_id, region_id, token, action, params_sum, instance_ids, created_at, expires_at`

// ClientTokenValues are the values of tok for ClientTokenColumns, in order.
func ClientTokenValues(tok localyun.ClientToken) ([]any, error) {
	ids, err := json.Marshal(tok.InstanceIDs)
	if err != nil {
		return nil, err
	}
	return []any{tok.AccountID, tok.RegionID, tok.Token, tok.Action, tok.ParamsSum[:], string(ids),
		Millis(tok.CreatedAt), Millis(tok.ExpiresAt)}, nil
}

// ScanClientToken reads a row of ClientTokenColumns.
func ScanClientToken(row Scanner) (localyun.ClientToken, error) {
	var tok localyun.ClientToken
	var sum []byte
	var ids string
	var created, expires int64
	if err := row.Scan(&tok.AccountID, &tok.RegionID, &tok.Token, &tok.Action, &sum, &ids, &created, &expires); err != nil {
		return tok, err
	}
	if len(sum) != len(tok.ParamsSum) {
		return tok, fmt.Errorf("client token %q: a params_sum of %d bytes", tok.Token, len(sum))
	}
	copy(tok.ParamsSum[:], sum)
	if err := json.Unmarshal([]byte(ids), &tok.InstanceIDs); err != nil {
		return tok, fmt.Errorf("client token %q: instance_ids: %w", tok.Token, err)
	}
	tok.CreatedAt, tok.ExpiresAt = FromMillis(created), FromMillis(expires)
	return tok, nil
}

// ClientTokenSQL is the dialect SQL of CreateInstancesWithClientToken.
type ClientTokenSQL struct {
	// Expire deletes at most a few records expired at its one argument
	// (Unix milliseconds): enough that the table stays the size of the
	// tokens in force without a sweep, never many in one write.
	Expire string
	// Claim inserts a record (the arguments are ClientTokenValues), or
	// replaces the record of its account, region and token if that one
	// expired before the new one's created_at; it changes no row when
	// the token is in force.
	Claim string
	// Find selects the ClientTokenColumns of the record of an account,
	// region and token (its three arguments).
	Find string
}

// CreateWithClientToken is CreateInstancesWithClientToken inside tx: it
// expires a few old records, claims tok's token and, when the claim
// changed a row, creates the instances with insert; otherwise it returns
// the record in force, which the claim left as it was. tok.InstanceIDs are
// the ids of insts.
func CreateWithClientToken(ctx context.Context, tx *sql.Tx, q ClientTokenSQL, tok localyun.ClientToken, insts []localyun.Instance,
	insert func(context.Context, *sql.Tx, []localyun.Instance) error) (localyun.ClientToken, bool, error) {
	tok.InstanceIDs = make([]string, len(insts))
	for i, in := range insts {
		tok.InstanceIDs[i] = in.ID
	}
	values, err := ClientTokenValues(tok)
	if err != nil {
		return tok, false, err
	}
	if _, err := tx.ExecContext(ctx, q.Expire, Millis(tok.CreatedAt)); err != nil {
		return tok, false, err
	}
	claimed, err := RowsChanged(tx.ExecContext(ctx, q.Claim, values...))
	if err != nil {
		return tok, false, err
	}
	if !claimed {
		rec, err := ScanClientToken(tx.QueryRowContext(ctx, q.Find, tok.AccountID, tok.RegionID, tok.Token))
		return rec, false, err
	}
	return tok, true, insert(ctx, tx, insts)
}
