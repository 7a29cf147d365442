package ecs

import (
	"encoding/json"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/protocol"
)

// The typed inputs of the instance model: the parameters RunInstances (and
// CreateInstance) create an instance from, the DescribeInstances filters,
// and the inputs of the attribute, status, tag and metadata actions.

// InstanceSpec is what RunInstances and CreateInstance create instances
// from, parsed once by parseInstanceSpec (every 4xx of these parameters
// comes from there) and turned into instances by Service.createInstances.
type InstanceSpec struct {
	RegionID         string
	ZoneID           string
	ImageID          string
	InstanceType     string
	Name             string
	Description      string
	VSwitchID        string
	RAMRoleName      string
	HostName         string // "": DefaultHostName; may hold ${instance_id}
	ChargeType       string // PostPaid or PrePaid
	Period           int    // PrePaid: the subscription length in PeriodUnit
	PeriodUnit       string // Month or Week
	SecurityGroupIDs []string
	Tags             []localyun.Tag
	Metadata         localyun.MetadataOptions
}

// Limits of the tag actions and parameters (ECS "Tag limits").
const (
	maxTagsPerCall     = 20 // Tag.N and TagKey.N
	maxTagsPerResource = 20
	maxTagResources    = 50 // ResourceId.N
	maxSecurityGroups  = 5  // SecurityGroupIds.N: the default per-instance quota
)

// parseInstanceSpec reads the parameters RunInstances and CreateInstance
// share: RegionId, ZoneId, ImageId, InstanceType, InstanceName,
// Description, VSwitchId, RamRoleName, HostName, InstanceChargeType,
// Period, PeriodUnit, SecurityGroupId or SecurityGroupIds.N, Tag.N,
// HttpEndpoint, HttpTokens, HttpPutResponseHopLimit and Password (checked,
// then dropped: localyun runs no guest to log in to, so it keeps none).
func parseInstanceSpec(r *protocol.Request) (InstanceSpec, error) {
	region, err := regionOf(r)
	if err != nil {
		return InstanceSpec{}, err
	}
	in := InstanceSpec{RegionID: region, ZoneID: r.Get("ZoneId"), VSwitchID: r.Get("VSwitchId"),
		Name: r.Get("InstanceName"), Description: r.Get("Description"), RAMRoleName: strings.TrimSpace(r.Get("RamRoleName"))}
	if in.ImageID, err = required(r, "ImageId"); err != nil {
		return in, err
	}
	if in.InstanceType, err = required(r, "InstanceType"); err != nil {
		return in, err
	}
	if in.Name != "" && !validInstanceName(in.Name) {
		return in, errNameMalformed
	}
	if protocol.CheckText(in.Description, 0, 256) != nil {
		return in, errInvalidParameter("Description")
	}
	if in.HostName = r.Get("HostName"); in.HostName != "" && !validHostName(in.HostName, in.ImageID) {
		return in, errHostNameMalformed
	}
	if err := checkPassword(r); err != nil {
		return in, err
	}
	if err := parseCharge(r, &in); err != nil {
		return in, err
	}
	if in.SecurityGroupIDs, err = securityGroupsParam(r); err != nil {
		return in, err
	}
	if in.Tags, err = tagsParam(r, "Tag", maxTagsPerCall, errTagCount); err != nil {
		return in, err
	}
	in.Metadata = localyun.DefaultMetadataOptions
	return in, metadataParams(r, &in.Metadata)
}

