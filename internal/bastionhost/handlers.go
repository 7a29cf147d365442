package bastionhost

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/auth"
	"github.com/localyun/localyun/internal/protocol"
)

// Product is Yundun-bastionhost 2019-12-09 as the wire and RAM know it.
// Its denial code is UNCONFIRMED for the real service (docs/authorization.md).
var Product = protocol.Product{Name: "Yundun-bastionhost", Version: "2019-12-09", Service: "yundun-bastionhost",
	DenyCode: "NoPermission", DenyMessage: "You are not authorized to do this action. You should be authorized by RAM."}

// Limits of the batch parameters.
const (
	maxGrantItems = 10  // Hosts / HostGroups entries per call
	maxGrantSub   = 10  // HostAccountIds / HostAccountNames per entry
	maxMemberIDs  = 100 // UserIds / HostIds per call
	maxPageSize   = 100
)

// Register adds the Bastionhost actions to m.
func Register(m *protocol.Mux, s *Service) {
	h := handlers{s}
	for action, fn := range map[string]protocol.Handler{
		"DescribeInstances": h.describeInstances,
		"DescribeRegions":   h.describeRegions,

		"CreateHost": h.createHost,
		"GetHost":    h.getHost,
		"ListHosts":  h.listHosts,
		"ModifyHost": h.modifyHost,
		"DeleteHost": h.deleteHost,

		"CreateHostAccount": h.createHostAccount,
		"GetHostAccount":    h.getHostAccount,
		"ListHostAccounts":  h.listHostAccounts,
		"ModifyHostAccount": h.modifyHostAccount,
		"DeleteHostAccount": h.deleteHostAccount,

		"CreateUser": h.createUser,
		"GetUser":    h.getUser,
		"ListUsers":  h.listUsers,
		"ModifyUser": h.modifyUser,
		"DeleteUser": h.deleteUser,

		"CreateUserGroup":      h.createUserGroup,
		"GetUserGroup":         h.getUserGroup,
		"ListUserGroups":       h.listUserGroups,
		"ModifyUserGroup":      h.modifyUserGroup,
		"DeleteUserGroup":      h.deleteUserGroup,
		"AddUsersToGroup":      h.changeUserMembers(true),
		"RemoveUsersFromGroup": h.changeUserMembers(false),

		"CreateHostGroup":      h.createHostGroup,
		"GetHostGroup":         h.getHostGroup,
		"ListHostGroups":       h.listHostGroups,
		"ModifyHostGroup":      h.modifyHostGroup,
		"DeleteHostGroup":      h.deleteHostGroup,
		"AddHostsToGroup":      h.changeHostMembers(true),
		"RemoveHostsFromGroup": h.changeHostMembers(false),
	} {
		auth.Legacy(m, Product, action, fn)
	}
	registerGrants(m, s)
}

type handlers struct{ s *Service }

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

// instanceOf checks InstanceId (and RegionId) of an object action.
func (h handlers) instanceOf(ctx context.Context, r *protocol.Request) (string, error) {
	id, err := required(r, "InstanceId")
	if err != nil {
		return "", err
	}
	if _, err := h.s.Instance(ctx, id, r.Get("RegionId")); err != nil {
		return "", err
	}
	return id, nil
}

