package e2e_test

import (
	"encoding/json"
	"net/http"
	"net/url"
)

// walkLocalyun is the Version of localyun's own product (internal/explain).
const walkLocalyun = "2026-11-30"

// localyunSamples are the walk samples of the Localyun actions: each
// explains an allowed object; the victim is denied on what it names.
func localyunSamples() map[string]walkSample {
	bh := func(kv ...string) walkSample {
		m := map[string]string{"RegionId": region, "InstanceId": bhAllowed}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return walkSample{params: m, targets: []walkTarget{{param: "InstanceId", victim: bhVictim}}}
	}
	return map[string]walkSample{
		"ExplainAccess": {params: map[string]string{"UserName": "AllowedUser", "AuthAction": "ecs:DescribeInstances",
			"AuthResource": "acs:ecs:" + region + ":{acct}:instance/i-allowed01-{w}"},
			targets: []walkTarget{{param: "UserName", victim: "VictimUser"}}},
		"ExplainInstance": {params: map[string]string{"RegionId": region, "InstanceId": "i-allowed01-{w}"},
			targets: []walkTarget{{param: "InstanceId", victim: "i-victim01-{w}"}}},
		"ExplainHostAccess": bh("HostId", "1"),
		"ExplainUserAccess": bh("UserId", "1"),
	}
}

// walkDiagnostic is the EncodedDiagnosticMessage of a denial in w's
// account that names no victim: AllowedUser (whose policies allow only
// ecs:DescribeInstances) reading itself.
func walkDiagnostic(w *walkWorld) string {
	w.t.Helper()
	status, body, err := w.call(w.fill(allowedKeyID), "walksecret", walkRAM, "GetUser", url.Values{"UserName": {"AllowedUser"}})
	var denied struct {
		AccessDeniedDetail struct{ EncodedDiagnosticMessage string }
	}
	if err != nil || status != http.StatusForbidden || json.Unmarshal(body, &denied) != nil || denied.AccessDeniedDetail.EncodedDiagnosticMessage == "" {
		w.t.Fatalf("world: no diagnostic message: %d %s %v", status, body, err)
	}
	return denied.AccessDeniedDetail.EncodedDiagnosticMessage
}
