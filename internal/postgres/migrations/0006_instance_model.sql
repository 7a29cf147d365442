-- The ECS instance model the typed SDKs read (issue 13): host name,
-- billing, security groups, tags and metadata options; the same columns
-- and back-fill as SQLite's 0006 (see there). security_group_ids and tags
-- are JSON text, filtered as jsonb.
ALTER TABLE instances ADD COLUMN host_name TEXT NOT NULL DEFAULT '';
ALTER TABLE instances ADD COLUMN charge_type TEXT NOT NULL DEFAULT 'PostPaid';
ALTER TABLE instances ADD COLUMN expires_at BIGINT NOT NULL DEFAULT 4102415940000;
ALTER TABLE instances ADD COLUMN security_group_ids TEXT NOT NULL DEFAULT '[]';
ALTER TABLE instances ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
ALTER TABLE instances ADD COLUMN http_endpoint TEXT NOT NULL DEFAULT 'enabled';
ALTER TABLE instances ADD COLUMN http_tokens TEXT NOT NULL DEFAULT 'optional';
ALTER TABLE instances ADD COLUMN hop_limit INTEGER NOT NULL DEFAULT 1;
UPDATE instances SET host_name = 'iZ' || (CASE WHEN id LIKE 'i-%' THEN substr(id, 3) ELSE id END) || 'Z';
