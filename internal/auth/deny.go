package auth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/seal"
)

// RoleARN returns the ARN PassRole and AssumeRole are decided on for a role.
func RoleARN(accountID, name string) string { return "acs:ram::" + accountID + ":role/" + name }

// DenyError is the 403 a product answers (code and message are the
// product's) when RAM refuses ramAction to p; encoded is the denial's
// EncodedDiagnosticMessage (Diagnostics.Encode).
func DenyError(code, message, ramAction string, p localyun.Principal, d Decision, encoded string) error {
	return &localyun.Error{Status: http.StatusForbidden, Code: code, Message: message,
		Detail: Detail(ramAction, p, d, encoded)}
}

// Detail is the AccessDeniedDetail of a denial.
func Detail(ramAction string, p localyun.Principal, d Decision, encoded string) *localyun.AccessDeniedDetail {
	return &localyun.AccessDeniedDetail{
		AuthAction:               ramAction,
		AuthPrincipalOwnerID:     p.AccountID,
		AuthPrincipalType:        p.Type,
		AuthPrincipalDisplayName: p.DisplayName(),
		NoPermissionType:         d.NoPermissionType(),
		PolicyType:               d.PolicyType,
		EncodedDiagnosticMessage: encoded,
	}
}

// DiagnosticMessage is what an EncodedDiagnosticMessage carries, in the
// shape of RAM's DecodeDiagnosticMessage (DecodedDiagnosticMessage).
// MatchedPolicies is localyun's: the statements of the trace (every one
// whose action matched, up to the Deny that ended the evaluation), by
// policy; Deciding marks those that made the decision.
type DiagnosticMessage struct {
	ExplicitDeny           bool                `json:"ExplicitDeny" xml:"ExplicitDeny"`
	NoPermissionPolicyType string              `json:"NoPermissionPolicyType" xml:"NoPermissionPolicyType"`
	AuthAction             string              `json:"AuthAction" xml:"AuthAction"`
	AuthResource           string              `json:"AuthResource" xml:"AuthResource"`
	AuthPrincipal          DiagnosticPrincipal `json:"AuthPrincipal" xml:"AuthPrincipal"`
	AuthConditions         []AuthCondition     `json:"AuthConditions" xml:"AuthConditions"`
	MatchedPolicies        []MatchedPolicy     `json:"MatchedPolicies" xml:"MatchedPolicies"`
}

// DiagnosticPrincipal is the principal that was denied.
type DiagnosticPrincipal struct {
	AuthPrincipalType        string `json:"AuthPrincipalType" xml:"AuthPrincipalType"`
	AuthPrincipalOwnerID     string `json:"AuthPrincipalOwnerId" xml:"AuthPrincipalOwnerId"`
	AuthPrincipalDisplayName string `json:"AuthPrincipalDisplayName" xml:"AuthPrincipalDisplayName"`
}

// AuthCondition is one condition key of the request, with its value.
type AuthCondition struct {
	ConditionKey    string   `json:"ConditionKey" xml:"ConditionKey"`
	ConditionValues []string `json:"ConditionValues" xml:"ConditionValues"`
}

// MatchedPolicy is a policy with statements whose action matched the
// denied request: Deciding says the statement made the decision (the Deny
// of an explicit deny).
type MatchedPolicy struct {
	PolicyName    string             `json:"PolicyName" xml:"PolicyName"`
	PolicyType    string             `json:"PolicyType" xml:"PolicyType"`
	PolicyVersion string             `json:"PolicyVersion" xml:"PolicyVersion"`
	Attachment    string             `json:"Attachment" xml:"Attachment"`
	Statements    []MatchedStatement `json:"Statements" xml:"Statements"`
	key           int                // the trace's policy (-1: session), for grouping
}

// MatchedStatement is one statement of a MatchedPolicy; Index is 0-based.
type MatchedStatement struct {
	Index          int      `json:"Index" xml:"Index"`
	Effect         string   `json:"Effect" xml:"Effect"`
	Actions        []string `json:"Actions" xml:"Actions"`
	Resources      []string `json:"Resources" xml:"Resources"`
	ConditionsHold bool     `json:"ConditionsHold" xml:"ConditionsHold"`
	Applied        bool     `json:"Applied" xml:"Applied"`
	Deciding       bool     `json:"Deciding" xml:"Deciding"`
}

// Diagnostics seals and opens EncodedDiagnosticMessage values: JSON of a
// DiagnosticMessage sealed with AES-256-GCM under a key derived from the
// master key, the denied account's id as additional data. A message cannot
// be forged or altered, and it opens only for the account it was made for.
type Diagnostics struct{ aead cipher.AEAD }

// diagnosticsLabel derives the key of diagnostic messages from the master
// key: one key per use.
const diagnosticsLabel = "localyun diagnostic message v1"

// NewDiagnostics returns the Diagnostics of masterKey (nil: a random key,
// so that messages open only in this process).
func NewDiagnostics(masterKey []byte) *Diagnostics {
	if masterKey == nil {
		masterKey = make([]byte, 32)
		rand.Read(masterKey)
	}
	block, err := aes.NewCipher(seal.Derive(masterKey, diagnosticsLabel))
	if err != nil {
		panic("auth: " + err.Error()) // a 32-byte key always makes a cipher
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic("auth: " + err.Error())
	}
	return &Diagnostics{aead: aead}
}

// Encode seals m for accountID.
func (d *Diagnostics) Encode(accountID string, m DiagnosticMessage) string {
	plain, _ := json.Marshal(m) // plain structs of strings and bools
	nonce := make([]byte, d.aead.NonceSize())
	rand.Read(nonce)
	return base64.StdEncoding.EncodeToString(d.aead.Seal(nonce, nonce, plain, []byte(accountID)))
}

// ErrDiagnosticMessage is Decode's error for a message that is not one
// this server made for that account (malformed, altered, or another
// account's).
var ErrDiagnosticMessage = errors.New("not a diagnostic message of this account")

// Decode opens a message Encode made for accountID.
func (d *Diagnostics) Decode(accountID, encoded string) (DiagnosticMessage, error) {
	raw, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil || len(raw) < d.aead.NonceSize() {
		return DiagnosticMessage{}, ErrDiagnosticMessage
	}
	n := d.aead.NonceSize()
	plain, err := d.aead.Open(nil, raw[:n], raw[n:], []byte(accountID))
	if err != nil {
		return DiagnosticMessage{}, ErrDiagnosticMessage
	}
	var m DiagnosticMessage
	if err := json.Unmarshal(plain, &m); err != nil {
		return DiagnosticMessage{}, ErrDiagnosticMessage
	}
	return m, nil
}