// parseCharge reads InstanceChargeType (PostPaid by default) and, for
// PrePaid, Period (required) and PeriodUnit (Month by default).
func parseCharge(r *protocol.Request, in *InstanceSpec) error {
	switch in.ChargeType = r.Get("InstanceChargeType"); in.ChargeType {
	case "":
		in.ChargeType = localyun.ChargePostPaid
	case localyun.ChargePostPaid:
	case localyun.ChargePrePaid:
	default:
		return errChargeTypeNotFound
	}
	if in.ChargeType != localyun.ChargePrePaid {
		return nil
	}
	switch in.PeriodUnit = r.Get("PeriodUnit"); in.PeriodUnit {
	case "":
		in.PeriodUnit = "Month"
	case "Month", "Week":
	default:
		return errMalformed("InvalidPeriodUnit.ValueNotSupported", "PeriodUnit")
	}
	n, ok, err := r.Int("Period")
	switch {
	case !ok && err == nil:
		return errMissing("Period")
	case err != nil:
		return errPeriodMalformed
	case in.PeriodUnit == "Week" && (n < 1 || n > 4):
		return errPeriodMalformed
	case in.PeriodUnit == "Month" && !(n >= 1 && n <= 9 || n == 12 || n == 24 || n == 36 || n == 48 || n == 60):
		return errPeriodMalformed
	}
	in.Period = int(n)
	return nil
}

// ExpiresAt is when a PrePaid subscription of spec bought at now ends: the
// period later, at the next 16:00 UTC (midnight in China, where ECS ends
// subscriptions); localyun.PostPaidExpiry for PostPaid.
func (spec InstanceSpec) ExpiresAt(now time.Time) time.Time {
	if spec.ChargeType != localyun.ChargePrePaid {
		return localyun.PostPaidExpiry
	}
	end := now.UTC().AddDate(0, spec.Period, 0)
	if spec.PeriodUnit == "Week" {
		end = now.UTC().AddDate(0, 0, 7*spec.Period)
	}
	day := time.Date(end.Year(), end.Month(), end.Day(), 16, 0, 0, 0, time.UTC)
	if day.Before(end) {
		day = day.AddDate(0, 0, 1)
	}
	return day
}

// securityGroupsParam reads SecurityGroupId or SecurityGroupIds.N (not
// both): 1 to 5 distinct ids "sg-...". nil when neither is sent.
func securityGroupsParam(r *protocol.Request) ([]string, error) {
	ids := r.RepeatList("SecurityGroupIds")
	if one := r.Get("SecurityGroupId"); one != "" {
		if len(ids) > 0 {
			return nil, errSecurityGroupConflict
		}
		ids = []string{one}
	}
	if len(ids) > maxSecurityGroups || hasDuplicate(ids) {
		return nil, errInvalidParameter("SecurityGroupIds")
	}
	for _, id := range ids {
		if !validResourceID(id, "sg-") {
			return nil, errSecurityGroupNotFound
		}
	}
	return ids, nil
}

// validResourceID reports whether id is prefix followed by 1 to 60 letters,
// digits, hyphens and underscores: the form of ECS resource ids.
func validResourceID(id, prefix string) bool {
	rest, ok := strings.CutPrefix(id, prefix)
	if !ok || rest == "" || len(rest) > 60 {
		return false
	}
	for _, c := range rest {
		if !(c < 128 && (unicode.IsLetter(c) || unicode.IsDigit(c) || c == '-' || c == '_')) {
			return false
		}
	}
	return true
}

// metadataParams reads HttpEndpoint (enabled, disabled), HttpTokens
// (optional, required) and HttpPutResponseHopLimit (1 to 64) into m,
// leaving what is not sent.
func metadataParams(r *protocol.Request, m *localyun.MetadataOptions) error {
	switch v := r.Get("HttpEndpoint"); v {
	case "":
	case localyun.MetadataEnabled, localyun.MetadataDisabled:
		m.HTTPEndpoint = v
	default:
		return errInvalidParameter("HttpEndpoint")
	}
	switch v := r.Get("HttpTokens"); v {
	case "":
	case localyun.TokensOptional, localyun.TokensRequired:
		m.HTTPTokens = v
	default:
		return errInvalidParameter("HttpTokens")
	}
	hops, err := intParam(r, "HttpPutResponseHopLimit", m.HopLimit, 1, 64)
	m.HopLimit = hops
	return err
}

