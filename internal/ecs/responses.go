package ecs

// Wire shapes of the ECS responses: the names of the ECS API reference and
// the SDK models (lists wrapped as {"Container":{"Item":[...]}}).

type regionItem struct {
	RegionID       string `json:"RegionId" xml:"RegionId"`
	LocalName      string `json:"LocalName" xml:"LocalName"`
	RegionEndpoint string `json:"RegionEndpoint" xml:"RegionEndpoint"`
	Status         string `json:"Status" xml:"Status"`
}

type describeRegionsResponse struct {
	Regions struct {
		Region []regionItem `json:"Region" xml:"Region"`
	} `json:"Regions" xml:"Regions"`
}

type runInstancesResponse struct {
	InstanceIDSets struct {
		InstanceIDSet []string `json:"InstanceIdSet" xml:"InstanceIdSet"`
	} `json:"InstanceIdSets" xml:"InstanceIdSets"`
}

type ipAddressList struct {
	IPAddress []string `json:"IpAddress" xml:"IpAddress"`
}

type instanceItem struct {
	InstanceID          string `json:"InstanceId" xml:"InstanceId"`
	InstanceName        string `json:"InstanceName" xml:"InstanceName"`
	Description         string `json:"Description" xml:"Description"`
	RegionID            string `json:"RegionId" xml:"RegionId"`
	ZoneID              string `json:"ZoneId" xml:"ZoneId"`
	Status              string `json:"Status" xml:"Status"`
	InstanceNetworkType string `json:"InstanceNetworkType" xml:"InstanceNetworkType"`
	InstanceType        string `json:"InstanceType" xml:"InstanceType"`
	ImageID             string `json:"ImageId" xml:"ImageId"`
	CreationTime        string `json:"CreationTime" xml:"CreationTime"`
	VpcAttributes       struct {
		VpcID            string        `json:"VpcId" xml:"VpcId"`
		VSwitchID        string        `json:"VSwitchId" xml:"VSwitchId"`
		NatIPAddress     string        `json:"NatIpAddress" xml:"NatIpAddress"`
		PrivateIPAddress ipAddressList `json:"PrivateIpAddress" xml:"PrivateIpAddress"`
	} `json:"VpcAttributes" xml:"VpcAttributes"`
	InnerIPAddress  ipAddressList `json:"InnerIpAddress" xml:"InnerIpAddress"`
	PublicIPAddress ipAddressList `json:"PublicIpAddress" xml:"PublicIpAddress"`
	instanceModel
}

// instanceModel are the fields of an instance the typed SDK models read
// beyond its identity and network (DescribeInstances and
// DescribeInstanceAttribute alike).
type instanceModel struct {
	Cpu                int    `json:"Cpu" xml:"Cpu"`
	Memory             int    `json:"Memory" xml:"Memory"`
	InstanceTypeFamily string `json:"InstanceTypeFamily" xml:"InstanceTypeFamily"`
	OSType             string `json:"OSType" xml:"OSType"`
	OSName             string `json:"OSName" xml:"OSName"`
	OSNameEn           string `json:"OSNameEn" xml:"OSNameEn"`
	HostName           string `json:"HostName" xml:"HostName"`
	InstanceChargeType string `json:"InstanceChargeType" xml:"InstanceChargeType"`
	InternetChargeType string `json:"InternetChargeType" xml:"InternetChargeType"`
	ExpiredTime        string `json:"ExpiredTime" xml:"ExpiredTime"`
	StartTime          string `json:"StartTime" xml:"StartTime"`
	SerialNumber       string `json:"SerialNumber" xml:"SerialNumber"`
	StoppedMode        string `json:"StoppedMode" xml:"StoppedMode"`
	DeletionProtection bool   `json:"DeletionProtection" xml:"DeletionProtection"`
	SecurityGroupIDs   struct {
		SecurityGroupID []string `json:"SecurityGroupId" xml:"SecurityGroupId"`
	} `json:"SecurityGroupIds" xml:"SecurityGroupIds"`
	Tags struct {
		Tag []tagItem `json:"Tag" xml:"Tag"`
	} `json:"Tags" xml:"Tags"`
	MetadataOptions metadataOptions `json:"MetadataOptions" xml:"MetadataOptions"`
	OperationLocks  struct {
		LockReason []struct{} `json:"LockReason" xml:"LockReason"`
	} `json:"OperationLocks" xml:"OperationLocks"`
}

type tagItem struct {
	TagKey   string `json:"TagKey" xml:"TagKey"`
	TagValue string `json:"TagValue" xml:"TagValue"`
}

