package bastionhost

// Wire shapes of the Bastionhost responses: the field names and nesting of
// the tea SDK models (alibabacloud-go/yundun-bastionhost-20191209). Lists
// are bare arrays ("Hosts":[...]), which render in XML as repeated
// elements. Slices are never nil, so JSON shows [] rather than null.

type regionItem struct {
	RegionID       string `json:"RegionId" xml:"RegionId"`
	LocalName      string `json:"LocalName" xml:"LocalName"`
	RegionEndpoint string `json:"RegionEndpoint" xml:"RegionEndpoint"`
}

type describeRegionsResponse struct {
	Regions []regionItem `json:"Regions" xml:"Regions"`
}

type instanceItem struct {
	InstanceID          string `json:"InstanceId" xml:"InstanceId"`
	InstanceStatus      string `json:"InstanceStatus" xml:"InstanceStatus"`
	RegionID            string `json:"RegionId" xml:"RegionId"`
	Description         string `json:"Description" xml:"Description"`
	ImageVersion        string `json:"ImageVersion" xml:"ImageVersion"`
	LicenseCode         string `json:"LicenseCode" xml:"LicenseCode"`
	PlanCode            string `json:"PlanCode" xml:"PlanCode"`
	StartTime           int64  `json:"StartTime" xml:"StartTime"`
	ExpireTime          int64  `json:"ExpireTime" xml:"ExpireTime"`
	InternetEndpoint    string `json:"InternetEndpoint" xml:"InternetEndpoint"`
	IntranetEndpoint    string `json:"IntranetEndpoint" xml:"IntranetEndpoint"`
	PublicNetworkAccess bool   `json:"PublicNetworkAccess" xml:"PublicNetworkAccess"`
	Legacy              bool   `json:"Legacy" xml:"Legacy"`
	VpcID               string `json:"VpcId" xml:"VpcId"`
	VswitchID           string `json:"VswitchId" xml:"VswitchId"`
	SlaveVswitchID      string `json:"SlaveVswitchId" xml:"SlaveVswitchId"`
	ResourceGroupID     string `json:"ResourceGroupId" xml:"ResourceGroupId"`
	BandWidth           int64  `json:"BandWidth" xml:"BandWidth"`
}

// instanceAttribute is DescribeInstanceAttribute's InstanceAttribute: the
// fields of DescribeInstances' items it shares, and the O&M ports.
type instanceAttribute struct {
	InstanceID          string     `json:"InstanceId" xml:"InstanceId"`
	InstanceStatus      string     `json:"InstanceStatus" xml:"InstanceStatus"`
	RegionID            string     `json:"RegionId" xml:"RegionId"`
	Description         string     `json:"Description" xml:"Description"`
	ImageVersionName    string     `json:"ImageVersionName" xml:"ImageVersionName"`
	LicenseCode         string     `json:"LicenseCode" xml:"LicenseCode"`
	StartTime           int64      `json:"StartTime" xml:"StartTime"`
	ExpireTime          int64      `json:"ExpireTime" xml:"ExpireTime"`
	InternetEndpoint    string     `json:"InternetEndpoint" xml:"InternetEndpoint"`
	IntranetEndpoint    string     `json:"IntranetEndpoint" xml:"IntranetEndpoint"`
	Ports               []portItem `json:"Ports" xml:"Ports"`
	PublicNetworkAccess bool       `json:"PublicNetworkAccess" xml:"PublicNetworkAccess"`
	VpcID               string     `json:"VpcId" xml:"VpcId"`
	VswitchID           string     `json:"VswitchId" xml:"VswitchId"`
	SlaveVswitchID      string     `json:"SlaveVswitchId" xml:"SlaveVswitchId"`
	ResourceGroupID     string     `json:"ResourceGroupId" xml:"ResourceGroupId"`
}

// portItem is an O&M port: the product's standard one for the protocol
// and the one the instance really listens on (CustomPort).
type portItem struct {
	StandardPort int32 `json:"StandardPort" xml:"StandardPort"`
	CustomPort   int32 `json:"CustomPort" xml:"CustomPort"`
}

type describeInstanceAttributeResponse struct {
	InstanceAttribute instanceAttribute `json:"InstanceAttribute" xml:"InstanceAttribute"`
}

