-- Token buckets of --rate-limit, shared by every node (PostgreSQL only:
-- an embedded SQLite store has one node, which keeps its buckets in memory).
CREATE TABLE rate_limits (
	key     TEXT PRIMARY KEY,
	tokens  DOUBLE PRECISION NOT NULL,
	at      BIGINT NOT NULL,
	allowed BOOLEAN NOT NULL
);
