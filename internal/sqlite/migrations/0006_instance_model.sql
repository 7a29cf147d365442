-- The ECS instance model the typed SDKs read (issue 13): host name,
-- billing, security groups, tags and metadata options. An instance created
-- before this migration gets what RunInstances gives one created without
-- them: the host name iZ<id without "i-">Z, pay-as-you-go (which ECS shows
-- as expiring at 2099-12-31T15:59Z, 4102415940000 in Unix milliseconds),
-- no security group (the service shows none: see docs/compatibility.md),
-- no tags, the metadata channel enabled with tokens optional and one hop.
-- security_group_ids and tags are JSON arrays (["sg-..."] and
-- [{"Key":...,"Value":...}]): read with the row, filtered with json_each.
ALTER TABLE instances ADD COLUMN host_name TEXT NOT NULL DEFAULT '';
ALTER TABLE instances ADD COLUMN charge_type TEXT NOT NULL DEFAULT 'PostPaid';
ALTER TABLE instances ADD COLUMN expires_at INTEGER NOT NULL DEFAULT 4102415940000;
ALTER TABLE instances ADD COLUMN security_group_ids TEXT NOT NULL DEFAULT '[]';
ALTER TABLE instances ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
ALTER TABLE instances ADD COLUMN http_endpoint TEXT NOT NULL DEFAULT 'enabled';
ALTER TABLE instances ADD COLUMN http_tokens TEXT NOT NULL DEFAULT 'optional';
ALTER TABLE instances ADD COLUMN hop_limit INTEGER NOT NULL DEFAULT 1;
UPDATE instances SET host_name = 'iZ' || (CASE WHEN id LIKE 'i-%' THEN substr(id, 3) ELSE id END) || 'Z';
