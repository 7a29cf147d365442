// Package ram implements the RAM API (2015-05-01): roles, users, access
// keys, groups, custom and system policies and their attachments.
//
// Each action is one row of Register (actions.go): a typed input parsed
// once (inputs*.go), the entities it names for authorization (resources.go),
// and a handler (handlers.go) that calls the Service method of the action's
// name, where its rules are (role.go, user.go, group.go, accesskey.go,
// policy.go, attachment.go).
package ram

import (
	"context"
	"crypto/rand"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/auth"
)

// Store is what the RAM service needs of a store.
type Store interface {
	localyun.RoleStore
	localyun.UserStore
	localyun.GroupStore
	localyun.PolicyStore
}

// Options configure a Service.
type Options struct {
	Now   func() time.Time
	NewID func(kind string) string
	// Diagnostics opens the EncodedDiagnosticMessage of denials
	// (DecodeDiagnosticMessage); nil: none opens.
	Diagnostics *auth.Diagnostics
}

// Service holds the RAM rules.
type Service struct {
	store Store
	opts  Options
}

// NewService returns a RAM service over store.
func NewService(store Store, opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Service{store: store, opts: opts}
}

// Limits of the RAM API that localyun enforces.
const (
	DefaultMaxSessionDuration = 3600
	MinMaxSessionDuration     = 3600
	MaxMaxSessionDuration     = 43200
	MaxAccessKeysPerUser      = 2
	MaxPolicyVersions         = 5
)

func accountOf(ctx context.Context) string {
	p, _ := localyun.PrincipalFromContext(ctx)
	return p.AccountID
}

func (s *Service) now() time.Time { return s.opts.Now().UTC().Truncate(time.Second) }

// listPage returns up to max items of a listing that find reads (asked for
// one more than max, to tell whether the listing goes on), and the Marker
// of the next page: the name of the last item returned ("" at the end).
func listPage[T any](max int, find func(limit int) ([]T, error), name func(T) string) ([]T, string, error) {
	items, err := find(max + 1)
	if err != nil {
		return nil, "", err
	}
	if len(items) <= max {
		return items, "", nil
	}
	items = items[:max]
	return items, encodeMarker(name(items[max-1])), nil
}

func randomAlnum(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// numericID is the id of a user or group: "2" and 16 digits.
func numericID() string {
	b := make([]byte, 16)
	rand.Read(b)
	out := []byte{'2'}
	for _, c := range b {
		out = append(out, '0'+c%10)
	}
	return string(out)
}
