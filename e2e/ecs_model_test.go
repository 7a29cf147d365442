package e2e_test

import (
	"strings"
	"testing"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	ecs7 "github.com/alibabacloud-go/ecs-20140526/v7/client"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
)

// The instance model through the typed clients users already have: the
// Tea ECS v7 client (V3 signatures) and the v1 typed ecs package and
// CommonRequest (V1, JSON and XML). Issue 13: DescribeInstances ignored
// its filters and left the model fields empty, and the attribute, status,
// tag and metadata actions answered InvalidAction.NotFound.

const (
	linuxImage   = "ubuntu_22_04_x64_20G_alibase_20230208.vhd"
	windowsImage = "win2019_1809_x64_dtc_en-us_40G_alibase_20230811.vhd"
)

// ecsV7 returns the typed Tea ECS client of an AccessKey, pointed at the server.
func (e *env) ecsV7(key, secret string) *ecs7.Client {
	e.t.Helper()
	c, err := ecs7.NewClient(&openapi.Config{AccessKeyId: dara.String(key), AccessKeySecret: dara.String(secret),
		Endpoint: dara.String(e.Host), Protocol: dara.String("http"), RegionId: dara.String(region)})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// modelWorld runs two instances through the typed v7 client: web (every
// new RunInstances input set) and win (none), and returns their ids.
func modelWorld(t *testing.T, c *ecs7.Client) (web, win string) {
	t.Helper()
	res, err := c.RunInstances(&ecs7.RunInstancesRequest{RegionId: dara.String(region), ImageId: dara.String(linuxImage),
		InstanceType: dara.String("ecs.g7.large"), HostName: dara.String("web-${instance_id}"),
		InstanceChargeType: dara.String("PrePaid"), Period: dara.Int32(1), PeriodUnit: dara.String("Month"),
		SecurityGroupIds: []*string{dara.String("sg-web"), dara.String("sg-ops")},
		Tag:              []*ecs7.RunInstancesRequestTag{{Key: dara.String("env"), Value: dara.String("prod")}},
		HttpTokens:       dara.String("required")})
	if err != nil {
		t.Fatal(err)
	}
	web = dara.StringValue(res.Body.InstanceIdSets.InstanceIdSet[0])
	res, err = c.RunInstances(&ecs7.RunInstancesRequest{RegionId: dara.String(region), ImageId: dara.String(windowsImage),
		InstanceType: dara.String("ecs.c7.xlarge")})
	if err != nil {
		t.Fatal(err)
	}
	return web, dara.StringValue(res.Body.InstanceIdSets.InstanceIdSet[0])
}

// v7Instances lists the instances of the region by id.
func v7Instances(t *testing.T, c *ecs7.Client) map[string]*ecs7.DescribeInstancesResponseBodyInstancesInstance {
	t.Helper()
	res, err := c.DescribeInstances(&ecs7.DescribeInstancesRequest{RegionId: dara.String(region)})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*ecs7.DescribeInstancesResponseBodyInstancesInstance{}
	for _, in := range res.Body.Instances.Instance {
		got[dara.StringValue(in.InstanceId)] = in
	}
	return got
}

// groups, firstTag and metadata read the nested fields of a typed
// instance, "" where the server left them out.
func groups(in *ecs7.DescribeInstancesResponseBodyInstancesInstance) []string {
	if in.SecurityGroupIds == nil {
		return nil
	}
	return dara.StringSliceValue(in.SecurityGroupIds.SecurityGroupId)
}

func firstTag(in *ecs7.DescribeInstancesResponseBodyInstancesInstance) string {
	if in.Tags == nil || len(in.Tags.Tag) == 0 {
		return ""
	}
	return dara.StringValue(in.Tags.Tag[0].TagKey) + "=" + dara.StringValue(in.Tags.Tag[0].TagValue)
}

func metadata(in *ecs7.DescribeInstancesResponseBodyInstancesInstance) (endpoint, tokens string) {
	if in.MetadataOptions == nil {
		return "", ""
	}
	return dara.StringValue(in.MetadataOptions.HttpEndpoint), dara.StringValue(in.MetadataOptions.HttpTokens)
}

// TestECSModelFieldsV7: DescribeInstances fills the typed model's fields
// from RunInstances' inputs, the instance type and the image.
func TestECSModelFieldsV7(t *testing.T) {
	e := newEnv(t)
	c := e.ecsV7(keyA, secretA)
	web, win := modelWorld(t, c)
	got := v7Instances(t, c)
	w, n := got[web], got[win]
	if w == nil || n == nil {
		t.Fatalf("DescribeInstances misses %s or %s", web, win)
	}
	wEndpoint, wTokens := metadata(w)
	_, nTokens := metadata(n)
	checks := []struct {
		name      string
		got, want any
	}{
		{"web Cpu", dara.Int32Value(w.Cpu), int32(2)},
		{"web Memory", dara.Int32Value(w.Memory), int32(8192)},
		{"web InstanceTypeFamily", dara.StringValue(w.InstanceTypeFamily), "ecs.g7"},
		{"web OSType", dara.StringValue(w.OSType), "linux"},
		{"web HostName", dara.StringValue(w.HostName), "web-" + web},
		{"web InstanceChargeType", dara.StringValue(w.InstanceChargeType), "PrePaid"},
		{"web SecurityGroupIds", strings.Join(groups(w), ","), "sg-web,sg-ops"},
		{"web Tags", firstTag(w), "env=prod"},
		{"web HttpTokens", wTokens, "required"},
		{"web HttpEndpoint", wEndpoint, "enabled"},
		{"win Cpu", dara.Int32Value(n.Cpu), int32(4)},
		{"win Memory", dara.Int32Value(n.Memory), int32(8192)},
		{"win OSType", dara.StringValue(n.OSType), "windows"},
		{"win HostName", dara.StringValue(n.HostName), "iZ" + strings.TrimPrefix(win, "i-") + "Z"},
		{"win InstanceChargeType", dara.StringValue(n.InstanceChargeType), "PostPaid"},
		{"win ExpiredTime", dara.StringValue(n.ExpiredTime), "2099-12-31T15:59Z"},
		{"win HttpTokens", nTokens, "optional"},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s = %v, want %v", ck.name, ck.got, ck.want)
		}
	}
	if exp := dara.StringValue(w.ExpiredTime); exp == "" || exp == "2099-12-31T15:59Z" || !strings.HasSuffix(exp, "T16:00Z") {
		t.Errorf("PrePaid ExpiredTime = %q", exp)
	}
	if sg := groups(n); len(sg) != 1 || !strings.HasPrefix(sg[0], "sg-") {
		t.Errorf("default security group = %v", sg)
	}
}

