CREATE TABLE accounts (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	created_at INTEGER NOT NULL
);

CREATE TABLE access_keys (
	id         TEXT PRIMARY KEY,
	secret     TEXT NOT NULL,
	account_id TEXT NOT NULL REFERENCES accounts(id),
	user_name  TEXT NOT NULL DEFAULT '',
	status     TEXT NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE INDEX access_keys_owner ON access_keys(account_id, user_name);

CREATE TABLE roles (
	id                   TEXT NOT NULL UNIQUE,
	account_id           TEXT NOT NULL REFERENCES accounts(id),
	name                 TEXT NOT NULL COLLATE NOCASE,
	description          TEXT NOT NULL,
	assume_role_policy   TEXT NOT NULL,
	max_session_duration INTEGER NOT NULL,
	created_at           INTEGER NOT NULL,
	updated_at           INTEGER NOT NULL,
	PRIMARY KEY (account_id, name)
);

-- One RAM role per instance is the ram_role_name column itself.
CREATE TABLE instances (
	seq           INTEGER PRIMARY KEY AUTOINCREMENT,
	id            TEXT NOT NULL UNIQUE,
	account_id    TEXT NOT NULL REFERENCES accounts(id),
	region_id     TEXT NOT NULL,
	zone_id       TEXT NOT NULL,
	name          TEXT NOT NULL,
	description   TEXT NOT NULL,
	status        TEXT NOT NULL,
	network_type  TEXT NOT NULL,
	vpc_id        TEXT NOT NULL,
	vswitch_id    TEXT NOT NULL,
	private_ip    TEXT NOT NULL,
	image_id      TEXT NOT NULL,
	instance_type TEXT NOT NULL,
	ram_role_name TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
	created_at    INTEGER NOT NULL
);
CREATE INDEX instances_by_region ON instances(account_id, region_id, seq);
CREATE INDEX instances_by_role ON instances(account_id, region_id, ram_role_name, seq);

CREATE TABLE bastion_instances (
	id          TEXT PRIMARY KEY,
	account_id  TEXT NOT NULL REFERENCES accounts(id),
	region_id   TEXT NOT NULL,
	status      TEXT NOT NULL,
	description TEXT NOT NULL,
	plan_code   TEXT NOT NULL,
	vpc_id      TEXT NOT NULL,
	vswitch_id  TEXT NOT NULL,
	created_at  INTEGER NOT NULL,
	expires_at  INTEGER NOT NULL
);
CREATE INDEX bastion_instances_by_account ON bastion_instances(account_id, id);
