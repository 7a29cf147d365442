-- The ClientToken records of idempotent instance creations (ECS
-- RunInstances and CreateInstance), each written in the transaction that
-- creates its instances (client_token.go), so that a retry with the token
-- gets the first request's instances, also after a restart or a crash,
-- and never a second set. token is case-sensitive (BINARY); params_sum is
-- the SHA-256 of the request's parsed parameters; instance_ids is a JSON
-- array; times are Unix milliseconds. A record is in force until
-- expires_at; expired ones are replaced by a new use of their token and
-- deleted, a few at a time, by the writes that record tokens.
CREATE TABLE client_tokens (
	account_id   TEXT NOT NULL REFERENCES accounts(id),
	region_id    TEXT NOT NULL,
	token        TEXT NOT NULL,
	action       TEXT NOT NULL,
	params_sum   BLOB NOT NULL,
	instance_ids TEXT NOT NULL,
	created_at   INTEGER NOT NULL,
	expires_at   INTEGER NOT NULL,
	PRIMARY KEY (account_id, region_id, token)
) WITHOUT ROWID;
CREATE INDEX client_tokens_by_expiry ON client_tokens(expires_at);
