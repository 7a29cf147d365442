package bastionhost

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/localyun/localyun/internal/protocol"
)

// Limits of the batch parameters.
const (
	maxGrantItems = 10  // Hosts / HostGroups entries per call
	maxGrantSub   = 10  // HostAccountIds / HostAccountNames per entry
	maxMemberIDs  = 100 // UserIds / HostIds per call
	maxPageSize   = 100
)

// required returns a parameter that must be present and non-empty.
func required(r *protocol.Request, name string) (string, error) {
	v := strings.TrimSpace(r.Get(name))
	if v == "" {
		return "", errMissing(name)
	}
	return v, nil
}

// optional returns a pointer to a parameter that was sent, else nil.
func optional(r *protocol.Request, name string) *string {
	if !r.Has(name) {
		return nil
	}
	v := r.Get(name)
	return &v
}

// paging parses PageNumber (default 1) and PageSize (default def, 1 to
// 100), sent as strings; it returns the offset and limit.
func paging(r *protocol.Request, def int) (offset, limit int, err error) {
	number, size := 1, def
	if s := strings.TrimSpace(r.Get("PageNumber")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1_000_000 {
			return 0, 0, errInvalid("PageNumber", "must be a positive integer")
		}
		number = n
	}
	if s := strings.TrimSpace(r.Get("PageSize")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxPageSize {
			return 0, 0, errInvalid("PageSize", "must be from 1 to 100")
		}
		size = n
	}
	return (number - 1) * size, size, nil
}

// enumParam returns an optional enumerated parameter in its canonical case.
func enumParam(r *protocol.Request, name string, allowed ...string) (string, error) {
	v := r.Get(name)
	if v == "" {
		return "", nil
	}
	return checkEnum(name, v, allowed...)
}

// int64Param parses an optional integer parameter.
func int64Param(r *protocol.Request, name string) (*int64, error) {
	n, ok, err := r.Int(name)
	if err != nil {
		return nil, errInvalid(name, "must be an integer")
	}
	if !ok {
		return nil, nil
	}
	return &n, nil
}

// boolParam parses an optional true/false parameter.
func boolParam(r *protocol.Request, name string) (*bool, error) {
	b, ok, err := r.Bool(name)
	if err != nil {
		return nil, errInvalid(name, "must be true or false")
	}
	if !ok {
		return nil, nil
	}
	return &b, nil
}

// flexID is an id in a JSON list: a string without control characters
// (ids come back in per-item results), or an integer number.
type flexID string

func (f *flexID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		// White space around an id is trimmed (tabs and line breaks
		// included); no other control character is allowed anywhere.
		t := strings.TrimSpace(s)
		if protocol.CheckText(s, 0, len(s)) != nil || protocol.CheckName(t, 0, 64) != nil {
			return errors.New("id is not 0 to 64 characters without control characters")
		}
		*f = flexID(t)
		return nil
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return errors.New("id is not a string or an integer")
	}
	*f = flexID(strconv.FormatInt(n, 10))
	return nil
}

// decodeStrict decodes a JSON document of one value and nothing else.
func decodeStrict(s string, v any) error {
	dec := json.NewDecoder(strings.NewReader(s))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data")
	}
	return nil
}

// parseIDList parses a JSON array of 1 to max distinct, non-empty ids.
func parseIDList(name, s string, max int) ([]string, error) {
	var raw []flexID
	if err := decodeStrict(s, &raw); err != nil {
		return nil, errInvalid(name, "must be a JSON array of ids")
	}
	return uniqueIDs(name, raw, max)
}

// uniqueIDs checks 1 to max distinct, non-empty ids of parameter name.
func uniqueIDs(name string, raw []flexID, max int) ([]string, error) {
	if len(raw) == 0 {
		return nil, errInvalid(name, "must not be empty")
	}
	if len(raw) > max {
		return nil, errInvalid(name, "at most "+strconv.Itoa(max)+" ids")
	}
	seen := map[flexID]bool{}
	out := make([]string, len(raw))
	for i, id := range raw {
		if id == "" || len(id) > 64 {
			return nil, errInvalid(name, "ids must be non-empty")
		}
		if seen[id] {
			return nil, errInvalid(name, "duplicate id "+string(id))
		}
		seen[id] = true
		out[i] = string(id)
	}
	return out, nil
}
