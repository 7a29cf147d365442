package ecs

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/auth"
	"github.com/localyun/localyun/internal/protocol"
)

// The typed inputs of the ECS actions and their parsers. A parser reads the
// wire parameters once and returns every 4xx of bad input; what it returns
// is what authorization decides on and what the service acts on.

// DescribeRegionsInput is the input of DescribeRegions.
type DescribeRegionsInput struct {
	RegionID       string // as sent; only names the ARN
	AcceptLanguage string // "", zh-CN, en-US or ja (any case)
}

// RunInstancesInput is the input of RunInstances: what each instance is
// made from, and how many.
type RunInstancesInput struct {
	InstanceSpec
	Amount      int
	ClientToken string // "": none (idempotency.go)
	DryRun      bool
}

// DeleteInstanceInput is the input of DeleteInstance.
type DeleteInstanceInput struct {
	RegionID   string // as sent; the instance's own region is used
	InstanceID string
	Force      bool
	DryRun     bool
}

// DeleteInstancesInput is the input of DeleteInstances.
type DeleteInstancesInput struct {
	RegionID    string
	InstanceIDs []string // InstanceId.N: 1 to 100, distinct
	Force       bool
	DryRun      bool
}

// StartInstanceInput is the input of StartInstance.
type StartInstanceInput struct {
	RegionID   string // as sent; the instance's own region is used
	InstanceID string
	DryRun     bool
}

// StopInstanceInput is the input of StopInstance.
type StopInstanceInput struct {
	RegionID   string // as sent; the instance's own region is used
	InstanceID string
	DryRun     bool
}

// DescribeInstancesInput is the input of DescribeInstances: filters and
// either PageNumber/PageSize or NextToken/MaxResults paging.
type DescribeInstancesInput struct {
	RegionID    string
	InstanceIDs []string // nil: any
	NetworkType string
	Status      string
	NamePattern string
	TokenPaging bool  // NextToken or MaxResults was sent
	AfterSeq    int64 // from NextToken
	MaxResults  int
	PageNumber  int
	PageSize    int
	Filters     instanceFilters // the other documented filters
	DryRun      bool
}

// AttachInstanceRAMRoleInput is the input of AttachInstanceRamRole.
type AttachInstanceRAMRoleInput struct {
	RegionID    string
	InstanceIDs []string
	RAMRoleName string
}

// DetachInstanceRAMRoleInput is the input of DetachInstanceRamRole.
type DetachInstanceRAMRoleInput struct {
	RegionID    string
	InstanceIDs []string
	RAMRoleName string // "": detach whatever role each instance holds
}

// DescribeInstanceRAMRoleInput is the input of DescribeInstanceRamRole.
type DescribeInstanceRAMRoleInput struct {
	RegionID    string
	InstanceIDs []string // nil: every instance (then RAMRoleName is set)
	RAMRoleName string
	PageNumber  int
	PageSize    int
}

// required returns a parameter that must be present and non-empty.
func required(r *protocol.Request, name string) (string, error) {
	v := strings.TrimSpace(r.Get(name))
	if v == "" {
		return "", errMissing(name)
	}
	return v, nil
}

// regionOf returns the RegionId of a request, which must be a known region.
func regionOf(r *protocol.Request) (string, error) {
	id, err := required(r, "RegionId")
	if err != nil {
		return "", err
	}
	if !KnownRegion(id) {
		return "", errRegionNotFound
	}
	return id, nil
}

// ParseInstanceIDs parses the InstanceIds parameter: a JSON array of 1 to
// max distinct instance ids of 1 to 64 characters without control
// characters (ids come back in per-instance results). It is the one parser
// of InstanceIds.
func ParseInstanceIDs(s string, max int) ([]string, error) {
	ids, plain := plainStrings(s, max)
	if !plain {
		if err := json.Unmarshal([]byte(s), &ids); err != nil {
			return nil, errInstanceIDsMalformed
		}
	}
	if len(ids) == 0 || len(ids) > max || hasDuplicate(ids) {
		return nil, errInstanceIDsMalformed
	}
	for _, id := range ids {
		if len(id) > 64 || protocol.CheckName(id, 1, 64) != nil {
			return nil, errInstanceIDsMalformed
		}
	}
	return ids, nil
}

// plainStrings parses s as json.Unmarshal would into a []string when s is
// a JSON array of 1 to max strings of printable ASCII without escapes, the
// form clients send; plain is false for anything else, which
// json.Unmarshal then decides.
func plainStrings(s string, max int) (out []string, plain bool) {
	i := skipSpace(s, 0)
	if i == len(s) || s[i] != '[' {
		return nil, false
	}
	for {
		i = skipSpace(s, i+1) // past the '[' or the ','
		if i == len(s) || s[i] != '"' || len(out) >= max {
			return nil, false
		}
		start := i + 1
		for i = start; i < len(s) && s[i] != '"'; i++ {
			if s[i] < 0x20 || s[i] > 0x7e || s[i] == '\\' {
				return nil, false
			}
		}
		if i == len(s) {
			return nil, false
		}
		out = append(out, s[start:i])
		i = skipSpace(s, i+1)
		switch {
		case i < len(s) && s[i] == ',':
		case i < len(s) && s[i] == ']' && skipSpace(s, i+1) == len(s):
			return out, true
		default:
			return nil, false
		}
	}
}

