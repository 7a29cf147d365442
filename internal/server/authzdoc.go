package server

import (
	"strings"

	"github.com/localyun/localyun/internal/auth"
	"github.com/localyun/localyun/internal/protocol"
)

// AuthorizationDoc renders docs/authorization.md from the served routes:
// every row is an action the mux answers, with the RAM action and the
// resources its route derives from the parsed input.
func AuthorizationDoc(m *protocol.Mux) string {
	var b strings.Builder
	b.WriteString(docHeader)
	seen := map[string]bool{}
	for _, rt := range m.Routes() {
		if p := rt.Product; !seen[p.Version] {
			seen[p.Version] = true
			b.WriteString("| " + p.Name + " | 403 | `" + p.DenyCode + "` | " + p.DenyMessage + " |\n")
		}
	}
	b.WriteString(docDenialsEnd)
	last := ""
	for _, rt := range m.Routes() {
		if rt.Product.Version != last {
			last = rt.Product.Version
			b.WriteString("\n### " + rt.Product.Name + " (" + rt.Product.Version + ")\n\n")
			b.WriteString("| API action | RAM action | Resources |\n|---|---|---|\n")
		}
		ram := "`" + rt.RAMAction + "`"
		if rt.Public {
			ram += " (no policy needed)"
		}
		b.WriteString("| " + rt.Action + " | " + ram + " | `" + rt.Resource + "` |\n")
	}
	b.WriteString("\n## System policies\n\n| Name | Document |\n|---|---|\n")
	for _, sp := range auth.SystemPolicies() {
		b.WriteString("| " + sp.Name + " | `" + sp.Document + "` |\n")
	}
	return b.String()
}

const docHeader = `# Authorization

Generated from the served routes (each product's ` + "`Register`" + `: one row per action with its RAM
action and the resources derived from its parsed input) by
` + "`go test ./internal/server -run TestAuthorizationDoc -update`" + `; the test fails when it is stale,
so this page lists exactly the actions localyun answers.

## How a request is decided

1. Authentication (signature, timestamp, nonce, AccessKey or STS token) yields a principal:
   the account root, a RAM user, or a role session.
2. Throttling (` + "`--rate-limit`" + `, per AccessKey): ` + "`Throttling.User`" + ` (400) with
   ` + "`x-ratelimit-user-api: Limit:N,Remain:0,TimeLeft:<ms>,Reset:<unix>`" + `.
3. The action's parameters are parsed and validated once into its typed input (every 4xx for bad
   input comes from here, before authorization).
4. The account root passes. Any other principal needs the row's RAM action allowed on **every**
   resource the row derives from that input, with no explicit Deny:
   - RAM user: its own policies plus those of its groups;
   - role session: the role's policies, intersected with the session ` + "`Policy`" + ` of AssumeRole.
   An action without a row does not exist (` + "`InvalidAction.NotFound`" + `).
5. ` + "`ram:PassRole`" + ` on ` + "`acs:ram::<uid>:role/<name>`" + ` (the stored spelling) is checked by ECS, before
   anything is written, for AttachInstanceRamRole, DetachInstanceRamRole and RunInstances with RamRoleName,
   and for DetachInstanceRamRole without RamRoleName on each role attached to the instances it detaches:
   ` + "`InvalidUser.PassRoleForbidden`" + ` (403).
6. sts:AssumeRole additionally needs the role's trust policy to name the caller
   (` + "`acs:ram::<uid>:root`" + `, ` + "`acs:ram::<uid>:user/<name>`" + `, ` + "`acs:ram::<uid>:role/<name>`" + `
   for role sessions, or ` + "`*`" + `); ` + "`sts:ExternalId`" + ` is available to its conditions.
   The root cannot assume roles (403 ` + "`NoPermission`" + `).

## Denials

| Product | HTTP | Code | Message |
|---|---|---|---|
`