type metadataOptions struct {
	HTTPEndpoint string `json:"HttpEndpoint" xml:"HttpEndpoint"`
	HTTPTokens   string `json:"HttpTokens" xml:"HttpTokens"`
	HopLimit     int    `json:"HttpPutResponseHopLimit" xml:"HttpPutResponseHopLimit"`
}

type describeInstanceStatusResponse struct {
	TotalCount       int `json:"TotalCount" xml:"TotalCount"`
	PageNumber       int `json:"PageNumber" xml:"PageNumber"`
	PageSize         int `json:"PageSize" xml:"PageSize"`
	InstanceStatuses struct {
		InstanceStatus []instanceStatus `json:"InstanceStatus" xml:"InstanceStatus"`
	} `json:"InstanceStatuses" xml:"InstanceStatuses"`
}

type instanceStatus struct {
	InstanceID string `json:"InstanceId" xml:"InstanceId"`
	Status     string `json:"Status" xml:"Status"`
}

type tagResourceItem struct {
	ResourceID   string `json:"ResourceId" xml:"ResourceId"`
	ResourceType string `json:"ResourceType" xml:"ResourceType"`
	TagKey       string `json:"TagKey" xml:"TagKey"`
	TagValue     string `json:"TagValue" xml:"TagValue"`
}

type listTagResourcesResponse struct {
	NextToken    string `json:"NextToken" xml:"NextToken"`
	TagResources struct {
		TagResource []tagResourceItem `json:"TagResource" xml:"TagResource"`
	} `json:"TagResources" xml:"TagResources"`
}

type describeInstancesResponse struct {
	TotalCount int    `json:"TotalCount" xml:"TotalCount"`
	PageNumber int    `json:"PageNumber,omitempty" xml:"PageNumber,omitempty"`
	PageSize   int    `json:"PageSize" xml:"PageSize"`
	NextToken  string `json:"NextToken" xml:"NextToken"`
	Instances  struct {
		Instance []instanceItem `json:"Instance" xml:"Instance"`
	} `json:"Instances" xml:"Instances"`
}

type attachResult struct {
	InstanceID string `json:"InstanceId" xml:"InstanceId"`
	Code       string `json:"Code" xml:"Code"`
	Message    string `json:"Message" xml:"Message"`
	Success    bool   `json:"Success" xml:"Success"`
}

type attachResponse struct {
	RAMRoleName string `json:"RamRoleName" xml:"RamRoleName"`
	TotalCount  int    `json:"TotalCount" xml:"TotalCount"`
	FailCount   int    `json:"FailCount" xml:"FailCount"`
	Results     struct {
		Result []attachResult `json:"AttachInstanceRamRoleResult" xml:"AttachInstanceRamRoleResult"`
	} `json:"AttachInstanceRamRoleResults" xml:"AttachInstanceRamRoleResults"`
}

type roleSet struct {
	InstanceID  string `json:"InstanceId" xml:"InstanceId"`
	RAMRoleName string `json:"RamRoleName" xml:"RamRoleName"`
}

type roleSets struct {
	Set []roleSet `json:"InstanceRamRoleSet" xml:"InstanceRamRoleSet"`
}

type detachResult struct {
	InstanceID string   `json:"InstanceId" xml:"InstanceId"`
	Code       string   `json:"Code" xml:"Code"`
	Message    string   `json:"Message" xml:"Message"`
	Success    bool     `json:"Success" xml:"Success"`
	Sets       roleSets `json:"InstanceRamRoleSets" xml:"InstanceRamRoleSets"`
}

// detachResponse keeps the element order of the DetachInstanceRamRole
// reference sample.
type detachResponse struct {
	Results struct {
		Result []detachResult `json:"DetachInstanceRamRoleResult" xml:"DetachInstanceRamRoleResult"`
	} `json:"DetachInstanceRamRoleResults" xml:"DetachInstanceRamRoleResults"`
	TotalCount  int    `json:"TotalCount" xml:"TotalCount"`
	FailCount   int    `json:"FailCount" xml:"FailCount"`
	RAMRoleName string `json:"RamRoleName" xml:"RamRoleName"`
}

type describeRoleResponse struct {
	RegionID   string   `json:"RegionId" xml:"RegionId"`
	TotalCount int      `json:"TotalCount" xml:"TotalCount"`
	Sets       roleSets `json:"InstanceRamRoleSets" xml:"InstanceRamRoleSets"`
}
