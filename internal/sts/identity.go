package sts

import (
	"context"

	"github.com/localyun/localyun"
)

// CallerIdentity is who signed a request, as GetCallerIdentity answers.
type CallerIdentity struct {
	IdentityType string // Account, RAMUser or AssumedRoleUser
	AccountID    string
	PrincipalID  string
	UserID       string
	ARN          string
	RoleID       string // role sessions only
}

// GetCallerIdentity describes the caller, whatever its type; it needs no
// policy.
func (s *Service) GetCallerIdentity(ctx context.Context) (CallerIdentity, error) {
	p, _ := localyun.PrincipalFromContext(ctx)
	out := CallerIdentity{AccountID: p.AccountID, ARN: callerARN(p)}
	switch p.Type {
	case localyun.PrincipalTypeUser:
		u, err := s.store.FindUserByName(ctx, p.AccountID, p.UserName)
		if err != nil {
			return out, err
		}
		out.IdentityType, out.UserID, out.PrincipalID = "RAMUser", u.ID, u.ID
	case localyun.PrincipalTypeAssumed:
		sess, err := s.store.FindSession(ctx, p.AccessKeyID)
		if err != nil {
			return out, err
		}
		out.IdentityType, out.RoleID = "AssumedRoleUser", sess.RoleID
		out.PrincipalID = sess.RoleID + ":" + sess.SessionName
		out.UserID = out.PrincipalID
	default:
		out.IdentityType, out.UserID, out.PrincipalID = "Account", p.AccountID, p.AccountID
	}
	return out, nil
}

type callerIdentityResponse struct {
	IdentityType string `json:"IdentityType" xml:"IdentityType"`
	AccountID    string `json:"AccountId" xml:"AccountId"`
	PrincipalID  string `json:"PrincipalId" xml:"PrincipalId"`
	UserID       string `json:"UserId" xml:"UserId"`
	Arn          string `json:"Arn" xml:"Arn"`
	RoleID       string `json:"RoleId,omitempty" xml:"RoleId,omitempty"`
}

// getCallerIdentity serves GetCallerIdentity (2015-04-01).
func (s *Service) getCallerIdentity(ctx context.Context, _ struct{}) (any, error) {
	id, err := s.GetCallerIdentity(ctx)
	if err != nil {
		return nil, err
	}
	return callerIdentityResponse{IdentityType: id.IdentityType, AccountID: id.AccountID, PrincipalID: id.PrincipalID,
		UserID: id.UserID, Arn: id.ARN, RoleID: id.RoleID}, nil
}
