package ram

import (
	"context"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/protocol"
)

// Product is RAM 2015-05-01 as the wire and RAM know it.
var Product = protocol.Product{Name: "Ram", Version: "2015-05-01", Service: "ram", DenyCode: "NoPermission",
	DenyMessage: "You are not authorized to do this action. You should be authorized by RAM."}

// The resources of the RAM actions, as docs/authorization.md shows them.
// Names are those of the entities stored (a name that names no entity yet
// is used as sent); listings act on every entity of their kind.
const (
	docRole     = "acs:ram::<uid>:role/<RoleName as stored>"
	docRoles    = "acs:ram::<uid>:role/*"
	docUser     = "acs:ram::<uid>:user/<UserName as stored>"
	docUsers    = "acs:ram::<uid>:user/*"
	docKeyOwner = docUser + "; without UserName the caller: acs:ram::<uid>:user/<its name>, or acs:ram::<uid>:root for the root and role sessions"
	docGroup    = "acs:ram::<uid>:group/<GroupName as stored>"
	docGroups   = "acs:ram::<uid>:group/*"
	docPolicy   = "acs:ram::<uid>:policy/<PolicyName as stored; a system policy's built-in name>"
	docPolicies = "acs:ram::<uid>:policy/*"
)

// Register adds the RAM actions to m: one row per action, its input
// parser, the entities it names (Resources) and its handler.
func Register(m *protocol.Mux, s *Service) {
	h := handlers{s}
	registerRoles(m, s, h)
	registerUsers(m, s, h)
	registerGroups(m, s, h)
	registerPolicies(m, s, h)
	registerAttachments(m, s, h)
	registerDiagnostics(m, s)
}

func registerRoles(m *protocol.Mux, s *Service, h handlers) {
	protocol.Handle(m, Product, protocol.Action[createRoleInput]{Name: "CreateRole", Resource: docRole,
		Parse: parseCreateRole, Resources: resourcesOf[createRoleInput](s), Serve: h.createRole})
	protocol.Handle(m, Product, protocol.Action[roleInput]{Name: "GetRole", Resource: docRole,
		Parse: parseRole, Resources: resourcesOf[roleInput](s), Serve: h.getRole})
	protocol.Handle(m, Product, protocol.Action[listInput]{Name: "ListRoles", Resource: docRoles,
		Parse: parseList(EntityRole), Resources: resourcesOf[listInput](s), Serve: h.listRoles})
	protocol.Handle(m, Product, protocol.Action[updateRoleInput]{Name: "UpdateRole", Resource: docRole,
		Parse: parseUpdateRole, Resources: resourcesOf[updateRoleInput](s), Serve: h.updateRole})
	protocol.Handle(m, Product, protocol.Action[roleInput]{Name: "DeleteRole", Resource: docRole,
		Parse: parseRole, Resources: resourcesOf[roleInput](s), Serve: h.deleteRole})
}

