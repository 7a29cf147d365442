-- The audit trail (ActionTrail LookupEvents): one row per event. seq orders
-- the events of one millisecond (and is the paging cursor with event_time,
-- Unix milliseconds); body is the event's ActionTrail record (JSON) and
-- the other columns are the fields LookupAttribute matches.
-- resource_types and resource_names hold the event's resources as
-- ",a,b," so that one of them is matched with strpos. An event belongs to
-- account_id (recipientAccountId) and is never read across accounts.
CREATE TABLE events (
	seq            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	account_id     TEXT NOT NULL,
	event_time     BIGINT NOT NULL,
	event_id       TEXT NOT NULL,
	event_name     TEXT NOT NULL,
	service_name   TEXT NOT NULL,
	event_rw       TEXT NOT NULL,
	user_name      TEXT NOT NULL,
	access_key_id  TEXT NOT NULL,
	resource_types TEXT NOT NULL,
	resource_names TEXT NOT NULL,
	body           TEXT NOT NULL
);
CREATE INDEX events_by_time ON events (account_id, event_time, seq);
-- The LookupAttribute keys are matched while scanning the account's events
-- of the time window (newest or oldest first) through events_by_time: an
-- index per key (five more B-trees for every event written, in the same
-- transaction as the change) halved the throughput of single writes on
-- SQLite (BENCHMARKS.md, issue 16); LookupEvents is a troubleshooting
-- read (two calls a second on Alibaba Cloud), the change is the hot path.
-- Retention deletes by time across accounts.
CREATE INDEX events_expiry ON events (event_time);
