package auth

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/protocol"
)

// API versions of the products localyun serves.
const (
	VersionECS         = "2014-05-26"
	VersionRAM         = "2015-05-01"
	VersionSTS         = "2015-04-01"
	VersionBastionhost = "2019-12-09"
)

// services maps an API version to the RAM service prefix of its actions.
var services = map[string]string{
	VersionECS:         "ecs",
	VersionRAM:         "ram",
	VersionSTS:         "sts",
	VersionBastionhost: "yundun-bastionhost",
}

// Action is one row of the authorization table: the RAM action an API
// action needs and how its resource ARNs are derived from the request.
type Action struct {
	Version string
	API     string // the API action, e.g. DetachInstanceRamRole
	RAM     string // the RAM action, e.g. ecs:DetachInstanceRamRole
	// Public actions need an authenticated principal but no policy.
	Public bool
	// Resource documents the ARN pattern (for docs/authorization.md).
	Resource string
	// Resources derives the ARNs from the request and the caller.
	Resources func(r *protocol.Request, p localyun.Principal) []string
}

type resourceFunc = func(r *protocol.Request, p localyun.Principal) []string

func region(r *protocol.Request) string {
	if v := r.Get("RegionId"); v != "" {
		return v
	}
	return "*"
}

// maxResources bounds how many ARNs one request is decided on; beyond it
// the request is decided on the wildcard ARN.
const maxResources = 100

// ecsInstances: InstanceIds (JSON array), InstanceId.N, or InstanceId.
func ecsInstances(r *protocol.Request, p localyun.Principal) []string {
	prefix := "acs:ecs:" + region(r) + ":" + p.AccountID + ":instance/"
	var ids []string
	if s := r.Get("InstanceIds"); s != "" && len(s) < 64*1024 {
		if json.Unmarshal([]byte(s), &ids) != nil {
			ids = nil
		}
	}
	if len(ids) == 0 {
		ids = r.RepeatList("InstanceId")
	}
	if len(ids) == 0 {
		if id := r.Get("InstanceId"); id != "" {
			ids = []string{id}
		}
	}
	if len(ids) == 0 || len(ids) > maxResources {
		return []string{prefix + "*"}
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = prefix + id
	}
	return out
}

func ecsAny(r *protocol.Request, p localyun.Principal) []string {
	return []string{"acs:ecs:" + region(r) + ":" + p.AccountID + ":*"}
}

// ramARN returns acs:ram::<uid>:<kind>/<name of param>, or <kind>/* when
// the parameter is absent.
func ramARN(kind, param string) resourceFunc {
	return func(r *protocol.Request, p localyun.Principal) []string {
		name := r.Get(param)
		if name == "" {
			name = "*"
		}
		return []string{"acs:ram::" + p.AccountID + ":" + kind + "/" + name}
	}
}

// ramSelfUser names the UserName parameter, or the caller itself when it
// is absent (ListAccessKeys and friends act on the caller's own keys).
func ramSelfUser(r *protocol.Request, p localyun.Principal) []string {
	name := r.Get("UserName")
	if name == "" {
		if p.Type != localyun.PrincipalTypeUser {
			return []string{"acs:ram::" + p.AccountID + ":root"}
		}
		name = p.UserName
	}
	return []string{"acs:ram::" + p.AccountID + ":user/" + name}
}

func both(a, b resourceFunc) resourceFunc {
	return func(r *protocol.Request, p localyun.Principal) []string {
		return append(a(r, p), b(r, p)...)
	}
}

func roleArn(r *protocol.Request, p localyun.Principal) []string {
	if arn := r.Get("RoleArn"); arn != "" {
		return []string{arn}
	}
	return []string{"*"}
}

func bastionInstance(r *protocol.Request, p localyun.Principal) []string {
	prefix := "acs:yundun-bastionhost:" + region(r) + ":" + p.AccountID + ":instance/"
	ids := r.RepeatList("InstanceId")
	if id := r.Get("InstanceId"); id != "" {
		ids = []string{id}
	}
	if len(ids) == 0 || len(ids) > maxResources {
		return []string{prefix + "*"}
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = prefix + id
	}
	return out
}

