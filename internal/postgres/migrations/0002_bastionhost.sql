-- PostgreSQL port of the SQLite 0002_bastionhost.sql: the same tables,
-- columns, keys and cascades (a migration copies rows table by table, column
-- by column). SQLite INTEGER is BIGINT here, 0/1 flags included; names
-- compare exactly as in SQLite (its bastion tables use the BINARY collation),
-- and account_name orders by bytes (COLLATE "C") like SQLite's ORDER BY.
--
-- Bastionhost objects and grants. Every object is keyed by (instance_id, id)
-- where id is a per-instance, per-kind number taken from bastion_id_seqs in
-- the creating transaction. Grants are rows whose primary key makes them
-- unique and whose foreign keys cascade, so deleting any object removes
-- every grant and membership that names it.

CREATE TABLE bastion_id_seqs (
	instance_id TEXT NOT NULL REFERENCES bastion_instances(id) ON DELETE CASCADE,
	kind        TEXT NOT NULL,
	last_id     BIGINT NOT NULL,
	PRIMARY KEY (instance_id, kind)
);

CREATE TABLE bastion_hosts (
	instance_id           TEXT NOT NULL REFERENCES bastion_instances(id) ON DELETE CASCADE,
	id                    BIGINT NOT NULL,
	name                  TEXT NOT NULL,
	comment               TEXT NOT NULL,
	os_type               TEXT NOT NULL,
	source                TEXT NOT NULL,
	source_instance_id    TEXT NOT NULL,
	source_instance_state TEXT NOT NULL,
	instance_region_id    TEXT NOT NULL,
	instance_member_id    BIGINT NOT NULL,
	active_address_type   TEXT NOT NULL,
	public_address        TEXT NOT NULL,
	private_address       TEXT NOT NULL,
	network_domain_id     TEXT NOT NULL,
	pref_kex              TEXT NOT NULL,
	created_at            BIGINT NOT NULL,
	PRIMARY KEY (instance_id, id)
);
CREATE INDEX bastion_hosts_by_name ON bastion_hosts(instance_id, name);

-- Credentials (password, private_key, pass_phrase) are read and written only
-- by bastion_secret.go.
CREATE TABLE bastion_host_accounts (
	instance_id              TEXT NOT NULL,
	id                       BIGINT NOT NULL,
	host_id                  BIGINT NOT NULL,
	name                     TEXT NOT NULL,
	protocol_name            TEXT NOT NULL,
	privilege_type           TEXT NOT NULL,
	rotation_mode            TEXT NOT NULL,
	host_share_key_id        TEXT NOT NULL,
	private_key_fingerprint  TEXT NOT NULL,
	password                 TEXT NOT NULL DEFAULT '',
	private_key              TEXT NOT NULL DEFAULT '',
	pass_phrase              TEXT NOT NULL DEFAULT '',
	created_at               BIGINT NOT NULL,
	PRIMARY KEY (instance_id, id),
	UNIQUE (instance_id, host_id, id),
	UNIQUE (instance_id, host_id, name, protocol_name),
	FOREIGN KEY (instance_id, host_id) REFERENCES bastion_hosts(instance_id, id) ON DELETE CASCADE
);

CREATE TABLE bastion_users (
	instance_id          TEXT NOT NULL REFERENCES bastion_instances(id) ON DELETE CASCADE,
	id                   BIGINT NOT NULL,
	name                 TEXT NOT NULL,
	display_name         TEXT NOT NULL,
	comment              TEXT NOT NULL,
	email                TEXT NOT NULL,
	mobile               TEXT NOT NULL,
	mobile_country_code  TEXT NOT NULL,
	source               TEXT NOT NULL,
	source_user_id       TEXT NOT NULL,
	need_reset_password  BIGINT NOT NULL,
	effective_start_time BIGINT NOT NULL,
	effective_end_time   BIGINT NOT NULL,
	two_factor_status    TEXT NOT NULL,
	two_factor_methods   TEXT NOT NULL, -- comma-separated
	language_status      TEXT NOT NULL,
	language             TEXT NOT NULL,
	password             TEXT NOT NULL DEFAULT '',
	created_at           BIGINT NOT NULL,
	PRIMARY KEY (instance_id, id),
	UNIQUE (instance_id, name)
);