func registerUsers(m *protocol.Mux, s *Service, h handlers) {
	protocol.Handle(m, Product, protocol.Action[createUserInput]{Name: "CreateUser", Resource: docUser,
		Parse: parseCreateUser, Resources: resourcesOf[createUserInput](s), Serve: h.createUser})
	protocol.Handle(m, Product, protocol.Action[userInput]{Name: "GetUser", Resource: docUser,
		Parse: parseUser, Resources: resourcesOf[userInput](s), Serve: h.getUser})
	protocol.Handle(m, Product, protocol.Action[listInput]{Name: "ListUsers", Resource: docUsers,
		Parse: parseList(EntityUser), Resources: resourcesOf[listInput](s), Serve: h.listUsers})
	protocol.Handle(m, Product, protocol.Action[updateUserInput]{Name: "UpdateUser", Resource: docUser,
		Parse: parseUpdateUser, Resources: resourcesOf[updateUserInput](s), Serve: h.updateUser})
	protocol.Handle(m, Product, protocol.Action[userInput]{Name: "DeleteUser", Resource: docUser,
		Parse: parseUser, Resources: resourcesOf[userInput](s), Serve: h.deleteUser})

	protocol.Handle(m, Product, protocol.Action[keyOwnerInput]{Name: "CreateAccessKey", Resource: docKeyOwner,
		Parse: parseKeyOwner, Resources: resourcesOf[keyOwnerInput](s), Serve: h.createAccessKey})
	protocol.Handle(m, Product, protocol.Action[keyOwnerInput]{Name: "ListAccessKeys", Resource: docKeyOwner,
		Parse: parseKeyOwner, Resources: resourcesOf[keyOwnerInput](s), Serve: h.listAccessKeys})
	protocol.Handle(m, Product, protocol.Action[keyInput]{Name: "UpdateAccessKey", Resource: docKeyOwner,
		Parse: parseKeyStatus, Resources: resourcesOf[keyInput](s), Serve: h.updateAccessKey})
	protocol.Handle(m, Product, protocol.Action[keyInput]{Name: "DeleteAccessKey", Resource: docKeyOwner,
		Parse: parseKey, Resources: resourcesOf[keyInput](s), Serve: h.deleteAccessKey})
	protocol.Handle(m, Product, protocol.Action[keyInput]{Name: "GetAccessKeyLastUsed", Resource: docKeyOwner,
		Parse: parseKey, Resources: resourcesOf[keyInput](s), Serve: h.getAccessKeyLastUsed})
}

func registerGroups(m *protocol.Mux, s *Service, h handlers) {
	protocol.Handle(m, Product, protocol.Action[createGroupInput]{Name: "CreateGroup", Resource: docGroup,
		Parse: parseCreateGroup, Resources: resourcesOf[createGroupInput](s), Serve: h.createGroup})
	protocol.Handle(m, Product, protocol.Action[groupInput]{Name: "GetGroup", Resource: docGroup,
		Parse: parseGroup, Resources: resourcesOf[groupInput](s), Serve: h.getGroup})
	protocol.Handle(m, Product, protocol.Action[listInput]{Name: "ListGroups", Resource: docGroups,
		Parse: parseList(EntityGroup), Resources: resourcesOf[listInput](s), Serve: h.listGroups})
	protocol.Handle(m, Product, protocol.Action[updateGroupInput]{Name: "UpdateGroup", Resource: docGroup,
		Parse: parseUpdateGroup, Resources: resourcesOf[updateGroupInput](s), Serve: h.updateGroup})
	protocol.Handle(m, Product, protocol.Action[groupInput]{Name: "DeleteGroup", Resource: docGroup,
		Parse: parseGroup, Resources: resourcesOf[groupInput](s), Serve: h.deleteGroup})

	protocol.Handle(m, Product, protocol.Action[memberInput]{Name: "AddUserToGroup", Resource: docGroup + ", " + docUser,
		Parse: parseMember, Resources: resourcesOf[memberInput](s), Serve: h.addUserToGroup})
	protocol.Handle(m, Product, protocol.Action[memberInput]{Name: "RemoveUserFromGroup", Resource: docGroup + ", " + docUser,
		Parse: parseMember, Resources: resourcesOf[memberInput](s), Serve: h.removeUserFromGroup})
	protocol.Handle(m, Product, protocol.Action[userInput]{Name: "ListGroupsForUser", Resource: docUser,
		Parse: parseUser, Resources: resourcesOf[userInput](s), Serve: h.listGroupsForUser})
	protocol.Handle(m, Product, protocol.Action[groupPageInput]{Name: "ListUsersForGroup", Resource: docGroup,
		Parse: parseGroupPage, Resources: resourcesOf[groupPageInput](s), Serve: h.listUsersForGroup})
}