// validHostName reports whether s is a host name ECS accepts for an
// instance of the image: for Windows 2 to 15 letters, digits and hyphens,
// not only digits; otherwise 2 to 64 characters in period-separated
// segments of letters, digits and hyphens. Neither starts or ends with a
// period or hyphen nor holds two in a row. ${instance_id} stands for an
// instance id (i- and 20 characters).
func validHostName(s, imageID string) bool {
	s = strings.ReplaceAll(s, "${instance_id}", "i-00000000000000000000")
	windows, _, _ := ImageOS(imageID)
	max := 64
	if windows == osWindows {
		max = 15
	}
	if len(s) < 2 || len(s) > max || strings.Trim(s, "0123456789") == "" {
		return false
	}
	prev := '.'
	for _, c := range s {
		special := c == '.' || c == '-'
		switch {
		case c < 128 && (unicode.IsLetter(c) || unicode.IsDigit(c)):
		case c == '.' && windows == osWindows:
			return false
		case special && (prev == '.' || prev == '-'):
			return false
		case !special:
			return false
		}
		prev = c
	}
	return prev != '.' && prev != '-'
}

// checkPassword checks Password if sent: 8 to 30 characters of at least
// three of upper-case letters, lower-case letters, digits and the special
// characters ECS lists.
func checkPassword(r *protocol.Request) error {
	p, ok := r.Params["Password"]
	if !ok {
		return nil
	}
	const specials = "()`~!@#$%^&*-_+=|{}[]:;'<>,.?/"
	s := p[0]
	var upper, lower, digit, special int
	for _, c := range s {
		switch {
		case c >= 'A' && c <= 'Z':
			upper = 1
		case c >= 'a' && c <= 'z':
			lower = 1
		case c >= '0' && c <= '9':
			digit = 1
		case strings.ContainsRune(specials, c):
			special = 1
		default:
			return errPasswordMalformed
		}
	}
	if len(s) < 8 || len(s) > 30 || upper+lower+digit+special < 3 {
		return errPasswordMalformed
	}
	return nil
}

// tagParams returns the indexes N of the parameters prefix.N.* sent, in
// order.
func tagParams(r *protocol.Request, prefix string) []int {
	var ns []int
	seen := map[int]bool{}
	for k := range r.Params {
		rest, ok := strings.CutPrefix(k, prefix+".")
		if !ok {
			continue
		}
		num, _, _ := strings.Cut(rest, ".")
		if n, err := strconv.Atoi(num); err == nil && n > 0 && !seen[n] {
			seen[n] = true
			ns = append(ns, n)
		}
	}
	sort.Ints(ns)
	return ns
}

// tagField returns prefix.N.Key (or .key, the older spelling) and whether
// it was sent.
func tagField(r *protocol.Request, prefix string, n int, field string) (string, bool) {
	base := prefix + "." + strconv.Itoa(n) + "."
	for _, name := range []string{base + field, base + strings.ToLower(field)} {
		if v, ok := r.Params[name]; ok {
			return v[0], true
		}
	}
	return "", false
}

// tagsParam reads the tags to set of Tag.N.Key/Value: at most max (else
// tooMany), keys distinct (Duplicate.TagKey) and valid (see checkTag).
func tagsParam(r *protocol.Request, prefix string, max int, tooMany error) ([]localyun.Tag, error) {
	ns := tagParams(r, prefix)
	if len(ns) > max || len(ns) > 0 && ns[len(ns)-1] > max {
		return nil, tooMany
	}
	var tags []localyun.Tag
	for _, n := range ns {
		key, _ := tagField(r, prefix, n, "Key")
		value, _ := tagField(r, prefix, n, "Value")
		if err := checkTag(key, value); err != nil {
			return nil, err
		}
		for _, t := range tags {
			if t.Key == key {
				return nil, errDuplicateTagKey
			}
		}
		tags = append(tags, localyun.Tag{Key: key, Value: value})
	}
	return tags, nil
}

// checkTag checks a tag as ECS limits them: a key of 1 to 128 characters
// not starting with "aliyun" or "acs:", a value of up to 128; neither holds
// "http://" or "https://" or a control character.
func checkTag(key, value string) error {
	if protocol.CheckText(key, 1, 128) != nil || strings.HasPrefix(key, "aliyun") || strings.HasPrefix(key, "acs:") || hasURL(key) {
		return errTagKeyMalformed
	}
	if protocol.CheckText(value, 0, 128) != nil || hasURL(value) {
		return errTagValueMalformed
	}
	return nil
}