// docDenialsEnd follows the table of denials (one row per product, from
// its protocol.Product).
const docDenialsEnd = `
The Yundun-bastionhost code is a decision: UNCONFIRMED for the real service.

Every denial carries ` + "`AccessDeniedDetail`" + `: ` + "`AuthAction`" + ` (the RAM action),
` + "`AuthPrincipalOwnerId`" + `, ` + "`AuthPrincipalType`" + ` (` + "`SubUser`" + ` or ` + "`AssumedRoleUser`" + `),
` + "`AuthPrincipalDisplayName`" + ` (user name, or ` + "`role:session`" + `), ` + "`NoPermissionType`" + `
(` + "`ImplicitDeny`" + ` or ` + "`ExplicitDeny`" + `), ` + "`PolicyType`" + `
(` + "`AccountLevelIdentityBasedPolicy`" + ` or ` + "`SessionPolicy`" + `), ` + "`EncodedDiagnosticMessage`" + `
(the denial explained, sealed with a key derived from the master key and bound to the denied account: only that
account opens it, with RAM ` + "`DecodeDiagnosticMessage`" + `, which names the statements that decided).
A denied request changes nothing.

## STS credentials

| Situation | HTTP | Code |
|---|---|---|
| unknown ` + "`STS.`" + ` AccessKeyId | 404 | ` + "`InvalidAccessKeyId.NotFound`" + ` |
| STS key without token | 400 | ` + "`MissingSecurityToken`" + ` |
| token not of localyun's shape | 400 | ` + "`InvalidSecurityToken.Malformed`" + ` |
| token of another session, or a token with a permanent key | 400 | ` + "`InvalidSecurityToken.Mismatch`" + ` |
| expired session | 400 | ` + "`InvalidSecurityToken.Expired`" + ` (message ` + "`The specified parameter \"SecurityToken.Expired\" is not valid.`" + `, as observed from Alibaba Cloud) |
| instance credentials, ` + "`--revocation strict`" + `, once the instance no longer holds their role (instance deleted, role detached or another attached, role deleted or recreated) | 400 | ` + "`InvalidSecurityToken.Expired`" + `, the same message: a revoked token looks expired |

Instance credentials (the metadata service's) are role sessions like AssumeRole's: principal
` + "`assumed-role/<role>/<instance id>`" + `, authorized on the role's policies, bound to the instance,
the role name and the role id. With ` + "`--revocation tail`" + ` (the default) they stay valid until
` + "`Expiration`" + `, as STS documents for issued tokens, authorized at each call on the policies of the
role of that name; with ` + "`strict`" + ` every request checks the binding in the store (exact on every
node), and a binding that holds again (the same role re-attached) makes them valid again.

## Policy language

` + "`Version`" + ` "1"; ` + "`Statement`" + ` (list or one object) of ` + "`Effect`" + ` Allow|Deny, exactly one of
` + "`Action`" + `/` + "`NotAction`" + `, at most one of ` + "`Resource`" + `/` + "`NotResource`" + ` (none = every
resource), optional ` + "`Condition`" + ` and ` + "`Sid`" + `. Values are a string or a list. ` + "`*`" + ` and ` + "`?`" + ` are
wildcards. Actions match case-insensitively, resources case-sensitively. Condition operators:
String(Not)Equals, String(Not)EqualsIgnoreCase, String(Not)Like, (Not)IpAddress, Date{Equals,NotEquals,
LessThan,LessThanEquals,GreaterThan,GreaterThanEquals}, Numeric{same}, Bool. Keys are case-insensitive;
localyun fills ` + "`acs:SourceIp`" + `, ` + "`acs:CurrentTime`" + `, ` + "`acs:SecureTransport`" + `, ` + "`acs:PrincipalType`" + `.
Operators AND, keys AND, values OR. A key missing from the request makes a positive operator false and
a negated one true. Documents are checked when created (` + "`MalformedPolicyDocument`" + `), never at use;
at most 6144 bytes.

Resource ARNs of RAM use an empty region (` + "`acs:ram::<uid>:...`" + `), so both
` + "`acs:ram::<uid>:role/x`" + ` and ` + "`acs:ram:*:<uid>:role/x`" + ` patterns match. ECS and Bastionhost ARNs carry a region:
the request's RegionId where the action is scoped to one (ECS instance batches, DescribeInstances), else the
region the instance really lives in (StartInstance, StopInstance, DeleteInstance; every Bastionhost instance
action), so that leaving RegionId out or naming another region cannot step around a regional Deny. Resources come from the action's parsed, validated input (the very values the service acts on,
after every 4xx check), never from raw parameters; RAM names are resolved to the stored entity's spelling
before the ARN is built (a name that names no entity yet is used as sent, the spelling it will be stored in).

## Actions
`
