// Package explain implements localyun's own product Localyun (Version
// 2026-11-30): why a request is allowed or denied, and who can reach what.
// ExplainAccess decides an action for a principal of the caller's account
// with the very evaluation and policy loading that serve requests (the
// server is the Explainer) and returns the statements that made the
// decision, with the ram:PassRole step of the ECS role actions;
// ExplainInstance shows an ECS instance's role and what its policies
// allow; ExplainHostAccess and ExplainUserAccess show bastion access and
// its grant paths (bastionhost.Service.EffectiveAccess) and a RAM user's
// policies.
//
// Each action is one row of Register: a typed input parsed once, the
// resources RAM decides localyun:<Action> on, and the Service method of
// the action's name.
package explain

import (
	"context"
	"net/http"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/auth"
	"github.com/localyun/localyun/internal/bastionhost"
	"github.com/localyun/localyun/internal/protocol"
)

// Product is Localyun 2026-11-30, localyun's own product.
var Product = protocol.Product{Name: "Localyun", Version: "2026-11-30", Service: "localyun", DenyCode: "NoPermission",
	DenyMessage: "You are not authorized to do this action. You should be authorized by RAM."}

// Explainer is the server's side of explaining: its policy loading and
// its evaluation, the ones that serve requests.
type Explainer interface {
	// Explain decides req for p as a request of p would be decided.
	Explain(ctx context.Context, p localyun.Principal, req auth.Request) (auth.Trace, []auth.Source, error)
	// Policies returns the identity policies p's requests are decided on
	// and their sources (no session policy).
	Policies(ctx context.Context, p localyun.Principal) ([]*auth.Policy, []auth.Source, error)
	// ConditionContext is the condition context of a request of p now.
	ConditionContext(p localyun.Principal) map[string]string
	// PassRoleRequest is the ram:PassRole request the ECS role actions
	// decide for p passing roleName.
	PassRoleRequest(p localyun.Principal, roleName string) auth.Request
}

// Store is what the explain service reads.
type Store interface {
	FindUserByName(ctx context.Context, accountID, name string) (localyun.User, error)
	FindRoleByName(ctx context.Context, accountID, name string) (localyun.Role, error)
	FindInstanceByID(ctx context.Context, id string) (localyun.Instance, error)
	FindGroupsForUser(ctx context.Context, accountID, user string) ([]localyun.Membership, error)
}

// Options configure a Service. Explainer and Bastion are required.
type Options struct {
	Explainer Explainer
	Bastion   *bastionhost.Service
	Now       func() time.Time
}

// Service answers the Localyun actions. It only reads.
type Service struct {
	store Store
	opts  Options
}

// NewService returns the explain service over store.
func NewService(store Store, opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Service{store: store, opts: opts}
}

// Register adds the Localyun actions to m.
func Register(m *protocol.Mux, s *Service) {
	protocol.Handle(m, Product, protocol.Action[accessInput]{Name: "ExplainAccess", Resource: docPrincipal,
		Parse: parseAccess, Resources: s.principalARN, Serve: s.serveAccess})
	protocol.Handle(m, Product, protocol.Action[instanceInput]{Name: "ExplainInstance", Resource: docInstance,
		Parse: parseInstance, Resources: s.instanceARN, Serve: s.serveInstance})
	protocol.Handle(m, Product, protocol.Action[hostInput]{Name: "ExplainHostAccess", Resource: docBastion,
		Parse: parseHost, Resources: s.hostARN, Serve: s.serveHost})
	protocol.Handle(m, Product, protocol.Action[userInput]{Name: "ExplainUserAccess", Resource: docBastion + "; with UserName: " + docUser,
		Parse: parseUser, Resources: s.userARN, Serve: s.serveUser})
}

// The resources of the Localyun actions, as docs/authorization.md shows them.
const (
	docPrincipal = "the principal explained: acs:ram::<uid>:user/<UserName as stored>, acs:ram::<uid>:role/<RoleName as stored>, or acs:ram::<uid>:root"
	docInstance  = "acs:ecs:<the instance's region>:<uid>:instance/<InstanceId> (unknown instance: <RegionId>)"
	docBastion   = "acs:yundun-bastionhost:<region of the instance>:<uid>:instance/<InstanceId>"
	docUser      = "acs:ram::<uid>:user/<UserName as stored>"
)

func accountOf(ctx context.Context) string {
	p, _ := localyun.PrincipalFromContext(ctx)
	return p.AccountID
}

func errInvalid(name, why string) error {
	return localyun.NewError(http.StatusBadRequest, "InvalidParameter."+name, "The parameter "+name+" is invalid: "+why+".")
}
