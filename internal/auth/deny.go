package auth

import (
	"net/http"

	"github.com/localyun/localyun"
)

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
