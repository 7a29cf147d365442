package auth

import (
	"strings"
)

// Markdown renders docs/authorization.md from the table.
func Markdown() string {
	var b strings.Builder
	b.WriteString(docHeader)
	last := ""
	for _, a := range Actions() {
		if a.Version != last {
			last = a.Version
			b.WriteString("\n### " + productNames[a.Version] + " (" + a.Version + ")\n\n")
			b.WriteString("| API action | RAM action | Resources |\n|---|---|---|\n")
		}
		ram := "`" + a.RAM + "`"
		if a.Public {
			ram += " (no policy needed)"
		}
		b.WriteString("| " + a.API + " | " + ram + " | `" + a.Resource + "` |\n")
	}
	b.WriteString("\n## System policies\n\n| Name | Document |\n|---|---|\n")
	for _, sp := range SystemPolicies() {
		b.WriteString("| " + sp.Name + " | `" + sp.Document + "` |\n")
	}
	return b.String()
}

var productNames = map[string]string{
	VersionECS: "ECS", VersionRAM: "RAM", VersionSTS: "STS", VersionBastionhost: "Bastionhost",
}

const docHeader = `# Authorization

Generated from ` + "`internal/auth/actions.go`" + ` by
` + "`go test ./internal/auth -run TestAuthorizationDoc -update`" + `; a test fails when it is stale,
and another (` + "`internal/server/authz_test.go`" + `) fails when a served route has no row.

## How a request is decided

1. Authentication (signature, timestamp, nonce, AccessKey or STS token) yields a principal:
   the account root, a RAM user, or a role session.
2. Throttling (` + "`--rate-limit`" + `, per AccessKey): ` + "`Throttling.User`" + ` (400) with
   ` + "`x-ratelimit-user-api: Limit:N,Remain:0,TimeLeft:<ms>,Reset:<unix>`" + `.
3. The account root passes. Any other principal needs the row's RAM action allowed on **every**
   resource of the row, with no explicit Deny:
   - RAM user: its own policies plus those of its groups;
   - role session: the role's policies, intersected with the session ` + "`Policy`" + ` of AssumeRole.
   An action without a row is denied (fail closed).
4. ` + "`ram:PassRole`" + ` on ` + "`acs:ram::<uid>:role/<name>`" + ` is checked by ECS for
   AttachInstanceRamRole, DetachInstanceRamRole and RunInstances with RamRoleName:
   ` + "`InvalidUser.PassRoleForbidden`" + ` (403).
5. sts:AssumeRole additionally needs the role's trust policy to name the caller
   (` + "`acs:ram::<uid>:root`" + `, ` + "`acs:ram::<uid>:user/<name>`" + `, ` + "`acs:ram::<uid>:role/<name>`" + `
   for role sessions, or ` + "`*`" + `); ` + "`sts:ExternalId`" + ` is available to its conditions.
   The root cannot assume roles (403 ` + "`NoPermission`" + `).

## Denials

| Product | HTTP | Code | Message |
|---|---|---|---|
| ECS | 403 | ` + "`Forbidden.RAM`" + ` | User not authorized to operate on the specified resource, or this API doesn't support RAM. |
| RAM | 403 | ` + "`NoPermission`" + ` | You are not authorized to do this action. You should be authorized by RAM. |
| STS | 403 | ` + "`NoPermission`" + ` | You are not authorized to do this action. You should be authorized by RAM. |
| Bastionhost | 403 | ` + "`NoPermission`" + ` | You are not authorized to do this action. You should be authorized by RAM. (decision: UNCONFIRMED for the real service) |

Every denial carries ` + "`AccessDeniedDetail`" + `: ` + "`AuthAction`" + ` (the RAM action),
` + "`AuthPrincipalOwnerId`" + `, ` + "`AuthPrincipalType`" + ` (` + "`SubUser`" + ` or ` + "`AssumedRoleUser`" + `),
` + "`AuthPrincipalDisplayName`" + ` (user name, or ` + "`role:session`" + `), ` + "`NoPermissionType`" + `
(` + "`ImplicitDeny`" + ` or ` + "`ExplicitDeny`" + `), ` + "`PolicyType`" + `
(` + "`AccountLevelIdentityBasedPolicy`" + ` or ` + "`SessionPolicy`" + `), ` + "`EncodedDiagnosticMessage`" + ` (empty).
A denied request changes nothing.

## STS credentials

| Situation | HTTP | Code |
|---|---|---|
| unknown ` + "`STS.`" + ` AccessKeyId | 404 | ` + "`InvalidAccessKeyId.NotFound`" + ` |
| STS key without token | 400 | ` + "`MissingSecurityToken`" + ` |
| token not of localyun's shape | 400 | ` + "`InvalidSecurityToken.Malformed`" + ` |
| token of another session, or a token with a permanent key | 400 | ` + "`InvalidSecurityToken.Mismatch`" + ` |
| expired session | 400 | ` + "`InvalidSecurityToken.Expired`" + ` (message ` + "`The specified parameter \"SecurityToken.Expired\" is not valid.`" + `, as observed from Alibaba Cloud) |

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
` + "`acs:ram::<uid>:role/x`" + ` and ` + "`acs:ram:*:<uid>:role/x`" + ` patterns match. ECS and Bastionhost ARNs carry the
request's RegionId (` + "`*`" + ` when absent). Resources come from request parameters as sent; a request naming more
than 100 resources is decided on the wildcard ARN.

## Actions
`