func hasURL(s string) bool { return strings.Contains(s, "http://") || strings.Contains(s, "https://") }

// instanceFilters are the DescribeInstances filters beyond the ids, name,
// network type and status: Filter holds those the store applies; None is
// set when a filter names what no localyun instance has (a public or
// elastic IP, a key pair, a lock, an IPv6 or RDMA address, ...).
type instanceFilters struct {
	Filter localyun.InstanceFilter
	None   bool
}

// parseInstanceFilters reads every documented DescribeInstances filter;
// see docs/compatibility.md for those localyun has nothing to match with.
func parseInstanceFilters(r *protocol.Request) (instanceFilters, error) {
	var out instanceFilters
	f := &out.Filter
	f.ZoneID, f.VpcID, f.VSwitchID = r.Get("ZoneId"), r.Get("VpcId"), r.Get("VSwitchId")
	f.InstanceType, f.TypeFamily, f.ImageID = r.Get("InstanceType"), r.Get("InstanceTypeFamily"), r.Get("ImageId")
	f.SecurityGroupID = r.Get("SecurityGroupId")
	switch f.ChargeType = r.Get("InstanceChargeType"); f.ChargeType {
	case "", localyun.ChargePostPaid, localyun.ChargePrePaid:
	default:
		return out, errChargeTypeNotFound
	}
	if err := filterIPs(r, &out); err != nil {
		return out, err
	}
	if err := filterAbsent(r, &out); err != nil {
		return out, err
	}
	var m localyun.MetadataOptions
	if err := metadataParams(r, &m); err != nil {
		return out, err
	}
	f.HTTPEndpoint, f.HTTPTokens, f.HopLimit = m.HTTPEndpoint, m.HTTPTokens, m.HopLimit
	var err error
	if f.Tags, err = tagFilters(r, "Tag"); err != nil {
		return out, err
	}
	return out, timeFilters(r, f)
}

// filterIPs reads PrivateIpAddresses (VPC) and InnerIpAddresses (classic)
// into the filter's PrivateIPs and network type, and PublicIpAddresses,
// EipAddresses and RdmaIpAddresses, which no localyun instance has.
func filterIPs(r *protocol.Request, out *instanceFilters) error {
	f := &out.Filter
	for _, p := range []struct{ name, network string }{{"PrivateIpAddresses", localyun.NetworkVPC},
		{"InnerIpAddresses", localyun.NetworkClassic}} {
		ips, err := ipList(r, p.name)
		if err != nil {
			return err
		}
		if ips == nil {
			continue
		}
		if f.PrivateIPs != nil || f.NetworkType != "" && f.NetworkType != p.network {
			out.None = true // a VPC address and a classic one: no instance has both
		}
		f.PrivateIPs, f.NetworkType = ips, p.network
	}
	for _, name := range []string{"PublicIpAddresses", "EipAddresses", "RdmaIpAddresses"} {
		ips, err := ipList(r, name)
		if err != nil {
			return err
		}
		out.None = out.None || ips != nil
	}
	for _, v := range r.RepeatList("Ipv6Address") {
		if a, err := netip.ParseAddr(v); err != nil || !a.Is6() {
			return errInvalidParameter("Ipv6Address")
		}
		out.None = true
	}
	return nil
}

// ipList parses a list of 1 to 100 IP addresses: a JSON array, or the
// addresses separated by commas. nil when the parameter is not sent.
func ipList(r *protocol.Request, name string) ([]string, error) {
	s := strings.TrimSpace(r.Get(name))
	if s == "" {
		return nil, nil
	}
	var ips []string
	if strings.HasPrefix(s, "[") {
		if err := json.Unmarshal([]byte(s), &ips); err != nil {
			return nil, errInvalidParameter(name)
		}
	} else {
		ips = strings.Split(s, ",")
	}
	if len(ips) == 0 || len(ips) > 100 {
		return nil, errInvalidParameter(name)
	}
	for i, ip := range ips {
		a, err := netip.ParseAddr(strings.TrimSpace(ip))
		if err != nil {
			return nil, errInvalidParameter(name)
		}
		ips[i] = a.String()
	}
	return ips, nil
}

