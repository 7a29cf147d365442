-- The replay window's keys of the requests whose writes this database
-- committed, written in the same transaction as the change (replay.go):
-- a new process loads the unexpired ones into its window, so a replayed
-- write is refused after a restart or a crash. key is the SHA-256 of the
-- AccessKeyId, a NUL byte and the signature nonce; expires_at (Unix
-- milliseconds) is the last instant the request's timestamp is accepted.
CREATE TABLE replay_keys (
	key        BLOB PRIMARY KEY,
	expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX replay_keys_by_expiry ON replay_keys(expires_at);
