package e2e_test

// The lanes walk: every served action, called by a RAM user who may do
// anything except touch what is named "victim", with its sample request
// and with variants that smuggle a victim into the parameters (duplicated
// parameters, alias parameters, another letter case, padding, oversized
// lists). Authorization must be decided on what the action acts on, so a
// variant either fails with a 4xx or, if it succeeds, leaves every victim
// as it was and tells nothing of it.

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/protocol"
	"github.com/localyun/localyun/internal/server"
	"github.com/localyun/localyun/internal/sqlite"
)

const (
	walkECS     = "2014-05-26"
	walkRAM     = "2015-05-01"
	walkSTS     = "2015-04-01"
	walkBastion = "2019-12-09"

	// walkMarker names every victim (case-insensitively): no allowed object
	// and no sample response outside listings contains it.
	walkMarker = "victim"

	// Every world is an account of its own in one store; ids that are
	// unique across accounts carry the world's number, {w}, and ARNs its
	// account, {acct}: walkWorld.call fills both in.
	bhAllowed = "bastionhost-cn-allowed01-{w}"
	bhVictim  = "bastionhost-cn-victim01-{w}"

	allowedKeyID = "LTAI5tAllowedKey{w}"
	victimKeyID  = "LTAI5tVictimKey{w}"
)

// walkerPolicies are the walking user's policies: everything is allowed,
// except (explicitly denied) any resource named with the marker: RAM names
// spelled "Victim…" (stored spelling), ECS and Bastionhost ids "…victim…".
var walkerPolicies = map[string]string{
	"WalkerAllow": `{"Version":"1","Statement":[{"Effect":"Allow","Action":"*:*","Resource":"*"}]}`,
	// VictimGuard is a victim itself: the walker must not detach its own Deny.
	"VictimGuard": `{"Version":"1","Statement":[{"Effect":"Deny","Action":"*:*","Resource":[` +
		`"acs:ram:*:*:*Victim*","acs:ecs:*:*:*victim*","acs:yundun-bastionhost:*:*:*victim*"]}]}`,
}

// walkTrust lets the account's RAM users and ECS assume a role.
const walkTrust = `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole",` +
	`"Principal":{"RAM":["acs:ram::{acct}:root"],"Service":["ecs.aliyuncs.com"]}}]}`

// walkPolicyDoc is a custom policy document; the victim's carry the marker
// in their Sid, so that reading one shows.
func walkPolicyDoc(sid string) string {
	return `{"Version":"1","Statement":[{"Sid":"` + sid + `","Effect":"Allow","Action":"ecs:DescribeInstances","Resource":"*"}]}`
}

// walkTarget is a parameter of a sample naming what the action acts on,
// and the victim to put there instead.
type walkTarget struct {
	param  string
	victim string            // the victim's id or name, in its stored spelling
	with   map[string]string // companion parameters sent along with the victim
}

// walkSample is one action's sample request: what the walker may do.
type walkSample struct {
	params  map[string]string
	targets []walkTarget
	extra   []walkExtra // hand-written variants beyond the generated ones
	// status is the sample's answer to the walker when it is not 200: an
	// action no RAM user may call (ResetAccount, the root's only) is
	// walked for variants that get past its refusal.
	status int
}

// walkExtra is a hand-written variant: the sample with parameters set and
// deleted.
type walkExtra struct {
	name string
	set  map[string]string
	del  []string
}

// walkVariant is one request of the walk: the sample with parameters
// changed, and del deleted.
type walkVariant struct {
	name   string
	params url.Values
	del    []string
}

// walkSamples has a sample request for every served action, by
// "Version/Action"; TestLanesWalk fails when an action has none, so a new
// action comes with its row.
var walkSamples = map[string]walkSample{}

func init() {
	for k, v := range ecsSamples() {
		walkSamples[walkECS+"/"+k] = v
	}
	for k, v := range ramSamples() {
		walkSamples[walkRAM+"/"+k] = v
	}
	for k, v := range bastionSamples() {
		walkSamples[walkBastion+"/"+k] = v
	}
	for k, v := range localyunSamples() {
		walkSamples[walkLocalyun+"/"+k] = v
	}
	walkSamples[walkSTS+"/AssumeRole"] = walkSample{
		params:  map[string]string{"RoleArn": roleARN("AllowedRole"), "RoleSessionName": "walk"},
		targets: []walkTarget{{param: "RoleArn", victim: "VictimRole"}},
	}
	walkSamples[walkSTS+"/GetCallerIdentity"] = walkSample{params: map[string]string{}}
	// The walker is a RAM user: ResetAccount refuses it whatever it sends
	// (the sample would empty the world's account, victims included, if it
	// got through).
	walkSamples[walkLocalyun+"/ResetAccount"] = walkSample{params: map[string]string{"KeepEvents": "false"},
		status: http.StatusForbidden}
	walkSamples["2020-07-06/LookupEvents"] = walkSample{params: map[string]string{"MaxResults": "50",
		"LookupAttribute.1.Key": "EventRW", "LookupAttribute.1.Value": "Write"}}
}

func roleARN(name string) string { return "acs:ram::{acct}:role/" + name }