type describeInstancesResponse struct {
	TotalCount int64          `json:"TotalCount" xml:"TotalCount"`
	Instances  []instanceItem `json:"Instances" xml:"Instances"`
}

type createHostResponse struct {
	HostID string `json:"HostId" xml:"HostId"`
}

type protocolItem struct {
	ProtocolName    string `json:"ProtocolName" xml:"ProtocolName"`
	Port            int32  `json:"Port" xml:"Port"`
	HostFingerPrint string `json:"HostFingerPrint" xml:"HostFingerPrint"`
}

type hostDetail struct {
	HostID              string         `json:"HostId" xml:"HostId"`
	HostName            string         `json:"HostName" xml:"HostName"`
	Comment             string         `json:"Comment" xml:"Comment"`
	OSType              string         `json:"OSType" xml:"OSType"`
	Source              string         `json:"Source" xml:"Source"`
	SourceInstanceID    string         `json:"SourceInstanceId" xml:"SourceInstanceId"`
	SourceInstanceState string         `json:"SourceInstanceState" xml:"SourceInstanceState"`
	ActiveAddressType   string         `json:"ActiveAddressType" xml:"ActiveAddressType"`
	HostPublicAddress   string         `json:"HostPublicAddress" xml:"HostPublicAddress"`
	HostPrivateAddress  string         `json:"HostPrivateAddress" xml:"HostPrivateAddress"`
	NetworkDomainID     string         `json:"NetworkDomainId" xml:"NetworkDomainId"`
	PrefKex             string         `json:"PrefKex" xml:"PrefKex"`
	Protocols           []protocolItem `json:"Protocols" xml:"Protocols"`
}

type getHostResponse struct {
	Host hostDetail `json:"Host" xml:"Host"`
}

type hostItem struct {
	HostID              string `json:"HostId" xml:"HostId"`
	HostName            string `json:"HostName" xml:"HostName"`
	Comment             string `json:"Comment" xml:"Comment"`
	OSType              string `json:"OSType" xml:"OSType"`
	Source              string `json:"Source" xml:"Source"`
	SourceInstanceID    string `json:"SourceInstanceId" xml:"SourceInstanceId"`
	SourceInstanceState string `json:"SourceInstanceState" xml:"SourceInstanceState"`
	ActiveAddressType   string `json:"ActiveAddressType" xml:"ActiveAddressType"`
	HostPublicAddress   string `json:"HostPublicAddress" xml:"HostPublicAddress"`
	HostPrivateAddress  string `json:"HostPrivateAddress" xml:"HostPrivateAddress"`
	HostAccountCount    int32  `json:"HostAccountCount" xml:"HostAccountCount"`
}

type listHostsResponse struct {
	TotalCount int32      `json:"TotalCount" xml:"TotalCount"`
	Hosts      []hostItem `json:"Hosts" xml:"Hosts"`
}

type createHostAccountResponse struct {
	HostAccountID string `json:"HostAccountId" xml:"HostAccountId"`
}

type hostAccountItem struct {
	HostAccountID         string `json:"HostAccountId" xml:"HostAccountId"`
	HostAccountName       string `json:"HostAccountName" xml:"HostAccountName"`
	HostID                string `json:"HostId" xml:"HostId"`
	ProtocolName          string `json:"ProtocolName" xml:"ProtocolName"`
	HasPassword           bool   `json:"HasPassword" xml:"HasPassword"`
	PrivateKeyFingerprint string `json:"PrivateKeyFingerprint" xml:"PrivateKeyFingerprint"`
	HostShareKeyID        string `json:"HostShareKeyId" xml:"HostShareKeyId"`
	HostShareKeyName      string `json:"HostShareKeyName" xml:"HostShareKeyName"`
	PrivilegeType         string `json:"PrivilegeType" xml:"PrivilegeType"`
	RotationMode          string `json:"RotationMode" xml:"RotationMode"`
}

type getHostAccountResponse struct {
	HostAccount hostAccountItem `json:"HostAccount" xml:"HostAccount"`
}

type listHostAccountsResponse struct {
	TotalCount   int32             `json:"TotalCount" xml:"TotalCount"`
	HostAccounts []hostAccountItem `json:"HostAccounts" xml:"HostAccounts"`
}

