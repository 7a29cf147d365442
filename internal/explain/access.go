package explain

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/auth"
	"github.com/localyun/localyun/internal/protocol"
)

// accessInput is ExplainAccess's: the principal (UserName, or RoleName
// with an optional SessionName, or neither for the account root), the RAM
// action, the resource and the condition context to decide with.
type accessInput struct {
	UserName, RoleName, SessionName string
	Action                          string
	Resource                        string // "" decides on "*"
	RAMRoleName                     string // the role an ECS role action passes
	SourceIP                        string
	SecureTransport                 string // "true", "false" or "" (the caller's)
	CurrentTime                     time.Time
}

func parseAccess(r *protocol.Request) (accessInput, error) {
	in := accessInput{UserName: r.Get("UserName"), RoleName: r.Get("RoleName"), SessionName: r.Get("SessionName"),
		Resource: r.Get("AuthResource"), RAMRoleName: r.Get("RamRoleName"), SourceIP: r.Get("SourceIp")}
	// Action is the API's own parameter: the RAM action explained is
	// AuthAction (and its resource AuthResource), as AccessDeniedDetail
	// names them.
	in.Action = r.Get("AuthAction")
	switch {
	case in.Action == "":
		return in, protocol.ErrMissing("AuthAction")
	case !strings.Contains(in.Action, ":") || len(in.Action) > 128:
		return in, errInvalid("AuthAction", "it must be <service>:<action>")
	case in.UserName != "" && in.RoleName != "":
		return in, errInvalid("UserName", "name a user or a role, not both")
	case in.SessionName != "" && in.RoleName == "":
		return in, errInvalid("SessionName", "a session is of a role (RoleName)")
	case len(in.Resource) > 1024:
		return in, errInvalid("AuthResource", "longer than 1024 characters")
	}
	if in.SourceIP != "" {
		if _, err := netip.ParseAddr(in.SourceIP); err != nil {
			return in, errInvalid("SourceIp", "not an IP address")
		}
	}
	if v := r.Get("SecureTransport"); v != "" {
		if v = strings.ToLower(v); v != "true" && v != "false" {
			return in, errInvalid("SecureTransport", "true or false")
		}
		in.SecureTransport = v
	}
	if v := r.Get("CurrentTime"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return in, errInvalid("CurrentTime", "not an ISO 8601 time such as 2026-01-02T15:04:05Z")
		}
		in.CurrentTime = t
	}
	return in, nil
}

var (
	errUserNotExist = localyun.NewError(http.StatusNotFound, "EntityNotExist.User", "The user does not exist.")
	errRoleNotExist = localyun.NewError(http.StatusNotFound, "EntityNotExist.Role", "The role does not exist.")
)

// named is the principal in.UserName or in.RoleName names (the account
// root when neither), with the name in its stored spelling when the
// entity exists, else as sent, and whether it exists.
func (s *Service) named(ctx context.Context, accountID string, in accessInput) (localyun.Principal, bool, error) {
	switch {
	case in.UserName != "":
		who := localyun.Principal{AccountID: accountID, Type: localyun.PrincipalTypeUser, UserName: in.UserName}
		u, err := s.store.FindUserByName(ctx, accountID, in.UserName)
		if errors.Is(err, localyun.ErrNotFound) {
			return who, false, nil
		}
		who.UserName = u.Name
		return who, err == nil, err
	case in.RoleName != "":
		session := in.SessionName
		if session == "" {
			session = "explain"
		}
		who := localyun.Principal{AccountID: accountID, Type: localyun.PrincipalTypeAssumed, RoleName: in.RoleName, SessionName: session}
		r, err := s.store.FindRoleByName(ctx, accountID, in.RoleName)
		if errors.Is(err, localyun.ErrNotFound) {
			return who, false, nil
		}
		who.RoleName = r.Name
		return who, err == nil, err
	}
	return localyun.Principal{AccountID: accountID, Type: localyun.PrincipalTypeRoot}, true, nil
}

// principal resolves the principal explained, with names in their stored
// spelling. Returns EntityNotExist.User or EntityNotExist.Role; called by
// Serve only, so that whether an entity exists is told only to callers
// RAM allowed.
func (s *Service) principal(ctx context.Context, accountID string, in accessInput) (localyun.Principal, error) {
	who, ok, err := s.named(ctx, accountID, in)
	switch {
	case err != nil:
		return localyun.Principal{}, err
	case !ok && in.UserName != "":
		return localyun.Principal{}, errUserNotExist
	case !ok:
		return localyun.Principal{}, errRoleNotExist
	}
	return who, nil
}

// principalARN is ExplainAccess's resource: the principal explained, in
// its stored spelling when it exists, else as named (as RAM's own actions
// name an entity: the 404 is Serve's, after the decision).
func (s *Service) principalARN(ctx context.Context, p localyun.Principal, in accessInput) ([]string, error) {
	who, _, err := s.named(ctx, p.AccountID, in)
	if err != nil {
		return nil, err
	}
	return []string{arnOf(who)}, nil
}

func arnOf(p localyun.Principal) string {
	switch p.Type {
	case localyun.PrincipalTypeUser:
		return "acs:ram::" + p.AccountID + ":user/" + p.UserName
	case localyun.PrincipalTypeAssumed:
		return auth.RoleARN(p.AccountID, p.RoleName)
	}
	return "acs:ram::" + p.AccountID + ":root"
}

