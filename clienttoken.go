package localyun

import (
	"context"
	"crypto/sha256"
	"time"
)

// ClientToken is the record of a request that created instances under an
// idempotency ClientToken (ECS RunInstances, CreateInstance): a retry with
// the same token in the same account and region gets the instances the
// first request created, and creates none. A record is kept until
// ExpiresAt; after that the token is free again.
type ClientToken struct {
	AccountID string
	RegionID  string
	Token     string // as sent: case-sensitive printable ASCII, 1 to 64 characters
	// Action is the API action that recorded the token; ParamsSum is the
	// digest of that request's parsed parameters (ClientToken and DryRun
	// aside). A retry matches when both are equal.
	Action      string
	ParamsSum   [sha256.Size]byte
	InstanceIDs []string // what the request created, in order
	CreatedAt   time.Time
	ExpiresAt   time.Time
}

// ClientTokenStore persists ClientToken records with the instances they
// created. Times are kept to the millisecond.
type ClientTokenStore interface {
	// CreateInstancesWithClientToken creates insts and records tok in one
	// transaction, unless a record of tok's account, region and token that
	// is unexpired at tok.CreatedAt exists: then it creates nothing and
	// returns that record with created false. Concurrent calls with one
	// token create one set of instances. An expired record of the token is
	// replaced. Returns ErrAlreadyExists if an instance id is taken (then
	// nothing is written).
	CreateInstancesWithClientToken(ctx context.Context, tok ClientToken, insts []Instance) (rec ClientToken, created bool, err error)
	// FindClientToken returns the record of a token unexpired at now, or
	// ErrNotFound.
	FindClientToken(ctx context.Context, accountID, regionID, token string, now time.Time) (ClientToken, error)
}
