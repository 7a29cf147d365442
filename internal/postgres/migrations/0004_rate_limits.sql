-- Token buckets of --rate-limit, shared by every node (the SQLite twin of
-- this migration creates nothing: an embedded store has one node, which
-- keeps its buckets in memory).
--
-- This migration was numbered 0005 (there was never a 0004) until the
-- numbering was put in step with SQLite. A database migrated then has the
-- table and the row migrations/0005_rate_limits.sql: hence IF NOT EXISTS.
-- The old name is recorded too, so that a node still running the older
-- binary (rolling upgrade) finds its 0005 applied instead of failing on
-- an existing table.
CREATE TABLE IF NOT EXISTS rate_limits (
	key     TEXT PRIMARY KEY,
	tokens  DOUBLE PRECISION NOT NULL,
	at      BIGINT NOT NULL,
	allowed BOOLEAN NOT NULL
);
INSERT INTO migrations (name) VALUES ('migrations/0005_rate_limits.sql') ON CONFLICT (name) DO NOTHING;
