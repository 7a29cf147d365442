package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync/atomic"
	"time"

	"github.com/localyun/localyun"
)

// The replay_keys table (migration 0005) holds the replay keys of the
// requests whose writes committed, each written by the write transaction
// of its request (withTx), inside that request's savepoint of a shared
// transaction (commit.go), so that a new process can refuse their replays.
const (
	recordReplayKey = `INSERT INTO replay_keys (expires_at, key) VALUES (?, ?) ON CONFLICT DO NOTHING`
	// expireReplayKeys deletes up to 64 of the oldest keys, if expired. One
	// recording write in 16 runs it: 4 a write on average, more than a
	// write adds, so the table stays the size of the window without a
	// sweep, and no write deletes more than 64 rows.
	expireReplayKeys = `DELETE FROM replay_keys WHERE (expires_at, key) IN
		(SELECT expires_at, key FROM replay_keys WHERE expires_at < ? ORDER BY expires_at LIMIT 64)`
	expireEvery = 16
)

// replayTx is the part of a write transaction that records its request's
// replay key: the statements, prepared on the write connection before the
// transaction (see writeStmt), and the key.
type replayTx struct {
	key     localyun.ReplayKey
	now     time.Time
	stmts   [2]*sql.Stmt
	release [2]func()
}

// prepareReplay returns the replayTx of ctx's request, or nil when there is
// nothing to record: no replay key, one already recorded, or a database in
// memory (which a restart does not keep).
func (st *Store) prepareReplay(ctx context.Context) (*replayTx, error) {
	key, now, ok := localyun.ReplayKeyFromContext(ctx)
	if !ok || st.lock == nil {
		return nil, nil
	}
	r := &replayTx{key: key, now: now}
	for i, q := range [2]string{recordReplayKey, expireReplayKeys} {
		s, release, err := st.writeStmt(ctx, q)
		if err != nil {
			r.done()
			return nil, err
		}
		r.stmts[i], r.release[i] = s, release
	}
	return r, nil
}

// record stores the key in tx, under ctx, and, in one call of
// expireEvery, deletes keys expired at now.
func (r *replayTx) record(ctx context.Context, tx *sql.Tx, calls *atomic.Uint64) error {
	if _, err := tx.StmtContext(ctx, r.stmts[0]).ExecContext(ctx, r.key.ExpiresMillis(), r.key.Sum[:]); err != nil {
		return err
	}
	if calls.Add(1)%expireEvery != 0 {
		return nil
	}
	_, err := tx.StmtContext(ctx, r.stmts[1]).ExecContext(ctx, ms(r.now))
	return err
}

// done releases the statements.
func (r *replayTx) done() {
	for _, release := range r.release {
		if release != nil {
			release()
		}
	}
}

// LatestReplayExpiry returns the latest expiry of the recorded replay keys,
// and false when none is recorded. A key expiring later cannot have been
// recorded before the call (this process's own writes aside), so a new
// process asks ReplayKeyRecorded only about requests expiring no later.
func (st *Store) LatestReplayExpiry(ctx context.Context) (time.Time, bool, error) {
	var latest sql.NullInt64
	if err := st.read.QueryRowContext(ctx, `SELECT max(expires_at) FROM replay_keys`).Scan(&latest); err != nil {
		return time.Time{}, false, err
	}
	if !latest.Valid {
		return time.Time{}, false, nil
	}
	return time.UnixMilli(latest.Int64).UTC(), true, nil
}

// ReplayKeyRecorded reports whether key, with its expiry, was recorded by
// the write of a request that committed: the key of a replay of that
// request, which carries the same timestamp. One lookup on the primary key.
func (st *Store) ReplayKeyRecorded(ctx context.Context, key localyun.ReplayKey) (bool, error) {
	var one int
	err := st.read.QueryRowContext(ctx, `SELECT 1 FROM replay_keys WHERE expires_at = ? AND key = ?`,
		key.ExpiresMillis(), key.Sum[:]).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// ReplayKeys calls fn with every recorded replay key unexpired at now: the
// keys of the requests whose writes committed within their timestamp
// window (`localyun migrate` copies them).
func (st *Store) ReplayKeys(ctx context.Context, now time.Time, fn func(localyun.ReplayKey) error) error {
	// Latest first: a window keeps the first expiry it is given for a key.
	rows, err := st.read.QueryContext(ctx, `SELECT key, expires_at FROM replay_keys WHERE expires_at >= ?
		ORDER BY expires_at DESC`, ms(now))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var sum []byte
		var expires int64
		if err := rows.Scan(&sum, &expires); err != nil {
			return err
		}
		k := localyun.ReplayKey{Expires: time.UnixMilli(expires).UTC()}
		copy(k.Sum[:], sum)
		if err := fn(k); err != nil {
			return err
		}
	}
	return rows.Err()
}