// filterAbsent reads the filters on what localyun instances never have or
// always have alike: KeyPairName, LockReason, HpcClusterId (refused: no
// cluster exists), InternetChargeType (PayByTraffic), IoOptimized (true),
// ResourceGroupId (every instance is in the default group, which ECS lists
// whatever the filter), and the invitational DeviceAvailable and
// NeedSaleCycle, which filter nothing.
func filterAbsent(r *protocol.Request, out *instanceFilters) error {
	if r.Get("HpcClusterId") != "" {
		return errHpcClusterNotFound
	}
	switch v := r.Get("LockReason"); v {
	case "":
	case "financial", "security", "recycling", "dedicatedhostfinancial", "refunded":
		out.None = true
	default:
		return errLockReasonNotFound
	}
	switch v := r.Get("InternetChargeType"); v {
	case "", internetChargeType:
	case "PayByBandwidth":
		out.None = true
	default:
		return errInternetChargeType
	}
	if r.Get("KeyPairName") != "" {
		out.None = true
	}
	io, sent, err := r.Bool("IoOptimized")
	if err != nil {
		return errInvalidParameter("IoOptimized")
	}
	out.None = out.None || sent && !io
	for _, name := range []string{"DeviceAvailable", "NeedSaleCycle"} {
		if _, err := boolParam(r, name); err != nil {
			return err
		}
	}
	return nil
}

// internetChargeType is the InternetChargeType localyun shows: ECS's
// default for instances without public bandwidth.
const internetChargeType = "PayByTraffic"

// tagFilters reads the Tag.N filters: at most 20 (InvalidTagCount); a
// value needs its key (InvalidTag.Mismatch); a key alone matches any value.
func tagFilters(r *protocol.Request, prefix string) ([]localyun.TagFilter, error) {
	ns := tagParams(r, prefix)
	if len(ns) > maxTagsPerCall || len(ns) > 0 && ns[len(ns)-1] > maxTagsPerCall {
		return nil, errTagCount
	}
	var out []localyun.TagFilter
	for _, n := range ns {
		key, _ := tagField(r, prefix, n, "Key")
		value, hasValue := tagField(r, prefix, n, "Value")
		if key == "" {
			return nil, errTagMismatch
		}
		if protocol.CheckText(key, 1, 128) != nil || protocol.CheckText(value, 0, 128) != nil {
			return nil, errTagKeyMalformed
		}
		out = append(out, localyun.TagFilter{Key: key, Value: value, AnyValue: !hasValue})
	}
	return out, nil
}

// filterTimes are the keys of Filter.N.Key and the bound each sets.
var filterTimes = map[string]func(f *localyun.InstanceFilter) *time.Time{
	"CreationStartTime": func(f *localyun.InstanceFilter) *time.Time { return &f.CreatedFrom },
	"CreationEndTime":   func(f *localyun.InstanceFilter) *time.Time { return &f.CreatedTo },
	"ExpiredStartTime":  func(f *localyun.InstanceFilter) *time.Time { return &f.ExpiresFrom },
	"ExpiredEndTime":    func(f *localyun.InstanceFilter) *time.Time { return &f.ExpiresTo },
}

// timeFilters reads Filter.1 to Filter.4: a key of filterTimes and a UTC
// time yyyy-MM-ddTHH:mmZ (seconds allowed).
func timeFilters(r *protocol.Request, f *localyun.InstanceFilter) error {
	for _, n := range tagParams(r, "Filter") {
		key, _ := tagField(r, "Filter", n, "Key")
		value, _ := tagField(r, "Filter", n, "Value")
		bound, ok := filterTimes[key]
		if n > 4 || !ok {
			return errFilterKeyNotFound
		}
		t, err := time.Parse("2006-01-02T15:04Z", value)
		if err != nil {
			if t, err = time.Parse("2006-01-02T15:04:05Z", value); err != nil {
				return errFilterValue
			}
		}
		*bound(f) = t
	}
	return nil
}
