// Package bastionhost implements the Bastionhost API (Yundun-bastionhost
// 2019-12-09) subset localyun serves: bastion instances, hosts, host
// accounts, users, user groups, host groups and the grants between them.
//
// Each family of actions has its file of route rows and parsers
// (instance.go, host.go, host_account.go, user.go, group.go) and the file of
// its Service methods, one per action and of the action's name
// (host_service.go, ...), which hold every rule.
package bastionhost

import (
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/localyun/localyun"
)

// Store is what the Bastionhost service needs of a store.
type Store interface {
	localyun.BastionInstanceStore
	localyun.BastionStore
}

// Options configure a Service.
type Options struct {
	Now func() time.Time
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
	return &Service{store: store, opts: opts}
}

func accountOf(ctx context.Context) string {
	p, _ := localyun.PrincipalFromContext(ctx)
	return p.AccountID
}

// Instance checks that the bastion instance exists in the caller's account
// (and in regionID, when given). Returns Commodity.BizError.InvalidStatus.
func (s *Service) Instance(ctx context.Context, instanceID, regionID string) (localyun.BastionInstance, error) {
	b, err := s.store.FindBastionInstance(ctx, accountOf(ctx), instanceID)
	if errors.Is(err, localyun.ErrNotFound) || err == nil && regionID != "" && b.RegionID != regionID {
		return b, errInstanceNotFound
	}
	return b, err
}

// instance is Instance for the instance an action names.
func (s *Service) instance(ctx context.Context, ref InstanceRef) error {
	_, err := s.Instance(ctx, ref.InstanceID, ref.RegionID)
	return err
}

// objectError maps store kinds to the top-level error of an object kind.
func objectError(err error, notFound, exists error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, localyun.ErrNotFound) && notFound != nil:
		return notFound
	case errors.Is(err, localyun.ErrAlreadyExists) && exists != nil:
		return exists
	}
	return err
}

// maxCASAttempts bounds how often a change that reads an object, applies
// its rules and writes it with a compare-and-set is tried when concurrent
// changes of the same object win the race; after that it fails with the
// store's ErrConflict (409 OperationConflict).
const maxCASAttempts = 10

// retryCAS runs change (read, rules, compare-and-set write) again while
// the write reports that the object changed since it was read, after a
// short random pause that grows with the attempts (so that the racers
// spread out).
func retryCAS(ctx context.Context, change func() error) error {
	var err error
	for attempt := 1; ; attempt++ {
		if err = change(); !errors.Is(err, localyun.ErrConflict) || attempt == maxCASAttempts {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(rand.Int64N(int64(attempt) * int64(time.Millisecond)))):
		}
	}
}

// Validation. Each rule names the parameter it is about, so the seed file
// loader can reuse it.

func checkLen(name, v string, min, max int) error {
	if !utf8.ValidString(v) {
		return errInvalid(name, "not valid UTF-8")
	}
	n := utf8.RuneCountInString(v)
	if n < min || n > max {
		if min > 0 && v == "" {
			return errMissing(name)
		}
		return errInvalid(name, "length must be from "+strconv.Itoa(min)+" to "+strconv.Itoa(max))
	}
	for _, r := range v {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return errInvalid(name, "control characters are not allowed")
		}
	}
	return nil
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
