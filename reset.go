package localyun

import "context"

// ResetOptions say how ResetAccount resets an account.
type ResetOptions struct {
	// DryRun counts the rows a reset would delete and deletes nothing (no
	// write transaction, so no audit event either).
	DryRun bool
	// ClearEvents deletes the account's audit events too. The request's
	// own pending event (the reset's) is written after, in the same
	// transaction, so it is the one event left.
	ClearEvents bool
}

// ResetCount is how many rows of one table a reset deleted (or, dry, would
// delete): rows of the account's own, not the rows that go with them
// (ON DELETE CASCADE: a bastion instance's hosts, users, grants...).
type ResetCount struct {
	Table string
	Rows  int
}

// AccountResetStore resets an account to how it was created.
type AccountResetStore interface {
	// ResetAccount deletes every resource of the account in one
	// transaction: every row of every table with an account_id (the
	// account's key, not a bastion host account's) and what goes with them
	// — RAM users and their AccessKeys, groups, roles, custom policies and
	// attachments, STS sessions, ECS instances, their sessions and client
	// tokens, bastion instances and everything under them — but the
	// account itself and its root AccessKeys, and its audit events unless
	// opts.ClearEvents. Which tables is read from the schema, so a table a
	// later migration adds is covered. It returns the rows deleted per
	// table, children before parents. After it commits nothing of the
	// account is served from a cache, and every live bastion session of
	// its instances is re-checked (ListenAccessChanges). Returns
	// ErrNotFound if there is no such account.
	ResetAccount(ctx context.Context, accountID string, opts ResetOptions) ([]ResetCount, error)
}
