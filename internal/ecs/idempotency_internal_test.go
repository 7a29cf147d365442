package ecs

import "testing"

// TestParamsDigest: the digest ignores ClientToken and DryRun, counts a
// zero field as absent (an input that grows a field keeps its digests),
// and tells actions and values apart.
func TestParamsDigest(t *testing.T) {
	in := RunInstancesInput{InstanceSpec: InstanceSpec{RegionID: "cn-hangzhou", ImageID: "img", InstanceType: "t"}, Amount: 1}
	sum := paramsDigest("RunInstances", in)
	tokened := in
	tokened.ClientToken, tokened.DryRun = "tok", true
	if paramsDigest("RunInstances", tokened) != sum {
		t.Error("ClientToken and DryRun change the digest")
	}
	type grown struct {
		RunInstancesInput
		HostName string
		Tags     []string
	}
	if paramsDigest("RunInstances", grown{RunInstancesInput: in}) != sum {
		t.Error("an unset new field changes the digest")
	}
	if paramsDigest("RunInstances", grown{RunInstancesInput: in, HostName: "h"}) == sum {
		t.Error("a set new field does not change the digest")
	}
	if paramsDigest("CreateInstance", CreateInstanceInput{in}) == sum {
		t.Error("the action does not change the digest")
	}
	other := in
	other.Amount = 2
	if paramsDigest("RunInstances", other) == sum {
		t.Error("Amount does not change the digest")
	}
}
