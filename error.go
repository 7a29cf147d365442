package localyun

import (
	"errors"
	"fmt"
)

// Error kinds. Stores return these (wrapped with context); products turn
// them into Alibaba Cloud error codes.
var (
	ErrNotFound      = errors.New("not found")
	ErrAlreadyExists = errors.New("already exists")
	ErrConflict      = errors.New("conflict")
	ErrInvalid       = errors.New("invalid")
	ErrDenied        = errors.New("denied")
	ErrUnavailable   = errors.New("unavailable")
)

// Error is an API error as it reaches the wire: an HTTP status, an Alibaba
// Cloud error code and a message. Only product and protocol code create
// them.
type Error struct {
	Status  int
	Code    string
	Message string
	// Detail, when set, is rendered as the AccessDeniedDetail object.
	Detail *AccessDeniedDetail
	// Header holds extra response headers (for example x-ratelimit-user-api).
	Header map[string]string
	Err    error
}

// NewError returns the API error of an HTTP status, an Alibaba Cloud error
// code and a message: the one constructor every product and the gateway use.
func NewError(status int, code, message string) error {
	return &Error{Status: status, Code: code, Message: message}
}

// Error is "Code: Message", followed by the cause when there is one.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

// Unwrap returns the cause, or nil.
func (e *Error) Unwrap() error { return e.Err }

// AccessDeniedDetail explains a RAM denial, as Alibaba Cloud returns it.
type AccessDeniedDetail struct {
	AuthAction               string `json:"AuthAction" xml:"AuthAction"`
	AuthPrincipalOwnerID     string `json:"AuthPrincipalOwnerId" xml:"AuthPrincipalOwnerId"`
	AuthPrincipalType        string `json:"AuthPrincipalType" xml:"AuthPrincipalType"`
	AuthPrincipalDisplayName string `json:"AuthPrincipalDisplayName" xml:"AuthPrincipalDisplayName"`
	NoPermissionType         string `json:"NoPermissionType" xml:"NoPermissionType"`
	PolicyType               string `json:"PolicyType" xml:"PolicyType"`
	EncodedDiagnosticMessage string `json:"EncodedDiagnosticMessage" xml:"EncodedDiagnosticMessage"`
}

// ErrorCode returns the Alibaba code of err, or "" if it is not an *Error.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}
