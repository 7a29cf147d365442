// Package localyun holds the domain of localyun: the types every product
// shares, the error kinds stores return, the API error type, the store
// interfaces that the SQLite and PostgreSQL implementations satisfy, and
// RetryOnConflict, the one retry of the services' compare-and-set changes.
//
// localyun is a stateful server that speaks Alibaba Cloud's RPC OpenAPI
// protocol for ECS instance RAM roles, RAM/STS and Bastionhost
// authorizations. Every action runs in one lane: its route row
// (internal/protocol) parses a typed input once, authorization decides on
// the resources derived from that input (internal/server, internal/auth),
// the product's service method of the action's name holds every rule
// (internal/ecs, ram, sts, bastionhost), and a store method named for its
// intent runs the SQL (internal/sqlite, internal/postgres). This package
// imports only the standard library.
package localyun

import (
	"context"
	"time"
)

// Version is the release of localyun, reported by `localyun version`.
const Version = "0.1.0"

// Account is a tenant: a 16-digit account UID that owns every resource.
type Account struct {
	ID        string // 16-digit UID
	Name      string
	CreatedAt time.Time
}

// AccessKey statuses, as RAM spells them.
const (
	AccessKeyActive   = "Active"
	AccessKeyInactive = "Inactive"
)

// AccessKey is a long-lived credential. A key with an empty UserName belongs
// to the account root.
type AccessKey struct {
	ID        string
	Secret    string
	AccountID string
	UserName  string // RAM user name; empty for the account root
	Status    string // AccessKeyActive or AccessKeyInactive
	CreatedAt time.Time
}

// Principal types, as they appear in AccessDeniedDetail.AuthPrincipalType.
const (
	PrincipalTypeRoot    = "RootUser"
	PrincipalTypeUser    = "SubUser"
	PrincipalTypeAssumed = "AssumedRoleUser"
	PrincipalTypeService = "Service"
)

// Principal is the authenticated caller of one request.
type Principal struct {
	AccountID   string
	Type        string // PrincipalType*
	UserName    string // RAM user name, for PrincipalTypeUser
	RoleName    string // for PrincipalTypeAssumed
	SessionName string // for PrincipalTypeAssumed
	AccessKeyID string
	SourceIP    string
	Secure      bool
}

// IsRoot reports whether p is the account root, which needs no policy.
func (p Principal) IsRoot() bool { return p.Type == PrincipalTypeRoot }

// DisplayName is the principal's name for error details.
func (p Principal) DisplayName() string {
	switch p.Type {
	case PrincipalTypeUser:
		return p.UserName
	case PrincipalTypeAssumed:
		return p.RoleName + ":" + p.SessionName
	}
	return p.AccountID
}

type principalKey struct{}

// NewContextWithPrincipal returns a context that carries p.
func NewContextWithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFromContext returns the principal of the request, if any.
func PrincipalFromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
