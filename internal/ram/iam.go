package ram

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/protocol"
)

// Store is what the RAM service needs of a store.
type Store interface {
	localyun.RoleStore
	localyun.UserStore
	localyun.GroupStore
	localyun.PolicyStore
	CreateAccessKey(ctx context.Context, k localyun.AccessKey) error
}

// Limits of the RAM API that localyun enforces.
const (
	MaxAccessKeysPerUser = 2
	MaxPolicyVersions    = 5
)

var (
	errUserNotExist    = localyun.NewError(http.StatusNotFound, "EntityNotExist.User", "The user does not exist.")
	errUserExists      = localyun.NewError(http.StatusConflict, "EntityAlreadyExists.User", "The user does already EXIST.")
	errUserKeys        = localyun.NewError(http.StatusConflict, "DeleteConflict.User.AccessKey", "The user CAN NOT has any access key while deleting the user.")
	errUserPolicies    = localyun.NewError(http.StatusConflict, "DeleteConflict.User.Policy", "The user CAN NOT has any attached policy while deleting the user.")
	errUserGroups      = localyun.NewError(http.StatusConflict, "DeleteConflict.User.Group", "The user CAN NOT belong to any group while deleting the user.")
	errKeyNotExist     = localyun.NewError(http.StatusNotFound, "EntityNotExist.User.AccessKey", "The access key does not exist.")
	errKeyLimit        = localyun.NewError(http.StatusConflict, "LimitExceeded.User.AccessKey", "The count of access keys beyond the current limits.")
	errGroupNotExist   = localyun.NewError(http.StatusNotFound, "EntityNotExist.Group", "The group does not exist.")
	errGroupExists     = localyun.NewError(http.StatusConflict, "EntityAlreadyExists.Group", "The group does already EXIST.")
	errGroupUsers      = localyun.NewError(http.StatusConflict, "DeleteConflict.Group.User", "The group CAN NOT has any user member while deleting the group.")
	errGroupPolicies   = localyun.NewError(http.StatusConflict, "DeleteConflict.Group.Policy", "The group CAN NOT has any attached policy while deleting the group.")
	errMemberExists    = localyun.NewError(http.StatusConflict, "EntityAlreadyExists.User.Group", "The user has already belonged to the group.")
	errMemberNotExist  = localyun.NewError(http.StatusNotFound, "EntityNotExist.User.Group", "The user does not belong to the group.")
	errPolicyNotExist  = localyun.NewError(http.StatusNotFound, "EntityNotExist.Policy", "The policy does not exist.")
	errPolicyExists    = localyun.NewError(http.StatusConflict, "EntityAlreadyExists.Policy", "The policy does already EXIST.")
	errVersionNotExist = localyun.NewError(http.StatusNotFound, "EntityNotExist.PolicyVersion", "The policy version does not exist.")
	errVersionLimit    = localyun.NewError(http.StatusConflict, "LimitExceeded.Policy.Version", "The count of versions of the policy beyond the current limits.")
	errVersionDefault  = localyun.NewError(http.StatusConflict, "DeleteConflict.PolicyVersion.Default", "The default version of the policy CAN NOT be deleted.")
	errPolicyVersions  = localyun.NewError(http.StatusConflict, "DeleteConflict.Policy.Version", "The policy CAN NOT has any non-default version while deleting the policy.")
	errNoSelf          = localyun.NewError(http.StatusBadRequest, "MissingUserName", "UserName is mandatory for this action.")
)

func errAttached(kind string) error {
	return localyun.NewError(http.StatusConflict, "EntityAlreadyExists."+kind+".Policy", "The policy has already been attached to the "+strings.ToLower(kind)+".")
}

func errNotAttached(kind string) error {
	return localyun.NewError(http.StatusNotFound, "EntityNotExist."+kind+".Policy", "The policy has not been attached to the "+strings.ToLower(kind)+".")
}

func errPolicyInUse(kind string) error {
	return localyun.NewError(http.StatusConflict, "DeleteConflict.Policy."+kind, "The policy CAN NOT be deleted while it is attached to a "+strings.ToLower(kind)+".")
}

var (
	userNameRE   = regexp.MustCompile(`^[a-zA-Z0-9._\-]+$`)
	groupNameRE  = regexp.MustCompile(`^[a-zA-Z0-9._\-]+$`)
	policyNameRE = regexp.MustCompile(`^[a-zA-Z0-9\-]+$`)
	versionIDRE  = regexp.MustCompile(`^v[1-9][0-9]{0,8}$`)
)

// name reads a required entity name parameter.
func name(r *protocol.Request, param string, max int, re *regexp.Regexp) (string, error) {
	return nameValue(r.Get(param), param, max, re)
}

func nameValue(v, param string, max int, re *regexp.Regexp) (string, error) {
	switch {
	case v == "":
		return "", errMissing(param)
	case len(v) > max:
		return "", errLength(param)
	case !re.MatchString(v):
		return "", localyun.NewError(http.StatusBadRequest, "InvalidParameter."+param+".InvalidChars", "The parameter - "+param+" contains invalid chars.")
	}
	return v, nil
}

// text reads an optional free-text parameter of at most max characters.
func text(r *protocol.Request, param string, max int) (string, error) {
	v := r.Get(param)
	if !utf8.ValidString(v) {
		return "", errInvalid(param)
	}
	if utf8.RuneCountInString(v) > max {
		return "", errLength(param)
	}
	return v, nil
}

// optText is text for an optional New* parameter: nil when absent.
func optText(r *protocol.Request, param string, max int) (*string, error) {
	if !r.Has(param) {
		return nil, nil
	}
	v, err := text(r, param, max)
	return &v, err
}

func maxItems(r *protocol.Request) (int, error) {
	n, ok, err := r.Int("MaxItems")
	if err != nil || ok && (n < 1 || n > 1000) {
		return 0, errInvalidMaxItem
	}
	if !ok {
		return 100, nil
	}
	return int(n), nil
}

func decodeMarker(m string) (string, error) {
	if m == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(m)
	if err != nil || len(b) == 0 {
		return "", errInvalidMarker
	}
	return string(b), nil
}

func encodeMarker(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func (s *Service) now() time.Time { return s.opts.Now().UTC().Truncate(time.Second) }

func date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
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

func numericID() string {
	b := make([]byte, 16)
	rand.Read(b)
	out := []byte{'2'}
	for _, c := range b {
		out = append(out, '0'+c%10)
	}
	return string(out)
}

func conflictWith(err error) string {
	var ce *localyun.ConflictError
	if errors.As(err, &ce) {
		return ce.With
	}
	return ""
}