// TestECSModelFiltersV7: each DescribeInstances filter selects, an unknown
// value selects nothing, a malformed one is refused.
func TestECSModelFiltersV7(t *testing.T) {
	e := newEnv(t)
	c := e.ecsV7(keyA, secretA)
	web, win := modelWorld(t, c)
	w := v7Instances(t, c)[web]
	ip := dara.StringValue(w.VpcAttributes.PrivateIpAddress.IpAddress[0])
	tag := func(k, v string) []*ecs7.DescribeInstancesRequestTag {
		return []*ecs7.DescribeInstancesRequestTag{{Key: dara.String(k), Value: dara.String(v)}}
	}
	tests := []struct {
		name string
		req  ecs7.DescribeInstancesRequest
		want []string
	}{
		{"unknown VpcId", ecs7.DescribeInstancesRequest{VpcId: dara.String("vpc-nope")}, nil},
		{"VpcId", ecs7.DescribeInstancesRequest{VpcId: w.VpcAttributes.VpcId}, []string{web, win}},
		{"unknown VSwitchId", ecs7.DescribeInstancesRequest{VSwitchId: dara.String("vsw-nope")}, nil},
		{"ZoneId", ecs7.DescribeInstancesRequest{ZoneId: dara.String(region + "-b")}, nil},
		{"InstanceType", ecs7.DescribeInstancesRequest{InstanceType: dara.String("ecs.g7.large")}, []string{web}},
		{"InstanceTypeFamily", ecs7.DescribeInstancesRequest{InstanceTypeFamily: dara.String("ecs.c7")}, []string{win}},
		{"ImageId", ecs7.DescribeInstancesRequest{ImageId: dara.String(windowsImage)}, []string{win}},
		{"PrivateIpAddresses", ecs7.DescribeInstancesRequest{PrivateIpAddresses: dara.String(`["` + ip + `"]`)}, []string{web}},
		{"Tag", ecs7.DescribeInstancesRequest{Tag: tag("env", "prod")}, []string{web}},
		{"Tag of another value", ecs7.DescribeInstancesRequest{Tag: tag("env", "dev")}, nil},
		{"InstanceChargeType", ecs7.DescribeInstancesRequest{InstanceChargeType: dara.String("PostPaid")}, []string{win}},
		{"SecurityGroupId", ecs7.DescribeInstancesRequest{SecurityGroupId: dara.String("sg-ops")}, []string{web}},
		{"HttpTokens", ecs7.DescribeInstancesRequest{HttpTokens: dara.String("required")}, []string{web}},
		{"KeyPairName", ecs7.DescribeInstancesRequest{KeyPairName: dara.String("none")}, nil},
	}
	for _, tt := range tests {
		req := tt.req
		req.RegionId = dara.String(region)
		res, err := c.DescribeInstances(&req)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		var ids []string
		for _, in := range res.Body.Instances.Instance {
			ids = append(ids, dara.StringValue(in.InstanceId))
		}
		if strings.Join(ids, ",") != strings.Join(tt.want, ",") || int(dara.Int32Value(res.Body.TotalCount)) != len(tt.want) {
			t.Errorf("%s: got %v (TotalCount %d), want %v", tt.name, ids, dara.Int32Value(res.Body.TotalCount), tt.want)
		}
	}
	bad := []struct {
		req    ecs7.DescribeInstancesRequest
		code   string
		status int
	}{
		{ecs7.DescribeInstancesRequest{InstanceChargeType: dara.String("Free")}, "InvalidInstanceChargeType.NotFound", 404},
		{ecs7.DescribeInstancesRequest{PrivateIpAddresses: dara.String(`["not-an-ip"]`)}, "InvalidParameter", 400},
		{ecs7.DescribeInstancesRequest{Tag: []*ecs7.DescribeInstancesRequestTag{{Value: dara.String("v")}}}, "InvalidTag.Mismatch", 400},
		{ecs7.DescribeInstancesRequest{LockReason: dara.String("boredom")}, "InvalidLockReason.NotFound", 404},
		{ecs7.DescribeInstancesRequest{HpcClusterId: dara.String("hpc-1")}, "InvalidHpcClusterId.NotFound", 400},
	}
	for _, b := range bad {
		req := b.req
		req.RegionId = dara.String(region)
		_, err := c.DescribeInstances(&req)
		teaError(t, err, b.code, b.status)
	}
}

