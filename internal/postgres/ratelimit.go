package postgres

import (
	"context"
	"time"
)

// TakeToken takes a token of key's bucket in one atomic statement: the row
// lock of the upsert serializes the nodes, and every expression of the
// update reads the bucket as it was before it.
func (st *Store) TakeToken(ctx context.Context, key string, now time.Time, rate, burst float64) (bool, time.Duration, error) {
	var allowed bool
	var tokens float64
	err := st.db.QueryRowContext(ctx, `INSERT INTO rate_limits AS r (key, tokens, at, allowed)
		VALUES ($1, $2::float8 - 1, $3, true)
		ON CONFLICT (key) DO UPDATE SET
			tokens = LEAST($2::float8, r.tokens + GREATEST($3 - r.at, 0) / 1000.0 * $4::float8)
				- CASE WHEN LEAST($2::float8, r.tokens + GREATEST($3 - r.at, 0) / 1000.0 * $4::float8) >= 1 THEN 1 ELSE 0 END,
			allowed = LEAST($2::float8, r.tokens + GREATEST($3 - r.at, 0) / 1000.0 * $4::float8) >= 1,
			at = GREATEST($3, r.at)
		RETURNING allowed, tokens`, key, burst, ms(now), rate).Scan(&allowed, &tokens)
	if err != nil {
		return false, 0, formatError(err)
	}
	if allowed {
		return true, 0, nil
	}
	return false, time.Duration((1 - tokens) / rate * float64(time.Second)), nil
}
