-- RAM users, groups, policies and STS sessions (issue #4). Same tables and
-- columns as SQLite's 0003_iam.sql.
--
-- SQLite's COLLATE NOCASE names are localyun_nocase here: a nondeterministic
-- ICU collation, so that equality, primary keys, unique constraints and the
-- ON UPDATE CASCADE foreign keys compare names case-insensitively. Name order
-- (paging) is lower(name COLLATE "C"): ASCII case folding and byte order,
-- exactly SQLite's NOCASE order; the *_by_key indexes serve it.
CREATE COLLATION IF NOT EXISTS localyun_nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false);

ALTER TABLE access_keys ADD COLUMN last_used_at BIGINT NOT NULL DEFAULT 0;
-- The keys of a RAM user are looked up by user name, case-insensitively.
CREATE INDEX access_keys_by_user ON access_keys(account_id, user_name COLLATE localyun_nocase);

CREATE TABLE users (
	id           TEXT NOT NULL UNIQUE,
	account_id   TEXT NOT NULL REFERENCES accounts(id),
	name         TEXT NOT NULL COLLATE localyun_nocase,
	display_name TEXT NOT NULL,
	comments     TEXT NOT NULL,
	email        TEXT NOT NULL,
	mobile_phone TEXT NOT NULL,
	created_at   BIGINT NOT NULL,
	updated_at   BIGINT NOT NULL,
	PRIMARY KEY (account_id, name)
);
CREATE INDEX users_by_key ON users(account_id, lower(name COLLATE "C"));

CREATE TABLE ram_groups (
	id         TEXT NOT NULL UNIQUE,
	account_id TEXT NOT NULL REFERENCES accounts(id),
	name       TEXT NOT NULL COLLATE localyun_nocase,
	comments   TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	PRIMARY KEY (account_id, name)
);
CREATE INDEX ram_groups_by_key ON ram_groups(account_id, lower(name COLLATE "C"));

-- Renames cascade; a member keeps its user and group alive (DeleteConflict).
CREATE TABLE group_members (
	account_id TEXT NOT NULL,
	group_name TEXT NOT NULL COLLATE localyun_nocase,
	user_name  TEXT NOT NULL COLLATE localyun_nocase,
	joined_at  BIGINT NOT NULL,
	PRIMARY KEY (account_id, group_name, user_name),
	FOREIGN KEY (account_id, group_name) REFERENCES ram_groups(account_id, name) ON UPDATE CASCADE,
	FOREIGN KEY (account_id, user_name) REFERENCES users(account_id, name) ON UPDATE CASCADE
);
CREATE INDEX group_members_by_user ON group_members(account_id, user_name);

CREATE TABLE policies (
	account_id      TEXT NOT NULL REFERENCES accounts(id),
	name            TEXT NOT NULL COLLATE localyun_nocase,
	description     TEXT NOT NULL,
	default_version TEXT NOT NULL,
	next_version    BIGINT NOT NULL,
	created_at      BIGINT NOT NULL,
	updated_at      BIGINT NOT NULL,
	PRIMARY KEY (account_id, name)
);
CREATE INDEX policies_by_key ON policies(account_id, lower(name COLLATE "C"));

CREATE TABLE policy_versions (
	account_id  TEXT NOT NULL,
	policy_name TEXT NOT NULL COLLATE localyun_nocase,
	version_id  TEXT NOT NULL,
	seq         BIGINT NOT NULL,
	document    TEXT NOT NULL,
	created_at  BIGINT NOT NULL,
	PRIMARY KEY (account_id, policy_name, version_id),
	FOREIGN KEY (account_id, policy_name) REFERENCES policies(account_id, name) ON DELETE CASCADE
);

-- Attachments of system and custom policies to users, groups and roles.
-- Principal renames are applied by the stores in the renaming transaction.
CREATE TABLE policy_attachments (
	seq            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	account_id     TEXT NOT NULL REFERENCES accounts(id),
	policy_type    TEXT NOT NULL,
	policy_name    TEXT NOT NULL COLLATE localyun_nocase,
	principal_type TEXT NOT NULL,
	principal_name TEXT NOT NULL COLLATE localyun_nocase,
	attached_at    BIGINT NOT NULL,
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
	created_at    BIGINT NOT NULL,
	expires_at    BIGINT NOT NULL
);
CREATE INDEX sts_sessions_by_expiry ON sts_sessions(expires_at);
