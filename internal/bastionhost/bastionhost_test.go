package bastionhost_test

import (
	"context"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/golden"
	"github.com/localyun/localyun/internal/server"
	"github.com/localyun/localyun/internal/sqlite"
)

// The seed document's example: InstanceId bastionhost-cn-st220aw****,
// UserGroupId 1, RequestId EC9BF0F4-8983-491A-BC8C-1B4DD94976DE, and Hosts
// with and without HostAccountIds (the example's "..." left out).
const (
	seedRequestID = "EC9BF0F4-8983-491A-BC8C-1B4DD94976DE"
	seedAccount   = "1234567890123456"
	seedKey       = "LTAI5tGoldenKeyBH0001"
	seedSecret    = "goldensecret0000000000000000001"
	seedInstance  = "bastionhost-cn-st220aw0001"
	seedHosts     = `[ {"HostId":"1"}, {"HostId":"2","HostAccountIds":["1","2","3"]}, {"HostId":"3","HostAccountIds":["4","5","6"]}, {"HostId":"4","HostAccountIds":["9","8","7"]} ]`
)

// mustSeedWorld starts a server with hosts 1-4; host 2 holds accounts 1-3,
// host 3 accounts 4-6, host 4 accounts 7-9; user group 1 exists.
func mustSeedWorld(t *testing.T) (*sdk.Client, string) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.CreateAccount(ctx, localyun.Account{ID: seedAccount, Name: "golden", CreatedAt: now}))
	must(st.CreateAccessKey(ctx, localyun.AccessKey{ID: seedKey, Secret: seedSecret, AccountID: seedAccount, Status: localyun.AccessKeyActive, CreatedAt: now}))
	must(st.CreateBastionInstance(ctx, localyun.BastionInstance{ID: seedInstance, AccountID: seedAccount, RegionID: "cn-hangzhou",
		Status: localyun.BastionRunning, CreatedAt: now, ExpiresAt: now}))
	for i := 1; i <= 4; i++ {
		h, err := st.CreateBastionHost(ctx, localyun.BastionHost{InstanceID: seedInstance, Name: "host" + string(rune('0'+i)), OSType: "Linux",
			Source: localyun.BastionSourceLocal, ActiveAddressType: localyun.BastionAddressPrivate, PrivateAddress: "10.0.0.1", CreatedAt: now})
		must(err)
		if i == 1 {
			continue
		}
		for j := 0; j < 3; j++ {
			_, err := st.CreateBastionHostAccount(ctx, localyun.BastionHostAccount{InstanceID: seedInstance, HostID: h.ID,
				Name: "acct" + string(rune('0'+j)), ProtocolName: "SSH", CreatedAt: now}, localyun.BastionSecret{})
			must(err)
		}
	}
	_, err = st.CreateBastionGroup(ctx, localyun.BastionGroup{Kind: localyun.BastionGroupUser, InstanceID: seedInstance, Name: "golden", CreatedAt: now})
	must(err)
	srv := httptest.NewServer(server.New(server.Options{Store: st, NewRequestID: func() string { return seedRequestID }}))
	t.Cleanup(func() {
		srv.Close()
		st.Close()
	})
	c, err := sdk.NewClientWithOptions("cn-hangzhou", sdk.NewConfig(), credentials.NewAccessKeyCredential(seedKey, seedSecret))
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(srv.URL)
	return c, u.Host
}

func call(t *testing.T, c *sdk.Client, host, action, format string, params map[string]string) []byte {
	t.Helper()
	req := requests.NewCommonRequest()
	req.Method, req.Scheme, req.Domain = "POST", "http", host
	req.Product, req.Version, req.ApiName, req.AcceptFormat = "Yundun-bastionhost", "2019-12-09", action, format
	for k, v := range params {
		req.QueryParams[k] = v
	}
	res, err := c.ProcessCommonRequest(req)
	if err != nil {
		t.Fatalf("%s: %v", action, err)
	}
	return res.GetHttpContentBytes()
}

// TestGoldenSeedDocument attaches the example's hosts and accounts, then
// detaches them exactly as the seed document's request does; the response
// bodies are golden files (run with -update to rewrite them).
func TestGoldenSeedDocument(t *testing.T) {
	for _, format := range []string{"JSON", "XML"} {
		t.Run(format, func(t *testing.T) {
			c, host := mustSeedWorld(t)
			params := map[string]string{"InstanceId": seedInstance, "UserGroupId": "1", "Hosts": seedHosts}
			ext := strings.ToLower(format)
			golden.Check(t, "AttachHostAccountsToUserGroup."+ext, call(t, c, host, "AttachHostAccountsToUserGroup", format, params))
			golden.Check(t, "DetachHostAccountsFromUserGroup."+ext, call(t, c, host, "DetachHostAccountsFromUserGroup", format, params))
			// Detaching again reports every item as already revoked.
			golden.Check(t, "DetachHostAccountsFromUserGroup.again."+ext, call(t, c, host, "DetachHostAccountsFromUserGroup", format, params))
		})
	}
}