var (
	docInstance = "acs:ecs:<RegionId>:<uid>:instance/<InstanceId>"
	docECSAny   = "acs:ecs:<RegionId>:<uid>:*"
	docRole     = "acs:ram::<uid>:role/<RoleName>"
	docUser     = "acs:ram::<uid>:user/<UserName>"
	docGroup    = "acs:ram::<uid>:group/<GroupName>"
	docPolicy   = "acs:ram::<uid>:policy/<PolicyName>"
	docBastion  = "acs:yundun-bastionhost:<RegionId>:<uid>:instance/<InstanceId>"
)

func init() {
	ecsInst := func(names ...string) {
		for _, n := range names {
			add(Action{Version: VersionECS, API: n, Resource: docInstance, Resources: ecsInstances})
		}
	}
	ecsInst("AttachInstanceRamRole", "DetachInstanceRamRole", "DescribeInstanceRamRole", "DescribeInstances",
		"DeleteInstance", "DeleteInstances", "StartInstance", "StopInstance", "DescribeInstanceAttribute",
		"DescribeInstanceStatus", "ModifyInstanceAttribute", "RunInstances", "CreateInstance")
	for _, n := range []string{"DescribeRegions", "ListTagResources", "TagResources", "UntagResources"} {
		add(Action{Version: VersionECS, API: n, Resource: docECSAny, Resources: ecsAny})
	}

	ram := func(doc string, f resourceFunc, names ...string) {
		for _, n := range names {
			add(Action{Version: VersionRAM, API: n, Resource: doc, Resources: f})
		}
	}
	ram(docRole, ramARN("role", "RoleName"), "CreateRole", "GetRole", "ListRoles", "UpdateRole", "DeleteRole")
	ram(docUser, ramARN("user", "UserName"), "CreateUser", "GetUser", "ListUsers", "UpdateUser", "DeleteUser")
	ram(docUser+" (the caller itself without UserName)", ramSelfUser,
		"CreateAccessKey", "ListAccessKeys", "UpdateAccessKey", "DeleteAccessKey", "GetAccessKeyLastUsed")
	ram(docGroup, ramARN("group", "GroupName"), "CreateGroup", "GetGroup", "ListGroups", "UpdateGroup", "DeleteGroup",
		"ListUsersForGroup", "ListPoliciesForGroup")
	ram(docGroup+", "+docUser, both(ramARN("group", "GroupName"), ramARN("user", "UserName")), "AddUserToGroup", "RemoveUserFromGroup")
	ram(docUser, ramARN("user", "UserName"), "ListGroupsForUser", "ListPoliciesForUser")
	ram(docRole, ramARN("role", "RoleName"), "ListPoliciesForRole")
	ram(docPolicy, ramARN("policy", "PolicyName"), "CreatePolicy", "GetPolicy", "ListPolicies", "DeletePolicy",
		"CreatePolicyVersion", "GetPolicyVersion", "ListPolicyVersions", "SetDefaultPolicyVersion", "DeletePolicyVersion",
		"ListEntitiesForPolicy")
	ram(docPolicy+", "+docUser, both(ramARN("policy", "PolicyName"), ramARN("user", "UserName")), "AttachPolicyToUser", "DetachPolicyFromUser")
	ram(docPolicy+", "+docGroup, both(ramARN("policy", "PolicyName"), ramARN("group", "GroupName")), "AttachPolicyToGroup", "DetachPolicyFromGroup")
	ram(docPolicy+", "+docRole, both(ramARN("policy", "PolicyName"), ramARN("role", "RoleName")), "AttachPolicyToRole", "DetachPolicyFromRole")

	add(Action{Version: VersionSTS, API: "AssumeRole", Resource: "<RoleArn> (acs:ram::<uid>:role/<name>)", Resources: roleArn})
	add(Action{Version: VersionSTS, API: "GetCallerIdentity", Public: true, Resource: "none (any authenticated caller)",
		Resources: func(*protocol.Request, localyun.Principal) []string { return nil }})

	for _, n := range bastionhostActions {
		add(Action{Version: VersionBastionhost, API: n, Resource: docBastion, Resources: bastionInstance})
	}
}

