package e2e_test

import (
	"testing"
)

// TestLanesParameterErrorsBeforeExistence pins the order of checks of the
// lanes (docs/compatibility.md L13): an action's parameters are parsed and
// validated once, before anything is read, so a bad parameter answers its
// 4xx even when the instance, policy or user it names does not exist; with
// the parameter mended, the existence error follows.
func TestLanesParameterErrorsBeforeExistence(t *testing.T) {
	e := newBastionEnv(t)
	c := e.v1Client(keyA, secretA)
	const bh, ram = "2019-12-09", "2015-05-01"
	cases := []struct {
		name                  string
		product, ver, action  string
		bad, mended           map[string]string
		badCode, mendedCode   string
		badStatus, mendStatus int
	}{
		{"bastion ModifyUser on an unknown instance", "Yundun-bastionhost", bh, "ModifyUser",
			map[string]string{"InstanceId": "bastionhost-cn-nosuch", "UserId": "1", "EffectiveEndTime": "abc"},
			map[string]string{"InstanceId": "bastionhost-cn-nosuch", "UserId": "1", "EffectiveEndTime": "1900000000"},
			"InvalidParameter", "Commodity.BizError.InvalidStatus", 400, 404},
		{"bastion ListHostAccounts on an unknown instance", "Yundun-bastionhost", bh, "ListHostAccounts",
			map[string]string{"InstanceId": "bastionhost-cn-nosuch", "HostId": "1", "ProtocolName": "FTP"},
			map[string]string{"InstanceId": "bastionhost-cn-nosuch", "HostId": "1", "ProtocolName": "SSH"},
			"InvalidParameter", "Commodity.BizError.InvalidStatus", 400, 404},
		{"RAM AttachPolicyToUser of an unknown policy", "Ram", ram, "AttachPolicyToUser",
			map[string]string{"PolicyType": "Custom", "PolicyName": "NoSuchPolicy"},
			map[string]string{"PolicyType": "Custom", "PolicyName": "NoSuchPolicy", "UserName": "nobody"},
			"MissingUserName", "EntityNotExist.Policy", 400, 404},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.common(c, tc.product, tc.ver, tc.action, "JSON", tc.bad)
			serverError(t, err, tc.badCode, tc.badStatus)
			_, err = e.common(c, tc.product, tc.ver, tc.action, "JSON", tc.mended)
			serverError(t, err, tc.mendedCode, tc.mendStatus)
		})
	}
}
