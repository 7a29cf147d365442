package ram

import (
	"encoding/base64"
	"regexp"
	"strings"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/auth"
	"github.com/localyun/localyun/internal/protocol"
)

// Parameter rules of the RAM API: every one is checked by an input's
// parser, before authorization and without the store.

var (
	roleNameRE   = regexp.MustCompile(`^[a-zA-Z0-9.\-]+$`)
	userNameRE   = regexp.MustCompile(`^[a-zA-Z0-9._\-]+$`)
	groupNameRE  = regexp.MustCompile(`^[a-zA-Z0-9._\-]+$`)
	policyNameRE = regexp.MustCompile(`^[a-zA-Z0-9\-]+$`)
	versionIDRE  = regexp.MustCompile(`^v[1-9][0-9]{0,8}$`)
)

// nameValue checks a required entity name: present, at most max bytes,
// of the characters re allows.
func nameValue(v, param string, max int, re *regexp.Regexp) (string, error) {
	switch {
	case v == "":
		return "", errMissing(param)
	case len(v) > max:
		return "", errLength(param)
	case !re.MatchString(v):
		return "", errInvalidChars(param)
	}
	return v, nil
}

func roleName(r *protocol.Request) (string, error) {
	return nameValue(r.Get("RoleName"), "RoleName", 64, roleNameRE)
}

func userName(r *protocol.Request, param string) (string, error) {
	return nameValue(r.Get(param), param, 64, userNameRE)
}

func groupName(r *protocol.Request, param string) (string, error) {
	return nameValue(r.Get(param), param, 64, groupNameRE)
}

func policyName(r *protocol.Request) (string, error) {
	return nameValue(r.Get("PolicyName"), "PolicyName", 128, policyNameRE)
}

// textValue checks a text value of at most max characters with check
// (protocol.CheckText or CheckName): InvalidParameter.<param>.Length (its
// length is checked before its encoding, the order RAM answers in), then
// InvalidParameter.<param> (not UTF-8), then
// InvalidParameter.<param>.InvalidChars (a control character).
func textValue(v, param string, max int, check func(string, int, int) error) (string, error) {
	switch check(v, 0, max) {
	case nil:
		return v, nil
	case protocol.ErrTextLength:
		return "", errLength(param)
	case protocol.ErrTextEncoding:
		return "", errInvalid(param)
	}
	return "", errInvalidChars(param)
}

// text reads an optional free-text parameter (a description or comments)
// of at most max characters: tabs and line breaks are allowed.
func text(r *protocol.Request, param string, max int) (string, error) {
	return textValue(r.Get(param), param, max, protocol.CheckText)
}

// line reads an optional one-line parameter (a display name, an email
// address, a phone number) of at most max characters: no control
// characters at all.
func line(r *protocol.Request, param string, max int) (string, error) {
	return textValue(r.Get(param), param, max, protocol.CheckName)
}

// optional reads a New* parameter with read: nil when absent.
func optional(r *protocol.Request, param string, max int, read func(*protocol.Request, string, int) (string, error)) (*string, error) {
	if !r.Has(param) {
		return nil, nil
	}
	v, err := read(r, param, max)
	return &v, err
}

// trustDocument checks an AssumeRolePolicyDocument.
func trustDocument(doc, param string) error {
	if len(doc) > 2048 {
		return errLength(param)
	}
	if err := ValidateTrustPolicy(doc); err != nil {
		return errMalformedPolicy(err.Error())
	}
	return nil
}

func maxSession(r *protocol.Request, param string) (int64, bool, error) {
	n, ok, err := r.Int(param)
	if err != nil || ok && (n < MinMaxSessionDuration || n > MaxMaxSessionDuration) {
		return 0, false, errInvalid(param)
	}
	return n, ok, nil
}

// page is the Marker/MaxItems paging of a listing.
type page struct {
	Max   int    // 1 to 1000; 100 when absent
	After string // the decoded Marker: list after this name ("" from the start)
}

// parsePage reads MaxItems, then Marker.
func parsePage(r *protocol.Request) (page, error) {
	pg := page{Max: 100}
	n, ok, err := r.Int("MaxItems")
	if err != nil || ok && (n < 1 || n > 1000) {
		return pg, errInvalidMaxItem
	}
	if ok {
		pg.Max = int(n)
	}
	pg.After, err = decodeMarker(r.Get("Marker"))
	return pg, err
}

func decodeMarker(m string) (string, error) {
	if m == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(m)
	if err != nil || protocol.CheckName(string(b), 1, 256) != nil {
		// A Marker encodes the name (or type/name) listed last: anything
		// else is forged.
		return "", errInvalidMarker
	}
	return string(b), nil
}

func encodeMarker(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// policyType reads a required PolicyType: System or Custom.
func policyType(r *protocol.Request) (string, error) {
	switch t := r.Get("PolicyType"); t {
	case "":
		return "", errMissing("PolicyType")
	case localyun.PolicyTypeSystem, localyun.PolicyTypeCustom:
		return t, nil
	}
	return "", errInvalid("PolicyType")
}

// policyDocument reads and validates a permission policy document.
func policyDocument(r *protocol.Request) (string, error) {
	doc := r.Get("PolicyDocument")
	if strings.TrimSpace(doc) == "" {
		return "", errMissing("PolicyDocument")
	}
	if len(doc) > auth.MaxDocumentBytes {
		return "", errLength("PolicyDocument")
	}
	// Raw control characters (but white space) are no JSON text either.
	err := protocol.CheckText(doc, 0, len(doc))
	if err == nil {
		_, err = auth.Parse(doc)
	}
	if err != nil {
		return "", errMalformedPolicy(err.Error())
	}
	return doc, nil
}

func versionID(r *protocol.Request) (string, error) {
	id := r.Get("VersionId")
	if id == "" {
		return "", errMissing("VersionId")
	}
	if !versionIDRE.MatchString(id) {
		return "", errInvalid("VersionId")
	}
	return id, nil
}

func keyID(r *protocol.Request) (string, error) {
	id := r.Get("UserAccessKeyId")
	switch {
	case id == "":
		return "", errMissing("UserAccessKeyId")
	case len(id) > 128:
		return "", errLength("UserAccessKeyId")
	}
	return id, nil
}
