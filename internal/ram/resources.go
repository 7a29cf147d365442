package ram

import (
	"context"
	"errors"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/auth"
)

// Kinds of RAM entity, as their ARNs spell them.
const (
	EntityUser   = "user"
	EntityGroup  = "group"
	EntityRole   = "role"
	EntityPolicy = "policy"
)

// Entity names one RAM entity a request acts on, as the request names it.
type Entity struct {
	Kind string // EntityUser, EntityGroup, EntityRole or EntityPolicy
	// Name as sent; "*" stands for every entity of the kind (listings).
	Name string
	// PolicyType of a policy: System or Custom.
	PolicyType string
	// Self marks the UserName of the access-key actions: without a name
	// they act on the caller itself.
	Self bool
}

// ARNs returns the resources RAM decides a request of p on: one ARN per
// entity, acs:ram::<uid>:<kind>/<name>, with each name in the spelling its
// entity is stored in (names are looked up case-insensitively, ARNs match
// case-sensitively). A name that names no entity yet is used as sent: the
// spelling it will be stored in. System policies take their built-in
// spelling. An access-key action without a UserName names the calling
// user, or acs:ram::<uid>:root for any other caller. Each named entity
// costs one read of the store; nothing is written.
func (s *Service) ARNs(ctx context.Context, p localyun.Principal, es ...Entity) ([]string, error) {
	out := make([]string, len(es))
	for i, e := range es {
		prefix := "acs:ram::" + p.AccountID + ":"
		switch {
		case e.Self && e.Name == "" && p.Type == localyun.PrincipalTypeUser:
			out[i] = prefix + EntityUser + "/" + p.UserName
		case e.Self && e.Name == "":
			out[i] = prefix + "root"
		case e.Name == "*":
			out[i] = prefix + e.Kind + "/*"
		default:
			name, err := s.storedName(ctx, p.AccountID, e)
			if err != nil {
				return nil, err
			}
			out[i] = prefix + e.Kind + "/" + name
		}
	}
	return out, nil
}

// storedName returns the stored spelling of an entity's name, or the name
// as sent when the account has no such entity.
func (s *Service) storedName(ctx context.Context, accountID string, e Entity) (string, error) {
	var name string
	var err error
	switch e.Kind {
	case EntityUser:
		var u localyun.User
		u, err = s.store.FindUserByName(ctx, accountID, e.Name)
		name = u.Name
	case EntityGroup:
		var g localyun.Group
		g, err = s.store.FindGroupByName(ctx, accountID, e.Name)
		name = g.Name
	case EntityRole:
		var r localyun.Role
		r, err = s.store.FindRoleByName(ctx, accountID, e.Name)
		name = r.Name
	case EntityPolicy:
		if e.PolicyType == localyun.PolicyTypeSystem {
			if sp, ok := auth.FindSystemPolicy(e.Name); ok {
				return sp.Name, nil
			}
			return e.Name, nil
		}
		var p localyun.Policy
		p, err = s.store.FindPolicy(ctx, accountID, e.Name)
		name = p.Name
	default:
		return "", errors.New("ram: unknown entity kind " + e.Kind)
	}
	if errors.Is(err, localyun.ErrNotFound) {
		return e.Name, nil
	}
	return name, err
}

func userRef(name string) Entity  { return Entity{Kind: EntityUser, Name: name} }
func groupRef(name string) Entity { return Entity{Kind: EntityGroup, Name: name} }
func roleRef(name string) Entity  { return Entity{Kind: EntityRole, Name: name} }

func policyRef(typ, name string) Entity {
	return Entity{Kind: EntityPolicy, Name: name, PolicyType: typ}
}

// keyOwnerRef names the user whose access keys an action acts on.
func keyOwnerRef(name string) Entity { return Entity{Kind: EntityUser, Name: name, Self: true} }

// principalRef names the user, group or role of an attachment kind.
func principalRef(kind, name string) Entity {
	switch kind {
	case localyun.AttachUser:
		return userRef(name)
	case localyun.AttachGroup:
		return groupRef(name)
	}
	return roleRef(name)
}

// named is implemented by every typed input: the entities it names.
type named interface{ entities() []Entity }

// resourcesOf is the Resources of a route whose input names entities.
func resourcesOf[In named](s *Service) func(context.Context, localyun.Principal, In) ([]string, error) {
	return func(ctx context.Context, p localyun.Principal, in In) ([]string, error) {
		return s.ARNs(ctx, p, in.entities()...)
	}
}
