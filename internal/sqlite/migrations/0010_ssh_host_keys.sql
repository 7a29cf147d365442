-- The bastion SSH gateway's state of each bastion instance (internal/sshgw):
-- slot is the offset of its listener's port from the gateway's base address
-- (0, 1, 2 ... in the order the gateway first met the instances, so ports
-- stay the same across restarts), private_key its SSH host key in OpenSSH
-- PEM form, sealed with the master key when one is set. created_at is Unix
-- milliseconds.
CREATE TABLE bastion_ssh_host_keys (
	instance_id TEXT PRIMARY KEY REFERENCES bastion_instances(id) ON DELETE CASCADE,
	slot        INTEGER NOT NULL UNIQUE,
	private_key TEXT NOT NULL,
	created_at  INTEGER NOT NULL
);