type createUserResponse struct {
	UserID string `json:"UserId" xml:"UserId"`
}

type userItem struct {
	UserID             string   `json:"UserId" xml:"UserId"`
	UserName           string   `json:"UserName" xml:"UserName"`
	DisplayName        string   `json:"DisplayName" xml:"DisplayName"`
	Comment            string   `json:"Comment" xml:"Comment"`
	Email              string   `json:"Email" xml:"Email"`
	Mobile             string   `json:"Mobile" xml:"Mobile"`
	MobileCountryCode  string   `json:"MobileCountryCode" xml:"MobileCountryCode"`
	Source             string   `json:"Source" xml:"Source"`
	SourceUserID       string   `json:"SourceUserId" xml:"SourceUserId"`
	NeedResetPassword  bool     `json:"NeedResetPassword" xml:"NeedResetPassword"`
	EffectiveStartTime int64    `json:"EffectiveStartTime" xml:"EffectiveStartTime"`
	EffectiveEndTime   int64    `json:"EffectiveEndTime" xml:"EffectiveEndTime"`
	TwoFactorStatus    string   `json:"TwoFactorStatus" xml:"TwoFactorStatus"`
	TwoFactorMethods   []string `json:"TwoFactorMethods" xml:"TwoFactorMethods"`
	LanguageStatus     string   `json:"LanguageStatus" xml:"LanguageStatus"`
	Language           string   `json:"Language" xml:"Language"`
	UserState          []string `json:"UserState" xml:"UserState"`
}

type getUserResponse struct {
	User userItem `json:"User" xml:"User"`
}

type listUsersResponse struct {
	TotalCount int32      `json:"TotalCount" xml:"TotalCount"`
	Users      []userItem `json:"Users" xml:"Users"`
}

// The responses of both kinds of group. The id and name fields are named
// after the kind (UserGroupId, UserGroupName or HostGroupId,
// HostGroupName): a group fills those of its kind only and the others,
// empty, are left out, as in memberResult.

type createGroupResponse struct {
	UserGroupID string `json:"UserGroupId,omitempty" xml:"UserGroupId,omitempty"`
	HostGroupID string `json:"HostGroupId,omitempty" xml:"HostGroupId,omitempty"`
}

type groupDetail struct {
	UserGroupID   string `json:"UserGroupId,omitempty" xml:"UserGroupId,omitempty"`
	UserGroupName string `json:"UserGroupName,omitempty" xml:"UserGroupName,omitempty"`
	HostGroupID   string `json:"HostGroupId,omitempty" xml:"HostGroupId,omitempty"`
	HostGroupName string `json:"HostGroupName,omitempty" xml:"HostGroupName,omitempty"`
	Comment       string `json:"Comment" xml:"Comment"`
}

// hostGroupDetail is the name the grant listings give a host group's detail.
type hostGroupDetail = groupDetail

type getGroupResponse struct {
	UserGroup *groupDetail `json:"UserGroup,omitempty" xml:"UserGroup,omitempty"`
	HostGroup *groupDetail `json:"HostGroup,omitempty" xml:"HostGroup,omitempty"`
}

type groupItem struct {
	groupDetail
	MemberCount int32 `json:"MemberCount" xml:"MemberCount"`
}

// listGroupsResponse sets UserGroups or HostGroups (never nil then, so
// that JSON shows [] for no groups).
type listGroupsResponse struct {
	TotalCount int32        `json:"TotalCount" xml:"TotalCount"`
	UserGroups *[]groupItem `json:"UserGroups,omitempty" xml:"UserGroups,omitempty"`
	HostGroups *[]groupItem `json:"HostGroups,omitempty" xml:"HostGroups,omitempty"`
}

type memberResult struct {
	Code        string `json:"Code" xml:"Code"`
	Message     string `json:"Message" xml:"Message"`
	UserGroupID string `json:"UserGroupId,omitempty" xml:"UserGroupId,omitempty"`
	UserID      string `json:"UserId,omitempty" xml:"UserId,omitempty"`
	HostGroupID string `json:"HostGroupId,omitempty" xml:"HostGroupId,omitempty"`
	HostID      string `json:"HostId,omitempty" xml:"HostId,omitempty"`
}

type membersResponse struct {
	Results []memberResult `json:"Results" xml:"Results"`
}