// conditionContext is the context the explained request is decided with:
// the server's for the explained principal, the caller's source address
// and transport, and the values the input sets.
func (s *Service) conditionContext(caller, who localyun.Principal, in accessInput) map[string]string {
	who.SourceIP, who.Secure = caller.SourceIP, caller.Secure
	ctx := s.opts.Explainer.ConditionContext(who)
	if in.SourceIP != "" {
		ctx[auth.KeySourceIP] = in.SourceIP
	}
	if in.SecureTransport != "" {
		ctx[auth.KeySecureTransport] = in.SecureTransport
	}
	if !in.CurrentTime.IsZero() {
		ctx[auth.KeyCurrentTime] = in.CurrentTime.UTC().Format(time.RFC3339)
	}
	return ctx
}

// ExplainAccess decides in.Action on in.Resource for the principal named,
// as a request of that principal would be decided now (a role is decided
// on its policies, without a session policy), and, for the ECS actions
// that pass a role to an instance (AttachInstanceRamRole,
// DetachInstanceRamRole, RunInstances, CreateInstance), the ram:PassRole
// step on that role: the RamRoleName sent, else (DetachInstanceRamRole)
// the role the instance of the resource holds; RunInstances and
// CreateInstance without RamRoleName pass none and have no step. Returns
// EntityNotExist.User, EntityNotExist.Role.
func (s *Service) ExplainAccess(ctx context.Context, in accessInput) (AccessExplanation, error) {
	caller, _ := localyun.PrincipalFromContext(ctx)
	who, err := s.principal(ctx, caller.AccountID, in)
	if err != nil {
		return AccessExplanation{}, err
	}
	req := auth.Request{Action: in.Action, Context: s.conditionContext(caller, who, in)}
	if in.Resource != "" {
		req.Resources = []string{in.Resource}
	}
	out, err := s.explain(ctx, who, req)
	if err != nil {
		return out, err
	}
	out.Allowed = out.Decision == auth.OutcomeAllowed
	if rootOnlyActions[strings.ToLower(in.Action)] && !who.IsRoot() {
		out.Decision, out.Allowed, out.PolicyType = auth.OutcomeExplicitDeny, false, ""
		out.Note = "Only the account root may call " + in.Action + ", whatever the policies (internal/admin)."
	}
	if role, ok, err := s.passedRole(ctx, caller.AccountID, in); err != nil {
		return out, err
	} else if ok {
		preq := s.opts.Explainer.PassRoleRequest(who, role)
		preq.Context = req.Context
		step, err := s.explain(ctx, who, preq)
		if err != nil {
			return out, err
		}
		step.RoleName = role
		out.PassRole = &step
		out.Allowed = out.Allowed && step.Decision == auth.OutcomeAllowed
	}
	return out, nil
}

// explain is one decision explained, in its response shape.
func (s *Service) explain(ctx context.Context, who localyun.Principal, req auth.Request) (AccessExplanation, error) {
	tr, sources, err := s.opts.Explainer.Explain(ctx, who, req)
	if err != nil {
		return AccessExplanation{}, err
	}
	out := AccessExplanation{Decision: tr.Decision.Outcome(), Principal: principalOf(who), Action: req.Action,
		Resources: req.Resources, Context: contextOf(req.Context), UnallowedResources: tr.Unallowed,
		SessionUnallowedResources: tr.SessionUnallowed}
	if !tr.Decision.Allowed {
		out.PolicyType = tr.Decision.PolicyType
	}
	if len(out.Resources) == 0 {
		out.Resources = []string{"*"}
	}
	if who.IsRoot() {
		out.Note = "The account root is allowed every action without a policy."
	}
	for _, st := range tr.Statements {
		out.Statements = append(out.Statements, statementOf(st, auth.SourceOf(st, sources)))
	}
	return out, nil
}

// rootOnlyActions are refused to every principal but the account root,
// whatever its policies (internal/admin: ResetAccount).
var rootOnlyActions = map[string]bool{"localyun:resetaccount": true}

// passRoleActions are the ECS actions that decide ram:PassRole on the role
// they pass (RamRoleName): internal/ecs's AttachInstanceRamRole,
// DetachInstanceRamRole, and RunInstances and CreateInstance when they
// name a role.
var passRoleActions = map[string]bool{"ecs:attachinstanceramrole": true, "ecs:detachinstanceramrole": true,
	"ecs:runinstances": true, "ecs:createinstance": true}

// passedRole returns the role an ECS role action passes (stored spelling
// when it exists), and whether the action passes one.
func (s *Service) passedRole(ctx context.Context, accountID string, in accessInput) (string, bool, error) {
	if !passRoleActions[strings.ToLower(in.Action)] {
		return "", false, nil
	}
	name := in.RAMRoleName
	if name == "" && strings.EqualFold(in.Action, "ecs:DetachInstanceRamRole") {
		if i := strings.LastIndex(in.Resource, ":instance/"); i >= 0 {
			inst, err := s.store.FindInstanceByID(ctx, in.Resource[i+len(":instance/"):])
			switch {
			case err == nil && inst.AccountID == accountID:
				name = inst.RAMRoleName
			case err != nil && !errors.Is(err, localyun.ErrNotFound):
				return "", false, err
			}
		}
	}
	if name == "" {
		return "", false, nil
	}
	role, err := s.store.FindRoleByName(ctx, accountID, name)
	switch {
	case err == nil:
		name = role.Name
	case !errors.Is(err, localyun.ErrNotFound):
		return "", false, err
	}
	return name, true, nil
}

func (s *Service) serveAccess(ctx context.Context, in accessInput) (any, error) {
	out, err := s.ExplainAccess(ctx, in)
	if err != nil {
		return nil, err
	}
	return accessResponse{out}, nil
}
