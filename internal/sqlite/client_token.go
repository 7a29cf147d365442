package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/sqlstore"
)

// clientTokenSQL is the SQL of the client_tokens table (migration 0007).
// Expire deletes up to 64 of the oldest records if expired, on every write
// that records a token: more than a write adds, so the table holds about
// the tokens in force, and no write deletes more than 64 rows.
var clientTokenSQL = sqlstore.ClientTokenSQL{
	Expire: `DELETE FROM client_tokens WHERE (account_id, region_id, token) IN
		(SELECT account_id, region_id, token FROM client_tokens WHERE expires_at < ? ORDER BY expires_at LIMIT 64)`,
	Claim: `INSERT INTO client_tokens (` + sqlstore.ClientTokenColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (account_id, region_id, token) DO UPDATE SET action = excluded.action,
		params_sum = excluded.params_sum, instance_ids = excluded.instance_ids, created_at = excluded.created_at,
		expires_at = excluded.expires_at WHERE client_tokens.expires_at < excluded.created_at`,
	Find: `SELECT ` + sqlstore.ClientTokenColumns + ` FROM client_tokens WHERE account_id = ? AND region_id = ? AND token = ?`,
}

// CreateInstancesWithClientToken creates insts and records tok in one
// write transaction, unless tok's token is in force; see
// localyun.ClientTokenStore. Writes are serialized (commit.go), so of two
// requests with one token the second finds the first's record.
func (st *Store) CreateInstancesWithClientToken(ctx context.Context, tok localyun.ClientToken, insts []localyun.Instance) (localyun.ClientToken, bool, error) {
	var rec localyun.ClientToken
	var created bool
	err := st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		rec, created, err = sqlstore.CreateWithClientToken(ctx, tx, clientTokenSQL, tok, insts, insertInstances)
		return err
	})
	if err != nil {
		return localyun.ClientToken{}, false, err
	}
	return rec, created, nil
}

// FindClientToken returns the record of a token in force at now, or
// ErrNotFound.
func (st *Store) FindClientToken(ctx context.Context, accountID, regionID, token string, now time.Time) (localyun.ClientToken, error) {
	tok, err := sqlstore.One(st.readRow(ctx, clientTokenSQL.Find+` AND expires_at >= ?`,
		accountID, regionID, token, sqlstore.Millis(now)), sqlstore.ScanClientToken,
		fmt.Errorf("client token %q: %w", token, localyun.ErrNotFound))
	tok.Token = token
	return tok, err
}
