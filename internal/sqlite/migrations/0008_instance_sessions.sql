-- Instance RAM role sessions (issue 14): the STS sessions the instance
-- metadata service issues to an instance for its attached role.
-- sts_sessions.instance_id binds a session to the instance it was issued
-- to ('' for AssumeRole sessions), so that --revocation strict can refuse
-- it once the instance no longer holds the role. instance_sessions names
-- the current session of each instance and keeps its SecurityToken
-- (sealed with the master key, like the session's secret), so that the
-- instance asking again gets the same credentials; the row goes with its
-- session when expired sessions are deleted, and with its instance
-- (ON DELETE CASCADE both).
-- Replacing the current session is a compare-and-set on access_key_id
-- (instance_session.go).
ALTER TABLE sts_sessions ADD COLUMN instance_id TEXT NOT NULL DEFAULT '';
CREATE TABLE instance_sessions (
	instance_id   TEXT PRIMARY KEY REFERENCES instances(id) ON DELETE CASCADE,
	access_key_id TEXT NOT NULL UNIQUE REFERENCES sts_sessions(access_key_id) ON DELETE CASCADE,
	token         TEXT NOT NULL
) WITHOUT ROWID;