// objectOf reads InstanceId and the required id parameter name, and checks
// the instance.
func (h handlers) objectOf(ctx context.Context, r *protocol.Request, name string) (inst, id string, err error) {
	if _, err = required(r, "InstanceId"); err != nil {
		return "", "", err
	}
	if id, err = required(r, name); err != nil {
		return "", "", err
	}
	inst, err = h.instanceOf(ctx, r)
	return inst, id, err
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

// flexID is an id in a JSON list: a string, or an integer number.
type flexID string

func (f *flexID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexID(strings.TrimSpace(s))
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

// describeInstances serves DescribeInstances: InstanceId.N, InstanceStatus,
// RegionId and integer paging (PageSize default 10).
func (h handlers) describeInstances(ctx context.Context, r *protocol.Request) (any, error) {
	f := localyun.BastionInstanceFilter{AccountID: accountOf(ctx), RegionID: r.Get("RegionId"), IDs: r.RepeatList("InstanceId")}
	if len(f.IDs) > 100 {
		return nil, errInvalid("InstanceId", "at most 100 ids")
	}
	status, err := enumParam(r, "InstanceStatus", "PENDING", "CREATING", "RUNNING", "EXPIRED", "CREATE_FAILED", "UPGRADING", "UPGRADE_FAILED")
	if err != nil {
		return nil, err
	}
	f.Status = status
	if f.Offset, f.Limit, err = paging(r, 10); err != nil {
		return nil, err
	}
	insts, total, err := h.s.store.FindBastionInstances(ctx, f)
	if err != nil {
		return nil, err
	}
	out := describeInstancesResponse{TotalCount: int64(total), Instances: []instanceItem{}}
	for _, b := range insts {
		out.Instances = append(out.Instances, instanceItem{InstanceID: b.ID, InstanceStatus: b.Status, RegionID: b.RegionID,
			Description: b.Description, ImageVersion: "3.2.44", LicenseCode: "bhah_ent_50_asset", PlanCode: b.PlanCode,
			StartTime: b.CreatedAt.UnixMilli(), ExpireTime: b.ExpiresAt.UnixMilli(),
			InternetEndpoint: b.ID + ".bastionhost.aliyuncs.com", IntranetEndpoint: b.ID + "-vpc.bastionhost.aliyuncs.com",
			PublicNetworkAccess: true, VpcID: b.VpcID, VswitchID: b.VSwitchID})
	}
	return out, nil
}

// describeRegions serves DescribeRegions; AcceptLanguage zh-CN (default) or en-US.
func (h handlers) describeRegions(ctx context.Context, r *protocol.Request) (any, error) {
	lang, err := enumParam(r, "AcceptLanguage", "zh-CN", "en-US")
	if err != nil {
		return nil, err
	}
	out := describeRegionsResponse{Regions: make([]regionItem, len(regions))}
	for i, rg := range regions {
		name := rg.ZH
		if lang == "en-US" {
			name = rg.EN
		}
		out.Regions[i] = regionItem{RegionID: rg.ID, LocalName: name, RegionEndpoint: endpointOf(rg.ID)}
	}
	return out, nil
}

func (h handlers) createHost(ctx context.Context, r *protocol.Request) (any, error) {
	for _, name := range []string{"InstanceId", "HostName", "OSType", "Source", "ActiveAddressType"} {
		if _, err := required(r, name); err != nil {
			return nil, err
		}
	}
	host := localyun.BastionHost{Name: r.Get("HostName"), Comment: r.Get("Comment"), OSType: r.Get("OSType"),
		Source: r.Get("Source"), SourceInstanceID: strings.TrimSpace(r.Get("SourceInstanceId")),
		InstanceRegionID: strings.TrimSpace(r.Get("InstanceRegionId")), ActiveAddressType: r.Get("ActiveAddressType"),
		PublicAddress: strings.TrimSpace(r.Get("HostPublicAddress")), PrivateAddress: strings.TrimSpace(r.Get("HostPrivateAddress")),
		NetworkDomainID: r.Get("NetworkDomainId")}
	n, ok, err := r.Int("InstanceMemberId")
	if err != nil {
		return nil, errInvalid("InstanceMemberId", "must be an integer")
	}
	if ok {
		host.InstanceMemberID = n
	}
	if err := ValidateHost(&host); err != nil {
		return nil, err
	}
	inst, err := h.instanceOf(ctx, r)
	if err != nil {
		return nil, err
	}
	host.InstanceID = inst
	id, err := h.s.CreateHost(ctx, host)
	if err != nil {
		return nil, err
	}
	return createHostResponse{HostID: id}, nil
}

func hostProtocols(h localyun.BastionHost) []protocolItem {
	if h.OSType == "Windows" {
		return []protocolItem{{ProtocolName: "RDP", Port: 3389}}
	}
	return []protocolItem{{ProtocolName: "SSH", Port: 22}}
}

func (h handlers) getHost(ctx context.Context, r *protocol.Request) (any, error) {
	inst, id, err := h.objectOf(ctx, r, "HostId")
	if err != nil {
		return nil, err
	}
	host, err := h.s.store.FindBastionHost(ctx, inst, id)
	if err != nil {
		return nil, objectError(err, errHostNotFound, nil)
	}
	return getHostResponse{Host: hostDetail{HostID: host.ID, HostName: host.Name, Comment: host.Comment, OSType: host.OSType,
		Source: host.Source, SourceInstanceID: host.SourceInstanceID, SourceInstanceState: host.SourceInstanceState,
		ActiveAddressType: host.ActiveAddressType, HostPublicAddress: host.PublicAddress, HostPrivateAddress: host.PrivateAddress,
		NetworkDomainID: host.NetworkDomainID, PrefKex: host.PrefKex, Protocols: hostProtocols(host)}}, nil
}

// hostFilter parses the host filters shared by ListHosts and ListHostsFor*.
func hostFilter(r *protocol.Request) (localyun.BastionHostFilter, error) {
	f := localyun.BastionHostFilter{Name: r.Get("HostName"), Address: strings.TrimSpace(r.Get("HostAddress"))}
	var err error
	if f.OSType, err = enumParam(r, "OSType", "Linux", "Windows"); err != nil {
		return f, err
	}
	f.Offset, f.Limit, err = paging(r, 20)
	return f, err
}

func (h handlers) listHosts(ctx context.Context, r *protocol.Request) (any, error) {
	if _, err := required(r, "InstanceId"); err != nil {
		return nil, err
	}
	f, err := hostFilter(r)
	if err != nil {
		return nil, err
	}
	if f.Source, err = enumParam(r, "Source", localyun.BastionSourceLocal, localyun.BastionSourceEcs, localyun.BastionSourceRds); err != nil {
		return nil, err
	}
	if f.SourceInstanceState, err = enumParam(r, "SourceInstanceState", "Normal", "Release"); err != nil {
		return nil, err
	}
	f.SourceInstanceID, f.HostGroupID = r.Get("SourceInstanceId"), r.Get("HostGroupId")
	if f.InstanceID, err = h.instanceOf(ctx, r); err != nil {
		return nil, err
	}
	hosts, total, err := h.s.store.FindBastionHosts(ctx, f)
	if err != nil {
		return nil, err
	}
	out := listHostsResponse{TotalCount: int32(total), Hosts: []hostItem{}}
	for _, x := range hosts {
		out.Hosts = append(out.Hosts, hostItem{HostID: x.ID, HostName: x.Name, Comment: x.Comment, OSType: x.OSType,
			Source: x.Source, SourceInstanceID: x.SourceInstanceID, SourceInstanceState: x.SourceInstanceState,
			ActiveAddressType: x.ActiveAddressType, HostPublicAddress: x.PublicAddress, HostPrivateAddress: x.PrivateAddress,
			HostAccountCount: int32(x.AccountCount)})
	}
	return out, nil
}

func (h handlers) modifyHost(ctx context.Context, r *protocol.Request) (any, error) {
	inst, id, err := h.objectOf(ctx, r, "HostId")
	if err != nil {
		return nil, err
	}
	upd := HostUpdate{Name: optional(r, "HostName"), Comment: optional(r, "Comment"), OSType: optional(r, "OSType"),
		PublicAddress: optional(r, "HostPublicAddress"), PrivateAddress: optional(r, "HostPrivateAddress"),
		NetworkDomainID: optional(r, "NetworkDomainId"), PrefKex: optional(r, "PrefKex")}
	return nil, h.s.ModifyHost(ctx, inst, id, upd)
}

func (h handlers) deleteHost(ctx context.Context, r *protocol.Request) (any, error) {
	inst, id, err := h.objectOf(ctx, r, "HostId")
	if err != nil {
		return nil, err
	}
	return nil, objectError(h.s.store.DeleteBastionHost(ctx, inst, id), errObjectNotFound("host"), nil)
}

func hostAccountSecret(r *protocol.Request) HostAccountSecret {
	return HostAccountSecret{Password: optional(r, "Password"), PrivateKey: optional(r, "PrivateKey"), PassPhrase: optional(r, "PassPhrase")}
}

func (h handlers) createHostAccount(ctx context.Context, r *protocol.Request) (any, error) {
	for _, name := range []string{"InstanceId", "HostId", "HostAccountName", "ProtocolName"} {
		if _, err := required(r, name); err != nil {
			return nil, err
		}
	}
	a := localyun.BastionHostAccount{HostID: strings.TrimSpace(r.Get("HostId")), Name: r.Get("HostAccountName"),
		ProtocolName: r.Get("ProtocolName"), PrivilegeType: r.Get("PrivilegeType"), RotationMode: r.Get("RotationMode"),
		HostShareKeyID: r.Get("HostShareKeyId")}
	var sec localyun.BastionSecret
	check := a
	if err := ValidateHostAccount(&check, hostAccountSecret(r), &sec); err != nil {
		return nil, err
	}
	inst, err := h.instanceOf(ctx, r)
	if err != nil {
		return nil, err
	}
	a.InstanceID = inst
	id, err := h.s.CreateHostAccount(ctx, a, hostAccountSecret(r))
	if err != nil {
		return nil, err
	}
	return createHostAccountResponse{HostAccountID: id}, nil
}

func hostAccountItemOf(a localyun.BastionHostAccount) hostAccountItem {
	return hostAccountItem{HostAccountID: a.ID, HostAccountName: a.Name, HostID: a.HostID, ProtocolName: a.ProtocolName,
		HasPassword: a.HasPassword, PrivateKeyFingerprint: a.PrivateKeyFingerprint, HostShareKeyID: a.HostShareKeyID,
		PrivilegeType: a.PrivilegeType, RotationMode: a.RotationMode}
}

func (h handlers) getHostAccount(ctx context.Context, r *protocol.Request) (any, error) {
	inst, id, err := h.objectOf(ctx, r, "HostAccountId")
	if err != nil {
		return nil, err
	}
	a, err := h.s.store.FindBastionHostAccount(ctx, inst, id)
	if err != nil {
		return nil, objectError(err, errHostAccountNotFound, nil)
	}
	return getHostAccountResponse{HostAccount: hostAccountItemOf(a)}, nil
}

func (h handlers) listHostAccounts(ctx context.Context, r *protocol.Request) (any, error) {
	inst, hostID, err := h.objectOf(ctx, r, "HostId")
	if err != nil {
		return nil, err
	}
	f := localyun.BastionHostAccountFilter{InstanceID: inst, HostIDs: []string{hostID}, Name: r.Get("HostAccountName")}
	if s := r.Get("HostIds"); s != "" {
		if f.HostIDs, err = parseIDList("HostIds", s, maxMemberIDs); err != nil {
			return nil, err
		}
	}
	if f.ProtocolName, err = enumParam(r, "ProtocolName", "SSH", "RDP"); err != nil {
		return nil, err
	}
	if f.Offset, f.Limit, err = paging(r, 20); err != nil {
		return nil, err
	}
	if _, err := h.s.store.FindBastionHost(ctx, inst, hostID); err != nil {
		return nil, objectError(err, errHostNotFound, nil)
	}
	accts, total, err := h.s.store.FindBastionHostAccounts(ctx, f)
	if err != nil {
		return nil, err
	}
	out := listHostAccountsResponse{TotalCount: int32(total), HostAccounts: []hostAccountItem{}}
	for _, a := range accts {
		out.HostAccounts = append(out.HostAccounts, hostAccountItemOf(a))
	}
	return out, nil
}

func (h handlers) modifyHostAccount(ctx context.Context, r *protocol.Request) (any, error) {
	inst, id, err := h.objectOf(ctx, r, "HostAccountId")
	if err != nil {
		return nil, err
	}
	upd := HostAccountUpdate{Name: optional(r, "HostAccountName"), PrivilegeType: optional(r, "PrivilegeType"),
		RotationMode: optional(r, "RotationMode"), HostShareKeyID: optional(r, "HostShareKeyId"), Secret: hostAccountSecret(r)}
	return nil, h.s.ModifyHostAccount(ctx, inst, id, upd)
}

func (h handlers) deleteHostAccount(ctx context.Context, r *protocol.Request) (any, error) {
	inst, id, err := h.objectOf(ctx, r, "HostAccountId")
	if err != nil {
		return nil, err
	}
	return nil, objectError(h.s.store.DeleteBastionHostAccount(ctx, inst, id), errObjectNotFound("host account"), nil)
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

// twoFactorMethods parses TwoFactorMethods: a JSON array of method names.
func twoFactorMethods(r *protocol.Request) (*[]string, error) {
	if !r.Has("TwoFactorMethods") {
		return nil, nil
	}
	var ms []string
	if s := r.Get("TwoFactorMethods"); s != "" {
		if err := decodeStrict(s, &ms); err != nil || len(ms) > 4 {
			return nil, errInvalid("TwoFactorMethods", `must be a JSON array such as ["sms","email"]`)
		}
	}
	return &ms, nil
}

// userUpdate parses the parameters CreateUser and ModifyUser share.
func userUpdate(r *protocol.Request) (UserUpdate, error) {
	u := UserUpdate{DisplayName: optional(r, "DisplayName"), Comment: optional(r, "Comment"), Email: optional(r, "Email"),
		Mobile: optional(r, "Mobile"), MobileCountryCode: optional(r, "MobileCountryCode"),
		TwoFactorStatus: optional(r, "TwoFactorStatus"), LanguageStatus: optional(r, "LanguageStatus"),
		Language: optional(r, "Language"), Password: optional(r, "Password")}
	var err error
	if u.NeedResetPassword, err = boolParam(r, "NeedResetPassword"); err != nil {
		return u, err
	}
	if u.EffectiveStartTime, err = int64Param(r, "EffectiveStartTime"); err != nil {
		return u, err
	}
	if u.EffectiveEndTime, err = int64Param(r, "EffectiveEndTime"); err != nil {
		return u, err
	}
	u.TwoFactorMethods, err = twoFactorMethods(r)
	return u, err
}

func (h handlers) createUser(ctx context.Context, r *protocol.Request) (any, error) {
	for _, name := range []string{"InstanceId", "UserName", "Source"} {
		if _, err := required(r, name); err != nil {
			return nil, err
		}
	}
	upd, err := userUpdate(r)
	if err != nil {
		return nil, err
	}
	u := localyun.BastionUser{Name: r.Get("UserName"), Source: r.Get("Source"), SourceUserID: strings.TrimSpace(r.Get("SourceUserId"))}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	u.DisplayName, u.Comment, u.Email, u.Mobile = str(upd.DisplayName), str(upd.Comment), str(upd.Email), str(upd.Mobile)
	u.MobileCountryCode, u.TwoFactorStatus = str(upd.MobileCountryCode), str(upd.TwoFactorStatus)
	u.LanguageStatus, u.Language = str(upd.LanguageStatus), str(upd.Language)
	if upd.NeedResetPassword != nil {
		u.NeedResetPassword = *upd.NeedResetPassword
	}
	if upd.EffectiveStartTime != nil {
		u.EffectiveStartTime = *upd.EffectiveStartTime
	}
	if upd.EffectiveEndTime != nil {
		u.EffectiveEndTime = *upd.EffectiveEndTime
	}
	if upd.TwoFactorMethods != nil {
		u.TwoFactorMethods = *upd.TwoFactorMethods
	}
	check := u
	if err := ValidateUser(&check); err != nil {
		return nil, err
	}
	if u.InstanceID, err = h.instanceOf(ctx, r); err != nil {
		return nil, err
	}
	id, err := h.s.CreateUser(ctx, u, upd.Password)
	if err != nil {
		return nil, err
	}
	return createUserResponse{UserID: id}, nil
}

func (h handlers) userItemOf(u localyun.BastionUser) userItem {
	methods := u.TwoFactorMethods
	if methods == nil {
		methods = []string{}
	}
	return userItem{UserID: u.ID, UserName: u.Name, DisplayName: u.DisplayName, Comment: u.Comment, Email: u.Email,
		Mobile: u.Mobile, MobileCountryCode: u.MobileCountryCode, Source: u.Source, SourceUserID: u.SourceUserID,
		NeedResetPassword: u.NeedResetPassword, EffectiveStartTime: u.EffectiveStartTime, EffectiveEndTime: u.EffectiveEndTime,
		TwoFactorStatus: u.TwoFactorStatus, TwoFactorMethods: methods, LanguageStatus: u.LanguageStatus, Language: u.Language,
		UserState: []string{UserState(u, h.s.opts.Now())}}
}

func (h handlers) getUser(ctx context.Context, r *protocol.Request) (any, error) {
	inst, id, err := h.objectOf(ctx, r, "UserId")
	if err != nil {
		return nil, err
	}
	u, err := h.s.store.FindBastionUser(ctx, inst, id)
	if err != nil {
		return nil, objectError(err, errObjectNotFound("user"), nil)
	}
	return getUserResponse{User: h.userItemOf(u)}, nil
}

func (h handlers) listUsers(ctx context.Context, r *protocol.Request) (any, error) {
	if _, err := required(r, "InstanceId"); err != nil {
		return nil, err
	}
	f := localyun.BastionUserFilter{Name: r.Get("UserName"), DisplayName: r.Get("DisplayName"), Mobile: r.Get("Mobile"),
		SourceUserID: r.Get("SourceUserId"), UserGroupID: r.Get("UserGroupId"), Now: h.s.opts.Now()}
	var err error
	if f.Source, err = enumParam(r, "Source", localyun.BastionUserLocal, localyun.BastionUserRAM, localyun.BastionUserAD, localyun.BastionUserLDAP); err != nil {
		return nil, err
	}
	if f.State, err = enumParam(r, "UserState", localyun.BastionUserNormal, localyun.BastionUserFrozen, localyun.BastionUserExpired); err != nil {
		return nil, err
	}
	if f.Offset, f.Limit, err = paging(r, 20); err != nil {
		return nil, err
	}
	if f.InstanceID, err = h.instanceOf(ctx, r); err != nil {
		return nil, err
	}
	users, total, err := h.s.store.FindBastionUsers(ctx, f)
	if err != nil {
		return nil, err
	}
	out := listUsersResponse{TotalCount: int32(total), Users: []userItem{}}
	for _, u := range users {
		out.Users = append(out.Users, h.userItemOf(u))
	}
	return out, nil
}

func (h handlers) modifyUser(ctx context.Context, r *protocol.Request) (any, error) {
	inst, id, err := h.objectOf(ctx, r, "UserId")
	if err != nil {
		return nil, err
	}
	upd, err := userUpdate(r)
	if err != nil {
		return nil, err
	}
	return nil, h.s.ModifyUser(ctx, inst, id, upd)
}

func (h handlers) deleteUser(ctx context.Context, r *protocol.Request) (any, error) {
	inst, id, err := h.objectOf(ctx, r, "UserId")
	if err != nil {
		return nil, err
	}
	return nil, objectError(h.s.store.DeleteBastionUser(ctx, inst, id), errObjectNotFound("user"), nil)
}

func (h handlers) createUserGroup(ctx context.Context, r *protocol.Request) (any, error) {
	if _, err := required(r, "InstanceId"); err != nil {
		return nil, err
	}
	g := localyun.BastionUserGroup{Name: r.Get("UserGroupName"), Comment: r.Get("Comment")}
	if err := ValidateGroup("UserGroup", g.Name, g.Comment); err != nil {
		return nil, err
	}
	var err error
	if g.InstanceID, err = h.instanceOf(ctx, r); err != nil {
		return nil, err
	}
	id, err := h.s.CreateUserGroup(ctx, g)
	if err != nil {
		return nil, err
	}
	return createUserGroupResponse{UserGroupID: id}, nil
}

func (h handlers) getUserGroup(ctx context.Context, r *protocol.Request) (any, error) {
	inst, id, err := h.objectOf(ctx, r, "UserGroupId")
	if err != nil {
		return nil, err
	}
	g, err := h.s.store.FindBastionUserGroup(ctx, inst, id)
	if err != nil {
		return nil, objectError(err, errObjectNotFound("user group"), nil)
	}
	return getUserGroupResponse{UserGroup: userGroupDetail{UserGroupID: g.ID, UserGroupName: g.Name, Comment: g.Comment}}, nil
}

func (h handlers) listUserGroups(ctx context.Context, r *protocol.Request) (any, error) {
	if _, err := required(r, "InstanceId"); err != nil {
		return nil, err
	}
	f := localyun.BastionUserGroupFilter{Name: r.Get("UserGroupName")}
	var err error
	if f.Offset, f.Limit, err = paging(r, 20); err != nil {
		return nil, err
	}
	if f.InstanceID, err = h.instanceOf(ctx, r); err != nil {
		return nil, err
	}
	gs, total, err := h.s.store.FindBastionUserGroups(ctx, f)
	if err != nil {
		return nil, err
	}
	out := listUserGroupsResponse{TotalCount: int32(total), UserGroups: []userGroupItem{}}
	for _, g := range gs {
		out.UserGroups = append(out.UserGroups, userGroupItem{UserGroupID: g.ID, UserGroupName: g.Name, Comment: g.Comment,
			MemberCount: int32(g.MemberCount)})
	}
	return out, nil
}

func (h handlers) modifyUserGroup(ctx context.Context, r *protocol.Request) (any, error) {
	inst, id, err := h.objectOf(ctx, r, "UserGroupId")
	if err != nil {
		return nil, err
	}
	return nil, h.s.ModifyUserGroup(ctx, inst, id, optional(r, "UserGroupName"), optional(r, "Comment"))
}

func (h handlers) deleteUserGroup(ctx context.Context, r *protocol.Request) (any, error) {
	inst, id, err := h.objectOf(ctx, r, "UserGroupId")
	if err != nil {
		return nil, err
	}
	return nil, objectError(h.s.store.DeleteBastionUserGroup(ctx, inst, id), errObjectNotFound("user group"), nil)
}

// changeUserMembers serves AddUsersToGroup (add) and RemoveUsersFromGroup.
func (h handlers) changeUserMembers(add bool) protocol.Handler {
	return func(ctx context.Context, r *protocol.Request) (any, error) {
		if _, err := required(r, "InstanceId"); err != nil {
			return nil, err
		}
		gid, err := required(r, "UserGroupId")
		if err != nil {
			return nil, err
		}
		s, err := required(r, "UserIds")
		if err != nil {
			return nil, err
		}
		ids, err := parseIDList("UserIds", s, maxMemberIDs)
		if err != nil {
			return nil, err
		}
		inst, err := h.instanceOf(ctx, r)
		if err != nil {
			return nil, err
		}
		change := h.s.store.AddBastionUsersToGroup
		if !add {
			change = h.s.store.RemoveBastionUsersFromGroup
		}
		res, err := change(ctx, inst, gid, ids)
		if err != nil {
			return nil, objectError(err, errObjectNotFound("user group"), nil)
		}
		out := membersResponse{Results: []memberResult{}}
		for _, x := range res {
			code, msg := resultCode(x.Outcome)
			out.Results = append(out.Results, memberResult{Code: code, Message: msg, UserGroupID: gid, UserID: x.ID})
		}
		return out, nil
	}
}

func (h handlers) createHostGroup(ctx context.Context, r *protocol.Request) (any, error) {
	if _, err := required(r, "InstanceId"); err != nil {
		return nil, err
	}
	g := localyun.BastionHostGroup{Name: r.Get("HostGroupName"), Comment: r.Get("Comment")}
	if err := ValidateGroup("HostGroup", g.Name, g.Comment); err != nil {
		return nil, err
	}
	var err error
	if g.InstanceID, err = h.instanceOf(ctx, r); err != nil {
		return nil, err
	}
	id, err := h.s.CreateHostGroup(ctx, g)
	if err != nil {
		return nil, err
	}
	return createHostGroupResponse{HostGroupID: id}, nil
}

func (h handlers) getHostGroup(ctx context.Context, r *protocol.Request) (any, error) {
	inst, id, err := h.objectOf(ctx, r, "HostGroupId")
	if err != nil {
		return nil, err
	}
	g, err := h.s.store.FindBastionHostGroup(ctx, inst, id)
	if err != nil {
		return nil, objectError(err, errObjectNotFound("host group"), nil)
	}
	return getHostGroupResponse{HostGroup: hostGroupDetail{HostGroupID: g.ID, HostGroupName: g.Name, Comment: g.Comment}}, nil
}

func (h handlers) listHostGroups(ctx context.Context, r *protocol.Request) (any, error) {
	if _, err := required(r, "InstanceId"); err != nil {
		return nil, err
	}
	f := localyun.BastionHostGroupFilter{Name: r.Get("HostGroupName")}
	var err error
	if f.Offset, f.Limit, err = paging(r, 20); err != nil {
		return nil, err
	}
	if f.InstanceID, err = h.instanceOf(ctx, r); err != nil {
		return nil, err
	}
	gs, total, err := h.s.store.FindBastionHostGroups(ctx, f)
	if err != nil {
		return nil, err
	}
	out := listHostGroupsResponse{TotalCount: int32(total), HostGroups: []hostGroupItem{}}
	for _, g := range gs {
		out.HostGroups = append(out.HostGroups, hostGroupItem{HostGroupID: g.ID, HostGroupName: g.Name, Comment: g.Comment,
			MemberCount: int32(g.MemberCount)})
	}
	return out, nil
}

func (h handlers) modifyHostGroup(ctx context.Context, r *protocol.Request) (any, error) {
	inst, id, err := h.objectOf(ctx, r, "HostGroupId")
	if err != nil {
		return nil, err
	}
	return nil, h.s.ModifyHostGroup(ctx, inst, id, optional(r, "HostGroupName"), optional(r, "Comment"))
}

func (h handlers) deleteHostGroup(ctx context.Context, r *protocol.Request) (any, error) {
	inst, id, err := h.objectOf(ctx, r, "HostGroupId")
	if err != nil {
		return nil, err
	}
	return nil, objectError(h.s.store.DeleteBastionHostGroup(ctx, inst, id), errObjectNotFound("host group"), nil)
}

// changeHostMembers serves AddHostsToGroup (add) and RemoveHostsFromGroup.
func (h handlers) changeHostMembers(add bool) protocol.Handler {
	return func(ctx context.Context, r *protocol.Request) (any, error) {
		if _, err := required(r, "InstanceId"); err != nil {
			return nil, err
		}
		gid, err := required(r, "HostGroupId")
		if err != nil {
			return nil, err
		}
		s, err := required(r, "HostIds")
		if err != nil {
			return nil, err
		}
		ids, err := parseIDList("HostIds", s, maxMemberIDs)
		if err != nil {
			return nil, err
		}
		inst, err := h.instanceOf(ctx, r)
		if err != nil {
			return nil, err
		}
		change := h.s.store.AddBastionHostsToGroup
		if !add {
			change = h.s.store.RemoveBastionHostsFromGroup
		}
		res, err := change(ctx, inst, gid, ids)
		if err != nil {
			return nil, objectError(err, errObjectNotFound("host group"), nil)
		}
		out := membersResponse{Results: []memberResult{}}
		for _, x := range res {
			code, msg := resultCode(x.Outcome)
			out.Results = append(out.Results, memberResult{Code: code, Message: msg, HostGroupID: gid, HostID: x.ID})
		}
		return out, nil
	}
}