// bastionhostActions are the Yundun-bastionhost 2019-12-09 actions, named
// after the official API metadata.
var bastionhostActions = []string{
	"AcceptApproveCommand", "AcceptOperationTicket", "AddDatabasesToGroup", "AddHostsToGroup", "AddInstanceRdMember", "AddUsersToGroup",
	"AttachDatabaseAccountsToUser", "AttachDatabaseAccountsToUserGroup", "AttachHostAccountsToHostShareKey", "AttachHostAccountsToUser", "AttachHostAccountsToUserGroup", "AttachHostGroupAccountsToUser",
	"AttachHostGroupAccountsToUserGroup", "ConfigInstanceSecurityGroups", "ConfigInstanceWhiteList", "CreateDatabase", "CreateDatabaseAccount", "CreateExportConfigJob",
	"CreateHost", "CreateHostAccount", "CreateHostGroup", "CreateHostShareKey", "CreateNetworkDomain", "CreateOperationTicket",
	"CreatePolicy", "CreateRule", "CreateUser", "CreateUserGroup", "CreateUserPublicKey", "DeleteDatabase",
	"DeleteDatabaseAccount", "DeleteHost", "DeleteHostAccount", "DeleteHostGroup", "DeleteHostShareKey", "DeleteNetworkDomain",
	"DeletePolicy", "DeleteRule", "DeleteUser", "DeleteUserGroup", "DeleteUserPublicKey", "DescribeInstanceAttribute",
	"DescribeInstances", "DescribeRegions", "DetachDatabaseAccountsFromUser", "DetachDatabaseAccountsFromUserGroup", "DetachHostAccountsFromHostShareKey", "DetachHostAccountsFromUser",
	"DetachHostAccountsFromUserGroup", "DetachHostGroupAccountsFromUser", "DetachHostGroupAccountsFromUserGroup", "DisableInstancePublicAccess", "DisableRule", "EnableInstancePublicAccess",
	"EnableRule", "GenerateAssetOperationToken", "GetDatabase", "GetDatabaseAccount", "GetExportConfigJob", "GetHost",
	"GetHostAccount", "GetHostGroup", "GetHostShareKey", "GetInstanceADAuthServer", "GetInstanceLDAPAuthServer", "GetInstanceStoreInfo",
	"GetInstanceTwoFactor", "GetNetworkDomain", "GetPolicy", "GetPolicyAssetScope", "GetPolicyUserScope", "GetRule",
	"GetUser", "GetUserGroup", "ListApproveCommands", "ListDatabaseAccounts", "ListDatabaseAccountsForUser", "ListDatabaseAccountsForUserGroup",
	"ListDatabases", "ListDatabasesForUser", "ListDatabasesForUserGroup", "ListHostAccounts", "ListHostAccountsForHostShareKey", "ListHostAccountsForUser",
	"ListHostAccountsForUserGroup", "ListHostGroupAccountNamesForUser", "ListHostGroupAccountNamesForUserGroup", "ListHostGroups", "ListHostGroupsForUser", "ListHostGroupsForUserGroup",
	"ListHostShareKeys", "ListHosts", "ListHostsForUser", "ListHostsForUserGroup", "ListInstanceRdMembers", "ListNetworkDomains",
	"ListOperationDatabaseAccounts", "ListOperationDatabases", "ListOperationHostAccounts", "ListOperationHosts", "ListOperationTickets", "ListPolicies",
	"ListRules", "ListTagKeys", "ListTagResources", "ListUserGroups", "ListUserPublicKeys", "ListUsers",
	"LockUsers", "ModifyDatabase", "ModifyDatabaseAccount", "ModifyHost", "ModifyHostAccount", "ModifyHostGroup",
	"ModifyHostShareKey", "ModifyHostsActiveAddressType", "ModifyHostsPort", "ModifyInstanceADAuthServer", "ModifyInstanceAttribute", "ModifyInstanceLDAPAuthServer",
	"ModifyInstanceTwoFactor", "ModifyNetworkDomain", "ModifyPolicy", "ModifyRule", "ModifyUser", "ModifyUserGroup",
	"ModifyUserPublicKey", "MoveDatabasesToNetworkDomain", "MoveHostsToNetworkDomain", "MoveResourceGroup", "RejectApproveCommand", "RejectOperationTicket",
	"RemoveDatabasesFromGroup", "RemoveHostsFromGroup", "RemoveInstanceRdMember", "RemoveUsersFromGroup", "RenewAssetOperationToken", "ResetHostAccountCredential",
	"SetPolicyAccessTimeRangeConfig", "SetPolicyApprovalConfig", "SetPolicyAssetScope", "SetPolicyCommandConfig", "SetPolicyIPAclConfig", "SetPolicyProtocolConfig",
	"SetPolicyUserScope", "StartInstance", "TagResources", "UnlockUsers", "UntagResources", "VerifyInstanceADAuthServer",
	"VerifyInstanceLDAPAuthServer",
}

