-- RAM users, groups, policies and STS sessions (issue #4).

ALTER TABLE access_keys ADD COLUMN last_used_at INTEGER NOT NULL DEFAULT 0;

CREATE TABLE users (
	id           TEXT NOT NULL UNIQUE,
	account_id   TEXT NOT NULL REFERENCES accounts(id),
	name         TEXT NOT NULL COLLATE NOCASE,
	display_name TEXT NOT NULL,
	comments     TEXT NOT NULL,
	email        TEXT NOT NULL,
	mobile_phone TEXT NOT NULL,
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL,
	PRIMARY KEY (account_id, name)
);

CREATE TABLE ram_groups (
	id         TEXT NOT NULL UNIQUE,
	account_id TEXT NOT NULL REFERENCES accounts(id),
	name       TEXT NOT NULL COLLATE NOCASE,
	comments   TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (account_id, name)
);

-- Renames cascade; a member keeps its user and group alive (DeleteConflict).
CREATE TABLE group_members (
	account_id TEXT NOT NULL,
	group_name TEXT NOT NULL COLLATE NOCASE,
	user_name  TEXT NOT NULL COLLATE NOCASE,
	joined_at  INTEGER NOT NULL,
	PRIMARY KEY (account_id, group_name, user_name),
	FOREIGN KEY (account_id, group_name) REFERENCES ram_groups(account_id, name) ON UPDATE CASCADE,
	FOREIGN KEY (account_id, user_name) REFERENCES users(account_id, name) ON UPDATE CASCADE
);
CREATE INDEX group_members_by_user ON group_members(account_id, user_name);

CREATE TABLE policies (
	account_id      TEXT NOT NULL REFERENCES accounts(id),
	name            TEXT NOT NULL COLLATE NOCASE,
	description     TEXT NOT NULL,
	default_version TEXT NOT NULL,
	next_version    INTEGER NOT NULL,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL,
	PRIMARY KEY (account_id, name)
);

CREATE TABLE policy_versions (
	account_id  TEXT NOT NULL,
	policy_name TEXT NOT NULL COLLATE NOCASE,
	version_id  TEXT NOT NULL,
	seq         INTEGER NOT NULL,
	document    TEXT NOT NULL,
	created_at  INTEGER NOT NULL,
	PRIMARY KEY (account_id, policy_name, version_id),
	FOREIGN KEY (account_id, policy_name) REFERENCES policies(account_id, name) ON DELETE CASCADE
);

-- Attachments of system and custom policies to users, groups and roles.
-- Principal renames are applied by the stores in the renaming transaction.
CREATE TABLE policy_attachments (
	seq            INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id     TEXT NOT NULL REFERENCES accounts(id),
	policy_type    TEXT NOT NULL,
	policy_name    TEXT NOT NULL COLLATE NOCASE,
	principal_type TEXT NOT NULL,
	principal_name TEXT NOT NULL COLLATE NOCASE,
	attached_at    INTEGER NOT NULL,
	UNIQUE (account_id, policy_type, policy_name, principal_type, principal_name)
);
CREATE INDEX policy_attachments_by_principal ON policy_attachments(account_id, principal_type, principal_name);

CREATE TABLE sts_sessions (
	access_key_id TEXT PRIMARY KEY,
	secret        TEXT NOT NULL,
	token_hash    TEXT NOT NULL,
	account_id    TEXT NOT NULL REFERENCES accounts(id),
	role_name     TEXT NOT NULL,
	role_id       TEXT NOT NULL,
	session_name  TEXT NOT NULL,
	policy        TEXT NOT NULL,
	caller        TEXT NOT NULL,
	created_at    INTEGER NOT NULL,
	expires_at    INTEGER NOT NULL
);
CREATE INDEX sts_sessions_by_expiry ON sts_sessions(expires_at);
