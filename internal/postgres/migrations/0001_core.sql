CREATE TABLE accounts (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	created_at BIGINT NOT NULL
);

CREATE TABLE access_keys (
	id         TEXT PRIMARY KEY,
	secret     TEXT NOT NULL,
	account_id TEXT NOT NULL REFERENCES accounts(id),
	user_name  TEXT NOT NULL DEFAULT '',
	status     TEXT NOT NULL,
	created_at BIGINT NOT NULL
);
CREATE INDEX access_keys_owner ON access_keys(account_id, user_name);

-- Role names are unique per account regardless of case.
CREATE TABLE roles (
	id                   TEXT NOT NULL UNIQUE,
	account_id           TEXT NOT NULL REFERENCES accounts(id),
	name                 TEXT NOT NULL,
	name_key             TEXT GENERATED ALWAYS AS (lower(name)) STORED,
	description          TEXT NOT NULL,
	assume_role_policy   TEXT NOT NULL,
	max_session_duration BIGINT NOT NULL,
	created_at           BIGINT NOT NULL,
	updated_at           BIGINT NOT NULL,
	PRIMARY KEY (account_id, name_key)
);

-- One RAM role per instance is the ram_role_name column itself.
CREATE TABLE instances (
	seq           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
	ram_role_name TEXT NOT NULL DEFAULT '',
	created_at    BIGINT NOT NULL
);
CREATE INDEX instances_by_region ON instances(account_id, region_id, seq);
CREATE INDEX instances_by_role ON instances(account_id, region_id, lower(ram_role_name), seq);

CREATE TABLE bastion_instances (
	id          TEXT PRIMARY KEY,
	account_id  TEXT NOT NULL REFERENCES accounts(id),
	region_id   TEXT NOT NULL,
	status      TEXT NOT NULL,
	description TEXT NOT NULL,
	plan_code   TEXT NOT NULL,
	vpc_id      TEXT NOT NULL,
	vswitch_id  TEXT NOT NULL,
	created_at  BIGINT NOT NULL,
	expires_at  BIGINT NOT NULL
);
CREATE INDEX bastion_instances_by_account ON bastion_instances(account_id, id);

-- The signature-nonce replay window, shared by every node.
CREATE TABLE nonces (
	key        TEXT PRIMARY KEY,
	expires_at BIGINT NOT NULL
);
CREATE INDEX nonces_by_expiry ON nonces(expires_at);