CREATE TABLE bastion_user_groups (
	instance_id TEXT NOT NULL REFERENCES bastion_instances(id) ON DELETE CASCADE,
	id          BIGINT NOT NULL,
	name        TEXT NOT NULL,
	comment     TEXT NOT NULL,
	created_at  BIGINT NOT NULL,
	PRIMARY KEY (instance_id, id),
	UNIQUE (instance_id, name)
);

CREATE TABLE bastion_user_group_members (
	instance_id   TEXT NOT NULL,
	user_group_id BIGINT NOT NULL,
	user_id       BIGINT NOT NULL,
	PRIMARY KEY (instance_id, user_group_id, user_id),
	FOREIGN KEY (instance_id, user_group_id) REFERENCES bastion_user_groups(instance_id, id) ON DELETE CASCADE,
	FOREIGN KEY (instance_id, user_id) REFERENCES bastion_users(instance_id, id) ON DELETE CASCADE
);
CREATE INDEX bastion_user_group_members_by_user ON bastion_user_group_members(instance_id, user_id);

CREATE TABLE bastion_host_groups (
	instance_id TEXT NOT NULL REFERENCES bastion_instances(id) ON DELETE CASCADE,
	id          BIGINT NOT NULL,
	name        TEXT NOT NULL,
	comment     TEXT NOT NULL,
	created_at  BIGINT NOT NULL,
	PRIMARY KEY (instance_id, id),
	UNIQUE (instance_id, name)
);

CREATE TABLE bastion_host_group_members (
	instance_id   TEXT NOT NULL,
	host_group_id BIGINT NOT NULL,
	host_id       BIGINT NOT NULL,
	PRIMARY KEY (instance_id, host_group_id, host_id),
	FOREIGN KEY (instance_id, host_group_id) REFERENCES bastion_host_groups(instance_id, id) ON DELETE CASCADE,
	FOREIGN KEY (instance_id, host_id) REFERENCES bastion_hosts(instance_id, id) ON DELETE CASCADE
);
CREATE INDEX bastion_host_group_members_by_host ON bastion_host_group_members(instance_id, host_id);

-- Grants to user groups. An account grant needs the host grant of the same
-- group (it cascades when the host grant is revoked) and an account of that
-- very host.
CREATE TABLE bastion_group_host_grants (
	instance_id   TEXT NOT NULL,
	grantee_id    BIGINT NOT NULL,
	host_id       BIGINT NOT NULL,
	PRIMARY KEY (instance_id, grantee_id, host_id),
	FOREIGN KEY (instance_id, grantee_id) REFERENCES bastion_user_groups(instance_id, id) ON DELETE CASCADE,
	FOREIGN KEY (instance_id, host_id) REFERENCES bastion_hosts(instance_id, id) ON DELETE CASCADE
);
CREATE INDEX bastion_group_host_grants_by_host ON bastion_group_host_grants(instance_id, host_id);

CREATE TABLE bastion_group_account_grants (
	instance_id     TEXT NOT NULL,
	grantee_id      BIGINT NOT NULL,
	host_id         BIGINT NOT NULL,
	host_account_id BIGINT NOT NULL,
	PRIMARY KEY (instance_id, grantee_id, host_account_id),
	FOREIGN KEY (instance_id, grantee_id, host_id) REFERENCES bastion_group_host_grants(instance_id, grantee_id, host_id) ON DELETE CASCADE,
	FOREIGN KEY (instance_id, host_id, host_account_id) REFERENCES bastion_host_accounts(instance_id, host_id, id) ON DELETE CASCADE
);
CREATE INDEX bastion_group_account_grants_by_account ON bastion_group_account_grants(instance_id, host_id, host_account_id);

