// Package bastionhost implements the Bastionhost API (Yundun-bastionhost
// 2019-12-09) subset localyun serves: bastion instances, hosts, host
// accounts, users, user groups, host groups and the grants between them.
//
// Each family of actions has its file of route rows and parsers (host.go,
// host_account.go, user.go, group.go, grant.go) and the file of its Service
// methods, one per action and of the action's name (host_service.go,
// host_account_service.go, user_service.go, group_service.go,
// grant_service.go), which hold every rule; the instance family
// (DescribeInstances, DescribeRegions) keeps its rows and its Service
// methods in instance.go. handlers.go registers the families, route.go
// holds the route plumbing they share, and this file the Service, the
// validation rules and the mapping of store errors.
package bastionhost

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/protocol"
)

// Store is what the Bastionhost service needs of a store.
type Store interface {
	localyun.BastionInstanceStore
	localyun.BastionStore
}

// Options configure a Service.
type Options struct {
	Now func() time.Time
	// Watcher, when set, is told of every committed write that can remove
	// access (see AccessWatcher).
	Watcher AccessWatcher
	// LoginFailureLimit failed logins in a row lock a user's logins for
	// LoginLockout (defaults DefaultLoginFailureLimit, DefaultLoginLockout).
	LoginFailureLimit int
	LoginLockout      time.Duration
	// TokenTTL is how long an O&M token is valid (DefaultTokenTTL).
	TokenTTL time.Duration
	// SSHAddr, when set, returns the address ("host:port") where the
	// bastion SSH gateway listens for an instance now, "" where it does
	// not; DescribeInstanceAttribute and DescribeInstances show it as the
	// instance's O&M endpoint and port. Nil: no gateway.
	SSHAddr func(instanceID string) string
}

// Service holds the Bastionhost rules.
type Service struct {
	store Store
	opts  Options
}

// NewService returns a Bastionhost service over store.
func NewService(store Store, opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.LoginFailureLimit <= 0 {
		opts.LoginFailureLimit = DefaultLoginFailureLimit
	}
	if opts.LoginLockout <= 0 {
		opts.LoginLockout = DefaultLoginLockout
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = DefaultTokenTTL
	}
	return &Service{store: store, opts: opts}
}

func accountOf(ctx context.Context) string {
	p, _ := localyun.PrincipalFromContext(ctx)
	return p.AccountID
}

// instance checks that the bastion instance an action names exists in the
// caller's account (and in its RegionId, when sent). Returns
// Commodity.BizError.InvalidStatus.
func (s *Service) instance(ctx context.Context, ref InstanceRef) error {
	b, err := s.store.FindBastionInstance(ctx, accountOf(ctx), ref.InstanceID)
	if errors.Is(err, localyun.ErrNotFound) || err == nil && ref.RegionID != "" && b.RegionID != ref.RegionID {
		return errInstanceNotFound
	}
	return err
}

// objectError maps store kinds to the top-level error of an object kind,
// and a change that lost every round to concurrent changes
// (localyun.RetryOnConflict) to OperationConflict.
func objectError(err error, notFound, exists error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, localyun.ErrTooManyConflicts):
		return protocol.ErrOperationConflict(err)
	case errors.Is(err, localyun.ErrNotFound) && notFound != nil:
		return notFound
	case errors.Is(err, localyun.ErrAlreadyExists) && exists != nil:
		return exists
	}
	return err
}

// Validation. Each rule names the parameter it is about, so the seed file
// loader can reuse it.

// checkLen checks a name or an id: min to max characters of valid UTF-8
// with no control character (protocol.CheckName); empty when min > 0 is
// a missing parameter.
func checkLen(name, v string, min, max int) error {
	return checkChars(name, v, min, max, protocol.CheckName)
}

// checkText is checkLen for free text (a comment, a password): tabs and
// line breaks are allowed in it.
func checkText(name, v string, min, max int) error {
	return checkChars(name, v, min, max, protocol.CheckText)
}

func checkChars(name, v string, min, max int, check func(string, int, int) error) error {
	switch check(v, min, max) {
	case nil:
		return nil
	case protocol.ErrTextLength:
		if min > 0 && v == "" {
			return errMissing(name)
		}
		return errInvalid(name, "length must be from "+strconv.Itoa(min)+" to "+strconv.Itoa(max))
	case protocol.ErrTextEncoding:
		return errInvalid(name, "not valid UTF-8")
	}
	return errInvalid(name, "control characters are not allowed")
}

func checkEnum(name, v string, allowed ...string) (string, error) {
	for _, a := range allowed {
		if strings.EqualFold(v, a) {
			return a, nil
		}
	}
	return "", errInvalid(name, "must be one of "+strings.Join(allowed, ", "))
}

// checkAddress accepts an IPv4 or IPv6 address or a domain name.
func checkAddress(name, v string) error {
	if v == "" || len(v) > 253 {
		return errInvalid(name, "must be an IP address or a domain name")
	}
	for _, r := range v {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == ':' || r == '_') {
			return errInvalid(name, "must be an IP address or a domain name")
		}
	}
	return nil
}

// granteeWhat names a grantee kind in messages.
func granteeWhat(kind string) string {
	if kind == localyun.GranteeUser {
		return "user"
	}
	return "user group"
}
