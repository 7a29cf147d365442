package sts

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/auth"
	"github.com/localyun/localyun/internal/protocol"
)

// AssumeRoleInput is AssumeRole's parsed input.
type AssumeRoleInput struct {
	AccountID, RoleName string // of RoleArn, acs:ram::<AccountID>:role/<RoleName>
	SessionName         string
	Duration            int64 // seconds; DefaultDuration when absent
	Policy              string
	ExternalID          string
}

// parseAssumeRole checks the parameters in the order STS answers them.
// RoleArn is parsed here once: authorization and the service act on the
// account and role name it names.
func parseAssumeRole(r *protocol.Request) (AssumeRoleInput, error) {
	var in AssumeRoleInput
	arn := r.Get("RoleArn")
	if arn == "" {
		return in, protocol.ErrMissing("RoleArn")
	}
	m := roleArnRE.FindStringSubmatch(arn)
	if m == nil {
		return in, errInvalid("RoleArn")
	}
	in.AccountID, in.RoleName = m[1], m[2]
	if in.SessionName = r.Get("RoleSessionName"); in.SessionName == "" {
		return in, protocol.ErrMissing("RoleSessionName")
	}
	if !sessionRE.MatchString(in.SessionName) {
		return in, errInvalid("RoleSessionName")
	}
	duration, ok, err := r.Int("DurationSeconds")
	if err != nil {
		return in, errInvalid("DurationSeconds")
	}
	if in.Duration = duration; !ok {
		in.Duration = DefaultDuration
	}
	if in.Policy = r.Get("Policy"); len(in.Policy) > MaxPolicyBytes {
		return in, errPolicyLength
	}
	if in.Policy != "" {
		// Raw control characters (but white space) are no JSON text either.
		err := protocol.CheckText(in.Policy, 0, len(in.Policy))
		if err == nil {
			_, err = auth.Parse(in.Policy)
		}
		if err != nil {
			return in, localyun.NewError(http.StatusBadRequest, "InvalidParameter.PolicyGrammar", "The parameter Policy has not a valid grammar: "+err.Error())
		}
	}
	in.ExternalID = r.Get("ExternalId")
	if in.ExternalID != "" && (len(in.ExternalID) < 2 || len(in.ExternalID) > 1224 || !externalIDRE.MatchString(in.ExternalID)) {
		return in, errInvalid("ExternalId")
	}
	return in, nil
}

// RoleARN returns the ARN sts:AssumeRole is decided on for a role of an
// account: acs:ram::<accountID>:role/<name> with the name in its stored
// spelling (role names are looked up case-insensitively, ARNs match
// case-sensitively), or as sent when the account has no such role. One
// read of the store.
func (s *Service) RoleARN(ctx context.Context, accountID, name string) (string, error) {
	r, err := s.store.FindRoleByName(ctx, accountID, name)
	switch {
	case err == nil:
		name = r.Name
	case !errors.Is(err, localyun.ErrNotFound):
		return "", err
	}
	return auth.RoleARN(accountID, name), nil
}

// AssumeRole issues a session of a role to the caller, whose
// sts:AssumeRole permission the server has already checked: the root may
// not assume roles, the role's trust policy must name the caller, and the
// duration must fit the role's MaxSessionDuration. It returns the session
// and its SecurityToken (returned once, never stored). Returns NoPermission
// or EntityNotExist.Role (also for another account's role that does not
// trust the caller).
func (s *Service) AssumeRole(ctx context.Context, in AssumeRoleInput) (localyun.Session, string, error) {
	p, _ := localyun.PrincipalFromContext(ctx)
	if p.IsRoot() {
		return localyun.Session{}, "", errRootAssume
	}
	role, err := s.store.FindRoleByName(ctx, in.AccountID, in.RoleName)
	if errors.Is(err, localyun.ErrNotFound) {
		return localyun.Session{}, "", errRoleNotExist
	} else if err != nil {
		return localyun.Session{}, "", err
	}
	cond := map[string]string{auth.KeySourceIP: p.SourceIP}
	if in.ExternalID != "" {
		cond["sts:externalid"] = in.ExternalID
	}
	if !auth.TrustAllows(role.AssumeRolePolicyDocument, caller(p), cond) {
		if role.AccountID != p.AccountID {
			// Another account's role is answered as if it did not exist.
			return localyun.Session{}, "", errRoleNotExist
		}
		return localyun.Session{}, "", errNotTrusted
	}
	if in.Duration < MinDuration || in.Duration > role.MaxSessionDuration {
		return localyun.Session{}, "", errInvalid("DurationSeconds")
	}
	now := s.opts.Now().UTC().Truncate(time.Second)
	token := TokenPrefix + base64.RawURLEncoding.EncodeToString(random(48))
	sess := localyun.Session{
		AccessKeyID: "STS.NT" + alnum(26),
		Secret:      alnum(44),
		TokenHash:   HashToken(token),
		AccountID:   role.AccountID,
		RoleName:    role.Name,
		RoleID:      role.ID,
		SessionName: in.SessionName,
		Policy:      in.Policy,
		Caller:      callerARN(p),
		CreatedAt:   now,
		ExpiresAt:   now.Add(time.Duration(in.Duration) * time.Second),
	}
	if _, err := s.store.DeleteExpiredSessions(ctx, now.Add(-s.opts.Retain)); err != nil {
		return localyun.Session{}, "", err
	}
	if err := s.store.CreateSession(ctx, sess); err != nil {
		return localyun.Session{}, "", err
	}
	return sess, token, nil
}

type credentials struct {
	AccessKeyID     string `json:"AccessKeyId" xml:"AccessKeyId"`
	AccessKeySecret string `json:"AccessKeySecret" xml:"AccessKeySecret"`
	SecurityToken   string `json:"SecurityToken" xml:"SecurityToken"`
	Expiration      string `json:"Expiration" xml:"Expiration"`
}

type assumedRoleUser struct {
	Arn           string `json:"Arn" xml:"Arn"`
	AssumedRoleID string `json:"AssumedRoleId" xml:"AssumedRoleId"`
}

type assumeRoleResponse struct {
	AssumedRoleUser assumedRoleUser `json:"AssumedRoleUser" xml:"AssumedRoleUser"`
	Credentials     credentials     `json:"Credentials" xml:"Credentials"`
}

// assumeRole serves AssumeRole (2015-04-01).
func (s *Service) assumeRole(ctx context.Context, in AssumeRoleInput) (any, error) {
	sess, token, err := s.AssumeRole(ctx, in)
	if err != nil {
		return nil, err
	}
	return assumeRoleResponse{
		AssumedRoleUser: assumedRoleUser{Arn: "acs:ram::" + sess.AccountID + ":role/" + strings.ToLower(sess.RoleName) + "/" + sess.SessionName,
			AssumedRoleID: sess.RoleID + ":" + sess.SessionName},
		Credentials: credentials{AccessKeyID: sess.AccessKeyID, AccessKeySecret: sess.Secret, SecurityToken: token,
			Expiration: sess.ExpiresAt.Format("2006-01-02T15:04:05Z")},
	}, nil
}
