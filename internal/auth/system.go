package auth

import (
	"sort"
	"strings"
	"time"
)

// SystemPolicy is a built-in policy every account can attach.
type SystemPolicy struct {
	Name        string
	Description string
	Document    string
}

// SystemPolicyDate is the CreateDate/UpdateDate reported for system policies.
var SystemPolicyDate = time.Date(2015, 4, 28, 0, 0, 0, 0, time.UTC)

var systemPolicies = []SystemPolicy{
	{"AdministratorAccess", "Provides full access to Alibaba Cloud services and resources.",
		`{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`},
	{"ReadOnlyAccess", "Provides read-only access to Alibaba Cloud services and resources.",
		`{"Version":"1","Statement":[{"Effect":"Allow","Action":["*:Describe*","*:List*","*:Get*","*:BatchGet*","*:Query*","*:Check*"],"Resource":"*"}]}`},
	{"AliyunECSFullAccess", "Provides full access to Elastic Compute Service (ECS).",
		`{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:*","Resource":"*"}]}`},
	{"AliyunECSReadOnlyAccess", "Provides read-only access to Elastic Compute Service (ECS).",
		`{"Version":"1","Statement":[{"Effect":"Allow","Action":["ecs:Describe*","ecs:List*"],"Resource":"*"}]}`},
	{"AliyunRAMFullAccess", "Provides full access to Resource Access Management (RAM).",
		`{"Version":"1","Statement":[{"Effect":"Allow","Action":"ram:*","Resource":"*"}]}`},
	{"AliyunRAMReadOnlyAccess", "Provides read-only access to Resource Access Management (RAM).",
		`{"Version":"1","Statement":[{"Effect":"Allow","Action":["ram:Get*","ram:List*"],"Resource":"*"}]}`},
	{"AliyunSTSAssumeRoleAccess", "Provides permission to call AssumeRole of Security Token Service (STS).",
		`{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`},
	{"AliyunBastionHostFullAccess", "Provides full access to Bastionhost.",
		`{"Version":"1","Statement":[{"Effect":"Allow","Action":"yundun-bastionhost:*","Resource":"*"}]}`},
	{"AliyunBastionHostReadOnlyAccess", "Provides read-only access to Bastionhost.",
		`{"Version":"1","Statement":[{"Effect":"Allow","Action":["yundun-bastionhost:Describe*","yundun-bastionhost:List*","yundun-bastionhost:Get*"],"Resource":"*"}]}`},
}

var systemParsed = func() map[string]*Policy {
	m := make(map[string]*Policy, len(systemPolicies))
	for _, sp := range systemPolicies {
		p, err := Parse(sp.Document)
		if err != nil {
			panic("auth: system policy " + sp.Name + ": " + err.Error())
		}
		m[strings.ToLower(sp.Name)] = p
	}
	return m
}()

func init() {
	sort.Slice(systemPolicies, func(i, j int) bool {
		return strings.ToLower(systemPolicies[i].Name) < strings.ToLower(systemPolicies[j].Name)
	})
}

// SystemPolicies returns the built-in policies in case-insensitive name order.
func SystemPolicies() []SystemPolicy { return append([]SystemPolicy(nil), systemPolicies...) }

// FindSystemPolicy looks a system policy up by name (case-insensitive).
func FindSystemPolicy(name string) (SystemPolicy, bool) {
	for _, sp := range systemPolicies {
		if strings.EqualFold(sp.Name, name) {
			return sp, true
		}
	}
	return SystemPolicy{}, false
}

// ParsedSystemPolicy returns the parsed document of a system policy.
func ParsedSystemPolicy(name string) (*Policy, bool) {
	p, ok := systemParsed[strings.ToLower(name)]
	return p, ok
}