// skipSpace returns the index of the first byte of s from i on that is not
// JSON white space.
func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// hasDuplicate reports whether ids holds an id twice: comparing pairs for
// short lists (most are one id), a set beyond.
func hasDuplicate(ids []string) bool {
	if len(ids) <= 16 {
		for i := range ids {
			if slices.Contains(ids[:i], ids[i]) {
				return true
			}
		}
		return false
	}
	seen := make(map[string]struct{}, len(ids))
	for _, id := range ids {
		if _, ok := seen[id]; ok {
			return true
		}
		seen[id] = struct{}{}
	}
	return false
}

// intParam parses an optional integer parameter within [min, max].
func intParam(r *protocol.Request, name string, def, min, max int) (int, error) {
	n, ok, err := r.Int(name)
	if err != nil || (ok && (n < int64(min) || n > int64(max))) {
		return 0, errInvalidParameter(name)
	}
	if !ok {
		return def, nil
	}
	return int(n), nil
}

func boolParam(r *protocol.Request, name string) (bool, error) {
	b, _, err := r.Bool(name)
	if err != nil {
		return false, errInvalidParameter(name)
	}
	return b, nil
}

func parseDescribeRegions(r *protocol.Request) (DescribeRegionsInput, error) {
	in := DescribeRegionsInput{RegionID: r.Get("RegionId"), AcceptLanguage: r.Get("AcceptLanguage")}
	switch strings.ToLower(in.AcceptLanguage) {
	case "", "zh-cn", "en-us", "ja":
	default:
		return in, errLanguageNotFound
	}
	switch r.Get("ResourceType") {
	case "", "instance", "disk", "reservedinstance", "scu":
	default:
		return in, errResourceTypeNotFound
	}
	return in, nil
}

func parseRunInstances(r *protocol.Request) (RunInstancesInput, error) {
	spec, err := parseInstanceSpec(r)
	in := RunInstancesInput{InstanceSpec: spec}
	if err != nil {
		return in, err
	}
	n, ok, err := r.Int("Amount")
	switch {
	case err != nil || ok && (n < 1 || n > 100):
		return in, errAmountMalformed
	case ok:
		in.Amount = int(n)
	default:
		in.Amount = 1
	}
	if in.ClientToken, err = clientTokenParam(r); err != nil {
		return in, err
	}
	in.DryRun, err = boolParam(r, "DryRun")
	return in, err
}

// validInstanceName reports whether s is an InstanceName as ECS documents
// it: 2 to 128 characters, starting with a letter (of any script: Chinese
// characters are letters), then letters, digits, combining marks, colons,
// underscores, periods and hyphens, plus the brackets and commas of
// RunInstances' sequential names (kept literally: localyun does not
// expand them). No control characters, no "http://" (a slash is no name
// character).
func validInstanceName(s string) bool {
	if protocol.CheckName(s, 2, 128) != nil {
		return false
	}
	for i, r := range s {
		switch {
		case unicode.IsLetter(r):
		case i == 0:
			return false
		case unicode.IsDigit(r), unicode.IsMark(r), strings.ContainsRune(":_.-[],", r):
		default:
			return false
		}
	}
	return true
}

func parseDeleteInstance(r *protocol.Request) (DeleteInstanceInput, error) {
	in := DeleteInstanceInput{RegionID: r.Get("RegionId")}
	var err error
	if in.InstanceID, err = required(r, "InstanceId"); err != nil {
		return in, err
	}
	if in.Force, err = boolParam(r, "Force"); err != nil {
		return in, err
	}
	in.DryRun, err = boolParam(r, "DryRun")
	return in, err
}

func parseDeleteInstances(r *protocol.Request) (DeleteInstancesInput, error) {
	region, err := regionOf(r)
	if err != nil {
		return DeleteInstancesInput{}, err
	}
	in := DeleteInstancesInput{RegionID: region, InstanceIDs: r.RepeatList("InstanceId")}
	if len(in.InstanceIDs) == 0 {
		return in, errMissing("InstanceId")
	}
	if len(in.InstanceIDs) > 100 {
		return in, errTooManyInstanceIDs
	}
	seen := map[string]bool{}
	for _, id := range in.InstanceIDs {
		if id == "" || seen[id] {
			return in, errInvalidParameter("InstanceId")
		}
		seen[id] = true
	}
	if in.Force, err = boolParam(r, "Force"); err != nil {
		return in, err
	}
	in.DryRun, err = boolParam(r, "DryRun")
	return in, err
}

func parseStartInstance(r *protocol.Request) (StartInstanceInput, error) {
	id, err := required(r, "InstanceId")
	if err != nil {
		return StartInstanceInput{}, err
	}
	dry, err := boolParam(r, "DryRun")
	return StartInstanceInput{RegionID: r.Get("RegionId"), InstanceID: id, DryRun: dry}, err
}

