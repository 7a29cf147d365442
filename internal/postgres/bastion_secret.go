package postgres

// These statements are the only SQL that reads or writes the credential
// columns of bastion host accounts (password, private_key, pass_phrase) and
// bastion users (password); listings read only "has a password"
// (sqlstore.BastionHostAccountColumns). Non-empty credentials are stored
// sealed with st.Sealer when it is set ("sealed:" + Sealer.Seal(plaintext),
// the SQLite store's format); unprefixed values are plaintext (written
// without a master key or copied from such a database) and read as they
// are. An empty credential stays empty, so that "has a password" remains a
// plain column test (sqlstore.SealSecret).
const (
	writeHostAccountSecretSQL = `UPDATE bastion_host_accounts SET password = COALESCE($1, password),
		private_key = COALESCE($2, private_key), pass_phrase = COALESCE($3, pass_phrase) WHERE instance_id = $4 AND id = $5`
	readHostAccountSecretSQL = `SELECT password, private_key, pass_phrase FROM bastion_host_accounts
		WHERE instance_id = $1 AND id = $2`
	writeUserSecretSQL = `UPDATE bastion_users SET password = $1 WHERE instance_id = $2 AND id = $3`
	readUserSecretSQL  = `SELECT password FROM bastion_users WHERE instance_id = $1 AND id = $2`
)

func (st *Store) sealBastionSecret(s string) (string, error) { return sealWith(st.Sealer, s) }

func (st *Store) openBastionSecret(s string) (string, error) { return unsealWith(st.Sealer, s) }