func ecsSamples() map[string]walkSample {
	ids := func(id string) string { return `["` + id + `"]` }
	reg := func(kv ...string) map[string]string {
		m := map[string]string{"RegionId": region}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	role := walkTarget{param: "RamRoleName", victim: "VictimRole"}
	return map[string]walkSample{
		"DescribeRegions": {params: reg()},
		"RunInstances": {params: reg("ImageId", "img", "InstanceType", "ecs.g7.large", "RamRoleName", "AllowedRole"),
			targets: []walkTarget{role}},
		"CreateInstance": {params: reg("ImageId", "img", "InstanceType", "ecs.g7.large", "RamRoleName", "AllowedRole"),
			targets: []walkTarget{role}},
		"DeleteInstance": {params: map[string]string{"InstanceId": "i-allowed02-{w}", "Force": "true"},
			targets: []walkTarget{{param: "InstanceId", victim: "i-victim03-{w}"}}},
		"DeleteInstances": {params: reg("InstanceId.1", "i-allowed02-{w}", "Force", "true"),
			targets: []walkTarget{{param: "InstanceId.1", victim: "i-victim03-{w}"}}},
		"StartInstance": {params: map[string]string{"InstanceId": "i-allowed03-{w}"},
			targets: []walkTarget{{param: "InstanceId", victim: "i-victim02-{w}"}}},
		"StopInstance": {params: map[string]string{"InstanceId": "i-allowed02-{w}"},
			targets: []walkTarget{{param: "InstanceId", victim: "i-victim03-{w}"}}},
		"DescribeInstances": {params: reg("InstanceIds", ids("i-allowed01-{w}")),
			targets: []walkTarget{{param: "InstanceIds", victim: "i-victim01-{w}"}}},
		"AttachInstanceRamRole": {params: reg("InstanceIds", ids("i-allowed02-{w}"), "RamRoleName", "AllowedRole"),
			targets: []walkTarget{{param: "InstanceIds", victim: "i-victim03-{w}"}, role}},
		"DetachInstanceRamRole": {params: reg("InstanceIds", ids("i-allowed01-{w}"), "RamRoleName", "AllowedRole"),
			targets: []walkTarget{{param: "InstanceIds", victim: "i-victim04-{w}"}, role},
			// PassRole is then decided on the attached role, read from the store.
			extra: []walkExtra{{name: "no RamRoleName, an instance holding a role", set: map[string]string{"InstanceIds": ids("i-allowed04-{w}")},
				del: []string{"RamRoleName"}}}},
		"DescribeInstanceRamRole": {params: reg("InstanceIds", ids("i-allowed01-{w}")),
			targets: []walkTarget{{param: "InstanceIds", victim: "i-victim01-{w}"}}},
		"DescribeInstanceAttribute": {params: map[string]string{"InstanceId": "i-allowed01-{w}"},
			targets: []walkTarget{{param: "InstanceId", victim: "i-victim01-{w}"}}},
		"DescribeInstanceStatus": {params: reg("InstanceId.1", "i-allowed01-{w}"),
			targets: []walkTarget{{param: "InstanceId.1", victim: "i-victim01-{w}"}}},
		"ModifyInstanceAttribute": {params: map[string]string{"InstanceId": "i-allowed01-{w}", "InstanceName": "walked"},
			targets: []walkTarget{{param: "InstanceId", victim: "i-victim03-{w}"}}},
		"ModifyInstanceMetadataOptions": {params: reg("InstanceId", "i-allowed01-{w}", "HttpTokens", "required"),
			targets: []walkTarget{{param: "InstanceId", victim: "i-victim03-{w}"}}},
		"TagResources": {params: reg("ResourceType", "instance", "ResourceId.1", "i-allowed01-{w}", "Tag.1.Key", "k", "Tag.1.Value", "v"),
			targets: []walkTarget{{param: "ResourceId.1", victim: "i-victim03-{w}"}}},
		"UntagResources": {params: reg("ResourceType", "instance", "ResourceId.1", "i-allowed01-{w}", "TagKey.1", "k"),
			targets: []walkTarget{{param: "ResourceId.1", victim: "i-victim03-{w}"}}},
		"ListTagResources": {params: reg("ResourceType", "instance", "ResourceId.1", "i-allowed01-{w}"),
			targets: []walkTarget{{param: "ResourceId.1", victim: "i-victim01-{w}"}}},
	}
}

func ramSamples() map[string]walkSample {
	p := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	t := func(param, victim string) walkTarget { return walkTarget{param: param, victim: victim} }
	user, group, role, pol := t("UserName", "VictimUser"), t("GroupName", "VictimGroup"), t("RoleName", "VictimRole"), t("PolicyName", "VictimPolicy")
	keyOf := walkTarget{param: "UserName", victim: "VictimUser", with: map[string]string{"UserAccessKeyId": victimKeyID}}
	key := t("UserAccessKeyId", victimKeyID)
	// The access key actions default to the caller without UserName.
	selfKey := []walkExtra{{name: "no UserName, the victim's key", set: map[string]string{"UserAccessKeyId": victimKeyID}, del: []string{"UserName"}}}
	custom := func(kv ...string) map[string]string { return p(append([]string{"PolicyType", "Custom"}, kv...)...) }
	return map[string]walkSample{
		"CreateRole": {params: p("RoleName", "NewRole", "AssumeRolePolicyDocument", walkTrust), targets: []walkTarget{role}},
		"GetRole":    {params: p("RoleName", "AllowedRole"), targets: []walkTarget{role}},
		"ListRoles":  {params: p()},
		"UpdateRole": {params: p("RoleName", "AllowedRole", "NewDescription", "changed"), targets: []walkTarget{role}},
		"DeleteRole": {params: p("RoleName", "BareRole"), targets: []walkTarget{t("RoleName", "VictimBareRole")}},

		"CreateUser": {params: p("UserName", "NewUser"), targets: []walkTarget{user}},
		"GetUser":    {params: p("UserName", "AllowedUser"), targets: []walkTarget{user}},
		"ListUsers":  {params: p()},
		"UpdateUser": {params: p("UserName", "AllowedUser", "NewDisplayName", "changed"), targets: []walkTarget{user}},
		"DeleteUser": {params: p("UserName", "BareUser"), targets: []walkTarget{t("UserName", "VictimBareUser")}},

		"CreateAccessKey": {params: p("UserName", "AllowedUser"), targets: []walkTarget{user}},
		"ListAccessKeys":  {params: p("UserName", "AllowedUser"), targets: []walkTarget{user}},
		"UpdateAccessKey": {params: p("UserName", "AllowedUser", "UserAccessKeyId", allowedKeyID, "Status", "Inactive"),
			targets: []walkTarget{keyOf, key}, extra: selfKey},
		"DeleteAccessKey": {params: p("UserName", "AllowedUser", "UserAccessKeyId", allowedKeyID),
			targets: []walkTarget{keyOf, key}, extra: selfKey},
		"GetAccessKeyLastUsed": {params: p("UserName", "AllowedUser", "UserAccessKeyId", allowedKeyID),
			targets: []walkTarget{keyOf, key}, extra: selfKey},

		"CreateGroup":         {params: p("GroupName", "NewGroup"), targets: []walkTarget{group}},
		"GetGroup":            {params: p("GroupName", "AllowedGroup"), targets: []walkTarget{group}},
		"ListGroups":          {params: p()},
		"UpdateGroup":         {params: p("GroupName", "AllowedGroup", "NewComments", "changed"), targets: []walkTarget{group}},
		"DeleteGroup":         {params: p("GroupName", "BareGroup"), targets: []walkTarget{t("GroupName", "VictimBareGroup")}},
		"AddUserToGroup":      {params: p("GroupName", "AllowedGroup", "UserName", "BareUser"), targets: []walkTarget{group, t("UserName", "VictimBareUser")}},
		"RemoveUserFromGroup": {params: p("GroupName", "LinkGroup", "UserName", "LinkUser"), targets: []walkTarget{group, user}},
		"ListGroupsForUser":   {params: p("UserName", "AllowedUser"), targets: []walkTarget{user}},
		"ListUsersForGroup":   {params: p("GroupName", "BareGroup"), targets: []walkTarget{group}},

		"CreatePolicy":            {params: p("PolicyName", "NewPolicy", "PolicyDocument", walkPolicyDoc("New")), targets: []walkTarget{pol}},
		"GetPolicy":               {params: custom("PolicyName", "AllowedPolicy"), targets: []walkTarget{pol}},
		"ListPolicies":            {params: p("PolicyType", "Custom")},
		"DeletePolicy":            {params: p("PolicyName", "BarePolicy"), targets: []walkTarget{t("PolicyName", "VictimBarePolicy")}},
		"CreatePolicyVersion":     {params: p("PolicyName", "AllowedPolicy", "PolicyDocument", walkPolicyDoc("Three")), targets: []walkTarget{pol}},
		"GetPolicyVersion":        {params: custom("PolicyName", "AllowedPolicy", "VersionId", "v1"), targets: []walkTarget{pol}},
		"ListPolicyVersions":      {params: custom("PolicyName", "AllowedPolicy"), targets: []walkTarget{pol}},
		"SetDefaultPolicyVersion": {params: p("PolicyName", "AllowedPolicy", "VersionId", "v2"), targets: []walkTarget{pol}},
		"DeletePolicyVersion":     {params: p("PolicyName", "AllowedPolicy", "VersionId", "v2"), targets: []walkTarget{pol}},
		"ListEntitiesForPolicy":   {params: custom("PolicyName", "BarePolicy"), targets: []walkTarget{pol}},

		"AttachPolicyToUser":  {params: custom("PolicyName", "AllowedPolicy", "UserName", "BareUser"), targets: []walkTarget{pol, t("UserName", "VictimBareUser")}},
		"AttachPolicyToGroup": {params: custom("PolicyName", "AllowedPolicy", "GroupName", "BareGroup"), targets: []walkTarget{pol, t("GroupName", "VictimBareGroup")}},
		"AttachPolicyToRole":  {params: custom("PolicyName", "AllowedPolicy", "RoleName", "BareRole"), targets: []walkTarget{pol, t("RoleName", "VictimBareRole")}},
		"DetachPolicyFromUser": {params: custom("PolicyName", "LinkPolicy", "UserName", "LinkUser"), targets: []walkTarget{pol, user},
			// The caller removing its own Deny.
			extra: []walkExtra{{name: "the caller's own Deny, lower case", set: map[string]string{"PolicyName": "victimguard", "UserName": "walker"}}}},
		"DetachPolicyFromGroup": {params: custom("PolicyName", "LinkPolicy", "GroupName", "LinkGroup"), targets: []walkTarget{pol, group}},
		"DetachPolicyFromRole":  {params: custom("PolicyName", "LinkPolicy", "RoleName", "LinkRole"), targets: []walkTarget{pol, role}},
		"ListPoliciesForUser":   {params: p("UserName", "AllowedUser"), targets: []walkTarget{user}},
		"ListPoliciesForGroup":  {params: p("GroupName", "AllowedGroup"), targets: []walkTarget{group}},
		"ListPoliciesForRole":   {params: p("RoleName", "AllowedRole"), targets: []walkTarget{role}},
		// The message of a denial of the world's AllowedUser (walkDiagnostic).
		"DecodeDiagnosticMessage": {params: p("EncodedDiagnosticMessage", "{diag}")},
	}
}

// bastionSamples act in instance bhAllowed on objects whose ids are the
// same in bhVictim (both are built alike), so that a variant moving the
// InstanceId to the victim reaches real objects there.
// walkPublicKey is an OpenSSH public key line, Base64-encoded as
// CreateUserPublicKey takes it.
const walkPublicKey = "c3NoLWVkMjU1MTkgQUFBQUMzTnphQzFsWkRJMU5URTVBQUFBSVBqRS9YNituUUJseEl0YVc2TGdOMHVoNlE3M0hLaHdhTFh4WlFJOGFUVDUgd2Fsawo="

// walkSetupPublicKey is the key the world registers for bastion user 1.
const walkSetupPublicKey = "c3NoLWVkMjU1MTkgQUFBQUMzTnphQzFsWkRJMU5URTVBQUFBSUpwZVFWY2lXNGdTWEt4N2FQOXI2RHhuQmNRdkUxSmwzOU0xR0JMN2g0WjMgd2FsazIK"

func bastionSamples() map[string]walkSample {
	p := func(kv ...string) map[string]string {
		m := map[string]string{"RegionId": region, "InstanceId": bhAllowed}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	inst := []walkTarget{{param: "InstanceId", victim: bhVictim}}
	s := func(kv ...string) walkSample { return walkSample{params: p(kv...), targets: inst} }
	out := map[string]walkSample{
		"DescribeInstances": {params: map[string]string{"RegionId": region, "InstanceId.1": bhAllowed},
			targets: []walkTarget{{param: "InstanceId.1", victim: bhVictim}}},
		"DescribeRegions":           {params: map[string]string{}},
		"DescribeInstanceAttribute": s(),

		"CreateHost": s("HostName", "new-host", "OSType", "Linux", "Source", "Local", "ActiveAddressType", "Private",
			"HostPrivateAddress", "10.0.0.9"),
		"GetHost":    s("HostId", "1"),
		"ListHosts":  s(),
		"ModifyHost": s("HostId", "1", "Comment", "changed"),
		"DeleteHost": s("HostId", "2"),

		"CreateHostAccount": s("HostId", "1", "HostAccountName", "new", "ProtocolName", "SSH", "Password", "Passw0rd!x"),
		"GetHostAccount":    s("HostAccountId", "1"),
		"ListHostAccounts":  s("HostId", "1"),
		"ModifyHostAccount": s("HostAccountId", "1", "HostAccountName", "renamed"),
		"DeleteHostAccount": s("HostAccountId", "2"),

		"CreateUser": s("UserName", "new-user", "Source", "Local", "Password", "Passw0rd!x"),
		"GetUser":    s("UserId", "1"),
		"ListUsers":  s(),
		"ModifyUser": s("UserId", "1", "Comment", "changed"),
		"DeleteUser": s("UserId", "2"),

		"CreateUserGroup":      s("UserGroupName", "new-group"),
		"GetUserGroup":         s("UserGroupId", "1"),
		"ListUserGroups":       s(),
		"ModifyUserGroup":      s("UserGroupId", "1", "Comment", "changed"),
		"DeleteUserGroup":      s("UserGroupId", "2"),
		"AddUsersToGroup":      s("UserGroupId", "1", "UserIds", `["2"]`),
		"RemoveUsersFromGroup": s("UserGroupId", "1", "UserIds", `["1"]`),

		"CreateHostGroup":      s("HostGroupName", "new-hosts"),
		"GetHostGroup":         s("HostGroupId", "1"),
		"ListHostGroups":       s(),
		"ModifyHostGroup":      s("HostGroupId", "1", "Comment", "changed"),
		"DeleteHostGroup":      s("HostGroupId", "2"),
		"AddHostsToGroup":      s("HostGroupId", "1", "HostIds", `["2"]`),
		"RemoveHostsFromGroup": s("HostGroupId", "1", "HostIds", `["1"]`),

		"CreateUserPublicKey":       s("UserId", "1", "PublicKeyName", "walk", "PublicKey", walkPublicKey),
		"ListUserPublicKeys":        s("UserId", "1"),
		"DeleteUserPublicKey":       s("PublicKeyId", "1"),
		"LockUsers":                 s("UserIds", `["2"]`),
		"UnlockUsers":               s("UserIds", `["2"]`),
		"ModifyHostsPort":           s("HostIds", `["1"]`, "ProtocolName", "SSH", "Port", "2222"),
		"ListOperationHosts":        s(),
		"ListOperationHostAccounts": s("HostId", "1"),
		"GenerateAssetOperationToken": s("AssetId", "1", "AssetType", "Host", "AssetAccountId", "1",
			"OperationMode", "WebToken"),
	}
	for _, g := range []struct{ suffix, param string }{{"UserGroup", "UserGroupId"}, {"User", "UserId"}} {
		out["AttachHostAccountsTo"+g.suffix] = s(g.param, "1", "Hosts", `[{"HostId":"1","HostAccountIds":["2"]}]`)
		out["DetachHostAccountsFrom"+g.suffix] = s(g.param, "1", "Hosts", `[{"HostId":"1","HostAccountIds":["1"]}]`)
		out["ListHostsFor"+g.suffix] = s(g.param, "1")
		out["ListHostAccountsFor"+g.suffix] = s(g.param, "1", "HostId", "1")
		out["AttachHostGroupAccountsTo"+g.suffix] = s(g.param, "1", "HostGroups", `[{"HostGroupId":"2","HostAccountNames":["root"]}]`)
		out["DetachHostGroupAccountsFrom"+g.suffix] = s(g.param, "1", "HostGroups", `[{"HostGroupId":"1","HostAccountNames":["root"]}]`)
		out["ListHostGroupsFor"+g.suffix] = s(g.param, "1")
		out["ListHostGroupAccountNamesFor"+g.suffix] = s(g.param, "1", "HostGroupId", "1")
	}
	return out
}

// walkAliases are the other parameters that could name the same thing.
var walkAliases = map[string][]string{
	"InstanceId":   {"InstanceIds", "InstanceId.1"},
	"InstanceIds":  {"InstanceId", "InstanceId.1"},
	"InstanceId.1": {"InstanceIds", "InstanceId"},
	"RoleName":     {"RoleArn"},
	"RoleArn":      {"RoleName"},
	"RamRoleName":  {"RoleName", "RoleArn"},
}

// walkPad is the padding of the padded variants: past the 64 KiB where the
// old authorization table stopped reading InstanceIds.
var walkPad = strings.Repeat(" ", 65536)

// encode writes an id or name in the form of param: a JSON list for
// InstanceIds, an ARN for RoleArn, else as it is.
func encode(param, v string) string {
	switch param {
	case "InstanceIds":
		b, _ := json.Marshal([]string{v})
		return string(b)
	case "RoleArn":
		return roleARN(v)
	}
	return v
}

// decode is the id or name a sample's value of param names.
func decode(param, v string) string {
	switch param {
	case "InstanceIds":
		var ids []string
		if json.Unmarshal([]byte(v), &ids) == nil && len(ids) > 0 {
			return ids[0]
		}
	case "RoleArn":
		return v[strings.LastIndex(v, "/")+1:]
	}
	return v
}

// caseVariants are the victim in other letter cases.
func caseVariants(v string) []string {
	swap := []rune(v)
	for i, r := range swap {
		switch {
		case r >= 'a' && r <= 'z':
			swap[i] = r - 'a' + 'A'
		case r >= 'A' && r <= 'Z':
			swap[i] = r - 'A' + 'a'
		}
	}
	seen := map[string]bool{v: true}
	var out []string
	for _, c := range []string{strings.ToLower(v), strings.ToUpper(v), string(swap)} {
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}

// variants derives the mutated requests of a sample.
func variants(s walkSample) []walkVariant {
	var out []walkVariant
	for _, tg := range s.targets {
		out = append(out, targetVariants(s.params, tg)...)
	}
	for _, x := range s.extra {
		params := url.Values{}
		for k, v := range s.params {
			params.Set(k, v)
		}
		for _, k := range x.del {
			params.Del(k)
		}
		for k, v := range x.set {
			params.Set(k, v)
		}
		out = append(out, walkVariant{name: x.name, params: params, del: x.del})
	}
	return out
}

// targetVariants are the variants that put tg's victim into tg.param.
func targetVariants(sample map[string]string, tg walkTarget) []walkVariant {
	p, v := tg.param, tg.victim
	allowed := decode(p, sample[p])
	var out []walkVariant
	add := func(name string, set map[string][]string, del ...string) {
		params := url.Values{}
		for k, val := range sample {
			params.Set(k, val)
		}
		for _, k := range del {
			params.Del(k)
		}
		for k, val := range tg.with {
			params.Set(k, val)
		}
		for k, vals := range set {
			params[k] = vals
		}
		out = append(out, walkVariant{name: p + ": " + name, params: params, del: del})
	}
	one := func(x string) []string { return []string{x} }
	add("the victim", map[string][]string{p: one(encode(p, v))})
	add("victim first of two values", map[string][]string{p: {encode(p, v), encode(p, allowed)}})
	add("victim second of two values", map[string][]string{p: {encode(p, allowed), encode(p, v)}})
	for _, c := range caseVariants(v) {
		add("victim as "+c, map[string][]string{p: one(encode(p, c))})
	}
	add("victim + 65,536 spaces", map[string][]string{p: one(encode(p, v) + walkPad)})
	add("65,536 spaces + victim", map[string][]string{p: one(walkPad + encode(p, v))})
	many := []string{encode(p, v)}
	for i := 0; i < 100; i++ {
		many = append(many, encode(p, allowed))
	}
	add("victim first of 101 values", map[string][]string{p: many})
	for _, q := range walkAliases[p] {
		add("alias "+q+" = victim", map[string][]string{q: one(encode(q, v))})
		add("victim, alias "+q+" = allowed", map[string][]string{p: one(encode(p, v)), q: one(encode(q, allowed))})
		add("only alias "+q+" = victim", map[string][]string{q: one(encode(q, v))}, p)
	}
	switch p {
	case "InstanceIds":
		list := func(ids ...string) []string { b, _ := json.Marshal(ids); return one(string(b)) }
		add("[allowed, victim]", map[string][]string{p: list(allowed, v)})
		add("[victim, allowed]", map[string][]string{p: list(v, allowed)})
		add(`["victim"`+" + 65,536 spaces + ]", map[string][]string{p: one(`["` + v + `"` + walkPad + `]`)})
		add("[ + 65,536 spaces + \"victim\"]", map[string][]string{p: one(`[` + walkPad + `"` + v + `"]`)})
		add(`["allowed", "victim"`+" + 65,536 spaces + ]", map[string][]string{p: one(`["` + allowed + `","` + v + `"` + walkPad + `]`)})
		ids := []string{v}
		for i := 0; i < 100; i++ {
			ids = append(ids, fmt.Sprintf("i-filler%012d", i))
		}
		add("101 ids, victim first", map[string][]string{p: list(ids...)})
		add("100 ids, victim first", map[string][]string{p: list(ids[:100]...)})
	case "InstanceId.1":
		add("InstanceId.2 = victim", map[string][]string{"InstanceId.2": one(v)})
		add("InstanceId.1 = victim, InstanceId.2 = allowed", map[string][]string{p: one(v), "InstanceId.2": one(allowed)})
		set := map[string][]string{p: one(v)}
		for i := 2; i <= 101; i++ {
			set[fmt.Sprintf("InstanceId.%d", i)] = one(fmt.Sprintf("i-filler%012d", i))
		}
		add("InstanceId.1..101, victim first", set)
	}
	return out
}

// walkClient answers within a bound: a request that hangs is a finding,
// not a stuck suite.
var walkClient = &http.Client{Timeout: 30 * time.Second}

// signedCall sends a V1-signed POST with every parameter in the query
// (repeated ones as they are) and returns the status and the body.
func (e *env) signedCall(key, secret, version, action string, params url.Values) (int, []byte, error) {
	v := url.Values{}
	for k, vals := range params {
		v[k] = append([]string(nil), vals...)
	}
	b := make([]byte, 16)
	rand.Read(b)
	for k, val := range map[string]string{"Action": action, "Version": version, "Format": "JSON", "AccessKeyId": key,
		"SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0", "SignatureNonce": hex.EncodeToString(b),
		"Timestamp": time.Now().UTC().Format("2006-01-02T15:04:05Z")} {
		v.Set(k, val)
	}
	v.Set("Signature", protocol.SignV1(protocol.StringToSignV1("POST", v), secret))
	res, err := walkClient.Post(e.URL+"/?"+v.Encode(), "", nil)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	return res.StatusCode, body, err
}

// walkWorld is the state one action is walked on: an account of its own.
type walkWorld struct {
	t          *testing.T
	e          *env
	version    string
	n          string // the world's number, {w}
	acct       string // its account, {acct}
	rootKey    string // the account root's AccessKey pair
	rootSecret string
	key        string // the walker's AccessKey pair
	secret     string
	diag       string // {diag}: an EncodedDiagnosticMessage of the world (walkDiagnostic)
}

// walkWorlds numbers the worlds of a test binary.
var walkWorlds atomic.Int64

// fill puts the world's number and account into a template value. The
// number is digits, so that it survives a change of letter case ({W}).
func (w *walkWorld) fill(s string) string {
	if strings.Contains(s, "{diag}") && w.diag == "" {
		w.diag = walkDiagnostic(w)
	}
	return strings.NewReplacer("{diag}", w.diag, "{w}", w.n, "{W}", w.n, "{acct}", w.acct).Replace(s)
}

// call sends a V1-signed request in the world: every value filled in.
func (w *walkWorld) call(key, secret, version, action string, params url.Values) (int, []byte, error) {
	v := url.Values{}
	for k, vals := range params {
		for _, val := range vals {
			v.Add(w.fill(k), w.fill(val))
		}
	}
	return w.e.signedCall(key, secret, version, action, v)
}

// root calls an action as the world's account root; it must succeed.
func (w *walkWorld) root(version, action string, kv ...string) map[string]any {
	w.t.Helper()
	params := url.Values{}
	for i := 0; i < len(kv); i += 2 {
		params.Set(kv[i], kv[i+1])
	}
	status, body, err := w.call(w.rootKey, w.rootSecret, version, action, params)
	if err != nil || status != http.StatusOK {
		w.t.Fatalf("world: %s %v: %d %s %v", action, kv, status, body, err)
	}
	var out map[string]any
	json.Unmarshal(body, &out)
	return out
}

// newWalkWorld builds, in a new account of e's store, what the samples
// and variants of a product act on, and the walker: RAM user "walker"
// with walkerPolicies.
func newWalkWorld(t *testing.T, e *env, version string) *walkWorld {
	t.Helper()
	n := walkWorlds.Add(1)
	w := &walkWorld{t: t, e: e, version: version, n: fmt.Sprint(n), acct: fmt.Sprintf("7%015d", n),
		rootKey: fmt.Sprintf("LTAI5tWalkRoot%06d", n), rootSecret: "walkroot" + fmt.Sprint(n)}
	ctx, now := context.Background(), time.Now().UTC()
	if err := e.Store.CreateAccount(ctx, localyun.Account{ID: w.acct, Name: w.acct, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := e.Store.CreateAccessKey(ctx, localyun.AccessKey{ID: w.rootKey, Secret: w.rootSecret, AccountID: w.acct,
		Status: localyun.AccessKeyActive, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	w.root(walkRAM, "CreateUser", "UserName", "walker")
	for name, doc := range walkerPolicies {
		w.root(walkRAM, "CreatePolicy", "PolicyName", name, "PolicyDocument", doc)
		w.root(walkRAM, "AttachPolicyToUser", "PolicyType", "Custom", "PolicyName", name, "UserName", "walker")
	}
	k, _ := w.root(walkRAM, "CreateAccessKey", "UserName", "walker")["AccessKey"].(map[string]any)
	w.key, _ = k["AccessKeyId"].(string)
	w.secret, _ = k["AccessKeySecret"].(string)
	switch version {
	case walkECS:
		w.roles("AllowedRole", "VictimRole")
		w.instances()
	case walkSTS:
		w.roles("AllowedRole", "VictimRole")
	case walkRAM:
		w.ramWorld()
	case walkBastion:
		w.bastionWorld()
	case walkLocalyun:
		w.ramWorld()
		w.instances()
		w.bastionWorld()
	}
	return w
}

func (w *walkWorld) roles(names ...string) {
	for _, n := range names {
		w.root(walkRAM, "CreateRole", "RoleName", n, "AssumeRolePolicyDocument", walkTrust)
	}
}

// instances: allowed and victim ECS instances, running or stopped, with
// and without a role.
func (w *walkWorld) instances() {
	var insts []localyun.Instance
	for _, x := range []struct{ id, status, role string }{
		{"i-allowed01-{w}", localyun.StatusRunning, "AllowedRole"},
		{"i-allowed02-{w}", localyun.StatusRunning, ""},
		{"i-allowed03-{w}", localyun.StatusStopped, ""},
		{"i-allowed04-{w}", localyun.StatusRunning, "AllowedRole"},
		{"i-victim01-{w}", localyun.StatusRunning, "VictimRole"},
		{"i-victim02-{w}", localyun.StatusStopped, ""},
		{"i-victim03-{w}", localyun.StatusRunning, ""},
		{"i-victim04-{w}", localyun.StatusRunning, "AllowedRole"},
	} {
		insts = append(insts, localyun.Instance{ID: w.fill(x.id), AccountID: w.acct, RegionID: region, ZoneID: region + "-a",
			Name: x.id, Status: x.status, NetworkType: localyun.NetworkVPC, VpcID: "vpc-1", VSwitchID: "vsw-1",
			PrivateIP: "10.0.0.1", ImageID: "img", InstanceType: "ecs.g7.large", RAMRoleName: x.role, CreatedAt: time.Now().UTC()})
	}
	if err := w.e.Store.CreateInstances(context.Background(), insts); err != nil {
		w.t.Fatal(err)
	}
}

// ramWorld: users, groups, roles and policies named Allowed* (what the
// samples read and change), Bare* (nothing attached: what they delete or
// attach to), Link* (tied to the victims: what they detach), and Victim*
// and VictimBare*, with access keys. No victim is tied to an Allowed*
// object, so that a sample changing one leaves the victims' state alone.
func (w *walkWorld) ramWorld() {
	for _, u := range []string{"AllowedUser", "LinkUser", "BareUser", "VictimUser", "VictimBareUser"} {
		w.root(walkRAM, "CreateUser", "UserName", u)
	}
	now := time.Now().UTC()
	for user, id := range map[string]string{"AllowedUser": allowedKeyID, "VictimUser": victimKeyID} {
		if err := w.e.Store.CreateAccessKey(context.Background(), localyun.AccessKey{ID: w.fill(id), Secret: "walksecret",
			AccountID: w.acct, UserName: user, Status: localyun.AccessKeyActive, CreatedAt: now}); err != nil {
			w.t.Fatal(err)
		}
	}
	for _, g := range []string{"AllowedGroup", "LinkGroup", "BareGroup", "VictimGroup", "VictimBareGroup"} {
		w.root(walkRAM, "CreateGroup", "GroupName", g)
	}
	w.roles("AllowedRole", "LinkRole", "BareRole", "VictimRole", "VictimBareRole")
	for _, pol := range []string{"AllowedPolicy", "LinkPolicy", "BarePolicy", "VictimPolicy", "VictimBarePolicy"} {
		sid := strings.TrimSuffix(pol, "Policy")
		w.root(walkRAM, "CreatePolicy", "PolicyName", pol, "PolicyDocument", walkPolicyDoc(sid))
	}
	for _, pol := range []string{"AllowedPolicy", "VictimPolicy"} {
		sid := strings.TrimSuffix(pol, "Policy") + "Two"
		w.root(walkRAM, "CreatePolicyVersion", "PolicyName", pol, "PolicyDocument", walkPolicyDoc(sid))
	}
	for _, m := range [][2]string{{"AllowedGroup", "AllowedUser"}, {"LinkGroup", "LinkUser"}, {"LinkGroup", "VictimUser"},
		{"VictimGroup", "LinkUser"}, {"VictimGroup", "VictimUser"}} {
		w.root(walkRAM, "AddUserToGroup", "GroupName", m[0], "UserName", m[1])
	}
	for _, kind := range []struct{ kind, param string }{{"User", "UserName"}, {"Group", "GroupName"}, {"Role", "RoleName"}} {
		attach := func(pol, name string) {
			w.root(walkRAM, "AttachPolicyTo"+kind.kind, "PolicyType", "Custom", "PolicyName", pol, kind.param, name)
		}
		attach("AllowedPolicy", "Allowed"+kind.kind)
		for _, pol := range []string{"LinkPolicy", "VictimPolicy"} {
			attach(pol, "Link"+kind.kind)
			attach(pol, "Victim"+kind.kind)
		}
	}
}

// bastionWorld: instances bhAllowed and bhVictim with the same objects
// under the same ids (names differ: the victim's carry the marker).
func (w *walkWorld) bastionWorld() {
	now := time.Now().UTC()
	for _, id := range []string{bhAllowed, bhVictim} {
		if err := w.e.Store.CreateBastionInstance(context.Background(), localyun.BastionInstance{ID: w.fill(id), AccountID: w.acct,
			RegionID: region, Status: localyun.BastionRunning, PlanCode: "cloudbastion", VpcID: "vpc-1", VSwitchID: "vsw-1",
			CreatedAt: now, ExpiresAt: now.AddDate(1, 0, 0)}); err != nil {
			w.t.Fatal(err)
		}
	}
	u, _ := w.root(walkRAM, "GetUser", "UserName", "walker")["User"].(map[string]any)
	walkerID, _ := u["UserId"].(string)
	for _, x := range []struct{ inst, prefix string }{{bhAllowed, "allowed"}, {bhVictim, "victim"}} {
		in := func(action string, kv ...string) {
			w.root(walkBastion, action, append([]string{"RegionId", region, "InstanceId", x.inst}, kv...)...)
		}
		for i, h := range []string{"h1", "h2"} {
			in("CreateHost", "HostName", x.prefix+"-"+h, "OSType", "Linux", "Source", "Local", "ActiveAddressType", "Private",
				"HostPrivateAddress", fmt.Sprintf("10.0.0.%d", i+1))
		}
		in("CreateHostAccount", "HostId", "1", "HostAccountName", "root", "ProtocolName", "SSH", "Password", "Passw0rd!x")
		in("CreateHostAccount", "HostId", "1", "HostAccountName", "admin", "ProtocolName", "SSH")
		for _, u := range []string{"u1", "u2"} {
			in("CreateUser", "UserName", x.prefix+"-"+u, "Source", "Local", "Password", "Passw0rd!x")
		}
		for _, g := range []string{"g1", "g2"} {
			in("CreateUserGroup", "UserGroupName", x.prefix+"-"+g)
			in("CreateHostGroup", "HostGroupName", x.prefix+"-h"+g)
		}
		in("AddUsersToGroup", "UserGroupId", "1", "UserIds", `["1"]`)
		in("AddHostsToGroup", "HostGroupId", "1", "HostIds", `["1"]`)
		for _, g := range []struct{ suffix, param string }{{"UserGroup", "UserGroupId"}, {"User", "UserId"}} {
			in("AttachHostAccountsTo"+g.suffix, g.param, "1", "Hosts", `[{"HostId":"1","HostAccountIds":["1"]}]`)
			in("AttachHostGroupAccountsTo"+g.suffix, g.param, "1", "HostGroups", `[{"HostGroupId":"1","HostAccountNames":["root"]}]`)
		}
		// A key for DeleteUserPublicKey (id 1), and the walker as a bastion
		// user (id 3, Source Ram) granted host 1 as account 1, for the
		// operation actions.
		in("CreateUserPublicKey", "UserId", "1", "PublicKeyName", "setup", "PublicKey", walkSetupPublicKey)
		in("CreateUser", "UserName", x.prefix+"-walker", "Source", "Ram", "SourceUserId", walkerID)
		in("AttachHostAccountsToUser", "UserId", "3", "Hosts", `[{"HostId":"1","HostAccountIds":["1"]}]`)
	}
	// The samples name objects by id: both instances must number alike.
	for _, list := range []struct{ action, field, id, want string }{{"ListHosts", "Hosts", "HostId", "1,2"},
		{"ListUsers", "Users", "UserId", "1,2,3"}, {"ListUserGroups", "UserGroups", "UserGroupId", "1,2"},
		{"ListHostGroups", "HostGroups", "HostGroupId", "1,2"}} {
		var got [2]string
		for i, inst := range []string{bhAllowed, bhVictim} {
			items, _ := w.root(walkBastion, list.action, "RegionId", region, "InstanceId", inst)[list.field].([]any)
			var ids []string
			for _, it := range items {
				m, _ := it.(map[string]any)
				ids = append(ids, fmt.Sprint(m[list.id]))
			}
			sort.Strings(ids)
			got[i] = strings.Join(ids, ",")
		}
		if got[0] != got[1] || got[0] != list.want {
			w.t.Fatalf("world: %s ids %q and %q, want %s in both instances", list.action, got[0], got[1], list.want)
		}
	}
}

// snapshot reads every victim of the world's product as root: a change
// of any of them changes the string.
func (w *walkWorld) snapshot() string {
	var calls [][]string // version, action, parameters...
	add := func(version, action string, kv ...string) {
		calls = append(calls, append([]string{version, action}, kv...))
	}
	switch w.version {
	case walkECS:
		victims := `["i-victim01-{w}","i-victim02-{w}","i-victim03-{w}","i-victim04-{w}"]`
		add(walkECS, "DescribeInstances", "RegionId", region, "InstanceIds", victims)
		add(walkECS, "DescribeInstanceRamRole", "RegionId", region, "InstanceIds", victims)
		add(walkECS, "DescribeInstanceRamRole", "RegionId", region, "RamRoleName", "VictimRole", "PageSize", "50")
		add(walkRAM, "GetRole", "RoleName", "VictimRole")
	case walkSTS:
		add(walkRAM, "GetRole", "RoleName", "VictimRole")
	case walkRAM:
		w.ramSnapshot(add)
	case walkBastion:
		w.bastionSnapshot(add)
	}
	var b strings.Builder
	for _, c := range calls {
		params := url.Values{}
		for i := 2; i+1 < len(c); i += 2 {
			params.Set(c[i], c[i+1])
		}
		status, body, err := w.call(w.rootKey, w.rootSecret, c[0], c[1], params)
		if err != nil {
			w.t.Fatalf("snapshot %v: %v", c, err)
		}
		fmt.Fprintf(&b, "%v: %d %s\n", c[1:], status, canonical(body))
	}
	return b.String()
}

func (w *walkWorld) ramSnapshot(add func(version, action string, kv ...string)) {
	for _, u := range []string{"VictimUser", "VictimBareUser"} {
		for _, a := range []string{"GetUser", "ListAccessKeys", "ListGroupsForUser", "ListPoliciesForUser"} {
			add(walkRAM, a, "UserName", u)
		}
	}
	for _, g := range []string{"VictimGroup", "VictimBareGroup"} {
		for _, a := range []string{"GetGroup", "ListUsersForGroup", "ListPoliciesForGroup"} {
			add(walkRAM, a, "GroupName", g)
		}
	}
	for _, r := range []string{"VictimRole", "VictimBareRole"} {
		for _, a := range []string{"GetRole", "ListPoliciesForRole"} {
			add(walkRAM, a, "RoleName", r)
		}
	}
	for _, p := range []string{"VictimPolicy", "VictimBarePolicy", "VictimGuard"} {
		for _, a := range []string{"GetPolicy", "ListPolicyVersions", "ListEntitiesForPolicy"} {
			add(walkRAM, a, "PolicyType", "Custom", "PolicyName", p)
		}
	}
}

func (w *walkWorld) bastionSnapshot(add func(version, action string, kv ...string)) {
	add(walkBastion, "DescribeInstances", "RegionId", region, "InstanceId.1", bhVictim)
	in := func(action string, kv ...string) {
		add(walkBastion, action, append([]string{"RegionId", region, "InstanceId", bhVictim, "PageSize", "100"}, kv...)...)
	}
	for _, a := range []string{"ListHosts", "ListUsers", "ListUserGroups", "ListHostGroups"} {
		in(a)
	}
	in("ListHostAccounts", "HostId", "1")
	in("ListHostAccounts", "HostId", "2")
	in("ListUsers", "UserGroupId", "1")
	in("ListHosts", "HostGroupId", "1")
	for _, g := range []struct{ suffix, param string }{{"UserGroup", "UserGroupId"}, {"User", "UserId"}} {
		in("ListHostsFor"+g.suffix, g.param, "1")
		in("ListHostAccountsFor"+g.suffix, g.param, "1", "HostId", "1")
		in("ListHostGroupsFor"+g.suffix, g.param, "1")
		in("ListHostGroupAccountNamesFor"+g.suffix, g.param, "1", "HostGroupId", "1")
	}
}

// changedLines shows the snapshot lines that differ, around the first
// difference of each.
func changedLines(before, after string) string {
	b, a := strings.Split(before, "\n"), strings.Split(after, "\n")
	var out strings.Builder
	for i := range max(len(a), len(b)) {
		var x, y string
		if i < len(b) {
			x = b[i]
		}
		if i < len(a) {
			y = a[i]
		}
		if x == y {
			continue
		}
		call, _, _ := strings.Cut(x, "]:")
		d := 0
		for d < len(x) && d < len(y) && x[d] == y[d] {
			d++
		}
		window := func(s string) string { return s[max(0, d-60):min(len(s), d+140)] }
		fmt.Fprintf(&out, "\n\t\t%s]:\n\t\tbefore …%s…\n\t\tafter  …%s…", call, window(x), window(y))
	}
	return out.String()
}

// canonical is a JSON body without its RequestId, keys sorted.
func canonical(body []byte) string {
	var v map[string]any
	if json.Unmarshal(body, &v) != nil {
		return string(body)
	}
	delete(v, "RequestId")
	out, _ := json.Marshal(v)
	return string(out)
}

// servedRoutes lists the actions the server routes, "Version/Action".
func servedRoutes(t *testing.T) []string {
	st, err := sqlite.Open(context.Background(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var out []string
	for _, rt := range server.New(server.Options{Store: st}).Mux().Routes() {
		out = append(out, rt.Product.Version+"/"+rt.Action)
	}
	return out
}

// TestLanesWalk walks every served action (see the top of this file).
// A variant passes when it fails with a 4xx, or when it succeeds, leaves
// every victim unchanged and answers nothing about one (its response does
// not contain the marker unless the sample's already did).
func TestLanesWalk(t *testing.T) {
	routes := servedRoutes(t)
	served := map[string]bool{}
	for _, r := range routes {
		served[r] = true
		if _, ok := walkSamples[r]; !ok {
			t.Errorf("%s is served but has no sample in walkSamples: add one", r)
		}
	}
	for r := range walkSamples {
		if !served[r] {
			t.Errorf("walkSamples has %s, which is not served", r)
		}
	}
	e := newEnv(t)
	for _, r := range routes {
		s, ok := walkSamples[r]
		if !ok {
			continue
		}
		t.Run(r, func(t *testing.T) {
			version, action, _ := strings.Cut(r, "/")
			walkAction(t, e, version, action, s)
		})
	}
}

// walkAction sends the sample, then every variant, each checked against
// the victims' state before it. A variant that changed a victim is
// reported and the walk goes on in a new world, so that every variant is
// judged on victims as they were built.
func walkAction(t *testing.T, e *env, version, action string, s walkSample) {
	w := newWalkWorld(t, e, version)
	before := w.snapshot()
	status, body, err := w.send(action, s.params, nil)
	if want := cmp.Or(s.status, http.StatusOK); err != nil || status != want {
		t.Errorf("sample: %d %s %v, want %d", status, body, err, want)
	}
	if after := w.snapshot(); after != before {
		t.Fatalf("the sample changed a victim:%s", changedLines(before, after))
	}
	leaks := hasMarker(body)
	var flagged []string
	for _, v := range variants(s) {
		status, body, err := w.call(w.key, w.secret, version, action, v.params)
		switch {
		case err != nil:
			flagged = append(flagged, fmt.Sprintf("%s: no answer: %v", v.name, err))
			continue
		case status >= 400 && status < 500:
			continue
		case status >= 500:
			flagged = append(flagged, fmt.Sprintf("%s: %d %.200s", v.name, status, body))
			continue
		}
		after := w.snapshot()
		if after != before {
			flagged = append(flagged, fmt.Sprintf("%s: %d, changed a victim:%s", v.name, status, changedLines(before, after)))
			w = newWalkWorld(t, e, version)
			after = w.snapshot()
		}
		before = after
		if hasMarker(body) && !leaks {
			baseline := w.baselineLeaks(action, s.params, v.del)
			if len(v.del) > 0 {
				before = w.snapshot() // the baseline request may have changed the world
			}
			if !baseline {
				flagged = append(flagged, fmt.Sprintf("%s: %d, answered about a victim: %.300s", v.name, status, body))
			}
		}
	}
	if len(flagged) > 0 {
		t.Errorf("%d variants got past authorization:\n\t%s", len(flagged), strings.Join(flagged, "\n\t"))
	}
}

// send calls action as the walker with params, less the names in del.
func (w *walkWorld) send(action string, params map[string]string, del []string) (int, []byte, error) {
	v := url.Values{}
	for k, val := range params {
		v.Set(k, val)
	}
	for _, k := range del {
		v.Del(k)
	}
	return w.call(w.key, w.secret, w.version, action, v)
}

// baselineLeaks reports whether the sample without the parameters del
// (a variant that drops one, such as a listing filter) answers about a
// victim by itself: then a variant doing so tells nothing new.
func (w *walkWorld) baselineLeaks(action string, sample map[string]string, del []string) bool {
	if len(del) == 0 {
		return false
	}
	status, body, err := w.send(action, sample, del)
	return err == nil && status == http.StatusOK && hasMarker(body)
}

func hasMarker(body []byte) bool { return strings.Contains(strings.ToLower(string(body)), walkMarker) }