// TestECSModelActionsV7: the attribute, status, tag and metadata actions.
func TestECSModelActionsV7(t *testing.T) {
	e := newEnv(t)
	c := e.ecsV7(keyA, secretA)
	web, win := modelWorld(t, c)
	attr, err := c.DescribeInstanceAttribute(&ecs7.DescribeInstanceAttributeRequest{InstanceId: dara.String(win)})
	if err != nil || dara.Int32Value(attr.Body.Cpu) != 4 || dara.StringValue(attr.Body.InstanceChargeType) != "PostPaid" {
		t.Fatalf("DescribeInstanceAttribute = %v, %v", attr, err)
	}
	_, err = c.DescribeInstanceAttribute(&ecs7.DescribeInstanceAttributeRequest{InstanceId: dara.String("i-nope")})
	teaError(t, err, "InvalidInstanceId.NotFound", 404)

	st, err := c.DescribeInstanceStatus(&ecs7.DescribeInstanceStatusRequest{RegionId: dara.String(region),
		InstanceId: []*string{dara.String(win)}})
	if err != nil || len(st.Body.InstanceStatuses.InstanceStatus) != 1 ||
		dara.StringValue(st.Body.InstanceStatuses.InstanceStatus[0].Status) != "Running" {
		t.Fatalf("DescribeInstanceStatus = %v, %v", st, err)
	}

	if _, err := c.ModifyInstanceAttribute(&ecs7.ModifyInstanceAttributeRequest{InstanceId: dara.String(win),
		InstanceName: dara.String("renamed"), HostName: dara.String("winhost"), Password: dara.String("Passw0rd!")}); err != nil {
		t.Fatal(err)
	}
	attr, err = c.DescribeInstanceAttribute(&ecs7.DescribeInstanceAttributeRequest{InstanceId: dara.String(win)})
	if err != nil || dara.StringValue(attr.Body.InstanceName) != "renamed" || dara.StringValue(attr.Body.HostName) != "winhost" {
		t.Fatalf("after ModifyInstanceAttribute: %v, %v", attr, err)
	}
	_, err = c.ModifyInstanceAttribute(&ecs7.ModifyInstanceAttributeRequest{InstanceId: dara.String(win), Password: dara.String("weak")})
	teaError(t, err, "InvalidPassword.Malformed", 400)

	if _, err := c.ModifyInstanceMetadataOptions(&ecs7.ModifyInstanceMetadataOptionsRequest{RegionId: dara.String(region),
		InstanceId: dara.String(win), HttpEndpoint: dara.String("disabled")}); err != nil {
		t.Fatal(err)
	}
	res, err := c.DescribeInstances(&ecs7.DescribeInstancesRequest{RegionId: dara.String(region), HttpEndpoint: dara.String("disabled")})
	if err != nil || len(res.Body.Instances.Instance) != 1 || dara.StringValue(res.Body.Instances.Instance[0].MetadataOptions.HttpEndpoint) != "disabled" {
		t.Fatalf("after ModifyInstanceMetadataOptions: %v, %v", res, err)
	}

	tags := []*ecs7.TagResourcesRequestTag{{Key: dara.String("team"), Value: dara.String("core")}}
	if _, err := c.TagResources(&ecs7.TagResourcesRequest{RegionId: dara.String(region), ResourceType: dara.String("instance"),
		ResourceId: []*string{dara.String(web), dara.String(win)}, Tag: tags}); err != nil {
		t.Fatal(err)
	}
	_, err = c.TagResources(&ecs7.TagResourcesRequest{RegionId: dara.String(region), ResourceType: dara.String("instance"),
		ResourceId: []*string{dara.String(web)}, Tag: []*ecs7.TagResourcesRequestTag{{Key: dara.String("acs:x"), Value: dara.String("v")}}})
	teaError(t, err, "InvalidTagKey.Malformed", 400)
	_, err = c.TagResources(&ecs7.TagResourcesRequest{RegionId: dara.String(region), ResourceType: dara.String("instance"),
		ResourceId: []*string{dara.String("i-nope")}, Tag: tags})
	teaError(t, err, "InvalidResourceId.NotFound", 404)

	list, err := c.ListTagResources(&ecs7.ListTagResourcesRequest{RegionId: dara.String(region), ResourceType: dara.String("instance"),
		Tag: []*ecs7.ListTagResourcesRequestTag{{Key: dara.String("team"), Value: dara.String("core")}}})
	if err != nil || len(list.Body.TagResources.TagResource) != 2 {
		t.Fatalf("ListTagResources = %v, %v", list, err)
	}
	if _, err := c.UntagResources(&ecs7.UntagResourcesRequest{RegionId: dara.String(region), ResourceType: dara.String("instance"),
		ResourceId: []*string{dara.String(web)}, All: dara.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	list, err = c.ListTagResources(&ecs7.ListTagResourcesRequest{RegionId: dara.String(region), ResourceType: dara.String("instance")})
	if err != nil || len(list.Body.TagResources.TagResource) != 1 || dara.StringValue(list.Body.TagResources.TagResource[0].ResourceId) != win {
		t.Fatalf("after UntagResources All: %v, %v", list, err)
	}
}

// TestECSModelV1 drives DescribeInstances' filters and fields through the
// v1 typed client (JSON and XML) and CommonRequest.
func TestECSModelV1(t *testing.T) {
	e := newEnv(t)
	web, win := modelWorld(t, e.ecsV7(keyA, secretA))
	a := e.as(keyA, secretA)
	for _, tr := range []string{"JSON", "XML"} {
		res, err := call(t, a, tr, ecs.CreateDescribeInstancesRequest, ecs.CreateDescribeInstancesResponse,
			P{"RegionId": region, "InstanceType": "ecs.g7.large"})
		if err != nil {
			t.Fatalf("%s: %v", tr, err)
		}
		if len(res.Instances.Instance) != 1 {
			t.Fatalf("%s: InstanceType filter: %d instances", tr, len(res.Instances.Instance))
		}
		in := res.Instances.Instance[0]
		if in.InstanceId != web || in.Cpu != 2 || in.Memory != 8192 || in.OSType != "linux" || in.HostName != "web-"+web ||
			in.InstanceChargeType != "PrePaid" || len(in.SecurityGroupIds.SecurityGroupId) != 2 || len(in.Tags.Tag) != 1 ||
			in.Tags.Tag[0].TagKey != "env" || in.MetadataOptions.HttpTokens != "required" {
			t.Fatalf("%s: %+v", tr, in)
		}
		res, err = call(t, a, tr, ecs.CreateDescribeInstancesRequest, ecs.CreateDescribeInstancesResponse,
			P{"RegionId": region, "VpcId": "vpc-unknown"})
		if err != nil || res.TotalCount != 0 || len(res.Instances.Instance) != 0 {
			t.Fatalf("%s: unknown VpcId listed %d instances (%v)", tr, len(res.Instances.Instance), err)
		}
		_, err = call(t, a, tr, ecs.CreateDescribeInstancesRequest, ecs.CreateDescribeInstancesResponse,
			P{"RegionId": region, "InstanceChargeType": "Free"})
		apiError(t, tr, err, "InvalidInstanceChargeType.NotFound", 404)
		raw, err := e.common(a.v1, "Ecs", ecsVersion, "DescribeInstances", tr,
			map[string]string{"RegionId": region, "Tag.1.Key": "env", "Tag.1.Value": "prod"})
		if err != nil {
			t.Fatalf("%s CommonRequest: %v", tr, err)
		}
		body := raw.GetHttpContentString()
		if !strings.Contains(body, web) || strings.Contains(body, win) {
			t.Fatalf("%s CommonRequest Tag.1 filter: %s", tr, body)
		}
		want := `"ExpiredTime":"`
		if tr == "XML" {
			want = "<ExpiredTime>"
		}
		if !strings.Contains(body, want) || !strings.Contains(body, "OSType") {
			t.Fatalf("%s CommonRequest: no model fields in %s", tr, body)
		}
	}
}
