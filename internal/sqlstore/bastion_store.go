package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/localyun/localyun"
)

// BastionSQL holds the literal statements of one dialect that Bastion
// runs: the store that embeds a Bastion writes them (its SQL, in plain
// sight), Bastion holds the Go around them. Object statements take
// (instance_id, id) first, unless said otherwise.
type BastionSQL struct {
	NextID         string // (instance_id, kind) → the kind's next id, in the creating transaction
	InsertInstance string // the values of BastionInstanceColumns

	// Hosts: Insert takes (instance_id, id, created_at, BastionHostValues);
	// Find reads BastionHostColumns; Update is the compare-and-set of the
	// BastionHostValues (CASArgs); Exists is "SELECT 1", Keep the same with
	// the lock that keeps the host until a new account of it commits.
	InsertHost, FindHost, UpdateHost, HostExists, KeepHost, DeleteHost string
	// Host accounts, the same, after host_id for Insert; their credentials
	// (WriteHostAccountSecret: COALESCE of password, private_key,
	// pass_phrase, then instance_id, id; ReadHostAccountSecret).
	InsertHostAccount, FindHostAccount, UpdateHostAccount, HostAccountExists, DeleteHostAccount string
	WriteHostAccountSecret, ReadHostAccountSecret                                               string
	// Users, the same; WriteUserSecret takes (password, instance_id, id).
	InsertUser, FindUser, UpdateUser, UserExists, DeleteUser string
	WriteUserSecret, ReadUserSecret                          string

	// Groups holds the statements of each kind of group.
	Groups map[string]GroupSQL
}

// GroupSQL holds the statements of one kind of group: user groups and
// host groups have the same shape in their own tables.
type GroupSQL struct {
	What, Seq string // the kind in errors; its kind of id
	Columns   string // of a group, alias g (BastionUserGroupColumns, BastionHostGroupColumns)
	From      string // the group table, alias g
	// Insert takes (instance_id, id, name, comment, created_at); Update
	// (name, comment, instance_id, id, old name, old comment).
	Insert, Find, Update, Exists, Delete string
	// Lock is Exists with the lock that serializes the membership batches
	// of a group.
	Lock string
	// Members finds (and keeps) the members (users or hosts) a batch names:
	// the dialect's own form, run by BastionConfig.FindMembers.
	Members string
	// AddMember and RemoveMember take (instance_id, group id, member id).
	AddMember, RemoveMember string
}