func parseStopInstance(r *protocol.Request) (StopInstanceInput, error) {
	id, err := required(r, "InstanceId")
	if err != nil {
		return StopInstanceInput{}, err
	}
	dry, err := boolParam(r, "DryRun")
	return StopInstanceInput{RegionID: r.Get("RegionId"), InstanceID: id, DryRun: dry}, err
}

func parseDescribeInstances(r *protocol.Request) (DescribeInstancesInput, error) {
	region, err := regionOf(r)
	if err != nil {
		return DescribeInstancesInput{}, err
	}
	in := DescribeInstancesInput{RegionID: region, NamePattern: r.Get("InstanceName")}
	if in.DryRun, err = boolParam(r, "DryRun"); err != nil {
		return in, err
	}
	if s := r.Get("InstanceIds"); s != "" {
		if in.InstanceIDs, err = ParseInstanceIDs(s, 100); err != nil {
			return in, err
		}
	}
	switch nt := r.Get("InstanceNetworkType"); nt {
	case "", localyun.NetworkVPC, localyun.NetworkClassic:
		in.NetworkType = nt
	default:
		return in, errNetworkTypeNotFound
	}
	switch st := r.Get("Status"); st {
	case "", localyun.StatusPending, localyun.StatusRunning, localyun.StatusStarting, localyun.StatusStopping, localyun.StatusStopped:
		in.Status = st
	default:
		return in, errStatusNotFound
	}
	if in.Filters, err = parseInstanceFilters(r); err != nil {
		return in, err
	}
	if in.TokenPaging = r.Get("NextToken") != "" || r.Get("MaxResults") != ""; in.TokenPaging {
		if in.MaxResults, err = intParam(r, "MaxResults", 10, 1, 100); err != nil {
			return in, err
		}
		if tok := r.Get("NextToken"); tok != "" {
			seq, err := strconv.ParseInt(tok, 16, 64)
			if err != nil || seq <= 0 {
				return in, errInvalidParameter("NextToken")
			}
			in.AfterSeq = seq
		}
		return in, nil
	}
	if in.PageNumber, err = intParam(r, "PageNumber", 1, 1, 1<<30); err != nil {
		return in, err
	}
	in.PageSize, err = intParam(r, "PageSize", 10, 1, 100)
	return in, err
}

// instanceIDsParam reads the mandatory InstanceIds of the RAM-role actions.
func instanceIDsParam(r *protocol.Request, max int) ([]string, error) {
	s, err := required(r, "InstanceIds")
	if err != nil {
		return nil, err
	}
	return ParseInstanceIDs(s, max)
}

// parseAttachInstanceRAMRole validates the optional Policy too, which is
// not applied (there is no metadata service yet to scope credentials
// with it).
func parseAttachInstanceRAMRole(r *protocol.Request) (AttachInstanceRAMRoleInput, error) {
	var in AttachInstanceRAMRoleInput
	var err error
	if in.RegionID, err = regionOf(r); err != nil {
		return in, err
	}
	if in.InstanceIDs, err = instanceIDsParam(r, 100); err != nil {
		return in, err
	}
	if in.RAMRoleName, err = required(r, "RamRoleName"); err != nil {
		return in, err
	}
	if p := r.Get("Policy"); r.Has("Policy") {
		var doc map[string]any
		if len(p) < 1 || len(p) > 1024 || protocol.CheckText(p, 0, len(p)) != nil || json.Unmarshal([]byte(p), &doc) != nil ||
			auth.UniqueKeys(p) != nil {
			return in, errPolicyMalformed
		}
	}
	return in, nil
}

// parseDetachInstanceRAMRole reads the seed document's parameters:
// RegionId, InstanceIds (1 to 100), optional RamRoleName.
func parseDetachInstanceRAMRole(r *protocol.Request) (DetachInstanceRAMRoleInput, error) {
	var in DetachInstanceRAMRoleInput
	var err error
	if in.RegionID, err = regionOf(r); err != nil {
		return in, err
	}
	if in.InstanceIDs, err = instanceIDsParam(r, 100); err != nil {
		return in, err
	}
	in.RAMRoleName = strings.TrimSpace(r.Get("RamRoleName"))
	return in, nil
}

func parseDescribeInstanceRAMRole(r *protocol.Request) (DescribeInstanceRAMRoleInput, error) {
	var in DescribeInstanceRAMRoleInput
	var err error
	if in.RegionID, err = regionOf(r); err != nil {
		return in, err
	}
	if s := strings.TrimSpace(r.Get("InstanceIds")); s != "" {
		if in.InstanceIDs, err = ParseInstanceIDs(s, 100); err != nil {
			return in, err
		}
	}
	in.RAMRoleName = strings.TrimSpace(r.Get("RamRoleName"))
	if in.InstanceIDs == nil && in.RAMRoleName == "" {
		return in, errAllEmpty
	}
	if in.PageNumber, err = intParam(r, "PageNumber", 1, 1, 1<<30); err != nil {
		return in, err
	}
	in.PageSize, err = intParam(r, "PageSize", 10, 1, 50)
	return in, err
}
