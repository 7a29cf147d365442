package explain

import (
	"context"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/bastionhost"
	"github.com/localyun/localyun/internal/protocol"
)

// userInput is ExplainUserAccess's: a bastion user (InstanceId, UserId) or
// a RAM user (UserName), not both.
type userInput struct {
	bastionhost.ObjectRef // InstanceId, UserId
	UserName              string
}

func parseUser(r *protocol.Request) (userInput, error) {
	in := userInput{ObjectRef: bastionhost.ObjectRef{InstanceRef: bastionhost.InstanceRef{InstanceID: r.Get("InstanceId"),
		RegionID: r.Get("RegionId")}, ID: r.Get("UserId")}, UserName: r.Get("UserName")}
	switch {
	case in.UserName != "" && (in.InstanceID != "" || in.ID != ""):
		return in, errInvalid("UserName", "name a RAM user (UserName) or a bastion user (InstanceId, UserId), not both")
	case in.UserName != "":
		return in, nil
	case in.InstanceID == "":
		return in, protocol.ErrMissing("InstanceId")
	case in.ID == "":
		return in, protocol.ErrMissing("UserId")
	}
	return in, nil
}

func (s *Service) userARN(ctx context.Context, p localyun.Principal, in userInput) ([]string, error) {
	if in.UserName == "" {
		return s.opts.Bastion.InstanceARN(ctx, p, in.InstanceRef)
	}
	return s.principalARN(ctx, p, accessInput{UserName: in.UserName})
}

// userResponse is ExplainUserAccess's: for a bastion user, every (host,
// host account) it may use now and how; for a RAM user, its groups and
// the policies its requests are decided on (attached to it or to a group)
// with what they allow and deny.
type userResponse struct {
	InstanceID string       `json:"InstanceId,omitempty" xml:"InstanceId,omitempty"`
	UserID     string       `json:"UserId,omitempty" xml:"UserId,omitempty"`
	UserName   string       `json:"UserName" xml:"UserName"`
	Active     *bool        `json:"Active,omitempty" xml:"Active,omitempty"`
	Access     []accessItem `json:"HostAccounts,omitempty" xml:"HostAccounts,omitempty"`
	Groups     []string     `json:"Groups,omitempty" xml:"Groups,omitempty"`
	Policies   []policyItem `json:"Policies,omitempty" xml:"Policies,omitempty"`
	Allows     []string     `json:"Allows,omitempty" xml:"Allows,omitempty"`
	Denies     []string     `json:"Denies,omitempty" xml:"Denies,omitempty"`
}

// ExplainUserAccess explains what a user can reach. A bastion user: its
// effective access (bastionhost.Service.EffectiveAccess; none while it is
// locked or outside its validity, Active false). A RAM user: its groups
// and policies. Returns the bastion's user errors, EntityNotExist.User.
func (s *Service) ExplainUserAccess(ctx context.Context, in userInput) (userResponse, error) {
	if in.UserName != "" {
		return s.ramUser(ctx, in.UserName)
	}
	u, err := s.opts.Bastion.GetUser(ctx, in.ObjectRef)
	if err != nil {
		return userResponse{}, err
	}
	active := bastionhost.UserActive(u, s.opts.Now())
	out := userResponse{InstanceID: in.InstanceID, UserID: u.ID, UserName: u.Name, Active: &active, Access: []accessItem{}}
	access, err := s.opts.Bastion.EffectiveAccess(ctx, in.InstanceID, u.ID)
	if err != nil {
		return out, err
	}
	names := groupNames{s: s, ref: in.InstanceRef}
	for _, a := range access {
		out.Access = append(out.Access, names.access(ctx, a))
	}
	return out, nil
}

func (s *Service) ramUser(ctx context.Context, name string) (userResponse, error) {
	accountID := accountOf(ctx)
	who, err := s.principal(ctx, accountID, accessInput{UserName: name})
	if err != nil {
		return userResponse{}, err
	}
	out := userResponse{UserName: who.UserName, Groups: []string{}, Policies: []policyItem{}}
	ms, err := s.store.FindGroupsForUser(ctx, accountID, who.UserName)
	if err != nil {
		return out, err
	}
	for _, m := range ms {
		out.Groups = append(out.Groups, m.Group.Name)
	}
	policies, sources, err := s.opts.Explainer.Policies(ctx, who)
	if err != nil {
		return out, err
	}
	out.Policies = policiesOf(policies, sources)
	out.Allows, out.Denies = summaryOf(out.Policies)
	return out, nil
}

func (s *Service) serveUser(ctx context.Context, in userInput) (any, error) {
	return s.ExplainUserAccess(ctx, in)
}
