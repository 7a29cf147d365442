package sqlite

// These statements are the only SQL that reads or writes the credential
// columns of bastion host accounts (password, private_key, pass_phrase) and
// bastion users (password); listings read only "has a password"
// (sqlstore.BastionHostAccountColumns). Non-empty credentials are sealed
// with the store's Sealer (the master key) when one is set
// (sqlstore.SealSecret).
const (
	writeHostAccountSecretSQL = `UPDATE bastion_host_accounts SET password = COALESCE(?, password),
		private_key = COALESCE(?, private_key), pass_phrase = COALESCE(?, pass_phrase) WHERE instance_id = ? AND id = ?`
	readHostAccountSecretSQL = `SELECT password, private_key, pass_phrase FROM bastion_host_accounts
		WHERE instance_id = ? AND id = ?`
	writeUserSecretSQL = `UPDATE bastion_users SET password = ? WHERE instance_id = ? AND id = ?`
	readUserSecretSQL  = `SELECT password FROM bastion_users WHERE instance_id = ? AND id = ?`
)