// BastionConfig is what a store gives its Bastion.
type BastionConfig struct {
	SQL *BastionSQL
	// InTx runs fn in one write transaction of the store (its withTx).
	InTx func(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error
	// ReadRow runs a single-row query outside a transaction.
	ReadRow func(ctx context.Context, query string, args ...any) Scanner
	// FormatError turns driver errors into localyun error kinds.
	FormatError func(error) error
	// Seal and Open seal and open one credential.
	Seal, Open func(string) (string, error)
	// FindMembers runs g.Members in tx for the well-formed member ids of
	// a batch and returns those that exist.
	FindMembers func(ctx context.Context, tx *sql.Tx, g GroupSQL, instanceID string, ids []int64) (map[int64]bool, error)
	// HostChanged, when set, is called once a write that changed or
	// deleted a host has ended (the SQLite store forgets its cached row).
	HostChanged func(instanceID string, id int64)
	// GrantsChanged, when set, is called once a write that may have
	// removed grants or changed who holds what has ended: the deletion of
	// a host, a host account, a user or a group (their grants cascade),
	// and every membership batch (the SQLite store forgets the grant lists
	// it keeps). The grant batches themselves are the store's own.
	GrantsChanged func()

	// Access holds the statements of the data plane (bastion_access.go);
	// Query runs a query of them outside a transaction.
	Access *AccessSQL
	Query  func(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	// AccessChanged, when set, runs in the transaction of every write that
	// can remove access in an instance (PostgreSQL: NOTIFY), and
	// AccessCommitted once it has committed (SQLite: the listeners of this
	// process).
	AccessChanged   func(ctx context.Context, tx *sql.Tx, instanceID string) error
	AccessCommitted func(instanceID string)
}

// Bastion implements the Bastionhost store methods that both stores run
// the same way, on the statements of their dialect: every write and the
// reads of one object. The stores embed it and implement the listings
// (whose SQL is built per dialect) themselves.
type Bastion struct{ c BastionConfig }

// NewBastion returns the Bastion of a store.
func NewBastion(c BastionConfig) Bastion { return Bastion{c: c} }

// Exists runs query, a literal "SELECT 1 FROM ... WHERE ..." of at most
// one row (with its lock clause, if any), and reports whether it found it.
func Exists(ctx context.Context, tx *sql.Tx, query string, args ...any) (bool, error) {
	var one int
	err := tx.QueryRowContext(ctx, query, args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// parseID parses the id of an object of kind what.
func parseID(what, s string) (int64, error) {
	n, ok := localyun.ParseBastionID(s)
	if !ok {
		return 0, BastionNotFound(what, s)
	}
	return n, nil
}

// create runs one creating transaction: it takes the next id of seq in the
// instance (failing with the foreign key's ErrNotFound when the instance
// does not exist), inserts the object with that id and reads it back.
func (b *Bastion) create(ctx context.Context, instanceID, seq string, insert func(tx *sql.Tx, id int64) error,
	find func(tx *sql.Tx, id int64) error) error {
	return b.c.InTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var n int64
		if err := tx.QueryRowContext(ctx, b.c.SQL.NextID, instanceID, seq).Scan(&n); err != nil {
			return err
		}
		if err := insert(tx, n); err != nil {
			return err
		}
		return find(tx, n)
	})
}

// find reads one object with query on (instance_id, id) through scan.
func (b *Bastion) find(ctx context.Context, what, instanceID, s, query string, scan func(Scanner) error) error {
	n, err := parseID(what, s)
	if err != nil {
		return err
	}
	err = scan(b.c.ReadRow(ctx, query, instanceID, n))
	if errors.Is(err, sql.ErrNoRows) {
		return BastionNotFound(what, s)
	}
	return b.c.FormatError(err)
}

// findTx is find in a transaction, for an object number.
func findTx(ctx context.Context, tx *sql.Tx, what, query, instanceID string, n int64, scan func(Scanner) error) error {
	err := scan(tx.QueryRowContext(ctx, query, instanceID, n))
	if errors.Is(err, sql.ErrNoRows) {
		return BastionNotFound(what, n)
	}
	return err
}

// update runs one compare-and-set: update with args, which changes the
// object (instance_id, s) only if it still holds the values its caller
// read; when it changes no row, exists tells ErrNotFound from
// ErrConflict. then, when set, runs in the same transaction after it.
func (b *Bastion) update(ctx context.Context, what, instanceID, s, update, exists string, args func(n int64) []any,
	then func(tx *sql.Tx, n int64) error) error {
	n, err := parseID(what, s)
	if err != nil {
		return err
	}
	return b.c.InTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		changed, err := RowsChanged(tx.ExecContext(ctx, update, args(n)...))
		if err := Swapped(changed, err, func() (bool, error) { return Exists(ctx, tx, exists, instanceID, n) }, what, s); err != nil {
			return err
		}
		if then == nil {
			return nil
		}
		return then(tx, n)
	})
}

// remove runs del, the DELETE of one object; foreign keys cascade to
// everything that names it, grants included (GrantsChanged follows).
func (b *Bastion) remove(ctx context.Context, what, instanceID, s, del string) error {
	n, err := parseID(what, s)
	if err != nil {
		return err
	}
	defer b.grantsChanged()
	err = b.c.InTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		changed, err := RowsChanged(tx.ExecContext(ctx, del, instanceID, n))
		if err == nil && !changed {
			return BastionNotFound(what, s)
		}
		if err != nil {
			return err
		}
		return b.accessTx(ctx, tx, instanceID)
	})
	if err == nil {
		b.accessDone(instanceID)
	}
	return err
}

// grantsChanged calls GrantsChanged, if set.
func (b *Bastion) grantsChanged() {
	if b.c.GrantsChanged != nil {
		b.c.GrantsChanged()
	}
}

// group returns the statements of a kind of group.
func (b *Bastion) group(kind string) (GroupSQL, error) { return b.c.SQL.Group(kind) }

// Group returns the statements of a kind of group; ErrInvalid for another
// kind.
func (q *BastionSQL) Group(kind string) (GroupSQL, error) {
	g, ok := q.Groups[kind]
	if !ok {
		return g, fmt.Errorf("bastion group kind %q: %w", kind, localyun.ErrInvalid)
	}
	return g, nil
}

// GroupListing returns the statements of the groups f lists; ErrInvalid
// for another kind, or for user groups of a grantee (grants name host
// groups only).
func (q *BastionSQL) GroupListing(f localyun.BastionGroupFilter) (GroupSQL, error) {
	if f.Grantee != nil && f.Kind != localyun.BastionGroupHost {
		return GroupSQL{}, fmt.Errorf("grants of %q groups: %w", f.Kind, localyun.ErrInvalid)
	}
	return q.Group(f.Kind)
}

// FoundIDs reads the one id column of rows (an error of the query that
// returned them goes through) into a set.
func FoundIDs(rows *sql.Rows, err error) (map[int64]bool, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	found := map[int64]bool{}
	for rows.Next() {
		var n int64
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		found[n] = true
	}
	return found, rows.Err()
}
