package postgres

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
// that records a token, skipping rows another transaction holds (no
// waiting, no deadlock between two such writes): the table holds about the
// tokens in force, and no write deletes more than 64 rows. Claim waits for
// a concurrent transaction that inserted the same token, then changes no
// row if that one committed: one of them creates instances.
var clientTokenSQL = sqlstore.ClientTokenSQL{
	Expire: `DELETE FROM client_tokens WHERE (account_id, region_id, token) IN
		(SELECT account_id, region_id, token FROM client_tokens WHERE expires_at < $1 ORDER BY expires_at LIMIT 64
		FOR UPDATE SKIP LOCKED)`,
	Claim: `INSERT INTO client_tokens (` + sqlstore.ClientTokenColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (account_id, region_id, token) DO UPDATE SET action = EXCLUDED.action,
		params_sum = EXCLUDED.params_sum, instance_ids = EXCLUDED.instance_ids, created_at = EXCLUDED.created_at,
		expires_at = EXCLUDED.expires_at WHERE client_tokens.expires_at < EXCLUDED.created_at`,
	Find: `SELECT ` + sqlstore.ClientTokenColumns + ` FROM client_tokens WHERE account_id = $1 AND region_id = $2 AND token = $3`,
}

// CreateInstancesWithClientToken creates insts and records tok in one
// transaction, unless tok's token is in force; see
// localyun.ClientTokenStore.
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
	tok, err := sqlstore.One(st.db.QueryRowContext(ctx, clientTokenSQL.Find+` AND expires_at >= $4`,
		accountID, regionID, token, sqlstore.Millis(now)), sqlstore.ScanClientToken,
		fmt.Errorf("client token %q: %w", token, localyun.ErrNotFound))
	tok.Token = token
	return tok, formatError(err)
}