CREATE TABLE bastion_group_host_group_grants (
	instance_id   TEXT NOT NULL,
	grantee_id    BIGINT NOT NULL,
	host_group_id BIGINT NOT NULL,
	PRIMARY KEY (instance_id, grantee_id, host_group_id),
	FOREIGN KEY (instance_id, grantee_id) REFERENCES bastion_user_groups(instance_id, id) ON DELETE CASCADE,
	FOREIGN KEY (instance_id, host_group_id) REFERENCES bastion_host_groups(instance_id, id) ON DELETE CASCADE
);
CREATE INDEX bastion_group_host_group_grants_by_group ON bastion_group_host_group_grants(instance_id, host_group_id);

CREATE TABLE bastion_group_host_group_account_grants (
	instance_id   TEXT NOT NULL,
	grantee_id    BIGINT NOT NULL,
	host_group_id BIGINT NOT NULL,
	account_name  TEXT COLLATE "C" NOT NULL,
	PRIMARY KEY (instance_id, grantee_id, host_group_id, account_name),
	FOREIGN KEY (instance_id, grantee_id, host_group_id) REFERENCES bastion_group_host_group_grants(instance_id, grantee_id, host_group_id) ON DELETE CASCADE
);

-- The same four tables for grants to single users.
CREATE TABLE bastion_user_host_grants (
	instance_id   TEXT NOT NULL,
	grantee_id    BIGINT NOT NULL,
	host_id       BIGINT NOT NULL,
	PRIMARY KEY (instance_id, grantee_id, host_id),
	FOREIGN KEY (instance_id, grantee_id) REFERENCES bastion_users(instance_id, id) ON DELETE CASCADE,
	FOREIGN KEY (instance_id, host_id) REFERENCES bastion_hosts(instance_id, id) ON DELETE CASCADE
);
CREATE INDEX bastion_user_host_grants_by_host ON bastion_user_host_grants(instance_id, host_id);

CREATE TABLE bastion_user_account_grants (
	instance_id     TEXT NOT NULL,
	grantee_id      BIGINT NOT NULL,
	host_id         BIGINT NOT NULL,
	host_account_id BIGINT NOT NULL,
	PRIMARY KEY (instance_id, grantee_id, host_account_id),
	FOREIGN KEY (instance_id, grantee_id, host_id) REFERENCES bastion_user_host_grants(instance_id, grantee_id, host_id) ON DELETE CASCADE,
	FOREIGN KEY (instance_id, host_id, host_account_id) REFERENCES bastion_host_accounts(instance_id, host_id, id) ON DELETE CASCADE
);
CREATE INDEX bastion_user_account_grants_by_account ON bastion_user_account_grants(instance_id, host_id, host_account_id);

CREATE TABLE bastion_user_host_group_grants (
	instance_id   TEXT NOT NULL,
	grantee_id    BIGINT NOT NULL,
	host_group_id BIGINT NOT NULL,
	PRIMARY KEY (instance_id, grantee_id, host_group_id),
	FOREIGN KEY (instance_id, grantee_id) REFERENCES bastion_users(instance_id, id) ON DELETE CASCADE,
	FOREIGN KEY (instance_id, host_group_id) REFERENCES bastion_host_groups(instance_id, id) ON DELETE CASCADE
);
CREATE INDEX bastion_user_host_group_grants_by_group ON bastion_user_host_group_grants(instance_id, host_group_id);

CREATE TABLE bastion_user_host_group_account_grants (
	instance_id   TEXT NOT NULL,
	grantee_id    BIGINT NOT NULL,
	host_group_id BIGINT NOT NULL,
	account_name  TEXT COLLATE "C" NOT NULL,
	PRIMARY KEY (instance_id, grantee_id, host_group_id, account_name),
	FOREIGN KEY (instance_id, grantee_id, host_group_id) REFERENCES bastion_user_host_group_grants(instance_id, grantee_id, host_group_id) ON DELETE CASCADE
);