func registerPolicies(m *protocol.Mux, s *Service, h handlers) {
	protocol.Handle(m, Product, protocol.Action[createPolicyInput]{Name: "CreatePolicy", Resource: docPolicy,
		Parse: parseCreatePolicy, Resources: resourcesOf[createPolicyInput](s), Serve: h.createPolicy})
	protocol.Handle(m, Product, protocol.Action[policyInput]{Name: "GetPolicy", Resource: docPolicy,
		Parse: parsePolicy, Resources: resourcesOf[policyInput](s), Serve: h.getPolicy})
	protocol.Handle(m, Product, protocol.Action[listPoliciesInput]{Name: "ListPolicies", Resource: docPolicies,
		Parse: parseListPolicies, Resources: resourcesOf[listPoliciesInput](s), Serve: h.listPolicies})
	protocol.Handle(m, Product, protocol.Action[policyInput]{Name: "DeletePolicy", Resource: docPolicy,
		Parse: parseCustomPolicy, Resources: resourcesOf[policyInput](s), Serve: h.deletePolicy})
	protocol.Handle(m, Product, protocol.Action[createVersionInput]{Name: "CreatePolicyVersion", Resource: docPolicy,
		Parse: parseCreateVersion, Resources: resourcesOf[createVersionInput](s), Serve: h.createPolicyVersion})
	protocol.Handle(m, Product, protocol.Action[versionInput]{Name: "GetPolicyVersion", Resource: docPolicy,
		Parse: parseVersion, Resources: resourcesOf[versionInput](s), Serve: h.getPolicyVersion})
	protocol.Handle(m, Product, protocol.Action[policyInput]{Name: "ListPolicyVersions", Resource: docPolicy,
		Parse: parsePolicy, Resources: resourcesOf[policyInput](s), Serve: h.listPolicyVersions})
	protocol.Handle(m, Product, protocol.Action[versionInput]{Name: "SetDefaultPolicyVersion", Resource: docPolicy,
		Parse: parseCustomVersion, Resources: resourcesOf[versionInput](s), Serve: h.setDefaultPolicyVersion})
	protocol.Handle(m, Product, protocol.Action[versionInput]{Name: "DeletePolicyVersion", Resource: docPolicy,
		Parse: parseCustomVersion, Resources: resourcesOf[versionInput](s), Serve: h.deletePolicyVersion})
	protocol.Handle(m, Product, protocol.Action[policyInput]{Name: "ListEntitiesForPolicy", Resource: docPolicy,
		Parse: parsePolicy, Resources: resourcesOf[policyInput](s), Serve: h.listEntitiesForPolicy})
}

func registerAttachments(m *protocol.Mux, s *Service, h handlers) {
	for _, a := range []struct {
		name, kind, principalDoc string
		op                       func(ctx context.Context, policyType, policyName, principal string) error
	}{
		{"AttachPolicyToUser", localyun.AttachUser, docUser, s.AttachPolicyToUser},
		{"AttachPolicyToGroup", localyun.AttachGroup, docGroup, s.AttachPolicyToGroup},
		{"AttachPolicyToRole", localyun.AttachRole, docRole, s.AttachPolicyToRole},
		{"DetachPolicyFromUser", localyun.AttachUser, docUser, s.DetachPolicyFromUser},
		{"DetachPolicyFromGroup", localyun.AttachGroup, docGroup, s.DetachPolicyFromGroup},
		{"DetachPolicyFromRole", localyun.AttachRole, docRole, s.DetachPolicyFromRole},
	} {
		protocol.Handle(m, Product, protocol.Action[attachmentInput]{Name: a.name, Resource: docPolicy + ", " + a.principalDoc,
			Parse: parseAttachment(a.kind), Resources: resourcesOf[attachmentInput](s), Serve: attachmentHandler(a.op)})
	}
	protocol.Handle(m, Product, protocol.Action[userInput]{Name: "ListPoliciesForUser", Resource: docUser,
		Parse: parseUser, Resources: resourcesOf[userInput](s), Serve: h.listPoliciesForUser})
	protocol.Handle(m, Product, protocol.Action[groupInput]{Name: "ListPoliciesForGroup", Resource: docGroup,
		Parse: parseGroup, Resources: resourcesOf[groupInput](s), Serve: h.listPoliciesForGroup})
	protocol.Handle(m, Product, protocol.Action[roleInput]{Name: "ListPoliciesForRole", Resource: docRole,
		Parse: parseRole, Resources: resourcesOf[roleInput](s), Serve: h.listPoliciesForRole})
}
