-- The Bastionhost data plane (the SSH gateway): user locks (LockUsers),
-- host ports (ModifyHostsPort), failed logins, users' public keys, O&M
-- tokens and session records. Times are Unix milliseconds.
ALTER TABLE bastion_users ADD COLUMN locked INTEGER NOT NULL DEFAULT 0;
ALTER TABLE bastion_hosts ADD COLUMN ssh_port INTEGER NOT NULL DEFAULT 22;
ALTER TABLE bastion_hosts ADD COLUMN rdp_port INTEGER NOT NULL DEFAULT 3389;

-- Consecutive failed logins of a user, and the instant before which its
-- logins are refused after too many.
CREATE TABLE bastion_login_failures (
	instance_id  TEXT NOT NULL,
	user_id      INTEGER NOT NULL,
	failures     INTEGER NOT NULL,
	locked_until INTEGER NOT NULL,
	PRIMARY KEY (instance_id, user_id),
	FOREIGN KEY (instance_id, user_id) REFERENCES bastion_users(instance_id, id) ON DELETE CASCADE
);

-- public_key is the key in SSH wire format; a user holds a key once.
CREATE TABLE bastion_public_keys (
	instance_id TEXT NOT NULL,
	id          INTEGER NOT NULL,
	user_id     INTEGER NOT NULL,
	name        TEXT NOT NULL,
	comment     TEXT NOT NULL,
	public_key  BLOB NOT NULL,
	fingerprint TEXT NOT NULL,
	created_at  INTEGER NOT NULL,
	PRIMARY KEY (instance_id, id),
	UNIQUE (instance_id, user_id, public_key),
	FOREIGN KEY (instance_id, user_id) REFERENCES bastion_users(instance_id, id) ON DELETE CASCADE
);

-- O&M tokens: only the SHA-256 of a token is kept. A token goes with its
-- user, host and account.
CREATE TABLE bastion_operation_tokens (
	instance_id     TEXT NOT NULL,
	id              INTEGER NOT NULL,
	user_id         INTEGER NOT NULL,
	host_id         INTEGER NOT NULL,
	host_account_id INTEGER NOT NULL,
	token_sum       BLOB NOT NULL,
	created_at      INTEGER NOT NULL,
	expires_at      INTEGER NOT NULL,
	PRIMARY KEY (instance_id, id),
	UNIQUE (instance_id, token_sum),
	FOREIGN KEY (instance_id, user_id) REFERENCES bastion_users(instance_id, id) ON DELETE CASCADE,
	FOREIGN KEY (instance_id, host_id, host_account_id) REFERENCES bastion_host_accounts(instance_id, host_id, id) ON DELETE CASCADE
);

-- Session records outlive the users, hosts and accounts they name (an
-- audit trail): they hold the names as they were, and go only with their
-- instance. ended_at is 0 and end_reason '' while a session runs.
CREATE TABLE bastion_sessions (
	instance_id  TEXT NOT NULL REFERENCES bastion_instances(id) ON DELETE CASCADE,
	id           INTEGER NOT NULL,
	user_id      INTEGER NOT NULL,
	user_name    TEXT NOT NULL,
	client_addr  TEXT NOT NULL,
	host_id      INTEGER NOT NULL,
	host_address TEXT NOT NULL,
	account_id   INTEGER NOT NULL,
	account_name TEXT NOT NULL,
	protocol     TEXT NOT NULL,
	mode         TEXT NOT NULL,
	started_at   INTEGER NOT NULL,
	ended_at     INTEGER NOT NULL,
	end_reason   TEXT NOT NULL,
	PRIMARY KEY (instance_id, id)
);
CREATE INDEX bastion_sessions_by_user ON bastion_sessions(instance_id, user_id);
