-- The ClientToken records of idempotent instance creations (ECS
-- RunInstances and CreateInstance), each written in the transaction that
-- creates its instances (client_token.go): a retry with the token gets the
-- first request's instances, on any node, and never a second set (the
-- primary key serializes concurrent uses of one token). token is
-- case-sensitive; params_sum is the SHA-256 of the request's parsed
-- parameters; instance_ids is a JSON array; times are Unix milliseconds.
-- A record is in force until expires_at; expired ones are replaced by a
-- new use of their token and deleted, a few at a time, by the writes that
-- record tokens.
CREATE TABLE client_tokens (
	account_id   TEXT NOT NULL REFERENCES accounts(id),
	region_id    TEXT NOT NULL,
	token        TEXT NOT NULL,
	action       TEXT NOT NULL,
	params_sum   BYTEA NOT NULL,
	instance_ids TEXT NOT NULL,
	created_at   BIGINT NOT NULL,
	expires_at   BIGINT NOT NULL,
	PRIMARY KEY (account_id, region_id, token)
);
CREATE INDEX client_tokens_by_expiry ON client_tokens(expires_at);
