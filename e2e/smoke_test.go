package e2e_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
)

const ecsTrust = `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["ecs.aliyuncs.com"]}}],"Version":"1"}`

func TestSmokeLifecycle(t *testing.T) {
	e := newEnv(t)
	sc := e.v1Client(keyA, secretA)
	ramc := &ram.Client{Client: *sc}
	ecsc := &ecs.Client{Client: *sc}

	cr := ram.CreateCreateRoleRequest()
	cr.Domain = e.Host
	cr.RoleName = "EcsAppRole"
	cr.AssumeRolePolicyDocument = ecsTrust
	if _, err := ramc.CreateRole(cr); err != nil {
		t.Fatal(err)
	}
	run := ecs.CreateRunInstancesRequest()
	run.Domain = e.Host
	run.RegionId = region
	run.ImageId = "img"
	run.InstanceType = "ecs.g7.large"
	run.Amount = "2"
	rr, err := ecsc.RunInstances(run)
	if err != nil {
		t.Fatal(err)
	}
	ids := rr.InstanceIdSets.InstanceIdSet
	if len(ids) != 2 {
		t.Fatalf("ids %v", ids)
	}
	idsJSON, _ := json.Marshal(ids)
	at := ecs.CreateAttachInstanceRamRoleRequest()
	at.Domain = e.Host
	at.RegionId = region
	at.InstanceIds = string(idsJSON)
	at.RamRoleName = "EcsAppRole"
	ar, err := ecsc.AttachInstanceRamRole(at)
	if err != nil {
		t.Fatal(err)
	}
	if ar.TotalCount != 2 || ar.FailCount != 0 || ar.RamRoleName != "EcsAppRole" {
		t.Fatalf("attach %+v", ar)
	}
	for _, format := range []string{"JSON", "XML"} {
		de := ecs.CreateDetachInstanceRamRoleRequest()
		de.Domain = e.Host
		de.AcceptFormat = format
		de.RegionId = region
		de.InstanceIds = `["` + ids[0] + `"]`
		de.RamRoleName = "EcsAppRole"
		dr, err := ecsc.DetachInstanceRamRole(de)
		if err != nil {
			t.Fatal(err)
		}
		res := dr.DetachInstanceRamRoleResults.DetachInstanceRamRoleResult
		if format == "JSON" && (len(res) != 1 || !res[0].Success || res[0].Code != "200" || len(res[0].InstanceRamRoleSets.InstanceRamRoleSet) != 1) {
			t.Fatalf("%s detach %+v\n%s", format, dr, dr.GetHttpContentString())
		}
		if format == "XML" && (res[0].Success || dr.FailCount != 1 || !strings.HasPrefix(dr.GetHttpContentString(), "<?xml")) {
			t.Fatalf("%s detach %+v\n%s", format, dr, dr.GetHttpContentString())
		}
	}
	c := e.teaClient(keyA, secretA)
	body, err := callV3(c, "2014-05-26", "DescribeInstanceRamRole", map[string]string{"RegionId": region, "InstanceIds": string(idsJSON)})
	if err != nil {
		t.Fatal(err)
	}
	if body["TotalCount"].(json.Number).String() != "2" && body["TotalCount"] != float64(2) {
		t.Fatalf("describe %v", body)
	}
	_, err = callV3(c, "2014-05-26", "DetachInstanceRamRole", map[string]string{"RegionId": region, "InstanceIds": `["i-nope"]`})
	teaError(t, err, "InvalidInstanceId.NotFound", 404)
	_, err = callV3(e.teaClient(keyA, "wrong"), "2014-05-26", "DescribeRegions", nil)
	teaError(t, err, "SignatureDoesNotMatch", 400)

	de := ecs.CreateDetachInstanceRamRoleRequest()
	de.Domain = e.Host
	de.RegionId = region
	de.InstanceIds = `[]`
	_, err = ecsc.DetachInstanceRamRole(de)
	serverError(t, err, "InvalidInstanceIds.Malformed", 400)
	bad := e.v1Client(keyA, "wrongsecret")
	_, err = (&ecs.Client{Client: *bad}).DescribeRegions(&ecs.DescribeRegionsRequest{RpcRequest: ecs.CreateDescribeRegionsRequest().RpcRequest})
	if err == nil {
		t.Fatal("wrong secret accepted")
	}
	t.Log(err)
}
