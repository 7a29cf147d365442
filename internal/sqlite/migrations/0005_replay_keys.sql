-- The replay window's keys of the requests whose writes this database
-- committed, written in the same transaction as the change (replay.go):
-- a new process loads the unexpired ones into its window, so a replayed
-- write is refused after a restart or a crash. key is the SHA-256 of the
-- AccessKeyId, a NUL byte and the signature nonce; expires_at (Unix
-- milliseconds) is the last instant the request's timestamp is accepted.
--
-- Ordered by expiry, not by key: keys are only ever inserted, loaded at
-- start-up and deleted once expired (the in-memory window refuses the
-- duplicates), so a write adds its key near the end of one B-tree and
-- deletes expired ones from its start, and no index is needed.
CREATE TABLE replay_keys (
	expires_at INTEGER NOT NULL,
	key        BLOB NOT NULL,
	PRIMARY KEY (expires_at, key)
) WITHOUT ROWID;