var table = map[string]Action{}

func add(a Action) {
	a.RAM = services[a.Version] + ":" + a.API
	key := a.Version + "/" + a.API
	if _, dup := table[key]; dup {
		panic("auth: duplicate action " + key)
	}
	table[key] = a
}

// Legacy registers an action whose handler still reads the wire request;
// its resources come from this package's old table. Transitional: every
// action moves to a typed input with its own Resources.
func Legacy(m *protocol.Mux, p protocol.Product, action string, h protocol.Handler) {
	a, ok := Lookup(p.Version, action)
	if !ok {
		panic("auth: no legacy row for " + p.Version + "/" + action)
	}
	pa := protocol.Action[*protocol.Request]{Name: action, Public: a.Public, Resource: a.Resource,
		Parse: func(r *protocol.Request) (*protocol.Request, error) { return r, nil },
		Serve: h}
	if !a.Public {
		pa.Resources = func(_ context.Context, pr localyun.Principal, r *protocol.Request) ([]string, error) {
			return a.Resources(r, pr), nil
		}
	}
	protocol.Handle(m, p, pa)
}

// Lookup returns the table row of an API action.
func Lookup(version, api string) (Action, bool) {
	a, ok := table[version+"/"+api]
	return a, ok
}

// Actions returns every row of the table, by version then action.
func Actions() []Action {
	out := make([]Action, 0, len(table))
	for _, a := range table {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Version != out[j].Version {
			return out[i].Version < out[j].Version
		}
		return out[i].API < out[j].API
	})
	return out
}

// RoleARN returns the ARN PassRole and AssumeRole are decided on for a role.
func RoleARN(accountID, name string) string { return "acs:ram::" + accountID + ":role/" + name }

// DenyError is the 403 a product answers (code and message are the
// product's) when RAM refuses ramAction to p.
func DenyError(code, message, ramAction string, p localyun.Principal, d Decision) error {
	return &localyun.Error{Status: http.StatusForbidden, Code: code, Message: message,
		Detail: Detail(ramAction, p, d)}
}

// Detail is the AccessDeniedDetail of a denial.
func Detail(ramAction string, p localyun.Principal, d Decision) *localyun.AccessDeniedDetail {
	return &localyun.AccessDeniedDetail{
		AuthAction:               ramAction,
		AuthPrincipalOwnerID:     p.AccountID,
		AuthPrincipalType:        p.Type,
		AuthPrincipalDisplayName: p.DisplayName(),
		NoPermissionType:         d.NoPermissionType(),
		PolicyType:               d.PolicyType,
		EncodedDiagnosticMessage: "",
	}
}

// ServiceOf returns the RAM service prefix of a version ("" if unknown).
func ServiceOf(version string) string { return services[version] }
